import ArgumentParser
import GateKernels
import GateKernelsEval

// Every option that selects several things is named in the plural and takes a comma-separated
// list (`--tiers precise,fast`); where the things are named choices, `all` selects every one.

/// The items of a comma-separated list option, blanks trimmed; a usage error when there are none.
func listItems(_ text: String, option: String) throws -> [String] {
    let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !items.isEmpty else { throw ValidationError("\(option) needs at least one value") }
    return items
}

/// The values a list option names out of `choices`, each once, in the order named; `all` stands for
/// `all` (default: every choice). A usage error names a bad item and the choices.
func listChoices<Value: Equatable>(_ text: String, option: String, _ choices: [(name: String, value: Value)],
                                   all: [Value]? = nil) throws -> [Value] {
    try listItems(text, option: option).flatMap { item -> [Value] in
        if item == "all" { return all ?? choices.map(\.value) }
        guard let choice = choices.first(where: { $0.name == item }) else {
            throw ValidationError("\(option): unknown value '\(item)'; use \(choices.map(\.name).joined(separator: ", ")) or all")
        }
        return [choice.value]
    }.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
}

/// `--tiers`, the same in every subcommand.
func parseTiers(_ text: String) throws -> [Tier] {
    try listChoices(text, option: "--tiers", Tier.allCases.map { ($0.description, $0) })
}

/// `--formats`, the same in every subcommand.
func parseFormats(_ text: String) throws -> [StorageFormat] {
    try listChoices(text, option: "--formats", StorageFormat.allCases.map { ($0.rawValue, $0) })
}
