import Foundation

/// `<plots>/index.html`: every lesson that has run into this plots folder, with its image, the
/// part of the paper it follows and the date of its run, each linking to the run's page.
///
/// Rebuilt from the pages present (`<plots>/lessonNN/index.html`, read through their `nola:`
/// meta tags) whenever a lesson writes its page, so it never lists a run whose page is gone. The
/// image is the README's gallery image when the folder has it (`<plots>/gallery/lessonNN.png`,
/// as the repository's `plots/` does), else the run's first figure.
struct RunIndex {
    /// One listed run, as its page's meta tags describe it.
    struct Run: Equatable {
        var folder: String
        var number: Int
        var title: String
        var follows: String
        var date: String
        var scale: String
        var seed: String
        var duration: String
        var status: String
        var figure: String?
    }

    let plots: URL

    /// The runs whose pages are in the plots folder, by lesson number.
    func runs() -> [Run] {
        let manager = FileManager.default
        let names = (try? manager.contentsOfDirectory(atPath: plots.path)) ?? []
        return names.filter { $0.hasPrefix("lesson") }.sorted().compactMap { folder in
            let page = plots.appendingPathComponent(folder).appendingPathComponent(LessonPage.fileName)
            guard let data = manager.contents(atPath: page.path) else { return nil }
            return RunIndex.run(fromPage: String(decoding: data, as: UTF8.self), folder: folder)
        }.sorted { ($0.number, $0.folder) < ($1.number, $1.folder) }
    }

    /// The run a page describes, from its `nola:` meta tags; nil for a page without them.
    static func run(fromPage html: String, folder: String) -> Run? {
        var meta: [String: String] = [:]
        for line in html.split(separator: "\n") where line.hasPrefix("<meta name=\"nola:") {
            guard let nameEnd = line.range(of: "\" content=\""), line.hasSuffix("\" />") else { continue }
            let name = line[line.index(line.startIndex, offsetBy: "<meta name=\"".count)..<nameEnd.lowerBound]
            let content = line[nameEnd.upperBound..<line.index(line.endIndex, offsetBy: -"\" />".count)]
            meta[String(name)] = unescaped(String(content))
        }
        guard let number = meta["nola:lesson"].flatMap(Int.init), let title = meta["nola:title"] else { return nil }
        return Run(
            folder: folder, number: number, title: title, follows: meta["nola:follows"] ?? "",
            date: meta["nola:date"] ?? "", scale: meta["nola:scale"] ?? "", seed: meta["nola:seed"] ?? "",
            duration: meta["nola:duration"] ?? "", status: meta["nola:status"] ?? "", figure: meta["nola:figure"])
    }

    /// The index page.
    func html() -> String {
        let runs = runs()
        var body = [
            "<header>",
            "<p class=\"kicker\">NOLA lessons in Swift</p>",
            "<h1>The runs in this folder</h1>",
            "<p class=\"follows\">Each lesson reproduces a figure or table of the paper at classroom scale; "
                + "its page holds what its last run printed, with its figures.</p>",
            "<p class=\"muted\">The paper: \(HTML.escaped(LessonPage.paper)).</p>",
            "</header>",
        ]
        if runs.isEmpty {
            body.append("<p>No lesson has run into this folder yet: <code>swift run lesson01</code> writes the first page.</p>")
        } else {
            body.append("<ul class=\"runs\">")
            for run in runs { body.append(card(run)) }
            body.append("</ul>")
        }
        return HTML.page(title: "NOLA lessons — the runs", meta: [], body: body.joined(separator: "\n"))
    }

    private func card(_ run: Run) -> String {
        let page = "\(run.folder)/\(LessonPage.fileName)"
        var lines = ["<li>"]
        if let image = image(for: run) {
            lines.append("<a href=\"\(HTML.escaped(page))\"><img src=\"\(HTML.escaped(image))\" alt=\"\(HTML.escaped(run.title))\" /></a>")
        }
        lines.append("<h2><a href=\"\(HTML.escaped(page))\">Lesson \(run.number) — \(HTML.escaped(run.title))</a></h2>")
        lines.append("<p>Follows the paper's \(HTML.escaped(run.follows)).</p>")
        var when = "Run of \(run.date): \(run.scale) run, seed \(run.seed), \(run.duration)"
        if run.status == "failed" { when += ", STOPPED with an error (see its page)" }
        lines.append("<p class=\"muted\">\(HTML.escaped(when)).</p>")
        lines.append("</li>")
        return lines.joined(separator: "\n")
    }

    /// The gallery image when the folder has one, else the run's first figure; nil for neither.
    func image(for run: Run) -> String? {
        let gallery = "gallery/\(run.folder).png"
        if FileManager.default.fileExists(atPath: plots.appendingPathComponent(gallery).path) { return gallery }
        if let figure = run.figure,
           FileManager.default.fileExists(atPath: plots.appendingPathComponent(run.folder).appendingPathComponent(figure).path) {
            return "\(run.folder)/\(figure)"
        }
        return nil
    }

    static func unescaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
