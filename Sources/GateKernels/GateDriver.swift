import CKernels

// What LSTMCell and GRUCell share: their configuration check, and the Dispatch driver that splits a
// batch into row chunks for the `_rows` kernels of ckernels.h. (OpenMP: Backend.swift.)

/// Throws for a parallelism or ISA that a cell cannot run with.
func validate(parallelism: Parallelism, isa: ISA?, _ name: String) throws(GateKernelsError) {
    if case .threads(let n) = parallelism, n < 1 {
        throw .invalidConfiguration("\(name): Parallelism.threads(\(n)): the thread count must be at least 1")
    }
    if let isa, !isa.isSupported {
        throw .invalidConfiguration("\(name): instruction set \(isa) is not supported on this CPU")
    }
    #if OpenMP
    if case .openMP(let n) = parallelism {
        if n < 1 { throw .invalidConfiguration("\(name): Parallelism.openMP(\(n)): the thread count must be at least 1") }
        if let isa {
            throw .invalidConfiguration("\(name): the OpenMP drivers run the active ISA; choose \(isa) with ISA.use(_:)")
        }
    }
    #endif
}

/// Calls `body` with the buffer's storage, or with nil.
@inlinable
func withOptionalBuffer<R>(_ buffer: (any FloatBuffer)?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
    guard let buffer else { return body(nil) }
    return buffer.withUnsafeBufferPointer { body($0) }
}

/// A gate update's descriptor: `ck_lstm_desc` or `ck_gru_desc`.
protocol GateDescriptor {
    var batch: Int { get }
    var hidden: Int { get }
}

extension ck_lstm_desc: GateDescriptor {}
extension ck_gru_desc: GateDescriptor {}

/// One gate step with its buffers: a `_rows` kernel of ckernels.h that the driver runs on ranges of
/// batch rows, each worker on its own rows.
protocol GateCall: ParallelCall {
    associatedtype Descriptor: GateDescriptor
    var desc: Descriptor { get }
    /// Runs the kernel on `rows`.
    func run(rows: Range<Int>) -> ck_status
}

extension GateCall {
    var batch: Int { desc.batch }
    var hiddenSize: Int { desc.hidden }

    func runOnDispatch(_ parallelism: Parallelism, _ name: String) {
        runOnDispatch(chunks: rowChunkCount(parallelism), name)
    }

    func runOnDispatch(chunks: Int, _ name: String) {
        forEachRowChunk(chunks: chunks) { rows in requireOK(run(rows: rows), name) }
    }

    /// The number of row chunks: whole groups of `rowGroup` rows, at most one per thread; under
    /// `.automatic`, by the gate grain of ckernels_threads.h.
    func rowChunkCount(_ parallelism: Parallelism) -> Int {
        if case .automatic = parallelism {
            return Int(ck_gate_team_size(batch, hiddenSize, Int32(clamping: activeProcessorCount)))
        }
        return chunkCount((batch + rowGroup - 1) / rowGroup, parallelism)
    }

    /// Runs `body` over row ranges of the batch with `forEachBlock`: blocks of whole `rowGroup`s of
    /// about `elementBlockTarget` hidden elements, on `chunks` participants.
    func forEachRowChunk(chunks: Int, _ body: @Sendable (Range<Int>) -> Void) {
        forEachBlock(count: batch, chunks: chunks, align: rowGroup, blockTarget: elementBlockTarget / max(1, hiddenSize), body)
    }
}

/// An LSTM backward call whose bias gradient, when the batch is split across threads, goes through
/// one partial per row group (ckernels_threads.h): the serial call's bits for any split.
protocol SplitBiasGradientCall: GateCall where Descriptor == ck_lstm_desc {
    var biasGradient: UnsafeMutablePointer<Float>? { get }
    /// Where `run(rows:)` puts the rows' bias gradient by row group instead of `biasGradient`; nil:
    /// straight to it.
    var biasGradientPartials: UnsafeMutablePointer<Float>? { get set }
}

extension SplitBiasGradientCall {
    func runOnDispatch(_ parallelism: Parallelism, _ name: String) {
        let chunks = rowChunkCount(parallelism)
        guard chunks > 1, let biasGradient else { return runOnDispatch(chunks: chunks, name) }
        var split = self
        split.biasGradientPartials = .allocate(capacity: withUnsafePointer(to: desc, ck_lstm_db_partials_floats))
        defer { split.biasGradientPartials?.deallocate() }
        split.runOnDispatch(chunks: chunks, name)
        requireOK(withUnsafePointer(to: desc) { ck_lstm_add_db_partials($0, split.biasGradientPartials, biasGradient) }, name)
    }
}

/// Rows per batch-row group: the unit of splitting, so that the LSTM bias gradient's fixed
/// summation order (see `ck_lstm_backward`) survives any thread count.
let rowGroup = Int(CK_GATES_DB_ROWS)
