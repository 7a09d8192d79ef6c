import ArgumentParser
import Foundation

@main
struct GateKernelsCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatekernels",
        abstract: "Fast sigmoid/tanh and fused gate kernels: report, accuracy, bench.",
        subcommands: [Report.self, Accuracy.self, Bench.self, BenchGates.self],
        defaultSubcommand: Report.self
    )

    static func main() {
        if let message = applyISAEnvironment() {
            FileHandle.standardError.write(Data("gatekernels: \(message)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        main(nil)
    }
}
