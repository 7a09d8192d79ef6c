import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The measuring engine's timing: one clock, one interleaved timing loop, one summary and one input
// generator, for `gatekernels` (report, bench, bench-gates, accuracy --pareto), the tests and the
// package-benchmark suite in Benchmarks/.

/// Monotonic seconds.
public func monotonicSeconds() -> Double { seconds(CLOCK_MONOTONIC) }

/// Seconds of CPU time of the calling thread: leaves out time spent waiting for a core.
public func threadCPUSeconds() -> Double { seconds(CLOCK_THREAD_CPUTIME_ID) }

private func seconds(_ clock: clockid_t) -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// This machine's cache sizes in bytes, as the OS reports them (0 when it does not).
public enum Cache {
    /// One core's L2.
    public static let l2 = size(level: 2)
    /// The last-level cache (L3, or L2 where there is no L3).
    public static let lastLevel = max(size(level: 3), l2)

    private static func size(level: Int) -> Int {
        #if canImport(Glibc)
        return max(0, sysconf(Int32(level == 2 ? _SC_LEVEL2_CACHE_SIZE : _SC_LEVEL3_CACHE_SIZE)))
        #else
        var bytes = 0, length = MemoryLayout<Int>.size
        return sysctlbyname(level == 2 ? "hw.l2cachesize" : "hw.l3cachesize", &bytes, &length, nil, 0) == 0 ? bytes : 0
        #endif
    }

    /// Whether `bytes` stay in a cache of `size` bytes: at most 3/4 of it, the rest is left to the
    /// process's other lines and to conflicts.
    public static func fits(_ bytes: Int, in size: Int) -> Bool { 4 * bytes <= 3 * size }

    /// `bytes` in MB with one decimal: "1.5 MB".
    public static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / Double(1 << 20)) }
}

/// Where a job's data is while it is timed; chosen by the job's footprint (the bytes one call reads
/// and writes), so the one- and two-thread jobs of a kernel and size are always in the same regime.
/// Without a choice, batches interleaved with other jobs would find the data wherever those left it.
public enum Regime: String, Sendable {
    /// The footprint fits the last-level cache: an untimed call right before each batch brings it in.
    case hot
    /// The footprint exceeds the last-level cache: every call streams it from memory.
    case streamed

    /// The regime of a job whose calls read and write `footprint` bytes.
    public init(footprint: Int) { self = Cache.fits(footprint, in: Cache.lastLevel) ? .hot : .streamed }

    /// The regimes explained, for a table's legend.
    public static var legend: String {
        "regime: hot = footprint (bytes a call reads and writes) fits the \(Cache.megabytes(Cache.lastLevel)) last-level cache, "
            + "warmed by an untimed call right before each batch; streamed = it does not, every call reads memory"
    }
}

/// Why a job ran more than `threads` times faster on `threads` threads than on one.
public enum Superlinear: String, Sendable {
    /// Each thread's share of the footprint fits its core's L2; one thread's footprint does not.
    case l2Share = "L2 share"
    /// No cache effect explains it: a measuring fault or noise.
    case suspect

    /// Nil when the speed-up is at most the thread count.
    public init?(speedup: Double, threads: Int, footprint: Int) {
        guard speedup > Double(threads) else { return nil }
        let share = footprint / threads
        self = Cache.fits(share, in: Cache.l2) && !Cache.fits(footprint, in: Cache.l2) ? .l2Share : .suspect
    }

    /// The cause in words, naming the cache sizes.
    public func explanation(threads: Int, footprint: Int) -> String {
        switch self {
        case .l2Share: "above \(threads)x: each thread's \(Cache.megabytes(footprint / threads)) fits its core's "
            + "\(Cache.megabytes(Cache.l2)) L2, one thread's \(Cache.megabytes(footprint)) does not"
        case .suspect: "above \(threads)x: suspect, no cache effect explains it"
        }
    }
}

/// A job to time: one call, how many calls make a batch, and its regime.
public struct TimedJob {
    /// One call of the job.
    public let call: () -> Void
    /// Calls per timed batch.
    public let callsPerBatch: Int
    /// Where its data is while it is timed.
    public let regime: Regime

    /// Sized by one probe call to fill about `batchSeconds`.
    public init(footprint: Int, batchSeconds: Double, _ call: @escaping () -> Void) {
        let t0 = monotonicSeconds()
        call()
        callsPerBatch = max(1, Int(batchSeconds / max(monotonicSeconds() - t0, 1e-9)))
        regime = Regime(footprint: footprint)
        self.call = call
    }
}

/// Times several jobs the noise-robust way: many short batches, interleaved (job 1, job 2, ...,
/// job 2, job 3, ..., job 1, ...) so that drift and neighbours hit every job alike; each round
/// starts one job later, so no job always runs first, after the others (e.g. the first OpenMP job
/// after one-thread jobs, whose worker may have lost its core). A hot job is warmed right before
/// each of its batches. Returns, per job, the seconds per call of each batch, read from `clock`;
/// `roundDone` hears of each finished round (for progress).
public func interleavedTimes(_ jobs: [TimedJob], batches: Int, clock: () -> Double = monotonicSeconds,
                      roundDone: (_ round: Int) -> Void = { _ in }) -> [[Double]] {
    var times = [[Double]](repeating: [], count: jobs.count)
    for round in 0..<batches {
        for i in jobs.indices {
            let k = (round + i) % jobs.count, job = jobs[k]
            if job.regime == .hot { job.call() }
            let t0 = clock()
            for _ in 0..<job.callsPerBatch { job.call() }
            times[k].append((clock() - t0) / Double(job.callsPerBatch))
        }
        roundDone(round)
    }
    return times
}

/// Median and the interquartile spread (as a fraction of the median) of a sample.
public struct Summary: Sendable {
    /// The median.
    public let median: Double
    /// (third quartile - first quartile) / median.
    public let spread: Double

    /// The summary of `sample` (not empty).
    public init(_ sample: [Double]) {
        let s = sample.sorted()
        func quantile(_ q: Double) -> Double { s[min(s.count - 1, Int(q * Double(s.count - 1) + 0.5))] }
        median = quantile(0.5)
        spread = median > 0 ? (quantile(0.75) - quantile(0.25)) / median : 0
    }
}

/// `count` floats uniform in [lo, hi] from a fixed-seed generator (the same inputs every run).
public func uniformInputs(_ count: Int, _ lo: Float = -10, _ hi: Float = 10, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return lo + (hi - lo) * Float(state >> 40) / Float(1 << 24)
    }
}
