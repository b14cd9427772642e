import CGnuplotStream
import Foundation

/// The one gnuplot process a run keeps for drawing in the terminal, fed through gnuplot-iostream
/// (`CGnuplotStream`): `--live` redraws a loss curve through it, `--show` draws each figure.
///
/// Each frame is a few commands and inline data blocks; gnuplot plots them into a scratch file,
/// says it is done, and the frame's bytes come back to be copied to the terminal (so they never
/// mix with the lesson's narration). gnuplot's troubles never stop the lesson: the first one
/// (missing, an error in a frame, no answer within the time limit, or a gnuplot that died —
/// its SIGPIPE is swallowed) is one warning, and the run draws nothing more in the terminal.
final class TerminalGnuplot {
    private var handle: OpaquePointer?
    private var stopped = false
    private let executable: URL?
    private let timeLimit: Double
    private let warn: (String) -> Void
    private let frameFile: String

    /// `warn` prints the one warning; `executable` is gnuplot (nil: not installed).
    init(executable: URL? = GnuplotRenderer.findOnPath("gnuplot"), timeLimit: Double = GnuplotRenderer.defaultTimeLimit(),
         warn: @escaping (String) -> Void) {
        self.executable = executable
        self.timeLimit = timeLimit
        self.warn = warn
        self.frameFile = NSTemporaryDirectory() + "nola-frame-\(getpid())-\(UUID().uuidString)"
    }

    deinit { close() }

    /// Whether frames can still be drawn.
    var isWorking: Bool { !stopped }

    /// The process id of gnuplot once started (tests make it die).
    var processID: Int32? { handle.map { nola_gnuplot_pid($0) } }

    /// Draws one frame: `terminal` (a `set terminal` command), then `commands`, whose `'-'` data
    /// sources read `data` in order (one block of (x, y) points each). Returns the frame's bytes,
    /// or nil when nothing was drawn (after the one warning).
    func frame(terminal: String, commands: String, data: [[(x: Double, y: Double)]] = []) -> [UInt8]? {
        guard let gnuplot = start() else { return nil }
        unlink(frameFile)
        var result = nola_gnuplot_send(gnuplot, "reset\n\(terminal)\nset output \(GnuplotText.quoted(frameFile))\n\(commands)\n")
        for block in data where result == NOLA_GNUPLOT_OK {
            let xs = block.map(\.x), ys = block.map(\.y)
            result = nola_gnuplot_send_xy(gnuplot, xs, ys, block.count)
        }
        if result == NOLA_GNUPLOT_OK { result = nola_gnuplot_send(gnuplot, "set output\n") }
        var message = [CChar](repeating: 0, count: 4096)
        let synced = nola_gnuplot_sync(gnuplot, timeLimit, &message, message.count)
        let said = TerminalGnuplot.text(message).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let complaints = said.filter { !$0.lowercased().hasPrefix("warning:") }
        let ok = Int32(NOLA_GNUPLOT_OK)
        switch (result, synced) {
        case (ok, ok) where complaints.isEmpty:
            guard let bytes = FileManager.default.contents(atPath: frameFile), !bytes.isEmpty else {
                return giveUp("gnuplot drew an empty frame")
            }
            unlink(frameFile)
            return Array(bytes)
        case (ok, ok):
            return giveUp("gnuplot said: " + complaints.suffix(3).joined(separator: " / "))
        case (_, Int32(NOLA_GNUPLOT_TIMED_OUT)):
            return giveUp("gnuplot did not answer within \(Format.significant(timeLimit, 2)) s and was stopped")
        default:
            let last = complaints.isEmpty ? "" : ": " + complaints.suffix(2).joined(separator: " / ")
            return giveUp("gnuplot stopped (it exited or closed its input)\(last)")
        }
    }

    /// Ends gnuplot (it reads end-of-file; stopped after 2 s if it does not exit).
    func close() {
        if let handle { _ = nola_gnuplot_close(handle, 2) }
        handle = nil
        unlink(frameFile)
    }

    private func start() -> OpaquePointer? {
        if stopped { return nil }
        if let handle { return handle }
        guard let executable else {
            return giveUp("gnuplot is not installed (apt install gnuplot-nox)")
        }
        var message = [CChar](repeating: 0, count: 1024)
        guard let opened = nola_gnuplot_open(executable.path, &message, message.count) else {
            return giveUp(TerminalGnuplot.text(message))
        }
        handle = opened
        return opened
    }

    /// A NUL-terminated C string in `buffer`, as Swift text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func giveUp<T>(_ reason: String) -> T? {
        stopped = true
        close()
        warn("\(reason); the lesson goes on without drawing in the terminal (--live, --show).")
        return nil
    }
}

/// Text as gnuplot reads it.
enum GnuplotText {
    /// A single-quoted gnuplot string (`'` doubled; nothing else is special inside).
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
