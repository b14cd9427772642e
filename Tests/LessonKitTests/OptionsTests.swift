import ArgumentParser
import Testing

@testable import LessonKit

@Suite("Common lesson options")
struct OptionsTests {
    @Test("defaults: seed 1, standard scale, plots folder")
    func defaults() throws {
        let o = try CommonOptions.parse([])
        #expect(o.seed == 1)
        #expect(o.scale == .standard)
        #expect(o.plotsDirectory == "plots")
    }

    @Test("flags set seed, scale and folder")
    func flags() throws {
        let o = try CommonOptions.parse(["--seed", "7", "--full", "--plots", "/tmp/x"])
        #expect(o.seed == 7)
        #expect(o.scale == .full)
        #expect(o.plotsDirectory == "/tmp/x")
        #expect(try CommonOptions.parse(["--quick"]).scale == .quick)
    }

    @Test("bad values are rejected with a message naming the flag", arguments: [
        (["--seed", "abc"], "seed"), (["--seed", "-3"], "seed"), (["--quick", "--full"], "--quick"),
        (["--plots", ""], "--plots"), (["--frobnicate"], "frobnicate"), (["--seed"], "seed"),
    ])
    func rejects(arguments: [String], culprit: String) {
        do {
            _ = try CommonOptions.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = CommonOptions.message(for: error)
            #expect(message.contains(culprit), "message '\(message)' does not name \(culprit)")
        }
    }

    @Test("scale picks its value")
    func pick() {
        #expect(Scale.quick.pick(quick: 1, standard: 2, full: 3) == 1)
        #expect(Scale.standard.pick(quick: 1, standard: 2, full: 3) == 2)
        #expect(Scale.full.pick(quick: 1, standard: 2, full: 3) == 3)
    }

    @Test("an unwritable plots folder stops the lesson with one line naming it")
    func unwritablePlots() async {
        let result = await #expect(processExitsWith: .exitCode(1), observing: [\.standardErrorContent]) {
            let options = try CommonOptions.parse(["--plots", "/proc/no-such-place"])
            _ = Lesson(number: 99, title: "t", follows: "—", options: options)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.hasPrefix("error: "))
        #expect(text.contains("/proc/no-such-place"))
        #expect(text.contains("--plots"))
        #expect(text.split(separator: "\n").count == 1)
    }
}
