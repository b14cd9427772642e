import Foundation
import Testing

@testable import LessonKit

@Suite("Figures as gnuplot scripts")
struct FigureTests {
    static let gnuplotInstalled = GnuplotRenderer.findOnPath("gnuplot") != nil

    /// A figure with one series of every kind, and every annotation.
    static func everything() -> Figure {
        var f = Figure("all-kinds", title: "Every series kind (cf. nothing) — it's \"quoted\"", x: "n", y: "value")
        f.logX = true
        f.add(.lines("lines", x: [1, 2, 4], y: [1, 2, 3], color: .lora))
        f.add(.points("points", x: [1, 2, 4], y: [2, 3, 4]))
        f.add(.errorBars("mean ± std", x: [1, 2, 4], y: [1, 1.5, 2], error: [0.1, 0.2, 0.1], color: .nola))
        f.add(.histogram("hist", samples: [1, 1.5, 2, 2.5, 3], bins: 4, range: 1...4))
        f.annotate(.verticalLine(x: 2, label: "LoRA rank-1 floor", color: .lora))
        f.annotate(.horizontalLine(y: 1, label: "base", color: .base))
        f.annotate(.text("note", x: 2, y: 2, color: .black))
        return f
    }

    @Test("the data file holds one block per series, in order")
    func dataBlocks() {
        let script = GnuplotScript(figure: Self.everything(), lessonName: "lesson00")
        let blocks = script.dataText().components(separatedBy: "\n\n\n")
        #expect(blocks.count == 4)
        #expect(blocks[0].contains("# index 0: lines"))
        #expect(blocks[2].contains("1 1 0.1"))
        #expect(script.quoted("it's") == "'it''s'")
        #expect(script.num(.nan) == "NaN")
        #expect(script.num(0.5) == "0.5")
    }

    @Test("a descending x axis: the range written from high to low, or reversed when gnuplot chooses it")
    func descendingX() {
        var f = Figure("d", title: "t", x: "loss", y: "BLEU")
        f.add(.lines("a", x: [3, 2, 1], y: [1, 2, 3]))
        f.xRange = 0.5...3.5
        f.xDescending = true
        #expect(GnuplotScript(figure: f, lessonName: "lesson00").scriptText().contains("set xrange [3.5:0.5]"))
        f.xRange = nil
        #expect(GnuplotScript(figure: f, lessonName: "lesson00").scriptText().contains("set xrange [*:*] reverse"))
        f.xDescending = false
        #expect(!GnuplotScript(figure: f, lessonName: "lesson00").scriptText().contains("set xrange"))
    }

    @Test("the histogram is a density: its area is one")
    func histogramArea() {
        let s = Series.histogram("h", samples: (0..<1000).map { Double($0) / 1000 }, bins: 10, range: 0...1)
        guard case .boxes(_, let heights, let width) = s.kind else {
            Issue.record("histogram should be boxes")
            return
        }
        #expect(abs(heights.reduce(0, +) * width - 1) < 1e-12)
    }

    @Test(
        "gnuplot accepts the script and renders PNG and SVG beside it, from any folder",
        .enabled(if: gnuplotInstalled, "gnuplot is not installed: skipping the rendering test"))
    func renders() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("nola-figure-test-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        var bars = Figure("bars", title: "Bars", x: "", y: "G floats/s")
        bars.add(.bars("scalar", labels: ["Philox", "system"], values: [0.4, 0.1]))
        bars.add(.bars("SIMD", labels: ["Philox", "system"], values: [1.2, 0.1]))
        var image = Figure("digits", title: "A 2×3 image", x: "", y: "")
        image.add(.image([0, 0.5, 1, 1, 0.5, 0], rows: 2, cols: 3))

        for figure in [Self.everything(), bars, image] {
            let files = try GnuplotScript(figure: figure, lessonName: "lesson00").write(to: folder)
            #expect(GnuplotRenderer().render(script: files.script) == .rendered)
            for ext in ["png", "svg"] {
                let out = folder.appendingPathComponent("\(figure.name).\(ext)")
                let size = try FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int
                #expect((size ?? 0) > 1000, "\(out.lastPathComponent) missing or empty")
            }
        }

        // Re-render by relative path from inside the folder, as a student editing the script would.
        let png = folder.appendingPathComponent("bars.png")
        try FileManager.default.removeItem(at: png)
        let process = Process()
        process.executableURL = GnuplotRenderer.findOnPath("gnuplot")
        process.arguments = ["bars.gp"]
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: png.path))
    }

    @Test(
        "a broken script is reported as a failure, not a crash",
        .enabled(if: gnuplotInstalled, "gnuplot is not installed"))
    func brokenScript() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(getpid()).gp")
        try "plot this is not gnuplot\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        guard case .failed(let message) = GnuplotRenderer().render(script: file) else {
            Issue.record("expected a failure")
            return
        }
        #expect(!message.isEmpty)
    }
}
