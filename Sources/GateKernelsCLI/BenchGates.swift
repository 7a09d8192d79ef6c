import ArgumentParser
import GateKernels
import GateKernelsEval
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct BenchGates: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-gates",
        abstract: "Fused LSTM/GRU gate updates: ns per hidden element (B·H) against separate activation passes, 1 vs 2 threads.",
        discussion: """
        Per shape and tier, every job is timed in one run as medians of interleaved batches, so the \
        ratios compare like with like even on a shared machine. The separate-passes baseline does \
        the LSTM training forward's work with the library's own calls: 3 sigmoid + 2 tanh over \
        gate-major buffers, plus the cell update and h = o tanh(c) as vectorized Swift loops.

        With --formats bf16 and f16, the same steps with the large per-step tensors in that format (the \
        cell state, workspaces and bias gradient in float) are timed in the same run: their time \
        against the f32 step's, and their 2-thread speed-up, which has to reach 1.7 wherever the f32 \
        step's does.

        Each ratio has a target; a ratio meets it when its median does, and the line says whether it \
        did. Missed targets do not change the exit status (timings on a shared machine vary).
        """
    )

    @Option(help: "Comma-separated BxH shapes.")
    var shapes = "64x512,256x1024,1x1024"

    @Option(help: "Comma-separated tiers: precise, fast, approximate, or all.")
    var tiers = "fast,approximate"

    @Option(help: "Comma-separated storage formats of the per-step tensors: f32, bf16, f16, or all. f32 is always timed: it is what the half formats are compared with.")
    var formats = "all"

    @OptionGroup var timing: BatchOptions

    @Flag(help: ArgumentHelp(
        "Time single-thread jobs by the calling thread's CPU time instead of wall time.",
        discussion: "On a machine shared with other work this leaves out the time the thread waited for a core; 2-thread jobs are then not timed."))
    var threadCPUTime = false

    func validate() throws {
        _ = try parseTiers(tiers)
        _ = try parseFormats(formats)
        _ = try shapeList()
    }

    func shapeList() throws -> [(B: Int, H: Int)] {
        try listItems(shapes, option: "--shapes").map { s in
            let parts = s.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let B = parts[0], let H = parts[1], B > 0, H > 0 else {
                throw ValidationError("--shapes: bad shape \(s); use BxH, e.g. 64x512")
            }
            return (B, H)
        }
    }

    func run() throws {
        let tierList = try parseTiers(tiers)
        let shapeList = try shapeList()
        let halfFormats = try parseFormats(formats).filter { $0 != .f32 }
        print("ISA \(ISA.active); ns per hidden element (B·H), median of \(timing.batches) interleaved batches (± interquartile spread)")
        print(Regime.legend)
        var verdicts: [Bool] = []
        for (B, H) in shapeList {
            for tier in tierList {
                verdicts += try benchmark(B: B, H: H, tier: tier, halfFormats: halfFormats)
            }
        }
        print("\ntargets met: \(verdicts.filter { $0 }.count) of \(verdicts.count)")
    }

    /// Times one shape and tier and prints its table; returns whether each target was met.
    func benchmark(B: Int, H: Int, tier: Tier, halfFormats: [StorageFormat]) throws -> [Bool] {
        let n = B * H
        let lstm1 = try LSTMCell(hiddenSize: H, tier: tier), lstm2 = try LSTMCell(hiddenSize: H, tier: tier, parallelism: .threads(2))
        let gru1 = try GRUCell(hiddenSize: H, tier: tier), gru2 = try GRUCell(hiddenSize: H, tier: tier, parallelism: .threads(2))
        let z = uniformInputs(4 * n, -4, 4), cp = uniformInputs(n, -2, 2, seed: 2), dh = uniformInputs(n, -1, 1, seed: 3)
        let dcn = uniformInputs(n, -1, 1, seed: 6)
        let x = uniformInputs(3 * n, -4, 4, seed: 4), hg = uniformInputs(3 * n, -4, 4, seed: 5)
        var c = [Float](repeating: 0, count: n), h = c, ws = [Float](repeating: 0, count: lstm1.workspaceCount(batch: B))
        var dz = [Float](repeating: 0, count: 4 * n), dcp = c, db = [Float](repeating: 0, count: 4 * H)
        var gws = [Float](repeating: 0, count: gru1.workspaceCount(batch: B)), dx = x, dhg = x, dhp = c
        lstm1.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h, workspace: &ws)
        gru1.forward(inputProjections: x, hiddenProjections: hg, previousHidden: cp, hidden: &h, workspace: &gws)
        // the baseline's gate-major inputs (one contiguous buffer per gate) and intermediates
        let zi = Array(z[0..<n]), zf = Array(z[n..<2 * n]), zg = Array(z[2 * n..<3 * n]), zo = Array(z[3 * n..<4 * n])
        var gi = c, gf = c, gg = c, go = c, tc = c

        var calls: [GateJob: () -> Void] = [
            .f32(.lstmInference): { lstm1.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h) },
            .f32(.lstmTraining): { lstm1.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h, workspace: &ws) },
            .f32(.lstmSeparatePasses): {
                Activation.sigmoid(zi, result: &gi, tier: tier)
                Activation.sigmoid(zf, result: &gf, tier: tier)
                Activation.tanh(zg, result: &gg, tier: tier)
                Activation.sigmoid(zo, result: &go, tier: tier)
                cellUpdate(gi, gf, gg, cp, &c)
                Activation.tanh(c, result: &tc, tier: tier)
                multiply(go, tc, &h)
            },
            .f32(.lstmBackward): {
                lstm1.backward(hiddenGradient: dh, nextCellGradient: dcn, workspace: ws, previousCell: cp,
                               preactivationGradient: &dz, previousCellGradient: &dcp, biasGradient: &db)
            },
            .f32(.gruInference): { gru1.forward(inputProjections: x, hiddenProjections: hg, previousHidden: cp, hidden: &h) },
            .f32(.gruTraining): { gru1.forward(inputProjections: x, hiddenProjections: hg, previousHidden: cp, hidden: &h, workspace: &gws) },
            .f32(.gruBackward): {
                gru1.backward(hiddenGradient: dh, workspace: gws, previousHidden: cp, inputProjectionGradient: &dx,
                              hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
            },
            .f32(.lstmTraining, threads: 2): { lstm2.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h, workspace: &ws) },
            .f32(.lstmBackward, threads: 2): {
                lstm2.backward(hiddenGradient: dh, nextCellGradient: dcn, workspace: ws, previousCell: cp,
                               preactivationGradient: &dz, previousCellGradient: &dcp, biasGradient: &db)
            },
            .f32(.gruTraining, threads: 2): { gru2.forward(inputProjections: x, hiddenProjections: hg, previousHidden: cp, hidden: &h, workspace: &gws) },
            .f32(.gruBackward, threads: 2): {
                gru2.backward(hiddenGradient: dh, workspace: gws, previousHidden: cp, inputProjectionGradient: &dx,
                              hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
            },
        ]
        let cells = (lstm: [1: lstm1, 2: lstm2], gru: [1: gru1, 2: gru2])
        for format in halfFormats {
            let inputs = HalfGateInputs(B: B, z: z, previousCell: cp, hiddenGradient: dh, nextCellGradient: dcn,
                                        inputProjections: x, hiddenProjections: hg)
            switch format {
            case .bf16: calls.merge(inputs.calls(BFloat16.self, format, cells.lstm, cells.gru)) { $1 }
            #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
            case .f16: calls.merge(inputs.calls(Float16.self, format, cells.lstm, cells.gru)) { $1 }
            #endif
            default: throw ValidationError("--formats: \(format) is not available on this platform")
            }
        }
        let jobs = ([StorageFormat.f32] + halfFormats).flatMap(GateJob.all).filter { !threadCPUTime || $0.threads == 1 }
        let timed = jobs.map { TimedJob(footprint: $0.bytes * n, batchSeconds: timing.batchSeconds, calls[$0]!) }
        let times = interleavedTimes(timed, batches: timing.batches, clock: threadCPUTime ? threadCPUSeconds : monotonicSeconds)
        let perElement = times.map { $0.map { $0 * 1e9 / Double(n) } }
        let ns = perElement.map(Summary.init), best = perElement.map { $0.min() ?? 0 }
        print("\n\(B)x\(H), tier \(tier)\(threadCPUTime ? " (thread CPU time)" : "")            regime    median ns  (spread)   best ns")
        for (k, job) in jobs.enumerated() {
            print("  \(job.label.padding(toLength: 42, withPad: " ", startingAt: 0)) \(timed[k].regime.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  "
                + "\(fixed(ns[k].median))  (±\(fixed(100 * ns[k].spread, 1))%)  \(fixed(best[k]))")
        }
        // ratios of medians, and of best batches (less sensitive to neighbours on a shared machine)
        let median = Dictionary(uniqueKeysWithValues: zip(jobs, ns.map(\.median)))
        let bestOf = Dictionary(uniqueKeysWithValues: zip(jobs, best))
        func ratio(_ a: GateJob, _ b: GateJob) -> String { "\(fixed(median[a]! / median[b]!)) (best \(fixed(bestOf[a]! / bestOf[b]!)))" }
        var verdicts: [Bool] = []
        for (name, a, b, limit) in [("fused training forward / separate passes", GateJob.f32(.lstmTraining), GateJob.f32(.lstmSeparatePasses), 0.85),
                                    ("LSTM backward / LSTM training forward", .f32(.lstmBackward), .f32(.lstmTraining), 1.5),
                                    ("GRU training forward / LSTM training fwd", .f32(.gruTraining), .f32(.lstmTraining), 0.8)] {
            let met = median[a]! / median[b]! <= limit
            verdicts.append(met)
            print("  \(name.padding(toLength: 41, withPad: " ", startingAt: 0)) \(ratio(a, b))   target <= \(limit): \(met ? "met" : "MISSED")")
        }
        let scaled = GateStep.allCases.filter(\.scales)
        func speedup(_ step: GateStep, _ format: StorageFormat) -> Double {
            median[GateJob(step: step, format: format, threads: 1)]! / median[GateJob(step: step, format: format, threads: 2)]!
        }
        for format in [StorageFormat.f32] + halfFormats where !threadCPUTime {
            let prefix = format == .f32 ? "" : "\(format) "
            print("  \(prefix)2-thread speedup: " + scaled.map { step in
                "\(step.shortName) \(ratio(GateJob(step: step, format: format, threads: 1), GateJob(step: step, format: format, threads: 2)))"
            }.joined(separator: ", "))
            for step in scaled {
                let footprint = GateJob(step: step, format: format, threads: 2).bytes * n
                if let cause = Superlinear(speedup: speedup(step, format), threads: 2, footprint: footprint) {
                    print("    \(prefix)\(step.shortName): \(cause.explanation(threads: 2, footprint: footprint))")
                }
            }
        }
        for format in halfFormats {
            print("  \(format) / f32, same step: " + GateStep.allCases.filter { $0 != .lstmSeparatePasses }.map { step in
                "\(step.shortName) \(ratio(GateJob(step: step, format: format, threads: 1), .f32(step)))"
            }.joined(separator: ", "))
            guard !threadCPUTime else { continue }
            let results = scaled.filter { speedup($0, .f32) >= Bench.halfFormatSpeedup }.map { step in
                let met = speedup(step, format) >= Bench.halfFormatSpeedup
                verdicts.append(met)
                return "\(step.shortName) \(fixed(speedup(step, format), 2)) \(met ? "met" : "MISSED")"
            }
            print("  \(format) 2-thread speedup >= \(Bench.halfFormatSpeedup) where f32's is: "
                  + (results.isEmpty ? "no f32 step reaches it" : results.joined(separator: ", ")))
        }
        return verdicts
    }
}

/// The steps a job times; the raw value is the printed name.
private enum GateStep: String, CaseIterable {
    case lstmInference = "LSTM forward, inference"
    case lstmTraining = "LSTM forward, training"
    case lstmSeparatePasses = "LSTM separate passes (baseline)"
    case lstmBackward = "LSTM backward (+db)"
    case gruInference = "GRU forward, inference"
    case gruTraining = "GRU forward, training"
    case gruBackward = "GRU backward"

    /// Its name in ratio lines.
    var shortName: String {
        switch self {
        case .lstmInference: "LSTM fwd inf"
        case .lstmTraining: "LSTM fwd"
        case .lstmSeparatePasses: "LSTM passes"
        case .lstmBackward: "LSTM bwd"
        case .gruInference: "GRU fwd inf"
        case .gruTraining: "GRU fwd"
        case .gruBackward: "GRU bwd"
        }
    }

    /// Its key in `gateTraffic` and `gateHalfTraffic`; nil for the baseline.
    var kernel: String? {
        switch self {
        case .lstmInference: "lstm-fwd"
        case .lstmTraining: "lstm-fwd-train"
        case .lstmSeparatePasses: nil
        case .lstmBackward: "lstm-bwd"
        case .gruInference: "gru-fwd"
        case .gruTraining: "gru-fwd-train"
        case .gruBackward: "gru-bwd"
        }
    }

    /// Timed on 2 threads too.
    var scales: Bool { [.lstmTraining, .lstmBackward, .gruTraining, .gruBackward].contains(self) }
}

/// One timed job: a step with its tensors in a format, on 1 or 2 threads.
private struct GateJob: Hashable {
    var step: GateStep
    var format: StorageFormat
    var threads: Int

    static func f32(_ step: GateStep, threads: Int = 1) -> GateJob { GateJob(step: step, format: .f32, threads: threads) }

    /// The jobs of a format in timing and printing order: every step on one thread (the baseline
    /// with f32 only), then the steps that scale on 2 threads.
    static func all(_ format: StorageFormat) -> [GateJob] {
        let steps = GateStep.allCases.filter { format == .f32 || $0 != .lstmSeparatePasses }
        return steps.map { GateJob(step: $0, format: format, threads: 1) }
            + steps.filter(\.scales).map { GateJob(step: $0, format: format, threads: 2) }
    }

    /// The printed name: "LSTM forward, training", "bf16 LSTM forward, training, 2 threads".
    var label: String { (format == .f32 ? "" : "\(format) ") + step.rawValue + (threads == 2 ? ", 2 threads" : "") }

    /// Bytes one call reads and writes per hidden element.
    var bytes: Int {
        guard let kernel = step.kernel else { return 4 * 12 } // z, the four gates, c_prev, c, tanh c, h
        return 4 * gateTraffic[kernel]! - (format == .f32 ? 0 : 2 * gateHalfTraffic[kernel]!)
    }
}

/// The inputs of the half-format jobs, rounded to the format from the f32 jobs' inputs.
private struct HalfGateInputs {
    var B: Int
    var z, previousCell, hiddenGradient, nextCellGradient, inputProjections, hiddenProjections: [Float]

    /// The calls of every half-format job in storage type `S` (the format `format`) on the cells of 1
    /// and 2 threads, with their own outputs and workspaces, filled once by a forward call.
    func calls<S: HalfFloat>(_: S.Type, _ format: StorageFormat, _ lstm: [Int: LSTMCell], _ gru: [Int: GRUCell]) -> [GateJob: () -> Void] {
        func rounded(_ v: [Float]) -> [S] { format.bits(v).map { unsafeBitCast($0, to: S.self) } }
        let n = previousCell.count, H = lstm[1]!.hiddenSize, cp = previousCell, dcn = nextCellGradient
        let z = rounded(z), dh = rounded(hiddenGradient), x = rounded(inputProjections), hg = rounded(hiddenProjections)
        let hp = rounded(previousCell)
        var c = [Float](repeating: 0, count: n), dcp = c, db = [Float](repeating: 0, count: 4 * H)
        var h = hp, dz = z, dx = x, dhg = x, dhp = hp
        var ws = [Float](repeating: 0, count: lstm[1]!.workspaceCount(batch: B))
        var gws = [Float](repeating: 0, count: gru[1]!.workspaceCount(batch: B))
        lstm[1]!.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h, workspace: &ws)
        gru[1]!.forward(inputProjections: x, hiddenProjections: hg, previousHidden: hp, hidden: &h, workspace: &gws)
        var calls: [GateJob: () -> Void] = [:]
        for threads in [1, 2] {
            let l = lstm[threads]!, g = gru[threads]!
            func add(_ step: GateStep, _ call: @escaping () -> Void) {
                if threads == 1 || step.scales { calls[GateJob(step: step, format: format, threads: threads)] = call }
            }
            add(.lstmInference) { l.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h) }
            add(.lstmTraining) { l.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h, workspace: &ws) }
            add(.lstmBackward) {
                l.backward(hiddenGradient: dh, nextCellGradient: dcn, workspace: ws, previousCell: cp, preactivationGradient: &dz,
                           previousCellGradient: &dcp, biasGradient: &db)
            }
            add(.gruInference) { g.forward(inputProjections: x, hiddenProjections: hg, previousHidden: hp, hidden: &h) }
            add(.gruTraining) { g.forward(inputProjections: x, hiddenProjections: hg, previousHidden: hp, hidden: &h, workspace: &gws) }
            add(.gruBackward) {
                g.backward(hiddenGradient: dh, workspace: gws, previousHidden: hp, inputProjectionGradient: &dx,
                           hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
            }
        }
        return calls
    }
}

/// c = f c_prev + i g, the baseline's cell update (a loop the compiler vectorizes).
private func cellUpdate(_ i: [Float], _ f: [Float], _ g: [Float], _ cp: [Float], _ c: inout [Float]) {
    i.withUnsafeBufferPointer { i in
        f.withUnsafeBufferPointer { f in
            g.withUnsafeBufferPointer { g in
                cp.withUnsafeBufferPointer { cp in
                    c.withUnsafeMutableBufferPointer { c in
                        for k in 0..<c.count { c[k] = f[k] * cp[k] + i[k] * g[k] }
                    }
                }
            }
        }
    }
}

/// h = o t, the baseline's output.
private func multiply(_ o: [Float], _ t: [Float], _ h: inout [Float]) {
    o.withUnsafeBufferPointer { o in
        t.withUnsafeBufferPointer { t in
            h.withUnsafeMutableBufferPointer { h in
                for k in 0..<h.count { h[k] = o[k] * t[k] }
            }
        }
    }
}
