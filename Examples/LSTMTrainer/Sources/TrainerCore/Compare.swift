import Foundation

/// Trains the same model from the same seed with every gate backend (precise, fast, approximate,
/// libm), one step of each in turn, so that machine load hits all of them alike; the speeds are
/// medians of those interleaved steps.
public func compareBackends(_ config: TrainerConfig, backends: [GateBackend] = GateBackend.allCases,
                            every: Int = 100, progress: (GateBackend, ProgressLine) -> Void = { _, _ in }) throws -> [TrainingResult] {
    let trainers = try backends.map { backend in
        var c = config
        c.backend = backend
        return try Trainer(c)
    }
    let start = now()
    for k in 1...config.trainingSteps {
        for trainer in trainers { trainer.step() }
        if k % every == 0 || k == config.trainingSteps {
            let elapsed = Double(now() - start) / 1e9
            for trainer in trainers {
                let recent = trainer.losses.suffix(every)
                progress(trainer.config.backend,
                         ProgressLine(step: k, of: config.trainingSteps, loss: recent.reduce(0, +) / Double(recent.count),
                                      elapsed: elapsed, task: config.task))
            }
        }
    }
    return trainers.map { $0.result() }
}

/// The adding problem counts as learned once the 50-step mean training MSE is below this.
public let addingLearnedMSE = 0.01

/// The comparison as a markdown table.
public func comparisonTable(_ results: [TrainingResult], task: Task) -> String {
    let adding = if case .adding = task { true } else { false }
    let lossName = adding ? "MSE" : "cross-entropy (bits/char)"
    let toBits = adding ? 1 : 1 / log(2.0)
    var lines = [
        "| gates | final train \(lossName), mean of last 100 steps | held-out \(lossName) | "
            + (adding ? "held-out accuracy (abs error < \(addingTolerance)) | steps until train MSE < \(addingLearnedMSE)"
                      : "held-out next-char accuracy")
            + " | first step whose loss differs from precise's: at all / by > 1% | steps/s (median step) | training time (s) | time in gate updates | time in BLAS |",
        "|---|---|---|---|---|---|---|---|---|" + (adding ? "---|" : ""),
    ]
    let precise = results.first { $0.backend == .kernels(.precise) }
    for r in results {
        var cells = [
            r.backend.description,
            String(format: "%.5f", r.finalLoss() * toBits),
            String(format: "%.5f", r.testLoss * toBits),
            String(format: "%.1f%%", 100 * r.testAccuracy),
        ]
        if adding { cells.append(r.stepsToReach(addingLearnedMSE).map(String.init) ?? "never") }
        cells += [
            precise.map { p in
                r.backend == p.backend ? "–" : [0, 0.01].map { r.divergenceStep(from: p, relative: $0).map(String.init) ?? "never" }
                    .joined(separator: " / ")
            } ?? "–",
            String(format: "%.1f", r.stepsPerSecond),
            String(format: "%.1f", Double(r.totalNanos) / 1e9),
            String(format: "%.1f%%", 100 * r.profile.gateShare),
            String(format: "%.1f%%", 100 * r.profile.blasShare),
        ]
        lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Runs `compareBackends` for each of `seeds` and summarizes every backend over them: a single
/// seed cannot tell a tier's effect from the chaotic divergence that any rounding difference
/// starts, so compare each tier's spread with the libm row's.
public func seedSummaryTable(_ runs: [[TrainingResult]], task: Task) -> String {
    let adding = if case .adding = task { true } else { false }
    let toBits = adding ? 1 : 1 / log(2.0)
    let unit = adding ? "MSE" : "bits/char"
    var lines = [
        "| gates | seeds | held-out \(unit): median | best | worst | "
            + (adding ? "seeds learned (train MSE < \(addingLearnedMSE)) | median steps until learned |" : "median final train bits/char |"),
        "|---|---|---|---|---|---|" + (adding ? "---|" : ""),
    ]
    for (k, backend) in (runs.first ?? []).map(\.backend).enumerated() {
        let results = runs.map { $0[k] }
        let held = results.map { $0.testLoss * toBits }.sorted()
        var cells = [backend.description, "\(results.count)", String(format: "%.5f", median(held)),
                     String(format: "%.5f", held.first!), String(format: "%.5f", held.last!)]
        if adding {
            let learned = results.compactMap { $0.stepsToReach(addingLearnedMSE) }.map(Double.init).sorted()
            cells.append("\(learned.count)/\(results.count)")
            cells.append(learned.isEmpty ? "–" : String(format: "%.0f", median(learned)))
        } else {
            cells.append(String(format: "%.4f", median(results.map { $0.finalLoss() * toBits }.sorted())))
        }
        lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
}

private func median(_ sorted: [Double]) -> Double {
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/// The training-loss curves of all results on one set of axes (log-scale loss against step), each
/// smoothed with a moving average over `window` steps; for the adding problem, the mean-predictor
/// baseline as a dashed line. A self-contained SVG (no plotting dependency).
public func lossCurvesSVG(_ results: [TrainingResult], task: Task, title: String, window: Int = 50) -> String {
    let adding = if case .adding = task { true } else { false }
    let scale = adding ? 1 : 1 / log(2.0)
    let curves = results.map { smoothed($0.losses.map { $0 * scale }, window) }
    let (width, height) = (820.0, 500.0), (left, right, top, bottom) = (80.0, 180.0, 50.0, 60.0)
    let plotW = width - left - right, plotH = height - top - bottom
    let steps = curves.map(\.count).max() ?? 1
    var values = curves.flatMap { $0 }.filter { $0 > 0 && $0.isFinite }
    if adding { values.append(addingBaseline) }
    // The axis runs between the 1-2-5 values just outside the data.
    let ticks = (-8...8).flatMap { e in [1.0, 2, 5].map { $0 * pow(10, Double(e)) } }
    let lowest = values.min() ?? 1e-3, highest = values.max() ?? 1
    let yMin = log10(ticks.last { $0 <= lowest } ?? lowest)
    let yMax = log10(ticks.first { $0 > max(highest, pow(10, yMin)) } ?? highest)
    func x(_ step: Double) -> Double { left + plotW * step / Double(max(steps, 1)) }
    func y(_ v: Double) -> Double { top + plotH * (yMax - log10(v)) / (yMax - yMin) }
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#000000", "#9467bd", "#ff7f0e"]
    var svg = """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="13">
    <rect width="100%" height="100%" fill="white"/>
    <text x="\(left + plotW / 2)" y="28" text-anchor="middle" font-size="15">\(escape(title))</text>

    """
    // Grid and y labels at 1, 2, 5 times each power of ten inside the range.
    for e in Int(floor(yMin))...Int(ceil(yMax)) {
        for m in [1.0, 2.0, 5.0] {
            let v = m * pow(10, Double(e))
            guard log10(v) >= yMin - 1e-9, log10(v) <= yMax + 1e-9 else { continue }
            let yy = y(v)
            svg += "<line x1=\"\(left)\" y1=\"\(f(yy))\" x2=\"\(left + plotW)\" y2=\"\(f(yy))\" stroke=\"#ddd\"/>\n"
            svg += "<text x=\"\(left - 6)\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(String(format: "%g", v))</text>\n"
        }
    }
    let xTick = niceStep(Double(steps) / 6)
    for s in stride(from: 0.0, through: Double(steps), by: xTick) {
        svg += "<line x1=\"\(f(x(s)))\" y1=\"\(top)\" x2=\"\(f(x(s)))\" y2=\"\(top + plotH)\" stroke=\"#eee\"/>\n"
        svg += "<text x=\"\(f(x(s)))\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(Int(s))</text>\n"
    }
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>\n"
    svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 15)\" text-anchor=\"middle\">training step</text>\n"
    let yName = adding ? "training MSE (\(window)-step mean, log scale)" : "training bits/char (\(window)-step mean, log scale)"
    svg += "<text transform=\"translate(20 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">\(yName)</text>\n"
    if adding {
        let yy = y(addingBaseline)
        svg += "<line x1=\"\(left)\" y1=\"\(f(yy))\" x2=\"\(left + plotW)\" y2=\"\(f(yy))\" stroke=\"#888\" stroke-dasharray=\"6 4\"/>\n"
        svg += "<text x=\"\(left + plotW - 4)\" y=\"\(f(yy - 5))\" text-anchor=\"end\" fill=\"#666\">predict the mean: 1/6</text>\n"
    }
    for (k, (result, curve)) in zip(results, curves).enumerated() {
        let color = colors[k % colors.count]
        let points = curve.enumerated().filter { $0.element > 0 && $0.element.isFinite }
            .map { "\(f(x(Double($0.offset + 1)))),\(f(y($0.element)))" }
        // Dashes distinguish curves that lie on top of each other.
        let dash = k == 0 ? "" : " stroke-dasharray=\"\([8, 5, 2][(k - 1) % 3]) 3\""
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(dash) points=\"\(points.joined(separator: " "))\"/>\n"
        let ly = top + 20 + Double(k) * 22
        svg += "<line x1=\"\(left + plotW + 15)\" y1=\"\(ly)\" x2=\"\(left + plotW + 45)\" y2=\"\(ly)\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
        svg += "<text x=\"\(left + plotW + 52)\" y=\"\(ly + 4)\">\(escape(result.backend.description))</text>\n"
    }
    return svg + "</svg>\n"
}

private func smoothed(_ v: [Double], _ window: Int) -> [Double] {
    var out: [Double] = [], sum = 0.0
    for (k, value) in v.enumerated() {
        sum += value
        if k >= window { sum -= v[k - window] }
        out.append(sum / Double(min(k + 1, window)))
    }
    return out
}

private func niceStep(_ raw: Double) -> Double {
    let p = pow(10, floor(log10(max(raw, 1))))
    return [1.0, 2, 5, 10].map { $0 * p }.first { $0 >= raw } ?? 10 * p
}

private func f(_ v: Double) -> String { String(format: "%.1f", v) }
private func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
}
