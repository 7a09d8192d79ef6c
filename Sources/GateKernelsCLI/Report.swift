import ArgumentParser
import CKernels
import CKernelsEval
import GateKernels
import GateKernelsEval
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "This CPU's instruction sets and the one chosen; per function and tier a sampled accuracy summary and single-thread speed.",
        discussion: """
        Accuracy: a strided sweep over every float (--stride) against double precision; the bf16 and f16 \
        kernels over all 65,536 inputs, in ulps of the format from the correctly rounded exact result. Speed: ns per \
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
            + sizes.flatMap { ["ns/elem N=\(sizeLabel($0))", "x memcpy"] }
        var rows: [[String]] = []
        var speeds: [Int: [UnaryKernel: Double]] = [:]
        var copyTimes: [Int: Double] = [:]
        for n in sizes {
            let (perKernel, copy) = timeKernels(n)
            speeds[n] = perKernel
            copyTimes[n] = copy
        }
        for kernel in UnaryKernel.all() {
            let s = quickSweep(kernel)
            var row = ["\(kernel.function)", "\(kernel.tier)", "\(s.max_ulp)", String(format: "%.2e", s.max_abs), "\(s.monotonicity_violations)"]
            for n in sizes {
                let t = speeds[n]![kernel]!
                row += [String(format: "%.3f", t / Double(n) * 1e9), String(format: "%.2f", t / copyTimes[n]!)]
            }
            rows.append(row)
        }
        let copyRow = ["memcpy", "", "", "", ""] + sizes.flatMap { [String(format: "%.3f", copyTimes[$0]! / Double($0) * 1e9), "1.00"] }
        print(TextTable(headers: header, rows: sizes.isEmpty ? rows : rows + [copyRow]).paddedMarkdown())
        print("\nAccuracy: every \(stride)th float of all 2^32 (max ulp where the true result is a normal float).")
        if !sizes.isEmpty {
            let regimes = sizes.map { "N=\(sizeLabel($0)) \(Regime(footprint: 8 * $0).rawValue)" }.joined(separator: ", ")
            print("Speed: one thread, \(ISA.active), median of \(batches) interleaved batches; \(regimes); \(Regime.legend).")
        }
        print("")
        let halves = UnaryKernel.all(formats: [.bf16, .f16]).map(HalfAccuracyReport.init).map { r in
            ["\(r.kernel.function)", "\(r.kernel.format)", "\(r.kernel.tier)", "\(r.statistics.max_ulp)",
             String(format: "%.3f", r.correctlyRoundedPercent), String(format: "%.2e", r.statistics.max_abs), "\(r.statistics.not_monotone)"]
        }
        print(TextTable(headers: ["function", "format", "tier", "max ulp", "correctly rounded %", "max abs err", "mono viol."], rows: halves).paddedMarkdown())
        print("\nHalf formats: every one of the 65,536 inputs (max ulp of the format from the correctly rounded exact result).")
    }

    func quickSweep(_ kernel: UnaryKernel) -> ck_eval_stats {
        var stats = ck_eval_stats()
        var range = ck_eval_range(first: 0, last: CK_ORDERED_COUNT - 1, stride: stride, threads: 2,
                                  include_nans: 1, progress: nil, progress_ctx: nil)
        let (impl, context) = kernel.evalSubject()
        defer { context.deallocate() }
        _ = ck_eval_sweep(kernel.function.c, impl, context, &range, &stats)
        return stats
    }

    /// Seconds per call of each kernel over `n` elements, and of copying the same bytes.
    func timeKernels(_ n: Int) -> ([UnaryKernel: Double], Double) {
        let x = uniformInputs(n)
        var y = [Float](repeating: 0, count: n)
        return x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                let xp = xb.baseAddress!, yp = yb.baseAddress!
                let kernels = UnaryKernel.all()
                let calls: [() -> Void] = kernels.map { k in { _ = k.run(xp, yp, n) } }
                    + [{ memcpy(yp, xp, n * MemoryLayout<Float>.stride) }]
                let jobs = calls.map { TimedJob(footprint: 8 * n, batchSeconds: 2e-3, $0) }
                let times = interleavedTimes(jobs, batches: batches).map { Summary($0).median }
                return (Dictionary(uniqueKeysWithValues: zip(kernels, times)), times.last!)
            }
        }
    }
}
