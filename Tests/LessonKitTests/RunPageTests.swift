import Foundation
import Testing

@testable import LessonKit

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The page of a run (`plots/lessonNN/index.html`) and the index of runs (`plots/index.html`):
/// well-formed, self-contained, every file they name present, and holding what the lesson
/// printed. With `NOLA_PAGES_DIR=<plots folder>` (as `.ci/run` does after running every lesson)
/// the same checks run on every page in that folder.
@Suite("Run pages")
struct RunPageTests {
    // MARK: A page from a record

    @Test("a page shows the record in order: cells, prose, tables, figures, warnings, the closing table")
    func pageFromRecord() throws {
        let folder = try Self.freshFolder("record")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("curve.png").path, contents: Data([0x89]))
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("curve.gp").path, contents: Data())
        var record = RunRecord()
        record.append(.cell(index: 1, title: "Shapes & sizes"))
        record.append(.prose("A <b>paragraph</b> that\ngoes on.\n\n- an item\n- another \"item\"\n\n    y = x Wᵀ + b\n    dW = dyᵀ x\nEnd."))
        var table = Table(["method", "trainable"])
        table.row(["LoRA r=1", "1,306"])
        record.append(.table(table))
        record.append(.facts([("seed", "1")]))
        record.append(.figure(name: "curve", title: "Loss (cf. Fig. 1)", rendered: true))
        record.append(.figure(name: "gone", title: "Not rendered", rendered: false))
        record.append(.warning("gnuplot said no"))
        record.append(.heading("Paper vs ours"))
        let page = LessonPage(
            number: 3, title: "Backprop by hand", follows: "appendix A.2", record: record,
            facts: Self.facts, existing: { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) })
        let url = folder.appendingPathComponent("index.html")
        try page.html().write(to: url, atomically: true, encoding: .utf8)

        let checked = try PageCheck.check(url)
        #expect(checked.problems.isEmpty, "\(checked.problems)")
        #expect(checked.headings == ["Lesson 3 — Backprop by hand", "1. Shapes & sizes", "Paper vs ours", "This run"])
        #expect(checked.text.contains("A <b>paragraph</b> that goes on."), "prose is escaped and re-joined")
        #expect(checked.elements["li", default: 0] >= 2 && checked.elements["pre", default: 0] == 1)
        #expect(checked.elements["table", default: 0] == 1 && checked.elements["img", default: 0] == 1)
        #expect(checked.images == ["curve.png"])
        #expect(checked.text.contains("gnuplot gone.gp"), "an unrendered figure says how to render it")
        #expect(checked.text.contains("warning: gnuplot said no"))
        let html = try String(contentsOf: url, encoding: .utf8)
        #expect(html.contains("<td class=\"num\">1,306</td>"), "numbers are aligned right as in the terminal")
        #expect(RunIndex.run(fromPage: html, folder: "lesson03")?.title == "Backprop by hand")
    }

    @Test("prose becomes paragraphs, lists and preformatted lines, as the terminal wraps it")
    func prose() {
        let html = LessonPage.prose("One\ntwo.\n\n- a\n  b\n- c\n    x = 1\n     y = 2\nthree")
        #expect(html == "<p>One two.</p>\n<ul>\n<li>a b</li>\n<li>c</li>\n</ul>\n<pre>x = 1\n y = 2</pre>\n<p>three</p>")
    }

    @Test("the command line is shown as it can be typed again")
    func commandLine() {
        #expect(RunFacts.commandLine(["/x/.build/debug/lesson06", "--quick", "--plots", "my plots", "it's"])
            == "lesson06 --quick --plots 'my plots' 'it'\\''s'")
    }

    // MARK: Pages written by a lesson

    @Test("a lesson's run writes its page and the index: well-formed, every figure present, every cell shown")
    func lessonWritesPage() throws {
        let folder = try Self.freshFolder("lesson07")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try ProgramRun.run(
            ProgramRun.buildFolder.appendingPathComponent("lesson07"), ["--quick", "--plots", "out"], in: folder)
        try #require(result.status == 0, "\(result.stderr)")
        let page = folder.appendingPathComponent("out/lesson07/index.html")
        let checked = try PageCheck.check(page)
        #expect(checked.problems.isEmpty, "\(checked.problems)")
        // Every heading the terminal showed (underlined with dashes) is a heading of the page.
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let printed = lines.indices.dropLast().filter { !lines[$0 + 1].isEmpty && lines[$0 + 1].allSatisfy { $0 == "-" } }
            .map { lines[$0] }
        #expect(printed.count >= 3)
        for heading in printed { #expect(checked.headings.contains(heading), "'\(heading)' is not on the page") }
        #expect(checked.images.contains("coverage.png"))
        #expect(checked.text.contains("lesson07 --quick --plots out"), "the command line is among the facts")
        #expect(result.stdout.contains("out/lesson07/index.html"), "the terminal says where the page is")

        let index = try PageCheck.check(folder.appendingPathComponent("out/index.html"))
        #expect(index.problems.isEmpty, "\(index.problems)")
        #expect(index.links.contains("lesson07/index.html"))
        #expect(index.images == ["lesson07/coverage.png"], "without a gallery, the run's first figure")
    }

    @Test("a lesson that fails part-way leaves a page saying where and why")
    func failedRunPage() throws {
        let folder = try Self.freshFolder("lesson07-fails")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("plots/lesson07/coverage.dat"), withIntermediateDirectories: true)
        let result = try ProgramRun.run(ProgramRun.buildFolder.appendingPathComponent("lesson07"), ["--quick"], in: folder)
        #expect(result.status == 1)
        let page = folder.appendingPathComponent("plots/lesson07/index.html")
        let checked = try PageCheck.check(page)
        #expect(checked.problems.isEmpty, "\(checked.problems)")
        #expect(checked.text.contains("The run stopped here. error: cannot write plots/lesson07/coverage.dat"))
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(RunIndex.run(fromPage: html, folder: "lesson07")?.status == "failed")
    }

    @Test("every page in NOLA_PAGES_DIR (set by .ci/run after the lessons ran)",
          .enabled(if: ProcessInfo.processInfo.environment["NOLA_PAGES_DIR"] != nil, "NOLA_PAGES_DIR is not set"))
    func pagesInFolder() throws {
        let plots = URL(fileURLWithPath: ProcessInfo.processInfo.environment["NOLA_PAGES_DIR"] ?? "")
        let names = try FileManager.default.contentsOfDirectory(atPath: plots.path).filter { $0.hasPrefix("lesson") }.sorted()
        var pages = [plots.appendingPathComponent("index.html")]
        pages += names.map { plots.appendingPathComponent($0).appendingPathComponent("index.html") }
        for page in pages {
            let checked = try PageCheck.check(page)
            #expect(checked.problems.isEmpty, "\(page.path): \(checked.problems)")
        }
        let index = try PageCheck.check(plots.appendingPathComponent("index.html"))
        for name in names { #expect(index.links.contains("\(name)/index.html"), "plots/index.html does not list \(name)") }
    }

    // MARK: Helpers

    static let facts = RunFacts(
        command: "lesson03 --quick", seed: 1, scale: .quick, data: "synthetic", cpu: "a CPU", memory: "8 GB",
        blas: "OpenBLAS", started: Date(timeIntervalSince1970: 0), seconds: 1.5, cpuSeconds: 2)

    static func freshFolder(_ name: String) throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("nola-page-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// Reads a page as XML and lists what a reader would miss: a parse error, a file it names that
/// is not there, anything fetched from elsewhere (scripts, remote images, style sheets or fonts).
enum PageCheck {
    struct Result {
        var problems: [String] = []
        var headings: [String] = []
        var images: [String] = []
        var links: [String] = []
        var elements: [String: Int] = [:]
        var text = ""
    }

    static func check(_ page: URL) throws -> Result {
        let data = try Data(contentsOf: page)
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        var result = reader.result
        // FoundationXML's parse() can return true after an error: its parserError tells.
        if !parser.parse() || parser.parserError != nil || reader.failed {
            result.problems.append("not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
            return result
        }
        result = reader.result
        if result.headings.isEmpty { result.problems.append("no headings: an empty page") }
        let folder = page.deletingLastPathComponent()
        for name in result.images + result.links {
            if name.hasPrefix("#") { continue }
            if name.contains("://") || name.hasPrefix("//") {
                result.problems.append("'\(name)' is fetched from elsewhere")
            } else if !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                result.problems.append("'\(name)' is named but missing")
            }
        }
        if result.elements["script"] != nil || result.elements["link"] != nil {
            result.problems.append("a script or an outside style sheet")
        }
        return result
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var result = Result()
        var failed = false
        private var heading: String?

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) { failed = true }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            result.elements[name, default: 0] += 1
            if ["h1", "h2"].contains(name) { heading = "" }
            if name == "img", let src = attributes["src"] { result.images.append(src) }
            if name == "a", let href = attributes["href"] { result.links.append(href) }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if ["h1", "h2"].contains(name), let text = heading {
                result.headings.append(text)
                heading = nil
            }
            if ["p", "li", "pre", "td", "dd", "h1", "h2"].contains(name) { result.text += "\n" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if heading != nil { heading! += string }
            result.text += string
        }
    }
}

@Suite("Run pages: the checker")
struct PageCheckTests {
    @Test("the checker catches a broken tag, a missing figure and anything fetched from elsewhere")
    func catches() throws {
        let folder = try RunPageTests.freshFolder("checker")
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("index.html")
        func problems(_ body: String) throws -> [String] {
            try "<!DOCTYPE html>\n<html><body><h1>T</h1>\(body)</body></html>".write(to: page, atomically: true, encoding: .utf8)
            return try PageCheck.check(page).problems
        }
        #expect(try problems("<p>fine</p>").isEmpty)
        #expect(try problems("<p>unclosed</body></html>").first?.hasPrefix("not well-formed") == true)
        #expect(try problems("<img src=\"missing.png\" />") == ["'missing.png' is named but missing"])
        #expect(try problems("<img src=\"https://example.org/a.png\" />") == ["'https://example.org/a.png' is fetched from elsewhere"])
        #expect(try problems("<script>1</script>") == ["a script or an outside style sheet"])
    }
}
