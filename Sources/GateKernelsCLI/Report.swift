import ArgumentParser
import CKernels
import CKernelsEval
import GateKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "This CPU's instruction sets and the one chosen; per function and tier a sampled accuracy summary and single-thread speed.",
        discussion: """
        Accuracy: a strided sweep over every float (--stride) against double precision. Speed: ns per \
        element at N = 16384 and N = 16M (inputs uniform in [-10, 10]), median of interleaved batches, \
        with the time to copy the same bytes measured in the same run as the memory-bound floor.
        """)

    @Option(help: "Sweep every Nth float for the accuracy summary (1 = all 2^32, slow).")
    var stride: UInt64 = 4099

    @Option(help: "Batches per timing (more = steadier medians).")
    var batches: Int = 15

    @Flag(help: "Skip the 16M-element timings (the slow part).")
    var quick = false

    @Flag(help: "Accuracy only, no timings (e.g. under an emulator).")
    var noTiming = false

    func validate() throws {
        guard stride >= 1 else { throw ValidationError("--stride must be at least 1") }
        guard batches >= 3 else { throw ValidationError("--batches must be at least 3") }
    }

    func run() throws {
        print("CPU instruction sets: \(ISA.supported.map(\.description).joined(separator: ", "))")
        print("active: \(ISA.active)  (best: \(ISA.best); force one with GATEKERNELS_ISA=scalar|avx2|avx512|neon)")
        print("")
        let sizes = noTiming ? [] : quick ? [16384] : [16384, 16 << 20]
        let header = ["function", "tier", "max ulp", "max abs err", "mono viol."]
            + sizes.flatMap { ["ns/elem N=\(label($0))", "x memcpy"] }
        var rows: [[String]] = []
        var speeds: [Int: [String: Double]] = [:]
        var copyTimes: [Int: Double] = [:]
        for n in sizes {
            let (perKernel, copy) = timeKernels(n)
            speeds[n] = perKernel
            copyTimes[n] = copy
        }
        for f in ["sigmoid", "tanh"] {
            for tier in Tier.allCases {
                let s = quickSweep(f, tier)
                var row = [f, "\(tier)", "\(s.max_ulp)", String(format: "%.2e", s.max_abs), "\(s.monotonicity_violations)"]
                for n in sizes {
                    let t = speeds[n]!["\(f) \(tier)"]!
                    row += [String(format: "%.3f", t / Double(n) * 1e9), String(format: "%.2f", t / copyTimes[n]!)]
                }
                rows.append(row)
            }
        }
        let copyRow = ["memcpy", "", "", "", ""] + sizes.flatMap { [String(format: "%.3f", copyTimes[$0]! / Double($0) * 1e9), "1.00"] }
        print(markdownTable(header, sizes.isEmpty ? rows : rows + [copyRow]))
        print("\nAccuracy: every \(stride)th float of all 2^32 (max ulp where the true result is a normal float).")
        if !sizes.isEmpty {
            let regimes = sizes.map { "N=\(label($0)) \(Regime(footprint: 8 * $0).rawValue)" }.joined(separator: ", ")
            print("Speed: one thread, \(ISA.active), median of \(batches) interleaved batches; \(regimes); \(Regime.legend).")
        }
    }

    func label(_ n: Int) -> String { n >= 1 << 20 ? "\(n >> 20)M" : n >= 1024 ? "\(n >> 10)K" : "\(n)" }

    func quickSweep(_ f: String, _ tier: Tier) -> ck_eval_stats {
        var stats = ck_eval_stats()
        var range = ck_eval_range(first: 0, last: CK_ORDERED_COUNT - 1, stride: stride, threads: 2,
                                  include_nans: 1, progress: nil, progress_ctx: nil)
        var ctx = tier.rawValue
        let fn: ck_func = f == "sigmoid" ? CK_FUNC_SIGMOID : CK_FUNC_TANH
        let impl: ck_eval_impl = f == "sigmoid"
            ? { x, y, n, c in _ = ck_sigmoid_f32(x, y, n, ck_tier(rawValue: UInt32(c!.load(as: Int32.self)))) }
            : { x, y, n, c in _ = ck_tanh_f32(x, y, n, ck_tier(rawValue: UInt32(c!.load(as: Int32.self)))) }
        _ = withUnsafeMutablePointer(to: &ctx) { ck_eval_sweep(fn, impl, $0, &range, &stats) }
        return stats
    }

    /// Seconds per call of each kernel over `n` elements, and of copying the same bytes.
    func timeKernels(_ n: Int) -> ([String: Double], Double) {
        let x = uniformInputs(n)
        var y = [Float](repeating: 0, count: n)
        return x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                let xp = xb.baseAddress!, yp = yb.baseAddress!
                var names: [String] = []
                var calls: [() -> Void] = []
                for tier in Tier.allCases {
                    let t = tier.c
                    names += ["sigmoid \(tier)", "tanh \(tier)"]
                    calls += [{ _ = ck_sigmoid_f32(xp, yp, n, t) }, { _ = ck_tanh_f32(xp, yp, n, t) }]
                }
                calls.append { memcpy(yp, xp, n * MemoryLayout<Float>.stride) }
                let jobs = calls.map { TimedJob(footprint: 8 * n, batchSeconds: 2e-3, $0) }
                let times = interleavedTimes(jobs, batches: batches).map { Summary($0).median }
                return (Dictionary(uniqueKeysWithValues: zip(names, times)), times.last!)
            }
        }
    }
}

/// A GitHub-flavoured markdown table, columns padded for the terminal.
func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
    func line(_ cells: [String]) -> String {
        "| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
    }
    return ([line(header), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
        + rows.map(line)).joined(separator: "\n")
}
