import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

/// lesson16's command line: the common options, `--data`, and the size of the run.
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson16",
        abstract: "Lesson 16 — NOLA on a quantized LLaMA-style model: Table 5 trained (instruction tuning on a 16/8/4-bit base, 5-shot multiple choice).")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: TextDataOptions
    @Option(help: "Seeds per row (default 1, --full 3).")
    var seeds: Int?
    @Option(help: "Optimizer steps of instruction tuning per row (default 60, --full one epoch; --quick 3).")
    var steps: Int?
    @Option(help: "Held-out multiple-choice questions to score (0: all; default 48, --full all).")
    var questions: Int?
    @Option(name: .customLong("bits"), help: ArgumentHelp("Base precisions, comma-separated from 16, 8, 4.", valueName: "list"))
    var bitsText = "16,8,4"

    func validate() throws {
        if let seeds, !(1...10).contains(seeds) { throw ValidationError("--seeds must be from 1 to 10, e.g. --seeds 3.") }
        if let steps, !(1...100_000).contains(steps) { throw ValidationError("--steps must be from 1 to 100000, e.g. --steps 200.") }
        if let questions, questions < 0 { throw ValidationError("--questions must be 0 (all) or a positive count, e.g. --questions 200.") }
        _ = try parsedFormats()
    }

    /// `--bits` as formats, in the order given.
    func parsedFormats() throws -> [PackedWeight.Format] {
        let items = bitsText.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let formats = try items.map { item -> PackedWeight.Format in
            guard let format = PackedWeight.Format.allCases.first(where: { String($0.bits) == item }) else {
                throw ValidationError("--bits: '\(item)' is not a base precision; use 16, 8 or 4, comma-separated (e.g. --bits 8,4).")
            }
            return format
        }
        guard Set(formats).count == formats.count else { throw ValidationError("--bits lists a precision twice in '\(bitsText)'.") }
        return formats
    }

    /// The restaurants: synthetic, or the E2E challenge's three published splits from data/e2e.
    func loadData() -> E2EData {
        do {
            return try E2EData.load(data.source(seed: common.seed))
        } catch {
            Lesson.fail("\(error)")
        }
    }
}

/// One method of Table 5's columns: a name, the adapter (nil: without fine-tuning), whether it
/// runs at every precision or only on the 8-bit base (the extra budgets of the figure).
struct Method {
    let name: String
    let slug: String
    let adapter: AdapterMethod?
    let everyPrecision: Bool
}

/// Mean and sample standard deviation, for the tables.
func spread(_ values: [Double]) -> Spread { Spread(values.isEmpty ? [.nan] : values) }
