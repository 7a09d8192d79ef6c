import CKernels
import CKernelsEval
import Foundation
import GateKernels
import GateKernelsEval
import Testing

// The accuracy contract of docs/design.md, checked on every tier x every ISA this machine has (each
// path forced per call, so the tests never touch the process-wide ISA choice).

typealias Function = ActivationFunction

let machineISAs: [ISA] = ISA.supported

/// Runs one function/tier on one ISA through the C entry point that forces the ISA.
func evaluate(_ f: Function, _ tier: Tier, _ isa: ISA, _ x: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?, _ n: Int) -> ck_status {
    UnaryKernel(f, tier, isa: isa).run(x, y, n)
}

func evaluate(_ f: Function, _ tier: Tier, _ isa: ISA, _ x: [Float]) -> [Float] {
    var y = [Float](repeating: .nan, count: x.count)
    let status = x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { yb in evaluate(f, tier, isa, xb.baseAddress, yb.baseAddress, x.count) }
    }
    #expect(status == CK_OK)
    return y
}

/// A kernel of the registry forced onto one ISA.
typealias SweepTarget = UnaryKernel

/// Sweeps the ordered floats first...last with a stride, and every `stride`th NaN pattern when `nans`.
func sweep(_ target: SweepTarget, first: UInt64 = 0, last: UInt64 = CK_ORDERED_COUNT - 1, stride: UInt64,
           threads: Int32 = 2, nans: Bool = true) -> ck_eval_stats {
    var stats = ck_eval_stats()
    var range = ck_eval_range(first: first, last: last, stride: stride, threads: threads, include_nans: nans ? 1 : 0,
                              progress: nil, progress_ctx: nil)
    let (impl, context) = target.evalSubject()
    defer { context.deallocate() }
    #expect(ck_eval_sweep(target.function.c, impl, context, &range, &stats) == 0)
    return stats
}

func orderedIndex(of x: Float) -> UInt64 {
    // inverse of ck_ordered_float for non-NaN x
    let negCount: UInt64 = 0x7F80_0001
    if x.sign == .minus { return 0xFF80_0000 - UInt64(x.bitPattern) }
    return negCount + UInt64(x.bitPattern)
}

/// Checks one sweep's statistics against the tier's contract.
func expectContract(_ s: ck_eval_stats, _ target: SweepTarget, _ comment: String) {
    let label = "\(target.function) \(target) \(comment)"
    switch target.tier {
    case .precise: #expect(s.max_ulp <= 2, "\(label): \(s.max_ulp) ulp at x = \(s.max_ulp_x)")
    case .fast: #expect(s.max_ulp <= 4, "\(label): \(s.max_ulp) ulp at x = \(s.max_ulp_x)")
    case .approximate: #expect(s.max_abs <= 2e-4, "\(label): abs error \(s.max_abs) at x = \(s.max_abs_x)")
    }
    #expect(s.monotonicity_violations == 0, "\(label): first violation at x = \(s.first_violation_x)")
    #expect(s.out_of_range == 0, "\(label)")
    #expect(s.nonfinite == 0, "\(label)")
    #expect(s.nan_not_propagated == 0, "\(label)")
    #expect(s.nan_inputs > 0 || comment.hasPrefix("near"), "\(label): no NaN was tried")
    #expect(s.odd_violations == 0, "\(label)")
    #expect(s.inputs > 0)
}

let allTargets = UnaryKernel.all(isas: machineISAs)

@Suite("Activation accuracy contract")
struct ContractTests {
    @Test("strided sweep over every float", arguments: allTargets)
    func wholeLine(_ target: SweepTarget) {
        // 4.3e9 / 40009 ~ 107k inputs spread over the whole float line, plus every 40009th NaN
        expectContract(sweep(target, stride: 40009), target, "whole line")
    }

    @Test("dense sweep where the functions bend", arguments: allTargets)
    func denseCore(_ target: SweepTarget) {
        // every 2039th float in [-20, 20] (~1.1M inputs): the range where the error lives. (The
        // accuracy tool's CI sweep and the exhaustive sweeps cover every float in release builds;
        // this test build runs the C kernels at -O0.)
        let lo = orderedIndex(of: -20), hi = orderedIndex(of: 20)
        expectContract(sweep(target, first: lo, last: hi, stride: 2039), target, "[-20, 20]")
    }

    @Test("every float around the sigmoid flush point and the saturation points", arguments: allTargets)
    func edges(_ target: SweepTarget) {
        let points: [Float] = target.function == .sigmoid ? [-87.3365, -88.73, 16.63, 17.33] : [8.66, 9.01, -9.01]
        for p in points {
            let k = orderedIndex(of: p)
            expectContract(sweep(target, first: k - 20000, last: k + 20000, stride: 1, threads: 1, nans: false),
                           target, "near \(p)")
        }
    }
}

extension UnaryKernel: CustomTestStringConvertible {
    public var testDescription: String { "\(function) \(self)" }
}

@Suite("Special values")
struct SpecialValueTests {
    static let cases: [(Function, Tier, ISA)] = Function.allCases.flatMap { f in
        Tier.allCases.flatMap { t in machineISAs.map { (f, t, $0) } }
    }

    @Test(arguments: cases)
    func specials(_ f: Function, _ tier: Tier, _ isa: ISA) {
        let inputs: [Float] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude,
                               -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
                               100, -100, 1e30, -1e30, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        let y = evaluate(f, tier, isa, inputs)
        let label = "\(f) \(tier) \(isa)"
        switch f {
        case .sigmoid:
            #expect(y[0] == 0.5 && y[1] == 0.5, "\(label): sigmoid(+-0) = \(y[0]), \(y[1])")
            #expect(y[2] == 1 && y[3] == 0, "\(label): sigmoid(+-inf) = \(y[2]), \(y[3])")
            #expect(y[4].isNaN && y[5].isNaN, "\(label): NaN")
            #expect(y[6] == 0.5 && y[7] == 0.5, "\(label): sigmoid(+-denormal)")
            #expect(y[10] == 1 && y[11] == 0 && y[12] == 1 && y[13] == 0 && y[14] == 1 && y[15] == 0,
                    "\(label): saturation \(y[10...])")
        case .tanh:
            #expect(y[0].bitPattern == Float(0).bitPattern && y[1].bitPattern == Float(-0.0).bitPattern,
                    "\(label): tanh(+-0) = \(y[0]), \(y[1])")
            #expect(y[2] == 1 && y[3] == -1, "\(label): tanh(+-inf)")
            #expect(y[4].isNaN && y[5].isNaN, "\(label): NaN")
            // tanh(x) = x for tiny x (a subnormal result may flush, with its sign)
            #expect(y[6] == inputs[6] || y[6].bitPattern == 0, "\(label): tanh(denormal) = \(y[6])")
            #expect(y[7] == inputs[7] || y[7].bitPattern == Float(-0.0).bitPattern, "\(label)")
            if tier == .approximate { // absolute accuracy only: tiny results may be zeros, signed
                #expect(abs(y[8] - inputs[8]) <= 2e-4 && y[8].sign == .plus && y[9] == -y[8],
                        "\(label): tanh(FLT_MIN) = \(y[8])")
            } else {
                #expect(y[8] == inputs[8] && y[9] == inputs[9], "\(label): tanh(FLT_MIN) = \(y[8])")
            }
            #expect(y[10] == 1 && y[11] == -1 && y[12] == 1 && y[13] == -1 && y[14] == 1 && y[15] == -1,
                    "\(label): saturation \(y[10...])")
        }
    }

    @Test("results do not depend on FTZ/DAZ, and the kernels leave them as they were", arguments: Function.allCases)
    func flushModes(_ f: Function) {
        let x: [Float] = (0..<4096).map { Float($0 - 2048) * 0.05 } + [-87.3365, -87.33, 1e-39, -1e-39, 1e-30]
        for isa in machineISAs {
            for tier in Tier.allCases {
                let plain = evaluate(f, tier, isa, x)
                for mode: UInt32 in [1, 2, 3] {
                    let old = ck_eval_set_ftz_daz(mode)
                    let flushed = evaluate(f, tier, isa, x)
                    let after = ck_eval_get_ftz_daz()
                    _ = ck_eval_set_ftz_daz(old)
                    #expect(after == mode, "\(f) \(tier) \(isa) changed FTZ/DAZ")
                    for i in x.indices where plain[i].isNormal || plain[i] == 0 {
                        // a normal result is the same bits; only subnormal inputs/results may flush
                        if x[i].isSubnormal { continue }
                        #expect(flushed[i] == plain[i], "\(f) \(tier) \(isa) mode \(mode) x = \(x[i])")
                    }
                }
            }
        }
    }
}

@Suite("Buffers: tails, alignment, in place, threads, status codes")
struct BufferTests {
    static let inputs: [Float] = (0..<4096).map { i in
        // a deterministic spread over [-30, 30] with some specials mixed in
        let v = Float(sin(Double(i) * 12.9898) * 30)
        return i % 97 == 0 ? .nan : i % 89 == 0 ? .infinity : v
    }

    @Test("every length 0...200 at every misalignment matches the element-by-element result",
          arguments: Function.allCases, Tier.allCases)
    func tails(_ f: Function, _ tier: Tier) {
        for isa in machineISAs {
            let oneByOne = BufferTests.inputs.prefix(216).map { evaluate(f, tier, isa, [$0])[0] }
            for offset in 0..<16 {
                for n in 0...200 {
                    let x = Array(BufferTests.inputs[offset..<(offset + n)])
                    var out = [Float](repeating: 42, count: n + 16)
                    let status = x.withUnsafeBufferPointer { xb in
                        out.withUnsafeMutableBufferPointer { ob in
                            evaluate(f, tier, isa, xb.baseAddress, ob.baseAddress! + offset, n)
                        }
                    }
                    #expect(status == CK_OK)
                    for i in 0..<n where !out[offset + i].sameResult(oneByOne[offset + i]) {
                        Issue.record("\(f) \(tier) \(isa) n=\(n) offset=\(offset) i=\(i)")
                        return
                    }
                    #expect(out[..<offset].allSatisfy { $0 == 42 } && out[(offset + n)...].allSatisfy { $0 == 42 },
                            "\(f) \(tier) \(isa): wrote outside [\(offset), \(offset + n))")
                }
            }
        }
    }

    @Test("every ISA gives the same bits", arguments: Function.allCases, Tier.allCases)
    func crossISA(_ f: Function, _ tier: Tier) {
        let reference = evaluate(f, tier, .scalar, BufferTests.inputs)
        for isa in machineISAs {
            let y = evaluate(f, tier, isa, BufferTests.inputs)
            #expect(y.elementsEqualBitwise(reference), "\(f) \(tier) \(isa) vs scalar")
        }
    }

    @Test("in place equals out of place; Swift overloads agree", arguments: Tier.allCases)
    func inPlaceAndOverloads(_ tier: Tier) {
        let x = BufferTests.inputs
        var y = [Float](repeating: 0, count: x.count)
        Activation.sigmoid(x, result: &y, tier: tier)
        var z = x
        Activation.sigmoidInPlace(&z, tier: tier)
        #expect(z.elementsEqualBitwise(y))
        #expect(Activation.sigmoid(x, tier: tier).elementsEqualBitwise(y))
        #expect(Activation.sigmoid(x[100..<300], tier: tier).elementsEqualBitwise(y[100..<300]))
        Activation.tanh(x, result: &y, tier: tier)
        z = x
        Activation.tanhInPlace(&z, tier: tier)
        #expect(z.elementsEqualBitwise(y))
        var slice = x[1..<4001]
        Activation.tanhInPlace(&slice, tier: tier)
        #expect(slice.elementsEqualBitwise(y[1..<4001]))
        x.withUnsafeBufferPointer { xb in
            var out = [Float](repeating: 0, count: x.count)
            out.withUnsafeMutableBufferPointer { ob in
                var ob = ob
                Activation.tanh(xb, result: &ob, tier: tier)
            }
            #expect(out.elementsEqualBitwise(y))
        }
    }

    @Test("every parallelism gives the same bits", arguments: [Parallelism.serial, .automatic, .threads(1), .threads(2), .threads(3), .threads(7)])
    func parallelism(_ p: Parallelism) {
        let big = (0..<300_001).map { Float(sin(Double($0) * 0.001) * 12) }
        let serial = Activation.sigmoid(big, tier: .fast, parallelism: .serial)
        #expect(Activation.sigmoid(big, tier: .fast, parallelism: p).elementsEqualBitwise(serial))
        let serialTanh = Activation.tanh(big, tier: .precise, parallelism: .serial)
        #expect(Activation.tanh(big, tier: .precise, parallelism: p).elementsEqualBitwise(serialTanh))
        #expect(Activation.sigmoid(Array(big[0..<5]), parallelism: p).elementsEqualBitwise(Array(serial[0..<5])))
    }

    @Test("many threads calling at once get identical results")
    func concurrentCalls() async {
        let x = BufferTests.inputs
        let expected = Activation.tanh(x, tier: .fast)
        await withTaskGroup(of: Bool.self) { group in
            for k in 0..<16 {
                group.addTask {
                    var ok = true
                    for _ in 0..<50 {
                        let y = k.isMultiple(of: 2) ? Activation.tanh(x, tier: .fast) : Activation.tanh(x, tier: .fast, parallelism: .threads(2))
                        ok = ok && y.elementsEqualBitwise(expected)
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    @Test("parallel calls right after, during and after the workers' standby time get identical results")
    func standbyWorkers() async {
        // Calls spaced 0 to 400 µs apart: the standby workers are awake, leaving (200 µs), or gone,
        // so calls meet every state of the pool; two tasks make one of them fall back to
        // concurrentPerform while the other holds the workers.
        let x = (0..<200_003).map { Float(sin(Double($0) * 0.0007) * 15) }
        let expected = Activation.sigmoid(x, tier: .fast)
        await withTaskGroup(of: Bool.self) { group in
            for task in 0..<2 {
                group.addTask {
                    var ok = true
                    for k in 0..<60 {
                        usleep(UInt32((k * 37 + task * 101) % 5 * 100))
                        let p: Parallelism = k % 3 == 0 ? .threads(3) : .threads(2)
                        ok = ok && Activation.sigmoid(x, tier: .fast, parallelism: p).elementsEqualBitwise(expected)
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    @Test("C API status codes")
    func statusCodes() {
        var buf = [Float](repeating: 1, count: 64)
        buf.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress!
            #expect(ck_sigmoid_f32(p, p, 64, CK_FAST) == CK_OK)                    // exact aliasing
            #expect(ck_sigmoid_f32(p, p + 1, 32, CK_FAST) == CK_ERR_OVERLAP)       // partial overlap
            #expect(ck_tanh_f32(p + 1, p, 32, CK_FAST) == CK_ERR_OVERLAP)
            #expect(ck_tanh_f32(p, p + 32, 32, CK_FAST) == CK_OK)                  // adjacent, disjoint
            #expect(ck_sigmoid_f32(nil, p, 4, CK_FAST) == CK_ERR_NULL_POINTER)
            #expect(ck_sigmoid_f32(p, nil, 4, CK_FAST) == CK_ERR_NULL_POINTER)
            #expect(ck_sigmoid_f32(nil, nil, 0, CK_FAST) == CK_OK)                 // n == 0
            #expect(ck_tanh_f32(p, p, 4, ck_tier(rawValue: 3)) == CK_ERR_INVALID_ARGUMENT)
            #expect(ck_tanh_f32(p, p, 0, ck_tier(rawValue: 7)) == CK_ERR_INVALID_ARGUMENT)
            #expect(ck_tanh_f32(p, p + 32, Int.max / 2, CK_FAST) == CK_ERR_INVALID_ARGUMENT) // byte size overflows
            #expect(ck_sigmoid_f32_isa(p, p, 4, CK_FAST, ck_isa(rawValue: 9)) == CK_ERR_INVALID_ARGUMENT) // not a ck_isa
        }
        // a rejected call writes nothing
        let before = buf
        buf.withUnsafeMutableBufferPointer { b in
            #expect(ck_sigmoid_f32(b.baseAddress!, b.baseAddress! + 3, 8, CK_PRECISE) == CK_ERR_OVERLAP)
        }
        #expect(buf.elementsEqualBitwise(before))
        #expect(String(cString: ck_isa_name(CK_ISA_AVX512)) == "avx512")
        #expect(String(cString: ck_isa_name(ck_isa(rawValue: 42))) == "unknown")
        #expect(String(cString: ck_isa_name(CK_ISA_COUNT)) == "unknown")
        // Swift's ISA is the C list CK_ISA_LIST after auto, in its order
        #expect(ISA.allCases.map(\.c.rawValue) == Array(CK_ISA_SCALAR.rawValue..<CK_ISA_COUNT.rawValue))
        #expect(ISA.allCases.allSatisfy { ISA($0.c) == $0 })
        #expect(String(cString: ck_status_string(CK_ERR_OVERLAP)).contains("overlap"))
        #if arch(x86_64)
        #expect(ck_isa_supported(CK_ISA_NEON) == 0)
        #expect(ck_sigmoid_f32_isa([1], nil, 0, CK_FAST, CK_ISA_NEON) == CK_ERR_UNSUPPORTED)
        #endif
        #expect(ck_isa_supported(CK_ISA_SCALAR) == 1)
    }
}

@Suite("Programmer errors stop the process with a message")
struct PreconditionTests {
    @Test("mismatched buffer lengths")
    func mismatchedLengths() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var y = [Float](repeating: 0, count: 3)
            Activation.sigmoid([1, 2, 3, 4] as [Float], result: &y)
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("sigmoid: the input has 4 elements but the result has 3"))
        await #expect(processExitsWith: .failure) {
            var y = [Float](repeating: 0, count: 5)
            Activation.tanh([1, 2, 3, 4] as [Float], result: &y)
        }
    }

    @Test("a thread count below 1, even with nothing to compute")
    func badThreadCount() async {
        await #expect(processExitsWith: .failure) {
            _ = Activation.sigmoid([Float](repeating: 1, count: 10), parallelism: .threads(0))
        }
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Activation.sigmoid([Float](), parallelism: .threads(0))
        }
        let emptyHalf = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Activation.tanh([BFloat16](), parallelism: .threads(-1))
        }
        let messages = [empty, emptyHalf].map { $0.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? "" }
        #expect(messages[0].contains("sigmoid: Parallelism.threads(0): the thread count must be at least 1\n"))
        #expect(messages[1].contains("tanh: Parallelism.threads(-1): the thread count must be at least 1\n"))
    }

    @Test("unsafe buffers that partly overlap")
    func partialOverlap() async {
        await #expect(processExitsWith: .failure) {
            let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: 64)
            p.initialize(repeating: 1)
            var out = UnsafeMutableBufferPointer(rebasing: p[8..<40])
            Activation.tanh(UnsafeBufferPointer(rebasing: p[0..<32]), result: &out)
        }
    }
}

@Suite("Process-wide ISA choice", .serialized)
struct ISASelectionTests {
    @Test("use(_:) switches every later call; unsupported ISAs throw and change nothing")
    func switching() throws {
        let before = ISA.active
        defer { try? ISA.use(before) }
        for isa in ISA.supported {
            try ISA.use(isa)
            #expect(ISA.active == isa)
        }
        for isa in ISA.allCases where !isa.isSupported {
            let now = ISA.active
            #expect(throws: GateKernelsError.unsupportedISA(isa.description)) { try ISA.use(isa) }
            #expect(ISA.active == now)
        }
        try ISA.use(nil)
        #expect(ISA.active == ISA.best)
        #expect(ISA.environmentError == nil || ProcessInfo.processInfo.environment["GATEKERNELS_ISA"] != nil)
    }
}

@Suite("SIMD vectors")
struct SIMDTests {
    @Test("SIMD4/8/16 give the C kernels' bits", arguments: Tier.allCases)
    func matchesBuffers(_ tier: Tier) {
        let x = BufferTests.inputs + [0, -0.0, .infinity, -.infinity, -87.34, -87.33, 19, 11, .leastNonzeroMagnitude]
        let n16 = x.count / 16 * 16
        let xs = Array(x[0..<n16])
        let s = Activation.sigmoid(xs, tier: tier), t = Activation.tanh(xs, tier: tier)
        for i in stride(from: 0, to: n16, by: 16) {
            let v16 = SIMD16<Float>(xs[i..<(i + 16)])
            let s16 = SIMD16.sigmoid(v16, tier: tier), t16 = SIMD16.tanh(v16, tier: tier)
            let v8 = SIMD8<Float>(xs[i..<(i + 8)]), v4 = SIMD4<Float>(xs[(i + 8)..<(i + 12)])
            let s8 = SIMD8.sigmoid(v8, tier: tier), t4 = SIMD4.tanh(v4, tier: tier)
            for j in 0..<16 {
                #expect(s16[j].sameResult(s[i + j]), "sigmoid x = \(xs[i + j])")
                #expect(t16[j].sameResult(t[i + j]), "tanh x = \(xs[i + j])")
            }
            for j in 0..<8 { #expect(s8[j].sameResult(s[i + j])) }
            for j in 0..<4 { #expect(t4[j].sameResult(t[i + 8 + j])) }
        }
    }
}

extension Float {
    /// The same bits, or both NaN (NaN payloads and signs are not part of the contract).
    func sameResult(_ other: Float) -> Bool { bitPattern == other.bitPattern || (isNaN && other.isNaN) }
}

extension Collection where Element == Float {
    func elementsEqualBitwise(_ other: some Collection<Float>) -> Bool {
        count == other.count && zip(self, other).allSatisfy { $0.sameResult($1) }
    }
}
