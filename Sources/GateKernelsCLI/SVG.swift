import Foundation

/// A dependency-free chart (lines or labelled points) with axes, ticks, labels and a legend, drawn
/// as SVG; several charts stack vertically in one document.
struct SVGChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        /// Draw each point as a labelled dot instead of joining them with a line.
        var scatter = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var xLog = false
    var yLog = false
    var series: [Series] = []

    static let width = 1000.0, height = 440.0
    private static let left = 80.0, right = 290.0, top = 40.0, bottom = 55.0
    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                                  "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#ad494a", "#637939", "#e7969c",
                                  "#6b6ecf", "#8ca252", "#bd9e39", "#a55194", "#5254a3", "#843c39"]

    /// Line styles by series index: the first solid and widest, drawn at the bottom; each later one
    /// narrower and dashed with a pattern of its own, so that lines lying on each other all stay
    /// visible (a lower one shows through the gaps and at the edges of those above it). The periods
    /// (13, 5, 23, 9, 17, 19, 4, 11, 29) are pairwise coprime: two dashed lines' gaps drift apart.
    private static let lineStyles: [(dashes: String?, width: Double)] = [
        (nil, 3.5), ("9,4", 2.6), ("2,3", 2.4), ("12,3,4,4", 2.2), ("5,4", 2.0), ("13,4", 1.8),
        ("3,3,9,4", 1.7), ("1,3", 1.6), ("6,5", 1.5), ("20,3,3,3", 1.4),
    ]

    private static func lineStyle(_ index: Int) -> String {
        let style = lineStyles[index % lineStyles.count]
        return "stroke-width=\"\(style.width)\"" + (style.dashes.map { " stroke-dasharray=\"\($0)\"" } ?? "")
    }

    private var plotW: Double { Self.width - Self.left - Self.right }
    private var plotH: Double { Self.height - Self.top - Self.bottom }

    /// The data range of one axis, widened to whole decades (log) or to nice ticks (linear).
    private func axis(_ values: [Double], log: Bool) -> (lo: Double, hi: Double, ticks: [Double]) {
        let v = values.filter { $0.isFinite && (!log || $0 > 0) }
        guard var lo = v.min(), var hi = v.max() else { return (log ? 1 : 0, log ? 10 : 1, []) }
        if log {
            // whole decades, with room for points that sit close to a decade line
            lo = Foundation.pow(10, Foundation.floor(Foundation.log10(lo) - 0.15))
            hi = Foundation.pow(10, Foundation.ceil(Foundation.log10(hi) + 0.15))
            if hi <= lo { hi = lo * 10 }
            let decades = Int((Foundation.log10(hi) - Foundation.log10(lo)).rounded())
            let step = max(1, (decades + 9) / 10)
            let ticks = stride(from: 0, through: decades, by: step).map { lo * Foundation.pow(10, Double($0)) }
            return (lo, hi, ticks)
        }
        if hi <= lo { hi = lo + 1 }
        let raw = (hi - lo) / 8
        let mag = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        lo = Foundation.floor(lo / step) * step
        hi = Foundation.ceil(hi / step) * step
        return (lo, hi, stride(from: lo, through: hi + step / 2, by: step).map { $0 })
    }

    private func position(_ v: Double, _ a: (lo: Double, hi: Double, ticks: [Double]), log: Bool) -> Double {
        log ? (Foundation.log10(v) - Foundation.log10(a.lo)) / (Foundation.log10(a.hi) - Foundation.log10(a.lo))
            : (v - a.lo) / (a.hi - a.lo)
    }

    private func tickLabel(_ v: Double, log: Bool) -> String {
        if log {
            let e = Int(Foundation.log10(v).rounded())
            return (-2...3).contains(e) ? String(format: "%g", v) : "1e\(e)"
        }
        return String(format: "%g", v)
    }

    /// The chart as an SVG group, its top-left corner at (0, `y`).
    func render(y offset: Double) -> String {
        let all = series.flatMap(\.points)
        let xa = axis(all.map(\.x), log: xLog), ya = axis(all.map(\.y), log: yLog)
        func px(_ x: Double) -> Double { Self.left + plotW * position(x, xa, log: xLog) }
        func py(_ y: Double) -> Double { Self.top + plotH * (1 - position(y, ya, log: yLog)) }
        var s = "<g transform=\"translate(0,\(offset))\">\n"
        s += "<text x=\"\(Self.left + plotW / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">\(esc(title))</text>\n"
        s += "<rect x=\"\(Self.left)\" y=\"\(Self.top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>\n"
        for t in xa.ticks {
            let x = px(t)
            s += "<line x1=\"\(x)\" y1=\"\(Self.top)\" x2=\"\(x)\" y2=\"\(Self.top + plotH)\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(x)\" y=\"\(Self.top + plotH + 18)\" text-anchor=\"middle\" font-size=\"12\">\(tickLabel(t, log: xLog))</text>\n"
        }
        for t in ya.ticks {
            let y = py(t)
            s += "<line x1=\"\(Self.left)\" y1=\"\(y)\" x2=\"\(Self.left + plotW)\" y2=\"\(y)\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(Self.left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\" font-size=\"12\">\(tickLabel(t, log: yLog))</text>\n"
        }
        s += "<text x=\"\(Self.left + plotW / 2)\" y=\"\(Self.height - 12)\" text-anchor=\"middle\" font-size=\"13\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(18,\(Self.top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">\(esc(yLabel))</text>\n"
        s += "<clipPath id=\"clip\(Int(offset))\"><rect x=\"\(Self.left)\" y=\"\(Self.top)\" width=\"\(plotW)\" height=\"\(plotH)\"/></clipPath>\n"
        let plotted = series.map { ser in
            ser.points.filter { $0.x.isFinite && $0.y.isFinite && (!xLog || $0.x > 0) && (!yLog || $0.y > 0) }
                .map { (x: px($0.x), y: py($0.y)) }
        }
        for (i, (ser, pts)) in zip(series, plotted).enumerated() where !ser.scatter {
            let path = pts.map { String(format: "%.1f,%.1f", $0.x, $0.y) }.joined(separator: " ")
            s += "<polyline clip-path=\"url(#clip\(Int(offset)))\" points=\"\(path)\" fill=\"none\" stroke=\"\(Self.palette[i % Self.palette.count])\" \(Self.lineStyle(i))/>\n"
        }
        // every dot before any label, so that labels can keep clear of all of them
        let dots = zip(series, plotted).enumerated().filter { $0.element.0.scatter }
            .flatMap { i, sp in sp.1.map { (series: i, point: $0) } }
        for d in dots {
            s += "<circle cx=\"\(d.point.x)\" cy=\"\(d.point.y)\" r=\"\(Self.dotRadius)\" fill=\"\(Self.palette[d.series % Self.palette.count])\"/>\n"
        }
        var taken = dots.map { d in
            Box(x0: d.point.x - Self.dotRadius - 1, y0: d.point.y - Self.dotRadius - 1,
                x1: d.point.x + Self.dotRadius + 1, y1: d.point.y + Self.dotRadius + 1)
        }
        for d in dots {
            let name = series[d.series].name
            let (lx, ly) = place(name, near: d.point, avoiding: &taken)
            s += "<text x=\"\(lx)\" y=\"\(ly)\" font-size=\"11\" fill=\"\(Self.palette[d.series % Self.palette.count])\">\(esc(name))</text>\n"
        }
        for (i, ser) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let ly = Self.top + 10 + Double(i) * 20, lx = Self.left + plotW + 16
            if ser.scatter {
                s += "<circle cx=\"\(lx + 12)\" cy=\"\(ly)\" r=\"\(Self.dotRadius)\" fill=\"\(color)\"/>\n"
            } else {
                s += "<line x1=\"\(lx)\" y1=\"\(ly)\" x2=\"\(lx + 24)\" y2=\"\(ly)\" stroke=\"\(color)\" \(Self.lineStyle(i))/>\n"
            }
            s += "<text x=\"\(lx + 30)\" y=\"\(ly + 4)\" font-size=\"12\">\(esc(ser.name))</text>\n"
        }
        return s + "</g>\n"
    }

    private static let dotRadius = 5.0

    /// A rectangle in SVG coordinates (y grows downwards).
    private struct Box {
        var x0, y0, x1, y1: Double
        func overlaps(_ o: Box) -> Bool { x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1 }
    }

    /// Where a dot's label goes: right of the dot, else left of it, each moved up or down in steps,
    /// at the first place inside the plot that overlaps no dot and no label placed before (greedy,
    /// good enough for a few dozen dots). Falls back to right of the dot.
    private func place(_ text: String, near p: (x: Double, y: Double), avoiding taken: inout [Box]) -> (Double, Double) {
        let w = 6.3 * Double(text.count), h = 12.0
        let plot = Box(x0: Self.left, y0: Self.top, x1: Self.left + plotW, y1: Self.top + plotH)
        for step in 0..<40 {
            let dy = Double((step + 1) / 2) * 13 * (step % 2 == 0 ? 1 : -1)
            for x in [p.x + Self.dotRadius + 3, p.x - Self.dotRadius - 3 - w] {
                let y = p.y + 4 + dy
                let box = Box(x0: x, y0: y - h + 2, x1: x + w, y1: y + 2)
                let inside = box.x0 >= plot.x0 && box.x1 <= plot.x1 && box.y0 >= plot.y0 && box.y1 <= plot.y1
                if inside && !taken.contains(where: box.overlaps) {
                    taken.append(box)
                    return (x, y)
                }
            }
        }
        return (p.x + Self.dotRadius + 3, p.y + 4)
    }

    /// A standalone SVG document with `charts` one under the other.
    static func document(_ charts: [SVGChart]) -> String {
        let h = height * Double(charts.count)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(h)\" viewBox=\"0 0 \(width) \(h)\" font-family=\"sans-serif\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (i, c) in charts.enumerated() { s += c.render(y: Double(i) * height) }
        return s + "</svg>\n"
    }
}

private func esc(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
}
