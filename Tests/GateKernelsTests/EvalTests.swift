import CKernelsEval
import Foundation
import Testing

/// Tests of the error statistics themselves (CKernelsEval): the ulp distance, the ordering of
/// floats, and that each check catches a function built to break it.
@Suite struct EvalTests {
    /// A scalar Swift function under test, passed to the C sweep as its context.
    final class Scalar: Sendable {
        let f: @Sendable (Float) -> Float
        init(_ f: @escaping @Sendable (Float) -> Float) { self.f = f }
    }

    static let impl: ck_eval_impl = { x, y, n, ctx in
        let f = Unmanaged<Scalar>.fromOpaque(ctx!).takeUnretainedValue().f
        for i in 0..<n { y![i] = f(x![i]) }
    }

    /// The correctly rounded function: the reference rounded to float.
    static func exact(_ fn: ck_func) -> @Sendable (Float) -> Float { { Float(ck_reference(fn, $0)) } }

    static func stats(_ fn: ck_func, _ f: @escaping @Sendable (Float) -> Float, from lo: Float = -.infinity,
                      to hi: Float = .infinity, stride: UInt64, threads: Int32 = 2) -> ck_eval_stats {
        let box = Scalar(f)
        // the NaN patterns are strided too; a dense range sweep leaves them out to stay quick
        var range = ck_eval_range(first: ck_ordered_index(lo), last: ck_ordered_index(hi), stride: stride,
                                  threads: threads, include_nans: stride >= 97 ? 1 : 0, progress: nil, progress_ctx: nil)
        var out = ck_eval_stats()
        let rc = withExtendedLifetime(box) {
            ck_eval_sweep(fn, impl, Unmanaged.passUnretained(box).toOpaque(), &range, &out)
        }
        #expect(rc == 0)
        return out
    }

    static func specials(_ fn: ck_func, _ f: @escaping @Sendable (Float) -> Float) -> [ck_special_result] {
        let box = Scalar(f)
        var out = [ck_special_result](repeating: ck_special_result(), count: Int(CK_SPECIAL_COUNT.rawValue))
        withExtendedLifetime(box) { _ = ck_eval_specials(fn, impl, Unmanaged.passUnretained(box).toOpaque(), &out) }
        return out
    }

    static func histogram(_ s: ck_eval_stats) -> [UInt64] {
        withUnsafeBytes(of: s.hist) { Array($0.bindMemory(to: UInt64.self)) }
    }

    static func moveULPs(_ x: Float, _ k: Int) -> Float {
        var y = x
        for _ in 0..<abs(k) { y = k > 0 ? y.nextUp : y.nextDown }
        return y
    }

    @Test func ulpDistanceAcrossZeroAndDenormals() {
        let tiny = Float.leastNonzeroMagnitude
        #expect(ck_ulp_distance(0.0, -0.0) == 0)
        #expect(ck_ulp_distance(tiny, -tiny) == 2)
        #expect(ck_ulp_distance(-tiny, 0.0) == 1)
        #expect(ck_ulp_distance(Float.leastNormalMagnitude, Float.leastNormalMagnitude.nextDown) == 1)
        #expect(ck_ulp_distance(1.0, Float(1.0).nextDown) == 1)
        #expect(ck_ulp_distance(Float(1.0).nextUp, Float(1.0).nextDown) == 2)
        #expect(ck_ulp_distance(.greatestFiniteMagnitude, .infinity) == 1)
        #expect(ck_ulp_distance(-1.0, 1.0) == 2 * 0x3F80_0000)
        #expect(ck_ulp_distance(0.5, 0.25) == 1 << 23)
    }

    @Test func orderedFloatsRoundTrip() {
        #expect(ck_ordered_float(0) == -.infinity)
        #expect(ck_ordered_float(CK_ORDERED_COUNT - 1) == .infinity)
        let negZero = ck_ordered_index(-0.0)
        #expect(ck_ordered_float(negZero).sign == .minus && ck_ordered_float(negZero) == 0)
        #expect(ck_ordered_index(0.0) == negZero + 1)
        for x: Float in [-.infinity, -.greatestFiniteMagnitude, -1, -.leastNonzeroMagnitude, 0,
                         .leastNonzeroMagnitude, .leastNormalMagnitude, 1, 3.5, .greatestFiniteMagnitude] {
            #expect(ck_ordered_float(ck_ordered_index(x)).bitPattern == x.bitPattern)
            #expect(ck_ordered_float(ck_ordered_index(x) + 1) == x.nextUp || x == 0 || x == .infinity)
        }
    }

    @Test(arguments: [CK_FUNC_SIGMOID, CK_FUNC_TANH])
    func correctlyRoundedFunctionIsClean(_ fn: ck_func) {
        let s = Self.stats(fn, Self.exact(fn), stride: 65_537)
        #expect(s.max_ulp == 0 && s.max_ulp_frac <= 0.5)
        #expect(s.exact == s.inputs && s.inputs > 60_000)
        #expect(Self.histogram(s)[0] == s.ulp_inputs)
        #expect(s.monotonicity_violations == 0 && s.out_of_range == 0 && s.nonfinite == 0)
        #expect(s.nan_inputs > 0 && s.nan_not_propagated == 0 && s.odd_violations == 0)
        #expect(Self.specials(fn, Self.exact(fn)).allSatisfy { $0.pass != 0 })
    }

    /// The half-format rule (ck_eval_half): the correctly rounded results are clean, and one result
    /// an ulp off, or a NaN not made quiet, is seen.
    @Test(arguments: [CK_EVAL_BF16, CK_EVAL_F16])
    func halfFormatStatistics(_ format: ck_eval_format) {
        for fn in [CK_FUNC_SIGMOID, CK_FUNC_TANH] {
            var nearTies: UInt32 = 0
            var y = (0..<Int(CK_HALF_COUNT)).map { h -> UInt16 in
                let v = ck_half_value(format, UInt16(h))
                if v.isNaN { return UInt16(h) | (format == CK_EVAL_BF16 ? 0x40 : 0x200) }
                return ck_half_round(format, fn == CK_FUNC_SIGMOID ? 1 / (1 + exp(-v)) : tanh(v), &nearTies)
            }
            var s = ck_eval_half_stats()
            #expect(ck_eval_half(fn, format, y, &s) == 0)
            #expect(nearTies == 0 && s.near_ties == 0)
            #expect(s.max_ulp == 0 && s.correct == s.measured && s.measured > 40_000)
            #expect(s.not_monotone == 0 && s.out_of_range == 0 && s.bad_nan == 0 && s.not_odd == 0 && s.specials_pass != 0)
            #expect(ck_eval_half_within_bound(&s, 0) != 0 && ck_eval_half_within_bound(&s, 1) != 0)
            y[0x3c00] &+= 1 // one result at x = 1 (bf16: a tiny x) an ulp up
            y[0x7fff] = 0   // a NaN that gives 0
            #expect(ck_eval_half(fn, format, y, &s) == 0)
            #expect(s.max_ulp == 1 && s.max_ulp_x == 0x3c00 && s.correct == s.measured - 1 && s.bad_nan == 1)
        }
    }

    /// Over denormal inputs tanh's true result is subnormal: no ulp statistics, but every other check.
    @Test func denormalInputsAreCountedButNotUlpChecked() {
        let s = Self.stats(CK_FUNC_TANH, Self.exact(CK_FUNC_TANH), from: -Float.leastNormalMagnitude.nextDown,
                           to: Float.leastNormalMagnitude.nextDown, stride: 101)
        #expect(s.inputs > 160_000 && s.ulp_inputs == 0 && s.max_ulp == 0)
        #expect(s.exact == s.inputs && s.odd_violations == 0)
        // flushing the subnormal result to a zero of the same sign is allowed by the contract
        let flushed: @Sendable (Float) -> Float = { $0.isSubnormal ? Float(signOf: $0, magnitudeOf: 0) : Float(tanh(Double($0))) }
        let sp = Self.specials(CK_FUNC_TANH, flushed)
        #expect(sp[Int(CK_SPECIAL_POS_DENORMAL.rawValue)].pass != 0 && sp[Int(CK_SPECIAL_NEG_DENORMAL.rawValue)].pass != 0)
        // but not to the other zero
        let wrongSign: @Sendable (Float) -> Float = { $0.isSubnormal ? 0 : Float(tanh(Double($0))) }
        #expect(Self.specials(CK_FUNC_TANH, wrongSign)[Int(CK_SPECIAL_NEG_DENORMAL.rawValue)].pass == 0)
    }

    @Test func fiveUlpErrorIsMeasuredAtItsInput() {
        let base = Self.exact(CK_FUNC_SIGMOID)
        let bad: @Sendable (Float) -> Float = { x in x >= 2 && x < 3 ? Self.moveULPs(base(x), -5) : base(x) }
        let s = Self.stats(CK_FUNC_SIGMOID, bad, from: 1, to: 4, stride: 97)
        #expect(s.max_ulp == 5)
        #expect(s.max_ulp_x >= 2 && s.max_ulp_x < 3)
        #expect(s.max_ulp_frac > 4.5 && s.max_ulp_frac < 5.5)
        #expect(Self.histogram(s)[5] > 0 && Self.histogram(s)[1] == 0)
        #expect(s.max_abs_x >= 2 && s.max_abs_x < 3)
    }

    @Test func monotonicityGlitchIsCaughtWhateverTheThreads() {
        let base = Self.exact(CK_FUNC_SIGMOID)
        // one input returns a value below its left neighbour's
        let glitch = Float(1.5)
        let bad: @Sendable (Float) -> Float = { x in x == glitch ? base(x.nextDown.nextDown.nextDown) - 0.001 : base(x) }
        for threads: Int32 in [1, 2, 7] {
            let s = Self.stats(CK_FUNC_SIGMOID, bad, from: 1.46875, to: 1.53125, stride: 1, threads: threads)
            #expect(s.monotonicity_violations == 1, "threads \(threads)")
            #expect(s.first_violation_x == glitch, "threads \(threads)")
        }
    }

    @Test func violationAtTheSeamBetweenWorkersIsCaught() {
        // two workers split [lo, hi] in the middle: the glitch sits on the second worker's first input
        let lo = ck_ordered_index(1), hi = lo + 999
        let seam = ck_ordered_float(lo + 500)
        let base = Self.exact(CK_FUNC_SIGMOID)
        let bad: @Sendable (Float) -> Float = { x in x >= seam ? base(x) - 0.01 : base(x) }
        let s = Self.stats(CK_FUNC_SIGMOID, bad, from: 1, to: ck_ordered_float(hi), stride: 1, threads: 2)
        #expect(s.monotonicity_violations == 1 && s.first_violation_x == seam)
    }

    @Test func nanForFiniteInputAndOverflowAreCaught() {
        // the classic bug: e^x / (1 + e^x) in float overflows to inf/inf = NaN above x = 88.7
        let naive: @Sendable (Float) -> Float = { x in expf(x) / (1 + expf(x)) }
        let s = Self.stats(CK_FUNC_SIGMOID, naive, stride: 4099)
        #expect(s.nonfinite > 0 && s.first_nonfinite_x > 88)
        #expect(s.out_of_range > 0)
        let sp = Self.specials(CK_FUNC_SIGMOID, naive)
        #expect(sp[Int(CK_SPECIAL_POS_INF.rawValue)].pass == 0 && sp[Int(CK_SPECIAL_SAT_HIGH.rawValue)].pass == 0)
    }

    @Test func nanNotPropagatedIsCaught() {
        let base = Self.exact(CK_FUNC_TANH)
        let swallow: @Sendable (Float) -> Float = { x in x.isNaN ? 0 : base(x) }
        let s = Self.stats(CK_FUNC_TANH, swallow, stride: 65_537)
        #expect(s.nan_inputs > 0 && s.nan_not_propagated == s.nan_inputs)
        #expect(Float(bitPattern: s.first_nan_not_propagated_bits).isNaN)
        #expect(Self.specials(CK_FUNC_TANH, swallow)[Int(CK_SPECIAL_NAN.rawValue)].pass == 0)
    }

    @Test func outOfRangeAndOddnessAreCaught() {
        let over: @Sendable (Float) -> Float = { x in x > 20 ? Float(1).nextUp : Float(1 / (1 + exp(-Double(x)))) }
        let s = Self.stats(CK_FUNC_SIGMOID, over, stride: 4099)
        #expect(s.out_of_range > 0 && s.first_out_of_range_x > 20)
        // tanh computed on x as given (not on |x|), with an error only for positive x
        let base = Self.exact(CK_FUNC_TANH)
        let lopsided: @Sendable (Float) -> Float = { x in x > 0.5 && x < 1 ? Self.moveULPs(base(x), 1) : base(x) }
        let t = Self.stats(CK_FUNC_TANH, lopsided, from: 0.25, to: 2, stride: 33) // the sweep runs -x itself
        #expect(t.odd_violations > 0 && abs(t.first_odd_violation_x) > 0.5 && abs(t.first_odd_violation_x) < 1)
    }

    @Test func specialValuesAreCheckedOneByOne() {
        let base = Self.exact(CK_FUNC_TANH)
        let positiveZero: @Sendable (Float) -> Float = { x in x == 0 ? 0 : base(x) }
        let sp = Self.specials(CK_FUNC_TANH, positiveZero)
        #expect(sp[Int(CK_SPECIAL_POS_ZERO.rawValue)].pass != 0)
        #expect(sp[Int(CK_SPECIAL_NEG_ZERO.rawValue)].pass == 0)
        #expect(sp.enumerated().allSatisfy { $0.offset == Int(CK_SPECIAL_NEG_ZERO.rawValue) || $0.element.pass != 0 })
        // a sigmoid that never quite reaches 1
        let short: @Sendable (Float) -> Float = { x in min(Float(1 / (1 + exp(-Double(x)))), Float(1).nextDown) }
        let s2 = Self.specials(CK_FUNC_SIGMOID, short)
        #expect(s2[Int(CK_SPECIAL_SAT_HIGH.rawValue)].pass == 0 && s2[Int(CK_SPECIAL_POS_INF.rawValue)].pass == 0)
        #expect(s2[Int(CK_SPECIAL_SAT_HIGH.rawValue)].sat_x.isNaN)
        // the reference saturates where the correctly rounded result first equals 1
        let ref = Self.specials(CK_FUNC_SIGMOID, Self.exact(CK_FUNC_SIGMOID))[Int(CK_SPECIAL_SAT_HIGH.rawValue)]
        #expect(ref.sat_x == ref.ref_sat_x)
        #expect(Float(ck_reference(CK_FUNC_SIGMOID, ref.sat_x)) == 1 && Float(ck_reference(CK_FUNC_SIGMOID, ref.sat_x.nextDown)) < 1)
    }

    /// Sweeping many implementations at once gives each the statistics of its own sweep.
    @Test func sweepManyMatchesSingleSweeps() {
        let fns: [@Sendable (Float) -> Float] = [Self.exact(CK_FUNC_TANH), { Float(tanhf($0)) }, { min(max($0, -1), 1) }]
        let boxes = fns.map(Scalar.init)
        var subjects = boxes.map { ck_eval_subject(impl: Self.impl, ctx: Unmanaged.passUnretained($0).toOpaque()) }
        var range = ck_eval_range(first: 0, last: CK_ORDERED_COUNT - 1, stride: 9_973, threads: 3, include_nans: 1,
                                  progress: nil, progress_ctx: nil)
        var many = [ck_eval_stats](repeating: ck_eval_stats(), count: fns.count)
        #expect(withExtendedLifetime(boxes) { ck_eval_sweep_many(CK_FUNC_TANH, &subjects, subjects.count, &range, &many) } == 0)
        for (i, f) in fns.enumerated() {
            var one = Self.stats(CK_FUNC_TANH, f, stride: 9_973, threads: 3)
            var m = many[i]
            one.seconds = 0
            m.seconds = 0
            #expect(withUnsafeBytes(of: &one) { a in withUnsafeBytes(of: &m) { b in a.elementsEqual(b) } }, "subject \(i)")
        }
    }

    @Test func badArgumentsAreRejected() {
        var out = ck_eval_stats()
        var range = ck_eval_range(first: 10, last: 5, stride: 1, threads: 1, include_nans: 0, progress: nil, progress_ctx: nil)
        #expect(ck_eval_sweep(CK_FUNC_SIGMOID, Self.impl, nil, &range, &out) == -1)
        range = ck_eval_range(first: 0, last: 5, stride: 0, threads: 1, include_nans: 0, progress: nil, progress_ctx: nil)
        #expect(ck_eval_sweep(CK_FUNC_SIGMOID, Self.impl, nil, &range, &out) == -1)
        range = ck_eval_range(first: 0, last: CK_ORDERED_COUNT, stride: 1, threads: 1, include_nans: 0, progress: nil, progress_ctx: nil)
        #expect(ck_eval_sweep(CK_FUNC_SIGMOID, Self.impl, nil, &range, &out) == -1)
        var a = [Double](repeating: 0, count: 4), b = a
        #expect(ck_eval_profile(CK_FUNC_TANH, Self.impl, nil, 1, -1, 4, 4, &a, &b) == -1)
    }

    @Test func zooEntriesAreLabelledAndGradedBySweep() {
        #expect(ck_zoo_count() >= 9)
        var names = Set<String>()
        for i in 0..<ck_zoo_count() {
            let e = ck_zoo_entry_at(i)!.pointee
            let name = String(cString: e.name)
            #expect(names.insert(name).inserted && !String(cString: e.label).isEmpty)
            var range = ck_eval_range(first: 0, last: CK_ORDERED_COUNT - 1, stride: 65_537, threads: 2, include_nans: 1,
                                      progress: nil, progress_ctx: nil)
            var s = ck_eval_stats()
            #expect(ck_eval_sweep(e.func, e.impl, nil, &range, &s) == 0)
            #expect(s.nan_not_propagated == 0, "\(name) keeps NaN")
            // only the libm entries come near a tier; the rest break the approximate bound by far
            #expect(name.hasPrefix("libm") ? s.max_ulp <= 4 : s.max_abs > 2e-4, "\(name): max abs \(s.max_abs)")
        }
        #expect(ck_zoo_entry_at(ck_zoo_count()) == nil)
    }
}
