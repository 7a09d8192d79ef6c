// Functions take the buffers they read as `any FloatBuffer` and those they write as
// `inout some MutableFloatBuffer`. A generic input given `[Double]` makes Swift 6.3 report "failed
// to produce diagnostic" (swiftlang/swift#89934); an existential gets the normal conformance error,
// and the optimizer opens it at no cost where the caller's type is known (the functions are inlinable).

/// Contiguous `Float` storage a kernel can read: arrays, slices, unsafe buffers (the shape of
/// Accelerate's `AccelerateBuffer`).
public protocol FloatBuffer {
    /// The number of elements.
    var count: Int { get }
    /// Calls `body` with a pointer to the elements, contiguous in memory.
    /// - Parameter body: Reads the elements; the pointer is valid only during the call.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

/// Contiguous `Float` storage a kernel can write (Accelerate's `AccelerateMutableBuffer`).
public protocol MutableFloatBuffer: FloatBuffer {
    /// Calls `body` with a mutable pointer to the elements, contiguous in memory.
    /// - Parameter body: Reads and writes the elements; the pointer is valid only during the call.
    mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R
}

extension Array: FloatBuffer, MutableFloatBuffer where Element == Float {}
extension ContiguousArray: FloatBuffer, MutableFloatBuffer where Element == Float {}
extension ArraySlice: FloatBuffer, MutableFloatBuffer where Element == Float {}

extension UnsafeBufferPointer: FloatBuffer where Element == Float {
    /// Calls `body` with this buffer.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(self)
    }
}

extension UnsafeMutableBufferPointer: FloatBuffer, MutableFloatBuffer where Element == Float {
    /// Calls `body` with this buffer, read-only.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(self))
    }
    /// Calls `body` with this buffer.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        var copy = self
        return try body(&copy)
    }
}
