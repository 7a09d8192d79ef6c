/// A zero-initialized, fixed-size `Float` array on the heap with stable addresses, so that slices
/// of it can be handed to BLAS and GateKernels without copies.
final class Floats {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { base.deallocate() }

    func zero() { base.update(repeating: 0, count: count) }

    subscript(i: Int) -> Float {
        get { base[i] }
        set { base[i] = newValue }
    }

    /// `count` elements from `offset`, for GateKernels' buffer arguments.
    func mutable(_ offset: Int, _ count: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(offset >= 0 && offset + count <= self.count,
                     "Floats: \(offset)..<\(offset + count) is outside 0..<\(self.count)")
        return UnsafeMutableBufferPointer(start: base + offset, count: count)
    }

    func readable(_ offset: Int, _ count: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(mutable(offset, count))
    }
}

/// A splitmix64 generator: the trainer's only source of randomness, so a seed fixes everything.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func unit() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [-scale, scale).
    public mutating func symmetric(_ scale: Float) -> Float { scale * (2 * unit() - 1) }

    /// Uniform in 0..<n.
    public mutating func index(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
