extension Figure {
    /// One heat map per panel, all of the same `rows × cols` shape, laid out in a grid of
    /// `columns` panels per row, each with its title above it, on one colour scale: attention
    /// probabilities per head, say, with the tokens as row and column labels.
    ///
    /// ```swift
    /// let fig = Figure.heatMaps("attention", title: "Which token looks at which (cf. §3)",
    ///                           panels: heads, rowLabels: tokens, columnLabels: tokens, columns: 2,
    ///                           x: "attended token (key)", y: "attending token (query)",
    ///                           colorBar: .init(label: "attention probability", range: 0...1))
    /// ```
    ///
    /// - `panels[i].values`: `rows × cols` values, row after row, row 0 at the top; NaN marks a
    ///   masked cell (drawn grey). Panel `i` goes to grid row `i / columns`, column `i % columns`.
    /// - `columnLabels` label the columns under each panel column of the grid, `rowLabels` the
    ///   rows left of each panel row.
    ///
    /// Layout in cells: panels are `gap` cells apart sideways and `gap + 1` apart downwards (the
    /// extra row holds the title). The PNG is `width` pixels wide and as tall as the grid's
    /// proportions ask, with room for the labels.
    public static func heatMaps(
        _ name: String, title: String, panels: [(title: String, values: [Double])], rowLabels: [String],
        columnLabels: [String], columns: Int, x xLabel: String, y yLabel: String, colorBar: ColorBar, width: Int = 1400
    ) -> Figure {
        let (rows, cols) = (rowLabels.count, columnLabels.count)
        precondition(!panels.isEmpty && rows > 0 && cols > 0 && columns > 0, "heatMaps: no panels, labels or columns")
        for (i, panel) in panels.enumerated() {
            precondition(
                panel.values.count == rows * cols,
                "heatMaps: panel \(i) has \(panel.values.count) values, expected \(rows)×\(cols)")
        }
        let layout = HeatMapLayout(rows: rows, cols: cols, columns: min(columns, panels.count), count: panels.count)
        var figure = Figure(name, title: title, x: xLabel, y: yLabel)
        figure.legend = .hidden
        figure.colorBar = colorBar
        figure.xRange = -0.5...(Double(layout.width) - 0.5)
        figure.yRange = (-0.5 - Double(layout.titleBand))...(Double(layout.height) - 0.5)
        var xTics: [(Double, String)] = []
        for c in 0..<layout.columns {
            let x0 = layout.origin(of: c).x
            xTics += columnLabels.enumerated().map { (x0 + Double($0.offset), $0.element) }
        }
        var yTics: [(Double, String)] = []
        for r in 0..<layout.rows {
            let y0 = layout.origin(of: r * layout.columns).y
            yTics += rowLabels.enumerated().map { (y0 + Double($0.offset), $0.element) }
        }
        figure.xTics = xTics
        figure.yTics = yTics
        for (i, panel) in panels.enumerated() {
            let (x0, y0) = layout.origin(of: i)
            figure.add(.heatMap(panel.values, rows: rows, cols: cols, x: x0, y: y0))
            figure.annotate(.text(panel.title, x: x0 + Double(cols - 1) / 2, y: y0 - 1.2, color: .black))
        }
        // Square cells: the plot area keeps the grid's proportions; the row labels, the axis
        // label and the colour bar take about 380 pixels across, the title and the column labels
        // about 260 down.
        let cell = Double(width - 380) / Double(layout.width)
        figure.size = (width, Int(cell * Double(layout.height + layout.titleBand)) + 260)
        return figure
    }
}

/// Where each panel of `Figure.heatMaps` sits, in cells.
struct HeatMapLayout {
    let rows: Int
    let cols: Int
    let columns: Int
    /// Panel rows of the grid.
    let gridRows: Int
    /// Blank cells between neighbouring panels.
    let gap: Int
    /// Cells above each panel for its title.
    let titleBand = 2

    init(rows: Int, cols: Int, columns: Int, count: Int) {
        self.rows = rows
        self.cols = cols
        self.columns = columns
        self.gridRows = max(1, (count + columns - 1) / columns)
        self.gap = max(2, cols / 6)
    }

    /// Width of the grid in cells.
    var width: Int { columns * cols + (columns - 1) * gap }
    /// Height of the grid in cells, below the first panel's title band.
    var height: Int { gridRows * rows + (gridRows - 1) * (gap + titleBand) }

    /// Centre of panel `i`'s cell (0, 0).
    func origin(of i: Int) -> (x: Double, y: Double) {
        let (r, c) = (i / columns, i % columns)
        return (Double(c * (cols + gap)), Double(r * (rows + gap + titleBand)))
    }
}
