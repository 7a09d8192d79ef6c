import CKernels

/// A C kernel over `n` elements: `y[i] = f(x[i])`.
@usableFromInline typealias UnaryKernel = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int, ck_tier) -> ck_status

@inlinable
func apply(_ kernel: UnaryKernel, _ name: String, _ x: some FloatBuffer, _ y: inout some MutableFloatBuffer,
           _ tier: Tier, _ parallelism: Parallelism) {
    require(x.count == y.count,
            "\(name): the input has \(x.count) elements but the result has \(y.count)")
    x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { yb in
            run(kernel, name, xb.baseAddress, yb.baseAddress, xb.count, tier, parallelism)
        }
    }
}

/// The activation on raw buffers (not generic, so the work is compiled once here).
@usableFromInline
func run(_ kernel: UnaryKernel, _ name: String, _ x: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?,
         _ count: Int, _ tier: Tier, _ parallelism: Parallelism) {
    requireValid(parallelism, name)
    guard count > 0, let x, let y else { return }
    // Swift's exclusivity rules already keep distinct buffers apart; this catches unsafe pointers
    // that partly overlap, which would otherwise give silently wrong results.
    require(ck_check_unary_f32(x, y, count, tier.c) != CK_ERR_OVERLAP,
            "\(name): the input and the result partly overlap (exact aliasing is allowed)")
    UnaryCall(kernel: kernel, x: x, y: y, count: count, tier: tier.c).run(parallelism, name)
}

/// An activation call: `kernel` over `count` elements of `x` into `y`.
struct UnaryCall: ParallelCall, @unchecked Sendable {
    let kernel: UnaryKernel
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let count: Int
    let tier: ck_tier

    func runOnDispatch(_ parallelism: Parallelism, _ name: String) {
        forEachChunk(count: count, chunks: chunkCount(count, parallelism)) { range in
            requireOK(kernel(x + range.lowerBound, y + range.lowerBound, range.count, tier), name)
        }
    }
}

/// Sigmoid and tanh over `Float` buffers, in a caseless namespace as Accelerate's `vForce`.
///
/// Each function takes any contiguous storage (``FloatBuffer``, ``MutableFloatBuffer``), an accuracy
/// ``Tier`` and a ``Parallelism``. The results are bitwise identical for every ISA and every
/// `parallelism`. For lanes of a `SIMD` vector inside your own vector code, use the vector type's
/// static functions instead: ``FloatVector/sigmoid(_:tier:)`` and ``FloatVector/tanh(_:tier:)``.
public enum Activation {
    // MARK: sigmoid

    /// Computes `result[i] = 1 / (1 + e^-x[i])`.
    ///
    /// Error bound by tier: `.precise` 2 ulp, `.fast` 4 ulp, `.approximate` 2e-4 absolute (ulp bounds
    /// where the result is a normal float; below x = -87.34 the result is 0). Monotone, in [0, 1].
    /// - Parameters:
    ///   - x: The input elements.
    ///   - result: Receives the sigmoid of each element of `x`; as many elements as `x`.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Precondition: `x` and `result` have the same number of elements.
    @inlinable
    public static func sigmoid(_ x: any FloatBuffer, result: inout some MutableFloatBuffer,
                               tier: Tier = .fast, parallelism: Parallelism = .serial) {
        apply(ck_sigmoid_f32, "sigmoid", x, &result, tier, parallelism)
    }

    /// Replaces every element of `x` by its sigmoid, with the bounds of
    /// ``sigmoid(_:result:tier:parallelism:)-(FloatBuffer,_,_,_)``.
    /// - Parameters:
    ///   - x: The elements to replace.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    @inlinable
    public static func sigmoidInPlace(_ x: inout some MutableFloatBuffer, tier: Tier = .fast,
                                      parallelism: Parallelism = .serial) {
        x.withUnsafeMutableBufferPointer { b in
            run(ck_sigmoid_f32, "sigmoid", b.baseAddress, b.baseAddress, b.count, tier, parallelism)
        }
    }

    /// Returns the sigmoid of every element of `x`, with the bounds of
    /// ``sigmoid(_:result:tier:parallelism:)-(FloatBuffer,_,_,_)``.
    /// - Parameters:
    ///   - x: The input elements.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Returns: A new array with as many elements as `x`.
    @inlinable
    public static func sigmoid(_ x: any FloatBuffer, tier: Tier = .fast, parallelism: Parallelism = .serial) -> [Float] {
        var result = [Float](repeating: 0, count: x.count)
        sigmoid(x, result: &result, tier: tier, parallelism: parallelism)
        return result
    }

    // MARK: tanh

    /// Computes `result[i] = tanh(x[i])`.
    ///
    /// Error bound by tier: `.precise` 2 ulp, `.fast` 4 ulp, `.approximate` 2e-4 absolute (ulp bounds
    /// where the result is a normal float). Monotone, in [-1, 1], exactly odd: `tanh(-x) == -tanh(x)`.
    /// - Parameters:
    ///   - x: The input elements.
    ///   - result: Receives the tanh of each element of `x`; as many elements as `x`.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Precondition: `x` and `result` have the same number of elements.
    @inlinable
    public static func tanh(_ x: any FloatBuffer, result: inout some MutableFloatBuffer,
                            tier: Tier = .fast, parallelism: Parallelism = .serial) {
        apply(ck_tanh_f32, "tanh", x, &result, tier, parallelism)
    }

    /// Replaces every element of `x` by its tanh, with the bounds of
    /// ``tanh(_:result:tier:parallelism:)-(FloatBuffer,_,_,_)``.
    /// - Parameters:
    ///   - x: The elements to replace.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    @inlinable
    public static func tanhInPlace(_ x: inout some MutableFloatBuffer, tier: Tier = .fast,
                                   parallelism: Parallelism = .serial) {
        x.withUnsafeMutableBufferPointer { b in
            run(ck_tanh_f32, "tanh", b.baseAddress, b.baseAddress, b.count, tier, parallelism)
        }
    }

    /// Returns the tanh of every element of `x`, with the bounds of
    /// ``tanh(_:result:tier:parallelism:)-(FloatBuffer,_,_,_)``.
    /// - Parameters:
    ///   - x: The input elements.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Returns: A new array with as many elements as `x`.
    @inlinable
    public static func tanh(_ x: any FloatBuffer, tier: Tier = .fast, parallelism: Parallelism = .serial) -> [Float] {
        var result = [Float](repeating: 0, count: x.count)
        tanh(x, result: &result, tier: tier, parallelism: parallelism)
        return result
    }
}
