import ArgumentParser
import Foundation
import NOLAKit
import Testing

@testable import LessonKit

@Suite("Text lessons' --data option")
struct TextDataOptionsTests {
    @Test("synthetic by default, e2e reads data/e2e, case does not matter")
    func values() throws {
        #expect(try TextDataOptions.parse([]).source(seed: 4) == .synthetic(seed: 4))
        #expect(try TextDataOptions.parse(["--data", "e2e"]).source(seed: 4) == .e2e(folder: "data/e2e"))
        #expect(try TextDataOptions.parse(["--data", "Synthetic"]).source(seed: 9) == .synthetic(seed: 9))
    }

    @Test("an unknown value is rejected with a message naming both choices")
    func unknown() {
        do {
            _ = try TextDataOptions.parse(["--data", "mnist"])
            Issue.record("--data mnist was accepted")
        } catch {
            let message = TextDataOptions.message(for: error)
            #expect(message.contains("mnist") && message.contains("--data synthetic") && message.contains("--data e2e"))
        }
    }

    @Test("--data e2e without the files stops with one line: where to put them, where to get them")
    func missingFiles() async {
        let result = await #expect(processExitsWith: .exitCode(1), observing: [\.standardErrorContent]) {
            // A fresh empty folder as the current directory: no data/e2e below it.
            let empty = (NSTemporaryDirectory() as NSString).appendingPathComponent("nola-no-e2e-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            _ = FileManager.default.changeCurrentDirectoryPath(empty)
            let options = try TextDataOptions.parse(["--data", "e2e"])
            _ = options.loadOrExit(seed: 1)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.hasPrefix("error: data/e2e: "))
        #expect(text.contains("devset.csv") && text.contains("data/README.md") && text.contains("--data synthetic"))
        #expect(text.split(separator: "\n").count == 1)
    }
}
