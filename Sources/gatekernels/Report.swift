import ArgumentParser
import GateKernels

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "This CPU's ISAs, and a quick accuracy and speed summary per function and tier.")
    func run() throws {
        print("ISAs supported: \(ISA.supported.map(\.description).joined(separator: " ")); active: \(ISA.active)")
    }
}
