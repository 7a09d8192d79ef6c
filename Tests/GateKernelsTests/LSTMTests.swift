import CKernels
import Foundation
import GateKernels
import Testing

// LSTMCell and its C entry points against the double-precision reference (bounds: GateTestSupport.swift).

/// Offsets of i, f, g, o in a row of 4H.
func gateOffsets(_ order: LSTMGateOrder, _ H: Int) -> (i: Int, f: Int, g: Int, o: Int) {
    order == .ifgo ? (0, H, 2 * H, 3 * H) : (0, 2 * H, H, 3 * H)
}

/// One LSTM problem: inputs, configuration and the kernel's outputs.
struct LSTMCase {
    var B: Int, H: Int, stride: Int
    var order: LSTMGateOrder, fb: Float, clip: Float?
    var z: [Float], bias: [Float]?, cp: [Float], dh: [Float], dcn: [Float]?, db0: [Float]

    init(B: Int, H: Int, extraStride: Int = 0, order: LSTMGateOrder = .ifgo, bias: Bool = true, fb: Float = 0,
         clip: Float? = nil, seed: UInt64, specials: [Float] = []) {
        var rng = GateRng(state: seed)
        let stride = 4 * H + extraStride
        self.B = B; self.H = H; self.stride = stride
        self.order = order; self.fb = fb; self.clip = clip
        var z = rng.array(B * stride, -6, 6)
        for (k, s) in specials.enumerated() { z[(k * 7919) % z.count] = s }
        self.z = z
        self.bias = bias ? rng.array(4 * H, -1, 1) : nil
        cp = rng.array(B * H, -3, 3)
        dh = rng.array(B * H, -1, 1)
        dcn = seed % 2 == 0 ? rng.array(B * H, -1, 1) : nil
        db0 = rng.array(4 * H, -1, 1)
    }

    /// The kernel's float preactivation of gate at offset `off`, row r, column j: (z + b) + fb.
    func pre(_ r: Int, _ off: Int, _ j: Int, forget: Bool) -> Float {
        var p = z[r * stride + off + j]
        if let bias { p = p + bias[off + j] }
        return forget ? p + fb : p
    }
}

struct LSTMResult { var c, h, ws, dz, dcp, db: [Float] }

func runLSTM(_ k: LSTMCase, tier: Tier, isa: ISA?, parallelism: Parallelism = .serial) throws -> LSTMResult {
    let cell = try LSTMCell(hiddenSize: k.H, gateOrder: k.order, forgetBias: k.fb, cellClip: k.clip, tier: tier,
                            parallelism: parallelism, isa: isa)
    let n = k.B * k.H
    var r = LSTMResult(c: .init(repeating: .nan, count: n), h: .init(repeating: .nan, count: n),
                       ws: .init(repeating: .nan, count: cell.workspaceCount(batch: k.B)),
                       dz: .init(repeating: .nan, count: 4 * n), dcp: .init(repeating: .nan, count: n), db: k.db0)
    cell.forward(preactivations: k.z, zRowStride: k.stride, bias: k.bias, previousCell: k.cp, cell: &r.c, hidden: &r.h,
                 workspace: &r.ws)
    cell.backward(hiddenGradient: k.dh, nextCellGradient: k.dcn, workspace: r.ws, previousCell: k.cp,
                  preactivationGradient: &r.dz, previousCellGradient: &r.dcp, biasGradient: &r.db)
    return r
}

/// Checks a kernel result against the double reference with the bounds above.
func checkLSTM(_ k: LSTMCase, _ r: LSTMResult, tier: Tier) -> Mismatches {
    let e = TierError(tier), H = k.H, off = gateOffsets(k.order, H)
    let clip = k.clip.map(Double.init) ?? .infinity
    var m = Mismatches()
    var dbRef = k.db0.map(Double.init), dbMag = k.db0.map { 8 * u * Double(Swift.abs($0)) }
    for b in 0..<k.B {
        for j in 0..<H {
            let at = b * H + j, g0 = b * 4 * H + j
            // forward against the exact functions at the kernel's float preactivations
            let i = sigmoidD(Double(k.pre(b, off.i, j, forget: false))), f = sigmoidD(Double(k.pre(b, off.f, j, forget: true)))
            let g = tanh(Double(k.pre(b, off.g, j, forget: false))), o = sigmoidD(Double(k.pre(b, off.o, j, forget: false)))
            let cp = Double(k.cp[at])
            let cu = f * cp + i * g, c = min(max(cu, -clip), clip), tc = tanh(c), h = o * tc
            let dc = Swift.abs(cp) * e.of(f) + Swift.abs(g) * e.of(i) + Swift.abs(i) * e.of(g) + e.of(i) * e.of(g)
                + 2 * u * (Swift.abs(f * cp) + Swift.abs(i * g))
            let dtc = e.of(tc) + dc
            m.check("c", at, r.c[at], cu.isNaN ? .nan : c, dc)
            m.check("h", at, r.h[at], h, Swift.abs(tc) * e.of(o) + Swift.abs(o) * dtc + e.of(o) * dtc + u * Swift.abs(h))
            m.check("ws.i", g0 + off.i, r.ws[g0 + off.i], i, e.of(i))
            m.check("ws.f", g0 + off.f, r.ws[g0 + off.f], f, e.of(f))
            m.check("ws.g", g0 + off.g, r.ws[g0 + off.g], g, e.of(g))
            m.check("ws.o", g0 + off.o, r.ws[g0 + off.o], o, e.of(o))
            m.check("ws.tanh(c)", at, r.ws[4 * k.B * H + at], tanh(Double(r.c[at])), e.of(tc))
            // backward from the kernel's own workspace: only the backward's rounding remains
            let wi = r.ws[g0 + off.i], wf = r.ws[g0 + off.f], wg = r.ws[g0 + off.g], wo = r.ws[g0 + off.o]
            let wt = Double(r.ws[4 * k.B * H + at])
            let cuF = (wi * wg).addingProduct(wf, k.cp[at]) // exactly the kernel's unclipped c
            let keep = !(Swift.abs(cuF) > Float(clip)) // clipped: no gradient through c (NaN passes)
            let (I, F, G, O) = (Double(wi), Double(wf), Double(wg), Double(wo))
            let dhv = Double(k.dh[at]), dcn = k.dcn.map { Double($0[at]) } ?? 0
            let dcv = keep ? dcn + dhv * O * (1 - wt * wt) : 0
            let dcm = keep ? Swift.abs(dcn) + Swift.abs(dhv * O * (1 - wt * wt)) : 0
            let dz = [dcv * G * I * (1 - I), dcv * cp * F * (1 - F), dcv * I * (1 - G * G), dhv * wt * O * (1 - O)]
            let mag = [dcm * Swift.abs(G * I * (1 - I)), dcm * Swift.abs(cp * F * (1 - F)), dcm * Swift.abs(I * (1 - G * G)),
                       Swift.abs(dhv * wt * O * (1 - O))]
            for (q, gate) in [off.i, off.f, off.g, off.o].enumerated() {
                m.check("dz", g0 + gate, r.dz[g0 + gate], dz[q], 8 * u * mag[q])
                dbRef[gate + j] += dz[q]
                dbMag[gate + j] += 8 * u * mag[q] + 4 * u * Swift.abs(dbRef[gate + j]) // plus the sum's rounding
            }
            m.check("dc_prev", at, r.dcp[at], dcv * F, 8 * u * dcm * Swift.abs(F))
        }
    }
    for q in 0..<4 * H { m.check("db", q, r.db[q], dbRef[q], dbMag[q]) }
    return m
}

// MARK: - LSTM

@Test(arguments: Tier.allCases, LSTMGateOrder.allCases)
func lstmMatchesReferenceOnEveryISA(tier: Tier, order: LSTMGateOrder) throws {
    // H = 37: full vectors plus a tail on every width; H = 300: more than one column block
    for (n, (B, H)) in [(3, 37), (2, 300), (1, 1), (9, 5)].enumerated() {
        for bias in [false, true] {
            for clip: Float? in [nil, 1.25] {
                let k = LSTMCase(B: B, H: H, extraStride: bias ? 5 : 0, order: order, bias: bias, fb: bias ? 1 : 0,
                                 clip: clip, seed: UInt64(100 * n) + (bias ? 2 : 1) + (clip == nil ? 0 : 10))
                var first: LSTMResult?
                for isa in gateISAs {
                    let r = try runLSTM(k, tier: tier, isa: isa)
                    let m = checkLSTM(k, r, tier: tier)
                    #expect(m.count == 0, "\(tier) \(order) \(isa) B=\(B) H=\(H) bias=\(bias) clip=\(String(describing: clip)): \(m)")
                    if let first {
                        #expect(sameBits(first.c, r.c) && sameBits(first.h, r.h) && sameBits(first.ws, r.ws)
                                && sameBits(first.dz, r.dz) && sameBits(first.dcp, r.dcp) && sameBits(first.db, r.db),
                                "\(isa) differs from \(gateISAs[0])")
                    }
                    first = first ?? r
                }
            }
        }
    }
}

@Test(arguments: Tier.allCases)
func lstmLargeInfiniteAndNaNInputs(tier: Tier) throws {
    let specials: [Float] = [100, -100, .infinity, -.infinity, .nan, 100, -100, .infinity, -.infinity, 50, -50]
    for clip: Float? in [nil, 2] {
        let k = LSTMCase(B: 4, H: 21, order: .icfo, fb: 1, clip: clip, seed: 7, specials: specials)
        for isa in gateISAs {
            let r = try runLSTM(k, tier: tier, isa: isa)
            let m = checkLSTM(k, r, tier: tier)
            #expect(m.count == 0, "\(tier) \(isa) clip=\(String(describing: clip)): \(m)")
            // NaN stays in its own column: exactly one NaN preactivation, so exactly one NaN c
            #expect(r.c.filter(\.isNaN).count == 1)
            #expect(r.h.allSatisfy { $0.isNaN || Swift.abs($0) <= 1 })
        }
    }
}

@Test func lstmInferenceEqualsTrainingAndInPlaceCell() throws {
    let k = LSTMCase(B: 5, H: 70, bias: true, fb: 0.5, clip: 3, seed: 4)
    let cell = try LSTMCell(hiddenSize: 70, forgetBias: 0.5, cellClip: 3)
    let train = try runLSTM(k, tier: .fast, isa: nil)
    var c = [Float](repeating: 0, count: 350), h = c
    cell.forward(preactivations: k.z, bias: k.bias, previousCell: k.cp, cell: &c, hidden: &h)
    #expect(sameBits(c, train.c) && sameBits(h, train.h))
    // c == c_prev and dz == workspace through the C API
    var d = ck_lstm_desc(batch: 5, hidden: 70, z_stride: 0, order: CK_GATES_IFGO, forget_bias: 0.5, cell_clip: 3, tier: CK_FAST)
    var cInPlace = k.cp, h2 = h, ws = train.ws.map { _ in Float.nan }
    let st = cInPlace.withUnsafeMutableBufferPointer { cb in
        ck_lstm_forward(&d, k.z, k.bias!, cb.baseAddress, cb.baseAddress, &h2, &ws)
    }
    #expect(st == CK_OK && sameBits(cInPlace, train.c) && sameBits(ws, train.ws))
    var dcp = k.cp, db = k.db0
    let st2 = ws.withUnsafeMutableBufferPointer { wb in
        ck_lstm_backward(&d, k.dh, k.dcn!, wb.baseAddress, k.cp, wb.baseAddress, &dcp, &db)
    }
    #expect(st2 == CK_OK)
    #expect(sameBits(Array(ws[0..<1400]), train.dz) && sameBits(dcp, train.dcp) && sameBits(db, train.db))
}

@Test func lstmPreactivationsInWorkspaceGiveTheSameBits() throws {
    let k = LSTMCase(B: 9, H: 37, order: .icfo, bias: true, fb: 1, clip: 2, seed: 12)
    for tier in Tier.allCases {
        let cell = try LSTMCell(hiddenSize: 37, gateOrder: .icfo, forgetBias: 1, cellClip: 2, tier: tier,
                                parallelism: .threads(2))
        let apart = try runLSTM(k, tier: tier, isa: nil)
        var ws = k.z + [Float](repeating: .nan, count: cell.workspaceCount(batch: 9) - k.z.count)
        var c = [Float](repeating: 0, count: 9 * 37), h = c
        cell.forward(preactivationsInWorkspace: &ws, bias: k.bias, previousCell: k.cp, cell: &c, hidden: &h)
        #expect(sameBits(ws, apart.ws) && sameBits(c, apart.c) && sameBits(h, apart.h), "\(tier)")
    }
    // through the C API a strided Z may not be the workspace
    var d = ck_lstm_desc(batch: 9, hidden: 37, z_stride: 4 * 37 + 1, order: CK_GATES_IFGO, forget_bias: 0,
                         cell_clip: 0, tier: CK_FAST)
    var ws = [Float](repeating: 0, count: 5 * 9 * 37 + 8), c = [Float](repeating: 0, count: 9 * 37), h = c
    let st = ws.withUnsafeMutableBufferPointer { wb in
        ck_lstm_forward(&d, wb.baseAddress, nil, k.cp, &c, &h, wb.baseAddress)
    }
    #expect(st == CK_ERR_OVERLAP)
}

@Test func lstmThreadCountsGiveTheSameBits() throws {
    // 45 rows: 6 row groups, the last partial; H = 37: tails
    let k = LSTMCase(B: 45, H: 37, order: .icfo, bias: true, fb: 1, clip: 2, seed: 11)
    let serial = try runLSTM(k, tier: .fast, isa: nil)
    for p: Parallelism in [.threads(2), .threads(3), .threads(4), .threads(64), .automatic] {
        let r = try runLSTM(k, tier: .fast, isa: nil, parallelism: p)
        #expect(sameBits(serial.c, r.c) && sameBits(serial.h, r.h) && sameBits(serial.ws, r.ws), "\(p)")
        #expect(sameBits(serial.dz, r.dz) && sameBits(serial.dcp, r.dcp) && sameBits(serial.db, r.db), "\(p)")
    }
}

@Test func concurrentCallsAreIndependent() async throws {
    let cases = (0..<8).map { LSTMCase(B: 9, H: 33, bias: true, fb: 1, seed: 1000 + UInt64($0)) }
    let serial = try cases.map { try runLSTM($0, tier: .fast, isa: nil) }
    let concurrent = try await withThrowingTaskGroup(of: (Int, LSTMResult).self) { group in
        for (n, k) in cases.enumerated() { group.addTask { (n, try runLSTM(k, tier: .fast, isa: nil, parallelism: .threads(2))) } }
        var out = [LSTMResult?](repeating: nil, count: cases.count)
        for try await (n, r) in group { out[n] = r }
        return out
    }
    for (a, b) in zip(serial, concurrent) {
        #expect(sameBits(a.h, b!.h) && sameBits(a.dz, b!.dz) && sameBits(a.db, b!.db))
    }
}

// MARK: - gradient checks and BPTT against the exact double model

/// The LSTM step in double with exact activations: (c, h) from Z (dense 4H), bias and c_prev.
func lstmStepD(_ z: [Double], _ bias: [Double], _ cp: [Double], H: Int, order: LSTMGateOrder, fb: Double, clip: Double)
    -> (c: [Double], h: [Double]) {
    let B = cp.count / H, off = gateOffsets(order, H)
    var c = cp, h = cp
    for b in 0..<B {
        for j in 0..<H {
            let p = { (o: Int) in z[b * 4 * H + o + j] + bias[o + j] }
            let i = sigmoidD(p(off.i)), f = sigmoidD(p(off.f) + fb), g = tanh(p(off.g)), o = sigmoidD(p(off.o))
            c[b * H + j] = min(max(f * cp[b * H + j] + i * g, -clip), clip)
            h[b * H + j] = o * tanh(c[b * H + j])
        }
    }
    return (c, h)
}

@Test(arguments: LSTMGateOrder.allCases)
func lstmGradientsMatchFiniteDifferences(order: LSTMGateOrder) throws {
    let (B, H) = (2, 3)
    for clip: Float? in [nil, 0.9] {
        let k = LSTMCase(B: B, H: H, order: order, bias: true, fb: 0.5, clip: clip, seed: 4)
        let wc = k.dcn ?? [Float](repeating: 0, count: B * H)
        let clipD = k.clip.map(Double.init) ?? .infinity
        // the loss sum(dh h) + sum(dc_next c), whose gradient the backward computes
        func loss(_ z: [Double], _ b: [Double], _ cp: [Double]) -> Double {
            let (c, h) = lstmStepD(z, b, cp, H: H, order: order, fb: Double(k.fb), clip: clipD)
            return zip(h, k.dh).reduce(0) { $0 + $1.0 * Double($1.1) } + zip(c, wc).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let z = k.z.map(Double.init), b = k.bias!.map(Double.init), cp = k.cp.map(Double.init)
        func fd(_ which: Int, _ n: Int) -> Double {
            let step = 1e-6
            var v = [z, b, cp]
            v[which][n] += step
            let up = loss(v[0], v[1], v[2])
            v[which][n] -= 2 * step
            return (up - loss(v[0], v[1], v[2])) / (2 * step)
        }
        for tier in Tier.allCases {
            let r = try runLSTM(k, tier: tier, isa: nil)
            // gradient error: a product of at most four tier-accurate factors, each O(1): 8 e(1)
            let tol = 8 * TierError(tier).of(1) + 1e-6
            var m = Mismatches()
            for n in 0..<z.count { m.check("dz", n, r.dz[n], fd(0, n), tol * (1 + Swift.abs(fd(0, n)))) }
            for n in 0..<cp.count { m.check("dc_prev", n, r.dcp[n], fd(2, n), tol * (1 + Swift.abs(fd(2, n)))) }
            for n in 0..<b.count {
                m.check("db", n, r.db[n] - k.db0[n], fd(1, n), tol * (1 + Swift.abs(fd(1, n))) + 4 * u * Double(Swift.abs(k.db0[n])))
            }
            #expect(m.count == 0, "\(order) \(tier) clip=\(String(describing: clip)): \(m)")
        }
    }
}

@Test(arguments: Tier.allCases)
func lstmBackpropagationThroughTime(tier: Tier) throws {
    let (T, B, H) = (6, 3, 19)
    var rng = GateRng(state: 77)
    let zs = (0..<T).map { _ in rng.array(B * 4 * H, -3, 3) }, bias = rng.array(4 * H, -1, 1)
    let dhs = (0..<T).map { _ in rng.array(B * H, -1, 1) }, dcT = rng.array(B * H, -1, 1), c0 = rng.array(B * H, -2, 2)
    let cell = try LSTMCell(hiddenSize: H, forgetBias: 1, cellClip: 2.5, tier: tier)
    // the kernel: T forward steps, then back through time with db accumulated over the steps
    var cs = [c0], hs: [[Float]] = [], wss: [[Float]] = []
    for t in 0..<T {
        var c = [Float](repeating: 0, count: B * H), h = c, ws = [Float](repeating: 0, count: cell.workspaceCount(batch: B))
        cell.forward(preactivations: zs[t], bias: bias, previousCell: cs[t], cell: &c, hidden: &h, workspace: &ws)
        cs.append(c); hs.append(h); wss.append(ws)
    }
    var dc = dcT, db = [Float](repeating: 0, count: 4 * H), dzs = [[Float]](repeating: [], count: T)
    for t in (0..<T).reversed() {
        var dz = [Float](repeating: 0, count: 4 * B * H), dcp = [Float](repeating: 0, count: B * H)
        cell.backward(hiddenGradient: dhs[t], nextCellGradient: dc, workspace: wss[t], previousCell: cs[t],
                      preactivationGradient: &dz, previousCellGradient: &dcp, biasGradient: &db)
        dzs[t] = dz; dc = dcp
    }
    // the exact double model; its gradient by central differences of the whole sequence's loss
    let zd = zs.map { $0.map(Double.init) }, bd = bias.map(Double.init), c0d = c0.map(Double.init)
    func run(_ zd: [[Double]], _ bd: [Double], _ c0d: [Double]) -> (loss: Double, hs: [[Double]]) {
        var c = c0d, loss = 0.0, hs: [[Double]] = []
        for t in 0..<T {
            let s = lstmStepD(zd[t], bd, c, H: H, order: .ifgo, fb: 1, clip: 2.5)
            c = s.c; hs.append(s.h)
            loss += zip(s.h, dhs[t]).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        return (loss + zip(c, dcT).reduce(0) { $0 + $1.0 * Double($1.1) }, hs)
    }
    // errors compound over T steps through a contraction (|f| < 1): 8 e(1) per step
    let tol = 8 * Double(T) * TierError(tier).of(1) + 1e-6
    var m = Mismatches()
    let exact = run(zd, bd, c0d)
    for t in 0..<T { for n in 0..<B * H { m.check("h\(t)", n, hs[t][n], exact.hs[t][n], tol) } }
    let step = 1e-6
    for t in [0, T - 1] {
        for n in stride(from: 0, to: 4 * B * H, by: 5) {
            var up = zd, down = zd
            up[t][n] += step; down[t][n] -= step
            let g = (run(up, bd, c0d).loss - run(down, bd, c0d).loss) / (2 * step)
            m.check("dz\(t)", n, dzs[t][n], g, tol * (1 + Swift.abs(g)))
        }
    }
    for n in stride(from: 0, to: 4 * H, by: 3) {
        var up = bd, down = bd
        up[n] += step; down[n] -= step
        let g = (run(zd, up, c0d).loss - run(zd, down, c0d).loss) / (2 * step)
        m.check("db", n, db[n], g, tol * (1 + Swift.abs(g)) * Double(T))
    }
    for n in 0..<B * H {
        var up = c0d, down = c0d
        up[n] += step; down[n] -= step
        let g = (run(zd, bd, up).loss - run(zd, bd, down).loss) / (2 * step)
        m.check("dc0", n, dc[n], g, tol * (1 + Swift.abs(g)))
    }
    #expect(m.count == 0, "\(tier): \(m)")
}

// MARK: - configuration errors and C status codes

@Test func lstmInvalidConfigurationThrows() {
    #expect(throws: GateKernelsError.self) { try LSTMCell(hiddenSize: 0) }
    #expect(throws: GateKernelsError.self) { try LSTMCell(hiddenSize: 4, cellClip: -1) }
    #expect(throws: GateKernelsError.self) { try LSTMCell(hiddenSize: 4, cellClip: .nan) }
    #expect(throws: GateKernelsError.self) { try LSTMCell(hiddenSize: 4, forgetBias: .nan) }
    #expect(throws: GateKernelsError.self) { try LSTMCell(hiddenSize: 4, parallelism: .threads(0)) }
}

@Test func lstmStatusCodes() {
    let B = 2, H = 5
    var z = [Float](repeating: 0.5, count: 4 * B * H + 8)
    var cp = [Float](repeating: 0.1, count: B * H)
    var c = cp, h = cp, ws = [Float](repeating: 0, count: 5 * B * H), db = [Float](repeating: 0, count: 4 * H)
    var dz = [Float](repeating: 0, count: 4 * B * H), dcp = cp
    let good = ck_lstm_desc(batch: B, hidden: H, z_stride: 0, order: CK_GATES_IFGO, forget_bias: 1, cell_clip: 0, tier: CK_FAST)
    func fwd(_ d: ck_lstm_desc) -> ck_status { var d = d; return ck_lstm_forward(&d, z, nil, cp, &c, &h, &ws) }
    #expect(fwd(good) == CK_OK)
    #expect(ck_lstm_workspace_floats(nil) == 0)
    var bad = good; bad.batch = 0
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    #expect(ck_lstm_workspace_floats(&bad) == 0)
    bad = good; bad.hidden = 0
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    bad = good; bad.z_stride = 4 * H - 1
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    bad = good; bad.z_stride = 4 * H + 4
    #expect(fwd(bad) == CK_OK)
    bad = good; bad.tier = ck_tier(rawValue: 3)
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    bad = good; bad.order = ck_gate_order(rawValue: 2)
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    bad = good; bad.cell_clip = -1
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    bad = good; bad.cell_clip = .nan
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    bad = good; bad.forget_bias = .nan
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    bad = good; bad.hidden = Int.max / 2
    #expect(fwd(bad) == CK_ERR_INVALID_ARGUMENT)
    #expect(ck_lstm_forward(nil, z, nil, cp, &c, &h, nil) == CK_ERR_NULL_POINTER)
    var d = good
    #expect(ck_lstm_forward(&d, nil, nil, cp, &c, &h, nil) == CK_ERR_NULL_POINTER)
    #expect(ck_lstm_forward(&d, z, nil, cp, nil, &h, nil) == CK_ERR_NULL_POINTER)
    #expect(ck_lstm_forward_rows(&d, 1, 3, CK_ISA_AUTO, z, nil, cp, &c, &h, nil) == CK_ERR_INVALID_ARGUMENT)
    #expect(ck_lstm_forward_rows(&d, 2, 1, CK_ISA_AUTO, z, nil, cp, &c, &h, nil) == CK_ERR_INVALID_ARGUMENT)
    #expect(ck_lstm_forward_rows(&d, 1, 1, CK_ISA_AUTO, z, nil, cp, &c, &h, nil) == CK_OK)
    if !ISA.neon.isSupported {
        #expect(ck_lstm_forward_rows(&d, 0, 2, CK_ISA_NEON, z, nil, cp, &c, &h, nil) == CK_ERR_UNSUPPORTED)
    }
    // overlaps: c and h partly overlapping, workspace over z, h exactly on c_prev (not allowed)
    var scratch = [Float](repeating: 0, count: 4 * B * H)
    scratch.withUnsafeMutableBufferPointer { sb in
        let p = sb.baseAddress!
        #expect(ck_lstm_forward(&d, z, nil, cp, p, p + B * H - 1, nil) == CK_ERR_OVERLAP)
        #expect(ck_lstm_forward(&d, z, nil, cp, p, p + B * H, nil) == CK_OK)
    }
    z.withUnsafeMutableBufferPointer { zb in
        let p = zb.baseAddress!
        #expect(ck_lstm_forward(&d, p, nil, cp, &c, &h, p + 4) == CK_ERR_OVERLAP)
    }
    cp.withUnsafeMutableBufferPointer { cpb in
        #expect(ck_lstm_forward(&d, z, nil, cpb.baseAddress, &c, cpb.baseAddress, nil) == CK_ERR_OVERLAP)
        #expect(ck_lstm_forward(&d, z, nil, cpb.baseAddress, cpb.baseAddress, &h, nil) == CK_OK)
    }
    // backward
    #expect(ck_lstm_backward(&d, h, nil, ws, cp, &dz, &dcp, &db) == CK_OK)
    #expect(ck_lstm_backward(&d, nil, nil, ws, cp, &dz, &dcp, &db) == CK_ERR_NULL_POINTER)
    #expect(ck_lstm_backward(&d, h, nil, nil, cp, &dz, &dcp, &db) == CK_ERR_NULL_POINTER)
    ws.withUnsafeMutableBufferPointer { wb in
        let w = wb.baseAddress!
        #expect(ck_lstm_backward(&d, h, nil, w, cp, w + 1, &dcp, &db) == CK_ERR_OVERLAP) // dz shifted over the workspace
        #expect(ck_lstm_backward(&d, h, nil, w, cp, w, &dcp, &db) == CK_OK)             // dz == workspace
        #expect(ck_lstm_backward(&d, h, nil, w, cp, &dz, &dcp, w + 4 * B * H) == CK_ERR_OVERLAP) // db in tanh(c)
        #expect(ck_lstm_backward(&d, h, nil, w, cp, w, w + 4 * B * H, nil) == CK_ERR_OVERLAP) // dc_prev over tanh(c)
    }
    dcp.withUnsafeMutableBufferPointer { b in
        #expect(ck_lstm_backward(&d, h, b.baseAddress, ws, cp, &dz, b.baseAddress, nil) == CK_OK) // dc_prev == dc_next
    }
}

@Suite("LSTMCell stops on mismatched sizes with a message naming both")
struct LSTMPreconditionTests {
    @Test func lstmForwardCellSize() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! LSTMCell(hiddenSize: 2)
            var c = [Float](repeating: 0, count: 3), h = [Float](repeating: 0, count: 4)
            cell.forward(preactivations: [Float](repeating: 0, count: 16), previousCell: [Float](repeating: 0, count: 4),
                         cell: &c, hidden: &h)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("cell has 3 elements but previousCell has 4"))
    }

    /// B = 2 rows of 4H = 8 floats, one float short: dense rows (stride 8) need exactly 16; with
    /// stride 10 the last row may end early, so 18 to 20 floats fit.
    @Test func lstmPreactivationsSizeNamesOneCountOrARange() async {
        let dense = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! LSTMCell(hiddenSize: 2)
            var c = [Float](repeating: 0, count: 4), h = c
            cell.forward(preactivations: [Float](repeating: 0, count: 15), zRowStride: 8,
                         previousCell: [Float](repeating: 0, count: 4), cell: &c, hidden: &h)
        }
        let strided = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! LSTMCell(hiddenSize: 2)
            var c = [Float](repeating: 0, count: 4), h = c
            cell.forward(preactivations: [Float](repeating: 0, count: 15), zRowStride: 10,
                         previousCell: [Float](repeating: 0, count: 4), cell: &c, hidden: &h)
        }
        let messages = [dense, strided].map { $0.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? "" }
        #expect(messages[0].contains("preactivations have 15 elements but B = 2 rows of stride 8 need 16\n"))
        #expect(messages[1].contains("preactivations have 15 elements but B = 2 rows of stride 10 need 18...20\n"))
    }

    /// Sizes whose products overflow `Int` stop with a message naming them, not with an arithmetic trap.
    @Test func lstmSizesThatOverflowAreNamed() async {
        let stride = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! LSTMCell(hiddenSize: 2)
            var c = [Float](repeating: 0, count: 4), h = c
            cell.forward(preactivations: [Float](repeating: 0, count: 16), zRowStride: Int.max,
                         previousCell: [Float](repeating: 0, count: 4), cell: &c, hidden: &h)
        }
        let workspace = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try! LSTMCell(hiddenSize: Int.max).workspaceCount(batch: 1)
        }
        let negative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try! LSTMCell(hiddenSize: 2).workspaceCount(batch: -1)
        }
        let messages = [stride, workspace, negative].map { $0.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? "" }
        #expect(messages[0].contains("LSTMCell.forward: B rows of zRowStride: 2 · \(Int.max) elements overflow Int\n"))
        #expect(messages[1].contains("LSTMCell.workspaceCount(batch: 1): 5 · 1 · \(Int.max) elements overflow Int\n"))
        #expect(messages[2].contains("LSTMCell.workspaceCount(batch: -1): the batch size must not be negative\n"))
    }

    /// The configuration cannot be made invalid after `init`: a setter given what `init` refuses stops.
    @Test func lstmSettersCheckAsInitDoes() async throws {
        var cell = try LSTMCell(hiddenSize: 2)
        cell.parallelism = .threads(3)
        cell.isa = .scalar
        #expect(cell.parallelism == .threads(3) && cell.isa == .scalar)
        #expect(cell == (try LSTMCell(hiddenSize: 2, parallelism: .threads(3), isa: .scalar)))
        let threads = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var cell = try! LSTMCell(hiddenSize: 2)
            cell.parallelism = .threads(0)
        }
        let message = threads.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("LSTMCell: Parallelism.threads(0): the thread count must be at least 1\n"))
        if let missing = ISA.allCases.first(where: { !$0.isSupported }) {
            let isa = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                var cell = try! LSTMCell(hiddenSize: 2)
                cell.isa = ISA.allCases.first { !$0.isSupported }
            }
            let message = isa.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
            #expect(message.contains("LSTMCell: instruction set \(missing) is not supported on this CPU\n"))
        }
    }

    @Test func lstmBackwardBiasGradientSize() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! LSTMCell(hiddenSize: 2)
            var dz = [Float](repeating: 0, count: 16), dcp = [Float](repeating: 0, count: 4), db = [Float](repeating: 0, count: 7)
            cell.backward(hiddenGradient: [Float](repeating: 0, count: 4), workspace: [Float](repeating: 0, count: 20),
                          previousCell: [Float](repeating: 0, count: 4), preactivationGradient: &dz,
                          previousCellGradient: &dcp, biasGradient: &db)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("biasGradient has 7 elements but 4H = 8"))
    }
}
