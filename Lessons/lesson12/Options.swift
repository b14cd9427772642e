import ArgumentParser
import LessonKit
import NOLAKit

/// lesson12's command line: the common options, the data, the job grid, and the run's size.
///
///     swift run lesson12 --data e2e --rows lora_r1,nola_qv_1 --seeds 2 --test-mrs 100
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson12",
        abstract: "Lesson 12 — NOLA on a GPT for E2E data-to-text: Tables 1, 3 and 4 with the challenge's metrics.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: TextDataOptions
    @OptionGroup var grid: GridOptions
    @Option(help: "Seeds per row (default: 1, --full 3).")
    var seeds: Int?
    @Option(name: .customLong("test-mrs"), help: "Test MRs to decode and score (0: all; default 30, --full all).")
    var testMRs: Int?
    @Option(help: "Beam width of the decoder (the paper's 10; default run 4).")
    var beam: Int?
    @Option(name: .customLong("quant-mrs"), help: "Test MRs scored in the quantization cell (0: all of cell 5's; default 20, --full 100).")
    var quantMRs: Int?
    @Option(help: "Epochs of adaptation per row (default 1, --full 0.5); the best point on the validation loss is kept.")
    var epochs: Double?
    @Option(name: .customLong("rate-scale"), help: ArgumentHelp(
        "Multiply every row's learning rate by this factor (a rate probe, default 1): choose by the validation loss, never by "
            + "test BLEU; a --full run keeps its results in a folder of its own (results/e2e-full-l6c256-lr0.5x).",
        valueName: "x"))
    var rateScale: Float?
    @Option(help: "Table 1 rows to run, comma-separated slugs (e.g. lora_r1,nola_qv_1; default: the run's own set; lora_all_r1 and nola_all_1, adapters on every linear layer, run only when named).")
    var rows: String?
    @Option(name: .customLong("quant-rules"), help: ArgumentHelp(
        "Scale rules of cell 10, comma-separated: absmax, mse, mean-abs, each optionally per group (absmax/32).",
        valueName: "rules"))
    var quantRulesText = "absmax,mse"
    @Flag(name: .customLong("no-table4"), help: "Leave out cell 10's jobs (Table 4).")
    var noTable4 = false
    @Flag(name: .customLong("table4-only"), help: "Run cell 10's jobs (Table 4) alone.")
    var table4Only = false
    @Option(name: .customLong("base-shape"), help: ArgumentHelp(
        "The base GPT's blocks × width, e.g. 6x256 (heads: width / 32; default 4x128, --quick 2x48); "
            + "a --full run on another shape keeps its results in a folder of its own (results/e2e-full-l6c256).",
        valueName: "LxC"))
    var baseShape: String?
    @Flag(name: .customLong("base-only"), help: "Pretrain (or load) and cache the run's base GPTs, then stop: do it once before starting several --jobs processes.")
    var baseOnly = false

    func validate() throws {
        if let seeds, !(1...10).contains(seeds) { throw ValidationError("--seeds must be from 1 to 10, e.g. --seeds 3.") }
        if let testMRs, testMRs < 0 { throw ValidationError("--test-mrs must be 0 (all) or a positive count, e.g. --test-mrs 100.") }
        if let beam, !(1...32).contains(beam) { throw ValidationError("--beam must be from 1 to 32, e.g. --beam 10.") }
        _ = try parsedQuantRules()
        if let rows {
            let chosen = Self.slugs(rows)
            if chosen.isEmpty { throw ValidationError("--rows needs at least one row, e.g. --rows lora_r1,nola_qv_1; the rows are \(Self.rowSlugs.joined(separator: ", ")).") }
            let unknown = Set(chosen).subtracting(Self.rowSlugs).sorted()
            if !unknown.isEmpty {
                throw ValidationError("--rows: no row \(unknown.joined(separator: ", ")); the rows are \(Self.rowSlugs.joined(separator: ", ")).")
            }
            if table4Only { throw ValidationError("--rows chooses Table 1's rows and --table4-only runs no Table 1 row; pass one of them.") }
        }
        _ = try parsedBaseShape()
        if baseOnly && grid.fromResults { throw ValidationError("--base-only pretrains and --from-results runs nothing; pass one of them.") }
        if noTable4 && table4Only { throw ValidationError("--no-table4 and --table4-only exclude each other; pass one.") }
        if let epochs, !(epochs > 0 && epochs <= 50) { throw ValidationError("--epochs must be above 0 and at most 50, e.g. --epochs 3.") }
        if let rateScale, !(rateScale > 0 && rateScale <= 10) { throw ValidationError("--rate-scale must be above 0 and at most 10, e.g. --rate-scale 0.5.") }
        if let quantMRs, quantMRs < 0 { throw ValidationError("--quant-mrs must be 0 (all) or a positive count, e.g. --quant-mrs 50.") }
    }

    /// The slugs of Table 1's rows (cell 3), in order; the last two are the sites probe's
    /// (`siteProbeRows`), run only when named.
    static let rowSlugs = ["frozen", "full", "lora_r4", "lora_r1", "nola_qv_4x", "nola_qv_1", "nola_mlp_1",
                           "nola_qv_half", "nola_mlp_half", "nola_qv_quarter", "nola_mlp_quarter", "lora_all_r1", "nola_all_1"]

    /// The non-empty, trimmed items of a comma-separated list.
    static func slugs(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `--rows` as a set (nil: not given).
    var chosenRows: Set<String>? { rows.map { Set(Self.slugs($0)) } }

    func parsedQuantRules() throws -> [QuantRule] {
        let rules = try quantRulesText.split(separator: ",", omittingEmptySubsequences: false).map { item -> QuantRule in
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let rule = ScaleRule(rawValue: String(parts[0])) else {
                throw ValidationError("--quant-rules: '\(item)' is not a rule; use absmax, mse or mean-abs, optionally /GROUP (e.g. absmax,mse,absmax/32).")
            }
            if parts.count == 1 { return QuantRule(rule: rule, group: nil) }
            guard let group = Int(parts[1]), group > 0 else {
                throw ValidationError("--quant-rules: the group in '\(item)' must be a positive whole number, e.g. absmax/32.")
            }
            return QuantRule(rule: rule, group: group)
        }
        guard Set(rules.map(\.slug)).count == rules.count else { throw ValidationError("--quant-rules: a rule is listed twice in '\(quantRulesText)'.") }
        return rules
    }
    var quantRules: [QuantRule] { (try? parsedQuantRules()) ?? [] }

    /// `--base-shape` as (blocks, width), nil when not given: "6x256" → (6, 256).
    func parsedBaseShape() throws -> (layers: Int, width: Int)? {
        guard let baseShape else { return nil }
        let parts = baseShape.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let layers = Int(parts[0]), let width = Int(parts[1]),
              (1...24).contains(layers), (32...1024).contains(width), width % 32 == 0 else {
            throw ValidationError("--base-shape: '\(baseShape)' is not BLOCKSxWIDTH with 1–24 blocks and a width of 32–1024 in steps of 32, e.g. --base-shape 6x256.")
        }
        return (layers, width)
    }
}

/// A scale rule of cell 10, one scale per tensor or per group of `group` coefficients.
struct QuantRule {
    let rule: ScaleRule
    let group: Int?
    /// "absmax", "MSE-optimal", "mean-|x|", with " per 32" for groups.
    var name: String { rule.title + (group.map { " per \($0)" } ?? "") }
    /// For file names: "absmax", "mse", "mean-abs", "absmax_g32".
    var slug: String { rule.rawValue + (group.map { "_g\($0)" } ?? "") }
    func quantizer(_ bits: Int) -> SymmetricQuantizer { SymmetricQuantizer(bits: bits, rule: rule, groupSize: group) }
}
