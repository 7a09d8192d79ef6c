import CKernelsEval

/// The function an implementation approximates, and so the reference it is measured against.
public enum ActivationFunction: String, Sendable, CaseIterable {
    /// The logistic function 1 / (1 + e^-x), referenced in double precision.
    case sigmoid
    /// The hyperbolic tangent, referenced in double precision.
    case tanh

    package var c: ck_func { self == .sigmoid ? CK_FUNC_SIGMOID : CK_FUNC_TANH }
}

/// The inputs a sweep evaluates: every `stride`-th float, in increasing order, from one float to
/// another.
///
/// Floats are numbered in increasing order, -inf as 0 up to +inf as ``orderedCount`` - 1 (-0 and +0
/// are two numbers), so a stride samples the whole line evenly in ulps, not in value.
public struct InputSet: Sendable, Hashable, CustomStringConvertible {
    /// The ordered number of the first input.
    public var first: UInt64
    /// The ordered number of the last input (inclusive).
    public var last: UInt64
    /// Every `stride`-th float from `first` on (1: every one).
    public var stride: UInt64

    /// How many floats there are that are not NaN (-inf ... -0, +0 ... +inf).
    public static let orderedCount: UInt64 = CK_ORDERED_COUNT

    /// Every float: all 2^32 bit patterns, the NaNs checked for propagation.
    public static let allFloats = InputSet(first: 0, last: orderedCount - 1, stride: 1)

    /// The inputs `first ... last` (ordered numbers), every `stride`-th.
    /// - Precondition: `first <= last < orderedCount` and `stride >= 1`.
    public init(first: UInt64, last: UInt64, stride: UInt64) {
        precondition(first <= last && last < Self.orderedCount && stride >= 1,
                     "InputSet: needs first <= last < \(Self.orderedCount) and stride >= 1")
        self.first = first
        self.last = last
        self.stride = stride
    }

    /// Every float in `[lo, hi]`, infinities allowed.
    /// - Precondition: `lo <= hi`, neither is NaN.
    public static func range(_ lo: Float, _ hi: Float) -> InputSet {
        precondition(!lo.isNaN && !hi.isNaN && lo <= hi, "InputSet.range: needs lo <= hi, neither NaN")
        return InputSet(first: ck_ordered_index(lo), last: ck_ordered_index(hi), stride: 1)
    }

    /// The same span, taking every `n`-th of its floats.
    public func strided(by n: UInt64) -> InputSet { InputSet(first: first, last: last, stride: n) }

    /// How many inputs the set holds.
    public var count: UInt64 { (last - first) / stride + 1 }
    /// Whether it is every float.
    public var isExhaustive: Bool { self == .allFloats }
    /// The first input.
    public var firstX: Float { ck_ordered_float(first) }
    /// The last input.
    public var lastX: Float { ck_ordered_float(last) }

    /// What the set is, in words: "every 257th float from -inf to +inf".
    public var description: String {
        let span = first == 0 && last == Self.orderedCount - 1
            ? "from -inf to +inf" : "in [\(format(firstX)), \(format(lastX))]"
        if stride == 1 { return isExhaustive ? "every float (all 2^32 bit patterns)" : "every float \(span)" }
        return "every \(ordinal(stride)) float \(span)"
    }
}

private func ordinal(_ n: UInt64) -> String {
    let suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : ["th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"][Int(n % 10)]
    return "\(n)\(suffix)"
}

/// A float for people: shortest round-trip form, "inf", "-inf" or "nan".
package func format(_ x: Float) -> String { x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : "\(x)" }
