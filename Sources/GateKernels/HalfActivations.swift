import CKernels

/// A bfloat16 value: the sign, the 8 exponent bits and the top 7 fraction bits of a `Float`, the
/// storage format of mixed-precision trainers.
///
/// A storage type: convert to `Float` to compute. Equality compares bit patterns (so `+0` and `-0`
/// differ and a NaN equals itself), as for the bits in memory.
@frozen
public struct BFloat16: Sendable, Hashable, BitwiseCopyable, CustomStringConvertible {
    /// The bits: sign, 8 exponent bits, 7 fraction bits.
    public var bitPattern: UInt16

    /// Creates a value with these bits.
    /// - Parameter bitPattern: The bits.
    @inlinable public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Rounds `value` to the nearest bfloat16, ties to even (as the kernels round); a NaN gives a
    /// quiet NaN.
    /// - Parameter value: The value to round.
    @inlinable public init(_ value: Float) {
        let u = value.bitPattern
        let bits = value.isNaN ? (u >> 16) | 0x40 : (u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16
        bitPattern = UInt16(truncatingIfNeeded: bits)
    }

    /// The value, as `Float` prints it.
    public var description: String { Float(self).description }
}

extension Float {
    /// The value of a ``BFloat16``, exactly.
    /// - Parameter value: The bfloat16 value.
    @inlinable public init(_ value: BFloat16) { self.init(bitPattern: UInt32(value.bitPattern) << 16) }
}

/// A 16-bit floating-point storage type of the half-format activations: ``BFloat16``, and `Float16`
/// where Swift has it (not on Intel Macs).
public protocol HalfFloat: BitwiseCopyable {
    /// The bits of the value.
    var bitPattern: UInt16 { get }
}

extension BFloat16: HalfFloat {}
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension Float16: HalfFloat {}
#endif

/// Contiguous storage of a ``HalfFloat`` type a kernel can read: arrays, slices, unsafe buffers.
public protocol HalfBuffer<Element> {
    /// The storage type.
    associatedtype Element: HalfFloat
    /// The number of elements.
    var count: Int { get }
    /// Calls `body` with a pointer to the elements, contiguous in memory.
    /// - Parameter body: Reads the elements; the pointer is valid only during the call.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R
}

/// Contiguous storage of a ``HalfFloat`` type a kernel can write.
public protocol MutableHalfBuffer<Element>: HalfBuffer {
    /// Calls `body` with a mutable pointer to the elements, contiguous in memory.
    /// - Parameter body: Reads and writes the elements; the pointer is valid only during the call.
    mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Element>) throws -> R) rethrows -> R
}

extension Array: HalfBuffer, MutableHalfBuffer where Element: HalfFloat {}
extension ContiguousArray: HalfBuffer, MutableHalfBuffer where Element: HalfFloat {}
extension ArraySlice: HalfBuffer, MutableHalfBuffer where Element: HalfFloat {}

extension UnsafeBufferPointer: HalfBuffer where Element: HalfFloat {
    /// Calls `body` with this buffer.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(self)
    }
}

extension UnsafeMutableBufferPointer: HalfBuffer, MutableHalfBuffer where Element: HalfFloat {
    /// Calls `body` with this buffer, read-only.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(self))
    }
    /// Calls `body` with this buffer.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Element>) throws -> R) rethrows -> R {
        var copy = self
        return try body(&copy)
    }
}

/// A C kernel over `n` half-format bit patterns.
@usableFromInline typealias HalfKernel = @convention(c) (UnsafePointer<UInt16>?, UnsafeMutablePointer<UInt16>?, Int, ck_tier) -> ck_status

/// The sigmoid and tanh kernels of `H`'s format.
@inlinable
func halfKernels<H: HalfFloat>(_: H.Type) -> (sigmoid: HalfKernel, tanh: HalfKernel) {
    if H.self == BFloat16.self { return (ck_sigmoid_bf16, ck_tanh_bf16) }
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    if H.self == Float16.self { return (ck_sigmoid_f16, ck_tanh_f16) }
    #endif
    misuse("\(H.self) is not a format the kernels know (BFloat16, Float16)", file: #fileID, line: #line)
}

/// `run` of Activations.swift for half-format bit patterns.
@usableFromInline
func runHalf(_ kernel: HalfKernel, _ name: String, _ x: UnsafeRawPointer?, _ y: UnsafeMutableRawPointer?,
             _ count: Int, _ tier: Tier, _ parallelism: Parallelism) {
    requireValid(parallelism, name)
    guard count > 0, let x, let y else { return }
    // the kernels read and write the elements' bits as uint16_t, as C sees them
    let x16 = x.assumingMemoryBound(to: UInt16.self), y16 = y.assumingMemoryBound(to: UInt16.self)
    require(ck_check_unary_half(x16, y16, count, tier.c) != CK_ERR_OVERLAP,
            "\(name): the input and the result partly overlap (exact aliasing is allowed)")
    HalfUnaryCall(kernel: kernel, x: x16, y: y16, count: count, tier: tier.c).run(parallelism, name)
}

/// A half-format activation call: `kernel` over `count` bit patterns of `x` into `y`.
struct HalfUnaryCall: ParallelCall, @unchecked Sendable {
    let kernel: HalfKernel
    let x: UnsafePointer<UInt16>
    let y: UnsafeMutablePointer<UInt16>
    let count: Int
    let tier: ck_tier

    func runOnDispatch(_ parallelism: Parallelism, _ name: String) {
        forEachChunk(count: count, chunks: chunkCount(count, parallelism)) { range in
            requireOK(kernel(x + range.lowerBound, y + range.lowerBound, range.count, tier), name)
        }
    }
}

@inlinable
func applyHalf<H: HalfFloat>(_ tanh: Bool, _ x: some HalfBuffer<H>, _ y: inout some MutableHalfBuffer<H>,
                             _ tier: Tier, _ parallelism: Parallelism) {
    let name = tanh ? "tanh" : "sigmoid"
    require(x.count == y.count, "\(name): the input has \(x.count) elements but the result has \(y.count)")
    let kernels = halfKernels(H.self)
    x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { yb in
            runHalf(tanh ? kernels.tanh : kernels.sigmoid, name, UnsafeRawPointer(xb.baseAddress),
                    UnsafeMutableRawPointer(yb.baseAddress), xb.count, tier, parallelism)
        }
    }
}

@inlinable
func applyHalfInPlace<H: HalfFloat>(_ tanh: Bool, _ x: inout some MutableHalfBuffer<H>, _ tier: Tier,
                                    _ parallelism: Parallelism) {
    let kernels = halfKernels(H.self)
    x.withUnsafeMutableBufferPointer { b in
        runHalf(tanh ? kernels.tanh : kernels.sigmoid, tanh ? "tanh" : "sigmoid", UnsafeRawPointer(b.baseAddress),
                UnsafeMutableRawPointer(b.baseAddress), b.count, tier, parallelism)
    }
}

@inlinable
func newHalf<H: HalfFloat>(_ tanh: Bool, _ x: some HalfBuffer<H>, _ tier: Tier, _ parallelism: Parallelism) -> [H] {
    [H](unsafeUninitializedCapacity: x.count) { buffer, initialized in
        applyHalf(tanh, x, &buffer, tier, parallelism)
        initialized = x.count
    }
}

// Half-format storage: input and result in the same format, the tier's float algorithm rounded to
// nearest even, tabulated over all 65,536 inputs by the first call and looked up after
// (docs/design.md, "Half-format storage").
extension Activation {
    /// Computes `result[i] = 1 / (1 + e^-x[i])` on bfloat16 or `Float16` storage.
    ///
    /// `.precise` and `.fast`: at most 1 ulp of the format from the correctly rounded result, and
    /// correctly rounded for at least 99.9% of the inputs (bfloat16 below x = -87.34 gives 0);
    /// `.approximate`: 2e-4 absolute plus half an ulp of the format. Monotone, in [0, 1]; a NaN
    /// gives its NaN made quiet. The same bits on every ISA and for every `parallelism`.
    ///
    /// The first call for a tier and format computes all 65,536 results into a 128 KiB table that
    /// lives until the process exits; every call looks its results up.
    /// - Parameters:
    ///   - x: The input elements.
    ///   - result: Receives the sigmoid of each element of `x`; as many elements as `x`.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Precondition: `x` and `result` have the same number of elements.
    @inlinable
    public static func sigmoid<H: HalfFloat>(_ x: some HalfBuffer<H>, result: inout some MutableHalfBuffer<H>,
                                             tier: Tier = .fast, parallelism: Parallelism = .serial) {
        applyHalf(false, x, &result, tier, parallelism)
    }

    /// Replaces every element of `x` by its sigmoid, with the bounds of
    /// ``sigmoid(_:result:tier:parallelism:)-(HalfBuffer,_,_,_)``.
    /// - Parameters:
    ///   - x: The elements to replace.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    @inlinable
    public static func sigmoidInPlace(_ x: inout some MutableHalfBuffer, tier: Tier = .fast,
                                      parallelism: Parallelism = .serial) {
        applyHalfInPlace(false, &x, tier, parallelism)
    }

    /// Returns the sigmoid of every element of `x`, in `x`'s format.
    /// - Parameters:
    ///   - x: The input elements.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Returns: A new array with as many elements as `x`.
    @inlinable
    public static func sigmoid<H: HalfFloat>(_ x: some HalfBuffer<H>, tier: Tier = .fast,
                                             parallelism: Parallelism = .serial) -> [H] {
        newHalf(false, x, tier, parallelism)
    }

    /// Computes `result[i] = tanh(x[i])` on bfloat16 or `Float16` storage.
    ///
    /// The bounds and the table of the half-format sigmoid; in [-1, 1], exactly odd.
    /// - Parameters:
    ///   - x: The input elements.
    ///   - result: Receives the tanh of each element of `x`; as many elements as `x`.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Precondition: `x` and `result` have the same number of elements.
    @inlinable
    public static func tanh<H: HalfFloat>(_ x: some HalfBuffer<H>, result: inout some MutableHalfBuffer<H>,
                                          tier: Tier = .fast, parallelism: Parallelism = .serial) {
        applyHalf(true, x, &result, tier, parallelism)
    }

    /// Replaces every element of `x` by its tanh, with the bounds of the half-format tanh.
    /// - Parameters:
    ///   - x: The elements to replace.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    @inlinable
    public static func tanhInPlace(_ x: inout some MutableHalfBuffer, tier: Tier = .fast,
                                   parallelism: Parallelism = .serial) {
        applyHalfInPlace(true, &x, tier, parallelism)
    }

    /// Returns the tanh of every element of `x`, in `x`'s format.
    /// - Parameters:
    ///   - x: The input elements.
    ///   - tier: The accuracy tier.
    ///   - parallelism: How many threads the call may use.
    /// - Returns: A new array with as many elements as `x`.
    @inlinable
    public static func tanh<H: HalfFloat>(_ x: some HalfBuffer<H>, tier: Tier = .fast,
                                          parallelism: Parallelism = .serial) -> [H] {
        newHalf(true, x, tier, parallelism)
    }
}
