import ArgumentParser
import CKernelsEval
import Foundation
import GateKernels
import GateKernelsEval

/// `gatekernels accuracy`: error statistics of every tier and ISA against a double-precision
/// reference, beside an approximation zoo; tables, plots, certificates and the contract check.
struct Accuracy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Error statistics of sigmoid and tanh per tier and ISA, against a double-precision reference.",
        discussion: """
        Sweeps the chosen inputs (by default every 257th float from -inf to +inf; --exhaustive: all 2^32 bit \
        patterns) and reports max ulp (integer and fractional), max absolute and relative error, mean absolute \
        error, % exactly rounded, an ulp histogram, the worst input of each measure, monotonicity violations, \
        out-of-range outputs, NaN/inf for finite input, NaN propagation, tanh oddness and a pass/fail per special \
        value. All implementations of one function share one reference computation.

        Your own implementation: --impl path/to/lib.so:symbol loads a C function \
        void symbol(const float *x, float *y, size_t n) with dlopen (several --impl allowed, with one function \
        in --functions); --peers adds the installed peer libraries (SLEEF, XNNPACK, glibc's libmvec), also \
        opened at run time. Code that is not ours is swept in a child process: if it crashes, the command \
        says which implementation, the signal, and the input it died on (found by calling it again on halves \
        of the crashing call's inputs), and exits with status 1. --bound holds them to a tier's contract \
        (the contract column, --check and the certificates); the meets column always shows the tightest \
        tier they keep. --verify cert.json re-runs a certificate's sweep (with --impl for a plug-in) and \
        says whether every result is the same.

        Examples:
          gatekernels accuracy --zoo
          gatekernels accuracy --exhaustive --isas all --check --certificates certs
          gatekernels accuracy --functions tanh --range=-10:10 --stride 1 --format json
          gatekernels accuracy --zoo --plot error.svg --pareto pareto.svg
          gatekernels accuracy --functions sigmoid --impl ./libmine.so:my_sigmoid --bound fast --certificates certs
          gatekernels accuracy --peers --tiers fast --stride 1009
          gatekernels accuracy --verify certs/sigmoid-libmine.so-my_sigmoid.json --impl ./libmine.so:my_sigmoid
        """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument { case table, json, csv, markdown }
    enum Metric: String, CaseIterable, ExpressibleByArgument { case abs, ulp }

    @Option(help: "Comma-separated functions: sigmoid, tanh, or all.")
    var functions = "all"

    @Option(help: "Comma-separated tiers: precise, fast, approximate, or all; none: the zoo alone (with --zoo).")
    var tiers = "all"

    @Option(help: "Comma-separated instruction sets: scalar, avx2, avx512, neon; active (the one the kernels use: GATEKERNELS_ISA's, else the widest), best (the widest this CPU has), or all (every one it has).")
    var isas = "active"

    @Option(help: "Comma-separated storage formats of the tiers: f32, bf16, f16, or all. bf16 and f16 are swept over all 65,536 inputs whatever the input options say (error in ulps of the format against the correctly rounded exact result, and the share correctly rounded); --format csv holds f32 alone.")
    var formats = "all"

    @Flag(help: "Every float: all 2^32 bit patterns (the non-NaN ones against the reference, every NaN for propagation).")
    var exhaustive = false

    @Option(help: ArgumentHelp("Only inputs in [lo, hi] (floats; inf allowed); write it as --range=lo:hi when lo is negative.",
                               valueName: "lo:hi"))
    var range: String?

    @Option(help: "Take every N-th float in order (default 257 without --exhaustive/--range, else 1).")
    var stride: UInt64?

    @Flag(help: "Sweep each implementation on its own (its own reference computation) so that each sweep's wall time is measured; slower.")
    var separate = false

    @Flag(help: "Also sweep the approximation zoo (libm, hard sigmoids, hard tanh, softsign, Schraudolph, Padé).")
    var zoo = false

    @Option(name: .customLong("impl"), help: ArgumentHelp(
        "A C function void f(const float *x, float *y, size_t n) in a shared library, loaded with dlopen; repeat for several.",
        valueName: "path:symbol"))
    var impls: [String] = []

    @Flag(help: "Also sweep the installed peer libraries' kernels: SLEEF, XNNPACK's sigmoid operator, glibc's libmvec.")
    var peers = false

    @Option(help: "The tier whose contract --impl and --peers are held to (precise, fast or approximate).")
    var bound: String?

    @Option(help: ArgumentHelp("Re-run the sweep a certificate describes (its function and inputs; --impl for a plug-in) and compare every result.",
                               valueName: "cert.json"))
    var verify: String?

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: "The report's format.")
    var format: Format = .table

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(help: ArgumentHelp("Draw the error against x of the chosen tiers (first chosen ISA) and zoo entries as SVG.",
                               valueName: "file.svg"))
    var plot: String?

    @Option(help: ArgumentHelp("x range of --plot (default -20:20 for sigmoid, -10:10 for tanh).", valueName: "lo:hi"))
    var plotRange: String?

    @Option(help: "The error measure of --plot: absolute, or fractional ulp.")
    var plotMetric: Metric = .abs

    @Option(help: ArgumentHelp("Draw max absolute error against time per element (16K-element buffer, medians of interleaved runs) as SVG.",
                               valueName: "file.svg"))
    var pareto: String?

    @Option(help: ArgumentHelp("Write one JSON certificate per function, tier and ISA into this directory.", valueName: "dir"))
    var certificates: String?

    @Flag(help: "Exit with status 1 if any tier breaks its contract in docs/design.md (bound, monotonicity, range, specials, NaN, oddness, non-finite).")
    var check = false

    func functionList() throws -> [ActivationFunction] {
        try listChoices(functions, option: "--functions", ActivationFunction.allCases.map { ($0.rawValue, $0) })
    }

    func boundTier() throws -> Tier? { try bound.map { try parseTiers($0) }.map { tiers in
        guard tiers.count == 1 else { throw ValidationError("--bound takes one tier") }
        return tiers[0]
    } }

    /// The --impl plug-ins, loaded; a usage error names the one that cannot be.
    func plugins() throws -> [Plugin] {
        try impls.map { spec in
            do { return try Plugin(spec) } catch { throw ValidationError("--impl \(spec): \(error)") }
        }
    }

    /// The half formats to sweep besides f32 (none with --format csv, whose columns are f32's).
    func halfFormats() throws -> [StorageFormat] {
        let chosen = try parseFormats(formats)
        if format == .csv && formats != "all" && chosen.contains(where: { $0 != .f32 }) {
            throw ValidationError("--formats: --format csv has f32's columns; bf16 and f16 are in table, markdown and json")
        }
        return format == .csv ? [] : chosen.filter { $0 != .f32 }
    }

    func tierList() throws -> [Tier] { tiers == "none" ? [] : try parseTiers(tiers) }

    func isaList() throws -> [ISA] {
        let chosen = try listChoices(isas, option: "--isas", [("active", ISA.active), ("best", ISA.best)]
            + ISA.allCases.map { ($0.description, $0) }, all: ISA.supported)
        if let missing = chosen.first(where: { !$0.isSupported }) {
            throw ValidationError("--isas: \(missing) is not supported on this CPU (it has "
                + ISA.supported.map(\.description).joined(separator: ", ") + ")")
        }
        return chosen
    }

    static func parseRange(_ text: String, option: String) throws -> (Float, Float) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = Float(parts[0]), let hi = Float(parts[1]), !lo.isNaN, !hi.isNaN else {
            throw ValidationError("\(option) \(text): expected lo:hi with two numbers, e.g. \(option)=-10:10")
        }
        guard lo <= hi else { throw ValidationError("\(option) \(text): lo must not exceed hi") }
        return (lo, hi)
    }

    func inputSet() throws -> InputSet {
        var set = InputSet.allFloats
        if let range {
            let (lo, hi) = try Self.parseRange(range, option: "--range")
            set.first = ck_ordered_index(lo)
            set.last = ck_ordered_index(hi)
        }
        set.stride = stride ?? (exhaustive || range != nil ? 1 : 257)
        return set
    }

    func validate() throws {
        if exhaustive && (range != nil || stride != nil) {
            throw ValidationError("--exhaustive sweeps every float; it cannot be combined with --range or --stride")
        }
        if let stride, stride < 1 { throw ValidationError("--stride must be at least 1, got \(stride)") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256, got \(threads)") }
        let tierList = try tierList()
        let foreign = !impls.isEmpty || peers
        if verify != nil {
            if exhaustive || range != nil || stride != nil || zoo || peers || impls.count > 1 {
                throw ValidationError("--verify takes the function and inputs from the certificate; besides it give at most one --impl")
            }
            return
        }
        if tierList.isEmpty && !zoo && !foreign { throw ValidationError("--tiers none leaves nothing to sweep; add --zoo, --impl or --peers") }
        if check && tierList.isEmpty && bound == nil {
            throw ValidationError("--check needs a tier or --bound (it checks the contract of the tiers, and of --impl and --peers against --bound)")
        }
        if bound != nil && !foreign { throw ValidationError("--bound holds --impl and --peers to a tier; give one of them") }
        _ = try boundTier()
        if try !impls.isEmpty && functionList().count != 1 {
            throw ValidationError("--impl computes one function: choose it with --functions sigmoid or --functions tanh")
        }
        _ = try plugins()
        if let plotRange {
            let (lo, hi) = try Self.parseRange(plotRange, option: "--plot-range")
            guard lo < hi, lo.isFinite, hi.isFinite else {
                throw ValidationError("--plot-range \(plotRange): needs finite lo < hi")
            }
        }
        _ = try functionList()
        _ = try isaList()
        _ = try halfFormats()
        _ = try inputSet()
    }

    func run() throws {
        if let verify { return try runVerify(verify) }
        let inputs = try inputSet()
        let isaList = try isaList(), tierList = try tierList()
        let plugins = try plugins(), bound = try boundTier()
        var sweeps: [Sweep] = []
        let halves = try functionList().flatMap { f in
            try halfFormats().map { HalfSweep(function: f, format: $0, tiers: tierList, isas: isaList) }
        }.filter { !$0.reports.isEmpty }
        for f in try functionList() {
            let subjects = UnaryKernel.all(functions: [f], tiers: tierList, isas: isaList).map(Subject.init(kernel:))
                + (zoo ? Subject.zoo(f) : [])
                + plugins.map { Subject(function: f, plugin: $0, bound: bound) }
                + (peers ? Subject.peers(f, bound: bound) : [])
            sweeps.append(separate
                ? try Sweep.separate(f, subjects, inputs: inputs, threads: threadCount)
                : try runSweep(f, subjects, inputs: inputs, threads: threadCount))
        }
        let command = (["swift run -c release gatekernels"] + CommandLine.arguments.dropFirst().map(shellQuoted))
            .joined(separator: " ")

        if let plot { try writePlot(sweeps, to: plot) }
        if let pareto { try writePareto(sweeps, to: pareto) }
        if let certificates {
            let paths = try writeCertificates(sweeps, to: certificates)
            note("wrote \(paths.count) certificates to \(certificates)")
        }
        let plotLink = plot.map { path in relativePath(path, from: output) }
        let report: String = switch format {
        case .table: renderText(sweeps, halves)
        case .json: try renderJSON(sweeps, halves)
        case .csv: renderCSV(sweeps)
        case .markdown: renderMarkdown(sweeps, halves, command: command, plot: plotLink)
        }
        if let output {
            try Data(report.utf8).write(to: URL(fileURLWithPath: output))
            note("wrote \(output)")
        } else {
            print(report, terminator: "")
        }
        if check {
            let failures = sweeps.flatMap(\.notes) + halves.flatMap(\.notes)
            let held = sweeps.flatMap(\.results).filter { $0.subject.contractTier != nil }.count
            let halfHeld = halves.flatMap(\.reports).count
            if failures.isEmpty {
                note("contract check passed: \(held) sweeps (\(inputs.description))"
                    + (halfHeld > 0 ? " and \(halfHeld) half-format sweeps (every input)" : ""))
            } else {
                note("contract check FAILED:\n" + failures.map { "  " + $0 }.joined(separator: "\n"))
                throw ExitCode.failure
            }
        }
    }

    /// Re-runs the sweep of the certificate at `path` and says, result by result, whether the same
    /// numbers come out; exit status 1 when any differs.
    func runVerify(_ path: String) throws {
        let cert: [String: Any]
        do {
            cert = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        } catch {
            throw ValidationError("--verify \(path): cannot read it as JSON (\(error.localizedDescription))")
        }
        guard let function = (cert["function"] as? String).flatMap(ActivationFunction.init(rawValue:)),
              let identity = cert["implementation"] as? [String: Any], let swept = cert["inputs_swept"] as? [String: Any],
              let expected = cert["results"] as? [String: Any], let inputs = InputSet(certificate: swept) else {
            throw ValidationError("--verify \(path): not a certificate of gatekernels accuracy (function, implementation, inputs_swept, results)")
        }
        let bound = ((expected["contract"] as? [String: Any])?["tier"] as? String).flatMap { name in Tier.allCases.first { "\($0)" == name } }
        let subject: Subject
        if let plugin = try plugins().first {
            subject = Subject(function: function, plugin: plugin, bound: bound)
        } else if let tier = (identity["tier"] as? String).flatMap({ name in Tier.allCases.first { "\($0)" == name } }),
                  let isa = (identity["isa"] as? String).flatMap({ name in ISA.allCases.first { "\($0)" == name } }) {
            guard isa.isSupported else { throw RunFailure("--verify \(path): this CPU has no \(isa)") }
            subject = Subject(kernel: UnaryKernel(function, tier, isa: isa))
        } else if identity["kind"] as? String == "peer", let name = identity["name"] as? String,
                  let peer = Subject.peers(function, bound: bound).first(where: { $0.name == name }) {
            subject = peer
        } else {
            throw ValidationError("--verify \(path): give the implementation with --impl path:symbol (the certificate names \(identity["label"] ?? "it"))")
        }
        let sweep = try runSweep(function, [subject], inputs: inputs, threads: threadCount)
        // both sides through the same JSON encoding, so that only values can differ
        let fresh = try JSONSerialization.jsonObject(with: jsonData(certificate(sweep.results[0], sweep))) as! [String: Any]
        let now = fresh["results"] as! [String: Any]
        var table = TextTable(headers: ["result", "certificate", "now", ""], leftColumns: [0, 1, 2, 3])
        var differ = 0
        for key in Set(expected.keys).union(now.keys).sorted() {
            let a = compact(expected[key]), b = compact(now[key])
            if a != b { differ += 1 }
            table.rows.append([key, a, b, a == b ? "same" : "DIFFERS"])
        }
        print("\(function) \(subject.label), \(inputs.description)")
        if let machine = cert["machine"] as? [String: Any], compact(machine["cpu"]) != compact(Machine.json["cpu"]) {
            print("certified on \(compact(machine["cpu"])), re-run on \(compact(Machine.json["cpu"]))")
        }
        print(table.text())
        if differ > 0 {
            note("verify: \(differ) of \(table.rows.count) results differ from \(path)")
            throw ExitCode.failure
        }
        note("verify: all \(table.rows.count) results are the same as in \(path)")
    }

    /// The SVG of error against x: the tiers on the first chosen ISA (all ISAs give the same bits) and the zoo.
    func writePlot(_ sweeps: [Sweep], to path: String) throws {
        let bins = 600, perBin = 128
        let charts = try sweeps.map { sweep -> SVGChart in
            let (lo, hi) = try plotRange.map { try Self.parseRange($0, option: "--plot-range") }
                ?? (sweep.function == .sigmoid ? (-20, 20) : (-10, 10))
            let firstISA = sweep.results.compactMap(\.subject.isa).first
            let shown = sweep.results.map(\.subject).filter { $0.isa == nil || $0.isa == firstISA }
            var chart = SVGChart(
                title: "\(sweep.function): \(plotMetric == .abs ? "absolute" : "ulp") error against x (max over \(perBin) inputs per point)",
                xLabel: "x", yLabel: plotMetric == .abs ? "absolute error (log)" : "error in ulp (log)", yLog: true)
            let errors = try shown.map { s -> [Double] in
                var absErr = [Double](repeating: 0, count: bins), ulpErr = [Double](repeating: 0, count: bins)
                guard ck_eval_profile(sweep.function.c, s.impl, s.context, lo, hi, bins, perBin, &absErr, &ulpErr) == 0 else {
                    throw ValidationError("cannot profile \(s.name) on [\(lo), \(hi)]")
                }
                return plotMetric == .abs ? absErr : ulpErr
            }
            // a log axis cannot show 0: exact slices sit at the smallest error seen
            let floor = errors.joined().filter { $0 > 0 }.min() ?? 1
            for (s, err) in zip(shown, errors) {
                let points = (0..<bins).map { b in
                    (x: Double(lo) + (Double(hi) - Double(lo)) * (Double(b) + 0.5) / Double(bins), y: max(err[b], floor))
                }
                chart.series.append(.init(name: s.tier.map { "\($0)" } ?? s.name, points: points))
            }
            return chart
        }
        try Data(SVGChart.document(charts).utf8).write(to: URL(fileURLWithPath: path))
        note("wrote \(path)")
    }

    /// The SVG of max absolute error (from the sweep) against measured time per element.
    func writePareto(_ sweeps: [Sweep], to path: String) throws {
        let charts = sweeps.map { sweep -> SVGChart in
            let times = measureThroughput(sweep.results.map(\.subject))
            var chart = SVGChart(title: "\(sweep.function): max absolute error against time (16K floats, median of interleaved runs)",
                                 xLabel: "ns per element (log)", yLabel: "max absolute error (log)", xLog: true, yLog: true)
            for (r, t) in zip(sweep.results, times) {
                chart.series.append(.init(name: r.subject.name, points: [(x: t, y: max(r.stats.max_abs, 1e-10))], scatter: true))
            }
            return chart
        }
        try Data(SVGChart.document(charts).utf8).write(to: URL(fileURLWithPath: path))
        note("wrote \(path)")
    }
}

/// A JSON value as one line of text, keys sorted ("-" when absent).
private func compact(_ value: Any?) -> String {
    guard let value, !(value is NSNull) else { return "-" }
    guard JSONSerialization.isValidJSONObject([value]),
          let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed]) else { return "\(value)" }
    return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
}

/// A message on standard error (the report itself goes to standard output or --output).
func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

private func shellQuoted(_ arg: String) -> String {
    arg.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,".contains($0) } ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// `path` as seen from the directory of `file` (for links in a written report).
private func relativePath(_ path: String, from file: String?) -> String {
    guard let file else { return path }
    let dir = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path
    let target = URL(fileURLWithPath: path).standardizedFileURL.path
    return target.hasPrefix(dir + "/") ? String(target.dropFirst(dir.count + 1)) : target
}
