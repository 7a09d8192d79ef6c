import GateKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CLI's one rule for `GATEKERNELS_ISA`, applied before any subcommand parses its options:
/// `auto`, `scalar`, `avx2`, `avx512` or `neon` in any case selects the instruction set for the
/// whole run; an unknown value or one this CPU lacks is an error (exit 64). Returns that error's
/// message, or nil when the variable is unset, empty or applied.
func applyISAEnvironment() -> String? {
    let variable = "GATEKERNELS_ISA"
    guard let raw = getenv(variable) else { return nil }
    let value = String(cString: raw)
    // The library would parse the variable again at its first call (lower case only, a warning
    // and the widest ISA on a bad value): the CLI has taken it over, so it goes.
    unsetenv(variable)
    guard !value.isEmpty else { return nil }
    let names = ["auto"] + ISA.allCases.map(\.description)
    guard names.contains(value.lowercased()) else {
        return "\(variable)=\(value) is not one of \(names.joined(separator: ", ")) (any case)"
    }
    let isa = ISA.allCases.first { $0.description == value.lowercased() } // nil: auto
    do {
        try ISA.use(isa)
        return nil
    } catch {
        return "\(variable)=\(value) is not supported by this CPU (it has \(ISA.supported.map(\.description).joined(separator: ", ")))"
    }
}
