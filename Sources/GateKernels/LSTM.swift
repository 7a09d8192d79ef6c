import CKernels
import Dispatch
#if OpenMP
import CKernelsOpenMP
#endif

/// The order of the four gate blocks (each `hiddenSize` wide) in a row of LSTM preactivations,
/// and in the bias, the gradients and the workspace.
public enum LSTMGateOrder: Sendable, Hashable, CaseIterable {
    /// Input, forget, cell candidate, output: PyTorch, cuDNN, oneDNN, Keras.
    case ifgo
    /// Input, cell candidate, forget, output: TensorFlow's `LSTMBlockCell`.
    case icfo

    var c: ck_gate_order { self == .ifgo ? CK_GATES_IFGO : CK_GATES_ICFO }
}

/// A batched, fused LSTM gate update: after the trainer's GEMMs, one call per time step applies
/// the gate activations and the cell update in one pass over memory, and (when training) saves
/// what `backward` needs in a workspace.
///
/// With preactivations `Z[B][4H]` (plus an optional bias `b[4H]`, broadcast over rows),
/// `i, f, o = σ(·)`, `g = tanh(·)` (the forget bias added to `f`'s preactivation),
/// `c = clip(f ⊙ c_prev + i ⊙ g)`, `h = o ⊙ tanh(c)`. The activations are the tier's sigmoid and
/// tanh with the tier's error bounds; the rest is `Float` arithmetic with FMA. Results are bitwise
/// identical for every ISA and every `parallelism` (including the bias gradient).
public struct LSTMCell: Sendable, Hashable {
    /// H: the hidden size; every per-row buffer has H (or 4H) elements per batch row.
    public let hiddenSize: Int
    /// The gate order of the preactivations, bias, gradients and workspace.
    public let gateOrder: LSTMGateOrder
    /// Added to the forget gate's preactivation inside the kernel (after the bias).
    public let forgetBias: Float
    /// When set, `c` is clipped to `[-cellClip, cellClip]` before tanh and storage, and the gradient
    /// through a clipped element is zero (as in TensorFlow).
    public let cellClip: Float?
    /// The activations' accuracy tier.
    public var tier: Tier
    /// How many threads a call may use: batch rows are split across them.
    public var parallelism: Parallelism
    /// Run on this instruction set instead of the process-wide one (`nil`: `ISA.active`); for
    /// tests and benchmarks. Every ISA gives the same bits.
    public var isa: ISA?

    /// Creates a cell configuration.
    /// - Parameters:
    ///   - hiddenSize: H, at least 1.
    ///   - gateOrder: The order of the four gate blocks in the preactivations and what follows them.
    ///   - forgetBias: Added to the forget gate's preactivation inside the kernel.
    ///   - cellClip: `nil`, or the positive bound that `c` is clipped to.
    ///   - tier: The activations' accuracy tier.
    ///   - parallelism: How many threads a call may use.
    ///   - isa: `nil` for the process-wide instruction set, or one to run on instead.
    /// - Throws: `GateKernelsError.invalidConfiguration` if `hiddenSize < 1`, `forgetBias` is NaN,
    ///   `cellClip` is not a positive number, the ISA is not supported, or `.threads(n)` has `n < 1`.
    public init(hiddenSize: Int, gateOrder: LSTMGateOrder = .ifgo, forgetBias: Float = 0, cellClip: Float? = nil,
                tier: Tier = .fast, parallelism: Parallelism = .serial, isa: ISA? = nil) throws(GateKernelsError) {
        guard hiddenSize >= 1 else {
            throw .invalidConfiguration("LSTMCell: hiddenSize is \(hiddenSize); it must be at least 1")
        }
        guard !forgetBias.isNaN else { throw .invalidConfiguration("LSTMCell: forgetBias is NaN") }
        if let cellClip, !(cellClip > 0) {
            throw .invalidConfiguration("LSTMCell: cellClip is \(cellClip); it must be positive (nil: no clipping)")
        }
        try validate(parallelism: parallelism, isa: isa, "LSTMCell")
        self.hiddenSize = hiddenSize
        self.gateOrder = gateOrder
        self.forgetBias = forgetBias
        self.cellClip = cellClip
        self.tier = tier
        self.parallelism = parallelism
        self.isa = isa
    }

    /// The number of `Float`s of workspace a training `forward` writes for `batch` rows: `5 · batch · H`
    /// (the activated gates, then tanh(c)).
    /// - Parameter batch: B, the number of batch rows.
    public func workspaceCount(batch: Int) -> Int { 5 * batch * hiddenSize }

    func desc(batch: Int, zRowStride: Int) -> ck_lstm_desc {
        ck_lstm_desc(batch: batch, hidden: hiddenSize, z_stride: zRowStride, order: gateOrder.c,
                     forget_bias: forgetBias, cell_clip: cellClip ?? 0, tier: tier.c)
    }

    /// Inference step: computes `cell` and `hidden` from the preactivations and the previous cell,
    /// writing no workspace.
    ///
    /// The batch size B is `previousCell.count / hiddenSize`.
    /// - Parameters:
    ///   - preactivations: `Z`, B rows of `zRowStride` elements (default 4H) of which the first 4H are used.
    ///   - zRowStride: `nil` (4H), or the distance between rows of `Z` when it is a GEMM output with a
    ///     larger leading dimension (at least 4H).
    ///   - bias: `nil`, or 4H elements added to every row of `Z`.
    ///   - previousCell: `c_prev[B][H]`.
    ///   - cell: receives `c[B][H]`.
    ///   - hidden: receives `h[B][H]`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward(preactivations: any FloatBuffer, zRowStride: Int? = nil, bias: (any FloatBuffer)? = nil,
                        previousCell: any FloatBuffer, cell: inout some MutableFloatBuffer,
                        hidden: inout some MutableFloatBuffer) {
        preactivations.withUnsafeBufferPointer { z in
            withOptionalBuffer(bias) { b in
                previousCell.withUnsafeBufferPointer { cp in
                    cell.withUnsafeMutableBufferPointer { c in
                        hidden.withUnsafeMutableBufferPointer { h in forward(z, zRowStride, b, cp, c, h, nil) }
                    }
                }
            }
        }
    }

    /// Training step: `forward(preactivations:zRowStride:bias:previousCell:cell:hidden:)`, also
    /// writing the `workspaceCount(batch:)` floats that `backward` reads.
    /// - Parameters:
    ///   - preactivations: `Z`, B rows of `zRowStride` elements (default 4H) of which the first 4H are used.
    ///   - zRowStride: `nil` (4H), or the distance between rows of `Z` (at least 4H).
    ///   - bias: `nil`, or 4H elements added to every row of `Z`.
    ///   - previousCell: `c_prev[B][H]`.
    ///   - cell: receives `c[B][H]`.
    ///   - hidden: receives `h[B][H]`.
    ///   - workspace: receives `workspaceCount(batch: B)` elements for `backward`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward(preactivations: any FloatBuffer, zRowStride: Int? = nil, bias: (any FloatBuffer)? = nil,
                        previousCell: any FloatBuffer, cell: inout some MutableFloatBuffer,
                        hidden: inout some MutableFloatBuffer, workspace: inout some MutableFloatBuffer) {
        preactivations.withUnsafeBufferPointer { z in
            withOptionalBuffer(bias) { b in
                previousCell.withUnsafeBufferPointer { cp in
                    cell.withUnsafeMutableBufferPointer { c in
                        hidden.withUnsafeMutableBufferPointer { h in
                            workspace.withUnsafeMutableBufferPointer { ws in forward(z, zRowStride, b, cp, c, h, ws) }
                        }
                    }
                }
            }
        }
    }

    /// Training step with the preactivations in the workspace: the caller writes `Z` (dense: B rows
    /// of 4H) into the first `4 · B · H` elements of `workspace`, typically as the output of its GEMM,
    /// and the step replaces them with the activated gates that `backward` reads. The same results
    /// as `forward(preactivations:zRowStride:bias:previousCell:cell:hidden:workspace:)` with one
    /// buffer less to stream per step.
    /// - Parameters:
    ///   - workspace: `workspaceCount(batch: B)` elements, `Z` in the first `4 · B · H`; receives what
    ///     `backward` reads.
    ///   - bias: `nil`, or 4H elements added to every row of `Z`.
    ///   - previousCell: `c_prev[B][H]`.
    ///   - cell: receives `c[B][H]`.
    ///   - hidden: receives `h[B][H]`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward(preactivationsInWorkspace workspace: inout some MutableFloatBuffer,
                        bias: (any FloatBuffer)? = nil, previousCell: any FloatBuffer,
                        cell: inout some MutableFloatBuffer, hidden: inout some MutableFloatBuffer) {
        withOptionalBuffer(bias) { b in
            previousCell.withUnsafeBufferPointer { cp in
                cell.withUnsafeMutableBufferPointer { c in
                    hidden.withUnsafeMutableBufferPointer { h in
                        workspace.withUnsafeMutableBufferPointer { ws in forwardInWorkspace(ws, b, cp, c, h) }
                    }
                }
            }
        }
    }

    @usableFromInline
    func forwardInWorkspace(_ ws: UnsafeMutableBufferPointer<Float>, _ bias: UnsafeBufferPointer<Float>?,
                            _ cPrev: UnsafeBufferPointer<Float>, _ c: UnsafeMutableBufferPointer<Float>,
                            _ h: UnsafeMutableBufferPointer<Float>) {
        let B = batchSize(cPrev.count, "previousCell")
        require(ws.count == workspaceCount(batch: B),
                "LSTMCell.forward: workspace has \(ws.count) elements but needs \(workspaceCount(batch: B))")
        forward(UnsafeBufferPointer(rebasing: ws[..<(4 * B * hiddenSize)]), nil, bias, cPrev, c, h, ws)
    }

    private func batchSize(_ count: Int, _ name: String) -> Int {
        require(count > 0 && count % hiddenSize == 0,
                "LSTMCell: \(name) has \(count) elements, not a positive multiple of hiddenSize \(hiddenSize)")
        return count / hiddenSize
    }

    /// The forward on raw buffers (not generic, so the work is compiled once here).
    @usableFromInline
    func forward(_ z: UnsafeBufferPointer<Float>, _ zRowStride: Int?, _ bias: UnsafeBufferPointer<Float>?,
                 _ cPrev: UnsafeBufferPointer<Float>, _ c: UnsafeMutableBufferPointer<Float>,
                 _ h: UnsafeMutableBufferPointer<Float>, _ ws: UnsafeMutableBufferPointer<Float>?) {
        let H = hiddenSize, B = batchSize(cPrev.count, "previousCell")
        let stride = zRowStride ?? 4 * H
        require(stride >= 4 * H, "LSTMCell.forward: zRowStride is \(stride) but must be at least 4H = \(4 * H)")
        let zNeed = (B - 1) * stride + 4 * H
        require(z.count >= zNeed && z.count <= B * stride,
                "LSTMCell.forward: preactivations have \(z.count) elements but B = \(B) rows of stride \(stride) need "
                + (zNeed == B * stride ? "\(zNeed)" : "\(zNeed)...\(B * stride)"))
        if let bias {
            require(bias.count == 4 * H, "LSTMCell.forward: bias has \(bias.count) elements but 4H = \(4 * H)")
        }
        require(c.count == B * H, "LSTMCell.forward: cell has \(c.count) elements but previousCell has \(B * H)")
        require(h.count == B * H, "LSTMCell.forward: hidden has \(h.count) elements but previousCell has \(B * H)")
        if let ws {
            require(ws.count == workspaceCount(batch: B),
                    "LSTMCell.forward: workspace has \(ws.count) elements but needs \(workspaceCount(batch: B))")
        }
        var d = desc(batch: B, zRowStride: stride)
        #if OpenMP
        if case .openMP(let n) = parallelism {
            requireOK(ck_lstm_forward_omp(&d, z.baseAddress, bias?.baseAddress, cPrev.baseAddress, c.baseAddress,
                                          h.baseAddress, ws?.baseAddress, Int32(n)), "LSTMCell.forward")
            return
        }
        #endif
        let isa = isa?.c ?? CK_ISA_AUTO
        let p = GatePointers(z.baseAddress, bias?.baseAddress, cPrev.baseAddress, out0: c.baseAddress, out1: h.baseAddress,
                             out2: ws?.baseAddress)
        withUnsafePointer(to: &d) { dp in
            let dps = SendableDesc(dp)
            forEachRowChunk(batch: B, hidden: H, chunks: rowChunkCount(batch: B, hidden: H, parallelism)) { rows in
                requireOK(ck_lstm_forward_rows(dps.pointer, rows.lowerBound, rows.upperBound, isa,
                                               p.in0, p.in1, p.in2, p.out0, p.out1, p.out2),
                          "LSTMCell.forward")
            }
        }
    }

    /// Backward step: from the gradient reaching `h` (and, from later steps, `c`), the training
    /// workspace of the matching `forward` and `c_prev`, computes the preactivation gradient
    /// `dZ[B][4H]` (dense, in `gateOrder`) and `dc_prev[B][H]`.
    ///
    /// Derivatives use the saved activations (σ' = s(1 − s), tanh' = 1 − t²).
    /// - Parameters:
    ///   - hiddenGradient: `dh[B][H]`.
    ///   - nextCellGradient: `nil` (zero), or `dc_next[B][H]`, the gradient reaching `c` from step t + 1.
    ///   - workspace: what the training `forward` wrote.
    ///   - previousCell: the `c_prev` given to that `forward`.
    ///   - preactivationGradient: receives `dZ[B][4H]`.
    ///   - previousCellGradient: receives `dc_prev[B][H]`.
    /// - Precondition: the sizes above hold.
    @inlinable
    public func backward(hiddenGradient: any FloatBuffer, nextCellGradient: (any FloatBuffer)? = nil,
                         workspace: any FloatBuffer, previousCell: any FloatBuffer,
                         preactivationGradient: inout some MutableFloatBuffer,
                         previousCellGradient: inout some MutableFloatBuffer) {
        backwardOnStorage(hiddenGradient, nextCellGradient, workspace, previousCell, &preactivationGradient,
                          &previousCellGradient, nil)
    }

    /// `backward(hiddenGradient:nextCellGradient:workspace:previousCell:preactivationGradient:previousCellGradient:)`,
    /// also adding the batch sum of `dZ` to `biasGradient` (4H elements, `+=`). The sum has one fixed
    /// order (groups of `CK_GATES_DB_ROWS` rows), so it is bitwise identical for every `parallelism`.
    /// - Parameters:
    ///   - hiddenGradient: `dh[B][H]`.
    ///   - nextCellGradient: `nil` (zero), or `dc_next[B][H]`, the gradient reaching `c` from step t + 1.
    ///   - workspace: what the training `forward` wrote.
    ///   - previousCell: the `c_prev` given to that `forward`.
    ///   - preactivationGradient: receives `dZ[B][4H]`.
    ///   - previousCellGradient: receives `dc_prev[B][H]`.
    ///   - biasGradient: `db[4H]`, to which the batch sum of `dZ` is added.
    /// - Precondition: the sizes above hold.
    @inlinable
    public func backward(hiddenGradient: any FloatBuffer, nextCellGradient: (any FloatBuffer)? = nil,
                         workspace: any FloatBuffer, previousCell: any FloatBuffer,
                         preactivationGradient: inout some MutableFloatBuffer,
                         previousCellGradient: inout some MutableFloatBuffer,
                         biasGradient: inout some MutableFloatBuffer) {
        biasGradient.withUnsafeMutableBufferPointer { db in
            backwardOnStorage(hiddenGradient, nextCellGradient, workspace, previousCell, &preactivationGradient,
                              &previousCellGradient, db)
        }
    }

    /// Both public backward forms: their buffers' storage, then the backward on raw buffers.
    @inlinable
    func backwardOnStorage(_ hiddenGradient: some FloatBuffer, _ nextCellGradient: (any FloatBuffer)?,
                           _ workspace: some FloatBuffer, _ previousCell: some FloatBuffer,
                           _ preactivationGradient: inout some MutableFloatBuffer,
                           _ previousCellGradient: inout some MutableFloatBuffer, _ db: UnsafeMutableBufferPointer<Float>?) {
        hiddenGradient.withUnsafeBufferPointer { dh in
            withOptionalBuffer(nextCellGradient) { dcn in
                workspace.withUnsafeBufferPointer { ws in
                    previousCell.withUnsafeBufferPointer { cp in
                        preactivationGradient.withUnsafeMutableBufferPointer { dz in
                            previousCellGradient.withUnsafeMutableBufferPointer { dcp in backward(dh, dcn, ws, cp, dz, dcp, db) }
                        }
                    }
                }
            }
        }
    }

    /// The backward on raw buffers.
    @usableFromInline
    func backward(_ dh: UnsafeBufferPointer<Float>, _ dcNext: UnsafeBufferPointer<Float>?, _ ws: UnsafeBufferPointer<Float>,
                  _ cPrev: UnsafeBufferPointer<Float>, _ dz: UnsafeMutableBufferPointer<Float>,
                  _ dcPrev: UnsafeMutableBufferPointer<Float>, _ db: UnsafeMutableBufferPointer<Float>?) {
        let H = hiddenSize, B = batchSize(cPrev.count, "previousCell")
        require(dh.count == B * H, "LSTMCell.backward: hiddenGradient has \(dh.count) elements but previousCell has \(B * H)")
        if let dcNext {
            require(dcNext.count == B * H,
                    "LSTMCell.backward: nextCellGradient has \(dcNext.count) elements but previousCell has \(B * H)")
        }
        require(ws.count == workspaceCount(batch: B),
                "LSTMCell.backward: workspace has \(ws.count) elements but needs \(workspaceCount(batch: B))")
        require(dz.count == 4 * B * H,
                "LSTMCell.backward: preactivationGradient has \(dz.count) elements but needs 4BH = \(4 * B * H)")
        require(dcPrev.count == B * H,
                "LSTMCell.backward: previousCellGradient has \(dcPrev.count) elements but previousCell has \(B * H)")
        if let db {
            require(db.count == 4 * H, "LSTMCell.backward: biasGradient has \(db.count) elements but 4H = \(4 * H)")
        }
        var d = desc(batch: B, zRowStride: 0)
        #if OpenMP
        if case .openMP(let n) = parallelism {
            requireOK(ck_lstm_backward_omp(&d, dh.baseAddress, dcNext?.baseAddress, ws.baseAddress, cPrev.baseAddress,
                                           dz.baseAddress, dcPrev.baseAddress, db?.baseAddress, Int32(n)), "LSTMCell.backward")
            return
        }
        #endif
        let isa = isa?.c ?? CK_ISA_AUTO
        let p = GatePointers(dh.baseAddress, dcNext?.baseAddress, ws.baseAddress, cPrev.baseAddress,
                             out0: dz.baseAddress, out1: dcPrev.baseAddress)
        withUnsafePointer(to: &d) { dp in
            let dps = SendableDesc(dp)
            reduceBiasGradient(batch: B, hidden: H, width: 4 * H, chunks: rowChunkCount(batch: B, hidden: H, parallelism),
                               into: db?.baseAddress) { rows, dbPart in
                requireOK(ck_lstm_backward_rows(dps.pointer, rows.lowerBound, rows.upperBound, isa,
                                                p.in0, p.in1, p.in2, p.in3, p.out0, p.out1, dbPart),
                          "LSTMCell.backward")
            }
        }
    }
}

// MARK: - shared by LSTMCell and GRUCell

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

/// Raw buffer addresses handed to the parallel workers; each worker touches its own rows.
/// (Fixed fields rather than arrays: no allocation per call, which matters at 1 x H.)
struct GatePointers: @unchecked Sendable {
    var in0, in1, in2, in3: UnsafePointer<Float>?
    var out0, out1, out2: UnsafeMutablePointer<Float>?
    init(_ in0: UnsafePointer<Float>? = nil, _ in1: UnsafePointer<Float>? = nil, _ in2: UnsafePointer<Float>? = nil,
         _ in3: UnsafePointer<Float>? = nil, out0: UnsafeMutablePointer<Float>? = nil,
         out1: UnsafeMutablePointer<Float>? = nil, out2: UnsafeMutablePointer<Float>? = nil) {
        (self.in0, self.in1, self.in2, self.in3) = (in0, in1, in2, in3)
        (self.out0, self.out1, self.out2) = (out0, out1, out2)
    }
}

/// A descriptor address shared (read-only) by the workers of one call.
struct SendableDesc<D>: @unchecked Sendable {
    let pointer: UnsafePointer<D>
    init(_ pointer: UnsafePointer<D>) { self.pointer = pointer }
}

/// Calls `body` with the buffer's storage, or with nil.
@inlinable
func withOptionalBuffer<R>(_ buffer: (any FloatBuffer)?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
    guard let buffer else { return body(nil) }
    return buffer.withUnsafeBufferPointer { body($0) }
}

/// Rows per batch-row group: the unit of splitting, so that the bias gradient's fixed summation
/// order (see `ck_lstm_backward`) survives any thread count.
let rowGroup = Int(CK_GATES_DB_ROWS)

/// Hidden elements (B·H) per thread below which `.automatic` stays on one thread. Measured with
/// `gatekernels bench-gates --shapes 16x512,32x512,16x1024 --tiers fast` (docs/threads.md's VM): two
/// threads gave 0.99x to 1.34x at 16x512 (4K per thread), 1.11x to 1.57x at 32x512 and 1.30x to
/// 1.52x at 16x1024 (8K and 16K per thread), so the split starts at 8K hidden elements per thread.
let gateAutomaticGrain = 1 << 13

/// The number of row chunks for a batch: whole groups of `rowGroup` rows, at most one per thread.
/// Only `.automatic` differs from the activations' rule: its grain counts hidden elements.
/// (`.openMP` never gets here: the cells hand it to the OpenMP gate drivers.)
func rowChunkCount(batch: Int, hidden: Int, _ parallelism: Parallelism) -> Int {
    let groups = (batch + rowGroup - 1) / rowGroup
    if case .automatic = parallelism {
        return max(1, min(activeProcessorCount, groups, batch * hidden / gateAutomaticGrain))
    }
    return chunkCount(groups, parallelism)
}

/// Runs `body` over row ranges of `0..<batch` with `forEachBlock`: blocks of whole `rowGroup`s of
/// about `elementBlockTarget` hidden elements, on `chunks` participants.
func forEachRowChunk(batch: Int, hidden: Int, chunks: Int, _ body: @Sendable (Range<Int>) -> Void) {
    forEachBlock(count: batch, chunks: chunks, align: rowGroup, blockTarget: elementBlockTarget / max(1, hidden), body)
}

/// Runs a row-range kernel that accumulates a `width`-wide reduction into `db` (nil: none), with the
/// same bits for every chunk count: one call when serial; otherwise one call per row group into
/// its own partial (filled with -0, the additive identity for every value), then the partials
/// added to `db` in group order, as the serial kernel adds its group sums.
func reduceBiasGradient(batch: Int, hidden: Int, width: Int, chunks: Int, into db: UnsafeMutablePointer<Float>?,
                        _ kernel: @Sendable (Range<Int>, UnsafeMutablePointer<Float>?) -> Void) {
    guard chunks > 1, let db else {
        let shared = GatePointers(out0: db)
        forEachRowChunk(batch: batch, hidden: hidden, chunks: chunks) { kernel($0, shared.out0) }
        return
    }
    let groups = (batch + rowGroup - 1) / rowGroup
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: groups * width)
    defer { partials.deallocate() }
    partials.initialize(repeating: -0.0, count: groups * width)
    let shared = GatePointers(out0: partials)
    forEachRowChunk(batch: batch, hidden: hidden, chunks: chunks) { rows in
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: rowGroup) {
            kernel(start..<min(rows.upperBound, start + rowGroup), shared.out0! + start / rowGroup * width)
        }
    }
    for g in 0..<groups {
        let part = partials + g * width
        for k in 0..<width { db[k] += part[k] }
    }
}
