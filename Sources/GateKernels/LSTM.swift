import CKernels

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
    ///
    /// Setting a value that the initializer would refuse (such as `.threads(0)`) stops the program
    /// with the initializer's message; to handle it as an error, create the cell with `init` instead.
    public var parallelism: Parallelism {
        get { execution.parallelism }
        set { execution = execution.with(parallelism: newValue) }
    }
    /// Run on this instruction set instead of the process-wide one (`nil`: `ISA.active`); for
    /// tests and benchmarks. Every ISA gives the same bits.
    ///
    /// Setting an instruction set this CPU lacks stops the program with the initializer's message;
    /// to handle it as an error, create the cell with `init` instead.
    public var isa: ISA? {
        get { execution.isa }
        set { execution = execution.with(isa: .some(newValue)) }
    }
    private var execution: CellExecution

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
        self.hiddenSize = hiddenSize
        self.gateOrder = gateOrder
        self.forgetBias = forgetBias
        self.cellClip = cellClip
        self.tier = tier
        execution = try CellExecution(parallelism: parallelism, isa: isa, "LSTMCell")
    }

    /// The number of `Float`s of workspace a training `forward` writes for `batch` rows: `5 · batch · H`
    /// (the activated gates, then tanh(c)).
    /// - Parameter batch: B, the number of batch rows.
    /// - Precondition: `batch >= 0`, and the count fits in `Int`.
    public func workspaceCount(batch: Int) -> Int { GateKernels.workspaceCount(5, batch: batch, hiddenSize: hiddenSize, "LSTMCell") }

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
        forwardOnStorage(preactivations, zRowStride, bias, previousCell, &cell, &hidden, nil)
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
        workspace.withUnsafeMutableBufferPointer { ws in
            forwardOnStorage(preactivations, zRowStride, bias, previousCell, &cell, &hidden, ws)
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
        workspace.withUnsafeMutableBufferPointer { ws in
            forwardOnStorage(nil, nil, bias, previousCell, &cell, &hidden, ws)
        }
    }

    /// Every public forward form: their buffers' storage, then the forward on raw buffers.
    /// `preactivations` nil: `Z` is in the workspace.
    @inlinable
    func forwardOnStorage(_ preactivations: (any FloatBuffer)?, _ zRowStride: Int?, _ bias: (any FloatBuffer)?,
                          _ previousCell: any FloatBuffer, _ cell: inout some MutableFloatBuffer,
                          _ hidden: inout some MutableFloatBuffer, _ ws: UnsafeMutableBufferPointer<Float>?) {
        withOptionalBuffer(preactivations) { z in
            withOptionalBuffer(bias) { b in
                previousCell.withUnsafeBufferPointer { cp in
                    cell.withUnsafeMutableBufferPointer { c in
                        hidden.withUnsafeMutableBufferPointer { h in forward(z, zRowStride, b, cp, c, h, ws) }
                    }
                }
            }
        }
    }

    /// The forward on raw buffers (not generic, so the work is compiled once here); `z` nil: `Z` is
    /// the gate section of `ws`.
    @usableFromInline
    func forward(_ z: UnsafeBufferPointer<Float>?, _ zRowStride: Int?, _ bias: UnsafeBufferPointer<Float>?,
                 _ cPrev: UnsafeBufferPointer<Float>, _ c: UnsafeMutableBufferPointer<Float>,
                 _ h: UnsafeMutableBufferPointer<Float>, _ ws: UnsafeMutableBufferPointer<Float>?) {
        let desc = checkedForwardDesc(preactivations: z?.count, zRowStride: zRowStride, bias: bias?.count,
                                      previousCell: cPrev.count, cell: c.count, hidden: h.count, workspace: ws?.count)
        let z = z ?? UnsafeBufferPointer(rebasing: ws![..<(ws!.count / 5 * 4)]) // the workspace is 5BH: gates, tanh(c)
        LSTMForwardCall(desc: desc, isa: isa?.c ?? CK_ISA_AUTO, z: z.baseAddress, bias: bias?.baseAddress,
                        previousCell: cPrev.baseAddress, cell: c.baseAddress, hidden: h.baseAddress,
                        workspace: ws?.baseAddress)
            .run(parallelism, "LSTMCell.forward")
    }

    /// The forward's descriptor for buffers of these element counts, or a stop with a message naming
    /// the argument and the sizes: the one size check of the `Float` and the half-format forward,
    /// whose tensors differ in element type, not in count. `preactivations` nil: `Z` is the
    /// workspace's gate section (`Float` only; a half-format `Z` cannot live in the `Float` workspace).
    func checkedForwardDesc(preactivations: Int?, zRowStride: Int?, bias: Int?, previousCell: Int, cell: Int,
                            hidden: Int, workspace: Int?) -> ck_lstm_desc {
        let B = batchSize(previousCell, of: "previousCell", hiddenSize: hiddenSize, "LSTMCell"), BH = previousCell
        let gates = sizeProduct(4, hiddenSize, of: "LSTMCell.forward: 4H")
        let stride = zRowStride ?? gates
        require(stride >= gates, "LSTMCell.forward: zRowStride is \(stride) but must be at least 4H = \(gates)")
        if let z = preactivations {
            let zMax = sizeProduct(B, stride, of: "LSTMCell.forward: B rows of zRowStride")
            let zNeed = zMax - (stride - gates) // the last row may end after its 4H
            require(z >= zNeed && z <= zMax,
                    "LSTMCell.forward: preactivations have \(z) elements but B = \(B) rows of stride \(stride) need "
                    + (zNeed == zMax ? "\(zNeed)" : "\(zNeed)...\(zMax)"))
        }
        if let bias { require(bias == gates, "LSTMCell.forward: bias has \(bias) elements but 4H = \(gates)") }
        require(cell == BH, "LSTMCell.forward: cell has \(cell) elements but previousCell has \(BH)")
        require(hidden == BH, "LSTMCell.forward: hidden has \(hidden) elements but previousCell has \(BH)")
        if let workspace {
            let need = workspaceCount(batch: B)
            require(workspace == need, "LSTMCell.forward: workspace has \(workspace) elements but needs \(need)")
        }
        return desc(batch: B, zRowStride: stride)
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
        let desc = checkedBackwardDesc(hiddenGradient: dh.count, nextCellGradient: dcNext?.count, workspace: ws.count,
                                       previousCell: cPrev.count, preactivationGradient: dz.count,
                                       previousCellGradient: dcPrev.count, biasGradient: db?.count)
        LSTMBackwardCall(desc: desc, isa: isa?.c ?? CK_ISA_AUTO, hiddenGradient: dh.baseAddress,
                         nextCellGradient: dcNext?.baseAddress, workspace: ws.baseAddress, previousCell: cPrev.baseAddress,
                         preactivationGradient: dz.baseAddress, previousCellGradient: dcPrev.baseAddress,
                         biasGradient: db?.baseAddress)
            .run(parallelism, "LSTMCell.backward")
    }

    /// The backward's descriptor for buffers of these element counts, or a stop with a message
    /// naming the argument and the sizes: the one size check of the `Float` and the half-format backward.
    func checkedBackwardDesc(hiddenGradient: Int, nextCellGradient: Int?, workspace: Int, previousCell: Int,
                             preactivationGradient: Int, previousCellGradient: Int, biasGradient: Int?) -> ck_lstm_desc {
        let B = batchSize(previousCell, of: "previousCell", hiddenSize: hiddenSize, "LSTMCell"), BH = previousCell
        require(hiddenGradient == BH,
                "LSTMCell.backward: hiddenGradient has \(hiddenGradient) elements but previousCell has \(BH)")
        if let nextCellGradient {
            require(nextCellGradient == BH,
                    "LSTMCell.backward: nextCellGradient has \(nextCellGradient) elements but previousCell has \(BH)")
        }
        let need = workspaceCount(batch: B)
        require(workspace == need, "LSTMCell.backward: workspace has \(workspace) elements but needs \(need)")
        let gatesBH = sizeProduct(4, BH, of: "LSTMCell.backward: 4BH")
        require(preactivationGradient == gatesBH,
                "LSTMCell.backward: preactivationGradient has \(preactivationGradient) elements but needs 4BH = \(gatesBH)")
        require(previousCellGradient == BH,
                "LSTMCell.backward: previousCellGradient has \(previousCellGradient) elements but previousCell has \(BH)")
        if let biasGradient {
            let gates = sizeProduct(4, hiddenSize, of: "LSTMCell.backward: 4H")
            require(biasGradient == gates, "LSTMCell.backward: biasGradient has \(biasGradient) elements but 4H = \(gates)")
        }
        return desc(batch: B, zRowStride: 0)
    }
}

/// `LSTMCell.forward`'s kernel call.
struct LSTMForwardCall: GateCall, @unchecked Sendable {
    let desc: ck_lstm_desc, isa: ck_isa
    let z, bias, previousCell: UnsafePointer<Float>?
    let cell, hidden, workspace: UnsafeMutablePointer<Float>?

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_lstm_forward_rows($0, rows.lowerBound, rows.upperBound, isa, z, bias, previousCell, cell, hidden, workspace)
        }
    }
}

/// `LSTMCell.backward`'s kernel call; split across threads, its bias gradient goes through
/// `SplitBiasGradientCall`.
struct LSTMBackwardCall: SplitBiasGradientCall, @unchecked Sendable {
    let desc: ck_lstm_desc, isa: ck_isa
    let hiddenGradient, nextCellGradient, workspace, previousCell: UnsafePointer<Float>?
    let preactivationGradient, previousCellGradient, biasGradient: UnsafeMutablePointer<Float>?
    var biasGradientPartials: UnsafeMutablePointer<Float>? = nil

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) { d in
            if let biasGradientPartials {
                ck_lstm_backward_groups(d, rows.lowerBound, rows.upperBound, isa, hiddenGradient, nextCellGradient,
                                        workspace, previousCell, preactivationGradient, previousCellGradient,
                                        biasGradientPartials)
            } else {
                ck_lstm_backward_rows(d, rows.lowerBound, rows.upperBound, isa, hiddenGradient, nextCellGradient,
                                      workspace, previousCell, preactivationGradient, previousCellGradient, biasGradient)
            }
        }
    }
}
