import Foundation
import LessonKit
import NOLAKit

// The tables, verdicts and figures of the notebook's cells, built from the grid's results
// (whatever is present; what is missing is said).

/// "1/8" for 0.125, "0" and "1" for the ends: how far along its pretraining run a base is.
func fractionLabel(_ f: Double) -> String {
    if f == 0 { return "0" }
    if f >= 1 { return "1" }
    return "1/\(Int((1 / f).rounded()))"
}
/// The inverse of `fractionLabel`.
func fraction(_ label: String) -> Double {
    let parts = label.split(separator: "/")
    if parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), b > 0 { return a / b }
    return Double(label) ?? 1
}

/// Cell 4: before the jobs start, how long they will take at the speed measured now (a few
/// training steps of the full model and of NOLA, and a few decoded test MRs).
@MainActor func estimateTime(_ a: Adaptation, jobs: [String]) {
    let rows = jobs.filter { !$0.hasPrefix("base-") }
    guard !rows.isEmpty, a.train.count > 0 else { return }
    let batches = Array(a.train.lengthBucketedBatches(size: 16, seed: 7, epoch: 0).prefix(4))
    func steps(_ method: AdapterMethod?) -> TrainingThroughput {
        let model = a.model(method, sites: .queryValue, seed: 1)
        let trainer = LanguageModelTrainer(model: model, optimizer: Adam.adamW(parameters: model.parameters, learningRate: 1e-9, weightDecay: 0))
        var throughput = TrainingThroughput(skipping: 1)  // the first step sizes buffers
        for b in batches {
            let clock = ContinuousClock.now
            _ = try? trainer.step(b)
            throughput.record(tokens: b.realTokens, seconds: (ContinuousClock.now - clock).seconds)
        }
        return throughput
    }
    let full = steps(nil), adapter = steps(nola(8, 64))
    let probe = Array(a.test.examples.prefix(4).map(\.mr))
    let clock = ContinuousClock.now
    _ = a.decode(a.base.makeModel(), nil, nil, seed: 1, mrs: probe)
    let sentencesPerSecond = Double(probe.count) / max((ContinuousClock.now - clock).seconds, 1e-9)
    let epochTokens = Double(a.train.tokenCount) * a.epochs
    let perJob = [full, adapter].map { $0.seconds(forTokens: Int(epochTokens)) ?? 0 }.map { $0 + Double(a.test.count) / sentencesPerSecond }
    let total = Double(rows.count) * (perJob[0] + 4 * perJob[1]) / 5
    lesson.say("""
        Speed now: training reads \(Format.rate(full.tokensPerSecond ?? 0)) tokens/s for the whole GPT, \
        \(Format.rate(adapter.tokensPerSecond ?? 0)) tokens/s for NOLA; beam search writes \(Format.fixed(sentencesPerSecond, 1)) test sentences/s. At that pace a job takes about \
        \(Format.seconds(perJob[1])) (adapter) to \(Format.seconds(perJob[0])) (full fine-tuning; early stopping can end \
        either sooner), and this process's \(rows.count) jobs about \(Format.seconds(total)) — an estimate on this \
        machine as it is now; other programs running beside it slow it down.
        """)
}

/// Cell 5: Table 1 beside the paper's, then the claim's verdicts.
@MainActor func showTable1(_ r: Report, rows: [Row]) {
    var table = Table(["row", "trainable", "seeds", "BLEU", "NIST", "ROUGE-L", "CIDEr", "tokens/s", "paper GPT-2 M", "paper GPT-2 L"])
    for row in rows {
        table.row([row.name, Format.count(count(row)), r.seedsText(row.slug)] + r.cells(row.slug)
                  + [r.tokensPerSecond(row.slug).map { Format.rate($0) } ?? "—", row.paperM, row.paperL])
    }
    lesson.show(table)
    let missing = rows.filter { r.results($0.slug).isEmpty }.map(\.slug)
    lesson.say("""
        (\(size.seeds.count == 1 ? "One seed" : "Mean ± std over the seeds with results (the seeds column; this run plans \(size.seeds.count))"), \(data.test.count) test MRs\
        \(data.test.count < all.test.count ? " of \(all.test.count) (--test-mrs 0 for all)" : ""); BLEU and ROUGE-L in %, as the \
        paper prints them; paper columns: trainable, BLEU, NIST, ROUGE-L, CIDEr; tokens/s: adaptation's training speed, real tokens per wall-clock \
        second of the training steps as the job ran — on a shared machine, the neighbours' share included. \
        METEOR: \(E2EScores.meteorNote).)\(missing.isEmpty ? "" : " Not run yet: \(missing.joined(separator: ", ")) (cell 4).")\
        \(size.scale == .standard ? " This default run has \(rows.count) of the 11 rows; --full runs all of them with 3 seeds on the whole test set." : "")
        """)
    guard let floor = r.bleu("lora_r1") else { return }
    let below = rows.filter { $0.family.hasPrefix("NOLA") && count($0) <= loraR1 && r.bleu($0.slug) != nil }
    let verdicts = below.map { row -> String in
        let (gap, margin) = r.versus(row.slug, "lora_r1")!
        return "\(row.name) (\(Format.count(count(row)))): \(signed(gap, 1)) BLEU, \(Report.verdict(gap, margin)) (margin \(Format.fixed(margin, 1)))"
    }
    if !verdicts.isEmpty {
        lesson.say("""
            At and below LoRA r=1's \(Format.count(loraR1)) numbers, where LoRA cannot go (the paper's claim: NOLA matches LoRA r=1 \
            with fewer numbers): \(verdicts.joined(separator: "; ")) — against LoRA r=1's \(floor.text(1)) BLEU ("a match": within \
            1 BLEU or the two seed spreads added, whichever is larger).
            """)
    }
    if let full = r.bleu("full") {
        let close = ["lora_r1", "nola_qv_1"].compactMap { slug in r.bleu(slug).map { "\(slug) \(signed($0.mean - full.mean, 1))" } }
        lesson.say("""
            Against full fine-tuning (\(full.text(1)) BLEU; the challenge's baseline, trained from scratch on this split, scores 65.9 \
            on the test set): \(close.joined(separator: ", ")). The paper has LoRA r=1 and NOLA level with full fine-tuning or ahead.
            """)
    }
}

/// Cell 6: BLEU and ROUGE-L against trainable parameters (log x), and the validation curves.
@MainActor func saveParameterFigures(_ r: Report, rows: [Row]) {
    let dataName = real ? "E2E test set" : "Synthetic restaurants"
    let families: [(String, Color, Bool)] = [("LoRA", .lora, false), ("NOLA QV", .nola, false), ("NOLA MLP", .orange, true)]
    let adapters = rows.filter { $0.method != nil && r.bleu($0.slug) != nil }
    var written: [String] = []
    for (name, label, pick) in adapters.isEmpty ? [] : [("bleu_vs_parameters", "BLEU (%)", r.bleu), ("rougeL_vs_parameters", "ROUGE-L (%)", r.rouge)] as [(String, String, @MainActor (String) -> Spread?)] {
        var figure = Figure(name, title: "\(dataName): \(label.split(separator: " ")[0]) against trainable parameters (cf. Table 1)",
                            x: "trainable parameters (log scale)", y: "\(label), \(data.test.count) test MRs")
        figure.logX = true
        figure.legend = .bottomRight
        var values: [Double] = []
        for (family, color, dashed) in families {
            let members = adapters.filter { $0.family == family }.sorted { count($0) < count($1) }
            guard !members.isEmpty else { continue }
            let spreads = members.map { pick($0.slug)! }
            values += spreads.flatMap { [$0.mean - $0.std, $0.mean + $0.std] }
            figure.add(.errorBars("\(family) (\(members.map { Format.count(count($0)) }.joined(separator: ", ")))",
                                  x: members.map { Double(count($0)) }, y: spreads.map(\.mean), error: spreads.map(\.std), color: color, dashed: dashed))
        }
        for (slug, color) in [("full", Color.dense), ("frozen", Color.base)] {
            guard let value = pick(slug)?.mean else { continue }
            values.append(value)
            figure.annotate(.horizontalLine(y: value, label: slug == "full" ? "full fine-tuning (\(Format.count(parameters)))" : "frozen base (0)", color: color))
        }
        let xs = adapters.map { Double(count($0)) }
        figure.xRange = (xs.min()! / 1.6)...(xs.max()! * 1.6)
        figure.xTics = Set(xs).sorted().map { ($0, String(Int($0))) }
        let (lo, hi) = (values.min()!, values.max()!)
        figure.yRange = max(0, lo - 0.08 * (hi - lo) - 1)...(hi + 0.25 * (hi - lo) + 1)
        lesson.save(figure)
        written.append(name)
    }
    var loss = Figure("validation_loss", title: "Validation loss while adapting (\(real ? "E2E dev set" : "synthetic restaurants"), seed \(size.seeds[0]))",
                      x: "epochs over the training rows", y: "validation loss (nats per sentence token)")
    loss.legend = .topRight
    for (i, row) in rows.enumerated() where row.trains {
        guard let curve = r.results(row.slug).first?.curve, curve.count > 1 else { continue }
        let color: Color = switch row.family { case "LoRA": .lora; case "NOLA QV": .nola; case "NOLA MLP": .orange; default: .dense }
        loss.add(.lines("\(row.name) (\(Format.count(count(row))))", x: curve.map(\.epoch), y: curve.map(\.validationLoss),
                        color: color, dashed: i % 2 == 0 && row.family != "full"))
    }
    if !loss.series.isEmpty {
        let epochs = rows.compactMap { r.results($0.slug).first?.curve?.last?.epoch }.max() ?? size.epochs
        loss.xRange = 0...max(epochs, 0.01) * 1.02
        lesson.save(loss)
        written.append("validation_loss")
    }
    lesson.say(written.isEmpty ? "No figure: no adapted row has results yet." : "Figures written: \(written.joined(separator: ", ")).")
}

/// Cell 7: each row's sentences (first seed) and the references, in the files `e2e-score` reads.
@MainActor func writeOutputs(_ r: Report, rows: [Row]) {
    var files = [("references.txt", E2EDecoding.referencesFile(data.test.examples.map(\.references)))]
    for row in rows { if let outputs = r.results(row.slug).first?.outputs { files.append(("outputs_\(row.slug).txt", E2EDecoding.outputsFile(outputs))) } }
    for (name, text) in files {
        let url = lesson.plotsFolder.appendingPathComponent(name)
        do {
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            Lesson.fail("cannot write \(url.relativeDisplayPath) (\(error.localizedDescription)); pass --plots with a writable folder.")
        }
    }
    lesson.say("Outputs in \(lesson.plotsFolder.relativeDisplayPath)/outputs_<row>.txt beside references.txt: `swift run e2e-score HYPS REFS` scores them.")
}

/// Cell 7: which MR values each row's sentences leave out or add (`SlotCheck`, string matching
/// with the restaurant lexicon), beside the human references' own count — the checker's floor, as
/// it misses paraphrases the lexicon does not know ("kids are welcome").
@MainActor func showSlotErrors(_ r: Report, rows: [Row]) {
    let mrs = data.test.examples.map(\.mr)
    let references = data.test.examples.flatMap { example in example.references.map { ($0, example.mr) } }
    let human = SlotCheck.rates(references.map(\.0), for: references.map(\.1))
    func percent(_ values: [Double]) -> String { Spread(values.map { 100 * $0 }).text(1) }
    var table = Table(["row", "trainable", "values left out %", "values added %", "slot errors %"])
    table.row(["human references (\(Format.count(references.count)) sentences)", "—", Format.fixed(100 * human.missingRate, 1),
               Format.fixed(100 * human.addedRate, 1), Format.fixed(100 * human.errorRate, 1)])
    let attributes = E2EAttribute.allCases.filter { human.valuesBy[$0, default: 0] > 0 }
    let short: [E2EAttribute: String] = [.priceRange: "price", .customerRating: "rating", .familyFriendly: "family"]
    var byAttribute = Table(["row"] + attributes.map { short[$0] ?? $0.rawValue })
    func byAttributeRow(_ name: String, _ rates: [SlotCheck.Rates]) {
        byAttribute.row([name] + attributes.map { a in Format.fixed(100 * rates.map { $0.missingRate(a) ?? 0 }.reduce(0, +) / Double(rates.count), 0) })
    }
    byAttributeRow("human references", [human])
    var shown = 0
    var ratesOf: [String: [SlotCheck.Rates]] = [:]
    for row in rows {
        let rates = r.results(row.slug).compactMap(\.outputs).filter { $0.count == mrs.count }.map { SlotCheck.rates($0, for: mrs) }
        guard !rates.isEmpty else { continue }
        ratesOf[row.slug] = rates
        table.row([row.name, Format.count(count(row)), percent(rates.map(\.missingRate)), percent(rates.map(\.addedRate)),
                   percent(rates.map(\.errorRate))])
        byAttributeRow(row.name, rates)
        shown += 1
    }
    guard shown > 0 else { return }
    lesson.say("\nWhat the sentences get wrong: each test MR's values left out of its sentence, and values said that the MR does not have, per value of the MRs (mean ± std over seeds):")
    lesson.show(table)
    lesson.say("Values left out, by attribute (% of the test MRs' values of that attribute, mean over seeds; price: priceRange, rating: customer rating, family: familyFriendly):")
    lesson.show(byAttribute)
    lesson.say("""
        (String matching with the restaurant lexicon's phrasings: it misses paraphrases it does not know, so the human references' \
        own count is the checker's floor. A row far above that floor drops or invents facts; a row near it says the facts and \
        loses BLEU on wording.)
        """)
    guard let full = ratesOf["full"], let lora = ratesOf["lora_r1"] else { return }
    func mean(_ rates: [SlotCheck.Rates], _ pick: (SlotCheck.Rates) -> Double) -> Double { 100 * rates.map(pick).reduce(0, +) / Double(rates.count) }
    func difference(_ a: E2EAttribute) -> Double { mean(lora) { $0.missingRate(a) ?? 0 } - mean(full) { $0.missingRate(a) ?? 0 } }
    guard let widest = attributes.max(by: { difference($0) < difference($1) }) else { return }
    lesson.say("""
        LoRA r=1 leaves out \(Format.fixed(mean(lora) { $0.missingRate }, 1)) % of the values, full fine-tuning \
        \(Format.fixed(mean(full) { $0.missingRate }, 1)) %; the widest difference is \(widest.rawValue): \
        \(Format.fixed(mean(lora) { $0.missingRate(widest) ?? 0 }, 0)) % against \(Format.fixed(mean(full) { $0.missingRate(widest) ?? 0 }, 0)) % \
        (the human references: \(Format.fixed(100 * (human.missingRate(widest) ?? 0), 0)) %).\
        \(mean(lora) { $0.missingRate } - mean(full) { $0.missingRate } > 5
            ? " Where LoRA r=1 trails full fine-tuning in BLEU, it also leaves facts out: the gap is not only wording." : "")
        """)
}

/// Cell 8: Table 3 (the rows that have results).
@MainActor func showTable3(_ r: Report, table3: [(row: Row, paper: String)]) {
    let present = table3.filter { r.bleu($0.row.slug) != nil }
    var table = Table(["NOLA QV", "trainable", "seeds", "BLEU", "NIST", "ROUGE-L", "CIDEr", "paper BLEU M / L"])
    for (row, paper) in present {
        table.row([row.name, Format.count(row.count(width: width, layers: layers, parameters: parameters)), r.seedsText(row.slug)] + r.cells(row.slug) + [paper])
    }
    if !present.isEmpty { lesson.show(table) }
    lesson.say("(Paper: GPT-2 M at 96K/48K/24K/12K, GPT-2 L at 144K. \(present.count) of the 7 rows have results\(present.count < 7 ? "; --full runs all seven" : "").)")
    // Each verdict: a row against its neighbour of reference, "a match" within 1 BLEU or the two
    // seed spreads added (Table 1's rule), with the paper's own difference (GPT-2 M) beside it.
    func verdict(_ slug: String, _ label: String, paperGap: Double, against reference: String) -> (text: String, label: String, below: Bool)? {
        guard let (gap, margin) = r.versus(slug, reference) else { return nil }
        let word = Report.verdict(gap, margin)
        return ("\(label) \(signed(gap, 1)), \(word) (margin \(Format.fixed(margin, 1)); paper \(signed(paperGap, 2)))", label, word == "below")
    }
    let ranks = [("t3_r1", "rank 1", 69.09 - 70.03), ("t3_r2", "rank 2", 70.47 - 70.03), ("t3_r4", "rank 4", 69.69 - 70.03)]
        .compactMap { verdict($0.0, $0.1, paperGap: $0.2, against: "nola_qv_1") }
    if !ranks.isEmpty {
        let below = ranks.filter(\.below).map(\.label)
        lesson.say("""
            Rank at LoRA r=1's budget, against rank 8 (\(r.bleu("nola_qv_1")?.text(1) ?? "—") BLEU): \(ranks.map(\.text).joined(separator: "; ")). \
            The paper finds rank nearly free (its four ranks within 1.4 BLEU on GPT-2 M)\(below.isEmpty
                ? "; so far here too: no rank falls below rank 8." : "; here \(below.joined(separator: " and ")) fall\(below.count == 1 ? "s" : "") below rank 8 at the same count.")
            """)
    }
    let halvings = [("nola_qv_1", "nola_qv_half", "½", 70.09 - 70.03), ("nola_qv_half", "nola_qv_quarter", "¼", 68.30 - 70.09),
                    ("nola_qv_quarter", "t3_eighth", "⅛", 67.18 - 68.30)]
    let budget = halvings.compactMap { verdict($0.1, "to \($0.2)", paperGap: $0.3, against: $0.0)?.text }
    if !budget.isEmpty {
        lesson.say("Each halving of the budget at rank 8, against the budget before it: \(budget.joined(separator: "; ")).")
    }
}

/// Cell 9: the sweep's table and its two figures (BLEU, and NOLA's gap to LoRA r=1, against the
/// base's validation loss).
@MainActor func showSweep(_ r: Report, labels: [String], others: [OtherBase]) {
    guard !labels.isEmpty else {
        lesson.say("(--full runs this cell: \(size.sweepFractionsText) bases × \(sweepSlugs.count) rows, one seed.)")
        return
    }
    /// (name, validation loss, BLEU by slug) for each base, from the worst to the best (the
    /// finished base's jobs are Table 1's, seed 1; a wider base's are its own run's, seed 1).
    let own: [(String, Double, [String: Double])] = (labels + ["1"]).compactMap { label in
        guard let facts = r.grid.results[JobID.base(label)]?.payload.base else { return nil }
        let bleu = sweepSlugs.reduce(into: [String: Double]()) { out, slug in
            let id = label == "1" ? JobID.row(slug, seed: size.seeds[0]) : JobID.sweep(slug, base: label)
            if let b = r.grid.results[id]?.payload.scores?.bleu { out[slug] = 100 * b }
        }
        return (label == "0" ? "random initialization" : label == "1" ? "finished (the lesson's base)" : label, facts.validationLoss, bleu)
    }
    let wider = others.map { ("a wider base, \($0.shape) (\(Format.count($0.parameters)) parameters)", $0.validationLoss, $0.bleu) }
    let points = (own + wider).sorted { $0.1 > $1.1 }  // from the worst base to the best: the lines run left to right
    for o in others {
        lesson.say("The wider base's point is its own --full run (--base-shape \(o.shape.replacingOccurrences(of: " × ", with: "x"))), "
            + "read from \(o.folder): \(o.bleu.count) of \(sweepSlugs.count) rows present. Its counts are its own: LoRA r=1 "
            + "trains 2 × blocks × 2 × width numbers, more on a wider base, so that point is not at the lesson's budget.")
    }
    let names = ["full", "LoRA r=1", "NOLA 1", "NOLA ½", "NOLA ¼"]
    var table = Table(["base (part of its pretraining run)", "validation loss"] + names + ["NOLA ¼ − LoRA r=1", "NOLA ½ − LoRA r=1"])
    for (name, loss, bleu) in points {
        func gap(_ slug: String) -> Double? { bleu[slug].flatMap { a in bleu["lora_r1"].map { a - $0 } } }
        table.row([name, Format.fixed(loss, 3)]
                  + sweepSlugs.map { bleu[$0].map { Format.fixed($0, 1) } ?? "—" } + [signed(gap("nola_qv_quarter"), 1), signed(gap("nola_qv_half"), 1)])
    }
    lesson.show(table)
    // The x-range spans the bases with a score: a base whose facts are recorded but whose jobs
    // have not run yet (a partial grid) would otherwise stretch the axis over empty space.
    let xs = points.filter { !$0.2.isEmpty }.map(\.1)
    var figure = Figure("bleu_vs_base_quality", title: "\(real ? "E2E" : "Synthetic restaurants"): BLEU against the base's quality (one seed each)",
                        x: "base's validation loss (nats/token; better to the right)", y: "BLEU (%), \(data.test.count) test MRs")
    var gaps = Figure("gap_vs_base_quality", title: "NOLA below LoRA r=1's count, minus LoRA r=1 (bases where LoRA r=1 learns the task)",
                      x: "base's validation loss (nats/token; better to the right)", y: "BLEU difference (points; 0: level with LoRA r=1)")
    if let lo = xs.min(), let hi = xs.max(), hi > lo { figure.xRange = (lo - 0.05 * (hi - lo))...(hi + 0.05 * (hi - lo)); gaps.xRange = figure.xRange }
    (figure.xDescending, gaps.xDescending) = (true, true)
    figure.legend = .outside  // lines run anywhere: full fine-tuning high across, the adapters rising
    gaps.legend = .bottomLeft  // the deepest gap sits at the right
    for (slug, name, color, dashed) in zip5(sweepSlugs, names, [Color.dense, .lora, .nola, .nola, .nola], [false, false, false, true, true]) {
        let have = points.filter { $0.2[slug] != nil }
        guard have.count > 1 else { continue }
        figure.add(.lines(name, x: have.map(\.1), y: have.map { $0.2[slug]! }, color: slug == "nola_qv_quarter" ? .orange : color, dashed: dashed))
    }
    var (gapXs, gapYs): ([Double], [Double]) = ([], [])
    let bestFull = points.compactMap { $0.2["full"] }.max()
    for (slug, name, color) in [("nola_qv_quarter", "NOLA ¼ − LoRA r=1", Color.orange), ("nola_qv_half", "NOLA ½ − LoRA r=1", Color.nola)] {
        // Where LoRA r=1 has not learnt the task, both adapters score near nothing: no gap to show.
        let have = points.filter { $0.2[slug] != nil && learnsTask($0.2, bestFull: bestFull) }
        guard have.count > 1 else { continue }
        let (x, y) = (have.map(\.1), have.map { $0.2[slug]! - $0.2["lora_r1"]! })
        gaps.add(.lines(name, x: x, y: y, color: color))
        (gapXs, gapYs) = (gapXs + x, gapYs + y)
    }
    // Its own ranges: the bases it shows, and 0 (level with LoRA r=1) always in view.
    if let lo = gapXs.min(), let hi = gapXs.max(), hi > lo { gaps.xRange = (lo - 0.05 * (hi - lo))...(hi + 0.05 * (hi - lo)) }
    if let lo = gapYs.min(), let hi = gapYs.max() {
        let (bottom, top) = (min(lo, 0), max(hi, 0))
        gaps.yRange = (bottom - 0.1 * (top - bottom) - 0.5)...(top + 0.1 * (top - bottom) + 0.5)
    }
    gaps.annotate(.horizontalLine(y: 0, label: "", color: .base))  // named in the y label: points may sit on it
    if !figure.series.isEmpty { lesson.save(figure) }
    if !gaps.series.isEmpty { lesson.save(gaps) }
    lesson.say(sweepVerdict(points.map { ($0.1, $0.2) }))
}

/// Whether LoRA r=1 learns the task on a base: it scores at least a quarter of full fine-tuning's
/// BLEU there (of the best full fine-tuning of the sweep where that base's is not run yet; full
/// fine-tuning hardly depends on the base).
func learnsTask(_ bleu: [String: Double], bestFull: Double?) -> Bool {
    guard let lora = bleu["lora_r1"], let full = bleu["full"] ?? bestFull, full > 0 else { return false }
    return lora >= 0.25 * full
}

/// What the sweep shows, in one paragraph computed from it: how much of full fine-tuning's BLEU
/// LoRA r=1 reaches on the worst and the best base, and the gap NOLA ¼ − LoRA r=1 on the bases
/// where LoRA r=1 learns the task at all (a quarter of full fine-tuning's BLEU there, at least):
/// on the others both adapters score near nothing and their difference says nothing.
func sweepVerdict(_ points: [(loss: Double, bleu: [String: Double])]) -> String {
    let byLoss = points.sorted { $0.loss > $1.loss }  // worst base first
    func share(_ p: (loss: Double, bleu: [String: Double])) -> Double? {
        guard let l = p.bleu["lora_r1"], let f = p.bleu["full"], f > 0 else { return nil }
        return l / f
    }
    let shares = byLoss.compactMap { p in share(p).map { (p.loss, $0) } }
    let bestFull = points.compactMap { $0.bleu["full"] }.max()
    let gaps = byLoss.filter { learnsTask($0.bleu, bestFull: bestFull) }
        .compactMap { p in p.bleu["nola_qv_quarter"].flatMap { q in p.bleu["lora_r1"].map { (p.loss, q - $0) } } }
    guard let first = shares.first, let last = shares.last, shares.count > 1 else { return "Too few bases have results for a verdict yet." }
    var text = "LoRA r=1 reaches \(Format.percent(first.1, 0)) of full fine-tuning's BLEU on the worst base (validation loss \(Format.fixed(first.0, 2))) "
        + "and \(Format.percent(last.1, 0)) on the best (\(Format.fixed(last.0, 2))): full fine-tuning hardly needs the pretraining, the adapters do. "
    if let worst = gaps.first, let best = gaps.last, gaps.count > 1 {
        let change = best.1 - worst.1
        // One seed per point: a difference of two BLEU is within two seeds' spread (cell 5).
        let closes = change > 3 ? "closes by \(Format.fixed(change, 1)) BLEU" : change < -3 ? "widens by \(Format.fixed(-change, 1)) BLEU" : "does not clearly move (\(signed(change, 1)) BLEU, within one-seed noise)"
        text += "On the \(gaps.count) bases where LoRA r=1 learns the task (a quarter of full fine-tuning's BLEU or more), NOLA ¼ − LoRA r=1 goes from "
            + "\(signed(worst.1, 1)) (validation loss \(Format.fixed(worst.0, 2))) to \(signed(best.1, 1)) (\(Format.fixed(best.0, 2))), between "
            + "\(signed(gaps.map(\.1).min()!, 1)) and \(signed(gaps.map(\.1).max()!, 1)) on the way: as the base improves the gap \(closes). "
        text += "The paper's claim — NOLA level with LoRA r=1 at a quarter of its count — rests on GPT-2's pretraining; here it "
            + (best.1 >= -1 ? "holds on the best base." : "does not hold even on the best base.")
    } else {
        text += "Too few bases on which LoRA r=1 learns the task for a verdict on NOLA's gap yet."
    }
    return text + " One seed per point: differences of a point or two are within seed noise (cell 5's spreads)."
}

func zip5<A, B, C, D>(_ a: [A], _ b: [B], _ c: [C], _ d: [D]) -> [(A, B, C, D)] {
    (0..<min(a.count, b.count, c.count, d.count)).map { (a[$0], b[$0], c[$0], d[$0]) }
}

/// The closing table's Table 1 lines.
@MainActor func closingComparisons(_ r: Report) -> [Comparison] {
    func ours(_ slug: String) -> String { r.bleu(slug).map { "\($0.text(1)) (\(Format.count(count(table1.first { $0.slug == slug }!))))" } ?? "(not run)" }
    return [
        Comparison("full fine-tuning, BLEU", paper: "68.2 / 68.5 (M / L)", ours: ours("full"), note: "\(Format.count(parameters))-parameter GPT"),
        Comparison("LoRA QV r=4, BLEU", paper: "70.4 (0.35M / 0.77M)", ours: ours("lora_r4"), note: ""),
        Comparison("LoRA QV r=1, BLEU", paper: "68.7 / 69.9", ours: ours("lora_r1"), note: ""),
        Comparison("NOLA QV at LoRA r=1's count", paper: "70.0 / 70.5", ours: ours("nola_qv_1"), note: "k = l = \(kR1)"),
        Comparison("NOLA QV at 1/4 of it", paper: "70.1 (GPT-2 L)", ours: ours("nola_qv_quarter"), note: "below LoRA's floor"),
        Comparison("NOLA MLP at LoRA r=1's count", paper: "70.2 / 70.1", ours: ours("nola_mlp_1"), note: ""),
    ]
}
