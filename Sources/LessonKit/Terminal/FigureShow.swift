import Foundation

/// `--show`: each figure drawn in the terminal as the lesson writes it, through the run's
/// gnuplot (`TerminalGnuplot`).
///
/// - In a terminal that shows sixel images, the rendered PNG itself, at most 900 pixels wide.
/// - In any other terminal, the figure's own settings and data plotted by gnuplot's `dumb`
///   terminal (a text plot, in colour). Images and heat maps (digits, attention) say nothing as
///   text: for those one line names the PNG instead.
enum FigureShow {
    static func draw(_ figure: Figure, script: GnuplotScript, files: GnuplotScript.Files, png: URL?,
                     canvas: TerminalCanvas, gnuplot: TerminalGnuplot) {
        switch canvas.kind {
        case .sixel:
            guard let png else { return }
            let width = min(900, figure.size.width)
            let height = width * figure.size.height / max(1, figure.size.width)
            let commands = [
                "unset border", "unset tics", "unset key", "set margins 0,0,0,0", "set autoscale fix",
                "plot \(GnuplotText.quoted(png.path)) binary filetype=png with rgbimage notitle",
            ].joined(separator: "\n")
            let terminal = "set terminal sixelgd size \(width),\(height) truecolor"
            guard let frame = gnuplot.frame(terminal: terminal, commands: commands) else { return }
            canvas.write(frame + Array("\r\n".utf8))
        case .text:
            if isPicture(figure) {
                canvas.write(Array("  [\(figure.name): an image; see \(png?.relativeDisplayPath ?? files.script.relativeDisplayPath)]\n".utf8))
                return
            }
            let width = max(60, min(canvas.columns - 1, 120))
            let height = max(16, min(canvas.rows - 2, width * figure.size.height / max(1, figure.size.width) / 2 + 2))
            guard let frame = gnuplot.frame(
                terminal: canvas.terminalCommand(width: width, height: height),
                commands: script.commands(dataFile: files.data.path))
            else { return }
            let lines = TerminalCanvas.lines(ofTextFrame: frame)
            let reset = canvas.kind == .text(colours: true) ? "\u{1B}[0m" : ""
            canvas.write(Array(lines.map { $0 + reset + "\n" }.joined().utf8))
        }
    }

    /// Figures drawn as pictures (digits, heat maps), which a text plot cannot show.
    static func isPicture(_ figure: Figure) -> Bool {
        figure.series.contains {
            switch $0.kind {
            case .image, .heatMap: true
            default: false
            }
        }
    }
}
