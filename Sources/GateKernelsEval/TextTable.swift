import Foundation

/// A table of text cells, rendered aligned for a terminal or as GitHub markdown: the one table
/// renderer of `gatekernels`.
public struct TextTable: Sendable {
    /// The column headers.
    public var headers: [String]
    /// The rows, each with one cell per header.
    public var rows: [[String]]
    /// Columns (by index) that hold text and are left-aligned; the rest are numbers, right-aligned.
    public var leftColumns: Set<Int>

    /// A table with `headers`, `rows` and the text columns `leftColumns`.
    public init(headers: [String], rows: [[String]] = [], leftColumns: Set<Int> = [0]) {
        self.headers = headers
        self.rows = rows
        self.leftColumns = leftColumns
    }

    private var widths: [Int] { headers.indices.map { c in rows.reduce(headers[c].count) { max($0, $1[c].count) } } }

    /// Columns separated by two spaces, numbers right-aligned, no trailing blanks.
    public func text() -> String {
        let widths = widths
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return leftColumns.contains(c) ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    /// GitHub markdown with the columns' alignment, cells unpadded (for files).
    public func markdown() -> String {
        let align = headers.indices.map { leftColumns.contains($0) ? "---" : "--:" }
        return ([headers, align] + rows).map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n")
    }

    /// GitHub markdown with every cell padded to its column's width, left-aligned (for a terminal).
    public func paddedMarkdown() -> String {
        let widths = widths
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        return ([line(headers), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
            + rows.map(line)).joined(separator: "\n")
    }
}

/// `v` with `digits` decimals ("%.3f"); empty when it is not finite (a ratio that was not measured).
public func fixed(_ v: Double, _ digits: Int = 3) -> String {
    v.isFinite ? String(format: "%.\(digits)f", v) : ""
}

/// `v` to three significant digits ("%.3g"), "inf" or "nan".
public func significant(_ v: Double) -> String { v.isInfinite ? "inf" : v.isNaN ? "nan" : String(format: "%.3g", v) }

/// A size in elements as `gatekernels` prints it: 4K, 16M (exact multiples of 1024 and 1024²), else the number.
public func sizeLabel(_ n: Int) -> String {
    n >= 1 << 20 && n % (1 << 20) == 0 ? "\(n >> 20)M" : n >= 1024 && n % 1024 == 0 ? "\(n >> 10)K" : "\(n)"
}
