import Foundation
import NOLAKit

/// One running lesson: prints its header, cells, prose and tables to stdout, writes its figures,
/// and ends with the "paper vs ours" table and the list of figures. Everything it prints is also
/// recorded, and becomes the run's page, `<plots>/lessonNN/index.html` (`LessonPage`), written
/// when the lesson finishes or fails; `<plots>/index.html` then lists every run in the folder.
///
/// ```swift
/// let options = Options.parseLessonOptions()   // the lesson's options: see LessonArguments.swift
/// let lesson = Lesson(number: 1, title: "Random numbers you can regenerate",
///                     follows: "Section 2 (the seed)", options: options.common)
/// lesson.cell(1, "Why a seed")           // matches `// MARK: - 1. Why a seed`
/// lesson.say("NOLA stores one number instead of its basis ...")
/// ```
public final class Lesson {
    /// Lesson number, 1 for `lesson01`.
    public let number: Int
    /// Lesson title, as in the README's table.
    public let title: String
    /// The common options of this run.
    public let options: CommonOptions
    /// Where this lesson's figures go: `<--plots>/lessonNN`.
    public let plotsFolder: URL
    /// The name of the executable, `lessonNN`.
    public var name: String { String(format: "lesson%02d", number) }
    /// The run's scale (`--quick`, default, `--full`).
    public var scale: Scale { options.scale }
    /// The run's root seed.
    public var seed: UInt64 { options.seed }

    /// The part of the paper the lesson follows, as its header says.
    public let follows: String

    private let started = ContinuousClock.now
    private let startDate = Date()
    private var record = RunRecord()
    private var renderer: GnuplotRenderer
    /// `--live` and `--show`'s terminal and gnuplot: nil until first asked for, then `.some(nil)`
    /// when standard output is not a terminal.
    private var terminalDrawing: (TerminalCanvas, TerminalGnuplot)??

    /// Starts a lesson: prepares the machine (OpenBLAS's kernels, flush-to-zero: `MachineSetup`),
    /// checks that the plots folder is writable (or exits with one line saying why) and prints
    /// the header.
    public init(number: Int, title: String, follows paperSection: String, options: CommonOptions) {
        let notes = MachineSetup.prepare()
        self.number = number
        self.title = title
        self.follows = paperSection
        self.options = options
        let folder = URL(fileURLWithPath: options.plotsDirectory, isDirectory: true)
            .appendingPathComponent(String(format: "lesson%02d", number), isDirectory: true)
        self.plotsFolder = folder
        let timeLimit = GnuplotRenderer.timeLimitSetting()
        self.renderer = GnuplotRenderer(timeLimit: timeLimit.seconds)
        do {
            try Lesson.ensureWritable(folder)
        } catch {
            Lesson.fail("\(error) Pass --plots with a folder you can write to.")
        }
        AtomicFile.removeAbandoned(in: folder)  // temporary files of a run killed while writing
        let header = "Lesson \(number) — \(title)"
        print(header)
        print(String(repeating: "=", count: header.count))
        print("Follows: \(paperSection).  Seed \(options.seed), \(options.scale.rawValue) run.")
        print()
        for note in notes { record.append(.note(note)) }
        Lesson.running.set(self)
        if let warning = timeLimit.warning { warn(warning) }
    }

    // MARK: Narration

    /// Prints a cell heading; use the same number and title as the `// MARK: - N. Title` above it.
    public func cell(_ index: Int, _ title: String) {
        record.append(.cell(index: index, title: title))
        heading("\(index). \(title)")
    }

    private func heading(_ text: String) {
        print()
        print(text)
        print(String(repeating: "-", count: text.count))
    }

    /// Prints prose, re-wrapped to the terminal's usual 80 columns. Blank lines separate
    /// paragraphs; lines starting with "- " are list items; lines indented by four spaces are
    /// printed as they are (formulas, code).
    public func say(_ text: String) {
        record.append(.prose(text))
        print(TextWrap.wrap(text, width: 80))
    }

    /// Prints a table with aligned columns.
    public func show(_ table: Table) {
        record.append(.table(table))
        print(table.rendered())
    }

    /// Prints `label: value` lines aligned on the colon.
    public func facts(_ pairs: [(String, String)]) {
        record.append(.facts(pairs.map { (label: $0.0, value: $0.1) }))
        let width = pairs.map(\.0.count).max() ?? 0
        for (label, value) in pairs {
            print("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + " : " + value)
        }
    }

    /// A progress bar on stderr for a loop of `total` steps (silent when stderr is not a terminal).
    ///
    /// With `live` (the label of the curve's y axis, "training loss (nats)") and `--live` on a
    /// terminal, the bar also redraws a curve of the values given to `advance(plot:)` or
    /// `plot(x:y:series:)`, over x from 0 to `liveX.end` (the steps by default).
    public func progress(_ label: String, total: Int, live: String? = nil, liveX: (label: String, end: Double)? = nil) -> Progress {
        guard let live, options.live, let (canvas, gnuplot) = terminal() else { return Progress(label: label, total: total) }
        let x = liveX ?? ("step", Double(total))
        let curve = LiveCurve(title: "\(name) \(label)", x: x.label, y: live, xMax: x.end, canvas: canvas, gnuplot: gnuplot)
        return Progress(label: label, total: total, live: curve)
    }

    /// The terminal and its gnuplot for `--live` and `--show`; nil when standard output is not a
    /// terminal, or after gnuplot's one warning.
    private func terminal() -> (TerminalCanvas, TerminalGnuplot)? {
        if terminalDrawing == nil {
            terminalDrawing = TerminalCanvas.standardOutput().map { canvas in
                (canvas, TerminalGnuplot(warn: { [weak self] in self?.warn($0) }))
            } ?? .some(nil)
        }
        guard let pair = terminalDrawing ?? nil, pair.1.isWorking else { return nil }
        return pair
    }

    // MARK: Figures

    /// Writes `figure` as `<plots>/lessonNN/<name>.gp` and `.dat`, and renders `.png` and `.svg`
    /// when gnuplot is installed. A failure to write is fatal to the lesson (one line, exit 1).
    /// gnuplot's own troubles are one warning line each and the lesson goes on: gnuplot missing
    /// (said once), failing on a figure (an error, or an exit status of 0 without a whole PNG and
    /// SVG: `GnuplotRenderer` checks what it wrote), or hanging — stopped after its time limit
    /// (20 s, or `NOLA_GNUPLOT_TIMEOUT` seconds), after which the run renders no more figures. The
    /// closing list names only the files that exist.
    public func save(_ figure: Figure) {
        let files: GnuplotScript.Files
        let script = GnuplotScript(figure: figure, lessonName: name)
        do {
            files = try script.write(to: plotsFolder)
        } catch {
            Lesson.fail("\(error); free that path or pass --plots with another folder.")
        }
        let scriptPath = files.script.relativeDisplayPath
        if renderer.gaveUp { GnuplotRenderer.removeOutputs(of: files.script) }
        let outcome: GnuplotRenderer.Outcome = renderer.gaveUp ? .failed("skipped") : renderer.render(script: files.script)
        record.append(.figure(name: figure.name, title: figure.title, rendered: outcome == .rendered))
        if options.show, let (canvas, gnuplot) = terminal() {
            let png = outcome == .rendered ? plotsFolder.appendingPathComponent(figure.name + ".png") : nil
            FigureShow.draw(figure, script: script, files: files, png: png, canvas: canvas, gnuplot: gnuplot)
        }
        switch outcome {
        case .rendered:
            break
        case .gnuplotMissing:
            if renderer.warnedMissing == false {
                renderer.warnedMissing = true
                warn("gnuplot is not installed: the figures are written as .gp and .dat only; install gnuplot-nox "
                    + "and run `gnuplot \(scriptPath)` to render one.")
            }
        case .failed(let message):
            if !renderer.gaveUp { warn("gnuplot could not render \(scriptPath): \(message)") }
        case .timedOut(let seconds):
            renderer.gaveUp = true
            warn("gnuplot did not finish \(scriptPath) within \(Format.significant(seconds, 2)) s and was stopped; "
                + "the lesson goes on without rendering (run `gnuplot \(scriptPath)` later; the .gp and .dat files are written).")
        }
    }

    // MARK: Ending

    /// Prints the closing "paper vs ours" table, the figures written and the wall-clock time, and
    /// writes the run's page (`<plots>/lessonNN/index.html`) and the index of runs beside it.
    public func finish(paperVsOurs rows: [Comparison]) {
        record.append(.heading("Paper vs ours"))
        heading("Paper vs ours")
        if !rows.isEmpty {
            var table = Table(["", "paper", "ours", "why they differ"])
            for row in rows { table.row([row.quantity, row.paper, row.ours, row.note]) }
            show(table)
        }
        let figures = record.figures
        if !figures.isEmpty {
            print()
            print("Figures (re-render one with `gnuplot <file>.gp`):")
            for figure in figures {
                let stem = plotsFolder.appendingPathComponent(figure.name).relativeDisplayPath
                print("  \(stem).{gp,dat\(figure.rendered ? ",png,svg" : "")}")
            }
        }
        let elapsed = ContinuousClock.now - started
        if let drawing = terminalDrawing ?? nil { drawing.1.close() }  // --live/--show's gnuplot exits
        do {
            let page = try writePage()
            print()
            print("The run as a page: \(page.relativeDisplayPath) (open it in a browser).")
        } catch {
            Lesson.running.set(nil)
            Lesson.fail("\(error); free that path or pass --plots with another folder.")
        }
        Lesson.running.set(nil)
        print()
        print("Done in \(Format.seconds(elapsed.seconds)).")
        Lesson.checkStandardOutput()
    }

    // MARK: The page

    /// Writes `<plots>/lessonNN/index.html` from what was printed so far, then rebuilds
    /// `<plots>/index.html`; returns the page's location. Throws one line naming the file that
    /// could not be written.
    @discardableResult
    func writePage() throws -> URL {
        let facts = RunFacts.current(options: options, started: startDate, seconds: (ContinuousClock.now - started).seconds)
        let folder = plotsFolder
        let page = LessonPage(
            number: number, title: title, follows: follows, record: record, facts: facts,
            existing: { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) })
        let url = plotsFolder.appendingPathComponent(LessonPage.fileName)
        try Lesson.write(page.html(), to: url)
        let plots = plotsFolder.deletingLastPathComponent()
        try Lesson.write(RunIndex(plots: plots).html(), to: plots.appendingPathComponent(LessonPage.fileName))
        return url
    }

    private static func write(_ text: String, to url: URL) throws {
        do {
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw LessonIOError("cannot write \(url.relativeDisplayPath) (\(FileErrorReason.reason(error)))")
        }
    }

    /// Set when a warning could not be written to standard error (`2> /dev/full`).
    private nonisolated(unsafe) static var warningLost = false

    /// Prints `warning: <message>` on stderr: something the user should know that does not stop
    /// the lesson (a rejected cache, gnuplot trouble). A warning that cannot be written makes the
    /// run end with exit status 1 (`checkStandardOutput`).
    public func warn(_ message: String) {
        record.append(.warning(message))
        fflush(nil)  // the narration so far first: keeps the order in a shared log
        if !StandardStreams.writeError("warning: \(OneLine.escaped(message))\n") { Lesson.warningLost = true }
    }

    /// Prints `error: <message>` on stderr and exits with status 1. For bad input that the user
    /// can fix; the message names the culprit and the fix.
    public static func fail(_ message: String) -> Never {
        // The page of a lesson that was running shows how far it got and why it stopped.
        if let lesson = running.take() {
            lesson.record.append(.failure(message))
            _ = try? lesson.writePage()
        }
        fflush(nil)
        StandardStreams.writeError("error: \(OneLine.escaped(message))\n")
        exit(1)
    }

    /// Exits with one line when `what` (the narration: the lesson's result) could not be written
    /// to standard output (a full disk, `> /dev/full`): a lost result must not look like success.
    /// Exits with status 1 and nothing more when a warning could not be written to standard error.
    public static func checkStandardOutput(_ what: String = "the lesson's output") {
        if let reason = StandardStreams.flushOutput() {
            fail("cannot write \(what) to standard output (\(reason)); check the disk or the file it goes to.")
        }
        if warningLost { exit(1) }
    }

    private static func ensureWritable(_ folder: URL) throws {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: folder.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw LessonIOError("cannot create the plots folder '\(folder.relativeDisplayPath)': a file of that name is in the way.")
        }
        do {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw LessonIOError("cannot create the plots folder '\(folder.relativeDisplayPath)' (\(FileErrorReason.reason(error))).")
        }
        let probe = folder.appendingPathComponent(".write-test-\(getpid())")
        do {
            try Data().write(to: probe)
        } catch {
            throw LessonIOError("the plots folder '\(folder.relativeDisplayPath)' is not writable (\(FileErrorReason.reason(error))).")
        }
        try? manager.removeItem(at: probe)
    }
}

/// The lesson running in this process, if any: `Lesson.fail` writes its page before exiting.
final class RunningLesson: @unchecked Sendable {
    private let lock = NSLock()
    private var lesson: Lesson?

    func set(_ lesson: Lesson?) {
        lock.lock()
        defer { lock.unlock() }
        self.lesson = lesson
    }

    /// The running lesson, forgotten (so a failure while writing its page cannot loop).
    func take() -> Lesson? {
        lock.lock()
        defer { lock.unlock() }
        defer { lesson = nil }
        return lesson
    }
}

extension Lesson {
    static let running = RunningLesson()
}

/// One row of the closing "paper vs ours" table.
public struct Comparison: Sendable {
    public var quantity: String
    public var paper: String
    public var ours: String
    public var note: String

    public init(_ quantity: String, paper: String, ours: String, note: String = "") {
        self.quantity = quantity
        self.paper = paper
        self.ours = ours
        self.note = note
    }
}

struct LessonIOError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    /// This duration in seconds, as a `Double`.
    public var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) * 1e-18
    }
}

extension URL {
    /// The path relative to the current directory when it lies below it, else the full path.
    public var relativeDisplayPath: String {
        let cwd = FileManager.default.currentDirectoryPath
        let full = standardizedFileURL.path
        if full.hasPrefix(cwd + "/") { return String(full.dropFirst(cwd.count + 1)) }
        return full
    }
}
