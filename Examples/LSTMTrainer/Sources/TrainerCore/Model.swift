import Foundation

/// Everything that defines a training run.
public struct TrainerConfig: Sendable {
    public var task: Task = .adding
    public var cell: CellKind = .lstm
    public var layers = 1
    public var hidden = 32
    public var batch = 32
    /// Sequence length (adding problem) or truncated-BPTT segment length (characters).
    public var steps = 100
    public var trainingSteps = 2000
    public var learningRate: Float = 0.01
    /// Gradients are scaled down to this global norm when larger.
    public var clipNorm: Float = 1
    public var backend: GateBackend = .kernels(.fast)
    public var threads = 1
    public var seed: UInt64 = 1

    public init() {}

    /// Throws for sizes the trainer cannot run.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw TrainerError.invalid(message) } }
        try check(layers >= 1 && layers <= 2, "--layers is \(layers); the trainer supports 1 or 2")
        try check(hidden >= 1, "--hidden is \(hidden); it must be at least 1")
        try check(batch >= 1, "--batch is \(batch); it must be at least 1")
        try check(steps >= 2, "--length is \(steps); it must be at least 2")
        try check(trainingSteps >= 1, "--steps is \(trainingSteps); it must be at least 1")
        try check(learningRate > 0, "--lr is \(learningRate); it must be positive")
        try check(clipNorm > 0, "--clip is \(clipNorm); it must be positive")
        try check(threads >= 1, "--threads is \(threads); it must be at least 1")
    }
}

/// A configuration or data error, with a message for the user.
public enum TrainerError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}

/// A stack of recurrent layers with a linear output layer and its loss: squared error on the last
/// step (adding problem) or softmax cross-entropy on every step (characters).
final class Model {
    let config: TrainerConfig
    let params = Parameters()
    let layers: [RecurrentLayer]
    let inputSize: Int, outputSize: Int
    private let wy: Int, by: Int
    let inputs: Floats
    /// Adding problem: B targets. Characters: target indices in `targetIndices`.
    let targets: Floats
    var targetIndices: [Int]
    /// The outputs: `B × 1` (adding) or `T·B × V` (characters), then their gradient.
    let outputs: Floats, dOutputs: Floats
    private let ones: Floats
    var profile = StepProfile()

    init(_ config: TrainerConfig, vocabulary: Int) throws {
        try config.validate()
        self.config = config
        let (B, T) = (config.batch, config.steps)
        let adding = if case .adding = config.task { true } else { false }
        inputSize = adding ? 2 : vocabulary
        outputSize = adding ? 1 : vocabulary
        var layers: [RecurrentLayer] = []
        for l in 0..<config.layers {
            layers.append(try RecurrentLayer(kind: config.cell, inputSize: l == 0 ? inputSize : config.hidden,
                                             hidden: config.hidden, batch: B, steps: T, backend: config.backend,
                                             threads: config.threads, params: params))
        }
        self.layers = layers
        wy = params.reserve(config.hidden * outputSize, scale: 1 / Float(config.hidden).squareRoot())
        by = params.reserve(outputSize, scale: 0)
        var rng = SplitMix64(seed: config.seed)
        params.allocate(&rng)
        inputs = Floats(T * B * inputSize)
        targets = Floats(B)
        targetIndices = Array(repeating: 0, count: adding ? 0 : T * B)
        let outputRows = adding ? B : T * B
        outputs = Floats(outputRows * outputSize)
        dOutputs = Floats(outputRows * outputSize)
        ones = Floats(outputRows)
        for k in 0..<outputRows { ones[k] = 1 }
    }

    private var adding: Bool { if case .adding = config.task { true } else { false } }
    private var outputRows: Int { adding ? config.batch : config.steps * config.batch }

    func resetState() { layers.forEach { $0.resetState() } }
    func carryState() { layers.forEach { $0.carryState() } }

    /// Runs the segment in `inputs` forward and returns the loss (mean squared error, or mean
    /// cross-entropy in nats); with `gradient`, also fills `dOutputs`. `correct` receives the
    /// number of right predictions (within `addingTolerance`, or argmax = target).
    func forward(gradient: Bool, correct: inout Int) -> Double {
        var input = UnsafePointer(inputs.base)
        for layer in layers {
            layer.forward(input, &profile)
            input = UnsafePointer(layer.outputs)
        }
        let top = layers.last!, (B, H, O) = (config.batch, config.hidden, outputSize)
        // Adding problem: only the last step's h feeds the output.
        let hOut = adding ? top.outputs + (config.steps - 1) * B * H : top.outputs
        for r in 0..<outputRows { (outputs.base + r * O).update(from: params.value(by), count: O) }
        BLAS.gemm(&profile, m: outputRows, n: O, k: H, hOut, lda: H, params.value(wy), ldb: O, beta: 1, outputs.base, ldc: O)
        return adding ? squaredError(gradient, &correct) : crossEntropy(gradient, &correct)
    }

    private func squaredError(_ gradient: Bool, _ correct: inout Int) -> Double {
        var sum = 0.0
        let B = config.batch
        for b in 0..<B {
            let e = outputs[b] - targets[b]
            sum += Double(e) * Double(e)
            if abs(e) < addingTolerance { correct += 1 }
            if gradient { dOutputs[b] = 2 * e / Float(B) }
        }
        return sum / Double(B)
    }

    /// Softmax cross-entropy. The softmax is the loss, not a recurrent activation: it uses libm's
    /// `exp` for every gate backend alike.
    private func crossEntropy(_ gradient: Bool, _ correct: inout Int) -> Double {
        let (rows, V) = (outputRows, outputSize)
        var sum = 0.0
        for r in 0..<rows {
            let logits = outputs.base + r * V, d = dOutputs.base + r * V, target = targetIndices[r]
            var best = 0
            for k in 1..<V where logits[k] > logits[best] { best = k }
            let m = logits[best]
            var z: Float = 0
            for k in 0..<V { z += Foundation.exp(logits[k] - m) }
            sum += Double(m + Foundation.log(z) - logits[target])
            if best == target { correct += 1 }
            if gradient {
                for k in 0..<V { d[k] = Foundation.exp(logits[k] - m) / z / Float(rows) }
                d[target] -= 1 / Float(rows)
            }
        }
        return sum / Double(rows)
    }

    /// Backpropagation through the segment after `forward(gradient: true)`: fills the gradients.
    func backward() {
        params.grads.zero()
        let top = layers.last!, (B, H, O, T) = (config.batch, config.hidden, outputSize, config.steps)
        let hOut = adding ? top.outputs + (T - 1) * B * H : top.outputs
        BLAS.gemm(&profile, transA: true, m: H, n: O, k: outputRows, hOut, lda: H, dOutputs.base, ldb: O,
                  beta: 1, params.grad(wy), ldc: O)
        BLAS.addColumnSums(&profile, m: outputRows, n: O, dOutputs.base, ones: ones.base, into: params.grad(by))
        top.dh.zero()
        let dhOut = adding ? top.dh.base + (T - 1) * B * H : top.dh.base
        BLAS.gemm(&profile, transB: true, m: outputRows, n: H, k: O, dOutputs.base, lda: O, params.value(wy), ldb: O,
                  beta: 0, dhOut, ldc: H)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let input = l == 0 ? UnsafePointer(inputs.base) : UnsafePointer(layers[l - 1].outputs)
            layers[l].backward(input, dInput: l == 0 ? nil : layers[l - 1].dh.base, &profile)
        }
    }
}
