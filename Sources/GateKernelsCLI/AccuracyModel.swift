import ArgumentParser
import CKernels
import CKernelsEval
import Foundation
import GateKernels
import GateKernelsEval
import CPeers

/// One implementation under test: a kernel of the registry (an f32 tier on an ISA), a zoo entry, a plug-in (`--impl`) or an
/// installed peer library's function (`--peers`).
final class Subject {
    enum Kind {
        case kernel(UnaryKernel)
        case zoo
        case plugin(Plugin)
        case peer(peers_entry)
    }

    let function: ActivationFunction
    let kind: Kind
    /// Short name: "fast/avx512", the zoo entry's or peer's name, or a plug-in's "libmine.so:my_sigmoid".
    let name: String
    /// What it is, for legends and tables.
    let label: String
    let impl: ck_eval_impl
    /// The tier whose whole contract it is held to: a kernel's own, or `--bound` for plug-ins and peers.
    let contractTier: Tier?
    /// The context `impl` reads: the registry's kernel, or the plain function of a plug-in or peer.
    private let context_: UnsafeMutableRawPointer?

    /// An f32 kernel forced onto an ISA.
    init(kernel: UnaryKernel) {
        function = kernel.function
        kind = .kernel(kernel)
        name = kernel.description
        label = "GateKernels \(kernel.tier) (\(kernel.isa.map { "\($0)" } ?? "active ISA"))"
        (impl, context_) = kernel.evalSubject()
        contractTier = kernel.tier
    }

    init(zoo entry: ck_zoo_entry) {
        function = entry.func == CK_FUNC_SIGMOID ? .sigmoid : .tanh
        kind = .zoo
        name = String(cString: entry.name)
        label = String(cString: entry.label)
        impl = entry.impl
        contractTier = nil
        context_ = nil
    }

    /// A function that is not ours, run through ck_eval_call_plain.
    private init(function: ActivationFunction, kind: Kind, name: String, label: String, plain: ck_eval_plain_fn, bound: Tier?) {
        self.function = function
        self.kind = kind
        self.name = name
        self.label = label
        impl = ck_eval_call_plain
        contractTier = bound
        let fn = UnsafeMutablePointer<ck_eval_plain_fn>.allocate(capacity: 1)
        fn.initialize(to: plain)
        context_ = UnsafeMutableRawPointer(fn)
    }

    convenience init(function: ActivationFunction, plugin: Plugin, bound: Tier?) {
        self.init(function: function, kind: .plugin(plugin), name: "\((plugin.path as NSString).lastPathComponent):\(plugin.symbol)",
                  label: "plug-in \(plugin.path):\(plugin.symbol)", plain: plugin.function, bound: bound)
    }

    convenience init(peer entry: peers_entry, bound: Tier?) {
        self.init(function: entry.is_tanh != 0 ? .tanh : .sigmoid, kind: .peer(entry), name: String(cString: entry.name),
                  label: String(cString: entry.label), plain: entry.fn, bound: bound)
    }

    deinit { context_?.deallocate() }

    var context: UnsafeMutableRawPointer? { context_ }

    var tier: Tier? { if case .kernel(let k) = kind { k.tier } else { nil } }
    var isa: ISA? { if case .kernel(let k) = kind { k.isa } else { nil } }
    /// Code we did not write: swept in a child process, so that a crash is reported, not suffered.
    var isForeign: Bool { switch kind { case .plugin, .peer: true; case .kernel, .zoo: false } }

    /// The zoo entries for `function`, in the zoo's order.
    static func zoo(_ function: ActivationFunction) -> [Subject] {
        (0..<ck_zoo_count()).compactMap { i in
            let entry = ck_zoo_entry_at(i)!.pointee
            return entry.func == function.c ? Subject(zoo: entry) : nil
        }
    }

    /// The installed peers' implementations of `function` (SLEEF, XNNPACK, libmvec: Benchmarks/peers/cpeers.c).
    static func peers(_ function: ActivationFunction, bound: Tier?) -> [Subject] {
        installedPeers(function).map { Subject(peer: $0, bound: bound) }
    }

    /// Runs the implementation on a buffer.
    func evaluate(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        impl(x, y, n, context)
    }
}

/// The installed peer libraries' implementations of `function`, in cpeers.c's order: what
/// `accuracy --peers` sweeps and `bench` times (its SLEEF jobs).
func installedPeers(_ function: ActivationFunction) -> [peers_entry] {
    var entries: UnsafePointer<peers_entry>?
    let n = peers_installed(&entries)
    return (0..<n).map { entries![$0] }.filter { ($0.is_tanh != 0) == (function == .tanh) }
}

/// The statistics of one subject over one input set, with its special-value checks.
struct Result {
    let subject: Subject
    let report: AccuracyReport
    /// Wall time of this subject's own sweep (with --separate; nil when it shared a sweep).
    var sweepSeconds: Double? = nil

    var stats: ck_eval_stats { report.statistics }
    var specials: [ck_special_result] { report.specials }
    var histogram: [UInt64] { report.ulpHistogram }
    var meanAbs: Double { report.meanAbsoluteError }
    var exactPercent: Double { stats.inputs == 0 ? 0 : 100 * Double(stats.exact) / Double(stats.inputs) }
    var specialsPassed: Int { specials.filter { $0.pass != 0 }.count }

    static var specialNames: [String] { AccuracyReport.specialNames }

    /// Every broken promise of the contract it is held to (empty: it holds, or it is held to none).
    var contractFailures: [String] { subject.contractTier.map { report.verdict(for: $0).failures } ?? [] }

    /// The tightest tier whose whole contract this implementation meets ("none" if not even approximate).
    var meets: String { report.tightestTier?.description ?? "none" }
}

/// One function's sweep: all its subjects against one shared reference.
struct Sweep {
    let function: ActivationFunction
    let inputs: InputSet
    let threads: Int
    let wallSeconds: Double
    var results: [Result]

    /// One sweep per subject, each with its own reference, so that each one's wall time is its own.
    static func separate(_ function: ActivationFunction, _ subjects: [Subject], inputs: InputSet, threads: Int) throws -> Sweep {
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

/// Sweeps `subjects` (all of one function) over `inputs` with `threads` threads; progress on a
/// terminal. With a plug-in or a peer among them, the sweep runs in a child process
/// (ck_eval_sweep_isolated): their crash becomes an error naming them and the input, not ours.
func runSweep(_ function: ActivationFunction, _ subjects: [Subject], inputs: InputSet, threads: Int) throws -> Sweep {
    var cSubjects = subjects.map { ck_eval_subject(impl: $0.impl, ctx: $0.context) }
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
    let outcome = withExtendedLifetime(line) {
        Swift.Result { () throws(AccuracySweepError) in
            try AccuracySweep.sweep(function, &cSubjects, &range, isolated: subjects.contains(where: \.isForeign))
        }
    }
    let wall = Date().timeIntervalSince(start)
    line?.finish()
    let (stats, specials): ([ck_eval_stats], [[ck_special_result]])
    switch outcome {
    case .success(let r): (stats, specials) = r
    case .failure(.crashed(let crash)): throw RunFailure("\(subjects[crash.subject].label) \(crash)")
    case .failure(let error): throw RunFailure("the \(function) sweep: \(error)")
    }
    let results = subjects.indices.map { i in
        Result(subject: subjects[i], report: AccuracyReport(function: function, inputs: inputs, statistics: stats[i], specials: specials[i]))
    }
    return Sweep(function: function, inputs: inputs, threads: threads, wallSeconds: wall, results: results)
}

/// A run that failed (exit status 1), with the reason.
struct RunFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Median time per element of each subject on the same 16K-element buffer of inputs uniform in
/// [-10, 10], in nanoseconds: the subjects timed as every timing of `gatekernels` is (TimedJob,
/// interleavedTimes), so that machine noise hits them alike.
func measureThroughput(_ subjects: [Subject], batches: Int = 15) -> [Double] {
    let n = 16384
    let x = uniformInputs(n)
    var y = [Float](repeating: 0, count: n)
    return x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { yb in
            let xp = xb.baseAddress!, yp = yb.baseAddress!
            let jobs = subjects.map { s in TimedJob(footprint: 8 * n, batchSeconds: 2e-3) { s.evaluate(xp, yp, n) } }
            return interleavedTimes(jobs, batches: batches).map { Summary($0).median * 1e9 / Double(n) }
        }
    }
}
