import CKernels
import GateKernels
import Testing

// LSTMCell and GRUCell on half-format tensors (HalfGates.swift). Each half-format step must give the
// Float step's results on the inputs widened to Float, with its half-format outputs rounded by
// Swift's own conversions (BFloat16(Float), Float16(Float)) and its Float outputs bit for bit: the
// Float step is held to the double reference by LSTMTests.swift and GRUTests.swift, and
// CKernels/tests/ck_test.c bounds the half-format results against the double reference of the
// unrounded inputs. On every ISA this machine has and every parallelism, with batch splits.

/// The parallelisms of the half-format gate tests: 40 rows are 5 row groups, so `.threads` splits.
var halfGateParallelisms: [Parallelism] {
    var p: [Parallelism] = [.serial, .threads(2), .threads(3), .automatic]
    #if OpenMP
    p.append(.openMP(2))
    #endif
    return p
}

/// The ISA a cell runs `p` with: the OpenMP drivers run the active one.
func cellISA(_ isa: ISA, _ p: Parallelism) -> ISA? {
    #if OpenMP
    if case .openMP = p { return nil }
    #endif
    return isa
}

/// A half-format type with its conversions from and to Float.
protocol TestHalf: HalfFloat, Equatable {
    init(_ value: Float)
    var float: Float { get }
}
extension BFloat16: TestHalf {
    var float: Float { Float(self) }
}
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension Float16: TestHalf {
    var float: Float { Float(self) }
}
#endif

func roundedTo<H: TestHalf>(_: H.Type, _ x: [Float]) -> [H] { x.map(H.init) }
func bitsOf<H: HalfFloat>(_ x: [H]) -> [UInt16] { x.map(\.bitPattern) }

func lstmHalfMatchesTheFloatStepRounded<H: TestHalf>(_: H.Type, tier: Tier, order: LSTMGateOrder) throws {
    let B = 40, H_ = 37, n = B * H_
    for seed: UInt64 in [2, 3] { // even seeds pass dc_next
        let k = LSTMCase(B: B, H: H_, extraStride: 3, order: order, bias: true, fb: 1, clip: seed == 3 ? 0.8 : nil,
                         seed: seed)
        let z: [H] = roundedTo(H.self, k.z), dh: [H] = roundedTo(H.self, k.dh)
        // the Float step on the widened inputs (checked against the double reference by LSTMTests)
        var widened = k
        widened.z = z.map(\.float)
        widened.dh = dh.map(\.float)
        let want = try runLSTM(widened, tier: tier, isa: .scalar)
        for isa in gateISAs {
            for p in halfGateParallelisms {
                let isa = cellISA(isa, p)
                let cell = try LSTMCell(hiddenSize: H_, gateOrder: order, forgetBias: k.fb, cellClip: k.clip, tier: tier,
                                        parallelism: p, isa: isa)
                var c = [Float](repeating: .nan, count: n), h = [H](repeating: H(Float.nan), count: n)
                var ws = [Float](repeating: .nan, count: cell.workspaceCount(batch: B))
                var dz = [H](repeating: H(Float.nan), count: 4 * n), dcp = [Float](repeating: .nan, count: n)
                var db = k.db0
                cell.forward(preactivations: z, zRowStride: k.stride, bias: k.bias, previousCell: k.cp, cell: &c,
                             hidden: &h, workspace: &ws)
                cell.backward(hiddenGradient: dh[...], nextCellGradient: k.dcn, workspace: ws, previousCell: k.cp,
                              preactivationGradient: &dz, previousCellGradient: &dcp, biasGradient: &db)
                let what = "\(H.self) \(tier) \(order) seed \(seed) \(isa.map { "\($0)" } ?? "active") \(p)"
                #expect(sameBits(c, want.c) && sameBits(ws, want.ws) && sameBits(dcp, want.dcp) && sameBits(db, want.db),
                        "\(what): float outputs")
                #expect(bitsOf(h) == bitsOf(roundedTo(H.self, want.h)), "\(what): h")
                #expect(bitsOf(dz) == bitsOf(roundedTo(H.self, want.dz)), "\(what): dz")
                // inference writes the same h
                var hi = [H](repeating: H(0), count: n), ci = c
                cell.forward(preactivations: z, zRowStride: k.stride, bias: k.bias, previousCell: k.cp, cell: &ci,
                             hidden: &hi)
                #expect(bitsOf(hi) == bitsOf(h) && sameBits(ci, c), "\(what): inference")
            }
        }
    }
}

func gruHalfMatchesTheFloatStepRounded<H: TestHalf>(_: H.Type, tier: Tier) throws {
    let B = 40, H_ = 33, n = B * H_
    var rng = GateRng(state: 11)
    let x: [H] = roundedTo(H.self, rng.array(3 * n, -4, 4)), hg: [H] = roundedTo(H.self, rng.array(3 * n, -3, 3))
    let hp: [H] = roundedTo(H.self, rng.array(n, -1, 1)), dh: [H] = roundedTo(H.self, rng.array(n, -1, 1))
    let floatCell = try GRUCell(hiddenSize: H_, tier: tier, isa: .scalar)
    var hF = [Float](repeating: .nan, count: n), wsF = [Float](repeating: .nan, count: floatCell.workspaceCount(batch: B))
    var dxF = [Float](repeating: .nan, count: 3 * n), dhgF = dxF, dhpF = hF
    floatCell.forward(inputProjections: x.map(\.float), hiddenProjections: hg.map(\.float),
                      previousHidden: hp.map(\.float), hidden: &hF, workspace: &wsF)
    floatCell.backward(hiddenGradient: dh.map(\.float), workspace: wsF, previousHidden: hp.map(\.float),
                       inputProjectionGradient: &dxF, hiddenProjectionGradient: &dhgF, previousHiddenGradient: &dhpF)
    for isa in gateISAs {
        for p in halfGateParallelisms {
            let isa = cellISA(isa, p)
            let cell = try GRUCell(hiddenSize: H_, tier: tier, parallelism: p, isa: isa)
            var h = [H](repeating: H(Float.nan), count: n), ws = [Float](repeating: .nan, count: wsF.count)
            var dx = [H](repeating: H(Float.nan), count: 3 * n), dhg = dx, dhp = h
            cell.forward(inputProjections: x, hiddenProjections: hg[...], previousHidden: hp, hidden: &h, workspace: &ws)
            cell.backward(hiddenGradient: dh, workspace: ws, previousHidden: hp, inputProjectionGradient: &dx,
                          hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
            let what = "\(H.self) \(tier) \(isa.map { "\($0)" } ?? "active") \(p)"
            #expect(sameBits(ws, wsF), "\(what): workspace")
            #expect(bitsOf(h) == bitsOf(roundedTo(H.self, hF)), "\(what): h")
            #expect(bitsOf(dx) == bitsOf(roundedTo(H.self, dxF)) && bitsOf(dhg) == bitsOf(roundedTo(H.self, dhgF)) &&
                    bitsOf(dhp) == bitsOf(roundedTo(H.self, dhpF)), "\(what): gradients")
            var hi = [H](repeating: H(0), count: n)
            cell.forward(inputProjections: x, hiddenProjections: hg, previousHidden: hp, hidden: &hi)
            #expect(bitsOf(hi) == bitsOf(h), "\(what): inference")
        }
    }
}

@Test(arguments: Tier.allCases, LSTMGateOrder.allCases)
func lstmBFloat16StepIsTheFloatStepRounded(tier: Tier, order: LSTMGateOrder) throws {
    try lstmHalfMatchesTheFloatStepRounded(BFloat16.self, tier: tier, order: order)
}

@Test(arguments: Tier.allCases)
func gruBFloat16StepIsTheFloatStepRounded(tier: Tier) throws {
    try gruHalfMatchesTheFloatStepRounded(BFloat16.self, tier: tier)
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
@Test(arguments: Tier.allCases, LSTMGateOrder.allCases)
func lstmFloat16StepIsTheFloatStepRounded(tier: Tier, order: LSTMGateOrder) throws {
    try lstmHalfMatchesTheFloatStepRounded(Float16.self, tier: tier, order: order)
}

@Test(arguments: Tier.allCases)
func gruFloat16StepIsTheFloatStepRounded(tier: Tier) throws {
    try gruHalfMatchesTheFloatStepRounded(Float16.self, tier: tier)
}
#endif

@Suite("Half-format gate steps stop on mismatched sizes with a message naming both")
struct HalfGatePreconditionTests {
    @Test func lstmHalfHiddenSize() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! LSTMCell(hiddenSize: 2)
            var c = [Float](repeating: 0, count: 4), h = [BFloat16](repeating: BFloat16(0), count: 3)
            cell.forward(preactivations: [BFloat16](repeating: BFloat16(0), count: 16),
                         previousCell: [Float](repeating: 0, count: 4), cell: &c, hidden: &h)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("LSTMCell.forward: hidden has 3 elements but previousCell has 4"))
    }

    @Test func gruHalfGradientSize() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! GRUCell(hiddenSize: 2)
            let v = [BFloat16](repeating: BFloat16(0), count: 4)
            var dx = [BFloat16](repeating: BFloat16(0), count: 11), dhg = dx + [BFloat16(0)], dhp = v
            cell.backward(hiddenGradient: v, workspace: [Float](repeating: 0, count: 16), previousHidden: v,
                          inputProjectionGradient: &dx, hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("GRUCell.backward: inputProjectionGradient has 11 elements but 3BH = 12"))
    }

    /// The half-format forward checks Z's stride as the float one does: 2 rows of stride Int.max
    /// overflow `Int` and stop with a message, not with an arithmetic-overflow trap.
    @Test func lstmHalfStrideThatOverflowsIsNamed() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! LSTMCell(hiddenSize: 2)
            var c = [Float](repeating: 0, count: 4), h = [BFloat16](repeating: BFloat16(0), count: 4)
            cell.forward(preactivations: [BFloat16](repeating: BFloat16(0), count: 16), zRowStride: Int.max,
                         previousCell: [Float](repeating: 0, count: 4), cell: &c, hidden: &h)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("LSTMCell.forward: B rows of zRowStride: 2 · \(Int.max) elements overflow Int\n"))
    }

    /// The half-format GRU forward stops with the float forward's messages: for a projection one
    /// element short, and for 3BH overflowing `Int` (an h_prev that claims B = 1 row of a huge H:
    /// never read, the check stops first).
    @Test func gruHalfForwardSizesAreTheFloatOnes() async {
        let short = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cell = try! GRUCell(hiddenSize: 2)
            let v = [BFloat16](repeating: BFloat16(0), count: 4), x = [BFloat16](repeating: BFloat16(0), count: 12)
            var h = v
            cell.forward(inputProjections: x, hiddenProjections: Array(x.dropLast()), previousHidden: v, hidden: &h)
        }
        let overflow = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let H = Int.max / 3 + 1
            let cell = try! GRUCell(hiddenSize: H)
            let hPrev = UnsafeBufferPointer<BFloat16>(start: UnsafePointer(bitPattern: 0x1000), count: H)
            var h = [BFloat16](repeating: BFloat16(0), count: 1)
            cell.forward(inputProjections: h, hiddenProjections: h, previousHidden: hPrev, hidden: &h)
        }
        let messages = [short, overflow].map { $0.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? "" }
        #expect(messages[0].contains("GRUCell.forward: hiddenProjections have 11 elements but 3BH = 12\n"))
        #expect(messages[1].contains("GRUCell.forward: 3BH: 3 · \(Int.max / 3 + 1) elements overflow Int\n"))
    }
}
