import Foundation
import Testing

/// What a newcomer meets first, checked for every lesson in `Lessons/` (a new lesson is covered
/// as soon as its folder exists): `--help` with the lesson's own name and a one-line overview,
/// and argument errors as one line with the same exit status everywhere (`parseLessonOptions`).
@Suite("Every lesson: help and argument errors")
struct LessonFirstContactTests {
    /// `lesson01`, `lesson02`, … : the folders of `Lessons/`.
    static let lessons: [String] = {
        let folder = ProgramRun.packageRoot.appendingPathComponent("Lessons")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("lesson") && !$0.contains(".") }.sorted()
    }()

    func run(_ lesson: String, _ arguments: [String]) throws -> ProgramRun.Result {
        let executable = ProgramRun.buildFolder.appendingPathComponent(lesson)
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "\(executable.path) is not built")
        return try ProgramRun.run(executable, arguments, in: URL(fileURLWithPath: NSTemporaryDirectory()))
    }

    @Test("there are lessons to check")
    func found() { #expect(Self.lessons.count >= 10, "\(Self.lessons)") }

    @Test("--help names the lesson and gives a one-line overview", arguments: lessons)
    func help(lesson: String) throws {
        let result = try run(lesson, ["--help"])
        #expect(result.status == 0)
        let number = lesson.dropFirst("lesson".count)
        #expect(result.stdout.hasPrefix("OVERVIEW: Lesson \(number) — "), "\(result.stdout)")
        #expect(result.stdout.contains("USAGE: \(lesson) "), "\(result.stdout)")
        for option in ["--seed <N>", "--quick", "--full", "--plots <DIR>"] {
            #expect(result.stdout.contains(option), "\(lesson) --help lacks \(option)")
        }
        #expect(!result.stdout.contains("common") && !result.stdout.contains("USAGE: options"))
    }

    @Test("the README's gallery shows the lesson, and Lessons/gallery.sh makes its image", arguments: lessons)
    func gallery(lesson: String) throws {
        let root = ProgramRun.packageRoot
        let image = "plots/gallery/\(lesson).png"
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(image).path),
                "\(image) is missing: run Lessons/gallery.sh \(lesson) and commit it")
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("(\(image))"), "README.md's gallery has no cell for \(lesson)")
        let script = try String(contentsOf: root.appendingPathComponent("Lessons/gallery.sh"), encoding: .utf8)
        #expect(script.contains("    \(lesson):"), "Lessons/gallery.sh does not list \(lesson)'s figure")
    }

    @Test("data/README.md's paragraphs on --data name only lessons whose --help lists --data (it said lesson11)")
    func dataReadme() throws {
        let text = try String(contentsOf: ProgramRun.packageRoot.appendingPathComponent("data/README.md"), encoding: .utf8)
        var named: Set<String> = []
        for paragraph in text.components(separatedBy: "\n\n") where paragraph.contains("`--data") {
            named.formUnion(paragraph.matches(of: /lesson\d\d/).map { String($0.output) })
        }
        for lesson in named.sorted() {
            let help = try run(lesson, ["--help"]).stdout
            #expect(help.contains("--data"), "data/README.md says \(lesson) takes --data, but its --help has no --data")
        }
    }

    @Test("argument errors: one line naming the lesson, exit 64", arguments: lessons)
    func usageErrors(lesson: String) throws {
        for arguments in [["--frobnicate"], ["--seed", "-1"], ["--quick", "--full"]] {
            let result = try run(lesson, arguments)
            #expect(result.status == 64, "\(lesson) \(arguments): exit \(result.status)")
            let lines = result.stderr.split(whereSeparator: \.isNewline)
            #expect(lines.count == 1, "\(lesson) \(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("`\(lesson) --help`"), "\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(lesson) \(arguments) printed before checking its arguments")
        }
    }
}
