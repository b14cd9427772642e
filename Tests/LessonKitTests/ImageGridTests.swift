import Foundation
import Testing

@testable import LessonKit

@Suite("Image grids (digits with captions)")
struct ImageGridTests {
    /// Five 4×4 images: image `i` has ink 1 at its pixel `i` and 0 elsewhere.
    static func images() -> [[Double]] {
        (0..<5).map { i in (0..<16).map { $0 == i ? 1.0 : 0.0 } }
    }

    @Test("images are placed in a grid, ink dark on white, with a caption and marks where asked")
    func layout() throws {
        let figure = Figure.imageGrid(
            "grid", title: "A grid", images: Self.images(), side: 4, columns: 3,
            captions: ["0", "1", "", "3", "4 (true 9)"], marked: [4])
        let layout = ImageGridLayout(side: 4, columns: 3, count: 5)
        #expect(layout.rows == 2)
        // One image series plus one frame for the marked image.
        #expect(figure.series.count == 2)
        guard case .image(let pixels, let rows, let cols) = figure.series[0].kind else {
            Issue.record("the first series should be the image")
            return
        }
        #expect(rows == layout.height && cols == layout.width)
        // Image i's ink pixel (i % 4, i / 4) is black (0); the rest of the canvas is white (1).
        var black: Set<Int> = []
        for i in 0..<5 {
            let (x0, y0) = layout.origin(of: i)
            black.insert((y0 + i / 4) * cols + x0 + i % 4)
        }
        for (p, value) in pixels.enumerated() {
            #expect(value == (black.contains(p) ? 0 : 1), "pixel \(p)")
        }
        // Four captions (the empty one is skipped); the marked one takes the mark colour.
        #expect(figure.annotations.count == 4)
        var marked = 0
        for a in figure.annotations {
            guard case .text(let text, _, _, let color) = a else { continue }
            if text == "4 (true 9)" { #expect(color == .vermillion); marked += 1 } else { #expect(color == .black) }
        }
        #expect(marked == 1)
        // The frame surrounds image 4 and stays on the canvas.
        guard case .lines(let fx, let fy, _) = figure.series[1].kind else {
            Issue.record("the second series should be the frame")
            return
        }
        let (x4, y4) = layout.origin(of: 4)
        #expect(fx.min()! < Double(x4) && fx.max()! > Double(x4 + 3))
        #expect(fy.min()! < Double(y4) && fy.max()! > Double(y4 + 3))
        #expect(fx.min()! >= 0 && fy.min()! >= 0 && fx.max()! < Double(cols) && fy.max()! < Double(rows))
    }

    @Test(
        "gnuplot renders the grid",
        .enabled(if: FigureTests.gnuplotInstalled, "gnuplot is not installed: skipping the rendering test"))
    func renders() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("nola-grid-test-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let figure = Figure.imageGrid(
            "grid", title: "A grid", images: Self.images(), side: 4, columns: 3,
            captions: ["0", "1", "2", "3", "4 (true 9)"], marked: [1, 4])
        let files = try GnuplotScript(figure: figure, lessonName: "lesson00").write(to: folder)
        #expect(GnuplotRenderer().render(script: files.script) == .rendered)
        let png = folder.appendingPathComponent("grid.png")
        let size = try FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int
        #expect((size ?? 0) > 1000)
    }
}
