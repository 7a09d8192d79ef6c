import ArgumentParser
import CKernels
import CKernelsEval
import Foundation
import GateKernels

/// The function an implementation computes.
enum Function: String, CaseIterable, Sendable {
    case sigmoid, tanh

    var c: ck_func { self == .sigmoid ? CK_FUNC_SIGMOID : CK_FUNC_TANH }
}

extension ISA {
    /// The C enumerator of this instruction set.
    var cISA: ck_isa {
        switch self {
        case .scalar: CK_ISA_SCALAR
        case .avx2: CK_ISA_AVX2
        case .avx512: CK_ISA_AVX512
        case .neon: CK_ISA_NEON
        }
    }
}

extension Tier {
    var cTier: ck_tier { ck_tier(rawValue: UInt32(rawValue)) }

    /// The tier's error bound from the contract of docs/design.md, as a sentence.
    var boundDescription: String {
        switch self {
        case .precise: "max ulp <= \(Contract.preciseULP)"
        case .fast: "max ulp <= \(Contract.fastULP)"
        case .approximate: "max abs <= \(Contract.approximateAbs)"
        }
    }
}

/// The error bounds of docs/design.md ("Tiers and bounds").
enum Contract {
    static let preciseULP: UInt32 = 2
    static let fastULP: UInt32 = 4
    static let approximateAbs = 2e-4
}

/// The function, tier and ISA a kernel subject runs; read by `kernelImpl` from the sweep's context.
struct KernelSpec {
    var function: ck_func
    var tier: ck_tier
    var isa: ck_isa
}

/// The C callback that runs one GateKernels kernel on a forced ISA (never the process-wide one).
func kernelImpl() -> ck_eval_impl {
    { x, y, n, ctx in
        let spec = ctx!.assumingMemoryBound(to: KernelSpec.self).pointee
        let status = spec.function == CK_FUNC_SIGMOID
            ? ck_sigmoid_f32_isa(x, y, n, spec.tier, spec.isa)
            : ck_tanh_f32_isa(x, y, n, spec.tier, spec.isa)
        precondition(status == CK_OK, "kernel call failed: \(String(cString: ck_status_string(status)))")
    }
}

/// One implementation under test: a tier on an ISA, or a zoo entry.
final class Subject {
    enum Kind {
        case kernel(Tier, ISA)
        case zoo
    }

    let function: Function
    let kind: Kind
    /// Short name: "fast/avx512", or the zoo entry's name.
    let name: String
    /// What it is, for legends and tables.
    let label: String
    let impl: ck_eval_impl
    private let spec: UnsafeMutablePointer<KernelSpec>?

    init(function: Function, tier: Tier, isa: ISA) {
        self.function = function
        kind = .kernel(tier, isa)
        name = "\(tier)/\(isa)"
        label = "GateKernels \(tier) (\(isa))"
        impl = kernelImpl()
        let spec = UnsafeMutablePointer<KernelSpec>.allocate(capacity: 1)
        spec.initialize(to: KernelSpec(function: function.c, tier: tier.cTier, isa: isa.cISA))
        self.spec = spec
    }

    init(zoo entry: ck_zoo_entry) {
        function = entry.func == CK_FUNC_SIGMOID ? .sigmoid : .tanh
        kind = .zoo
        name = String(cString: entry.name)
        label = String(cString: entry.label)
        impl = entry.impl
        spec = nil
    }

    deinit { spec?.deallocate() }

    var context: UnsafeMutableRawPointer? { spec.map { UnsafeMutableRawPointer($0) } }

    var tier: Tier? { if case .kernel(let t, _) = kind { t } else { nil } }
    var isa: ISA? { if case .kernel(_, let i) = kind { i } else { nil } }

    /// The zoo entries for `function`, in the zoo's order.
    static func zoo(_ function: Function) -> [Subject] {
        (0..<ck_zoo_count()).compactMap { i in
            let entry = ck_zoo_entry_at(i)!.pointee
            return entry.func == function.c ? Subject(zoo: entry) : nil
        }
    }

    /// Runs the implementation on a buffer.
    func evaluate(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        impl(x, y, n, context)
    }
}

/// The set of inputs a sweep covers.
struct InputSet {
    var first: UInt64
    var last: UInt64
    var stride: UInt64

    static let everything = InputSet(first: 0, last: CK_ORDERED_COUNT - 1, stride: 1)

    var count: UInt64 { (last - first) / stride + 1 }
    var isExhaustive: Bool { first == 0 && last == CK_ORDERED_COUNT - 1 && stride == 1 }
    var firstX: Float { ck_ordered_float(first) }
    var lastX: Float { ck_ordered_float(last) }

    var description: String {
        let span = first == 0 && last == CK_ORDERED_COUNT - 1
            ? "from -inf to +inf" : "in [\(fmt(firstX)), \(fmt(lastX))]"
        if stride == 1 { return isExhaustive ? "every float (all 2^32 bit patterns)" : "every float \(span)" }
        return "every \(ordinal(stride)) float \(span)"
    }
}

private func ordinal(_ n: UInt64) -> String {
    let suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : ["th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"][Int(n % 10)]
    return "\(n)\(suffix)"
}

/// A float for people: shortest round-trip form.
func fmt(_ x: Float) -> String { x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : "\(x)" }
/// A double to three significant digits.
func fmt3(_ v: Double) -> String { v.isInfinite ? "inf" : v.isNaN ? "nan" : String(format: "%.3g", v) }

/// The statistics of one subject over one input set, with its special-value checks.
struct Result {
    let subject: Subject
    let stats: ck_eval_stats
    let specials: [ck_special_result]
    /// Wall time of this subject's own sweep (with --separate; nil when it shared a sweep).
    var sweepSeconds: Double? = nil

    var histogram: [UInt64] { withUnsafeBytes(of: stats.hist) { Array($0.bindMemory(to: UInt64.self)) } }
    var meanAbs: Double { stats.inputs == 0 ? 0 : stats.sum_abs / Double(stats.inputs) }
    var exactPercent: Double { stats.inputs == 0 ? 0 : 100 * Double(stats.exact) / Double(stats.inputs) }
    var specialsPassed: Int { specials.filter { $0.pass != 0 }.count }

    static let specialNames: [String] = (0..<Int(CK_SPECIAL_COUNT.rawValue)).map {
        String(cString: ck_special_name(ck_special(rawValue: UInt32($0))))
    }

    /// The contract's checks that hold for every tier; each broken one as a sentence.
    var invariantFailures: [String] {
        var f: [String] = []
        let s = stats
        if s.monotonicity_violations > 0 {
            f.append("\(s.monotonicity_violations) monotonicity violations (first at x = \(fmt(s.first_violation_x)))")
        }
        if s.out_of_range > 0 {
            f.append("\(s.out_of_range) outputs out of range (first at x = \(fmt(s.first_out_of_range_x)))")
        }
        if s.nonfinite > 0 { f.append("\(s.nonfinite) NaN/inf for finite input (first at x = \(fmt(s.first_nonfinite_x)))") }
        if s.nan_not_propagated > 0 {
            f.append("\(s.nan_not_propagated) of \(s.nan_inputs) NaN inputs did not give NaN (first 0x\(String(s.first_nan_not_propagated_bits, radix: 16)))")
        }
        if subject.function == .tanh && s.odd_violations > 0 {
            f.append("\(s.odd_violations) oddness violations (first at x = \(fmt(s.first_odd_violation_x)))")
        }
        for (i, r) in specials.enumerated() where r.pass == 0 {
            f.append("special \(Result.specialNames[i]): f(\(fmt(r.x))) = \(fmt(r.y)), expected \(fmt(r.expected))")
        }
        return f
    }

    /// The bound of `tier` if it is broken, as a sentence.
    func boundFailure(_ tier: Tier) -> String? {
        switch tier {
        case .precise where stats.max_ulp > Contract.preciseULP,
             .fast where stats.max_ulp > Contract.fastULP:
            "max ulp \(stats.max_ulp) at x = \(fmt(stats.max_ulp_x)) breaks \(tier.boundDescription)"
        case .approximate where !(stats.max_abs <= Contract.approximateAbs):
            "max abs \(fmt3(stats.max_abs)) at x = \(fmt(stats.max_abs_x)) breaks \(tier.boundDescription)"
        default: nil
        }
    }

    /// For a kernel: every broken promise of its tier's contract (empty: it holds).
    var contractFailures: [String] {
        guard let tier = subject.tier else { return [] }
        return (boundFailure(tier).map { [$0] } ?? []) + invariantFailures
    }

    /// The tightest tier whose whole contract this implementation meets ("none" if not even approximate).
    var meets: String {
        guard invariantFailures.isEmpty else { return "none" }
        return Tier.allCases.first { boundFailure($0) == nil }?.description ?? "none"
    }
}

/// One function's sweep: all its subjects against one shared reference.
struct Sweep {
    let function: Function
    let inputs: InputSet
    let threads: Int
    let wallSeconds: Double
    var results: [Result]

    /// One sweep per subject, each with its own reference, so that each one's wall time is its own.
    static func separate(_ function: Function, _ subjects: [Subject], inputs: InputSet, threads: Int) throws -> Sweep {
        var results: [Result] = []
        for s in subjects {
            let one = try runSweep(function, [s], inputs: inputs, threads: threads)
            results.append(contentsOf: one.results.map { r in
                var r = r
                r.sweepSeconds = one.wallSeconds
                return r
            })
        }
        return Sweep(function: function, inputs: inputs, threads: threads,
                     wallSeconds: results.reduce(0) { $0 + ($1.sweepSeconds ?? 0) }, results: results)
    }
}

/// A progress line on standard error, rewritten in place, with the seconds elapsed. Made only when
/// standard error is a terminal, so progress never lands in a pipe or a log file.
final class ProgressLine {
    let title: String
    let start = Date()

    private init(title: String) { self.title = title }

    static func onTerminal(title: String) -> ProgressLine? {
        isatty(STDERR_FILENO) != 0 ? ProgressLine(title: title) : nil
    }

    var elapsed: Double { Date().timeIntervalSince(start) }

    func show(_ status: String) {
        FileHandle.standardError.write(Data(String(format: "\r%@: %@  %.0f s\u{1B}[K", title, status, elapsed).utf8))
    }

    /// A sweep's progress: share done, rate and ETA.
    func update(done: UInt64, total: UInt64) {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let pct = total == 0 ? 100 : 100 * Double(done) / Double(total)
        show(String(format: "%5.1f%%  %.1f M inputs/s  ETA %.0f s", pct, rate / 1e6, eta))
    }

    func finish() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}

/// Sweeps `subjects` (all of one function) over `inputs` with `threads` threads; progress on a terminal.
func runSweep(_ function: Function, _ subjects: [Subject], inputs: InputSet, threads: Int) throws -> Sweep {
    var cSubjects = subjects.map { ck_eval_subject(impl: $0.impl, ctx: $0.context) }
    var stats = [ck_eval_stats](repeating: ck_eval_stats(), count: subjects.count)
    let title = subjects.count == 1 ? "\(function) \(subjects[0].name)" : "\(function) (\(subjects.count) implementations)"
    let line = ProgressLine.onTerminal(title: title)
    var range = ck_eval_range(first: inputs.first, last: inputs.last, stride: inputs.stride,
                              threads: Int32(threads), include_nans: 1, progress: nil, progress_ctx: nil)
    if let line {
        range.progress = { done, total, ctx in
            Unmanaged<ProgressLine>.fromOpaque(ctx!).takeUnretainedValue().update(done: done, total: total)
        }
        range.progress_ctx = Unmanaged.passUnretained(line).toOpaque()
    }
    let start = Date()
    let rc = withExtendedLifetime(line) {
        ck_eval_sweep_many(function.c, &cSubjects, cSubjects.count, &range, &stats)
    }
    let wall = Date().timeIntervalSince(start)
    line?.finish()
    guard rc == 0 else { throw ValidationError("the \(function) sweep failed to start its threads") }
    let results = zip(subjects, stats).map { subject, s in
        var specials = [ck_special_result](repeating: ck_special_result(), count: Int(CK_SPECIAL_COUNT.rawValue))
        ck_eval_specials(function.c, subject.impl, subject.context, &specials)
        return Result(subject: subject, stats: s, specials: specials)
    }
    return Sweep(function: function, inputs: inputs, threads: threads, wallSeconds: wall, results: results)
}

/// Median time per element of each subject on the same 16K-element buffer of inputs uniform in
/// [-10, 10], in nanoseconds; the subjects are timed in interleaved rounds so that machine noise
/// hits them alike.
func measureThroughput(_ subjects: [Subject], rounds: Int = 15) -> [Double] {
    let n = 16384
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let x: [Float] = (0..<n).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * 20 - 10
    }
    var y = [Float](repeating: 0, count: n)
    var samples = [[Double]](repeating: [], count: subjects.count)
    x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { yb in
            for s in subjects { s.evaluate(xb.baseAddress!, yb.baseAddress!, n) } // warm up
            for _ in 0..<rounds {
                for (i, s) in subjects.enumerated() {
                    let reps = 20
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<reps { s.evaluate(xb.baseAddress!, yb.baseAddress!, n) }
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    samples[i].append(Double(t1 - t0) / Double(reps * n))
                }
            }
        }
    }
    return samples.map { $0.sorted()[$0.count / 2] }
}
