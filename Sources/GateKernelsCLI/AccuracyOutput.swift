import CKernelsEval
import CPeers
import Foundation
import GateKernels
import GateKernelsEval

let histogramLabels = ["0", "1", "2", "3", "4", "5-8", "9-64", ">64"]

extension Sweep {
    /// One line saying what was swept.
    var headline: String {
        func grouped(_ v: UInt64) -> String { NumberFormatter.localizedString(from: NSNumber(value: v), number: .decimal) }
        let nans = results.first.map { $0.stats.nan_inputs } ?? 0
        return "\(function): \(inputs.description): \(grouped(inputs.count)) inputs and \(grouped(nans)) NaN patterns; "
            + "\(threads) threads; \(String(format: "%.1f", wallSeconds)) s wall"
    }

    /// Whether every subject had a sweep of its own (--separate).
    var separate: Bool { results.allSatisfy { $0.sweepSeconds != nil } }

    var mainTable: TextTable {
        var t = TextTable(headers: ["implementation", "max ulp", "ulp (frac)", "at x", "max abs", "at x", "max rel",
                                "mean abs", "exact %", "monotonicity", "range", "non-finite", "NaN", "odd",
                                "specials", "meets", "contract", "cpu s"]
                          + (separate ? ["sweep s"] : []),
                      leftColumns: [0, 15, 16])
        for r in results {
            let s = r.stats
            t.rows.append([
                r.subject.name, "\(s.max_ulp)", s.max_ulp_frac < 1e4 ? String(format: "%.3f", s.max_ulp_frac) : significant(s.max_ulp_frac), format(s.max_ulp_x),
                significant(s.max_abs), format(s.max_abs_x), significant(s.max_rel), significant(r.meanAbs),
                String(format: "%.2f", r.exactPercent), "\(s.monotonicity_violations)", "\(s.out_of_range)",
                "\(s.nonfinite)", "\(s.nan_not_propagated)", function == .tanh ? "\(s.odd_violations)" : "-",
                "\(r.specialsPassed)/\(r.specials.count)", r.meets,
                r.subject.contractTier == nil ? "-" : (r.contractFailures.isEmpty ? "pass" : "FAIL"),
                String(format: "%.1f", s.seconds),
            ] + (r.sweepSeconds.map { [String(format: "%.1f", $0)] } ?? []))
        }
        return t
    }

    var histogramTable: TextTable {
        var t = TextTable(headers: ["implementation"] + histogramLabels.map { "\($0) ulp %" })
        for r in results {
            let total = Double(max(r.stats.ulp_inputs, 1))
            t.rows.append([r.subject.name] + r.histogram.map { String(format: "%.4g", 100 * Double($0) / total) })
        }
        return t
    }

    var specialsTable: TextTable {
        var t = TextTable(headers: ["implementation"] + Result.specialNames + ["saturates at", "reference saturates at"],
                      leftColumns: [0])
        for r in results {
            let hi = r.specials[Int(CK_SPECIAL_SAT_HIGH.rawValue)], lo = r.specials[Int(CK_SPECIAL_SAT_LOW.rawValue)]
            t.rows.append([r.subject.name] + r.specials.map { $0.pass != 0 ? "pass" : "FAIL" }
                + ["\(format(lo.sat_x)), \(format(hi.sat_x))", "\(format(lo.ref_sat_x)), \(format(hi.ref_sat_x))"])
        }
        return t
    }

    /// Each broken promise of the contract a subject is held to.
    var notes: [String] {
        results.flatMap { r in r.contractFailures.map { "\(r.subject.name): \($0)" } }
    }

    /// What each row that is not one of our kernels is: zoo entries, plug-ins, peers.
    var legend: [String] {
        results.filter { $0.subject.tier == nil }.map { "\($0.subject.name): \($0.subject.label)" }
    }
}

/// The half-format kernels of one function and format, each over all 65,536 inputs.
struct HalfSweep {
    let function: ActivationFunction
    let format: StorageFormat
    let reports: [HalfAccuracyReport]

    init(function: ActivationFunction, format: StorageFormat, tiers: [Tier], isas: [ISA]) {
        self.function = function
        self.format = format
        reports = UnaryKernel.all(functions: [function], tiers: tiers, isas: isas, formats: [format]).map(HalfAccuracyReport.init)
    }

    var headline: String {
        "\(function) \(format): every input (65,536 bit patterns); error in ulps of \(format) from the correctly rounded exact result"
    }

    /// An input's bit pattern as the value it stands for.
    private func value(_ h: UInt16) -> String { GateKernelsEval.format(Float(ck_half_value(format.half!, h))) }

    var table: TextTable {
        var t = TextTable(headers: ["implementation", "max ulp", "at x", "correctly rounded %", "max abs", "at x", "flushed",
                                "monotonicity", "range", "NaN", "odd", "specials", "contract"],
                      leftColumns: [0, 12])
        for r in reports {
            let s = r.statistics
            t.rows.append([
                "\(r.kernel.tier)/\(r.kernel.isa!)", "\(s.max_ulp)", value(s.max_ulp_x),
                String(format: "%.3f", r.correctlyRoundedPercent), significant(s.max_abs), value(s.max_abs_x), "\(s.flushed)",
                "\(s.not_monotone)", "\(s.out_of_range)", "\(s.bad_nan)", function == .tanh ? "\(s.not_odd)" : "-",
                s.specials_pass != 0 ? "pass" : "FAIL", r.failures.isEmpty ? "pass" : "FAIL",
            ])
        }
        return t
    }

    /// Each broken promise of the half-format contract.
    var notes: [String] { reports.flatMap { r in r.failures.map { "\(function) \(r.kernel): \($0)" } } }

    var dictionary: [String: Any] {
        ["function": function.rawValue, "format": format.rawValue, "inputs": Int(CK_HALF_COUNT),
         "results": reports.map { r -> [String: Any] in
             let s = r.statistics
             var d: [String: Any] = [
                 "implementation": "\(r.kernel.tier)/\(r.kernel.isa!)", "tier": r.kernel.tier.description,
                 "isa": r.kernel.isa!.description, "measured": s.measured, "max_ulp": s.max_ulp,
                 "max_ulp_x": gatekernels.json(ck_half_value(format.half!, s.max_ulp_x)), "correctly_rounded": s.correct,
                 "correctly_rounded_percent": r.correctlyRoundedPercent, "max_abs": gatekernels.json(s.max_abs),
                 "max_abs_x": gatekernels.json(ck_half_value(format.half!, s.max_abs_x)), "flushed": s.flushed, "monotonicity_violations": s.not_monotone, "out_of_range": s.out_of_range,
                 "nan_not_quieted": s.bad_nan, "specials_pass": s.specials_pass != 0,
                 "contract": ["bound": r.kernel.bound.description, "pass": r.failures.isEmpty, "failures": r.failures] as [String: Any],
             ]
             if function == .tanh { d["odd_violations"] = s.not_odd }
             return d
         }]
    }
}

/// The whole report in one of the text formats.
func renderText(_ sweeps: [Sweep], _ halves: [HalfSweep]) -> String {
    let floats: [String] = sweeps.map { s in
        var parts = [s.headline, s.mainTable.text(), "", "ulp histogram (inputs whose true result is a normal float)",
                     s.histogramTable.text(), "", "special values (saturation: first x of exact 0/-1 and 1)",
                     s.specialsTable.text()]
        if !s.legend.isEmpty { parts += ["", "others:"] + s.legend.map { "  " + $0 } }
        if !s.notes.isEmpty { parts += ["", "contract failures:"] + s.notes.map { "  " + $0 } }
        return parts.joined(separator: "\n")
    }
    let halfFormats: [String] = halves.map { h in
        var parts = [h.headline, h.table.text()]
        if !h.notes.isEmpty { parts += ["", "contract failures:"] + h.notes.map { "  " + $0 } }
        return parts.joined(separator: "\n")
    }
    return (floats + halfFormats).joined(separator: "\n\n") + "\n"
}

func renderMarkdown(_ sweeps: [Sweep], _ halves: [HalfSweep], command: String, plot: String?) -> String {
    let subjects = sweeps.flatMap(\.results).map(\.subject)
    let others = [("an approximation zoo", subjects.contains { if case .zoo = $0.kind { true } else { false } }),
                  ("peer libraries", subjects.contains { if case .peer = $0.kind { true } else { false } }),
                  ("plug-ins", subjects.contains { if case .plugin = $0.kind { true } else { false } })]
        .filter(\.1).map(\.0)
    var out = "# Accuracy of GateKernels sigmoid and tanh"
        + (others.isEmpty ? "" : ", beside " + others.joined(separator: " and ")) + "\n\n"
    out += "Generated by `gatekernels accuracy`; do not edit. Regenerate with:\n\n```\n\(command)\n```\n\n"
    out += "Reference: double-precision `exp`/`tanh` rounded to float. ulp columns count inputs whose true "
        + "result is a normal float; \"meets\" is the tightest tier of docs/design.md whose whole contract "
        + "(bound, monotonicity, range, NaN, specials, oddness) the implementation satisfies on these inputs; "
        + "\"cpu s\" is the CPU time spent in the implementation and its statistics (the shared reference excluded); "
        + "\"sweep s\" (with --separate) is the wall time of the implementation's own sweep, reference included.\n"
    if let plot { out += "\n![error against x](\(plot))\n" }
    for s in sweeps {
        out += "\n## \(s.function)\n\n\(s.headline)\n\n\(s.mainTable.markdown())\n"
        out += "\nulp histogram (% of inputs whose true result is a normal float):\n\n\(s.histogramTable.markdown())\n"
        out += "\nSpecial values (saturation: first x of the exact low and high values):\n\n\(s.specialsTable.markdown())\n"
        if !s.legend.isEmpty { out += "\nOthers:\n\n" + s.legend.map { "- \($0)" }.joined(separator: "\n") + "\n" }
        if !s.notes.isEmpty { out += "\nContract failures:\n\n" + s.notes.map { "- \($0)" }.joined(separator: "\n") + "\n" }
    }
    for h in halves {
        out += "\n## \(h.function) \(h.format)\n\n\(h.headline)\n\n\(h.table.markdown())\n"
        if !h.notes.isEmpty { out += "\nContract failures:\n\n" + h.notes.map { "- \($0)" }.joined(separator: "\n") + "\n" }
    }
    return out
}

/// A float as JSON: a number when finite (its shortest decimal form), else "inf", "-inf" or "nan".
private func json(_ x: Float) -> Any { x.isFinite ? Double("\(x)")! : format(x) }
/// The first input that failed a check, or null when none did.
private func first(_ x: Float, _ count: UInt64) -> Any { count > 0 ? json(x) : NSNull() }
func json(_ x: Double) -> Any { x.isFinite ? x : significant(x) }

extension Result {
    var dictionary: [String: Any] {
        let s = stats
        var d: [String: Any] = [
            "implementation": subject.name, "label": subject.label, "function": subject.function.rawValue,
            "inputs": s.inputs, "ulp_inputs": s.ulp_inputs,
            "max_ulp": s.max_ulp, "max_ulp_x": json(s.max_ulp_x),
            "max_ulp_fractional": json(s.max_ulp_frac), "max_ulp_fractional_x": json(s.max_ulp_frac_x),
            "max_abs": json(s.max_abs), "max_abs_x": json(s.max_abs_x),
            "max_rel": json(s.max_rel), "max_rel_x": json(s.max_rel_x),
            "mean_abs": json(meanAbs), "exact_percent": exactPercent,
            "ulp_histogram": Dictionary(uniqueKeysWithValues: zip(histogramLabels, histogram)),
            "monotonicity_violations": s.monotonicity_violations, "first_violation_x": first(s.first_violation_x, s.monotonicity_violations),
            "out_of_range": s.out_of_range, "first_out_of_range_x": first(s.first_out_of_range_x, s.out_of_range),
            "nonfinite": s.nonfinite, "first_nonfinite_x": first(s.first_nonfinite_x, s.nonfinite),
            "nan_inputs": s.nan_inputs, "nan_not_propagated": s.nan_not_propagated,
            "first_nan_not_propagated_bits": s.nan_not_propagated > 0 ? "0x" + String(s.first_nan_not_propagated_bits, radix: 16) : NSNull(),
            "specials": Dictionary(uniqueKeysWithValues: zip(Result.specialNames, specials).map { name, r in
                (name, ["pass": r.pass != 0, "x": json(r.x), "y": json(r.y), "expected": json(r.expected)] as [String: Any])
            }),
            "saturates_at": [json(specials[Int(CK_SPECIAL_SAT_LOW.rawValue)].sat_x),
                             json(specials[Int(CK_SPECIAL_SAT_HIGH.rawValue)].sat_x)],
            "meets": meets, "cpu_seconds": s.seconds,
        ]
        if let sweepSeconds { d["sweep_wall_seconds"] = sweepSeconds }
        if subject.function == .tanh {
            d["odd_violations"] = s.odd_violations
            d["first_odd_violation_x"] = first(s.first_odd_violation_x, s.odd_violations)
        }
        if let tier = subject.tier, let isa = subject.isa {
            d["tier"] = tier.description
            d["isa"] = isa.description
        }
        if let tier = subject.contractTier {
            d["contract"] = ["tier": tier.description, "bound": tier.bound.description, "pass": contractFailures.isEmpty,
                             "failures": contractFailures] as [String: Any]
        }
        return d
    }
}

extension InputSet {
    /// The inputs a certificate's `inputs_swept` describes.
    init?(certificate d: [String: Any]) {
        func float(_ v: Any?) -> Float? { (v as? NSNumber).map { Float($0.doubleValue) } ?? (v as? String).flatMap(Float.init) }
        guard let lo = float(d["first_x"]), let hi = float(d["last_x"]), !lo.isNaN, !hi.isNaN, lo <= hi,
              let stride = (d["stride"] as? NSNumber)?.uint64Value, stride >= 1 else { return nil }
        self.init(first: ck_ordered_index(lo), last: ck_ordered_index(hi), stride: stride)
    }

    var dictionary: [String: Any] {
        ["first_x": json(firstX), "last_x": json(lastX), "stride": stride, "count": count,
         "exhaustive": isExhaustive, "description": description]
    }
}

func jsonData(_ object: Any) throws -> Data {
    try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
}

func renderJSON(_ sweeps: [Sweep], _ halves: [HalfSweep]) throws -> String {
    let runs = sweeps.map { s -> [String: Any] in
        ["function": s.function.rawValue, "inputs": s.inputs.dictionary, "threads": s.threads,
         "wall_seconds": s.wallSeconds, "nan_patterns": s.results.first?.stats.nan_inputs ?? 0,
         "results": s.results.map(\.dictionary)]
    }
    var object = Provenance.json.merging(["sweeps": runs]) { $1 }
    if !halves.isEmpty { object["half_sweeps"] = halves.map(\.dictionary) }
    return String(decoding: try jsonData(object), as: UTF8.self) + "\n"
}

func renderCSV(_ sweeps: [Sweep]) -> String {
    let headers = ["function", "implementation", "tier", "isa", "inputs", "stride", "max_ulp", "max_ulp_x",
                   "max_ulp_fractional", "max_abs", "max_abs_x", "max_rel", "max_rel_x", "mean_abs", "exact_percent"]
        + histogramLabels.map { "hist_\($0)" }
        + ["monotonicity_violations", "out_of_range", "nonfinite", "nan_inputs", "nan_not_propagated",
           "odd_violations", "specials_passed", "specials_total", "meets", "contract", "cpu_seconds"]
    var lines = [headers.joined(separator: ",")]
    for sweep in sweeps {
        for r in sweep.results {
            let s = r.stats
            let contract = r.subject.contractTier == nil ? "" : (r.contractFailures.isEmpty ? "pass" : "fail")
            let cells: [String] = [sweep.function.rawValue, r.subject.name, r.subject.tier?.description ?? "",
                                   r.subject.isa?.description ?? "", "\(s.inputs)", "\(sweep.inputs.stride)",
                                   "\(s.max_ulp)", format(s.max_ulp_x), "\(s.max_ulp_frac)", "\(s.max_abs)",
                                   format(s.max_abs_x), "\(s.max_rel)", format(s.max_rel_x), "\(r.meanAbs)",
                                   "\(r.exactPercent)"]
                + r.histogram.map { "\($0)" }
                + ["\(s.monotonicity_violations)", "\(s.out_of_range)", "\(s.nonfinite)", "\(s.nan_inputs)",
                   "\(s.nan_not_propagated)", sweep.function == .tanh ? "\(s.odd_violations)" : "",
                   "\(r.specialsPassed)", "\(r.specials.count)", r.meets, contract, "\(s.seconds)"]
            lines.append(cells.joined(separator: ","))
        }
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Writes one certificate per function and implementation (every tier and ISA, plug-in and peer;
/// not the zoo) into `directory`; returns the paths.
func writeCertificates(_ sweeps: [Sweep], to directory: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var paths: [String] = []
    let date = ISO8601DateFormatter().string(from: Date())
    for sweep in sweeps {
        for r in sweep.results {
            guard let file = r.subject.certificateName else { continue }
            var cert = certificate(r, sweep)
            cert["generated_at"] = date
            let path = (directory as NSString).appendingPathComponent("\(sweep.function)-\(file).json")
            try jsonData(cert).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
    }
    return paths
}

/// The certificate of one result: what was swept (`implementation`), where (`machine`), over which
/// inputs (`inputs_swept`), every check's outcome (`results`: what `--verify` compares), and how
/// long it took (`timing`).
func certificate(_ r: Result, _ sweep: Sweep) -> [String: Any] {
    var results = r.dictionary
    let identity = ["implementation", "label", "tier", "isa"], timing = ["cpu_seconds", "sweep_wall_seconds"]
    for key in identity + timing { results[key] = nil }
    return Provenance.json.merging([
        "function": sweep.function.rawValue,
        "implementation": r.subject.identity,
        "machine": Machine.json,
        "inputs_swept": sweep.inputs.dictionary,
        "results": results,
        "timing": ["cpu_seconds": r.stats.seconds, "sweep_wall_seconds": r.sweepSeconds ?? sweep.wallSeconds],
    ]) { $1 }
}

extension Subject {
    /// The part of a certificate's file name after the function; nil for the zoo, which is not certified.
    var certificateName: String? {
        switch kind {
        case .kernel(let k): "\(k.tier)-\(k.isa.map { "\($0)" } ?? "active")"
        case .zoo: nil
        case .plugin(let p): "\((p.path as NSString).lastPathComponent)-\(p.symbol)"
        case .peer: name
        }
    }

    /// What was swept, as a certificate names it.
    var identity: [String: Any] {
        var d: [String: Any] = ["name": name, "label": label]
        switch kind {
        case .kernel(let k):
            d["kind"] = "gatekernels"
            d["tier"] = k.tier.description
            d["isa"] = k.isa?.description ?? ISA.active.description
        case .zoo:
            d["kind"] = "zoo"
        case .plugin(let p):
            d["kind"] = "plugin"
            d["path"] = p.path
            d["symbol"] = p.symbol
            d["loaded_from"] = p.loadedFrom ?? NSNull()
        case .peer(let e):
            d["kind"] = "peer"
            d["library"] = String(cString: e.library)
            d["library_version"] = e.version.pointee == 0 ? NSNull() : String(cString: e.version)
        }
        return d
    }
}

/// The machine a sweep ran on: CPU, architecture, operating system and the instruction sets.
enum Machine {
    static var json: [String: Any] {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return ["cpu": cpuModel ?? NSNull(), "architecture": field(u.machine), "os": "\(field(u.sysname)) \(field(u.release))",
                "cores": ProcessInfo.processInfo.activeProcessorCount,
                "isas_supported": ISA.supported.map(\.description), "isa_active": ISA.active.description]
    }

    /// The CPU's model name (Linux: /proc/cpuinfo), or nil.
    static var cpuModel: String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
