import ArgumentParser

@main
struct GateKernelsCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatekernels",
        abstract: "Fast sigmoid/tanh and fused gate kernels: report, accuracy, bench.",
        subcommands: [Report.self, Accuracy.self, Bench.self, BenchGates.self],
        defaultSubcommand: Report.self
    )
}
