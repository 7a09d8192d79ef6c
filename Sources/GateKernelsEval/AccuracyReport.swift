import CKernelsEval
import Foundation
import GateKernels

/// One special value of the contract checked on an implementation (see ``AccuracyReport/specialValues``).
public struct SpecialValueCheck: Sendable {
    /// "+0", "-0", "+inf", "-inf", "NaN", "+denormal", "-denormal", "saturation+" or "saturation-".
    public let name: String
    /// Whether every input checked for it gave the expected output.
    public let passed: Bool
    /// The first failing input, or for a pass the first input checked.
    public let input: Float
    /// The implementation's output there.
    public let output: Float
    /// The expected output there (NaN for "any NaN").
    public let expected: Float
}

/// The error statistics of one implementation over one ``InputSet`` against the double-precision
/// reference, with the special-value checks, and the contract's verdict for any tier.
public struct AccuracyReport: @unchecked Sendable {
    /// The function the implementation approximates.
    public let function: ActivationFunction
    /// The inputs it was swept over.
    public let inputs: InputSet
    /// The engine's statistics, for the command-line tool's tables.
    package let statistics: ck_eval_stats
    /// The engine's special-value results, in `ck_special` order.
    package let specials: [ck_special_result]

    package init(function: ActivationFunction, inputs: InputSet, statistics: ck_eval_stats, specials: [ck_special_result]) {
        self.function = function
        self.inputs = inputs
        self.statistics = statistics
        self.specials = specials
    }

    /// The names of the special values, in the engine's order.
    package static let specialNames: [String] = (0..<Int(CK_SPECIAL_COUNT.rawValue)).map {
        String(cString: ck_special_name(ck_special(rawValue: UInt32($0))))
    }

    /// Non-NaN inputs evaluated.
    public var evaluated: UInt64 { statistics.inputs }
    /// Largest distance in ulps from the correctly rounded result, where the true result is a normal float.
    public var maxULP: UInt32 { statistics.max_ulp }
    /// The first input (in increasing order) where ``maxULP`` is reached.
    public var maxULPInput: Float { statistics.max_ulp_x }
    /// Largest distance from the unrounded reference, in units of its ulp.
    public var maxULPFraction: Double { statistics.max_ulp_frac }
    /// Largest absolute error against the double-precision reference (infinity for a NaN result).
    public var maxAbsoluteError: Double { statistics.max_abs }
    /// The first input where ``maxAbsoluteError`` is reached.
    public var maxAbsoluteErrorInput: Float { statistics.max_abs_x }
    /// Largest relative error, where the true result is a normal float.
    public var maxRelativeError: Double { statistics.max_rel }
    /// Mean absolute error over the inputs evaluated.
    public var meanAbsoluteError: Double { statistics.inputs == 0 ? 0 : statistics.sum_abs / Double(statistics.inputs) }
    /// How many results equal the correctly rounded one.
    public var exactlyRounded: UInt64 { statistics.exact }
    /// Counts of ulp distances 0, 1, 2, 3, 4, 5-8, 9-64 and more (NaN counts as more), over the inputs
    /// whose true result is a normal float.
    public var ulpHistogram: [UInt64] { withUnsafeBytes(of: statistics.hist) { Array($0.bindMemory(to: UInt64.self)) } }
    /// Pairs of neighbouring inputs whose outputs decrease.
    public var monotonicityViolations: UInt64 { statistics.monotonicity_violations }
    /// Outputs outside [0, 1] (sigmoid) or [-1, 1] (tanh), NaN included.
    public var outOfRange: UInt64 { statistics.out_of_range }
    /// NaN or infinite outputs for finite inputs.
    public var nonFinite: UInt64 { statistics.nonfinite }
    /// NaN inputs evaluated, and how many of them did not give NaN.
    public var nanInputs: UInt64 { statistics.nan_inputs }
    /// NaN inputs whose output was not NaN.
    public var nanNotPropagated: UInt64 { statistics.nan_not_propagated }
    /// tanh only (0 for sigmoid): inputs where tanh(-x) is not -tanh(x) bit for bit.
    public var oddnessViolations: UInt64 { function == .tanh ? statistics.odd_violations : 0 }
    /// CPU seconds spent in the implementation and its statistics.
    public var cpuSeconds: Double { statistics.seconds }

    /// The special values of the contract, each checked on a handful of inputs.
    public var specialValues: [SpecialValueCheck] {
        zip(Self.specialNames, specials).map {
            SpecialValueCheck(name: $0, passed: $1.pass != 0, input: $1.x, output: $1.y, expected: $1.expected)
        }
    }

    /// The promises every tier makes that this implementation breaks, one sentence each.
    public var invariantFailures: [String] {
        var f: [String] = []
        let s = statistics
        if s.monotonicity_violations > 0 {
            f.append("\(s.monotonicity_violations) monotonicity violations (first at x = \(format(s.first_violation_x)))")
        }
        if s.out_of_range > 0 {
            f.append("\(s.out_of_range) outputs out of range (first at x = \(format(s.first_out_of_range_x)))")
        }
        if s.nonfinite > 0 { f.append("\(s.nonfinite) NaN/inf for finite input (first at x = \(format(s.first_nonfinite_x)))") }
        if s.nan_not_propagated > 0 {
            f.append("\(s.nan_not_propagated) of \(s.nan_inputs) NaN inputs did not give NaN (first 0x\(String(s.first_nan_not_propagated_bits, radix: 16)))")
        }
        if function == .tanh && s.odd_violations > 0 {
            f.append("\(s.odd_violations) oddness violations (first at x = \(format(s.first_odd_violation_x)))")
        }
        for check in specialValues where !check.passed {
            f.append("special \(check.name): f(\(format(check.input))) = \(format(check.output)), expected \(format(check.expected))")
        }
        return f
    }

    /// The bound of `tier`, as a sentence, if this implementation breaks it.
    public func boundFailure(_ tier: Tier) -> String? {
        switch tier.bound {
        case .ulp(let n) where statistics.max_ulp > n:
            "max ulp \(statistics.max_ulp) at x = \(format(statistics.max_ulp_x)) breaks \(tier.bound)"
        case .absolute(let e) where !(statistics.max_abs <= e):
            "max abs \(String(format: "%.3g", statistics.max_abs)) at x = \(format(statistics.max_abs_x)) breaks \(tier.bound)"
        default: nil
        }
    }

    /// Whether the whole contract of `tier` holds on the inputs swept, and what broke it if not.
    public func verdict(for tier: Tier) -> ContractVerdict {
        ContractVerdict(tier: tier, failures: (boundFailure(tier).map { [$0] } ?? []) + invariantFailures)
    }

    /// The tightest tier whose whole contract holds (precise before fast before approximate), or nil.
    public var tightestTier: Tier? {
        invariantFailures.isEmpty ? Tier.allCases.first { boundFailure($0) == nil } : nil
    }
}
