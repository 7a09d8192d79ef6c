import ArgumentParser
import Foundation

@main
struct GateKernelsCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatekernels",
        abstract: "Fast sigmoid/tanh and fused LSTM/GRU gate kernels: report, accuracy, bench, bench-gates.",
        discussion: """
        Exit status: 0 success; 1 a run that failed (accuracy --check found a broken contract, or a file \
        could not be written); 64 a usage error (an unknown subcommand, option or value, or a bad \
        GATEKERNELS_ISA).
        """,
        version: "gatekernels \(Provenance.description)",
        subcommands: [Report.self, Accuracy.self, Bench.self, BenchGates.self],
        defaultSubcommand: Report.self
    )

    static func main() {
        if let message = applyISAEnvironment() {
            FileHandle.standardError.write(Data("gatekernels: \(message)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        // Without this, a mistyped subcommand would reach the default one (report) and show its usage.
        if let first = CommandLine.arguments.dropFirst().first, !first.hasPrefix("-"),
           !(configuration.subcommands.map { $0._commandName } + ["help"]).contains(first) {
            exit(withError: ValidationError("unknown subcommand '\(first)'"))
        }
        main(nil)
    }
}
