import Benchmark
import GateKernels
import GateKernelsEval

// Every kernel of GateKernels at an in-cache and an out-of-cache size: sigmoid and tanh per tier and
// storage format (the registry's list, UnaryKernel.all), LSTM forward (inference, training) and
// backward, GRU forward and backward. The primary metric is throughput in elements per second (hidden
// elements B x H for the gates), measured around each call; wall clock is kept beside it. Both have
// thresholds, so `baseline compare` flags a median that moved by more than `tolerance` percent the
// wrong way.

/// Elements (or hidden elements) processed per second by one call.
var elementsPerSecond: BenchmarkMetric { .custom("elements/s", polarity: .prefersLarger, useScalingFactor: false) }

/// The relative regression a `baseline compare` tolerates at the median and p75, in percent:
/// wide enough for a shared two-core VM, narrow enough to catch a lost vector path (2x and more).
let tolerance = 15.0

var thresholds: [BenchmarkMetric: BenchmarkThresholds] {
    [elementsPerSecond: .init(relative: [.p50: tolerance, .p75: tolerance]),
     .wallClock: .init(relative: [.p50: tolerance, .p75: tolerance])]
}

/// Floats that live as long as the benchmark process, shared by the benchmark closures.
final class Floats: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(_ count: Int, in range: ClosedRange<Float>, seed: UInt64) {
        buffer = .allocate(capacity: count)
        _ = buffer.initialize(from: uniformInputs(count, range.lowerBound, range.upperBound, seed: seed))
    }
    var read: UnsafeBufferPointer<Float> { UnsafeBufferPointer(buffer) }
}

/// Half-format bit patterns that live as long as the benchmark process: every pattern in turn.
final class HalfBits: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<UInt16>
    init(_ count: Int) {
        buffer = .allocate(capacity: count)
        for i in 0..<count { buffer[i] = UInt16(truncatingIfNeeded: i) }
    }
}

/// Registers a benchmark that runs `body` once per iteration and reports `elements` per second.
func throughput(_ name: String, elements: Int, _ body: @escaping @Sendable () -> Void) {
    Benchmark(name, configuration: .init(metrics: [elementsPerSecond, .wallClock], thresholds: thresholds)) { benchmark in
        let t0 = monotonicSeconds()
        body()
        let dt = monotonicSeconds() - t0
        benchmark.measurement(elementsPerSecond, Int(Double(elements) / max(dt, 1e-9)))
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(warmupIterations: 3, maxDuration: .seconds(1), maxIterations: 2000)

    for n in [1 << 14, 1 << 24] {
        let x = Floats(n, in: -10...10, seed: 1), y = Floats(n, in: 0...0, seed: 2)
        let hx = HalfBits(n), hy = HalfBits(n)
        for kernel in UnaryKernel.all(formats: StorageFormat.allCases) {
            // "sigmoid fast N=16K" (the Swift API), "tanh bf16 approximate N=16M" (the C entry point)
            throughput("\(kernel.function) \(kernel) N=\(sizeLabel(n))", elements: n) {
                if kernel.format == .f32 {
                    var out = y.buffer
                    kernel.callSwift(x.read, &out, parallelism: .serial)
                } else {
                    _ = kernel.run(hx.buffer.baseAddress, hy.buffer.baseAddress, n)
                }
            }
        }
    }

    // gates: B x H = 64 x 512 (in cache) and 4096 x 512 (out of cache)
    let H = 512
    for B in [64, 4096] {
        let bh = B * H, shape = "\(B)x\(H)"
        let z = Floats(4 * bh, in: -4...4, seed: 3), cPrev = Floats(bh, in: -2...2, seed: 4)
        let dh = Floats(bh, in: -1...1, seed: 5), dcNext = Floats(bh, in: -1...1, seed: 6)
        let c = Floats(bh, in: 0...0, seed: 7), h = Floats(bh, in: 0...0, seed: 8)
        let lstmWS = Floats(5 * bh, in: 0...0, seed: 9), dz = Floats(4 * bh, in: 0...0, seed: 10)
        let dcPrev = Floats(bh, in: 0...0, seed: 11), db = Floats(4 * H, in: 0...0, seed: 12)
        let gx = Floats(3 * bh, in: -4...4, seed: 13), ghg = Floats(3 * bh, in: -4...4, seed: 14)
        let gruWS = Floats(4 * bh, in: 0...0, seed: 15), dx = Floats(3 * bh, in: 0...0, seed: 16)
        let dhg = Floats(3 * bh, in: 0...0, seed: 17), dhPrev = Floats(bh, in: 0...0, seed: 18)
        for tier in Tier.allCases {
            let lstm = try! LSTMCell(hiddenSize: H, tier: tier), gru = try! GRUCell(hiddenSize: H, tier: tier)
            // backward reads a workspace that a training forward wrote
            var cb = c.buffer, hb = h.buffer, lws = lstmWS.buffer, gws = gruWS.buffer
            lstm.forward(preactivations: z.read, previousCell: cPrev.read, cell: &cb, hidden: &hb, workspace: &lws)
            gru.forward(inputProjections: gx.read, hiddenProjections: ghg.read, previousHidden: cPrev.read, hidden: &hb, workspace: &gws)

            throughput("lstm forward \(tier) \(shape)", elements: bh) {
                var cb = c.buffer, hb = h.buffer
                lstm.forward(preactivations: z.read, previousCell: cPrev.read, cell: &cb, hidden: &hb)
            }
            throughput("lstm forward training \(tier) \(shape)", elements: bh) {
                var cb = c.buffer, hb = h.buffer, ws = lstmWS.buffer
                lstm.forward(preactivations: z.read, previousCell: cPrev.read, cell: &cb, hidden: &hb, workspace: &ws)
            }
            throughput("lstm backward \(tier) \(shape)", elements: bh) {
                var dzb = dz.buffer, dcp = dcPrev.buffer, dbb = db.buffer
                lstm.backward(hiddenGradient: dh.read, nextCellGradient: dcNext.read, workspace: lstmWS.read,
                              previousCell: cPrev.read, preactivationGradient: &dzb, previousCellGradient: &dcp,
                              biasGradient: &dbb)
            }
            throughput("gru forward \(tier) \(shape)", elements: bh) {
                var hb = h.buffer
                gru.forward(inputProjections: gx.read, hiddenProjections: ghg.read, previousHidden: cPrev.read, hidden: &hb)
            }
            throughput("gru backward \(tier) \(shape)", elements: bh) {
                var dxb = dx.buffer, dhgb = dhg.buffer, dhp = dhPrev.buffer
                gru.backward(hiddenGradient: dh.read, workspace: gruWS.read, previousHidden: cPrev.read,
                             inputProjectionGradient: &dxb, hiddenProjectionGradient: &dhgb, previousHiddenGradient: &dhp)
            }
        }
    }
}
