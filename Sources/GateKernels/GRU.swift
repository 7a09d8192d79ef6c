import CKernels

/// A batched, fused GRU gate update in PyTorch's convention ("linear before reset"): after the
/// trainer's two GEMMs, one call per time step applies the gate activations and the state update
/// in one pass over memory, and (when training) saves what `backward` needs.
///
/// With input projections `X[B][3H]` and hidden projections `Hg[B][3H]` (gate blocks r, z, n; each
/// with its bias already added), `r = σ(xr + hr)`, `z = σ(xz + hz)`, `n = tanh(xn + r ⊙ hn)`,
/// `h = (1 − z) ⊙ n + z ⊙ h_prev`. The activations carry the tier's error bounds. Results are
/// bitwise identical for every ISA and every `parallelism`.
public struct GRUCell: Sendable, Hashable {
    /// H: the hidden size.
    public let hiddenSize: Int
    /// The activations' accuracy tier.
    public var tier: Tier
    /// How many threads a call may use: batch rows are split across them.
    public var parallelism: Parallelism
    /// Run on this instruction set instead of the process-wide one (`nil`: `ISA.active`); for
    /// tests and benchmarks. Every ISA gives the same bits.
    public var isa: ISA?

    /// Creates a cell configuration.
    /// - Throws: `GateKernelsError.invalidConfiguration` if `hiddenSize < 1`, the ISA is not
    ///   supported, or `.threads(n)` has `n < 1`.
    public init(hiddenSize: Int, tier: Tier = .fast, parallelism: Parallelism = .serial, isa: ISA? = nil) throws(GateKernelsError) {
        guard hiddenSize >= 1 else {
            throw .invalidConfiguration("GRUCell: hiddenSize is \(hiddenSize); it must be at least 1")
        }
        try validate(parallelism: parallelism, isa: isa, "GRUCell")
        self.hiddenSize = hiddenSize
        self.tier = tier
        self.parallelism = parallelism
        self.isa = isa
    }

    /// The number of `Float`s of workspace a training `forward` writes for `batch` rows: `4 · batch · H`
    /// (the activated r, z, n, then hn).
    public func workspaceCount(batch: Int) -> Int { 4 * batch * hiddenSize }

    /// Inference step: `hidden = h[B][H]` from `X[B][3H]`, `Hg[B][3H]` and `h_prev[B][H]`, writing
    /// no workspace. The batch size B is `previousHidden.count / hiddenSize`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    public func forward(inputProjections: some FloatBuffer, hiddenProjections: some FloatBuffer,
                        previousHidden: some FloatBuffer, hidden: inout some MutableFloatBuffer) {
        var none: [Float] = []
        forward(inputProjections, hiddenProjections, previousHidden, &hidden, &none, training: false)
    }

    /// Training step: `forward(inputProjections:hiddenProjections:previousHidden:hidden:)`, also
    /// writing the `workspaceCount(batch:)` floats that `backward` reads.
    public func forward(inputProjections: some FloatBuffer, hiddenProjections: some FloatBuffer,
                        previousHidden: some FloatBuffer, hidden: inout some MutableFloatBuffer,
                        workspace: inout some MutableFloatBuffer) {
        forward(inputProjections, hiddenProjections, previousHidden, &hidden, &workspace, training: true)
    }

    private func batchSize(_ count: Int, _ name: String) -> Int {
        precondition(count > 0 && count % hiddenSize == 0,
                     "GRUCell: \(name) has \(count) elements, not a positive multiple of hiddenSize \(hiddenSize)")
        return count / hiddenSize
    }

    private func forward(_ x: some FloatBuffer, _ hg: some FloatBuffer, _ hPrev: some FloatBuffer,
                         _ h: inout some MutableFloatBuffer, _ ws: inout some MutableFloatBuffer, training: Bool) {
        let H = hiddenSize, B = batchSize(hPrev.count, "previousHidden")
        precondition(x.count == 3 * B * H, "GRUCell.forward: inputProjections have \(x.count) elements but 3BH = \(3 * B * H)")
        precondition(hg.count == 3 * B * H, "GRUCell.forward: hiddenProjections have \(hg.count) elements but 3BH = \(3 * B * H)")
        precondition(h.count == B * H, "GRUCell.forward: hidden has \(h.count) elements but previousHidden has \(B * H)")
        if training {
            precondition(ws.count == workspaceCount(batch: B),
                         "GRUCell.forward: workspace has \(ws.count) elements but needs \(workspaceCount(batch: B))")
        }
        var d = ck_gru_desc(batch: B, hidden: H, tier: tier.c)
        let isa = (isa ?? .active).c
        let chunks = rowChunkCount(batch: B, hidden: H, parallelism)
        x.withUnsafeBufferPointer { xb in
            hg.withUnsafeBufferPointer { hgb in
                hPrev.withUnsafeBufferPointer { hpb in
                    h.withUnsafeMutableBufferPointer { hb in
                        ws.withUnsafeMutableBufferPointer { wb in
                            let p = GatePointers(xb.baseAddress, hgb.baseAddress, hpb.baseAddress, out0: hb.baseAddress,
                                                 out1: training ? wb.baseAddress : nil)
                            withUnsafePointer(to: &d) { dp in
                                let dps = SendableDesc(dp)
                                forEachRowChunk(batch: B, chunks: chunks) { rows in
                                    check(ck_gru_forward_rows(dps.pointer, rows.lowerBound, rows.upperBound, isa,
                                                              p.in0, p.in1, p.in2, p.out0, p.out1),
                                          "GRUCell.forward")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Backward step: from `dh[B][H]` (the whole gradient reaching `h`), the training workspace of
    /// the matching `forward` and `h_prev`, computes `dX[B][3H]`, `dHg[B][3H]` and the direct part
    /// of `dh_prev[B][H]` (`z ⊙ dh`; the trainer adds `dHg`'s GEMM).
    /// Derivatives use the saved activations (σ' = s(1 − s), tanh' = 1 − t²).
    /// - Precondition: the sizes above hold.
    public func backward(hiddenGradient: some FloatBuffer, workspace: some FloatBuffer, previousHidden: some FloatBuffer,
                         inputProjectionGradient: inout some MutableFloatBuffer,
                         hiddenProjectionGradient: inout some MutableFloatBuffer,
                         previousHiddenGradient: inout some MutableFloatBuffer) {
        let H = hiddenSize, B = batchSize(previousHidden.count, "previousHidden")
        precondition(hiddenGradient.count == B * H,
                     "GRUCell.backward: hiddenGradient has \(hiddenGradient.count) elements but previousHidden has \(B * H)")
        precondition(workspace.count == workspaceCount(batch: B),
                     "GRUCell.backward: workspace has \(workspace.count) elements but needs \(workspaceCount(batch: B))")
        precondition(inputProjectionGradient.count == 3 * B * H,
                     "GRUCell.backward: inputProjectionGradient has \(inputProjectionGradient.count) elements but 3BH = \(3 * B * H)")
        precondition(hiddenProjectionGradient.count == 3 * B * H,
                     "GRUCell.backward: hiddenProjectionGradient has \(hiddenProjectionGradient.count) elements but 3BH = \(3 * B * H)")
        precondition(previousHiddenGradient.count == B * H,
                     "GRUCell.backward: previousHiddenGradient has \(previousHiddenGradient.count) elements but previousHidden has \(B * H)")
        var d = ck_gru_desc(batch: B, hidden: H, tier: tier.c)
        let isa = (isa ?? .active).c
        let chunks = rowChunkCount(batch: B, hidden: H, parallelism)
        hiddenGradient.withUnsafeBufferPointer { dhb in
            workspace.withUnsafeBufferPointer { wb in
                previousHidden.withUnsafeBufferPointer { hpb in
                    inputProjectionGradient.withUnsafeMutableBufferPointer { dxb in
                        hiddenProjectionGradient.withUnsafeMutableBufferPointer { dhgb in
                            previousHiddenGradient.withUnsafeMutableBufferPointer { dhpb in
                                let p = GatePointers(dhb.baseAddress, wb.baseAddress, hpb.baseAddress, out0: dxb.baseAddress,
                                                     out1: dhgb.baseAddress, out2: dhpb.baseAddress)
                                withUnsafePointer(to: &d) { dp in
                                    let dps = SendableDesc(dp)
                                    forEachRowChunk(batch: B, chunks: chunks) { rows in
                                        check(ck_gru_backward_rows(dps.pointer, rows.lowerBound, rows.upperBound, isa,
                                                                   p.in0, p.in1, p.in2, p.out0, p.out1, p.out2),
                                              "GRUCell.backward")
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
