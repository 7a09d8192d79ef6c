import CKernels

// What LSTMCell and GRUCell share: their configuration check, their batch size, and the Dispatch
// driver that splits a batch into row chunks for the `_rows` kernels of ckernels.h. (OpenMP: Backend.swift.)

/// Throws for a parallelism or ISA that a cell cannot run with.
func validate(parallelism: Parallelism, isa: ISA?, _ name: String) throws(GateKernelsError) {
    if let reason = parallelism.invalidReason { throw .invalidConfiguration("\(name): \(reason)") }
    if let isa, !isa.isSupported {
        throw .invalidConfiguration("\(name): instruction set \(isa) is not supported on this CPU")
    }
    #if OpenMP
    if case .openMP = parallelism, let isa {
        throw .invalidConfiguration("\(name): the OpenMP drivers run the active ISA; choose \(isa) with ISA.use(_:)")
    }
    #endif
}

/// A cell's parallelism and ISA, valid by construction: `LSTMCell` and `GRUCell` keep theirs in one
/// of these, so that setting either property checks the pair as the initializer does.
struct CellExecution: Sendable, Hashable {
    let parallelism: Parallelism
    let isa: ISA?
    let cellName: String

    init(parallelism: Parallelism, isa: ISA?, _ cellName: String) throws(GateKernelsError) {
        try validate(parallelism: parallelism, isa: isa, cellName)
        self.parallelism = parallelism
        self.isa = isa
        self.cellName = cellName
    }

    /// This pair with `parallelism` or `isa` changed; a value the initializer refuses stops the
    /// program with the initializer's message (a property setter cannot throw).
    func with(parallelism: Parallelism? = nil, isa: ISA?? = nil) -> CellExecution {
        do {
            return try CellExecution(parallelism: parallelism ?? self.parallelism, isa: isa ?? self.isa, cellName)
        } catch {
            misuse(error.description, file: #fileID, line: #line)
        }
    }
}

/// A cell's workspace size, `floatsPerElement · batch · hiddenSize`, or a stop with a message naming
/// the sizes when `batch` is negative or the product overflows.
func workspaceCount(_ floatsPerElement: Int, batch: Int, hiddenSize: Int, _ cellName: String) -> Int {
    require(batch >= 0, "\(cellName).workspaceCount(batch: \(batch)): the batch size must not be negative")
    return sizeProduct(floatsPerElement, batch, hiddenSize, of: "\(cellName).workspaceCount(batch: \(batch))")
}

/// B, the number of rows of `hiddenSize` elements in `argument`'s `count`, or a stop naming the sizes.
func batchSize(_ count: Int, of argument: String, hiddenSize: Int, _ cellName: String) -> Int {
    require(count > 0 && count % hiddenSize == 0,
            "\(cellName): \(argument) has \(count) elements, not a positive multiple of hiddenSize \(hiddenSize)")
    return count / hiddenSize
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

/// An LSTM backward call (`Float` or half-format) whose bias gradient, when the batch is split
/// across threads, goes through one partial per row group (ckernels_threads.h): the serial call's
/// bits for any split.
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
