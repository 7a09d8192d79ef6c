import ArgumentParser
import Foundation
import GateKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic seconds.
func now() -> Double { seconds(CLOCK_MONOTONIC) }

/// Seconds of CPU time of the calling thread: leaves out time spent waiting for a core.
func threadCPUSeconds() -> Double { seconds(CLOCK_THREAD_CPUTIME_ID) }

private func seconds(_ clock: clockid_t) -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Times several jobs the noise-robust way: many short batches, interleaved (job 1, job 2, ...,
/// job 2, job 3, ..., job 1, ...) so that drift and neighbours hit every job alike; each round
/// starts one job later, so no job always runs first, after the others (e.g. the first OpenMP job
/// after one-thread jobs, whose worker may have lost its core). Returns, per job, the seconds of
/// each batch divided by `repeatsPerBatch`, read from `clock`.
func interleavedTimes(_ jobs: [() -> Void], batches: Int, repeatsPerBatch: Int, clock: () -> Double = now) -> [[Double]] {
    var times = [[Double]](repeating: [], count: jobs.count)
    for job in jobs { job() } // warm caches and wake the clock
    for round in 0..<batches {
        for i in jobs.indices {
            let k = (round + i) % jobs.count, job = jobs[k]
            let t0 = clock()
            for _ in 0..<repeatsPerBatch { job() }
            times[k].append((clock() - t0) / Double(repeatsPerBatch))
        }
    }
    return times
}

/// Median and the interquartile spread (as a fraction of the median) of a sample.
struct Summary {
    let median: Double
    let spread: Double

    init(_ sample: [Double]) {
        let s = sample.sorted()
        func quantile(_ q: Double) -> Double { s[min(s.count - 1, Int(q * Double(s.count - 1) + 0.5))] }
        median = quantile(0.5)
        spread = median > 0 ? (quantile(0.75) - quantile(0.25)) / median : 0
    }
}

/// `count` floats uniform in [lo, hi] from a fixed-seed generator (the same inputs every run).
func uniformInputs(_ count: Int, _ lo: Float = -10, _ hi: Float = 10, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return lo + (hi - lo) * Float(state >> 40) / Float(1 << 24)
    }
}

/// The tiers of a comma-separated list of names (`precise,fast`), or a usage error naming the bad one.
func parseTiers(_ list: String) throws -> [Tier] {
    try list.split(separator: ",").map { part in
        let name = part.trimmingCharacters(in: .whitespaces)
        guard let tier = Tier.allCases.first(where: { $0.description == name }) else {
            throw ValidationError("unknown tier \(name); use precise, fast, approximate")
        }
        return tier
    }
}
