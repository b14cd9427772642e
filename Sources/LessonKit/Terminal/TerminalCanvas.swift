import Foundation

/// Where `--live` and `--show` draw: the terminal on standard output, as text (gnuplot's `dumb`
/// terminal, in colour) or as sixel images (gnuplot's `sixelgd`) when the terminal says it shows
/// them. Nothing is drawn when standard output is not a terminal (a pipe, a file, CI).
///
/// `NOLA_TERMINAL_GRAPHICS=text` or `=sixel` chooses without asking the terminal.
struct TerminalCanvas {
    enum Kind: Equatable {
        /// gnuplot's `dumb` terminal: a plot of characters, `ansi` colours unless TERM is dumb.
        case text(colours: Bool)
        /// gnuplot's `sixelgd` terminal: an image, in terminals that show sixel graphics.
        case sixel
    }

    var kind: Kind
    /// The terminal's width and height in characters.
    var columns: Int
    var rows: Int
    /// The height of a character cell in pixels (sixel images are sized and placed by it).
    var cellHeight: Int
    /// Writes bytes to the terminal.
    var write: ([UInt8]) -> Void

    /// The canvas of standard output, or nil when standard output is not a terminal.
    static func standardOutput() -> TerminalCanvas? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var size = winsize()
        let known = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 && size.ws_row > 0
        let columns = known ? Int(size.ws_col) : 80
        let rows = known ? Int(size.ws_row) : 24
        let pixelHeight = known ? Int(size.ws_ypixel) : 0
        let environment = ProcessInfo.processInfo.environment
        let term = environment["TERM"] ?? ""
        let kind: Kind
        switch environment["NOLA_TERMINAL_GRAPHICS"]?.lowercased() {
        case "sixel": kind = .sixel
        case "text": kind = .text(colours: term != "dumb")
        default: kind = term != "dumb" && TerminalQuery.showsSixel() ? .sixel : .text(colours: term != "dumb")
        }
        return TerminalCanvas(
            kind: kind, columns: columns, rows: rows, cellHeight: pixelHeight > 0 ? max(8, pixelHeight / rows) : 20,
            write: { bytes in
                fflush(nil)  // the lesson's own output first
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    offset += n
                }
            })
    }

    /// gnuplot's `set terminal` command for a picture `width` characters wide and `height` rows
    /// tall (sixel: as many pixels as those cells take).
    func terminalCommand(width: Int, height: Int) -> String {
        switch kind {
        case .text(let colours):
            return "set terminal dumb size \(width),\(height) nofeed\(colours ? " ansi" : "")"
        case .sixel:
            let pixelsWide = min(1000, width * cellHeight / 2)
            return "set terminal sixelgd size \(pixelsWide),\(height * cellHeight) truecolor font 'DejaVu Sans,10'"
        }
    }

    /// A text frame from gnuplot's `dumb` terminal as lines: the form feed it starts with dropped,
    /// the trailing blank lines removed.
    static func lines(ofTextFrame bytes: [UInt8]) -> [String] {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{0C}") { text.removeFirst() }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\u{0C}" }) { lines.removeLast() }
        return lines
    }
}

/// Asks the terminal on /dev/tty whether it shows sixel graphics: the primary device attributes
/// (`ESC [ c`) list 4 among their parameters when it does (xterm -ti vt340, mlterm, foot,
/// WezTerm, …). Answers no when there is no terminal to ask or it does not answer within 0.3 s.
enum TerminalQuery {
    static func showsSixel() -> Bool {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return false }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return false }
        defer { tcsetattr(fd, TCSANOW, &saved) }
        let query: [UInt8] = [0x1B, 0x5B, 0x63]  // ESC [ c
        guard query.withUnsafeBytes({ Foundation.write(fd, $0.baseAddress, 3) }) == 3 else { return false }
        var answer: [UInt8] = []
        let deadline = ContinuousClock.now + .milliseconds(300)
        while ContinuousClock.now < deadline, answer.last != UInt8(ascii: "c") {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, (deadline - ContinuousClock.now).seconds * 1000))
            guard poll(&p, 1, left) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { break }
            answer.append(byte)
        }
        return sixelAnswer(answer)
    }

    /// Whether a device-attributes answer (`ESC [ ? 62 ; 4 ; 6 c`) lists sixel (4).
    static func sixelAnswer(_ answer: [UInt8]) -> Bool {
        let text = String(decoding: answer, as: UTF8.self)
        guard let start = text.firstIndex(of: "?"), text.hasSuffix("c") else { return false }
        let parameters = text[text.index(after: start)..<text.index(before: text.endIndex)].split(separator: ";")
        return parameters.dropFirst().contains("4")
    }
}
