import LessonKit
import NOLAKit

/// Cell 10's protocol (Table 4 on the GPT), as lesson 10 runs it on digits: an adapter trains in
/// float for 80 % of the run's epochs, then a last phase of 20 % at a tenth of the rate, in float
/// for PTQ (then quantized to each bit width) or through the quantizer for QAT
/// (`QuantizationExperiment`). `ptqBits` and `qatBits` empty of QAT: PTQ only, of the float model.
@MainActor
struct QuantizationProtocol {
    /// What a run's cell 10 measures: the rules, the test MRs, and whether it runs the paper's
    /// protocol (`full`: PTQ 16/8/4/3/2 and QAT 4/3/2 of adapters trained for it) or PTQ 3/2 of
    /// cell 5's LoRA r=1 and NOLA QV models (`ptqOfRows`, the default run); neither: no cell 10.
    struct Settings {
        let rules: [QuantRule]
        let mrs: [MeaningRepresentation]
        let references: [[String]]
        let full: Bool
        let ptqOfRows: Bool
    }

    let adaptation: Adaptation
    let settings: Settings
    var rules: [QuantRule] { settings.rules }
    var ptqBits: [Int] { settings.full ? SymmetricQuantizer.paperBits : [3, 2] }
    var qatBits: [Int] { settings.full ? [4, 3, 2] : [] }
    var mrs: [MeaningRepresentation] { settings.mrs }
    var references: E2EScores.References { E2EScores.References(settings.references) }

    /// The methods compared: LoRA QV r=1 against NOLA QV rank 4 with 0.78 of its count (the
    /// paper's 144K / 184K on GPT-2 L).
    static func methods(kR1: Int) -> [(name: String, slug: String, method: AdapterMethod, color: Color)] {
        [("LoRA QV r=1", "lora_r1", .lora(rank: 1, c: 1), .lora),
         ("NOLA QV r=4", "nola_qv_r4", nola(4, Int((0.78 * Double(kR1)).rounded())), .nola)]
    }

    /// The setting's key in `JobPayload.quantization`: "float", "ptq absmax 3", "qat mse_g32 2".
    static func key(_ qat: Bool, _ rule: QuantRule, _ bits: Int) -> String { "\(qat ? "qat" : "ptq") \(rule.slug) \(bits)" }

    /// Trains `method` on Q,V with `seed` and measures BLEU in float, after PTQ and after QAT.
    func run(_ method: AdapterMethod, seed: UInt64) throws -> JobPayload {
        let model = adaptation.model(method, sites: .queryValue, seed: seed)
        var first = adaptation.recipe(method)
        first.epochs *= 0.8
        first.warmup = min(first.warmup, first.steps(rows: adaptation.train.count) / 4)
        var last = adaptation.recipe(method)
        last.epochs *= 0.2
        last.learningRate *= 0.1
        last.warmup = 0
        let train = adaptation.train
        try E2EFineTuning.train(model, on: train, validation: nil, recipe: first, seed: seed &+ 1, evaluations: 1)
        func bleu() -> Double {
            let outputs = adaptation.decode(model, method, .queryValue, seed: seed, mrs: mrs)
            return E2EScores(hypotheses: outputs, references: references).bleu.score
        }
        let quantizers = { (bits: [Int]) in rules.flatMap { r in bits.map { (r, $0, r.quantizer($0)) } } }
        let result = try QuantizationExperiment.run(
            on: model, postTraining: quantizers(ptqBits).map(\.2), quantizationAware: quantizers(qatBits).map(\.2),
            lastPhase: { try E2EFineTuning.train(model, on: train, validation: nil, recipe: last, seed: seed &+ 2, evaluations: 1) },
            evaluate: bleu)
        var values = ["float": result.float]
        for (r, bits, q) in quantizers(ptqBits) { values[Self.key(false, r, bits)] = result.postTraining[q] }
        for (r, bits, q) in quantizers(qatBits) { values[Self.key(true, r, bits)] = result.quantizationAware[q] }
        return JobPayload(quantization: values)
    }

    /// PTQ of an adapter already trained (the default run's cell 10, on cell 5's models): BLEU in
    /// float and after each quantizer of `ptqBits`.
    func postTraining(_ model: GPT, _ method: AdapterMethod, seed: UInt64) -> [String: Double] {
        func bleu() -> Double {
            E2EScores(hypotheses: adaptation.decode(model, method, .queryValue, seed: seed, mrs: mrs), references: references).bleu.score
        }
        let quantizers = rules.flatMap { r in ptqBits.map { (r, $0, r.quantizer($0)) } }
        let result = QuantizationExperiment.run(on: model, postTraining: quantizers.map(\.2), quantizationAware: [],
                                                lastPhase: {}, evaluate: bleu)
        var values = ["float": result.float]
        for (r, bits, q) in quantizers { values[Self.key(false, r, bits)] = result.postTraining[q] }
        return values
    }
}

/// Cell 10: Table 4 and its figures from the results (full protocol) or PTQ of cell 5's models.
@MainActor func showTable4(_ r: Report, full: Bool, methods: [(name: String, slug: String, method: AdapterMethod, color: Color)],
                           rules: [QuantRule]) -> [Comparison] {
    let ptqBits = full ? SymmetricQuantizer.paperBits : [3, 2], qatBits = full ? [4, 3, 2] : []
    let slugs = full ? methods.map(\.slug) : ["lora_r1", "nola_qv_1"]
    func values(_ i: Int) -> [[String: Double]] {
        size.seeds.compactMap { seed in r.grid.results[full ? JobID.quant(slugs[i], seed: seed) : JobID.row(slugs[i], seed: seed)]?.payload.quantization }
    }
    func spread(_ i: Int, _ key: String) -> Spread? {
        let v = values(i).compactMap { $0[key].map { 100 * $0 } }
        return v.isEmpty ? nil : Spread(v)
    }
    guard values(0).count > 0 && values(1).count > 0 else {
        lesson.say("No Table 4 result yet (\(full ? "its jobs are in cell 4's list" : "it needs cell 5's lora_r1 and nola_qv_1")).")
        return []
    }
    let names = full ? methods.map(\.name) : ["LoRA QV r=1", "NOLA QV r=8"]
    var table = Table(["rule", "method", "seeds", "float"] + ptqBits.map { "PTQ \($0)" } + qatBits.map { "QAT \($0)" })
    for (ri, rule) in rules.enumerated() {
        for i in 0..<2 {
            table.row([i == 0 ? rule.name : "", names[i], "\(values(i).count)", spread(i, "float")?.text(1) ?? "—"]
                      + ptqBits.map { spread(i, QuantizationProtocol.key(false, rule, $0))?.text(1) ?? "—" }
                      + qatBits.map { spread(i, QuantizationProtocol.key(true, rule, $0))?.text(1) ?? "—" })
            _ = ri
        }
    }
    lesson.show(table)
    func change(_ i: Int, _ qat: Bool, _ rule: QuantRule, _ bits: Int) -> Double? {
        guard let f = spread(i, "float"), let q = spread(i, QuantizationProtocol.key(qat, rule, bits)) else { return nil }
        return q.mean - f.mean
    }
    var changes = Table(["change of BLEU vs float", "paper LoRA r=1", "paper NOLA QV"] + rules.map { "\($0.name): LoRA / NOLA" })
    for (setting, paperLoRA, paperNOLA, bits, qat) in [("PTQ 8", "+0.02", "−0.03", 8, false), ("PTQ 4", "−0.26", "−0.17", 4, false),
        ("PTQ 3", "−7.88", "−5.32", 3, false), ("PTQ 2", "—", "—", 2, false), ("QAT 3", "−2.81", "−0.32", 3, true), ("QAT 2", "−13.76", "−1.77", 2, true)]
        where (qat ? qatBits : ptqBits).contains(bits) {
        changes.row([setting, paperLoRA, paperNOLA] + rules.map { "\(signed(change(0, qat, $0, bits))) / \(signed(change(1, qat, $0, bits)))" })
    }
    lesson.show(changes)
    for rule in rules {
        var figure = Figure("bleu_vs_bits_\(rule.slug)", title: "\(real ? "E2E" : "Synthetic restaurants"): BLEU with quantized adapters, scale rule \(rule.name) (cf. Table 4)",
                            x: "bits per stored coefficient", y: "BLEU (%), \(size.quantMRs) test MRs")
        figure.logX = true
        figure.logBase = 2
        figure.xRange = 1.8...18
        figure.xTics = [2, 3, 4, 8, 16].map { (Double($0), "\($0)") }
        figure.legend = .bottomRight
        for i in 0..<2 {
            let color = i == 0 ? Color.lora : Color.nola
            let p = ptqBits.compactMap { b in spread(i, QuantizationProtocol.key(false, rule, b)).map { (Double(b), $0) } }
            figure.add(.errorBars("\(names[i]), PTQ", x: p.map(\.0), y: p.map(\.1.mean), error: p.map(\.1.std), color: color, dashed: true))
            if let f = spread(i, "float") { figure.annotate(.horizontalLine(y: f.mean, label: "\(names[i]), 32-bit float", color: color)) }
            let q = qatBits.compactMap { b in spread(i, QuantizationProtocol.key(true, rule, b)).map { (Double(b), $0) } }
            if !q.isEmpty { figure.add(.errorBars("\(names[i]), QAT", x: q.map(\.0), y: q.map(\.1.mean), error: q.map(\.1.std), color: color)) }
        }
        lesson.save(figure)
    }
    /// Each QAT width and rule where one method's change beats the other's by more than the two
    /// float seed spreads added, and at least 0.5 BLEU, as "NOLA at 2-bit QAT, absmax (LoRA −a, NOLA −b)".
    func clearWins() -> [String] {
        let noise = max((spread(0, "float")?.std ?? 0) + (spread(1, "float")?.std ?? 0), 0.5)
        return [2, 3].flatMap { bits in
            rules.compactMap { rule -> String? in
                guard let l = change(0, true, rule, bits), let n = change(1, true, rule, bits), abs(n - l) > noise else { return nil }
                return "\(n > l ? "NOLA" : "LoRA") at \(bits)-bit QAT, \(rule.name) (LoRA \(signed(l)), NOLA \(signed(n)))"
            }
        }
    }
    if full {
        let wins = clearWins()
        lesson.say("""
            Is NOLA more robust to quantization here (the paper's claim: at 2-bit QAT NOLA loses 1.77 BLEU, LoRA 13.76)? \
            \(wins.isEmpty ? "Neither method loses clearly less BLEU than the other at 3- or 2-bit QAT, under any rule"
                : "Clearly less lost by: \(wins.joined(separator: "; "))") ("clearly": by more than the two float seed spreads \
            added, and at least 0.5 BLEU; \(values(0).count) seed\(values(0).count == 1 ? "" : "s"), \(size.quantMRs) test MRs).
            """)
    } else {
        lesson.say("(Default run: PTQ only, of cell 5's models, on \(size.quantMRs) test MRs; the paper's protocol with QAT runs in --full.)")
    }
    func pair(_ bits: Int, qat: Bool) -> String {
        rules.map { "\($0.name) L \(signed(change(0, qat, $0, bits))) N \(signed(change(1, qat, $0, bits)))" }.joined(separator: "; ")
    }
    return [
        Comparison(full ? "QAT 2-bit, change of BLEU" : "PTQ 2-bit, change of BLEU", paper: full ? "LoRA −13.76, NOLA −1.77" : "—",
                   ours: pair(2, qat: full), note: "L: \(names[0]), N: \(names[1])"),
        Comparison(full ? "QAT 3-bit, change of BLEU" : "PTQ 3-bit, change of BLEU", paper: full ? "LoRA −2.81, NOLA −0.32" : "LoRA −7.88, NOLA −5.32",
                   ours: pair(3, qat: full), note: "\(values(0).count) seed\(values(0).count == 1 ? "" : "s"), \(size.quantMRs) MRs"),
    ]
}
