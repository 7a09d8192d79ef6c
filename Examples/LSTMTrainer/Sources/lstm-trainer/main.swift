import ArgumentParser
import Foundation
import GateKernels
import TrainerCore

/// Trains a small LSTM or GRU whose every gate activation and update is a GateKernels call, with
/// OpenBLAS GEMMs around them.
@main
struct LSTMTrainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstm-trainer",
        abstract: "Train an LSTM/GRU on the adding problem or a character-level language model with GateKernels.",
        discussion: """
        Every activation and gate update (forward and backward) is GateKernels at --tier; GEMMs are \
        OpenBLAS. --compare-tiers trains the same model from the same seed with every tier and a \
        libm reference, interleaved step by step, and writes a markdown table and an SVG of the loss curves.
        """)

    @Option(help: "adding | chars") var task = "adding"
    @Option(help: "The text for --task chars (default: the bundled public-domain text).") var text: String?
    @Option(help: "lstm | gru") var cell = "lstm"
    @Option(help: "Recurrent layers: 1 or 2.") var layers = 1
    @Option(help: "Hidden units per layer.") var hidden = 32
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Sequence length (adding) or truncated-BPTT segment length (chars).") var length = 100
    @Option(help: "Training steps.") var steps = 2000
    @Option(help: "Adam learning rate.") var lr: Float = 0.01
    @Option(help: "Clip the gradient to this global norm.") var clip: Float = 1
    @Option(help: "precise | fast | approximate | libm (the scalar libm reference gates).") var tier = "fast"
    @Option(help: "Threads for OpenBLAS and for the gate updates' row split.") var threads = 1
    @Option(help: "Random seed (weights and data).") var seed: UInt64 = 1
    @Option(help: "Print a progress line every N steps.") var logEvery = 100
    @Flag(help: "Check the full backward against finite differences on a tiny model of the chosen task and cell, then exit.")
    var gradientCheck = false
    @Flag(help: "Train with precise, fast, approximate and libm gates from the same seed; write --table and --svg.")
    var compareTiers = false
    @Option(help: "--compare-tiers: also repeat the comparison for this many seeds (from --seed) and summarize them.")
    var seeds = 1
    @Option(help: "Where --compare-tiers writes its markdown table.") var table = "trainer-compare.md"
    @Option(help: "Where --compare-tiers writes its SVG.") var svg = "trainer-loss.svg"

    mutating func run() throws {
        var config = TrainerConfig()
        switch task {
        case "adding": config.task = .adding
        case "chars":
            let url = text.map { URL(fileURLWithPath: $0) } ?? bundledTextURL()
            config.task = .characters(try String(contentsOf: url, encoding: .utf8))
        default: throw ValidationError("--task is \(task); use adding or chars")
        }
        guard let kind = CellKind(rawValue: cell) else { throw ValidationError("--cell is \(cell); use lstm or gru") }
        guard let backend = GateBackend(tier) else { throw ValidationError("--tier is \(tier); use precise, fast, approximate or libm") }
        guard seeds >= 1 else { throw ValidationError("--seeds is \(seeds); it must be at least 1") }
        guard logEvery >= 1 else { throw ValidationError("--log-every is \(logEvery); it must be at least 1") }
        (config.cell, config.layers, config.hidden, config.batch, config.steps) = (kind, layers, hidden, batch, length)
        (config.trainingSteps, config.learningRate, config.clipNorm) = (steps, lr, clip)
        (config.backend, config.threads, config.seed) = (backend, threads, seed)
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        let isa = ISA.active

        if gradientCheck {
            var tiny = config
            (tiny.hidden, tiny.batch, tiny.steps, tiny.layers) = (4, 3, 6, 2)
            if case .characters(let text) = config.task { tiny.task = .characters(String(text.prefix(400))) }
            let r = try TrainerCore.gradientCheck(tiny)
            let ok = r.maxRelativeError < gradientCheckTolerance
            say("gradient check (\(task), \(cell), 2 layers, H=4, B=3, T=6, \(tier) gates, \(isa)): \(r.parameters) parameters, "
                  + "max relative error \(String(format: "%.2e", r.maxRelativeError)) at #\(r.worstIndex) "
                  + "(backprop \(r.analytic), finite difference \(r.numeric)): \(ok ? "PASS" : "FAIL")")
            if !ok { throw ExitCode.failure }
            return
        }

        let shape = "\(task), \(cell) \(layers)x\(hidden), batch \(batch), length \(length), \(steps) steps, lr \(lr), clip \(clip), seed \(seed), threads \(threads), ISA \(isa)"
        if compareTiers {
            say("comparing gate backends: \(shape)")
            let results = try compareBackends(config, every: logEvery) { backend, line in
                say("\(backend.description.padding(toLength: 12, withPad: " ", startingAt: 0)) \(line)")
            }
            var tableText = comparisonTable(results, task: config.task)
            say(tableText)
            if seeds > 1 {
                var runs = [results]
                for s in seed + 1..<seed + UInt64(seeds) {
                    config.seed = s
                    say("seed \(s)...")
                    runs.append(try compareBackends(config, every: steps))
                }
                let summary = seedSummaryTable(runs, task: config.task)
                say(summary)
                tableText += "\nOver seeds \(seed)...\(seed + UInt64(seeds) - 1):\n\n" + summary
            }
            try tableText.write(toFile: table, atomically: true, encoding: .utf8)
            try lossCurvesSVG(results, task: config.task, title: "\(task): \(cell) \(layers)x\(hidden), T=\(length), seed \(seed)")
                .write(toFile: svg, atomically: true, encoding: .utf8)
            say("wrote \(table) and \(svg)")
            return
        }

        let trainer = try Trainer(config)
        say("training \(shape), \(tier) gates, \(trainer.parameterCount) parameters")
        let r = trainer.train(every: logEvery) { say("\($0)") }
        let bits = 1 / log(2.0)
        switch config.task {
        case .adding:
            say(String(format: "held-out MSE %.5f (predicting the mean: %.4f), within %.2f: %.1f%%",
                         r.testLoss, addingBaseline, addingTolerance, 100 * r.testAccuracy))
        case .characters:
            say(String(format: "held-out %.4f bits/char, next-char accuracy %.1f%%", r.testLoss * bits, 100 * r.testAccuracy))
        }
        say(String(format: "%.1f steps/s (median step); step time in gate updates %.1f%%, in BLAS %.1f%%",
                     r.stepsPerSecond, 100 * r.profile.gateShare, 100 * r.profile.blasShare))
    }
}

/// Writes a line to standard output unbuffered, so progress appears as it happens through a pipe too.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
