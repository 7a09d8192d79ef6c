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

        Each ratio has a target; a ratio meets it when its median does, and the line says whether it \
        did. Missed targets do not change the exit status (timings on a shared machine vary).
        """
    )

    @Option(help: "Comma-separated BxH shapes.")
    var shapes = "64x512,256x1024,1x1024"

    @Option(help: "Comma-separated tiers: precise, fast, approximate, or all.")
    var tiers = "fast,approximate"

    @OptionGroup var timing: BatchOptions

    @Flag(help: ArgumentHelp(
        "Time single-thread jobs by the calling thread's CPU time instead of wall time.",
        discussion: "On a machine shared with other work this leaves out the time the thread waited for a core; 2-thread jobs are then not timed."))
    var threadCPUTime = false

    func validate() throws {
        _ = try parseTiers(tiers)
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
        print("ISA \(ISA.active); ns per hidden element (B·H), median of \(timing.batches) interleaved batches (± interquartile spread)")
        print(Regime.legend)
        var verdicts: [Bool] = []
        for (B, H) in shapeList {
            for tier in tierList {
                verdicts += try benchmark(B: B, H: H, tier: tier)
            }
        }
        print("\ntargets met: \(verdicts.filter { $0 }.count) of \(verdicts.count)")
    }

    /// Times one shape and tier and prints its table; returns whether each target was met.
    func benchmark(B: Int, H: Int, tier: Tier) throws -> [Bool] {
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

        let calls: [GateJob: () -> Void] = [
            .lstmInference: { lstm1.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h) },
            .lstmTraining: { lstm1.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h, workspace: &ws) },
            .lstmSeparatePasses: {
                Activation.sigmoid(zi, result: &gi, tier: tier)
                Activation.sigmoid(zf, result: &gf, tier: tier)
                Activation.tanh(zg, result: &gg, tier: tier)
                Activation.sigmoid(zo, result: &go, tier: tier)
                cellUpdate(gi, gf, gg, cp, &c)
                Activation.tanh(c, result: &tc, tier: tier)
                multiply(go, tc, &h)
            },
            .lstmBackward: {
                lstm1.backward(hiddenGradient: dh, nextCellGradient: dcn, workspace: ws, previousCell: cp,
                               preactivationGradient: &dz, previousCellGradient: &dcp, biasGradient: &db)
            },
            .gruInference: { gru1.forward(inputProjections: x, hiddenProjections: hg, previousHidden: cp, hidden: &h) },
            .gruTraining: { gru1.forward(inputProjections: x, hiddenProjections: hg, previousHidden: cp, hidden: &h, workspace: &gws) },
            .gruBackward: {
                gru1.backward(hiddenGradient: dh, workspace: gws, previousHidden: cp, inputProjectionGradient: &dx,
                              hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
            },
            .lstmTraining2: { lstm2.forward(preactivations: z, previousCell: cp, cell: &c, hidden: &h, workspace: &ws) },
            .lstmBackward2: {
                lstm2.backward(hiddenGradient: dh, nextCellGradient: dcn, workspace: ws, previousCell: cp,
                               preactivationGradient: &dz, previousCellGradient: &dcp, biasGradient: &db)
            },
            .gruTraining2: { gru2.forward(inputProjections: x, hiddenProjections: hg, previousHidden: cp, hidden: &h, workspace: &gws) },
            .gruBackward2: {
                gru2.backward(hiddenGradient: dh, workspace: gws, previousHidden: cp, inputProjectionGradient: &dx,
                              hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
            },
        ]
        let jobs = GateJob.allCases.filter { !threadCPUTime || $0.threads == 1 }
        let timed = jobs.map { TimedJob(footprint: 4 * $0.floats * n, batchSeconds: timing.batchSeconds, calls[$0]!) }
        let times = interleavedTimes(timed, batches: timing.batches, clock: threadCPUTime ? threadCPUSeconds : monotonicSeconds)
        let perElement = times.map { $0.map { $0 * 1e9 / Double(n) } }
        let ns = perElement.map(Summary.init), best = perElement.map { $0.min() ?? 0 }
        print("\n\(B)x\(H), tier \(tier)\(threadCPUTime ? " (thread CPU time)" : "")      regime    median ns  (spread)   best ns")
        for (k, job) in jobs.enumerated() {
            print("  \(job.rawValue.padding(toLength: 36, withPad: " ", startingAt: 0)) \(timed[k].regime.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  "
                + "\(fixed(ns[k].median))  (±\(fixed(100 * ns[k].spread, 1))%)  \(fixed(best[k]))")
        }
        // ratios of medians, and of best batches (less sensitive to neighbours on a shared machine)
        let median = Dictionary(uniqueKeysWithValues: zip(jobs, ns.map(\.median)))
        let bestOf = Dictionary(uniqueKeysWithValues: zip(jobs, best))
        func ratio(_ a: GateJob, _ b: GateJob) -> String { "\(fixed(median[a]! / median[b]!)) (best \(fixed(bestOf[a]! / bestOf[b]!)))" }
        var verdicts: [Bool] = []
        for (name, a, b, limit) in [("fused training forward / separate passes", GateJob.lstmTraining, GateJob.lstmSeparatePasses, 0.85),
                                    ("LSTM backward / LSTM training forward", .lstmBackward, .lstmTraining, 1.5),
                                    ("GRU training forward / LSTM training fwd", .gruTraining, .lstmTraining, 0.8)] {
            let met = median[a]! / median[b]! <= limit
            verdicts.append(met)
            print("  \(name.padding(toLength: 41, withPad: " ", startingAt: 0)) \(ratio(a, b))   target <= \(limit): \(met ? "met" : "MISSED")")
        }
        if !threadCPUTime {
            let pairs: [(String, GateJob, GateJob)] = [("LSTM fwd", .lstmTraining, .lstmTraining2), ("LSTM bwd", .lstmBackward, .lstmBackward2),
                                                       ("GRU fwd", .gruTraining, .gruTraining2), ("GRU bwd", .gruBackward, .gruBackward2)]
            print("  2-thread speedup: " + pairs.map { "\($0.0) \(ratio($0.1, $0.2))" }.joined(separator: ", "))
            for (name, one, two) in pairs {
                let footprint = 4 * two.floats * n
                if let cause = Superlinear(speedup: median[one]! / median[two]!, threads: 2, footprint: footprint) {
                    print("    \(name): \(cause.explanation(threads: 2, footprint: footprint))")
                }
            }
        }
        return verdicts
    }
}

/// The jobs of one shape and tier, in timing and printing order; the label is the printed name.
private enum GateJob: String, CaseIterable {
    case lstmInference = "LSTM forward, inference"
    case lstmTraining = "LSTM forward, training"
    case lstmSeparatePasses = "LSTM separate passes (baseline)"
    case lstmBackward = "LSTM backward (+db)"
    case gruInference = "GRU forward, inference"
    case gruTraining = "GRU forward, training"
    case gruBackward = "GRU backward"
    case lstmTraining2 = "LSTM forward, training, 2 threads"
    case lstmBackward2 = "LSTM backward (+db), 2 threads"
    case gruTraining2 = "GRU forward, training, 2 threads"
    case gruBackward2 = "GRU backward, 2 threads"

    /// Floats one call reads and writes per hidden element.
    var floats: Int {
        switch self {
        case .lstmInference: gateTraffic["lstm-fwd"]!
        case .lstmTraining, .lstmTraining2: gateTraffic["lstm-fwd-train"]!
        case .lstmSeparatePasses: 12 // z, the four gates, c_prev, c, tanh c, h
        case .lstmBackward, .lstmBackward2: gateTraffic["lstm-bwd"]!
        case .gruInference: gateTraffic["gru-fwd"]!
        case .gruTraining, .gruTraining2: gateTraffic["gru-fwd-train"]!
        case .gruBackward, .gruBackward2: gateTraffic["gru-bwd"]!
        }
    }

    var threads: Int { rawValue.hasSuffix("2 threads") ? 2 : 1 }
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
