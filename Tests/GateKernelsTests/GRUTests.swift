import CKernels
import Foundation
import GateKernels
import Testing

// GRUCell and its C entry points against the double-precision reference (bounds: GateTestSupport.swift).

struct GRUCase {
    var B: Int, H: Int
    var x: [Float], hg: [Float], hp: [Float], dh: [Float]
    init(B: Int, H: Int, seed: UInt64, specials: [Float] = []) {
        var rng = GateRng(state: seed)
        self.B = B; self.H = H
        var x = rng.array(3 * B * H, -5, 5)
        hg = rng.array(3 * B * H, -5, 5)
        for (k, s) in specials.enumerated() { x[(k * 7919) % x.count] = s }
        self.x = x
        hp = rng.array(B * H, -1, 1)
        dh = rng.array(B * H, -1, 1)
    }
}

struct GRUResult { var h, ws, dx, dhg, dhp: [Float] }

func runGRU(_ k: GRUCase, tier: Tier, isa: ISA?, parallelism: Parallelism = .serial) throws -> GRUResult {
    let cell = try GRUCell(hiddenSize: k.H, tier: tier, parallelism: parallelism, isa: isa)
    let n = k.B * k.H
    var r = GRUResult(h: .init(repeating: .nan, count: n), ws: .init(repeating: .nan, count: cell.workspaceCount(batch: k.B)),
                      dx: .init(repeating: .nan, count: 3 * n), dhg: .init(repeating: .nan, count: 3 * n),
                      dhp: .init(repeating: .nan, count: n))
    cell.forward(inputProjections: k.x, hiddenProjections: k.hg, previousHidden: k.hp, hidden: &r.h, workspace: &r.ws)
    var inference = r.h
    cell.forward(inputProjections: k.x, hiddenProjections: k.hg, previousHidden: k.hp, hidden: &inference)
    #expect(sameBits(inference, r.h))
    cell.backward(hiddenGradient: k.dh, workspace: r.ws, previousHidden: k.hp, inputProjectionGradient: &r.dx,
                  hiddenProjectionGradient: &r.dhg, previousHiddenGradient: &r.dhp)
    return r
}

func checkGRU(_ k: GRUCase, _ r: GRUResult, tier: Tier) -> Mismatches {
    let e = TierError(tier), H = k.H
    var m = Mismatches()
    for b in 0..<k.B {
        for j in 0..<H {
            let at = b * H + j, g0 = b * 3 * H + j
            let rr = sigmoidD(Double(k.x[g0] + k.hg[g0])), z = sigmoidD(Double(k.x[g0 + H] + k.hg[g0 + H]))
            let xn = Double(k.x[g0 + 2 * H]), hn = Double(k.hg[g0 + 2 * H]), hp = Double(k.hp[at])
            let n = tanh(xn + rr * hn), h = (1 - z) * n + z * hp
            let dn = e.of(n) + Swift.abs(hn) * e.of(rr) + u * Swift.abs(xn + rr * hn)
            m.check("h", at, r.h[at], h, Swift.abs(hp - n) * e.of(z) + Swift.abs(1 - z) * dn + e.of(z) * dn
                    + 3 * u * (Swift.abs(z * hp) + Swift.abs(n - z * n)))
            m.check("ws.r", g0, r.ws[g0], rr, e.of(rr))
            m.check("ws.z", g0 + H, r.ws[g0 + H], z, e.of(z))
            m.check("ws.n", g0 + 2 * H, r.ws[g0 + 2 * H], n, dn)
            m.check("ws.hn", at, r.ws[3 * k.B * H + at], hn, 0)
            // backward from the kernel's workspace
            let R = Double(r.ws[g0]), Z = Double(r.ws[g0 + H]), N = Double(r.ws[g0 + 2 * H]), dhv = Double(k.dh[at])
            let dan = dhv * (1 - Z) * (1 - N * N), daz = dhv * (hp - N) * Z * (1 - Z), dar = dan * hn * R * (1 - R)
            let tol = { (v: Double) in 8 * u * Swift.abs(v) }
            m.check("dx.r", g0, r.dx[g0], dar, tol(dar))
            m.check("dx.z", g0 + H, r.dx[g0 + H], daz, tol(daz))
            m.check("dx.n", g0 + 2 * H, r.dx[g0 + 2 * H], dan, tol(dan))
            m.check("dhg.r", g0, r.dhg[g0], dar, tol(dar))
            m.check("dhg.z", g0 + H, r.dhg[g0 + H], daz, tol(daz))
            m.check("dhg.n", g0 + 2 * H, r.dhg[g0 + 2 * H], dan * R, tol(dan * R))
            m.check("dh_prev", at, r.dhp[at], dhv * Z, tol(dhv * Z))
        }
    }
    return m
}

@Test(arguments: Tier.allCases)
func gruMatchesReferenceOnEveryISA(tier: Tier) throws {
    let specials: [Float] = [100, -100, .infinity, -.infinity, .nan]
    for (n, (B, H)) in [(3, 37), (2, 300), (1, 1), (4, 21)].enumerated() {
        let k = GRUCase(B: B, H: H, seed: UInt64(50 + n), specials: n == 3 ? specials : [])
        var first: GRUResult?
        for isa in gateISAs {
            let r = try runGRU(k, tier: tier, isa: isa)
            let m = checkGRU(k, r, tier: tier)
            #expect(m.count == 0, "\(tier) \(isa) B=\(B) H=\(H): \(m)")
            if n == 3 { #expect(r.h.filter(\.isNaN).count == 1) }
            if let first {
                #expect(sameBits(first.h, r.h) && sameBits(first.ws, r.ws) && sameBits(first.dx, r.dx)
                        && sameBits(first.dhg, r.dhg) && sameBits(first.dhp, r.dhp), "\(isa) differs")
            }
            first = first ?? r
        }
    }
}

@Test func gruGradientsMatchFiniteDifferences() throws {
    let k = GRUCase(B: 2, H: 3, seed: 9)
    let H = 3
    func loss(_ x: [Double], _ hg: [Double], _ hp: [Double]) -> Double {
        var l = 0.0
        for b in 0..<2 {
            for j in 0..<H {
                let g0 = b * 3 * H + j
                let r = sigmoidD(x[g0] + hg[g0]), z = sigmoidD(x[g0 + H] + hg[g0 + H])
                let n = tanh(x[g0 + 2 * H] + r * hg[g0 + 2 * H])
                l += Double(k.dh[b * H + j]) * ((1 - z) * n + z * hp[b * H + j])
            }
        }
        return l
    }
    let v0 = [k.x.map(Double.init), k.hg.map(Double.init), k.hp.map(Double.init)]
    func fd(_ which: Int, _ n: Int) -> Double {
        var v = v0
        v[which][n] += 1e-6
        let up = loss(v[0], v[1], v[2])
        v[which][n] -= 2e-6
        return (up - loss(v[0], v[1], v[2])) / 2e-6
    }
    for tier in Tier.allCases {
        let r = try runGRU(k, tier: tier, isa: nil)
        let tol = 8 * TierError(tier).of(1) + 1e-6
        var m = Mismatches()
        for n in 0..<v0[0].count {
            m.check("dx", n, r.dx[n], fd(0, n), tol * (1 + Swift.abs(fd(0, n))))
            m.check("dhg", n, r.dhg[n], fd(1, n), tol * (1 + Swift.abs(fd(1, n))))
        }
        // the direct part only: h_prev's other path goes through the trainer's GEMM into hg
        for n in 0..<v0[2].count { m.check("dh_prev", n, r.dhp[n], fd(2, n), tol * (1 + Swift.abs(fd(2, n)))) }
        #expect(m.count == 0, "\(tier): \(m)")
    }
}

@Test func gruThreadCountsGiveTheSameBits() throws {
    let k = GRUCase(B: 45, H: 37, seed: 12)
    let serial = try runGRU(k, tier: .fast, isa: nil)
    for p: Parallelism in [.threads(2), .threads(3), .automatic] {
        let r = try runGRU(k, tier: .fast, isa: nil, parallelism: p)
        #expect(sameBits(serial.h, r.h) && sameBits(serial.ws, r.ws) && sameBits(serial.dx, r.dx)
                && sameBits(serial.dhg, r.dhg) && sameBits(serial.dhp, r.dhp), "\(p)")
    }
}

// MARK: - configuration errors and C status codes

@Test func gruInvalidConfigurationThrows() {
    #expect(throws: GateKernelsError.self) { try GRUCell(hiddenSize: -1) }
    if let missing = ISA.allCases.first(where: { !$0.isSupported }) {
        #expect(throws: GateKernelsError.self) { try GRUCell(hiddenSize: 4, isa: missing) }
    }
}

@Test func gruStatusCodes() {
    let B = 3, H = 4
    let x = [Float](repeating: 0.2, count: 3 * B * H), hp = [Float](repeating: 0.1, count: B * H)
    var h = hp, ws = [Float](repeating: 0, count: 4 * B * H), dx = x, dhg = x, dhp = hp
    var d = ck_gru_desc(batch: B, hidden: H, tier: CK_PRECISE)
    #expect(ck_gru_workspace_floats(&d) == 4 * B * H)
    #expect(ck_gru_forward(&d, x, x, hp, &h, &ws) == CK_OK)
    #expect(ck_gru_backward(&d, h, ws, hp, &dx, &dhg, &dhp) == CK_OK)
    #expect(ck_gru_forward(nil, x, x, hp, &h, &ws) == CK_ERR_NULL_POINTER)
    #expect(ck_gru_forward(&d, x, nil, hp, &h, &ws) == CK_ERR_NULL_POINTER)
    #expect(ck_gru_backward(&d, h, ws, hp, &dx, nil, &dhp) == CK_ERR_NULL_POINTER)
    var bad = d; bad.hidden = 0
    #expect(ck_gru_forward(&bad, x, x, hp, &h, &ws) == CK_ERR_INVALID_ARGUMENT)
    bad = d; bad.tier = ck_tier(rawValue: 9)
    #expect(ck_gru_forward(&bad, x, x, hp, &h, &ws) == CK_ERR_INVALID_ARGUMENT)
    #expect(ck_gru_forward_rows(&d, 0, 4, CK_ISA_AUTO, x, x, hp, &h, &ws) == CK_ERR_INVALID_ARGUMENT)
    ws.withUnsafeMutableBufferPointer { wb in
        let w = wb.baseAddress!
        #expect(ck_gru_forward(&d, x, x, hp, w + 3, nil) == CK_OK) // no workspace: h may live anywhere
        #expect(ck_gru_forward(&d, x, x, hp, w + 3, w) == CK_ERR_OVERLAP)
        #expect(ck_gru_backward(&d, h, w, hp, w, &dhg, &dhp) == CK_OK) // dx == workspace
        #expect(ck_gru_backward(&d, h, w, hp, &dx, w, &dhp) == CK_ERR_OVERLAP)
    }
}

@Test func gruInPlaceAliasesGiveTheSameBits() throws {
    let k = GRUCase(B: 3, H: 37, seed: 21)
    let r = try runGRU(k, tier: .fast, isa: nil)
    var d = ck_gru_desc(batch: 3, hidden: 37, tier: CK_FAST)
    // h == h_prev
    var h = k.hp, ws = r.ws.map { _ in Float.nan }
    let st = h.withUnsafeMutableBufferPointer { hb in ck_gru_forward(&d, k.x, k.hg, hb.baseAddress, hb.baseAddress, &ws) }
    #expect(st == CK_OK && sameBits(h, r.h) && sameBits(ws, r.ws))
    // dx == workspace, dh_prev == dh
    var dhg = r.dhg.map { _ in Float.nan }, dh = k.dh
    let st2 = ws.withUnsafeMutableBufferPointer { wb in
        dh.withUnsafeMutableBufferPointer { db in
            ck_gru_backward(&d, db.baseAddress, wb.baseAddress, k.hp, wb.baseAddress, &dhg, db.baseAddress)
        }
    }
    #expect(st2 == CK_OK && sameBits(Array(ws[0..<(3 * 3 * 37)]), r.dx) && sameBits(dhg, r.dhg) && sameBits(dh, r.dhp))
}

@Suite("GRUCell stops on mismatched sizes with a message naming both")
struct GRUPreconditionTests {
    @Test func gruWorkspaceSize() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! GRUCell(hiddenSize: 3)
            var h = [Float](repeating: 0, count: 3), ws = [Float](repeating: 0, count: 11)
            cell.forward(inputProjections: [Float](repeating: 0, count: 9), hiddenProjections: [Float](repeating: 0, count: 9),
                         previousHidden: [Float](repeating: 0, count: 3), hidden: &h, workspace: &ws)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("workspace has 11 elements but needs 12"))
    }

    @Test func gruWorkspaceCountThatOverflowsIsNamed() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try! GRUCell(hiddenSize: Int.max / 4).workspaceCount(batch: 2)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("GRUCell.workspaceCount(batch: 2): 4 · 2 · \(Int.max / 4) elements overflow Int\n"))
    }

    @Test func gruSetterChecksAsInitDoes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var cell = try! GRUCell(hiddenSize: 3)
            cell.parallelism = .threads(-2)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("GRUCell: Parallelism.threads(-2): the thread count must be at least 1\n"))
    }
}
