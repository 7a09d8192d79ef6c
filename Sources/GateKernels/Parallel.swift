import Dispatch
#if OpenMP
import CKernelsOpenMP
#endif

/// Raw pointers handed to `concurrentPerform` workers; each worker touches a disjoint range.
@usableFromInline
struct SendablePointers: @unchecked Sendable {
    @usableFromInline let input: UnsafePointer<Float>
    @usableFromInline let output: UnsafeMutablePointer<Float>
    @inlinable init(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        self.input = input
        self.output = output
    }
}

/// Elements per chunk below which `.automatic` stays on one thread: waking a Dispatch worker
/// costs tens to hundreds of microseconds on small, busy VMs, which the work it takes over must
/// repay. Two chunks reached 1.05x to 1.3x at 512K elements and lost (0.85x to 0.93x) at 256K on
/// the VMs of docs/threads.md (`gatekernels bench --threads 1,2`), so the split starts at 512K.
@usableFromInline let automaticGrain = 1 << 18

/// The number of contiguous chunks `count` elements are split into.
@inlinable
func chunkCount(_ count: Int, _ parallelism: Parallelism) -> Int {
    switch parallelism {
    case .serial:
        return 1
    case .threads(let n):
        precondition(n >= 1, "Parallelism.threads(\(n)): the thread count must be at least 1")
        return max(1, min(n, count))
    case .automatic:
        return max(1, min(activeProcessorCount, count / automaticGrain))
    #if OpenMP
    case .openMP(let n):
        precondition(n >= 1, "Parallelism.openMP(\(n)): the thread count must be at least 1")
        return Int(ck_omp_team_size(count, Int32(clamping: n)))
    #endif
    }
}

/// The processors online, read once.
@usableFromInline let activeProcessorCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

/// Runs `body` over `chunks` contiguous ranges of `0..<count`, each a multiple of 64 elements
/// except the last, on `concurrentPerform` when there is more than one.
@inlinable
func forEachChunk(count: Int, chunks: Int, _ body: @Sendable (Range<Int>) -> Void) {
    if chunks <= 1 {
        body(0..<count)
        return
    }
    let per = ((count + chunks - 1) / chunks + 63) & ~63
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
        let start = min(count, k * per)
        body(start..<min(count, start + per))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
