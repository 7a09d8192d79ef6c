import CKernelsEval
import Foundation

/// A buffer function of C's shape `void f(const float *x, float *y, size_t n)`: y[i] = f(x[i]) for
/// i < n. It must be callable from several threads at once.
public typealias BufferFunction = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void

/// Why a sweep produced no report.
public enum AccuracySweepError: Error, CustomStringConvertible {
    /// The implementation ended the process that ran it (an isolated sweep's child).
    case crashed(ImplementationCrash)
    /// The sweep could not start its threads, or its child process.
    case couldNotStart

    /// The reason in a sentence.
    public var description: String {
        switch self {
        case .crashed(let crash): "the implementation \(crash)"
        case .couldNotStart: "the sweep could not start its threads or its child process"
        }
    }
}

/// Where an implementation crashed in an isolated sweep.
public struct ImplementationCrash: Sendable, CustomStringConvertible {
    /// The signal that ended the process (11 for SIGSEGV), or nil when it exited.
    public let signal: Int32?
    /// The exit status when it exited instead of returning.
    public let exitStatus: Int32
    /// The inputs of the call it died in, narrowed by repeating the call on halves of them; one
    /// input when that input alone crashes it, empty when it died outside a call.
    public let inputs: ClosedRange<Float>?
    /// How many inputs the narrowed call had.
    public let inputCount: Int
    /// The index of the implementation among those swept together.
    public let subject: Int

    package init(_ c: ck_eval_crash) {
        signal = c.signal != 0 ? c.signal : nil
        exitStatus = c.exit_status
        subject = c.in_call != 0 ? c.subject : 0
        inputCount = c.in_call != 0 ? c.n : 0
        inputs = c.in_call != 0 ? Swift.min(c.first_x, c.last_x)...Swift.max(c.first_x, c.last_x) : nil
    }

    /// "crashed with signal 11 (Segmentation fault) on the input x = 1.5".
    public var description: String {
        let how = signal.map { "crashed with signal \($0) (\(String(cString: strsignal($0))))" }
            ?? "exited with status \(exitStatus) instead of returning"
        guard let inputs else { return how + " outside any call of it" }
        if inputCount == 1 { return how + " on the input x = \(format(inputs.lowerBound)) (alone it crashes too)" }
        return how + " in a call on \(inputCount) inputs from \(format(inputs.lowerBound)) to \(format(inputs.upperBound))"
    }
}

/// Sweeps of one implementation of sigmoid or tanh over many floats: the statistics of
/// ``AccuracyReport`` and the contract's verdict for any tier, as `gatekernels accuracy` measures
/// GateKernels' own kernels.
///
/// ```swift
/// let report = try AccuracySweep.run(.sigmoid, over: .allFloats) { x in 0.5 + 0.5 * Foundation.tanh(0.5 * x) }
/// print(report.maxULP, report.verdict(for: .fast).holds)
/// ```
///
/// The engine keeps no global state: sweeps may run from several threads at once. Each sweep uses
/// `threads` threads of its own, which call the implementation concurrently.
public enum AccuracySweep {
    /// Sweeps a function of one float.
    /// - Parameters:
    ///   - function: What `f` approximates.
    ///   - inputs: The floats to evaluate (NaN patterns too when the set spans the whole line, strided alike).
    ///   - threads: Sweep threads (default: the machine's cores).
    ///   - isolated: Run in a child process, so that a crash throws ``AccuracySweepError/crashed(_:)``
    ///     instead of ending this process (POSIX only).
    ///   - f: The implementation; called from several threads at once.
    public static func run(_ function: ActivationFunction, over inputs: InputSet = .allFloats, threads: Int? = nil,
                           isolated: Bool = false, _ f: @escaping @Sendable (Float) -> Float) throws -> AccuracyReport {
        try run(function, over: inputs, threads: threads, isolated: isolated) { (x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) in
            for i in x.indices { y[i] = f(x[i]) }
        }
    }

    /// Sweeps a function of buffers (vector code: `x` and `y` have equal lengths of at most 8192).
    /// - Parameters:
    ///   - function: What `f` approximates.
    ///   - inputs: The floats to evaluate.
    ///   - threads: Sweep threads (default: the machine's cores).
    ///   - isolated: Run in a child process (as for a function of one float).
    ///   - f: Writes f(x[i]) to y[i]; called from several threads at once.
    public static func run(_ function: ActivationFunction, over inputs: InputSet = .allFloats, threads: Int? = nil,
                           isolated: Bool = false,
                           _ f: @escaping @Sendable (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) throws -> AccuracyReport {
        let box = Box(f)
        let impl: ck_eval_impl = { x, y, n, ctx in
            Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue().f(UnsafeBufferPointer(start: x, count: n),
                                                                    UnsafeMutableBufferPointer(start: y, count: n))
        }
        return try withExtendedLifetime(box) {
            try run(function, over: inputs, threads: threads, isolated: isolated,
                    ck_eval_subject(impl: impl, ctx: Unmanaged.passUnretained(box).toOpaque()))
        }
    }

    /// Sweeps a C function, such as one of a ``Plugin``.
    /// - Parameters:
    ///   - function: What `f` approximates.
    ///   - inputs: The floats to evaluate.
    ///   - threads: Sweep threads (default: the machine's cores).
    ///   - isolated: Run in a child process (as for a function of one float).
    ///   - cFunction: The implementation; called from several threads at once.
    public static func run(_ function: ActivationFunction, over inputs: InputSet = .allFloats, threads: Int? = nil,
                           isolated: Bool = false, cFunction: BufferFunction) throws -> AccuracyReport {
        var fn: ck_eval_plain_fn? = cFunction
        return try withUnsafeMutablePointer(to: &fn) { p in
            try run(function, over: inputs, threads: threads, isolated: isolated,
                    ck_eval_subject(impl: ck_eval_call_plain, ctx: UnsafeMutableRawPointer(p)))
        }
    }

    private final class Box: Sendable {
        let f: @Sendable (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
        init(_ f: @escaping @Sendable (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) { self.f = f }
    }

    private static func run(_ function: ActivationFunction, over inputs: InputSet, threads: Int?, isolated: Bool,
                            _ subject: ck_eval_subject) throws -> AccuracyReport {
        let threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        precondition(threads >= 1, "AccuracySweep: threads must be at least 1")
        var subjects = [subject]
        var range = ck_eval_range(first: inputs.first, last: inputs.last, stride: inputs.stride, threads: Int32(threads),
                                  include_nans: inputs.first == 0 && inputs.last == InputSet.orderedCount - 1 ? 1 : 0,
                                  progress: nil, progress_ctx: nil)
        let results = try sweep(function, &subjects, &range, isolated: isolated)
        return AccuracyReport(function: function, inputs: inputs, statistics: results.stats[0], specials: results.specials[0])
    }

    /// The engine's sweep of several subjects at once, in this process or a child: the statistics and
    /// special values of each. The command-line tool's sweeps go through here too.
    package static func sweep(_ function: ActivationFunction, _ subjects: inout [ck_eval_subject], _ range: inout ck_eval_range,
                              isolated: Bool) throws(AccuracySweepError) -> (stats: [ck_eval_stats], specials: [[ck_special_result]]) {
        let k = Int(CK_SPECIAL_COUNT.rawValue)
        var stats = [ck_eval_stats](repeating: ck_eval_stats(), count: subjects.count)
        var specials = [ck_special_result](repeating: ck_special_result(), count: k * subjects.count)
        if isolated {
            var crash = ck_eval_crash()
            switch ck_eval_sweep_isolated(function.c, subjects, subjects.count, &range, &stats, &specials, &crash) {
            case 0: break
            case 1: throw .crashed(ImplementationCrash(crash))
            default: throw .couldNotStart
            }
        } else {
            guard ck_eval_sweep_many(function.c, subjects, subjects.count, &range, &stats) == 0 else { throw .couldNotStart }
            for (j, s) in subjects.enumerated() {
                specials.withUnsafeMutableBufferPointer { _ = ck_eval_specials(function.c, s.impl, s.ctx, $0.baseAddress! + j * k) }
            }
        }
        return (stats, (0..<subjects.count).map { Array(specials[$0 * k..<($0 + 1) * k]) })
    }
}
