import Foundation
import Testing

@testable import LessonKit

@Suite("Heat maps (attention per head, with token labels)")
struct HeatMapTests {
    /// Five causal 3×3 panels: panel `i`'s visible cell `(r, c)` (c ≤ r) holds `i + r/10 + c/100`,
    /// the cells above the diagonal are masked (NaN).
    static func panels() -> [(title: String, values: [Double])] {
        (0..<5).map { i -> (title: String, values: [Double]) in
            var values = [Double](repeating: .nan, count: 9)
            for r in 0..<3 {
                for c in 0...r { values[r * 3 + c] = Double(i) + Double(r) / 10 + Double(c) / 100 }
            }
            return ("panel \(i)", values)
        }
    }

    static func figure() -> Figure {
        Figure.heatMaps(
            "attention", title: "Attention", panels: panels(), rowLabels: ["a", "b", "c"], columnLabels: ["a", "b", "c"],
            columns: 2, x: "key", y: "query", colorBar: .init(label: "P", range: 0...1))
    }

    @Test("panels are placed in a grid, one heat map each, with a title above and tokens on the axes")
    func layout() {
        let figure = Self.figure()
        let layout = HeatMapLayout(rows: 3, cols: 3, columns: 2, count: 5)
        #expect(layout.gridRows == 3 && layout.gap == 2)
        #expect(figure.series.count == 5)
        for (i, series) in figure.series.enumerated() {
            guard case .heatMap(let values, let rows, let cols, let x, let y) = series.kind else {
                Issue.record("series \(i) should be a heat map")
                continue
            }
            #expect(rows == 3 && cols == 3)
            #expect(values.count == 9 && values[1].isNaN && values[3] == Double(i) + 0.1)
            let origin = layout.origin(of: i)
            #expect(x == origin.x && y == origin.y)
            // Panel i: grid row i / 2, column i % 2, each 3 cells + a gap of 2 (+ a title band of 2 downwards).
            #expect(x == Double((i % 2) * 5) && y == Double((i / 2) * 7))
        }
        // Column labels under each of the 2 panel columns, row labels beside each of the 3 panel rows.
        #expect(figure.xTics?.map(\.1) == ["a", "b", "c", "a", "b", "c"])
        #expect(figure.xTics?.map(\.0) == [0, 1, 2, 5, 6, 7])
        #expect(figure.yTics?.map(\.0) == [0, 1, 2, 7, 8, 9, 14, 15, 16])
        #expect(figure.annotations.count == 5)
        // Every cell and title is inside the ranges.
        #expect(figure.xRange == -0.5...7.5)
        #expect(figure.yRange == -2.5...16.5)
    }

    @Test("the data holds the visible cells only; the script draws them on one colour scale, row 0 at the top")
    func script() {
        let script = GnuplotScript(figure: Self.figure(), lessonName: "lesson00")
        let blocks = script.dataText().components(separatedBy: "\n\n\n")
        #expect(blocks.count == 5)
        let cells = blocks[1].split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(cells.count == 6)  // 3 + 2 + 1 visible cells of a causal 3×3
        #expect(cells.contains("6 1 1.11"))  // panel 1 sits at x = 5: its cell (1, 1) holds 1 + 0.1 + 0.01
        let text = script.scriptText()
        #expect(text.contains("set cbrange [0:1]"))
        #expect(text.contains("set cblabel 'P'"))
        #expect(text.contains("set yrange [16.5:-2.5]"))
        #expect(text.contains("set ytics ('a' 0, 'b' 1, 'c' 2, 'a' 7"))
        #expect(text.components(separatedBy: "rectangle from").count - 1 == 5)
        #expect(text.components(separatedBy: "with boxxyerror").count - 1 == 5)
    }

    @Test(
        "gnuplot renders the heat maps without a warning",
        .enabled(if: FigureTests.gnuplotInstalled, "gnuplot is not installed: skipping the rendering test"))
    func renders() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("nola-heatmap-test-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try GnuplotScript(figure: Self.figure(), lessonName: "lesson00").write(to: folder)
        guard let gnuplot = GnuplotRenderer.findOnPath("gnuplot") else { return }
        let run = TimeLimitedRun.run(gnuplot.path, [files.script.path], seconds: 20)
        #expect(run == .exited(status: 0, messages: ""), "gnuplot said: \(run)")
        let size = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("attention.png").path)[.size] as? Int
        #expect((size ?? 0) > 1000)
    }
}
