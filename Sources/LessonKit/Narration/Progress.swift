import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (never in CI logs or
/// when the output is piped to a file). Redraws at most ten times a second. Shows the time so far
/// and, once a step is done, the time left at the pace so far ("ETA 3 min 10 s").
///
/// ```swift
/// let bar = lesson.progress("training", total: steps)
/// for step in 0..<steps { ...; bar.advance() }
/// bar.finish()
/// ```
///
/// With `--live`, a bar made with `live:` (the y axis's label) also redraws a curve above itself
/// (`LiveCurve`) from the values it is given: `advance(plot:)` plots against the steps done,
/// `plot(x:y:series:)` against any x (epochs, say) and in several series. Without `--live`, or
/// when standard output is not a terminal, those values are ignored.
///
/// ```swift
/// let bar = lesson.progress("training", total: steps, live: "training loss (nats)")
/// for step in 0..<steps { let loss = ...; bar.advance(note: "loss …", plot: Double(loss)) }
/// bar.finish()
/// ```
public final class Progress {
    private let label: String
    private let total: Int
    private var done = 0
    private let enabled: Bool
    private let start = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var note = ""
    private let live: LiveCurve?

    init(label: String, total: Int, live: LiveCurve? = nil) {
        self.label = label
        self.total = max(total, 1)
        self.enabled = isatty(STDERR_FILENO) == 1
        self.live = live
    }

    /// Marks `steps` more steps done; `note` (a loss, say) is shown after the bar, and `plot`
    /// is added to the live curve (`--live`) at x = the steps done so far.
    public func advance(_ steps: Int = 1, note: String? = nil, plot value: Double? = nil) {
        done = min(total, done + steps)
        if let note { self.note = note }
        if let value { plot(x: Double(done), y: value) }
        guard enabled else { return }
        let now = ContinuousClock.now
        if now - lastDraw >= .milliseconds(100) || done == total {
            lastDraw = now
            draw()
        }
    }

    /// Adds the point (x, y) to `series` of the live curve (`--live`); nothing without one.
    public func plot(x: Double, y: Double, series: String = "") {
        guard let live else { return }
        if live.add(x: x, y: y, series: series) && enabled {
            lastDraw = ContinuousClock.now
            draw()  // the frame cleared the bar's line
        }
    }

    /// Draws the live curve's last points (it stays on the screen) and clears the bar's line.
    public func finish() {
        live?.finish()
        guard enabled else { return }
        StandardStreams.writeError("\r\u{1B}[2K")
    }

    /// Seconds left at the pace so far: `elapsed · (total − done) / done`; nil before the first step.
    static func remaining(elapsed: Double, done: Int, total: Int) -> Double? {
        guard done > 0, done < total, elapsed > 0 else { return nil }
        return elapsed * Double(total - done) / Double(done)
    }

    private func draw() {
        let width = 30
        let fraction = Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = (ContinuousClock.now - start).seconds
        var line = "\r\u{1B}[2K  \(label) [\(bar)] \(Int(fraction * 100))%  \(Format.seconds(elapsed))"
        if let left = Self.remaining(elapsed: elapsed, done: done, total: total) { line += ", ETA \(Format.seconds(left))" }
        if !note.isEmpty { line += "  " + note }
        StandardStreams.writeError(line)
    }
}
