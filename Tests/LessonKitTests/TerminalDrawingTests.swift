import Foundation
import Testing

@testable import LessonKit

/// `--live` and `--show`: frames drawn through one gnuplot fed by gnuplot-iostream, redrawn in
/// place, silent without a terminal, and a gnuplot that dies mid-stream costs one warning, not
/// the lesson (its SIGPIPE is swallowed).
@Suite("Drawing in the terminal (--live, --show)")
struct TerminalDrawingTests {
    static let gnuplot = GnuplotRenderer.findOnPath("gnuplot")

    /// A text canvas that keeps what is written to it.
    final class Screen: @unchecked Sendable {
        var writes: [String] = []
        var canvas: TerminalCanvas {
            TerminalCanvas(kind: .text(colours: true), columns: 80, rows: 24, cellHeight: 20,
                           write: { self.writes.append(String(decoding: $0, as: UTF8.self)) })
        }
    }

    @Test("the live curve is redrawn in place: each frame goes back up over the last one",
          .enabled(if: gnuplot != nil, "gnuplot is not installed"))
    func liveRedraw() throws {
        let screen = Screen()
        var warnings: [String] = []
        let plotter = TerminalGnuplot(warn: { warnings.append($0) })
        defer { plotter.close() }
        let curve = LiveCurve(title: "lesson03 training", x: "step", y: "training loss (nats)", xMax: 10,
                              canvas: screen.canvas, gnuplot: plotter, interval: .zero)
        for step in 1...3 { #expect(curve.add(x: Double(step), y: 2.3 / Double(step))) }
        curve.finish()
        #expect(warnings.isEmpty, "\(warnings)")
        try #require(screen.writes.count == 3)
        let rows = screen.writes[0].split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(rows >= 12 && rows <= 24, "a frame of \(rows) rows")
        #expect(!screen.writes[0].contains("\u{1B}[\(rows)A"), "the first frame starts where the cursor is")
        for frame in screen.writes.dropFirst() {
            #expect(frame.hasPrefix("\r\u{1B}[2K\u{1B}[\(rows)A"), "a later frame goes up \(rows) rows first")
        }
        #expect(screen.writes[2].contains("training loss (nats), now 0.767"), "the title names the curve and its last value")
        #expect(!screen.writes.joined().contains("\u{0C}"), "gnuplot's form feed is dropped")
    }

    @Test("a gnuplot that dies mid-stream: one warning, no SIGPIPE, nothing drawn after",
          .enabled(if: gnuplot != nil, "gnuplot is not installed"))
    func gnuplotDies() throws {
        // The default action of SIGPIPE ends the process: if a write to the dead gnuplot raised
        // it unswallowed, this test run would stop here.
        let previous = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, previous) }
        var warnings: [String] = []
        let plotter = TerminalGnuplot(warn: { warnings.append($0) })
        defer { plotter.close() }
        let terminal = "set terminal dumb size 40,12 nofeed"
        #expect(plotter.frame(terminal: terminal, commands: "plot '-' with lines", data: [[(0, 1), (1, 2)]]) != nil)
        let pid = try #require(plotter.processID)
        kill(pid, SIGKILL)
        usleep(200_000)
        let big = [(x: Double, y: Double)](repeating: (1, 1), count: 20_000)  // more than a pipe holds
        #expect(plotter.frame(terminal: terminal, commands: "plot '-' with lines", data: [big]) == nil)
        #expect(plotter.frame(terminal: terminal, commands: "plot sin(x)") == nil)
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("gnuplot stopped") == true && warnings.first?.contains("the lesson goes on") == true)
        #expect(!plotter.isWorking)
    }

    @Test("an error in a frame is one warning naming gnuplot's complaint",
          .enabled(if: gnuplot != nil, "gnuplot is not installed"))
    func gnuplotComplains() {
        var warnings: [String] = []
        let plotter = TerminalGnuplot(warn: { warnings.append($0) })
        defer { plotter.close() }
        #expect(plotter.frame(terminal: "set terminal dumb size 40,12 nofeed", commands: "plot nosuchfunction(x)") == nil)
        #expect(warnings.count == 1 && warnings[0].contains("undefined function: nosuchfunction"), "\(warnings)")
    }

    @Test("no gnuplot: one warning, the lesson goes on")
    func gnuplotMissing() {
        var warnings: [String] = []
        let plotter = TerminalGnuplot(executable: nil, warn: { warnings.append($0) })
        #expect(plotter.frame(terminal: "set terminal dumb", commands: "plot x") == nil)
        #expect(plotter.frame(terminal: "set terminal dumb", commands: "plot x") == nil)
        #expect(warnings == ["gnuplot is not installed (apt install gnuplot-nox); the lesson goes on without drawing in the terminal (--live, --show)."])
    }

    @Test("the terminal's answer to ESC [ c tells whether it shows sixel images")
    func sixelAnswer() {
        #expect(TerminalQuery.sixelAnswer(Array("\u{1B}[?62;4;6;22c".utf8)))
        #expect(TerminalQuery.sixelAnswer(Array("\u{1B}[?63;1;2;4;6c".utf8)))
        #expect(!TerminalQuery.sixelAnswer(Array("\u{1B}[?1;2c".utf8)), "tmux, xterm without sixel")
        #expect(!TerminalQuery.sixelAnswer(Array("\u{1B}[?4;2c".utf8)), "the first number is the terminal class")
        #expect(!TerminalQuery.sixelAnswer([]), "no answer")
    }

    @Test("a long run's curve is thinned to at most 400 points, its last point kept")
    func thinning() {
        let points = (0..<10_000).map { (x: Double($0), y: 1.0) }
        let thinned = LiveCurve.thinned(points)
        #expect(thinned.count == LiveCurve.maxPointsPerSeries)
        #expect(thinned.first?.x == 0 && thinned.last?.x == 9_999)
        #expect(LiveCurve.thinned(Array(points.prefix(10))).count == 10)
    }

    // MARK: In a lesson

    @Test("--live --show piped: nothing but the narration, as without them")
    func piped() throws {
        let folder = try RunPageTests.freshFolder("piped")
        defer { try? FileManager.default.removeItem(at: folder) }
        let lesson = ProgramRun.buildFolder.appendingPathComponent("lesson07")
        let result = try ProgramRun.run(lesson, ["--quick", "--live", "--show"], in: folder)
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        #expect(!result.stdout.contains("\u{1B}"), "escape sequences in piped output")
        #expect(result.stdout.contains("Subspace coverage") == false, "a figure was drawn into a pipe")
    }

    @Test("--show in a terminal whose gnuplot dies: the figures are still rendered, one warning, exit 0",
          .enabled(if: gnuplot != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/script"),
                   "needs gnuplot and util-linux's script (a terminal for the lesson)"))
    func showWithDyingGnuplot() throws {
        let folder = try RunPageTests.freshFolder("show-dies")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Renders figures (it is given a script) with the real gnuplot; as the terminal's gnuplot
        // (no arguments) it reads one line and exits.
        let fake = try TestExecutables.script("gnuplot", """
            if [ $# -gt 0 ]; then exec \(Self.gnuplot!.path) "$@"; fi
            read line
            exit 0
            """)
        let lesson = ProgramRun.buildFolder.appendingPathComponent("lesson07").path
        let command = "\(lesson) --quick --show --plots out 2>err.txt"
        let result = try ProgramRun.run(
            URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"], in: folder,
            environment: ["PATH": fake.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""),
                          "NOLA_TERMINAL_GRAPHICS": "text", "TERM": "xterm"])
        let errors = (try? String(contentsOf: folder.appendingPathComponent("err.txt"), encoding: .utf8)) ?? ""
        #expect(result.status == 0, "exit \(result.status): \(errors)")
        let lines = errors.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1 && lines[0].hasPrefix("warning: gnuplot stopped"), "\(errors)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/lesson07/coverage.png").path))
        #expect(result.stdout.contains("Done in"), "the lesson went on to its end")
    }

    @Test("--show in a terminal draws the figure as a text plot",
          .enabled(if: gnuplot != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/script"),
                   "needs gnuplot and util-linux's script (a terminal for the lesson)"))
    func showDraws() throws {
        let folder = try RunPageTests.freshFolder("show")
        defer { try? FileManager.default.removeItem(at: folder) }
        let lesson = ProgramRun.buildFolder.appendingPathComponent("lesson07").path
        let result = try ProgramRun.run(
            URL(fileURLWithPath: "/usr/bin/script"), ["-qec", "\(lesson) --quick --show --plots out 2>err.txt", "/dev/null"],
            in: folder, environment: ["NOLA_TERMINAL_GRAPHICS": "text", "TERM": "xterm"])
        #expect(result.status == 0)
        let errors = (try? String(contentsOf: folder.appendingPathComponent("err.txt"), encoding: .utf8)) ?? ""
        #expect(errors.isEmpty, "\(errors)")
        #expect(result.stdout.contains("Subspace coverage (cf. paper Fig. 2)"), "the figure's title, drawn by gnuplot")
        #expect(result.stdout.contains("trainable parameters n (log scale)"), "its x label")
    }
}
