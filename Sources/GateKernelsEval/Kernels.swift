import CKernels
import Foundation
import CKernelsEval
import GateKernels

/// The storage format of a unary kernel's inputs and results.
public enum StorageFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE binary32, `Float`.
    case f32
    /// bfloat16 bit patterns.
    case bf16
    /// IEEE binary16 bit patterns.
    case f16

    /// `f32`, `bf16` or `f16`.
    public var description: String { rawValue }

    /// The engine's name of a half format; nil for f32.
    package var half: ck_eval_format? {
        switch self {
        case .f32: nil
        case .bf16: CK_EVAL_BF16
        case .f16: CK_EVAL_F16
        }
    }

    /// Bytes per element.
    public var bytes: Int { self == .f32 ? 4 : 2 }

    /// `values` rounded to this half format (to nearest even, by the engine's rounding): inputs for
    /// the half-format kernels.
    package func bits(_ values: [Float]) -> [UInt16] {
        guard let half else { preconditionFailure("StorageFormat.bits: f32 has no 16-bit patterns") }
        var nearTies: UInt32 = 0 // inputs, not references: a tie is rounded like any other value
        return values.map { ck_half_round(half, Double($0), &nearTies) }
    }
}

/// One sigmoid or tanh kernel of GateKernels: function × tier × instruction set × storage format,
/// its C entry point and the bound its contract promises. ``all(functions:tiers:isas:formats:)`` is
/// the one list of them that `gatekernels report`, `accuracy` and `bench`, the tests and the
/// benchmarks enumerate.
public struct UnaryKernel: Sendable, Hashable, CustomStringConvertible {
    /// Sigmoid or tanh.
    public let function: ActivationFunction
    /// The accuracy tier.
    public let tier: Tier
    /// The instruction set it is forced onto; nil: the active one (the entry point without `_isa`).
    public let isa: ISA?
    /// The storage format of its inputs and results.
    public let format: StorageFormat

    /// The kernel of `function` and `tier` on `isa` (nil: the active one) in `format`.
    public init(_ function: ActivationFunction, _ tier: Tier, isa: ISA? = nil, format: StorageFormat = .f32) {
        self.function = function
        self.tier = tier
        self.isa = isa
        self.format = format
    }

    /// Every kernel of the choices, format by format, then function, tier and ISA (ISA fastest).
    public static func all(functions: [ActivationFunction] = ActivationFunction.allCases, tiers: [Tier] = Tier.allCases,
                           isas: [ISA?] = [nil], formats: [StorageFormat] = [.f32]) -> [UnaryKernel] {
        formats.flatMap { format in
            functions.flatMap { f in tiers.flatMap { t in isas.map { UnaryKernel(f, t, isa: $0, format: format) } } }
        }
    }

    /// "fast/avx512" (f32), "bf16 fast/avx512"; without an ISA, "fast" and "bf16 fast".
    public var description: String {
        (format == .f32 ? "" : "\(format) ") + "\(tier)" + (isa.map { "/\($0)" } ?? "")
    }

    /// The bound of its contract (ckernels.h): the tier's for f32; for a half format 1 ulp of the
    /// format (precise, fast; plus correctly rounded for at least 99.9% of the inputs) or 2e-4 plus
    /// half an ulp of the format (approximate).
    public var bound: ErrorBound {
        format == .f32 || tier == .approximate ? tier.bound : .ulp(1)
    }

    typealias FloatEntry = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int, ck_tier, ck_isa) -> ck_status
    typealias HalfEntry = @convention(c) (UnsafePointer<UInt16>?, UnsafeMutablePointer<UInt16>?, Int, ck_tier, ck_isa) -> ck_status

    private var floatEntry: FloatEntry { function == .sigmoid ? ck_sigmoid_f32_isa : ck_tanh_f32_isa }
    private var halfEntry: HalfEntry {
        switch (function, format) {
        case (.sigmoid, .bf16): ck_sigmoid_bf16_isa
        case (.tanh, .bf16): ck_tanh_bf16_isa
        case (.sigmoid, _): ck_sigmoid_f16_isa
        case (.tanh, _): ck_tanh_f16_isa
        }
    }

    /// Runs the f32 kernel on `n` floats: its C status.
    public func run(_ x: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?, _ n: Int) -> ck_status {
        precondition(format == .f32, "UnaryKernel.run: \(self) takes UInt16 bit patterns")
        return floatEntry(x, y, n, tier.c, isa?.c ?? CK_ISA_AUTO)
    }

    /// Runs the half-format kernel on `n` bit patterns: its C status.
    public func run(_ x: UnsafePointer<UInt16>?, _ y: UnsafeMutablePointer<UInt16>?, _ n: Int) -> ck_status {
        precondition(format != .f32, "UnaryKernel.run: \(self) takes Float")
        return halfEntry(x, y, n, tier.c, isa?.c ?? CK_ISA_AUTO)
    }

    /// The f32 kernel through the Swift API (`Activation.sigmoid` or `tanh` with its tier, on the
    /// active ISA, split as `parallelism` says): what users call, for benchmarks.
    public func callSwift(_ x: UnsafeBufferPointer<Float>, _ y: inout UnsafeMutableBufferPointer<Float>, parallelism: Parallelism) {
        precondition(format == .f32 && isa == nil, "UnaryKernel.callSwift: the Swift API runs f32 kernels on the active ISA")
        if function == .sigmoid {
            Activation.sigmoid(x, result: &y, tier: tier, parallelism: parallelism)
        } else {
            Activation.tanh(x, result: &y, tier: tier, parallelism: parallelism)
        }
    }

    /// The half-format kernel through the Swift API (`Activation.sigmoid` or `tanh` on `BFloat16` or
    /// `Float16` storage, on the active ISA, split as `parallelism` says): what users call, for benchmarks.
    public func callSwift(_ x: UnsafeBufferPointer<UInt16>, _ y: UnsafeMutableBufferPointer<UInt16>, parallelism: Parallelism) {
        precondition(format != .f32 && isa == nil, "UnaryKernel.callSwift: the Swift API runs half-format kernels on the active ISA")
        func call<H: HalfFloat>(_: H.Type) {
            let xh = UnsafeBufferPointer(start: UnsafeRawPointer(x.baseAddress)?.assumingMemoryBound(to: H.self), count: x.count)
            var yh = UnsafeMutableBufferPointer(start: UnsafeMutableRawPointer(y.baseAddress)?.assumingMemoryBound(to: H.self), count: y.count)
            if function == .sigmoid {
                Activation.sigmoid(xh, result: &yh, tier: tier, parallelism: parallelism)
            } else {
                Activation.tanh(xh, result: &yh, tier: tier, parallelism: parallelism)
            }
        }
        if format == .bf16 { return call(BFloat16.self) }
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        call(Float16.self)
        #else
        preconditionFailure("UnaryKernel.callSwift: Swift has no Float16 here")
        #endif
    }

    /// The f32 kernel as the engine calls it: `evalImpl` with a context that owns a copy of the kernel.
    package func evalSubject() -> (impl: ck_eval_impl, context: UnsafeMutableRawPointer) {
        precondition(format == .f32, "UnaryKernel.evalSubject: the float engine sweeps f32 kernels")
        let spec = UnsafeMutablePointer<FloatSpec>.allocate(capacity: 1)
        spec.initialize(to: FloatSpec(entry: floatEntry, tier: tier.c, isa: isa?.c ?? CK_ISA_AUTO))
        let impl: ck_eval_impl = { x, y, n, ctx in
            let s = ctx!.assumingMemoryBound(to: FloatSpec.self).pointee
            let status = s.entry(x, y, n, s.tier, s.isa)
            precondition(status == CK_OK, "kernel call failed: \(String(cString: ck_status_string(status)))")
        }
        return (impl, UnsafeMutableRawPointer(spec))
    }

    private struct FloatSpec {
        let entry: FloatEntry
        let tier: ck_tier
        let isa: ck_isa
    }
}

/// The statistics of a half-format kernel over all 65,536 inputs, by the rule of ck_eval_half
/// (CKernelsEval/src/half.c, the same that CKernels/tests/ck_test.c checks).
public struct HalfAccuracyReport: Sendable {
    /// The kernel measured.
    public let kernel: UnaryKernel
    /// Its statistics (ck_eval.h's ck_eval_half_stats).
    public let statistics: ck_eval_half_stats

    /// Runs `kernel` (a bf16 or f16 one) on every bit pattern and measures it.
    public init(_ kernel: UnaryKernel) {
        guard let format = kernel.format.half else { preconditionFailure("HalfAccuracyReport: \(kernel) is not a half-format kernel") }
        let x = (0..<Int(CK_HALF_COUNT)).map { UInt16($0) }
        var y = [UInt16](repeating: 0, count: x.count)
        let status = kernel.run(x, &y, x.count)
        precondition(status == CK_OK, "\(kernel): \(String(cString: ck_status_string(status)))")
        var s = ck_eval_half_stats()
        precondition(ck_eval_half(kernel.function.c, format, y, &s) == 0, "ck_eval_half")
        self.kernel = kernel
        statistics = s
    }

    /// The share of measured inputs whose result is the correctly rounded one, in percent.
    public var correctlyRoundedPercent: Double {
        statistics.measured == 0 ? 0 : 100 * Double(statistics.correct) / Double(statistics.measured)
    }

    /// Each broken promise of the kernel's half-format contract; empty when it holds.
    public var failures: [String] {
        let s = statistics
        var f: [String] = []
        func hex(_ h: UInt16) -> String { "0x" + String(h, radix: 16) }
        if ck_eval_half_within_bound([s], kernel.tier == .approximate ? 1 : 0) == 0 {
            f.append(kernel.tier == .approximate
                ? "\(s.over_abs) results beyond 2e-4 + half an ulp, first x=\(hex(s.over_abs_x))"
                : "max \(s.max_ulp) ulp at x=\(hex(s.max_ulp_x)), \(String(format: "%.3f", correctlyRoundedPercent))% correctly rounded")
        }
        if s.not_monotone > 0 { f.append("\(s.not_monotone) monotonicity violations") }
        if s.out_of_range > 0 { f.append("\(s.out_of_range) results out of range") }
        if s.bad_nan > 0 { f.append("\(s.bad_nan) NaN inputs whose result is not the input made quiet") }
        if s.not_odd > 0 { f.append("tanh(-x) != -tanh(x) at \(s.not_odd) inputs") }
        if s.specials_pass == 0 { f.append("special values (+-0, +-inf)") }
        if s.near_ties > 0 { f.append("\(s.near_ties) references too close to a rounding midpoint to decide") }
        return f
    }
}
