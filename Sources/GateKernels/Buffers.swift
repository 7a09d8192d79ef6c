/// Contiguous `Float` storage a kernel can read: arrays, slices, unsafe buffers (the shape of
/// Accelerate's `AccelerateBuffer`).
public protocol FloatBuffer {
    var count: Int { get }
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

/// Contiguous `Float` storage a kernel can write (Accelerate's `AccelerateMutableBuffer`).
public protocol MutableFloatBuffer: FloatBuffer {
    mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R
}

extension Array: FloatBuffer, MutableFloatBuffer where Element == Float {}
extension ContiguousArray: FloatBuffer, MutableFloatBuffer where Element == Float {}
extension ArraySlice: FloatBuffer, MutableFloatBuffer where Element == Float {}

extension UnsafeBufferPointer: FloatBuffer where Element == Float {
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(self)
    }
}

extension UnsafeMutableBufferPointer: FloatBuffer, MutableFloatBuffer where Element == Float {
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(self))
    }
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        var copy = self
        return try body(&copy)
    }
}
