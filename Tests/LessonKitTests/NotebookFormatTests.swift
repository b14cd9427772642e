import Foundation
import Testing

/// Every lesson reads as a notebook (DESIGN.md, "Lesson format"): `main.swift` starts with its
/// header comment and reaches its first cell, `// MARK: - 1. …`, within about 40 lines, and is no
/// longer than about 450 lines; options and helpers live in files beside it.
@Suite("Every lesson: main.swift reads as a notebook")
struct NotebookFormatTests {
    /// Lessons whose owners are splitting them at the moment (issue 26 left them alone); remove a
    /// name when its split lands.
    static let beingSplit: Set<String> = []

    @Test("header first, first cell within about 40 lines, at most about 450 lines",
          arguments: LessonFirstContactTests.lessons.filter { !beingSplit.contains($0) })
    func notebook(lesson: String) throws {
        let url = ProgramRun.packageRoot.appendingPathComponent("Lessons/\(lesson)/main.swift")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("// Lesson ") == true, "\(lesson)/main.swift does not start with its header")
        let firstCell = lines.firstIndex { $0.hasPrefix("// MARK: - 1. ") }.map { $0 + 1 }
        #expect(firstCell != nil, "\(lesson)/main.swift has no `// MARK: - 1. …` cell")
        #expect((firstCell ?? .max) <= 45, "\(lesson)'s first cell is at line \(firstCell ?? 0): move options and helpers beside main.swift")
        #expect(lines.count <= 460, "\(lesson)/main.swift has \(lines.count) lines: move helpers into files beside it")
    }
}
