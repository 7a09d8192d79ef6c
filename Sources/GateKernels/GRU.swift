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
    ///   - tier: The activations' accuracy tier.
    ///   - parallelism: How many threads a call may use.
    ///   - isa: `nil` for the process-wide instruction set, or one to run on instead.
    /// - Throws: `GateKernelsError.invalidConfiguration` if `hiddenSize < 1`, the ISA is not
    ///   supported, or `.threads(n)` has `n < 1`.
    public init(hiddenSize: Int, tier: Tier = .fast, parallelism: Parallelism = .serial, isa: ISA? = nil) throws(GateKernelsError) {
        guard hiddenSize >= 1 else {
            throw .invalidConfiguration("GRUCell: hiddenSize is \(hiddenSize); it must be at least 1")
        }
        self.hiddenSize = hiddenSize
        self.tier = tier
        execution = try CellExecution(parallelism: parallelism, isa: isa, "GRUCell")
    }

    /// The number of `Float`s of workspace a training `forward` writes for `batch` rows: `4 · batch · H`
    /// (the activated r, z, n, then hn).
    /// - Parameter batch: B, the number of batch rows.
    /// - Precondition: `batch >= 0`, and the count fits in `Int`.
    public func workspaceCount(batch: Int) -> Int { GateKernels.workspaceCount(4, batch: batch, hiddenSize: hiddenSize, "GRUCell") }

    /// Inference step: `hidden = h[B][H]` from `X[B][3H]`, `Hg[B][3H]` and `h_prev[B][H]`, writing
    /// no workspace. The batch size B is `previousHidden.count / hiddenSize`.
    /// - Parameters:
    ///   - inputProjections: `X[B][3H]`, blocks r, z, n, each with its input bias added.
    ///   - hiddenProjections: `Hg[B][3H]`, blocks r, z, n, each with its hidden bias added.
    ///   - previousHidden: `h_prev[B][H]`.
    ///   - hidden: receives `h[B][H]`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward(inputProjections: any FloatBuffer, hiddenProjections: any FloatBuffer,
                        previousHidden: any FloatBuffer, hidden: inout some MutableFloatBuffer) {
        forwardOnStorage(inputProjections, hiddenProjections, previousHidden, &hidden, nil)
    }

    /// Training step: `forward(inputProjections:hiddenProjections:previousHidden:hidden:)`, also
    /// writing the `workspaceCount(batch:)` floats that `backward` reads.
    /// - Parameters:
    ///   - inputProjections: `X[B][3H]`, blocks r, z, n, each with its input bias added.
    ///   - hiddenProjections: `Hg[B][3H]`, blocks r, z, n, each with its hidden bias added.
    ///   - previousHidden: `h_prev[B][H]`.
    ///   - hidden: receives `h[B][H]`.
    ///   - workspace: receives `workspaceCount(batch: B)` elements for `backward`.
    /// - Precondition: the sizes above hold (the message names both sizes when they do not).
    @inlinable
    public func forward(inputProjections: any FloatBuffer, hiddenProjections: any FloatBuffer,
                        previousHidden: any FloatBuffer, hidden: inout some MutableFloatBuffer,
                        workspace: inout some MutableFloatBuffer) {
        workspace.withUnsafeMutableBufferPointer { ws in
            forwardOnStorage(inputProjections, hiddenProjections, previousHidden, &hidden, ws)
        }
    }

    /// Both public forward forms: their buffers' storage, then the forward on raw buffers.
    @inlinable
    func forwardOnStorage(_ inputProjections: any FloatBuffer, _ hiddenProjections: any FloatBuffer,
                          _ previousHidden: any FloatBuffer, _ hidden: inout some MutableFloatBuffer,
                          _ ws: UnsafeMutableBufferPointer<Float>?) {
        inputProjections.withUnsafeBufferPointer { x in
            hiddenProjections.withUnsafeBufferPointer { hg in
                previousHidden.withUnsafeBufferPointer { hp in
                    hidden.withUnsafeMutableBufferPointer { h in forward(x, hg, hp, h, ws) }
                }
            }
        }
    }

    /// The forward on raw buffers (not generic, so the work is compiled once here).
    @usableFromInline
    func forward(_ x: UnsafeBufferPointer<Float>, _ hg: UnsafeBufferPointer<Float>, _ hPrev: UnsafeBufferPointer<Float>,
                 _ h: UnsafeMutableBufferPointer<Float>, _ ws: UnsafeMutableBufferPointer<Float>?) {
        let desc = checkedForwardDesc(inputProjections: x.count, hiddenProjections: hg.count, previousHidden: hPrev.count,
                                      hidden: h.count, workspace: ws?.count)
        GRUForwardCall(desc: desc, isa: isa?.c ?? CK_ISA_AUTO, inputProjections: x.baseAddress,
                       hiddenProjections: hg.baseAddress, previousHidden: hPrev.baseAddress, hidden: h.baseAddress,
                       workspace: ws?.baseAddress)
            .run(parallelism, "GRUCell.forward")
    }

    /// The forward's descriptor for buffers of these element counts, or a stop with a message naming
    /// the argument and the sizes: the one size check of the `Float` and the half-format forward,
    /// whose tensors differ in element type, not in count.
    func checkedForwardDesc(inputProjections: Int, hiddenProjections: Int, previousHidden: Int, hidden: Int,
                            workspace: Int?) -> ck_gru_desc {
        let B = batchSize(previousHidden, of: "previousHidden", hiddenSize: hiddenSize, "GRUCell"), BH = previousHidden
        let gatesBH = sizeProduct(3, BH, of: "GRUCell.forward: 3BH")
        require(inputProjections == gatesBH,
                "GRUCell.forward: inputProjections have \(inputProjections) elements but 3BH = \(gatesBH)")
        require(hiddenProjections == gatesBH,
                "GRUCell.forward: hiddenProjections have \(hiddenProjections) elements but 3BH = \(gatesBH)")
        require(hidden == BH, "GRUCell.forward: hidden has \(hidden) elements but previousHidden has \(BH)")
        if let workspace {
            let need = workspaceCount(batch: B)
            require(workspace == need, "GRUCell.forward: workspace has \(workspace) elements but needs \(need)")
        }
        return ck_gru_desc(batch: B, hidden: hiddenSize, tier: tier.c)
    }

    /// Backward step: from `dh[B][H]` (the whole gradient reaching `h`), the training workspace of
    /// the matching `forward` and `h_prev`, computes `dX[B][3H]`, `dHg[B][3H]` and the direct part
    /// of `dh_prev[B][H]` (`z ⊙ dh`; the trainer adds `dHg`'s GEMM).
    /// Derivatives use the saved activations (σ' = s(1 − s), tanh' = 1 − t²).
    /// - Parameters:
    ///   - hiddenGradient: `dh[B][H]`, the whole gradient reaching `h`.
    ///   - workspace: what the training `forward` wrote.
    ///   - previousHidden: the `h_prev` given to that `forward`.
    ///   - inputProjectionGradient: receives `dX[B][3H]`.
    ///   - hiddenProjectionGradient: receives `dHg[B][3H]`.
    ///   - previousHiddenGradient: receives the direct part of `dh_prev[B][H]`, `z ⊙ dh`.
    /// - Precondition: the sizes above hold.
    @inlinable
    public func backward(hiddenGradient: any FloatBuffer, workspace: any FloatBuffer, previousHidden: any FloatBuffer,
                         inputProjectionGradient: inout some MutableFloatBuffer,
                         hiddenProjectionGradient: inout some MutableFloatBuffer,
                         previousHiddenGradient: inout some MutableFloatBuffer) {
        hiddenGradient.withUnsafeBufferPointer { dh in
            workspace.withUnsafeBufferPointer { ws in
                previousHidden.withUnsafeBufferPointer { hp in
                    inputProjectionGradient.withUnsafeMutableBufferPointer { dx in
                        hiddenProjectionGradient.withUnsafeMutableBufferPointer { dhg in
                            previousHiddenGradient.withUnsafeMutableBufferPointer { dhp in backward(dh, ws, hp, dx, dhg, dhp) }
                        }
                    }
                }
            }
        }
    }

    /// The backward on raw buffers.
    @usableFromInline
    func backward(_ dh: UnsafeBufferPointer<Float>, _ ws: UnsafeBufferPointer<Float>, _ hPrev: UnsafeBufferPointer<Float>,
                  _ dx: UnsafeMutableBufferPointer<Float>, _ dhg: UnsafeMutableBufferPointer<Float>,
                  _ dhPrev: UnsafeMutableBufferPointer<Float>) {
        let desc = checkedBackwardDesc(hiddenGradient: dh.count, workspace: ws.count, previousHidden: hPrev.count,
                                       inputProjectionGradient: dx.count, hiddenProjectionGradient: dhg.count,
                                       previousHiddenGradient: dhPrev.count)
        GRUBackwardCall(desc: desc, isa: isa?.c ?? CK_ISA_AUTO, hiddenGradient: dh.baseAddress, workspace: ws.baseAddress,
                        previousHidden: hPrev.baseAddress, inputProjectionGradient: dx.baseAddress,
                        hiddenProjectionGradient: dhg.baseAddress, previousHiddenGradient: dhPrev.baseAddress)
            .run(parallelism, "GRUCell.backward")
    }

    /// The backward's descriptor for buffers of these element counts, or a stop with a message
    /// naming the argument and the sizes: the one size check of the `Float` and the half-format backward.
    func checkedBackwardDesc(hiddenGradient: Int, workspace: Int, previousHidden: Int, inputProjectionGradient: Int,
                             hiddenProjectionGradient: Int, previousHiddenGradient: Int) -> ck_gru_desc {
        let B = batchSize(previousHidden, of: "previousHidden", hiddenSize: hiddenSize, "GRUCell"), BH = previousHidden
        require(hiddenGradient == BH,
                "GRUCell.backward: hiddenGradient has \(hiddenGradient) elements but previousHidden has \(BH)")
        let need = workspaceCount(batch: B)
        require(workspace == need, "GRUCell.backward: workspace has \(workspace) elements but needs \(need)")
        let gatesBH = sizeProduct(3, BH, of: "GRUCell.backward: 3BH")
        require(inputProjectionGradient == gatesBH,
                "GRUCell.backward: inputProjectionGradient has \(inputProjectionGradient) elements but 3BH = \(gatesBH)")
        require(hiddenProjectionGradient == gatesBH,
                "GRUCell.backward: hiddenProjectionGradient has \(hiddenProjectionGradient) elements but 3BH = \(gatesBH)")
        require(previousHiddenGradient == BH,
                "GRUCell.backward: previousHiddenGradient has \(previousHiddenGradient) elements but previousHidden has \(BH)")
        return ck_gru_desc(batch: B, hidden: hiddenSize, tier: tier.c)
    }
}

/// `GRUCell.forward`'s kernel call.
struct GRUForwardCall: GateCall, @unchecked Sendable {
    let desc: ck_gru_desc, isa: ck_isa
    let inputProjections, hiddenProjections, previousHidden: UnsafePointer<Float>?
    let hidden, workspace: UnsafeMutablePointer<Float>?

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_forward_rows($0, rows.lowerBound, rows.upperBound, isa, inputProjections, hiddenProjections,
                                previousHidden, hidden, workspace)
        }
    }
}

/// `GRUCell.backward`'s kernel call.
struct GRUBackwardCall: GateCall, @unchecked Sendable {
    let desc: ck_gru_desc, isa: ck_isa
    let hiddenGradient, workspace, previousHidden: UnsafePointer<Float>?
    let inputProjectionGradient, hiddenProjectionGradient, previousHiddenGradient: UnsafeMutablePointer<Float>?

    func run(rows: Range<Int>) -> ck_status {
        withUnsafePointer(to: desc) {
            ck_gru_backward_rows($0, rows.lowerBound, rows.upperBound, isa, hiddenGradient, workspace, previousHidden,
                                 inputProjectionGradient, hiddenProjectionGradient, previousHiddenGradient)
        }
    }
}
