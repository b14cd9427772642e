import ArgumentParser
import Foundation

/// How a lesson reads its command line: one mechanism, the same in every lesson.
///
/// A lesson declares its options as a `ParsableCommand` named after itself, with a one-line
/// overview, and parses them with `parseLessonOptions()` before it prints anything:
///
/// ```swift
/// struct Options: ParsableCommand {
///     static let configuration = CommandConfiguration(
///         commandName: "lesson04", abstract: "Lesson 04 — LoRA: a weight change of low rank (§2, Table 1).")
///     @OptionGroup var common: CommonOptions
///     @OptionGroup var data: DataOptions      // only the lessons that train on digits
/// }
/// let options = Options.parseLessonOptions()
/// let lesson = Lesson(number: 4, title: "LoRA", follows: "§2, Table 1", options: options.common)
/// ```
///
/// - `lessonNN --help` prints `OVERVIEW: <abstract>`, `USAGE: lessonNN …` and the options (exit 0).
/// - A bad argument prints one line on stderr, `error: <what is wrong> (`lessonNN --help` lists
///   the options)`, and exits with `Lesson.usageExitCode` (64, `EX_USAGE` of sysexits.h).
/// - Bad input found later (data files, folders, adapter files) goes through `Lesson.fail`:
///   one line, exit 1.
///
/// The tests run every `Lessons/lessonNN` executable with `--help` and with bad arguments and
/// check all of this, so a new lesson that skips the pattern fails them.
extension ParsableCommand {
    /// Parses the command line (or `arguments`); prints the help and exits 0 for `--help`; prints
    /// one line and exits with `Lesson.usageExitCode` for anything it cannot accept.
    public static func parseLessonOptions(_ arguments: [String]? = nil) -> Self {
        do {
            return try parse(arguments)
        } catch {
            if exitCode(for: error) == .success {  // --help: the help, exit 0 (or 1 if it could not be written)
                print(fullMessage(for: error))
                Lesson.checkStandardOutput("the help")
                Lesson.exitSuccess()
            }
            Lesson.failUsage(lessonUsageError(for: error))
        }
    }

    /// The one line printed for an argument error: `error: <message> (`lessonNN --help` lists
    /// the options)`.
    public static func lessonUsageError(for error: any Error) -> String {
        let message = self.message(for: error)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        let name = configuration.commandName ?? "the lesson"
        let sentence = message.hasSuffix(".") ? String(message.dropLast()) : message
        return "error: \(sentence) (`\(name) --help` lists the options)"
    }
}

extension Lesson {
    /// The exit status of every argument error, in every lesson: 64, `EX_USAGE` of sysexits.h
    /// (ArgumentParser's own choice). Other bad input exits 1 (`Lesson.fail`).
    public static let usageExitCode: Int32 = 64

    /// Exits with status 0.
    static func exitSuccess() -> Never { exit(0) }

    /// Prints `line` on stderr and exits with `usageExitCode`.
    static func failUsage(_ line: String) -> Never {
        StandardStreams.writeError(line + "\n")
        exit(usageExitCode)
    }
}
