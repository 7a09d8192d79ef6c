import Foundation

/// The result of a training run.
public struct TrainingResult: Sendable {
    public var backend: GateBackend
    /// The training loss of every step (MSE, or cross-entropy in nats per character).
    public var losses: [Double]
    /// The held-out loss after training (adding: MSE on fresh sequences; characters: nats/char
    /// on the last 10% of the text).
    public var testLoss: Double
    /// Adding: the share of held-out sums predicted within `addingTolerance`; characters: the share
    /// of held-out next characters predicted (argmax).
    public var testAccuracy: Double
    /// Median and total wall time of the training steps.
    public var medianStepNanos: UInt64, totalNanos: UInt64
    public var profile: StepProfile

    /// The mean training loss over the last `n` steps.
    public func finalLoss(last n: Int = 100) -> Double {
        let tail = losses.suffix(n)
        return tail.reduce(0, +) / Double(tail.count)
    }
    public var stepsPerSecond: Double { 1e9 / Double(medianStepNanos) }

    /// The first step at which this run's training loss differs from `other`'s by more than
    /// `relative` (nil: never): how long two runs from one seed stay on the same trajectory.
    public func divergenceStep(from other: TrainingResult, relative: Double = 0.01) -> Int? {
        zip(losses, other.losses).enumerated().first { abs($1.0 - $1.1) > relative * abs($1.1) }.map { $0.offset + 1 }
    }

    /// The first step at which the mean training loss of the last `window` steps is below
    /// `threshold` (nil: never).
    public func stepsToReach(_ threshold: Double, window: Int = 50) -> Int? {
        var sum = 0.0
        for (k, loss) in losses.enumerated() {
            sum += loss
            if k >= window { sum -= losses[k - window] }
            if k + 1 >= window && sum / Double(window) < threshold { return k + 1 }
        }
        return nil
    }
}

/// Trains a model one step at a time (so several trainers can be interleaved for fair timing).
public final class Trainer {
    public let config: TrainerConfig
    let model: Model
    private var adding: AddingData?
    private var streams: CharacterStreams?
    private var validation: [Int] = []
    private var vocabulary: Vocabulary?
    public private(set) var losses: [Double] = []
    private var stepNanos: [UInt64] = []

    public init(_ config: TrainerConfig) throws {
        self.config = config
        switch config.task {
        case .adding:
            model = try Model(config, vocabulary: 0)
            adding = AddingData(rng: SplitMix64(seed: config.seed &+ 0x5EED))
        case .characters(let text):
            let vocabulary = Vocabulary(text)
            let symbols = vocabulary.encode(text)
            let split = symbols.count * 9 / 10
            guard split / config.batch > config.steps, (symbols.count - split) / config.batch > config.steps else {
                throw TrainerError.invalid("the text has \(symbols.count) characters: too short for --batch \(config.batch) streams of --length \(config.steps) (90% train, 10% validation)")
            }
            model = try Model(config, vocabulary: vocabulary.characters.count)
            streams = CharacterStreams(symbols: Array(symbols[..<split]), batch: config.batch, steps: config.steps)
            validation = Array(symbols[split...])
            self.vocabulary = vocabulary
        }
        BLAS.setThreads(config.threads)
    }

    /// The number of trainable parameters.
    public var parameterCount: Int { model.params.count }

    /// One training step: a batch (adding) or the next segment (characters), forward, backward,
    /// clipping, Adam. Returns the loss.
    @discardableResult
    public func step() -> Double {
        let start = now()
        prepareBatch()
        var correct = 0
        let loss = model.forward(gradient: true, correct: &correct)
        model.backward()
        model.params.clipGradient(maxNorm: config.clipNorm)
        model.params.adam(learningRate: config.learningRate)
        if case .characters = config.task { model.carryState() }
        let elapsed = now() - start
        model.profile.stepNanos += elapsed
        stepNanos.append(elapsed)
        losses.append(loss)
        return loss
    }

    /// Loads the next batch or segment into the model, resetting the state where a sequence starts.
    func prepareBatch() {
        switch config.task {
        case .adding:
            adding!.fill(inputs: model.inputs, targets: model.targets, steps: config.steps, batch: config.batch)
            model.resetState()
        case .characters:
            if streams!.next(inputs: model.inputs, targets: &model.targetIndices, vocabulary: model.inputSize) {
                model.resetState()
            }
        }
    }

    /// The held-out loss and accuracy (see `TrainingResult`).
    public func evaluate() -> (loss: Double, accuracy: Double) {
        let saved = model.profile
        defer { model.profile = saved }
        var total = 0.0, correct = 0, count = 0, batches = 0
        switch config.task {
        case .adding:
            var data = AddingData(rng: SplitMix64(seed: config.seed &+ 0x7E57))
            let batchCount = max(1, 1024 / config.batch)
            for _ in 0..<batchCount {
                data.fill(inputs: model.inputs, targets: model.targets, steps: config.steps, batch: config.batch)
                model.resetState()
                total += model.forward(gradient: false, correct: &correct)
                count += config.batch
                batches += 1
            }
        case .characters:
            var streams = CharacterStreams(symbols: validation, batch: config.batch, steps: config.steps)
            model.resetState()
            for _ in 0..<streams.segmentsPerEpoch {
                _ = streams.next(inputs: model.inputs, targets: &model.targetIndices, vocabulary: model.inputSize)
                total += model.forward(gradient: false, correct: &correct)
                model.carryState()
                count += config.steps * config.batch
                batches += 1
            }
        }
        return (total / Double(batches), Double(correct) / Double(count))
    }

    /// The run so far, evaluated.
    public func result() -> TrainingResult {
        let (loss, accuracy) = evaluate()
        let sorted = stepNanos.sorted()
        return TrainingResult(backend: config.backend, losses: losses, testLoss: loss, testAccuracy: accuracy,
                              medianStepNanos: sorted.isEmpty ? 0 : sorted[sorted.count / 2],
                              totalNanos: stepNanos.reduce(0, +), profile: model.profile)
    }

    /// Trains for `config.trainingSteps`, calling `progress` every `every` steps and at the end.
    public func train(every: Int = 100, progress: (ProgressLine) -> Void = { _ in }) -> TrainingResult {
        let start = now()
        for k in 1...config.trainingSteps {
            step()
            if k % every == 0 || k == config.trainingSteps {
                let elapsed = Double(now() - start) / 1e9
                let recent = losses.suffix(every)
                progress(ProgressLine(step: k, of: config.trainingSteps, loss: recent.reduce(0, +) / Double(recent.count),
                                      elapsed: elapsed, task: config.task))
            }
        }
        return result()
    }
}

/// One progress report: the mean loss since the last one, speed, elapsed time and ETA.
public struct ProgressLine: CustomStringConvertible {
    public let step: Int, of: Int
    public let loss: Double, elapsed: Double
    let task: Task

    public var description: String {
        let rate = Double(step) / elapsed
        let eta = Double(of - step) / rate
        let lossText = switch task {
        case .adding: String(format: "loss %.5f", loss)
        case .characters: String(format: "loss %.4f (%.3f bits/char)", loss, loss / log(2))
        }
        let counter = String(repeating: " ", count: String(of).count - String(step).count) + "\(step)/\(of)"
        return "step \(counter)  \(lossText)  " + String(format: "%.1f", rate)
            + " steps/s  elapsed \(duration(elapsed))  ETA \(duration(eta))"
    }
}

func duration(_ seconds: Double) -> String {
    seconds < 60 ? String(format: "%.1fs", seconds) : String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
}
