import GateKernels

/// The error bound of a tier, from the contract of docs/design.md ("Tiers and bounds").
public enum ErrorBound: Sendable, Hashable, CustomStringConvertible {
    /// At most this many ulps from the correctly rounded result, wherever the true result is a normal float.
    case ulp(UInt32)
    /// At most this absolute error from the double-precision reference.
    case absolute(Double)

    /// "max ulp <= 4", "max abs <= 0.0002".
    public var description: String {
        switch self {
        case .ulp(let n): "max ulp <= \(n)"
        case .absolute(let e): "max abs <= \(e)"
        }
    }
}

extension Tier {
    /// The tier's error bound: 2 ulp (precise), 4 ulp (fast), 2e-4 absolute (approximate).
    public var bound: ErrorBound {
        switch self {
        case .precise: .ulp(2)
        case .fast: .ulp(4)
        case .approximate: .absolute(2e-4)
        }
    }
}

/// Whether an implementation keeps the whole contract of one tier on the inputs it was swept over:
/// the tier's bound and the properties every tier promises (monotone, in range, NaN in NaN out, the
/// special values, no NaN or inf for finite input, tanh odd).
public struct ContractVerdict: Sendable, Hashable {
    /// The tier whose contract was checked.
    public let tier: Tier
    /// Each broken promise as a sentence naming the first input that broke it; empty when it holds.
    public let failures: [String]
    /// Whether the contract holds.
    public var holds: Bool { failures.isEmpty }
}
