#if OpenMP
import CKernels
import CKernelsOpenMP
import GateKernels
import Testing

// The OpenMP backend (package trait `OpenMP`) against the serial kernels, bit for bit: the
// activations through `Parallelism.openMP` and the C drivers of ckernels_omp.h, the gates through
// the C drivers (the bias gradient included).

/// Inputs from a fixed-seed generator over [-lo, lo], with the specials sprinkled in.
private func inputs(_ n: Int, scale: Float = 12, seed: UInt64 = 0x2545_F491_4F6C_DD1D) -> [Float] {
    var s = seed
    let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 88.7, -88.7, .leastNonzeroMagnitude]
    return (0..<n).map { i in
        s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return i % 997 < specials.count ? specials[i % 997] : scale * (Float(s >> 40) / Float(1 << 23) - 1)
    }
}

private func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

/// Per output, the first element whose bits differ (nil: all the same); short to print on failure.
/// NaNs match any NaN: with two NaN operands x86 returns the first, and compilers may swap the
/// operands of a commutative add, so NaN signs and payloads are not part of the contract.
private func firstDifferences(_ a: [[UInt32]], _ b: [[UInt32]]) -> [Int?] {
    zip(a, b).map { (x: [UInt32], y: [UInt32]) -> Int? in
        if x.count != y.count { return -1 }
        return x.indices.first { x[$0] != y[$0] && !(Float(bitPattern: x[$0]).isNaN && Float(bitPattern: y[$0]).isNaN) }
    }
}

@Suite struct OpenMPTests {
    @Test func theTraitBuildsTheDriversWithOpenMP() {
        // Without -fopenmp the drivers would run one thread whatever they are asked for.
        #expect(ck_omp_team_size(4 * Int(CK_OMP_GRAIN), 2) == 2)
        #expect(ck_omp_team_size(2 * Int(CK_OMP_GRAIN) - 1, 2) == 1)
        #expect(ck_omp_team_size(0, 8) == 1)
        #expect(ck_omp_team_size(1 << 24, 0) >= 1)
        // the gate shapes below are large enough for three threads (they split into row chunks)
        #expect(65 * 4096 >= 3 * Int(CK_OMP_GATE_GRAIN) && 65 / Int(CK_GATES_DB_ROWS) >= 3)
    }

    @Test(arguments: Tier.allCases)
    func activationsMatchSerialBits(tier: Tier) {
        for n in [0, 1, 63, 4 * Int(CK_OMP_GRAIN) + 17, (1 << 20) + 5] {
            let x = inputs(n)
            for threads in [1, 2, 3] {
                #expect(bits(Activation.sigmoid(x, tier: tier, parallelism: .openMP(threads))) == bits(Activation.sigmoid(x, tier: tier)),
                        "sigmoid \(tier) n=\(n) threads=\(threads)")
                #expect(bits(Activation.tanh(x, tier: tier, parallelism: .openMP(threads))) == bits(Activation.tanh(x, tier: tier)),
                        "tanh \(tier) n=\(n) threads=\(threads)")
            }
            var inPlace = x
            Activation.sigmoidInPlace(&inPlace, tier: tier, parallelism: .openMP(2))
            #expect(bits(inPlace) == bits(Activation.sigmoid(x, tier: tier)), "in place, n=\(n)")
        }
    }

    @Test func driversCheckTheWholeBuffer() {
        let n = 8 * Int(CK_OMP_GRAIN)
        var buffer = inputs(2 * n)
        let before = bits(buffer)
        buffer.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress!
            // Chunk by chunk these would not overlap; the whole buffers do.
            #expect(ck_sigmoid_f32_omp(p, p + n / 2, n, CK_FAST, 2) == CK_ERR_OVERLAP)
            #expect(ck_tanh_f32_omp(p + 1, p, n, CK_FAST, 2) == CK_ERR_OVERLAP)
            #expect(ck_sigmoid_f32_omp(p, p + n, n, ck_tier(rawValue: 7), 2) == CK_ERR_INVALID_ARGUMENT)
            #expect(ck_sigmoid_f32_omp(p, p + n, n, CK_FAST, -1) == CK_ERR_INVALID_ARGUMENT)
            #expect(ck_sigmoid_f32_omp(nil, p, n, CK_FAST, 2) == CK_ERR_NULL_POINTER)
            #expect(ck_unary_f32_omp(nil, p, p + n, n, CK_FAST, 2) == CK_ERR_NULL_POINTER)
            #expect(ck_sigmoid_f32_omp(nil, nil, 0, CK_FAST, 2) == CK_OK)
        }
        #expect(bits(buffer) == before, "a rejected call wrote")
    }

    @Test(arguments: [(1, 8), (65, 4096), (193, 4096)])
    func lstmMatchesSerialBits(batch: Int, hidden: Int) {
        // the tier changes no chunking: every tier on the small shape, one on the large ones
        for tier in batch * hidden < 4096 ? Tier.allCases : [.fast] {
            var d = ck_lstm_desc(batch: batch, hidden: hidden, z_stride: 4 * hidden + 3, order: CK_GATES_ICFO,
                                 forget_bias: 1, cell_clip: 3, tier: tier.c)
            let bh = batch * hidden
            let z = inputs(batch * d.z_stride, scale: 4), bias = inputs(4 * hidden, scale: 1, seed: 3)
            let cPrev = inputs(bh, scale: 2, seed: 5), dh = inputs(bh, scale: 1, seed: 7), dcNext = inputs(bh, scale: 1, seed: 9)
            func run(_ threads: Int?) -> [[UInt32]] {
                var c = [Float](repeating: 0, count: bh), h = c, dcPrev = c
                var ws = [Float](repeating: 0, count: 5 * bh), dz = [Float](repeating: 0, count: 4 * bh)
                var db = inputs(4 * hidden, scale: 1, seed: 11)
                let forward = threads.map { ck_lstm_forward_omp(&d, z, bias, cPrev, &c, &h, &ws, Int32($0)) }
                    ?? ck_lstm_forward(&d, z, bias, cPrev, &c, &h, &ws)
                let backward = threads.map { ck_lstm_backward_omp(&d, dh, dcNext, ws, cPrev, &dz, &dcPrev, &db, Int32($0)) }
                    ?? ck_lstm_backward(&d, dh, dcNext, ws, cPrev, &dz, &dcPrev, &db)
                #expect(forward == CK_OK && backward == CK_OK)
                return [c, h, ws, dz, dcPrev, db].map(bits)
            }
            let serial = run(nil)
            for threads in [2, 3] {
                let diff = firstDifferences(run(threads), serial)
                #expect(diff.allSatisfy { $0 == nil }, "LSTM [c, h, ws, dz, dcPrev, db]: \(diff) B=\(batch) H=\(hidden) \(tier) threads=\(threads)")
            }
        }
    }

    @Test(arguments: [(1, 8), (65, 4096), (193, 4096)])
    func gruMatchesSerialBits(batch: Int, hidden: Int) {
        for tier in batch * hidden < 4096 ? Tier.allCases : [.fast] {
            var d = ck_gru_desc(batch: batch, hidden: hidden, tier: tier.c)
            let bh = batch * hidden
            let x = inputs(3 * bh, scale: 4), hg = inputs(3 * bh, scale: 4, seed: 3)
            let hPrev = inputs(bh, scale: 1, seed: 5), dh = inputs(bh, scale: 1, seed: 7)
            func run(_ threads: Int?) -> [[UInt32]] {
                var h = [Float](repeating: 0, count: bh), dhPrev = h
                var ws = [Float](repeating: 0, count: 4 * bh), dx = [Float](repeating: 0, count: 3 * bh), dhg = dx
                let forward = threads.map { ck_gru_forward_omp(&d, x, hg, hPrev, &h, &ws, Int32($0)) }
                    ?? ck_gru_forward(&d, x, hg, hPrev, &h, &ws)
                let backward = threads.map { ck_gru_backward_omp(&d, dh, ws, hPrev, &dx, &dhg, &dhPrev, Int32($0)) }
                    ?? ck_gru_backward(&d, dh, ws, hPrev, &dx, &dhg, &dhPrev)
                #expect(forward == CK_OK && backward == CK_OK)
                return [h, ws, dx, dhg, dhPrev].map(bits)
            }
            let serial = run(nil)
            for threads in [2, 3] {
                let diff = firstDifferences(run(threads), serial)
                #expect(diff.allSatisfy { $0 == nil }, "GRU [h, ws, dx, dhg, dhPrev]: \(diff) B=\(batch) H=\(hidden) \(tier) threads=\(threads)")
            }
        }
    }

    @Test("LSTMCell and GRUCell with .openMP give the serial bits", arguments: [(1, 8), (65, 4096)])
    func cellsMatchSerialBits(batch: Int, hidden: Int) throws {
        let H = hidden, B = batch
        let z = inputs(4 * B * H, scale: 6), cPrev = inputs(B * H, scale: 2, seed: 7), dh = inputs(B * H, scale: 1, seed: 9)
        func lstm(_ p: Parallelism) throws -> [[UInt32]] {
            let cell = try LSTMCell(hiddenSize: H, forgetBias: 1, tier: .fast, parallelism: p)
            var c = [Float](repeating: 0, count: B * H), h = c, dc = c
            var ws = [Float](repeating: 0, count: cell.workspaceCount(batch: B))
            var dz = [Float](repeating: 0, count: 4 * B * H), db = [Float](repeating: 0, count: 4 * H)
            cell.forward(preactivations: z, previousCell: cPrev, cell: &c, hidden: &h, workspace: &ws)
            cell.backward(hiddenGradient: dh, nextCellGradient: dh, workspace: ws, previousCell: cPrev,
                          preactivationGradient: &dz, previousCellGradient: &dc, biasGradient: &db)
            return [bits(c), bits(h), bits(ws), bits(dz), bits(dc), bits(db)]
        }
        func gru(_ p: Parallelism) throws -> [[UInt32]] {
            let cell = try GRUCell(hiddenSize: H, tier: .fast, parallelism: p)
            var h = [Float](repeating: 0, count: B * H), dhp = h
            var ws = [Float](repeating: 0, count: cell.workspaceCount(batch: B))
            var dx = [Float](repeating: 0, count: 3 * B * H), dhg = dx
            cell.forward(inputProjections: Array(z[0..<(3 * B * H)]), hiddenProjections: Array(z[(B * H)...]),
                         previousHidden: cPrev, hidden: &h, workspace: &ws)
            cell.backward(hiddenGradient: dh, workspace: ws, previousHidden: cPrev, inputProjectionGradient: &dx,
                          hiddenProjectionGradient: &dhg, previousHiddenGradient: &dhp)
            return [bits(h), bits(ws), bits(dx), bits(dhg), bits(dhp)]
        }
        let lstmSerial = try lstm(.serial), gruSerial = try gru(.serial)
        for threads in [1, 2, 3] {
            #expect(firstDifferences(try lstm(.openMP(threads)), lstmSerial).allSatisfy { $0 == nil }, "LSTM \(threads)")
            #expect(firstDifferences(try gru(.openMP(threads)), gruSerial).allSatisfy { $0 == nil }, "GRU \(threads)")
        }
        #expect(throws: GateKernelsError.self) { try LSTMCell(hiddenSize: H, parallelism: .openMP(2), isa: .scalar) }
        #expect(throws: GateKernelsError.self) { try GRUCell(hiddenSize: H, parallelism: .openMP(0)) }
    }

    @Test func gateDriversRejectBadArguments() {
        var d = ck_lstm_desc(batch: 64, hidden: 512, z_stride: 0, order: CK_GATES_IFGO, forget_bias: 0, cell_clip: 0, tier: CK_FAST)
        var buffer = [Float](repeating: 0, count: 64 * 512 * 8)
        buffer.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress!, bh = 64 * 512
            // h overlaps c: the row chunks alone would not see it.
            #expect(ck_lstm_forward_omp(&d, p, nil, p + 4 * bh, p + 5 * bh, p + 5 * bh + bh / 2, nil, 2) == CK_ERR_OVERLAP)
            #expect(ck_lstm_forward_omp(&d, p, nil, p + 4 * bh, p + 5 * bh, p + 6 * bh, nil, -1) == CK_ERR_INVALID_ARGUMENT)
            #expect(ck_lstm_forward_omp(nil, p, nil, p + 4 * bh, p + 5 * bh, p + 6 * bh, nil, 2) == CK_ERR_NULL_POINTER)
        }
        #expect(buffer.allSatisfy { $0 == 0 }, "a rejected call wrote")
    }
}
#endif
