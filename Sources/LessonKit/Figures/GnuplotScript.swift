import Foundation
import NOLAKit

/// Turns a `Figure` into a self-contained gnuplot script and a data file.
///
/// The script finds its data beside itself (through gnuplot's `ARG0`), so
/// `gnuplot plots/lesson07/coverage.gp` re-renders the PNG and SVG from the repository root, and
/// `gnuplot coverage.gp` does so from inside the folder. The data file holds one block per series,
/// separated by two blank lines, so series `i` is `index i` in the script.
struct GnuplotScript {
    let figure: Figure
    let lessonName: String

    struct Files {
        let script: URL
        let data: URL
    }

    /// Writes `<name>.gp` and `<name>.dat` into `folder`; a failure throws one line naming the
    /// file and the system's reason ("cannot write plots/lesson07/coverage.dat (Is a directory)").
    func write(to folder: URL) throws -> Files {
        let script = folder.appendingPathComponent(figure.name + ".gp")
        let data = folder.appendingPathComponent(figure.name + ".dat")
        for (url, text) in [(data, dataText()), (script, scriptText())] {
            do {
                try AtomicFile.write(Array(text.utf8), to: url)
            } catch {
                throw LessonIOError("cannot write \(url.relativeDisplayPath) (\(FileErrorReason.reason(error)))")
            }
        }
        return Files(script: script, data: data)
    }

    // MARK: Data

    func dataText() -> String {
        var blocks: [String] = []
        for (i, s) in figure.series.enumerated() {
            var lines = ["# index \(i): \(s.title.isEmpty ? "(no title)" : s.title)"]
            switch s.kind {
            case .lines(let x, let y, _), .points(let x, let y):
                lines.append("# x y")
                for j in x.indices { lines.append("\(num(x[j])) \(num(y[j]))") }
            case .errorBars(let x, let y, let e, _):
                lines.append("# x y error")
                for j in x.indices { lines.append("\(num(x[j])) \(num(y[j])) \(num(e[j]))") }
            case .boxes(let centers, let heights, let width):
                lines.append("# center height width")
                for j in centers.indices { lines.append("\(num(centers[j])) \(num(heights[j])) \(num(width))") }
            case .bars(let labels, let values, _):
                let (offset, width) = barPlacement(of: i)
                lines.append("# position value width label")
                for j in labels.indices {
                    lines.append("\(num(Double(j) + offset)) \(num(values[j])) \(num(width)) \(quoted(labels[j]))")
                }
            case .image(let pixels, let rows, let cols):
                lines.append("# \(rows) rows × \(cols) columns (gnuplot `matrix`)")
                for r in 0..<rows {
                    lines.append((0..<cols).map { num(pixels[r * cols + $0]) }.joined(separator: " "))
                }
            case .heatMap(let values, let rows, let cols, let x, let y):
                lines.append("# x y value: \(rows) rows × \(cols) columns, masked (non-finite) cells left out")
                for r in 0..<rows {
                    for c in 0..<cols where values[r * cols + c].isFinite {
                        lines.append("\(num(x + Double(c))) \(num(y + Double(r))) \(num(values[r * cols + c]))")
                    }
                }
            }
            blocks.append(lines.joined(separator: "\n"))
        }
        return blocks.joined(separator: "\n\n\n") + "\n"
    }

    /// Where bar series `i` sits within each category when several bar series share the figure.
    private func barPlacement(of index: Int) -> (offset: Double, width: Double) {
        let barSeries = figure.series.indices.filter {
            if case .bars = figure.series[$0].kind { return true } else { return false }
        }
        let n = Double(barSeries.count)
        let k = Double(barSeries.firstIndex(of: index) ?? 0)
        let width = 0.8 / n
        return (-0.4 + width * (k + 0.5), width)
    }

    // MARK: Script

    func scriptText() -> String {
        let f = figure
        let name = f.name
        var s: [String] = []
        s.append("# \(f.title)")
        s.append("# Written by \(lessonName) (NOLA Lessons in Swift). Edit freely, then re-render:")
        s.append("#   gnuplot <path to this file>     (writes \(name).png and \(name).svg beside it)")
        s.append("# The data is in \(name).dat beside this file: series i is `index i`.")
        s.append("")
        s.append("here = ARG0[1:strlen(ARG0) - strlen(\(quoted(name + ".gp")))]")
        s.append("data = here . \(quoted(name + ".dat"))")
        s.append("")
        s += settings()
        s.append("")
        s.append("do for [fmt in 'png svg'] {")
        s.append("    if (fmt eq 'png') {")
        s.append("        set terminal pngcairo size \(f.size.width),\(f.size.height) noenhanced font 'DejaVu Sans,12' linewidth 1.2")
        s.append("    } else {")
        s.append("        set terminal svg size \(f.size.width),\(f.size.height) dynamic noenhanced font 'DejaVu Sans,12' background '#ffffff'")
        s.append("    }")
        s.append("    set output here . \(quoted(name)) . '.' . fmt")
        s.append("    plot \\")
        let clauses = plotClauses()
        for (j, clause) in clauses.enumerated() {
            s.append("        " + clause + (j < clauses.count - 1 ? ", \\" : ""))
        }
        s.append("}")
        s.append("set output")
        return s.joined(separator: "\n") + "\n"
    }

    /// The figure's settings and its `plot` command without a terminal or output, reading its
    /// data from `dataFile`: what `--show` sends to the terminal's gnuplot after its own
    /// `set terminal`.
    func commands(dataFile: String) -> String {
        (["data = \(quoted(dataFile))"] + settings() + ["plot " + plotClauses().joined(separator: ", ")])
            .joined(separator: "\n")
    }

    /// Every `set` command of the figure: the house style, title, labels, axes, and annotations.
    private func settings() -> [String] {
        let f = figure
        var s: [String] = []
        s.append("# House style, the same in every lesson.")
        s.append("set border 3 lw 1.2 lc rgb '#333333'")
        s.append("set tics nomirror out scale 0.6")
        s.append("set grid back lc rgb '#e2e2e2' lw 1 dt 1")
        s.append("set style fill solid 0.55 border -1")
        s.append("set key \(legendCommand) Left reverse box lc rgb '#bbbbbb' opaque samplen 2.5 spacing 1.15")
        s.append("set title \(quoted(f.title)) font ',15'")
        s.append("set xlabel \(quoted(f.xLabel))")
        s.append("set ylabel \(quoted(f.yLabel))")
        if f.logX { s.append("set logscale x \(f.logBase)") }
        if f.logY { s.append("set logscale y \(f.logBase)") }
        if let r = f.xRange {
            let (from, to) = f.xDescending ? (r.upperBound, r.lowerBound) : (r.lowerBound, r.upperBound)
            s.append("set xrange [\(num(from)):\(num(to))]")
        } else if f.xDescending {
            s.append("set xrange [*:*] reverse")
        }
        if let r = f.yRange {
            // A heat map's row 0 is at the top.
            let (from, to) = hasHeatMap ? (r.upperBound, r.lowerBound) : (r.lowerBound, r.upperBound)
            s.append("set yrange [\(num(from)):\(num(to))]")
        }
        if let tics = f.yTics {
            s.append("set ytics (" + tics.map { "\(quoted($0.1)) \(num($0.0))" }.joined(separator: ", ") + ")")
        }
        if let tics = f.xTics {
            s.append("set xtics (" + tics.map { "\(quoted($0.1)) \(num($0.0))" }.joined(separator: ", ") + ")")
        } else if let labels = firstBarLabels {
            let tics = labels.enumerated().map { "\(quoted($0.element)) \($0.offset)" }
            s.append("set xtics (" + tics.joined(separator: ", ") + ")")
            s.append("set xrange [-0.6:\(num(Double(labels.count) - 0.4))]")
            if f.yRange == nil && !f.logY {
                s.append("set yrange [0:*]")
                s.append("set offsets 0, 0, graph 0.08, 0")
            }
        }
        if hasImage {
            s.append("set size ratio -1")
            s.append("set palette gray")
            s.append("unset colorbox")
            s.append("unset xtics")
            s.append("unset ytics")
            s.append("unset grid")
            s.append("unset border")
            s.append("set yrange [*:*] reverse")
            s.append("set autoscale fix")
        }
        if hasHeatMap {
            s.append(contentsOf: heatMapCommands())
        }
        for (i, a) in f.annotations.enumerated() {
            s.append(contentsOf: annotationCommands(a, tag: i + 1))
        }
        return s
    }

    private var legendCommand: String {
        switch figure.legend {
        case .topLeft: "top left"
        case .topRight: "top right"
        case .bottomLeft: "bottom left"
        case .bottomRight: "bottom right"
        case .outside: "outside right top"
        case .below: "below center horizontal"
        case .hidden: "off"
        }
    }

    private var hasImage: Bool {
        figure.series.contains { if case .image = $0.kind { true } else { false } }
    }

    private var hasHeatMap: Bool {
        figure.series.contains { if case .heatMap = $0.kind { true } else { false } }
    }

    /// The colour scale (white to the house blue to dark navy), square cells, token-sized tics,
    /// and a grey rectangle behind each heat map: its masked cells, which are not drawn, show it.
    private func heatMapCommands() -> [String] {
        var s = [
            "set palette defined (0 '#ffffff', 0.5 '#56B4E9', 0.8 '#0072B2', 1 '#08306b')",
            "set size ratio -1",
            "set style fill solid 1.0 noborder",
            "unset grid",
            "set border 0",
            "set tics scale 0 font ',10'",
            "set xtics rotate by 90 right",
        ]
        if let bar = figure.colorBar {
            s.append("set cbrange [\(num(bar.range.lowerBound)):\(num(bar.range.upperBound))]")
            s.append("set cblabel \(quoted(bar.label))")
            s.append("set cbtics font ',10'")
        }
        var tag = 1
        for series in figure.series {
            guard case .heatMap(_, let rows, let cols, let x, let y) = series.kind else { continue }
            s.append(
                "set object \(tag) rectangle from \(num(x - 0.5)),\(num(y - 0.5)) to \(num(x + Double(cols) - 0.5)),"
                    + "\(num(y + Double(rows) - 0.5)) fillcolor rgb '#d9d9d9' fillstyle solid 1.0 noborder behind")
            tag += 1
        }
        return s
    }

    private var firstBarLabels: [String]? {
        for s in figure.series { if case .bars(let labels, _, _) = s.kind { return labels } }
        return nil
    }

    private func plotClauses() -> [String] {
        var clauses: [String] = []
        var cycle = 0
        for (i, s) in figure.series.enumerated() {
            let color: Color
            if let c = s.color {
                color = c
            } else {
                color = Color.cycle[cycle % Color.cycle.count]
                cycle += 1
            }
            let lc = "lc rgb '\(color.hex)'"
            let dt = s.dashed ? " dt 2" : ""
            let title = s.title.isEmpty ? "notitle" : "title \(quoted(s.title))"
            let point = "pt \(pointType(i)) ps 1.1"
            let src = "data index \(i)"
            switch s.kind {
            case .lines(_, _, let markers):
                let with = markers ? "linespoints \(point)" : "lines"
                clauses.append("\(src) using 1:2 with \(with) lw 2.2\(dt) \(lc) \(title)")
            case .points:
                clauses.append("\(src) using 1:2 with points \(point) \(lc) \(title)")
            case .errorBars(_, _, _, let connected):
                let with = connected ? "yerrorlines" : "yerrorbars"
                clauses.append("\(src) using 1:2:3 with \(with) lw 2.0\(dt) \(point) \(lc) \(title)")
            case .boxes:
                clauses.append("\(src) using 1:2:3 with boxes \(lc) \(title)")
            case .bars(_, _, let showValues):
                clauses.append("\(src) using 1:2:3 with boxes \(lc) \(title)")
                if showValues {
                    clauses.append(
                        "\(src) using 1:2:(abs($2) >= 1000 ? sprintf('%.0f', $2) : sprintf('%.3g', $2)) "
                            + "with labels offset 0,0.7 font ',10' notitle")
                }
            case .image:
                clauses.append("\(src) matrix with image notitle")
            case .heatMap:
                clauses.append("\(src) using 1:2:(0.5):(0.5):3 with boxxyerror fillstyle solid 1.0 noborder lc palette notitle")
            }
        }
        if clauses.isEmpty { clauses.append("NaN notitle") }
        return clauses
    }

    /// Point types that stay distinct in print: filled circle, square, triangle, diamond, ...
    private func pointType(_ i: Int) -> Int {
        [7, 5, 9, 13, 11, 15, 6, 4][i % 8]
    }

    private func annotationCommands(_ a: Annotation, tag: Int) -> [String] {
        switch a {
        case .verticalLine(let x, let label, let color):
            return [
                "set arrow \(tag) from first \(num(x)), graph 0 to first \(num(x)), graph 1 nohead dt 2 lw 1.6 lc rgb '\(color.hex)' back",
                "set label \(tag) \(quoted(label)) at first \(num(x)), graph 0.97 offset 0.6,0 left tc rgb '\(color.hex)' font ',10'",
            ]
        case .horizontalLine(let y, let label, let color):
            return [
                "set arrow \(tag) from graph 0, first \(num(y)) to graph 1, first \(num(y)) nohead dt 2 lw 1.6 lc rgb '\(color.hex)' back",
                "set label \(tag) \(quoted(label)) at graph 0.01, first \(num(y)) offset 0,0.7 left tc rgb '\(color.hex)' font ',10'",
            ]
        case .text(let text, let x, let y, let color):
            return ["set label \(tag) \(quoted(text)) at first \(num(x)), first \(num(y)) center tc rgb '\(color.hex)' front font ',10'"]
        }
    }

    // MARK: Text

    /// A gnuplot single-quoted string: no escapes are processed inside; `'` is doubled.
    func quoted(_ text: String) -> String { GnuplotText.quoted(text) }

    /// A number as gnuplot reads it; non-finite values become NaN (a gap in a line).
    func num(_ x: Double) -> String {
        guard x.isFinite else { return "NaN" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.7g", x)
    }
}
