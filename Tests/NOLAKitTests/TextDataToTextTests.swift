import Foundation
import Testing

@testable import NOLAKit

/// The E2E pipeline of lesson 12: the cached base language model, MR → sentence fine-tuning,
/// decoding a test set and the scorer's files.
@Suite("Text: data-to-text pipeline (base LM cache, fine-tuning, decoding)")
struct TextDataToTextTests {
    /// A few synthetic MRs: enough to train a tokenizer and a one-block GPT in well under a second.
    static let data: E2EData = {
        let full = try! E2EData.load(.synthetic(seed: 5))
        return E2EData(train: full.train.prefix(24), validation: full.validation.prefix(4), test: full.test.prefix(3),
                       source: full.source)
    }()

    static let tiny: E2EBaseModel.Pretraining = {
        var p = E2EBaseModel.Pretraining()
        p.layers = 1
        p.embedding = 16
        p.heads = 2
        p.context = 256
        p.vocabulary = 300
        p.epochs = 2
        p.batchSize = 16
        p.warmup = 2
        return p
    }()

    func base(_ folder: URL?, seed: UInt64 = 7) throws -> E2EBaseModel {
        try E2EBaseModel(data: Self.data, seed: seed, pretraining: Self.tiny, cacheFolder: folder)
    }

    func cacheFile(in folder: URL, seed: UInt64 = 7) -> URL {
        folder.appendingPathComponent("e2e_base_synthetic_seed\(seed)_\(Self.tiny.key).safetensors")
    }

    // MARK: Base model and its cache

    @Test("pretraining lowers the loss; trained once and cached, then loaded with the same weights and tokenizer")
    func cacheRoundTrip() throws {
        let folder = URL(fileURLWithPath: try DataTestSupport.temporaryFolder("e2ebase"))
        let first = try base(folder)
        #expect(first.origin.hasPrefix("trained now in ") && first.origin.hasSuffix("cached in \(cacheFile(in: folder).relativePath)"))
        #expect(first.cacheNotice == nil)
        #expect(first.epochLosses.count == 2 && first.epochLosses[1] < first.epochLosses[0], "\(first.epochLosses)")
        #expect(first.validationLoss.isFinite)
        let second = try base(folder)
        #expect(second.origin == "loaded from the cache \(cacheFile(in: folder).relativePath)")
        #expect(second.weights == first.weights)
        #expect(second.tokenizer == first.tokenizer)
        #expect(second.epochLosses.isEmpty && second.validationLoss == first.validationLoss)
        #expect(try base(nil).weights == first.weights, "the cache changed the base")
        let stored = try GPT.load(from: cacheFile(in: folder))
        #expect(try BPETokenizer(serialized: stored.metadata["tokenizer"] ?? "") == first.tokenizer)
    }

    @Test("a damaged cache, or one with another tokenizer, is moved aside with a notice and the base retrained")
    func badCache() throws {
        let reference = try base(nil)
        for damage in ["truncated", "tokenizer"] {
            let folder = URL(fileURLWithPath: try DataTestSupport.temporaryFolder("e2ebase-bad"))
            _ = try base(folder)
            let url = cacheFile(in: folder)
            if damage == "truncated" {
                let bytes = try Data(contentsOf: url)
                try bytes.prefix(bytes.count / 2).write(to: url)
            } else {
                let (model, metadata) = try GPT.load(from: url)
                var changed = metadata.filter { !["format", "format_version", "n_layer", "n_embd", "n_head", "vocab_size", "n_ctx"].contains($0.key) }
                let other = try BPETokenizer.train(on: ["other text entirely"], vocabularySize: 270).serialized()
                changed["tokenizer"] = other
                changed["tokenizer_fnv1a64"] = E2EBaseModel.hex(BasisSeeds.fnv1a64(other))
                try model.save(to: url, metadata: changed)
            }
            let again = try base(folder)
            let notice = try #require(again.cacheNotice, "\(damage)")
            #expect(notice.contains("was rejected") && notice.contains(url.relativePath) && !notice.contains("\n"), "\(notice)")
            #expect(again.origin.hasPrefix("trained now in "))
            #expect(again.weights == reference.weights)
            let aside = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".rejected-") }
            #expect(aside.count == 1, "\(damage): \(aside)")
            #expect(try base(folder).origin.hasPrefix("loaded from the cache"), "the retrained base was not cached again")
        }
    }

    @Test("a run stopped early is an earlier checkpoint of the same run; snapshots cache it on the way")
    func snapshots() throws {
        let folder = URL(fileURLWithPath: try DataTestSupport.temporaryFolder("e2ebase-snap"))
        let total = try E2EBaseModel.totalSteps(data: Self.data, pretraining: Self.tiny)
        let finished = try E2EBaseModel(data: Self.data, seed: 7, pretraining: Self.tiny, cacheFolder: folder, snapshots: [0, 2])
        #expect(finished.steps == total && finished.totalSteps == total && total > 2)
        for step in [0, 2] {
            let stopped = Self.tiny.stopped(after: step)
            let cached = try E2EBaseModel(data: Self.data, seed: 7, pretraining: stopped, cacheFolder: folder)
            #expect(cached.origin.hasPrefix("loaded from the cache"), "snapshot \(step): \(cached.origin)")
            let fresh = try E2EBaseModel(data: Self.data, seed: 7, pretraining: stopped, cacheFolder: nil)
            #expect(fresh.steps == step && fresh.totalSteps == total)
            #expect(cached.weights == fresh.weights, "the snapshot at step \(step) is not the run stopped there")
            #expect(cached.weights != finished.weights)
        }
        #expect(try E2EBaseModel(data: Self.data, seed: 7, pretraining: Self.tiny.stopped(after: 0), cacheFolder: nil).makeModel().checkpointFile()
            == GPT(finished.configuration, seed: 7).checkpointFile(), "step 0 is the random initialization")
    }

    @Test("records of other domains in pretraining, and a tokenizer that never read an MR")
    func recordsInPretraining() throws {
        var p = Self.tiny
        p.records = 30
        p.tokenizerReadsMRs = false
        #expect(p.key != Self.tiny.key)
        let records = SyntheticRecords.generate(count: 30, seed: E2EBaseModel.recordSeed)
        let corpus = p.tokenizerCorpus(Self.data, records: records)
        #expect(corpus.count == Self.data.train.rowCount + 60 && !corpus.contains(Self.data.train.examples[0].mr.description))
        let base = try E2EBaseModel(data: Self.data, seed: 7, pretraining: p, cacheFolder: nil)
        #expect(base.documentCount > (try self.base(nil)).documentCount)
        #expect(base.validationLoss.isFinite && base.tokensPerSecond != nil)
    }

    // MARK: Fine-tuning corpus

    @Test("rows are [begin] MR [sep] sentence [end]; the loss counts the sentence and end only; long rows are left out")
    func corpus() throws {
        let tokenizer = try BPETokenizer.train(on: Self.data.tokenizerCorpus, vocabularySize: 300)
        let corpus = E2EFineTuning.Corpus(Self.data.train, tokenizer: tokenizer, context: 1000)
        #expect(corpus.count == Self.data.train.rowCount && corpus.dropped == 0)
        let (mr, reference) = Self.data.train.pairs[0]
        let row = corpus.sequences[0], mask = corpus.targetMasks[0]
        let prompt = [BPETokenizer.begin] + tokenizer.encode(mr.description) + [BPETokenizer.separator]
        #expect(row == prompt + tokenizer.encode(reference) + [BPETokenizer.end])
        #expect(mask == row.indices.map { $0 >= prompt.count })
        let batch = corpus.batches(size: 1, seed: nil)[0]
        // Position t predicts token t + 1: scored from the separator's position (predicting the
        // sentence's first token) to the one before the end token.
        #expect(batch.targetCount == row.count - prompt.count)
        #expect(batch.targets[prompt.count - 2] == TokenBatch.ignored && batch.targets[prompt.count - 1] == row[prompt.count])

        let short = E2EFineTuning.Corpus(Self.data.train, tokenizer: tokenizer, context: row.count - 1)
        let expectedDropped = corpus.sequences.count { $0.count > row.count }
        #expect(short.dropped == expectedDropped && short.count + short.dropped == corpus.count)
        #expect(short.longest <= row.count)
    }

    @Test("pretraining documents: one MR's references each, in order, within the context, every sentence once, no MR")
    func documents() throws {
        let tokenizer = try BPETokenizer.train(on: Self.data.tokenizerCorpus, vocabularySize: 300)
        let sentence = Self.data.train.examples[0].references[0]
        let one = [BPETokenizer.begin] + tokenizer.encode(sentence) + [BPETokenizer.end]
        for context in [2 * one.count, 6 * one.count, 10_000] {
            let documents = E2EBaseModel.documents(Self.data.train, tokenizer: tokenizer, context: context)
            #expect(documents.allSatisfy { $0.count <= context + 1 && $0.first == BPETokenizer.begin && $0.last == BPETokenizer.end })
            // Decoded back, the documents are the references in file order, grouped by MR.
            let texts = try documents.map { try tokenizer.decode(Array($0.dropFirst().dropLast())) }
            #expect(texts.joined(separator: " ") == Self.data.train.examples.map { $0.references.joined(separator: " ") }.joined(separator: " "))
            #expect(!texts.contains { $0.contains("name[") }, "an MR leaked into the pretraining text")
            if context == 10_000 { #expect(documents.count == Self.data.train.count, "one document per MR when all fit") }
            if context == 2 * one.count { #expect(documents.count > Self.data.train.count, "long groups are not split") }
        }
    }

    @Test("recipe: steps over a corpus, the standard rates")
    func recipe() {
        let r = E2EFineTuning.Recipe(epochs: 1.5, batchSize: 16, learningRate: 1e-3)
        #expect(r.steps(rows: 100) == 10)  // ⌈150 / 16⌉
        #expect(E2EFineTuning.Recipe.standard(for: .nola(rank: 8, k: 100, l: 100, c: 1, basis: .perLayer), epochs: 1).learningRate
            == 0.02)
        #expect(E2EFineTuning.Recipe.standard(for: nil, epochs: 1).learningRate == 1e-3)
    }

    @Test("fine-tuning LoRA on Q,V lowers the validation loss, moves only the adapters, and is repeatable")
    func fineTuning() throws {
        let base = try base(nil)
        let train = E2EFineTuning.Corpus(Self.data.train, tokenizer: base.tokenizer, context: 256)
        let validation = E2EFineTuning.Corpus(Self.data.validation, tokenizer: base.tokenizer, context: 256)
        func run() throws -> (GPT, [E2EFineTuning.Record]) {
            let model = base.makeModel()
            model.attach(.lora(rank: 2, c: 1), seed: 3, sites: model.sites(.queryValue))
            let records = try E2EFineTuning.train(model, on: train, validation: validation,
                                                  recipe: .init(epochs: 3, batchSize: 8, learningRate: 5e-2, warmup: 2), seed: 4)
            return (model, records)
        }
        let (model, records) = try run()
        #expect(records.count >= 3 && records.first!.step == 0 && records.last!.step == E2EFineTuning.Recipe(epochs: 3, batchSize: 8, learningRate: 0).steps(rows: train.count))
        #expect(records.last!.validationLoss < records.first!.validationLoss, "\(records.map(\.validationLoss))")
        #expect(abs(records.last!.epoch - 3) < 0.2)
        #expect(model.checkpointFile() == base.makeModel().checkpointFile(), "the frozen base moved")
        let (_, again) = try run()
        #expect(again.map(\.validationLoss) == records.map(\.validationLoss), "same seeds, different curve")
        #expect(again.dropFirst().map(\.trainingLoss) == records.dropFirst().map(\.trainingLoss))
        let noValidation = try E2EFineTuning.train(base.makeModel(), on: train, validation: nil,
                                                   recipe: .init(epochs: 0.5, batchSize: 8, learningRate: 1e-3), seed: 1)
        #expect(noValidation.allSatisfy { $0.validationLoss.isNaN })
    }

    @Test("batches of similar length: every row once per epoch, less padding than random batches, repeatable")
    func bucketedBatches() throws {
        let base = try base(nil)
        let train = E2EFineTuning.Corpus(Self.data.train, tokenizer: base.tokenizer, context: 256)
        for epoch in 0..<2 {
            let batches = train.lengthBucketedBatches(size: 8, seed: 3, epoch: epoch, pool: 3)
            #expect(batches.allSatisfy { $0.sequences <= 8 })
            // Every row once: the multiset of (length, first target tokens) rows equals the corpus's.
            func rows(_ b: [TokenBatch]) -> [[Int]] {
                b.flatMap { batch in (0..<batch.sequences).map { s in Array(batch.tokens[(s * batch.length)..<(s * batch.length + batch.lengths[s])]) } }
            }
            #expect(rows(batches).sorted { $0.lexicographicallyPrecedes($1) } == train.sequences.map { Array($0.dropLast()) }.sorted { $0.lexicographicallyPrecedes($1) })
            let padded = { (b: [TokenBatch]) in b.reduce(0) { $0 + $1.sequences * $1.length } }
            #expect(padded(batches) < padded(train.batches(size: 8, seed: 3, epoch: epoch)))
            #expect(train.lengthBucketedBatches(size: 8, seed: 3, epoch: epoch, pool: 3) == batches)
        }
    }

    @Test("early stopping keeps the point of lowest validation loss, and stops after `patience` without improvement")
    func earlyStopping() throws {
        let base = try base(nil)
        let train = E2EFineTuning.Corpus(Self.data.train, tokenizer: base.tokenizer, context: 256)
        let validation = E2EFineTuning.Corpus(Self.data.validation, tokenizer: base.tokenizer, context: 256)
        for (rate, patience) in [(Float(5e-2), Int?.none), (0.3, 1)] {
            let model = base.makeModel()
            model.attach(.lora(rank: 2, c: 1), seed: 3, sites: model.sites(.queryValue))
            let recipe = E2EFineTuning.Recipe(epochs: 4, batchSize: 8, learningRate: rate, warmup: 1)
            let records = try E2EFineTuning.train(model, on: train, validation: validation, recipe: recipe, seed: 4,
                                                  evaluations: 8, keepBest: true, patience: patience)
            let best = try #require(records.filter(\.isBest).first)
            #expect(records.filter(\.isBest).count == 1 && best.validationLoss == records.map(\.validationLoss).min())
            let trainer = LanguageModelTrainer(model: model, optimizer: SGD(parameters: [], learningRate: 0))
            #expect(trainer.evaluate(validation.batches(size: 64, seed: nil)) == best.validationLoss, "the model is not at its best point")
            if let patience, records.last!.step < recipe.steps(rows: train.count) {
                #expect(records.suffix(patience).allSatisfy { $0.validationLoss >= best.validationLoss })
            }
        }
    }

    // MARK: Decoding and files

    @Test("decoding writes one line per MR, the same as beam search on the prompt, within the context")
    func decoding() throws {
        let base = try base(nil)
        let model = base.makeModel()
        let mrs = Self.data.test.examples.map(\.mr)
        let search = BeamSearch(beamWidth: 3, lengthPenalty: 0.9, noRepeatNgram: 4, maxTokens: 20, endTokens: [BPETokenizer.end])
        let outputs = E2EDecoding.decode(model, tokenizer: base.tokenizer, mrs: mrs, search: search)
        #expect(outputs.count == mrs.count)
        for (mr, output) in zip(mrs, outputs) {
            let direct = search.decode(model, prompt: base.tokenizer.encodePrompt(mr.description))
            #expect(output == E2EDecoding.oneLine(try base.tokenizer.decode(direct.tokens)))
            #expect(!output.contains("\n"))
        }
        // Two threads, each with its own copy (a LoRA-adapted model and a copy of its values),
        // write what one thread writes.
        let adapted = base.makeModel()
        adapted.attach(.lora(rank: 2, c: 1), seed: 5, sites: adapted.sites(.queryValue))
        for p in adapted.parameters where p.name.contains("lora") {
            p.value = Matrix(rows: p.value.rows, cols: p.value.cols, data: p.value.data.indices.map { Float($0 % 7 - 3) * 0.5 })
        }
        let copy = base.makeModel()
        copy.attach(.lora(rank: 2, c: 1), seed: 5, sites: copy.sites(.queryValue))
        copy.copyValues(from: adapted)
        let one = E2EDecoding.decode(adapted, tokenizer: base.tokenizer, mrs: mrs, search: search)
        #expect(E2EDecoding.decode(copies: [adapted, copy], tokenizer: base.tokenizer, mrs: mrs, search: search) == one)
        #expect(one != outputs, "the adapter changed nothing: the test cannot tell copies apart")
    }

    @Test("oneLine: line breaks and tabs become spaces, ends trimmed")
    func oneLine() {
        // "\r\n" is one Character in Swift: one space.
        #expect(E2EDecoding.oneLine("  The Eagle\nis a pub.\r\n\tNice ") == "The Eagle is a pub.  Nice")
        #expect(E2EDecoding.oneLine("") == "")
    }

    @Test("outputs and references files read back through the scorer's reader, with the same scores")
    func scorerFiles() throws {
        let folder = try DataTestSupport.temporaryFolder("e2efiles")
        let references = [["The Eagle is a pub.", "A pub, The Eagle."], ["Cheap food\nnear the river."], ["x", "y", "z"]]
        let outputs = ["The Eagle is a pub.", "Cheap food by the river.", ""]
        let refsPath = (folder as NSString).appendingPathComponent("references.txt")
        let hypsPath = (folder as NSString).appendingPathComponent("outputs_test.txt")
        try E2EDecoding.referencesFile(references).write(toFile: refsPath, atomically: true, encoding: .utf8)
        try E2EDecoding.outputsFile(outputs).write(toFile: hypsPath, atomically: true, encoding: .utf8)
        let read = try E2EScorerInput.load(hypotheses: hypsPath, references: refsPath)
        #expect(read.hypotheses == outputs)
        #expect(read.references == references.map { $0.map(E2EDecoding.oneLine) })
        let direct = E2EScores(hypotheses: outputs, references: references.map { $0.map(E2EDecoding.oneLine) })
        let fromFiles = E2EScores(hypotheses: read.hypotheses, references: E2EScores.References(read.references))
        #expect(direct.bleu.score == fromFiles.bleu.score && direct.cider.score == fromFiles.cider.score)
    }
}
