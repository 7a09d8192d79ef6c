import Foundation
import GateKernels
import Testing
@testable import TrainerCore

private func config(_ task: Task = .adding, cell: CellKind = .lstm, backend: GateBackend = .kernels(.fast),
                    hidden: Int = 16, batch: Int = 32, steps: Int = 100, layers: Int = 1, seed: UInt64 = 1) -> TrainerConfig {
    var c = TrainerConfig()
    (c.task, c.cell, c.backend, c.hidden, c.batch, c.steps, c.layers, c.seed) =
        (task, cell, backend, hidden, batch, steps, layers, seed)
    return c
}

private let text = try! String(contentsOf: bundledTextURL(), encoding: .utf8)

/// Serialized: OpenBLAS's thread count is process-wide, and each trainer sets it.
@Suite(.serialized) struct TrainerTests {
    /// The first marked value must survive at least T/2 steps in the cell, so only a working
    /// forget path (and its gradient through time) gets below the 1/6 of predicting the mean. After
    /// a plateau of a few hundred steps the loss drops by two orders of magnitude. T = 50 keeps a
    /// debug build (kernels at -O0) within seconds; the CLI's and the comparison's default is T = 100.
    @Test func learnsTheAddingProblem() throws {
        var c = config(hidden: 16, steps: 50, seed: 2)
        c.learningRate = 0.03
        let trainer = try Trainer(c)
        var steps = 0
        repeat {
            trainer.step()
            steps += 1
        } while steps < 1200 && (steps < 50 || trainer.losses.suffix(50).reduce(0, +) / 50 > 0.01)
        let (loss, accuracy) = trainer.evaluate()
        #expect(loss < 0.03, "held-out MSE \(loss) after \(steps) steps vs 1/6 for predicting the mean")
        #expect(accuracy > 0.5, "held-out accuracy \(accuracy) after \(steps) steps")
    }

    @Test(arguments: [CellKind.lstm, .gru], [GateBackend.kernels(.precise), .kernels(.fast), .libm])
    func gradientCheckOnAddingProblem(cell: CellKind, backend: GateBackend) throws {
        let r = try gradientCheck(config(cell: cell, backend: backend, hidden: 4, batch: 3, steps: 6, layers: 2))
        #expect(r.maxRelativeError < gradientCheckTolerance,
                "parameter #\(r.worstIndex): backprop \(r.analytic), finite difference \(r.numeric)")
    }

    @Test(arguments: [CellKind.lstm, .gru])
    func gradientCheckOnCharacters(cell: CellKind) throws {
        let r = try gradientCheck(config(.characters(String(text.prefix(300))), cell: cell, backend: .kernels(.precise),
                                         hidden: 4, batch: 3, steps: 6, layers: 2))
        #expect(r.maxRelativeError < gradientCheckTolerance,
                "parameter #\(r.worstIndex): backprop \(r.analytic), finite difference \(r.numeric)")
    }

    /// The check can fail: the largest gradient 10% off is caught.
    @Test func gradientCheckCatchesAWrongGradient() throws {
        let c = config(hidden: 4, batch: 3, steps: 6, layers: 2)
        var tampered = -1
        let r = try gradientCheck(c, h: 1e-2, floor: 1e-2) { g in
            tampered = g.indices.max { abs(g[$0]) < abs(g[$1]) }!
            g[tampered] *= 1.1
        }
        #expect(r.maxRelativeError > gradientCheckTolerance)
        #expect(r.worstIndex == tampered)
    }

    @Test(arguments: [CellKind.lstm, .gru])
    func sameSeedSameLosses(cell: CellKind) throws {
        func losses(seed: UInt64, threads: Int) throws -> [Double] {
            var c = config(.characters(text), cell: cell, hidden: 24, batch: 8, steps: 16, layers: 2, seed: seed)
            c.threads = threads
            let trainer = try Trainer(c)
            return (0..<30).map { _ in trainer.step() }
        }
        let a = try losses(seed: 7, threads: 1)
        #expect(a == (try losses(seed: 7, threads: 1)))
        #expect(a != (try losses(seed: 8, threads: 1)))
        let threaded = try losses(seed: 7, threads: 2)
        #expect(threaded == (try losses(seed: 7, threads: 2)))
    }

    /// GateKernels and the libm reference gates compute the same functions: on one batch the loss
    /// and every gradient agree to float rounding (precise tier).
    @Test(arguments: [CellKind.lstm, .gru])
    func kernelsAgreeWithLibmReference(cell: CellKind) throws {
        func run(_ backend: GateBackend) throws -> (Double, [Float]) {
            let trainer = try Trainer(config(cell: cell, backend: backend, hidden: 8, batch: 4, steps: 20, layers: 2))
            trainer.prepareBatch()
            var unused = 0
            let loss = trainer.model.forward(gradient: true, correct: &unused)
            trainer.model.backward()
            let p = trainer.model.params
            return (loss, (0..<p.count).map { p.grads[$0] })
        }
        let (kernelLoss, kernelGrads) = try run(.kernels(.precise))
        let (libmLoss, libmGrads) = try run(.libm)
        #expect(abs(kernelLoss - libmLoss) <= 1e-5 * libmLoss)
        let scale = libmGrads.map { abs($0) }.max()!
        let worst = zip(kernelGrads, libmGrads).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4 * scale, "largest gradient difference \(worst), largest gradient \(scale)")
    }

    @Test func characterModelLearns() throws {
        var c = config(.characters(text), hidden: 32, batch: 8, steps: 32)
        c.trainingSteps = 150
        c.learningRate = 0.01
        let trainer = try Trainer(c)
        let result = trainer.train()
        let uniform = log(Double(Vocabulary(text).characters.count))
        #expect(result.finalLoss(last: 20) < 0.8 * uniform, "loss \(result.finalLoss(last: 20)) vs uniform \(uniform)")
    }

    @Test func rejectsBadConfiguration() {
        var c = config()
        c.layers = 3
        #expect(throws: TrainerError.self) { try Trainer(c) }
        #expect(throws: TrainerError.self) { try Trainer(config(.characters("too short"), batch: 8, steps: 16)) }
    }
}
