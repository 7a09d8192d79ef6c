import CKernels

// The gate updates with half-format tensors (ckernels.h, "Gate updates with half-format tensors";
// docs/design.md, "Half-format tensors"): the large per-step tensors in BFloat16 or Float16, the
// cell state, the workspace and the bias gradient in Float. Each call gives the float call's
// results on the inputs widened to Float, with each half-format output rounded once to nearest even.

/// The C format of `H`.
@usableFromInline
func halfFormat<H: HalfFloat>(_: H.Type) -> ck_half_format {
    if H.self == BFloat16.self { return CK_BF16 }
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    if H.self == Float16.self { return CK_F16 }
    #endif
    misuse("\(H.self) is not a format the kernels know (BFloat16, Float16)", file: #fileID, line: #line)
}

/// Calls `body` with the buffer's elements as the bit patterns the C kernels read.
@inlinable
func withHalfBits<H: HalfFloat, R>(_ buffer: some HalfBuffer<H>, _ body: (UnsafeBufferPointer<UInt16>) -> R) -> R {
    buffer.withUnsafeBufferPointer { b in
        body(UnsafeBufferPointer(start: UnsafeRawPointer(b.baseAddress)?.assumingMemoryBound(to: UInt16.self),
                                 count: b.count))
    }
}

/// Calls `body` with the buffer's elements as the bit patterns the C kernels write.
@inlinable
func withMutableHalfBits<H: HalfFloat, R>(_ buffer: inout some MutableHalfBuffer<H>,
                                          _ body: (UnsafeMutableBufferPointer<UInt16>) -> R) -> R {
    buffer.withUnsafeMutableBufferPointer { b in
        body(UnsafeMutableBufferPointer(start: UnsafeMutableRawPointer(b.baseAddress)?.assumingMemoryBound(to: UInt16.self),
                                        count: b.count))
    }
}

extension LSTMCell {
    /// Inference step with the preactivations and `hidden` in a half format (`BFloat16`, `Float16`),
    /// the cell state in `Float`.
    ///
    /// The results are those of the `Float` step on the preactivations widened to `Float`, with
    /// `hidden` rounded to the format (nearest even); `cell` is that step's, bit for bit. The same bits
    /// on every ISA and for every `parallelism`.
    /// - Parameters:
    ///   - preactivations: `Z`, B rows of `zRowStride` elements (default 4H) of which the first 4H are used.
    ///   - zRowStride: `nil` (4H), or the distance between rows of `Z` (at least 4H).
    ///   - bias: `nil`, or 4H floats added to every row of `Z`.
    ///   - previousCell: `c_prev[B][H]`.
    ///   - cell: receives `c[B][H]`.
    ///   - hidden: receives `h[B][H]`, in `Z`'s format.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward<H: HalfFloat>(preactivations: some HalfBuffer<H>, zRowStride: Int? = nil,
                                      bias: (any FloatBuffer)? = nil, previousCell: any FloatBuffer,
                                      cell: inout some MutableFloatBuffer, hidden: inout some MutableHalfBuffer<H>) {
        halfForwardOnStorage(preactivations, zRowStride, bias, previousCell, &cell, &hidden, nil)
    }

    /// Training step with half-format preactivations and `hidden`:
    /// `forward(preactivations:zRowStride:bias:previousCell:cell:hidden:)`, also writing the
    /// `workspaceCount(batch:)` floats that the half-format `backward` reads (the float step's workspace).
    /// - Parameters:
    ///   - preactivations: `Z`, B rows of `zRowStride` elements (default 4H) of which the first 4H are used.
    ///   - zRowStride: `nil` (4H), or the distance between rows of `Z` (at least 4H).
    ///   - bias: `nil`, or 4H floats added to every row of `Z`.
    ///   - previousCell: `c_prev[B][H]`.
    ///   - cell: receives `c[B][H]`.
    ///   - hidden: receives `h[B][H]`, in `Z`'s format.
    ///   - workspace: receives `workspaceCount(batch: B)` floats for `backward`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward<H: HalfFloat>(preactivations: some HalfBuffer<H>, zRowStride: Int? = nil,
                                      bias: (any FloatBuffer)? = nil, previousCell: any FloatBuffer,
                                      cell: inout some MutableFloatBuffer, hidden: inout some MutableHalfBuffer<H>,
                                      workspace: inout some MutableFloatBuffer) {
        workspace.withUnsafeMutableBufferPointer { ws in
            halfForwardOnStorage(preactivations, zRowStride, bias, previousCell, &cell, &hidden, ws)
        }
    }

    /// Both half-format forward forms: their buffers' storage, then the forward on raw buffers.
    @inlinable
    func halfForwardOnStorage<H: HalfFloat>(_ preactivations: some HalfBuffer<H>, _ zRowStride: Int?,
                                            _ bias: (any FloatBuffer)?, _ previousCell: any FloatBuffer,
                                            _ cell: inout some MutableFloatBuffer,
                                            _ hidden: inout some MutableHalfBuffer<H>,
                                            _ ws: UnsafeMutableBufferPointer<Float>?) {
        withHalfBits(preactivations) { z in
            withOptionalBuffer(bias) { b in
                previousCell.withUnsafeBufferPointer { cp in
                    cell.withUnsafeMutableBufferPointer { c in
                        withMutableHalfBits(&hidden) { h in halfForward(halfFormat(H.self), z, zRowStride, b, cp, c, h, ws) }
                    }
                }
            }
        }
    }

    /// The half-format forward on raw buffers.
    @usableFromInline
    func halfForward(_ format: ck_half_format, _ z: UnsafeBufferPointer<UInt16>, _ zRowStride: Int?,
                     _ bias: UnsafeBufferPointer<Float>?, _ cPrev: UnsafeBufferPointer<Float>,
                     _ c: UnsafeMutableBufferPointer<Float>, _ h: UnsafeMutableBufferPointer<UInt16>,
                     _ ws: UnsafeMutableBufferPointer<Float>?) {
        let desc = checkedForwardDesc(preactivations: z.count, zRowStride: zRowStride, bias: bias?.count,
                                      previousCell: cPrev.count, cell: c.count, hidden: h.count, workspace: ws?.count)
        HalfLSTMForwardCall(desc: desc, format: format, isa: isa?.c ?? CK_ISA_AUTO,
                            z: z.baseAddress, bias: bias?.baseAddress, previousCell: cPrev.baseAddress,
                            cell: c.baseAddress, hidden: h.baseAddress, workspace: ws?.baseAddress)
            .run(parallelism, "LSTMCell.forward")
    }

    /// Backward step with the hidden gradient and the preactivation gradient in a half format:
    /// from `dh` (the gradient reaching `h`), the gradient reaching `c` from later steps (`Float`),
    /// the training workspace of the matching half-format `forward` and `c_prev`, computes `dZ[B][4H]`
    /// (dense, in `gateOrder`, rounded to `dh`'s format) and `dc_prev[B][H]` (`Float`).
    ///
    /// The results are those of the `Float` backward on `dh` widened to `Float`, with `dZ` rounded
    /// to the format; the same bits on every ISA and for every `parallelism`.
    /// - Parameters:
    ///   - hiddenGradient: `dh[B][H]`.
    ///   - nextCellGradient: `nil` (zero), or `dc_next[B][H]`, the gradient reaching `c` from step t + 1.
    ///   - workspace: what the training `forward` wrote.
    ///   - previousCell: the `c_prev` given to that `forward`.
    ///   - preactivationGradient: receives `dZ[B][4H]`, in `dh`'s format.
    ///   - previousCellGradient: receives `dc_prev[B][H]`.
    /// - Precondition: the sizes above hold.
    @inlinable
    public func backward<H: HalfFloat>(hiddenGradient: some HalfBuffer<H>, nextCellGradient: (any FloatBuffer)? = nil,
                                       workspace: any FloatBuffer, previousCell: any FloatBuffer,
                                       preactivationGradient: inout some MutableHalfBuffer<H>,
                                       previousCellGradient: inout some MutableFloatBuffer) {
        halfBackwardOnStorage(hiddenGradient, nextCellGradient, workspace, previousCell, &preactivationGradient,
                              &previousCellGradient, nil)
    }

    /// The half-format
    /// `backward(hiddenGradient:nextCellGradient:workspace:previousCell:preactivationGradient:previousCellGradient:)`,
    /// also adding the batch sum of `dZ` (as computed in `Float`, before the rounding) to `biasGradient`
    /// (4H floats, `+=`), in the fixed order of the `Float` backward.
    /// - Parameters:
    ///   - hiddenGradient: `dh[B][H]`.
    ///   - nextCellGradient: `nil` (zero), or `dc_next[B][H]`, the gradient reaching `c` from step t + 1.
    ///   - workspace: what the training `forward` wrote.
    ///   - previousCell: the `c_prev` given to that `forward`.
    ///   - preactivationGradient: receives `dZ[B][4H]`, in `dh`'s format.
    ///   - previousCellGradient: receives `dc_prev[B][H]`.
    ///   - biasGradient: `db[4H]`, to which the batch sum of `dZ` is added.
    /// - Precondition: the sizes above hold.
    @inlinable
    public func backward<H: HalfFloat>(hiddenGradient: some HalfBuffer<H>, nextCellGradient: (any FloatBuffer)? = nil,
                                       workspace: any FloatBuffer, previousCell: any FloatBuffer,
                                       preactivationGradient: inout some MutableHalfBuffer<H>,
                                       previousCellGradient: inout some MutableFloatBuffer,
                                       biasGradient: inout some MutableFloatBuffer) {
        biasGradient.withUnsafeMutableBufferPointer { db in
            halfBackwardOnStorage(hiddenGradient, nextCellGradient, workspace, previousCell, &preactivationGradient,
                                  &previousCellGradient, db)
        }
    }

    /// Both half-format backward forms: their buffers' storage, then the backward on raw buffers.
    @inlinable
    func halfBackwardOnStorage<H: HalfFloat>(_ hiddenGradient: some HalfBuffer<H>, _ nextCellGradient: (any FloatBuffer)?,
                                             _ workspace: any FloatBuffer, _ previousCell: any FloatBuffer,
                                             _ preactivationGradient: inout some MutableHalfBuffer<H>,
                                             _ previousCellGradient: inout some MutableFloatBuffer,
                                             _ db: UnsafeMutableBufferPointer<Float>?) {
        withHalfBits(hiddenGradient) { dh in
            withOptionalBuffer(nextCellGradient) { dcn in
                workspace.withUnsafeBufferPointer { ws in
                    previousCell.withUnsafeBufferPointer { cp in
                        withMutableHalfBits(&preactivationGradient) { dz in
                            previousCellGradient.withUnsafeMutableBufferPointer { dcp in
                                halfBackward(halfFormat(H.self), dh, dcn, ws, cp, dz, dcp, db)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The half-format backward on raw buffers.
    @usableFromInline
    func halfBackward(_ format: ck_half_format, _ dh: UnsafeBufferPointer<UInt16>, _ dcNext: UnsafeBufferPointer<Float>?,
                      _ ws: UnsafeBufferPointer<Float>, _ cPrev: UnsafeBufferPointer<Float>,
                      _ dz: UnsafeMutableBufferPointer<UInt16>, _ dcPrev: UnsafeMutableBufferPointer<Float>,
                      _ db: UnsafeMutableBufferPointer<Float>?) {
        let desc = checkedBackwardDesc(hiddenGradient: dh.count, nextCellGradient: dcNext?.count, workspace: ws.count,
                                       previousCell: cPrev.count, preactivationGradient: dz.count,
                                       previousCellGradient: dcPrev.count, biasGradient: db?.count)
        HalfLSTMBackwardCall(desc: desc, format: format, isa: isa?.c ?? CK_ISA_AUTO,
                             hiddenGradient: dh.baseAddress, nextCellGradient: dcNext?.baseAddress,
                             workspace: ws.baseAddress, previousCell: cPrev.baseAddress,
                             preactivationGradient: dz.baseAddress, previousCellGradient: dcPrev.baseAddress,
                             biasGradient: db?.baseAddress)
            .run(parallelism, "LSTMCell.backward")
    }
}

extension GRUCell {
    /// Inference step with every per-step tensor in a half format (`BFloat16`, `Float16`):
    /// `hidden = h[B][H]` from `X[B][3H]`, `Hg[B][3H]` and `h_prev[B][H]`.
    ///
    /// The result is that of the `Float` step on the inputs widened to `Float`, rounded to the format
    /// (nearest even); the same bits on every ISA and for every `parallelism`.
    /// - Parameters:
    ///   - inputProjections: `X[B][3H]`, blocks r, z, n, each with its input bias added.
    ///   - hiddenProjections: `Hg[B][3H]`, blocks r, z, n, each with its hidden bias added.
    ///   - previousHidden: `h_prev[B][H]`.
    ///   - hidden: receives `h[B][H]`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward<H: HalfFloat>(inputProjections: some HalfBuffer<H>, hiddenProjections: some HalfBuffer<H>,
                                      previousHidden: some HalfBuffer<H>, hidden: inout some MutableHalfBuffer<H>) {
        halfForwardOnStorage(inputProjections, hiddenProjections, previousHidden, &hidden, nil)
    }

    /// Training step with half-format tensors:
    /// `forward(inputProjections:hiddenProjections:previousHidden:hidden:)`, also writing the
    /// `workspaceCount(batch:)` floats that the half-format `backward` reads.
    /// - Parameters:
    ///   - inputProjections: `X[B][3H]`, blocks r, z, n, each with its input bias added.
    ///   - hiddenProjections: `Hg[B][3H]`, blocks r, z, n, each with its hidden bias added.
    ///   - previousHidden: `h_prev[B][H]`.
    ///   - hidden: receives `h[B][H]`.
    ///   - workspace: receives `workspaceCount(batch: B)` floats for `backward`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward<H: HalfFloat>(inputProjections: some HalfBuffer<H>, hiddenProjections: some HalfBuffer<H>,
                                      previousHidden: some HalfBuffer<H>, hidden: inout some MutableHalfBuffer<H>,
                                      workspace: inout some MutableFloatBuffer) {
        workspace.withUnsafeMutableBufferPointer { ws in
            halfForwardOnStorage(inputProjections, hiddenProjections, previousHidden, &hidden, ws)
        }
    }

    /// Both half-format forward forms: their buffers' storage, then the forward on raw buffers.
    @inlinable
    func halfForwardOnStorage<H: HalfFloat>(_ inputProjections: some HalfBuffer<H>, _ hiddenProjections: some HalfBuffer<H>,
                                            _ previousHidden: some HalfBuffer<H>, _ hidden: inout some MutableHalfBuffer<H>,
                                            _ ws: UnsafeMutableBufferPointer<Float>?) {
        withHalfBits(inputProjections) { x in
            withHalfBits(hiddenProjections) { hg in
                withHalfBits(previousHidden) { hp in
                    withMutableHalfBits(&hidden) { h in halfForward(halfFormat(H.self), x, hg, hp, h, ws) }
                }
            }
        }
    }

    /// The half-format forward on raw buffers.
    @usableFromInline
    func halfForward(_ format: ck_half_format, _ x: UnsafeBufferPointer<UInt16>, _ hg: UnsafeBufferPointer<UInt16>,
                     _ hPrev: UnsafeBufferPointer<UInt16>, _ h: UnsafeMutableBufferPointer<UInt16>,
                     _ ws: UnsafeMutableBufferPointer<Float>?) {
        let desc = checkedForwardDesc(inputProjections: x.count, hiddenProjections: hg.count, previousHidden: hPrev.count,
                                      hidden: h.count, workspace: ws?.count)
        HalfGRUForwardCall(desc: desc, format: format, isa: isa?.c ?? CK_ISA_AUTO, inputProjections: x.baseAddress,
                           hiddenProjections: hg.baseAddress, previousHidden: hPrev.baseAddress,
                           hidden: h.baseAddress, workspace: ws?.baseAddress)
            .run(parallelism, "GRUCell.forward")
    }

    /// Backward step with every per-step tensor in a half format: from `dh[B][H]` (the whole gradient
    /// reaching `h`), the training workspace of the matching half-format `forward` and `h_prev`,
    /// computes `dX[B][3H]`, `dHg[B][3H]` and the direct part of `dh_prev[B][H]` (`z ⊙ dh`), each
    /// rounded to the format.
    ///
    /// The results are those of the `Float` backward on the inputs widened to `Float`, rounded; the
    /// same bits on every ISA and for every `parallelism`.
    /// - Parameters:
    ///   - hiddenGradient: `dh[B][H]`, the whole gradient reaching `h`.
    ///   - workspace: what the training `forward` wrote.
    ///   - previousHidden: the `h_prev` given to that `forward`.
    ///   - inputProjectionGradient: receives `dX[B][3H]`.
    ///   - hiddenProjectionGradient: receives `dHg[B][3H]`.
    ///   - previousHiddenGradient: receives the direct part of `dh_prev[B][H]`, `z ⊙ dh`.
    /// - Precondition: the sizes above hold.
    @inlinable
    public func backward<H: HalfFloat>(hiddenGradient: some HalfBuffer<H>, workspace: any FloatBuffer,
                                       previousHidden: some HalfBuffer<H>,
                                       inputProjectionGradient: inout some MutableHalfBuffer<H>,
                                       hiddenProjectionGradient: inout some MutableHalfBuffer<H>,
                                       previousHiddenGradient: inout some MutableHalfBuffer<H>) {
        withHalfBits(hiddenGradient) { dh in
            workspace.withUnsafeBufferPointer { ws in
                withHalfBits(previousHidden) { hp in
                    withMutableHalfBits(&inputProjectionGradient) { dx in
                        withMutableHalfBits(&hiddenProjectionGradient) { dhg in
                            withMutableHalfBits(&previousHiddenGradient) { dhp in
                                halfBackward(halfFormat(H.self), dh, ws, hp, dx, dhg, dhp)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The half-format backward on raw buffers.
    @usableFromInline
    func halfBackward(_ format: ck_half_format, _ dh: UnsafeBufferPointer<UInt16>, _ ws: UnsafeBufferPointer<Float>,
                      _ hPrev: UnsafeBufferPointer<UInt16>, _ dx: UnsafeMutableBufferPointer<UInt16>,
                      _ dhg: UnsafeMutableBufferPointer<UInt16>, _ dhPrev: UnsafeMutableBufferPointer<UInt16>) {
        let desc = checkedBackwardDesc(hiddenGradient: dh.count, workspace: ws.count, previousHidden: hPrev.count,
                                       inputProjectionGradient: dx.count, hiddenProjectionGradient: dhg.count,
                                       previousHiddenGradient: dhPrev.count)
        HalfGRUBackwardCall(desc: desc, format: format, isa: isa?.c ?? CK_ISA_AUTO,
                            hiddenGradient: dh.baseAddress, workspace: ws.baseAddress,
                            previousHidden: hPrev.baseAddress, inputProjectionGradient: dx.baseAddress,
                            hiddenProjectionGradient: dhg.baseAddress, previousHiddenGradient: dhPrev.baseAddress)
            .run(parallelism, "GRUCell.backward")
    }
}

/// The half-format `LSTMCell.forward`'s kernel call.
struct HalfLSTMForwardCall: GateCall, @unchecked Sendable {
    let desc: ck_lstm_desc, format: ck_half_format, isa: ck_isa
    let z: UnsafePointer<UInt16>?
    let bias, previousCell: UnsafePointer<Float>?
    let cell: UnsafeMutablePointer<Float>?
    let hidden: UnsafeMutablePointer<UInt16>?
    let workspace: UnsafeMutablePointer<Float>?

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_lstm_forward_half_rows($0, format, rows.lowerBound, rows.upperBound, isa, z, bias, previousCell, cell,
                                      hidden, workspace)
        }
    }
}

/// The half-format `LSTMCell.backward`'s kernel call; split across threads, its bias gradient goes
/// through `SplitBiasGradientCall`.
struct HalfLSTMBackwardCall: SplitBiasGradientCall, @unchecked Sendable {
    let desc: ck_lstm_desc, format: ck_half_format, isa: ck_isa
    let hiddenGradient: UnsafePointer<UInt16>?
    let nextCellGradient, workspace, previousCell: UnsafePointer<Float>?
    let preactivationGradient: UnsafeMutablePointer<UInt16>?
    let previousCellGradient, biasGradient: UnsafeMutablePointer<Float>?
    var biasGradientPartials: UnsafeMutablePointer<Float>? = nil

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) { d in
            if let biasGradientPartials {
                ck_lstm_backward_half_groups(d, format, rows.lowerBound, rows.upperBound, isa, hiddenGradient,
                                             nextCellGradient, workspace, previousCell, preactivationGradient,
                                             previousCellGradient, biasGradientPartials)
            } else {
                ck_lstm_backward_half_rows(d, format, rows.lowerBound, rows.upperBound, isa, hiddenGradient,
                                           nextCellGradient, workspace, previousCell, preactivationGradient,
                                           previousCellGradient, biasGradient)
            }
        }
    }
}

/// The half-format `GRUCell.forward`'s kernel call.
struct HalfGRUForwardCall: GateCall, @unchecked Sendable {
    let desc: ck_gru_desc, format: ck_half_format, isa: ck_isa
    let inputProjections, hiddenProjections, previousHidden: UnsafePointer<UInt16>?
    let hidden: UnsafeMutablePointer<UInt16>?
    let workspace: UnsafeMutablePointer<Float>?

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_forward_half_rows($0, format, rows.lowerBound, rows.upperBound, isa, inputProjections,
                                     hiddenProjections, previousHidden, hidden, workspace)
        }
    }
}

/// The half-format `GRUCell.backward`'s kernel call.
struct HalfGRUBackwardCall: GateCall, @unchecked Sendable {
    let desc: ck_gru_desc, format: ck_half_format, isa: ck_isa
    let hiddenGradient: UnsafePointer<UInt16>?
    let workspace: UnsafePointer<Float>?
    let previousHidden: UnsafePointer<UInt16>?
    let inputProjectionGradient, hiddenProjectionGradient, previousHiddenGradient: UnsafeMutablePointer<UInt16>?

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_backward_half_rows($0, format, rows.lowerBound, rows.upperBound, isa, hiddenGradient, workspace,
                                      previousHidden, inputProjectionGradient, hiddenProjectionGradient,
                                      previousHiddenGradient)
        }
    }
}
