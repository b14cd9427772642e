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

    /// ArgumentParser took "-1" for an option name and said "Missing value for '--seed <seed>'".
    @Test("a seed outside 0…2⁶⁴−1 is named as such, never 'Missing value'", arguments: [
        "-1", "18446744073709551616", "1e3", "0x10", " 7", "",
    ])
    func badSeed(text: String) {
        do {
            _ = try CommonOptions.parse(["--seed", text])
            Issue.record("--seed '\(text)' was accepted")
        } catch {
            #expect(CommonOptions.message(for: error)
                == "--seed '\(text)' is not a whole number from 0 to 18446744073709551615; pass e.g. --seed 7.")
        }
    }

    @Test("the seed takes every value from 0 to 2⁶⁴−1")
    func seedRange() throws {
        #expect(try CommonOptions.parse(["--seed", "0"]).seed == 0)
        #expect(try CommonOptions.parse(["--seed", "18446744073709551615"]).seed == .max)
    }

    /// A lesson's options as every lesson declares them (see `LessonArguments.swift`).
    struct LessonOptions: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lesson99", abstract: "Lesson 99 — a test.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var data: DataOptions
    }

    @Test("an argument error is one line that names the lesson and where the options are listed", arguments: [
        (["--frobnicate"], "error: Unknown option '--frobnicate' (`lesson99 --help` lists the options)"),
        (["--seed", "-1"], "error: --seed '-1' is not a whole number from 0 to 18446744073709551615; pass e.g. "
            + "--seed 7 (`lesson99 --help` lists the options)"),
        (["--data", "cifar"], "error: --data 'cifar' is unknown; use --data synthetic or --data mnist "
            + "(`lesson99 --help` lists the options)"),
        (["--quick", "--full"], "error: --quick and --full cannot be combined; pick one (`lesson99 --help` lists the options)"),
    ])
    func usageLine(arguments: [String], line: String) {
        do {
            _ = try LessonOptions.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            #expect(LessonOptions.lessonUsageError(for: error) == line)
        }
    }

    @Test("an argument error exits with 64 and one line on stderr")
    func usageExit() async {
        let result = await #expect(processExitsWith: .exitCode(64), observing: [\.standardErrorContent]) {
            _ = LessonOptions.parseLessonOptions(["--seed", "-1"])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.split(separator: "\n").count == 1)
        #expect(text.hasPrefix("error: --seed '-1'"))
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
