import GateKernels

/// The recurrent cell type.
public enum CellKind: String, Sendable, CaseIterable {
    case lstm, gru

    /// Gate blocks per hidden unit: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n).
    var gates: Int { self == .lstm ? 4 : 3 }
}

/// One recurrent layer unrolled over a segment of `steps` time steps for a batch, with its
/// parameters, its saved activations for backpropagation through time, and its gradient buffers.
///
/// Everything is time-major: step t's rows are `t·B ..< (t+1)·B`. The per-step input projections
/// `x_t W_x` of the whole segment come from one GEMM; each step then adds `h_{t-1} W_h` with one
/// GEMM and calls the gate update. Backward runs the gate backward per step, carries `dZ W_h^T`
/// into `dh_{t-1}`, and forms the weight gradients with one GEMM each over the segment.
final class RecurrentLayer {
    let kind: CellKind
    let inputSize: Int, hidden: Int, batch: Int, steps: Int
    let backend: GateBackend
    /// LSTM: the forget-gate bias the kernel adds (a learned bias is there too; this starts the
    /// forget gate open, which long-span tasks need).
    let forgetBias: Float = 1
    private let lstm: LSTMCell?, gru: GRUCell?

    // Parameter offsets. LSTM: one bias; GRU: input and hidden biases (hn needs its own).
    private let wx: Int, wh: Int, bx: Int, bh: Int
    private unowned let params: Parameters

    /// `h` (and LSTM `c`) for steps 0...T; slot 0 is the state carried in.
    let h: Floats, c: Floats
    /// Pre-activations: LSTM `Z = xW_x + hW_h`; GRU input projections `xW_x + b_x`.
    private let z: Floats
    /// GRU: one step's hidden projections `hW_h + b_h`.
    private let hg: Floats
    private let workspace: Floats
    /// The gradient reaching each step's `h` (from the layer above or the output, then from t + 1).
    let dh: Floats
    private let dz: Floats, dhg: Floats, dcA: Floats, dcB: Floats, dhDirect: Floats, ones: Floats

    var gateWidth: Int { kind.gates * hidden }
    private var wsPerStep: Int { (kind == .lstm ? 5 : 4) * batch * hidden }

    init(kind: CellKind, inputSize: Int, hidden: Int, batch: Int, steps: Int, backend: GateBackend,
         threads: Int, params: Parameters) throws {
        (self.kind, self.inputSize, self.hidden, self.batch, self.steps, self.backend) =
            (kind, inputSize, hidden, batch, steps, backend)
        self.params = params
        let g = kind.gates * hidden, scale = 1 / Float(hidden).squareRoot()
        wx = params.reserve(inputSize * g, scale: scale)
        wh = params.reserve(hidden * g, scale: scale)
        bx = params.reserve(g, scale: kind == .lstm ? 0 : scale)
        bh = kind == .gru ? params.reserve(g, scale: scale) : bx
        let tier: Tier = if case .kernels(let t) = backend { t } else { .precise }
        let parallelism: Parallelism = threads > 1 ? .threads(threads) : .serial
        lstm = kind == .lstm ? try LSTMCell(hiddenSize: hidden, forgetBias: forgetBias, tier: tier, parallelism: parallelism) : nil
        gru = kind == .gru ? try GRUCell(hiddenSize: hidden, tier: tier, parallelism: parallelism) : nil
        let n = batch * hidden
        h = Floats((steps + 1) * n)
        c = Floats(kind == .lstm ? (steps + 1) * n : 0)
        z = Floats(steps * batch * g)
        hg = Floats(kind == .gru ? batch * g : 0)
        workspace = Floats(steps * (kind == .lstm ? 5 : 4) * n)
        dh = Floats(steps * n)
        dz = Floats(steps * batch * g)
        dhg = Floats(kind == .gru ? steps * batch * g : 0)
        (dcA, dcB) = (Floats(kind == .lstm ? n : 0), Floats(kind == .lstm ? n : 0))
        dhDirect = Floats(kind == .gru ? n : 0)
        ones = Floats(steps * batch)
        for k in 0..<ones.count { ones[k] = 1 }
    }

    /// The outputs `h_1 ... h_T`: `T·B × H`, contiguous.
    var outputs: UnsafeMutablePointer<Float> { h.base + batch * hidden }

    /// Zeroes the carried state (start of a sequence).
    func resetState() {
        h.mutable(0, batch * hidden).update(repeating: 0)
        if kind == .lstm { c.mutable(0, batch * hidden).update(repeating: 0) }
    }

    /// Carries the last state of the segment into slot 0 (truncated BPTT: no gradient flows back).
    func carryState() {
        let n = batch * hidden
        (h.base).update(from: h.base + steps * n, count: n)
        if kind == .lstm { (c.base).update(from: c.base + steps * n, count: n) }
    }

    /// Forward over the segment from `input` (`T·B × inputSize`), for training (saves the workspace).
    func forward(_ input: UnsafePointer<Float>, _ profile: inout StepProfile) {
        let (B, H, G, T, n) = (batch, hidden, gateWidth, steps, batch * hidden)
        if kind == .gru {
            for r in 0..<T * B { (z.base + r * G).update(from: params.value(bx), count: G) }
        }
        BLAS.gemm(&profile, m: T * B, n: G, k: inputSize, input, lda: inputSize, params.value(wx), ldb: G,
                  beta: kind == .gru ? 1 : 0, z.base, ldc: G)
        for t in 0..<T {
            let zt = z.base + t * B * G
            switch kind {
            case .lstm:
                BLAS.gemm(&profile, m: B, n: G, k: H, h.base + t * n, lda: H, params.value(wh), ldb: G, beta: 1, zt, ldc: G)
                let start = now()
                lstmForward(t, zt)
                profile.gateNanos += now() - start
            case .gru:
                for r in 0..<B { (hg.base + r * G).update(from: params.value(bh), count: G) }
                BLAS.gemm(&profile, m: B, n: G, k: H, h.base + t * n, lda: H, params.value(wh), ldb: G, beta: 1, hg.base, ldc: G)
                let start = now()
                gruForward(t, zt)
                profile.gateNanos += now() - start
            }
        }
    }

    private func lstmForward(_ t: Int, _ zt: UnsafeMutablePointer<Float>) {
        let (B, H, n) = (batch, hidden, batch * hidden)
        switch backend {
        case .kernels:
            var cell = c.mutable((t + 1) * n, n), hidden = h.mutable((t + 1) * n, n)
            var wsb = workspace.mutable(t * wsPerStep, wsPerStep)
            lstm!.forward(preactivations: UnsafeBufferPointer(start: zt, count: B * 4 * H),
                          bias: params.values.readable(bx, 4 * H), previousCell: c.readable(t * n, n),
                          cell: &cell, hidden: &hidden, workspace: &wsb)
        case .libm:
            ReferenceGates.lstmForward(batch: B, hidden: H, forgetBias: forgetBias, z: zt, bias: params.value(bx),
                                       cPrev: c.base + t * n, c: c.base + (t + 1) * n, h: h.base + (t + 1) * n,
                                       ws: workspace.base + t * wsPerStep)
        }
    }

    private func gruForward(_ t: Int, _ xt: UnsafeMutablePointer<Float>) {
        let (B, H, n) = (batch, hidden, batch * hidden)
        switch backend {
        case .kernels:
            var hidden = h.mutable((t + 1) * n, n), wsb = workspace.mutable(t * wsPerStep, wsPerStep)
            gru!.forward(inputProjections: UnsafeBufferPointer(start: xt, count: B * 3 * H),
                         hiddenProjections: hg.readable(0, B * 3 * H), previousHidden: h.readable(t * n, n),
                         hidden: &hidden, workspace: &wsb)
        case .libm:
            ReferenceGates.gruForward(batch: B, hidden: H, x: xt, hg: hg.base, hPrev: h.base + t * n,
                                      h: h.base + (t + 1) * n, ws: workspace.base + t * wsPerStep)
        }
    }

    /// Backward over the segment. `dh` must hold the gradient reaching each output from above; it
    /// is overwritten. Adds to the parameter gradients; writes `dInput` (`T·B × inputSize`) when given.
    func backward(_ input: UnsafePointer<Float>, dInput: UnsafeMutablePointer<Float>?, _ profile: inout StepProfile) {
        let (B, H, G, T, n) = (batch, hidden, gateWidth, steps, batch * hidden)
        var dcNext: Floats? = nil
        for t in (0..<T).reversed() {
            let dht = dh.base + t * n, dzt = dz.base + t * B * G
            let start = now()
            switch kind {
            case .lstm:
                let dcPrev = (dcNext === dcA) ? dcB : dcA
                lstmBackward(t, dcNext: dcNext, dcPrev: dcPrev)
                dcNext = dcPrev
            case .gru:
                gruBackward(t)
            }
            profile.gateNanos += now() - start
            guard t > 0 else { break }
            // The recurrent path: dh_{t-1} += dZ_t W_h^T (GRU: plus the direct z ⊙ dh_t).
            let dRec = kind == .lstm ? dzt : dhg.base + t * B * G
            if kind == .gru { BLAS.add(&profile, n: n, dhDirect.base, into: dht - n) }
            BLAS.gemm(&profile, transB: true, m: B, n: H, k: G, dRec, lda: G, params.value(wh), ldb: G,
                      beta: 1, dht - n, ldc: H)
        }
        let dRecAll = kind == .lstm ? dz.base : dhg.base
        BLAS.gemm(&profile, transA: true, m: inputSize, n: G, k: T * B, input, lda: inputSize, dz.base, ldb: G,
                  beta: 1, params.grad(wx), ldc: G)
        BLAS.gemm(&profile, transA: true, m: H, n: G, k: T * B, h.base, lda: H, dRecAll, ldb: G,
                  beta: 1, params.grad(wh), ldc: G)
        if kind == .gru {
            BLAS.addColumnSums(&profile, m: T * B, n: G, dz.base, ones: ones.base, into: params.grad(bx))
            BLAS.addColumnSums(&profile, m: T * B, n: G, dhg.base, ones: ones.base, into: params.grad(bh))
        }
        if let dInput {
            BLAS.gemm(&profile, transB: true, m: T * B, n: inputSize, k: G, dz.base, lda: G, params.value(wx), ldb: G,
                      beta: 0, dInput, ldc: inputSize)
        }
    }

    private func lstmBackward(_ t: Int, dcNext: Floats?, dcPrev: Floats) {
        let (B, H, n) = (batch, hidden, batch * hidden)
        switch backend {
        case .kernels:
            var dzt = dz.mutable(t * B * 4 * H, B * 4 * H), dcp = dcPrev.mutable(0, n)
            var db = params.grads.mutable(bx, 4 * H)
            lstm!.backward(hiddenGradient: dh.readable(t * n, n), nextCellGradient: dcNext?.readable(0, n),
                           workspace: workspace.readable(t * wsPerStep, wsPerStep), previousCell: c.readable(t * n, n),
                           preactivationGradient: &dzt, previousCellGradient: &dcp, biasGradient: &db)
        case .libm:
            ReferenceGates.lstmBackward(batch: B, hidden: H, dh: dh.base + t * n, dcNext: dcNext.map { UnsafePointer($0.base) },
                                        ws: workspace.base + t * wsPerStep, cPrev: c.base + t * n,
                                        dz: dz.base + t * B * 4 * H, dcPrev: dcPrev.base, db: params.grad(bx))
        }
    }

    private func gruBackward(_ t: Int) {
        let (B, H, n, G) = (batch, hidden, batch * hidden, 3 * hidden)
        switch backend {
        case .kernels:
            var dx = dz.mutable(t * B * G, B * G), dhgt = dhg.mutable(t * B * G, B * G), dhp = dhDirect.mutable(0, n)
            gru!.backward(hiddenGradient: dh.readable(t * n, n), workspace: workspace.readable(t * wsPerStep, wsPerStep),
                          previousHidden: h.readable(t * n, n), inputProjectionGradient: &dx,
                          hiddenProjectionGradient: &dhgt, previousHiddenGradient: &dhp)
        case .libm:
            ReferenceGates.gruBackward(batch: B, hidden: H, dh: dh.base + t * n, ws: workspace.base + t * wsPerStep,
                                       hPrev: h.base + t * n, dx: dz.base + t * B * G, dhg: dhg.base + t * B * G,
                                       dhPrev: dhDirect.base)
        }
    }
}
