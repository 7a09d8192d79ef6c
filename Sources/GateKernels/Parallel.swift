import CKernels
import Dispatch
import Synchronization

/// The number of threads (participants of `forEachBlock`) for `count` elements: under `.automatic`
/// and `.openMP` the policy of ckernels_threads.h.
/// `parallelism` must have passed `requireValid(_:_:)` (or a cell's initializer).
func chunkCount(_ count: Int, _ parallelism: Parallelism) -> Int {
    switch parallelism {
    case .serial:
        return 1
    case .threads(let n):
        return max(1, min(n, count))
    case .automatic:
        return Int(ck_team_size(count, Int32(clamping: activeProcessorCount)))
    #if OpenMP
    case .openMP(let n):
        return Int(ck_team_size(count, Int32(clamping: n)))
    #endif
    }
}

extension Parallelism {
    /// Why this value cannot run (a thread count below 1), or nil: the one rule for every check.
    var invalidReason: String? {
        switch self {
        case .threads(let n) where n < 1: "Parallelism.threads(\(n)): the thread count must be at least 1"
        #if OpenMP
        case .openMP(let n) where n < 1: "Parallelism.openMP(\(n)): the thread count must be at least 1"
        #endif
        default: nil
        }
    }
}

/// Stops unless `parallelism` can run; checked before anything else, so that an empty buffer does
/// not hide the misuse.
func requireValid(_ parallelism: Parallelism, _ name: String) {
    if let reason = parallelism.invalidReason { misuse("\(name): \(reason)", file: #fileID, line: #line) }
}

/// The processors online, read once.
let activeProcessorCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

/// Runs `body` over `0..<count` on `chunks` participants, in blocks of about `blockTarget` units
/// (multiples of `align`, the last possibly short). Which thread runs a block never changes a
/// result: blocks are independent (the LSTM bias gradient keeps one partial per row group).
///
/// Participant 0 is the calling thread; the others are Dispatch workers of `StandbyWorkers`, or,
/// when another call holds those, of `concurrentPerform`. Each participant owns a contiguous share
/// of the blocks and takes them front to back (so with workers on time each thread sees the same
/// memory call after call), then helps with the shares still unfinished. A worker that arrives late
/// therefore never delays the call: the caller does its blocks, and waits at most for blocks in flight.
func forEachBlock(count: Int, chunks: Int, align: Int, blockTarget: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let units = (count + align - 1) / align
    let share = (units + max(1, chunks) - 1) / max(1, chunks)   // units per participant
    let block = max(1, min(share, blockTarget / align)) * align // elements per block
    let blocks = (count + block - 1) / block
    let shares = min(chunks, blocks)
    if shares <= 1 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping({ @Sendable (b: Int) in body(b * block..<min(count, (b + 1) * block)) }) { run in
        let job = BlockShares(shares: shares, blocks: blocks, run: run)
        if !StandbyWorkers.shared.perform(job) {
            DispatchQueue.concurrentPerform(iterations: shares) { job.run(participant: $0) }
        }
    }
}

/// Elements per block: ~4 µs of a fast activation, long enough that claiming one (an atomic add)
/// costs nothing, short enough that the caller seldom waits for a worker's last block.
let elementBlockTarget = 1 << 14

/// Runs `body` over `chunks` shares of `0..<count` (blocks of whole 64-element units) with
/// `forEachBlock`.
func forEachChunk(count: Int, chunks: Int, _ body: @Sendable (Range<Int>) -> Void) {
    forEachBlock(count: count, chunks: chunks, align: 64, blockTarget: elementBlockTarget, body)
}

/// For the package's benchmarks: runs `body` over `0..<count` split as the activations split it
/// under `parallelism` (so a parallel memcpy comparator pays the same scheduling costs).
@_spi(Benchmarks) public func forEachChunk(count: Int, parallelism: Parallelism, _ body: @Sendable (Range<Int>) -> Void) {
    requireValid(parallelism, "forEachChunk")
    forEachChunk(count: count, chunks: chunkCount(count, parallelism), body)
}

/// One parallel call: `blocks` blocks in `shares` contiguous shares (share k is blocks
/// `k * blocks / shares ..< (k + 1) * blocks / shares`), each with the index of its next unclaimed block.
final class BlockShares: @unchecked Sendable {
    let next: UnsafeMutablePointer<Atomic<Int>>
    let shares: Int, blocks: Int
    let run: @Sendable (Int) -> Void

    init(shares: Int, blocks: Int, run: @escaping @Sendable (Int) -> Void) {
        self.shares = shares
        self.blocks = blocks
        self.run = run
        next = .allocate(capacity: shares)
        for k in 0..<shares { (next + k).initialize(to: Atomic(k * blocks / shares)) }
    }
    deinit {
        next.deinitialize(count: shares)
        next.deallocate()
    }

    /// Runs blocks as participant `k`: its own share first, then whatever the others left.
    func run(participant k: Int) {
        for s in 0..<shares {
            let owner = (k + s) % shares, end = (owner + 1) * blocks / shares
            while case let b = next[owner].wrappingAdd(1, ordering: .relaxed).oldValue, b < end {
                run(b)
            }
        }
    }
}

/// Dispatch workers that, after a parallel call, wait `standbyNanoseconds` for the next one before
/// they go back to Dispatch (as OpenMP's idle threads spin for KMP_BLOCKTIME): waking a sleeping
/// worker can take as long as a mid-sized activation on one thread, so back-to-back calls would
/// lose their gain to it (docs/threads.md measures both). One call at a time uses them; a call
/// made meanwhile from another thread falls back to `concurrentPerform`.
final class StandbyWorkers: @unchecked Sendable {
    static let shared = StandbyWorkers()
    static let standbyNanoseconds: UInt64 = 200_000

    private let busy = Atomic<Bool>(false)    // a call owns `job`
    private let open = Atomic<Bool>(false)    // workers may join `job`
    private let joined = Atomic<Int>(0)       // workers inside `job`
    private let participants = Atomic<Int>(1) // the next participant index (the caller is 0)
    private let alive = Atomic<Int>(0)        // workers running `standBy`
    private var job: BlockShares?             // written only while closed with nobody joined
    private let maxWorkers = activeProcessorCount - 1

    /// Runs `job` on the caller and the standby workers; false (nothing run) when another call holds them.
    func perform(_ job: BlockShares) -> Bool {
        guard maxWorkers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        self.job = job
        participants.store(1, ordering: .relaxed)
        open.store(true, ordering: .sequentiallyConsistent)
        wake(min(maxWorkers, job.shares - 1))
        job.run(participant: 0)
        // every block is claimed: close, then wait for the blocks still in flight
        open.store(false, ordering: .sequentiallyConsistent)
        while joined.load(ordering: .sequentiallyConsistent) != 0 {}
        self.job = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Starts workers until `count` are alive.
    private func wake(_ count: Int) {
        var n = alive.load(ordering: .relaxed)
        while n < count {
            let (exchanged, seen) = alive.compareExchange(expected: n, desired: n + 1, ordering: .relaxed)
            if exchanged {
                DispatchQueue.global(qos: .userInitiated).async { self.standBy() }
                n += 1
            } else {
                n = seen
            }
        }
    }

    private func standBy() {
        var idleSince = DispatchTime.now().uptimeNanoseconds
        while true {
            if open.load(ordering: .acquiring) {
                // joined before the second look: the caller, closing after it, waits for us
                joined.wrappingAdd(1, ordering: .sequentiallyConsistent)
                if open.load(ordering: .sequentiallyConsistent), let job {
                    job.run(participant: participants.wrappingAdd(1, ordering: .relaxed).oldValue % job.shares)
                }
                joined.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                idleSince = DispatchTime.now().uptimeNanoseconds
            } else if DispatchTime.now().uptimeNanoseconds - idleSince > Self.standbyNanoseconds {
                alive.wrappingSubtract(1, ordering: .relaxed)
                return
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
