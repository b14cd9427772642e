import Foundation

/// A curve redrawn in the terminal while a lesson trains (`--live`): the training loss so far,
/// one line per series, over the whole run's x range, redrawn in place at most every
/// `interval` seconds by the run's gnuplot (`TerminalGnuplot`).
///
/// A lesson does not make one itself: `Progress` owns it, so the bar and the curve share the
/// screen without fighting (the curve sits above the bar):
///
/// ```swift
/// let bar = lesson.progress("training", total: steps, live: "training loss (nats)")
/// for step in 1...steps { let loss = ...; bar.advance(note: "loss …", plot: Double(loss)) }
/// bar.finish()   // the last frame stays on the screen
/// ```
final class LiveCurve {
    private let title: String
    private let xLabel: String
    private let yLabel: String
    private let xMax: Double
    private let canvas: TerminalCanvas
    private let gnuplot: TerminalGnuplot
    private let interval: Duration
    private var series: [(name: String, points: [(x: Double, y: Double)])] = []
    private var lastDraw: ContinuousClock.Instant?
    private var changed = false
    /// Rows the last frame took on the screen (text), or the rows kept for the picture (sixel).
    private var frameRows = 0
    /// How many points of one series a frame sends at most (longer runs are thinned evenly).
    static let maxPointsPerSeries = 400

    init(title: String, x xLabel: String, y yLabel: String, xMax: Double, canvas: TerminalCanvas,
         gnuplot: TerminalGnuplot, interval: Duration? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xMax = max(1, xMax)
        self.canvas = canvas
        self.gnuplot = gnuplot
        self.interval = interval ?? (canvas.kind == .sixel ? .milliseconds(1000) : .milliseconds(400))
    }

    /// Adds a point to `series` (created on first use) and redraws if the last frame is older than
    /// the interval. Non-finite values are kept out of the curve. Returns whether it drew.
    @discardableResult
    func add(x: Double, y: Double, series name: String = "") -> Bool {
        guard x.isFinite, y.isFinite else { return false }
        if let i = series.firstIndex(where: { $0.name == name }) {
            series[i].points.append((x, y))
        } else {
            series.append((name, [(x, y)]))
        }
        changed = true
        guard canvas.kind != .text(colours: false) else { return false }  // TERM=dumb: no cursor moves, the last frame only
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < interval { return false }
        lastDraw = now
        return draw()
    }

    /// Draws the last points if they are not on the screen yet, and leaves the cursor below.
    func finish() {
        if changed { draw() }
    }

    /// Whether the curve is still drawn (false after gnuplot's one warning).
    var isDrawing: Bool { gnuplot.isWorking }

    // MARK: Drawing

    @discardableResult
    private func draw() -> Bool {
        guard gnuplot.isWorking, !series.isEmpty else { return false }
        changed = false
        let width = max(40, min(canvas.columns - 1, 110))
        let height = max(12, min(canvas.rows - 3, 24))
        guard let frame = gnuplot.frame(
            terminal: canvas.terminalCommand(width: width, height: height), commands: commands(),
            data: series.map { LiveCurve.thinned($0.points) })
        else { return false }
        switch canvas.kind {
        case .text: drawText(frame)
        case .sixel: drawSixel(frame, rows: height)
        }
        return true
    }

    private func commands() -> String {
        let latest = series.map { s in "\(s.name.isEmpty ? "" : s.name + " ")\(Format.significant(s.points.last?.y ?? 0, 3))" }
        var lines = [
            // Text plots show no y label: the title names what is drawn.
            "set title \(GnuplotText.quoted("\(title) — \(yLabel), now \(latest.joined(separator: ", "))")) noenhanced",
            "set xlabel \(GnuplotText.quoted(xLabel)) noenhanced",
            "set ylabel \(GnuplotText.quoted(yLabel)) noenhanced",
            "set xrange [0:\(xMax)]",
            "set key top right noenhanced",
            "set border 3",
            "set tics nomirror",
        ]
        if canvas.kind == .sixel { lines.append("set grid lc rgb '#e2e2e2'") }
        let colours = Color.cycle
        let clauses = series.enumerated().map { i, s in
            let title = s.name.isEmpty ? "notitle" : "title \(GnuplotText.quoted(s.name))"
            return "'-' using 1:2 with lines lw 2 lc rgb '\(colours[i % colours.count].hex)' \(title)"
        }
        lines.append("plot " + clauses.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// A text frame, drawn over the previous one: up to its first row, each line cleared to its
    /// end, the cursor left on the line below (where the progress bar is drawn).
    private func drawText(_ frame: [UInt8]) {
        let lines = TerminalCanvas.lines(ofTextFrame: frame)
        var out = "\r\u{1B}[2K"  // the progress bar's line
        if frameRows > 0 { out += "\u{1B}[\(frameRows)A" }
        for line in lines { out += line + "\u{1B}[0m\u{1B}[K\n" }
        if frameRows > lines.count {  // a shorter frame than the last: clear the rows it leaves
            out += String(repeating: "\u{1B}[2K\n", count: frameRows - lines.count)
            out += "\u{1B}[\(frameRows - lines.count)A"
        }
        frameRows = lines.count
        canvas.write(Array(out.utf8))
    }

    /// A sixel frame in `rows` + 1 rows kept for it: the first frame makes room below the cursor
    /// (scrolling if it must); every frame starts at the top of that room, and the cursor goes
    /// back to the line below it (saved and restored around the picture, because terminals leave
    /// the cursor in different places after one).
    private func drawSixel(_ frame: [UInt8], rows: Int) {
        var out = "\r\u{1B}[2K"
        if frameRows == 0 {
            frameRows = rows + 1
            out += String(repeating: "\n", count: frameRows)
        }
        out += "\u{1B}[\(frameRows)A\u{1B}7"
        canvas.write(Array(out.utf8) + frame + Array("\u{1B}8\u{1B}[\(frameRows)B\r".utf8))
    }

    /// At most `maxPointsPerSeries` points, evenly spaced among `points`, the last always kept.
    static func thinned(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        guard points.count > maxPointsPerSeries else { return points }
        let stride = Double(points.count - 1) / Double(maxPointsPerSeries - 1)
        return (0..<maxPointsPerSeries).map { points[Int((Double($0) * stride).rounded())] }
    }
}
