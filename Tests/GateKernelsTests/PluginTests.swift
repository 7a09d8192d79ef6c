import CKernels
import Foundation
import GateKernels
import GateKernelsEval
import Testing

/// GateKernelsEval on code that is not ours: plug-ins built here by the C compiler (`cc`), loaded with
/// dlopen, and swept in this process or in a child.
@Suite struct PluginTests {
    /// Plug-ins that break the contract on purpose, each in a way one check must catch.
    static let source = """
    #include <math.h>
    #include <stddef.h>
    /* sigmoid, wrong four ways: a step down entering (1, 2) (not monotone), 1.5 above x = 30 (out
     * of range), NaN on [-3, -2] (NaN for finite input), 0.5 for NaN (NaN not propagated) */
    void bad_sigmoid(const float *x, float *y, size_t n)
    {
        for (size_t i = 0; i < n; i++) {
            float v = x[i], s = 1.0f / (1.0f + expf(-v));
            if (v > 1.0f && v < 2.0f) s -= 0.01f;
            if (v > 30.0f) s = 1.5f;
            if (v >= -3.0f && v <= -2.0f) s = NAN;
            if (v != v) s = 0.5f;
            y[i] = s;
        }
    }
    /* a fine sigmoid that dereferences NULL at x = 1.5 */
    void crashing_sigmoid(const float *x, float *y, size_t n)
    {
        for (size_t i = 0; i < n; i++) {
            if (x[i] == 1.5f) *(volatile int *)0 = 1;
            y[i] = 1.0f / (1.0f + expf(-x[i]));
        }
    }
    """

    /// Where the plug-ins' C source is written.
    static let sourceFile = FileManager.default.temporaryDirectory
        .appendingPathComponent("gatekernels-plugins-\(getpid())").appendingPathComponent("plugins").appendingPathExtension("c")

    /// The plug-ins above, compiled once into a shared library beside their source.
    static let library: String = {
        let c = sourceFile, so = c.deletingLastPathComponent().appendingPathComponent("libplugins.so")
        try! FileManager.default.createDirectory(at: c.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(source.utf8).write(to: c)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-O2", "-shared", "-fPIC", c.path, "-o", so.path, "-lm"]
        try! cc.run()
        cc.waitUntilExit()
        precondition(cc.terminationStatus == 0, "cc could not build the test plug-ins")
        return so.path
    }()

    @Test func badPluginIsCaughtByEveryCheckItBreaks() throws {
        let plugin = try Plugin(path: Self.library, symbol: "bad_sigmoid")
        let r = try AccuracySweep.run(.sigmoid, over: InputSet.allFloats.strided(by: 4099), threads: 2, cFunction: plugin.function)
        #expect(r.monotonicityViolations > 0)
        #expect(r.outOfRange > 0)
        #expect(r.nonFinite > 0)
        #expect(r.nanNotPropagated == r.nanInputs && r.nanInputs > 0)
        let failed = Set(r.specialValues.filter { !$0.passed }.map(\.name))
        #expect(failed == ["+inf", "NaN", "saturation+"])
        #expect(r.tightestTier == nil)
        let verdict = r.verdict(for: .approximate)
        #expect(!verdict.holds)
        for words in ["monotonicity", "out of range", "NaN/inf for finite input", "did not give NaN", "breaks max abs"] {
            #expect(verdict.failures.contains { $0.contains(words) }, "no failure mentions \(words)")
        }
    }

    @Test func crashingPluginIsNamedWithItsInput() throws {
        let plugin = try Plugin(Self.library + ":crashing_sigmoid")
        do {
            _ = try AccuracySweep.run(.sigmoid, over: .range(1, 2), threads: 2, isolated: true, cFunction: plugin.function)
            Issue.record("the crash was not reported")
        } catch AccuracySweepError.crashed(let crash) {
            #expect(crash.signal == SIGSEGV)
            #expect(crash.inputCount == 1 && crash.inputs == 1.5...1.5)
            #expect("\(crash)".contains("on the input x = 1.5"))
        }
    }

    @Test func missingFileSymbolOrShapeIsAClearError() {
        #expect(throws: Plugin.LoadError.fileNotFound(path: "/nonexistent/libx.so")) {
            try Plugin(path: "/nonexistent/libx.so", symbol: "f")
        }
        #expect(throws: Plugin.LoadError.symbolNotFound(symbol: "no_such_sigmoid", path: Self.library)) {
            try Plugin(path: Self.library, symbol: "no_such_sigmoid")
        }
        #expect(throws: Plugin.LoadError.notPathAndSymbol("libx.so")) { try Plugin("libx.so") }
        _ = Self.library
        #expect(throws: (any Error).self) { try Plugin(path: Self.sourceFile.path, symbol: "f") }
    }

    /// The same statistics in this process and in a child, from a C function and from a closure.
    @Test func isolatedAndClosureSweepsMatchTheInProcessOne() throws {
        let fast: BufferFunction = { x, y, n in _ = ck_sigmoid_f32(x, y, n, CK_FAST) }
        let inputs = InputSet.allFloats.strided(by: 10_007)
        let here = try AccuracySweep.run(.sigmoid, over: inputs, threads: 2, cFunction: fast)
        let child = try AccuracySweep.run(.sigmoid, over: inputs, threads: 2, isolated: true, cFunction: fast)
        let closure = try AccuracySweep.run(.sigmoid, over: inputs, threads: 3) { x, y in
            var y = y
            Activation.sigmoid(x, result: &y, tier: .fast)
        }
        for other in [child, closure] {
            #expect(other.maxULP == here.maxULP && other.maxULPInput == here.maxULPInput)
            #expect(other.maxAbsoluteError == here.maxAbsoluteError && other.ulpHistogram == here.ulpHistogram)
            #expect(other.exactlyRounded == here.exactlyRounded && other.nanInputs == here.nanInputs)
            #expect(other.specialValues.map { $0.passed } == here.specialValues.map { $0.passed })
        }
        #expect(here.verdict(for: .fast).holds)
    }

    /// The engine keeps no global state: sweeps running at once give what each gives alone.
    @Test func concurrentSweepsAgree() async throws {
        let inputs = InputSet.range(-20, 20).strided(by: 9_973)
        let alone = try AccuracySweep.run(.tanh, over: inputs, threads: 1) { Float(Foundation.tanh(Double($0))) }
        let together = try await withThrowingTaskGroup(of: AccuracyReport.self) { group in
            for _ in 0..<4 {
                group.addTask { try AccuracySweep.run(.tanh, over: inputs, threads: 2) { Float(Foundation.tanh(Double($0))) } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for r in together {
            #expect(r.evaluated == alone.evaluated && r.maxULP == alone.maxULP && r.exactlyRounded == alone.exactlyRounded)
        }
    }
}
