/// A table printed with aligned columns: text left-aligned, numbers right-aligned.
///
/// ```swift
/// var t = Table(["n", "GFLOPS"])
/// t.row(["256", Format.fixed(41.3, 1)])
/// lesson.show(t)
/// ```
public struct Table: Sendable {
    /// Column headers.
    public var headers: [String]
    /// Rows of cells, each as many as `headers`.
    public private(set) var rows: [[String]] = []

    public init(_ headers: [String]) {
        self.headers = headers
    }

    /// Appends a row; it must have one cell per column.
    public mutating func row(_ cells: [String]) {
        precondition(
            cells.count == headers.count,
            "Table.row: \(cells.count) cells for \(headers.count) columns \(headers)")
        rows.append(cells)
    }

    /// The table as text: a header line, a rule, the rows; two spaces of indent.
    public func rendered() -> String {
        let columns = headers.indices
        let widths = columns.map { c in
            ([headers[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0
        }
        let numeric = numericColumns
        func line(_ cells: [String]) -> String {
            let padded = columns.map { c in
                Table.pad(cells[c], to: widths[c], right: numeric[c])
            }
            return "  " + padded.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [line(headers)]
        lines.append("  " + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }

    /// Which columns hold only numbers: they are aligned right, in the terminal and on the page.
    var numericColumns: [Bool] {
        headers.indices.map { c in !rows.isEmpty && rows.allSatisfy { Table.looksNumeric($0[c]) } }
    }

    static func pad(_ s: String, to width: Int, right: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }

    /// Numbers, percentages, "±" pairs, ratios like "2.0×" and "—" count as numeric.
    static func looksNumeric(_ s: String) -> Bool {
        if s == "—" || s == "-" { return true }
        let allowed = Set("0123456789.,-+eE%×x ±KMGkBs/")
        return !s.isEmpty && s.first.map { $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." } == true
            && s.allSatisfy { allowed.contains($0) }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
