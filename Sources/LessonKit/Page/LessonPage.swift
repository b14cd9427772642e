import Foundation

/// A run as a notebook page, `<plots>/lessonNN/index.html`, built from what the lesson printed
/// (`RunRecord`): its title and the part of the paper it follows, each cell's heading and prose,
/// tables as HTML tables, each figure where the lesson made it (the PNG beside the page, with
/// links to its SVG, gnuplot script and data), warnings, the closing "paper vs ours" table, and
/// the run's facts (`RunFacts`).
///
/// The page needs nothing but the files beside it: no scripts, no fonts or style sheets from
/// elsewhere. Its `meta` tags (`nola:lesson`, `nola:title`, …) carry what the index of runs
/// (`RunIndex`) lists.
struct LessonPage {
    var number: Int
    var title: String
    var follows: String
    var record: RunRecord
    var facts: RunFacts
    /// The file names (in the lesson's folder) that exist, to link only those.
    var existing: (String) -> Bool

    /// The name of the page in the lesson's folder.
    static let fileName = "index.html"

    /// The paper, as every page cites it.
    static let paper = "Koohpayegani, Navaneet, Nooralinejad, Kolouri, Pirsiavash, "
        + "“NOLA: Compressing LoRA using Linear Combination of Random Basis”, ICLR 2024 (arXiv 2310.02556)"

    var lessonName: String { String(format: "lesson%02d", number) }

    /// The page's meta tags, read back by `RunIndex`.
    var meta: [(String, String)] {
        var pairs = [
            ("nola:lesson", "\(number)"),
            ("nola:title", title),
            ("nola:follows", follows),
            ("nola:date", RunFacts.dateText(facts.started)),
            ("nola:scale", facts.scale.rawValue),
            ("nola:seed", "\(facts.seed)"),
            ("nola:duration", Format.seconds(facts.seconds)),
            ("nola:status", failed ? "failed" : "finished"),
        ]
        if let first = record.figures.first(where: \.rendered) { pairs.append(("nola:figure", first.name + ".png")) }
        return pairs
    }

    var failed: Bool {
        record.entries.contains { if case .failure = $0 { true } else { false } }
    }

    /// The whole page.
    func html() -> String {
        var body: [String] = []
        body.append("<header>")
        body.append("<p class=\"kicker\">NOLA lessons in Swift · \(lessonName) · a run of \(HTML.escaped(RunFacts.dateText(facts.started)))</p>")
        body.append("<h1>Lesson \(number) — \(HTML.escaped(title))</h1>")
        body.append("<p class=\"follows\">Follows the paper's \(HTML.escaped(follows)).</p>")
        body.append("<p class=\"muted\">Seed \(facts.seed), \(HTML.escaped(facts.scale.pageDescription)). "
            + "The paper: \(HTML.escaped(LessonPage.paper)).</p>")
        body.append("</header>")

        var sectionOpen = false
        func openSection(_ heading: String, id: String) {
            if sectionOpen { body.append("</section>") }
            body.append("<section id=\"\(id)\">")
            body.append("<h2>\(HTML.escaped(heading))</h2>")
            sectionOpen = true
        }
        for entry in record.entries {
            switch entry {
            case .cell(let index, let title):
                openSection("\(index). \(title)", id: "cell-\(index)")
            case .heading(let text):
                openSection(text, id: LessonPage.anchor(text))
            case .prose(let text):
                body.append(LessonPage.prose(text))
            case .table(let table):
                body.append(LessonPage.table(table))
            case .facts(let pairs):
                body.append(LessonPage.definitions(pairs))
            case .figure(let name, let title, let rendered):
                body.append(figure(name: name, title: title, rendered: rendered))
            case .warning(let message):
                body.append("<p class=\"warning\">warning: \(HTML.escaped(message))</p>")
            case .note(let message):
                body.append("<p class=\"muted\">\(HTML.escaped(message))</p>")
            case .failure(let message):
                if !sectionOpen { openSection("Stopped", id: "stopped") }
                body.append("<p class=\"failure\">The run stopped here. error: \(HTML.escaped(message))</p>")
            }
        }
        openSection("This run", id: "this-run")
        body.append(LessonPage.definitions(facts.pairs))
        body.append(filesList())
        body.append("</section>")
        return HTML.page(title: "Lesson \(number) — \(title)", meta: meta, body: body.joined(separator: "\n"))
    }

    /// A figure where the lesson made it: its PNG, its title, and links to its other files.
    private func figure(name: String, title: String, rendered: Bool) -> String {
        var lines = ["<figure id=\"figure-\(HTML.escaped(name))\">"]
        if rendered && existing(name + ".png") {
            lines.append("<a href=\"\(HTML.escaped(name)).png\"><img src=\"\(HTML.escaped(name)).png\" alt=\"\(HTML.escaped(title))\" /></a>")
        } else {
            lines.append("<p class=\"warning\">Not rendered in this run (gnuplot was missing or failed): "
                + "<code>gnuplot \(HTML.escaped(name)).gp</code> renders it.</p>")
        }
        lines.append("<figcaption>\(HTML.escaped(title)) — \(links(name))</figcaption>")
        lines.append("</figure>")
        return lines.joined(separator: "\n")
    }

    /// Links to the files of figure `name` that exist: `png · svg · gnuplot script · data`.
    private func links(_ name: String) -> String {
        let kinds = [("png", "PNG"), ("svg", "SVG"), ("gp", "gnuplot script"), ("dat", "data")]
        return kinds.filter { existing(name + "." + $0.0) }
            .map { "<a href=\"\(HTML.escaped(name)).\($0.0)\">\($0.1)</a>" }
            .joined(separator: " · ")
    }

    /// The list of every figure's files, as the terminal's closing list has it.
    private func filesList() -> String {
        let figures = record.figures
        guard !figures.isEmpty else { return "" }
        var lines = ["<p>Figures of this run (edit a script and re-render it with <code>gnuplot &lt;file&gt;.gp</code>):</p>", "<ul>"]
        for figure in figures {
            lines.append("<li><code>\(HTML.escaped(figure.name))</code>: \(links(figure.name))</li>")
        }
        lines.append("</ul>")
        return lines.joined(separator: "\n")
    }

    // MARK: Pieces

    /// Prose as the terminal shows it, in HTML: paragraphs, lists, and lines kept as written.
    static func prose(_ text: String) -> String {
        var out: [String] = []
        var items: [String] = []
        var verbatim: [String] = []
        func flushItems() {
            guard !items.isEmpty else { return }
            out.append("<ul>\n" + items.map { "<li>\(HTML.escaped($0))</li>" }.joined(separator: "\n") + "\n</ul>")
            items = []
        }
        func flushVerbatim() {
            guard !verbatim.isEmpty else { return }
            let indent = verbatim.map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
            out.append("<pre>" + verbatim.map { HTML.escaped(String($0.dropFirst(indent))) }.joined(separator: "\n") + "</pre>")
            verbatim = []
        }
        for block in ProseBlock.parse(text) {
            switch block {
            case .paragraph(let words):
                flushItems()
                flushVerbatim()
                out.append("<p>\(HTML.escaped(words))</p>")
            case .item(let words):
                flushVerbatim()
                items.append(words)
            case .verbatim(let line):
                flushItems()
                verbatim.append(line)
            case .blank:
                flushItems()
                flushVerbatim()
            }
        }
        flushItems()
        flushVerbatim()
        return out.joined(separator: "\n")
    }

    /// A table as the terminal aligns it: numeric columns to the right.
    static func table(_ table: Table) -> String {
        let numeric = table.numericColumns
        func cells(_ row: [String], tag: String) -> String {
            row.enumerated().map { c, text in
                "<\(tag)\(numeric[c] ? " class=\"num\"" : "")>\(HTML.escaped(text))</\(tag)>"
            }.joined()
        }
        var lines = ["<div class=\"wide\"><table>", "<thead><tr>\(cells(table.headers, tag: "th"))</tr></thead>", "<tbody>"]
        for row in table.rows { lines.append("<tr>\(cells(row, tag: "td"))</tr>") }
        lines.append("</tbody></table></div>")
        return lines.joined(separator: "\n")
    }

    /// `label: value` lines as a definition list.
    static func definitions(_ pairs: [(label: String, value: String)]) -> String {
        var lines = ["<dl class=\"facts\">"]
        for (label, value) in pairs {
            lines.append("<dt>\(HTML.escaped(label))</dt><dd>\(HTML.escaped(value))</dd>")
        }
        lines.append("</dl>")
        return lines.joined(separator: "\n")
    }

    /// `paper-vs-ours` for "Paper vs ours".
    static func anchor(_ text: String) -> String {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }
        return words.isEmpty ? "part" : words.joined(separator: "-")
    }
}
