import Foundation
import Testing

@testable import NOLAKit

/// The synthetic instruction set and the MMLU-style quiz: formats, determinism, split by MR,
/// answers right by construction; and the lesson-16 base's cache.
@Suite("Instructions and the restaurant quiz")
struct TextInstructionTests {
    let data = try! E2EData.load(.synthetic(seed: 7))

    @Test("Alpaca-style prompt: the exact text with and without input; the loss mask covers the response and [end]")
    func prompt() throws {
        let withInput = InstructionExample(kind: .question, instruction: "What food does Juniper serve?",
                                           input: "Juniper is an Italian pub.", response: "Juniper serves Italian food.")
        #expect(withInput.prompt == "### Instruction:\nWhat food does Juniper serve?\n\n### Input:\nJuniper is an Italian pub.\n\n### Response:\n")
        let without = InstructionExample(kind: .question, instruction: "Q?", input: nil, response: "A.")
        #expect(without.prompt == "### Instruction:\nQ?\n\n### Response:\n")
        let tokenizer = try BPETokenizer.train(on: [withInput.text], vocabularySize: 300)
        let (tokens, mask) = withInput.tokens(tokenizer)
        let answer = tokenizer.encode(withInput.response)
        #expect(tokens.first == BPETokenizer.begin && tokens.last == BPETokenizer.end)
        #expect(mask.count == tokens.count && mask.filter { $0 }.count == answer.count + 1)
        #expect(Array(tokens[(tokens.count - answer.count - 1)..<(tokens.count - 1)]) == answer)
        #expect(!mask[0] && mask.last!)
    }

    @Test("instructions: deterministic by seed, four kinds, answers and contexts true to the MR, both prompt forms")
    func instructions() {
        let values = RestaurantQuiz.values(in: [data.train])
        let a = RestaurantInstructions.make(from: data.train, seed: 3, quizValues: values)
        #expect(a == RestaurantInstructions.make(from: data.train, seed: 3, quizValues: values))
        #expect(a != RestaurantInstructions.make(from: data.train, seed: 4, quizValues: values))
        #expect(Set(a.map(\.kind)) == Set(InstructionExample.Kind.allCases))
        #expect(!RestaurantInstructions.make(from: data.train, seed: 3).contains { $0.kind == .multipleChoice })
        for task in a where task.kind == .multipleChoice {
            let lines = task.input!.split(separator: "\n").map(String.init)
            #expect(lines.count == 6 && task.response.hasPrefix("Answer: "))
            let letter = String(task.response.dropFirst("Answer: ".count))
            let chosen = lines.first { $0.hasPrefix(letter + ". ") }!.dropFirst(3)
            let example = data.train.examples.first { $0.references.contains(lines[0]) }!
            #expect(example.mr.pairs.contains { $0.value == chosen })
        }
        #expect(a.count >= 2 * data.train.count && a.count <= 3 * data.train.count)
        #expect(a.contains { $0.input == nil } && a.contains { $0.input != nil && $0.kind != .describe })
        let byText = Dictionary(data.train.examples.map { ($0.mr.description, $0) }, uniquingKeysWith: { x, _ in x })
        for task in a where task.kind == .describe {
            let example = byText[task.input!]!
            #expect(example.references.contains(task.response))
        }
        for task in a where task.kind == .question {
            let context = task.input ?? task.instruction
            let example = data.train.examples.first { e in e.references.contains { context.contains($0) } }!
            let name = example.mr[.name]!
            let attribute = AttributeQuestions.asked.first { task.instruction.hasSuffix(AttributeQuestions.question($0, name: name)) }!
            #expect(task.response == AttributeQuestions.answer(attribute, value: example.mr[attribute]!, name: name))
        }
        // Split by MR: no validation MR is described in the training instructions.
        let trainMRs = Set(a.filter { $0.kind == .describe }.compactMap(\.input))
        let validation = RestaurantInstructions.make(from: data.validation, seed: 3, quizValues: values)
        #expect(validation.filter { $0.kind == .describe }.allSatisfy { !trainMRs.contains($0.input!) })
    }

    @Test("quiz: four distinct options with the true value at a uniform letter; MMLU's text, exactly")
    func quiz() {
        let values = RestaurantQuiz.values(in: [data.train, data.validation, data.test])
        #expect(values[.food]!.count == 7 && values[.near]!.count == 12)
        let questions = RestaurantQuiz.questions(from: data.test, values: values, seed: 5)
        #expect(questions == RestaurantQuiz.questions(from: data.test, values: values, seed: 5))
        #expect(questions.count > 2 * data.test.count)
        var letters = [0, 0, 0, 0]
        for q in questions {
            #expect(Set(q.options).count == 4)
            letters[q.answer] += 1
            let example = data.test.examples.first { $0.references.contains(q.context) }!
            #expect(q.options[q.answer] == example.mr[q.attribute])
        }
        for count in letters { #expect(abs(Double(count) / Double(questions.count) - 0.25) < 0.05) }
        let q = MultipleChoiceQuestion(context: "Juniper is an Italian pub.", question: "What food does Juniper serve?",
                                       options: ["French", "Italian", "Indian", "Chinese"], answer: 1, attribute: .food)
        #expect(q.text(answered: true) == "Juniper is an Italian pub.\nWhat food does Juniper serve?\nA. French\nB. Italian\nC. Indian\nD. Chinese\nAnswer: B\n\n")
        #expect(RestaurantQuiz.prompt(shots: [q], question: q).hasSuffix("D. Chinese\nAnswer:"))
        #expect(RestaurantQuiz.prompt(shots: [q], question: q).hasPrefix("The following are multiple choice questions (with answers) about restaurants.\n\nJuniper"))
    }

    @Test("the lesson-16 base: pretrained once, then loaded from the cache bit for bit; a damaged cache is set aside")
    func baseCache() throws {
        let small = E2EData(train: data.train.prefix(12), validation: data.validation.prefix(3), test: data.test.prefix(3), source: data.source)
        var settings = RestaurantLlamaBase.Pretraining.tiny
        settings.context = 128
        try withTemporaryDirectory { folder in
            let first = try RestaurantLlamaBase(data: small, seed: 2, pretraining: settings, cacheFolder: folder)
            #expect(first.origin.hasPrefix("trained now") && first.epochLosses.count == 1 && first.validationLoss.isFinite)
            let second = try RestaurantLlamaBase(data: small, seed: 2, pretraining: settings, cacheFolder: folder)
            #expect(second.origin.hasPrefix("loaded from the cache"))
            #expect(second.weights.tensors == first.weights.tensors)
            let cached = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            #expect(cached.count == 1)
            try Data("not a checkpoint".utf8).write(to: cached[0])
            let third = try RestaurantLlamaBase(data: small, seed: 2, pretraining: settings, cacheFolder: folder)
            #expect(third.origin.hasPrefix("trained now") && third.cacheNotice?.contains("rejected") == true)
            #expect(third.weights.tensors == first.weights.tensors)
        }
    }

    @Test("instruction tuning: a few LoRA steps on a packed base lower the loss and leave the base untouched; the quiz scores letters")
    func tuning() throws {
        let examples = RestaurantInstructions.make(from: data.train.prefix(4), seed: 1)
        let tokenizer = try BPETokenizer.train(on: examples.map(\.text), vocabularySize: 300)
        let configuration = LlamaConfiguration(layers: 2, hidden: 16, intermediate: 24, heads: 2, keyValueHeads: 1,
                                               vocabulary: tokenizer.vocabularySize, context: 1024)
        let model = LlamaModel(configuration, seed: 3)
        model.packBase(.nf4)
        let before = model.effectiveBaseWeights().map(\.value)
        model.attach(.lora(rank: 1, c: 16), seed: 4, sites: model.allSites)
        let corpus = InstructionTuning.Corpus(examples, tokenizer: tokenizer, context: 1024)
        #expect(corpus.count == examples.count && corpus.dropped == 0)
        let batches = corpus.batches(size: 8)
        let start = InstructionTuning.loss(model, on: batches)
        var recipe = InstructionTuning.Recipe(steps: 20, batchSize: 8, learningRate: 1e-2, warmup: 2)
        recipe.evaluations = 4
        let run = try InstructionTuning.train(model, on: corpus, recipe: recipe, seed: 5, probe: batches)
        #expect(run.curve.map(\.step) == [0, 5, 10, 15, 20] && run.stepSeconds.count == 20 && run.losses.count == 20)
        #expect(run.curve.last!.loss < start - 0.02)
        #expect(abs(run.curve[0].loss - start) < 1e-9)
        #expect(model.effectiveBaseWeights().map(\.value) == before)
        // 5-shot quiz: prompts start with [begin], choices are the tokens of " A" … " D".
        let values = RestaurantQuiz.values(in: [data.train, data.test])
        let questions = RestaurantQuiz.questions(from: data.test.prefix(2), values: values, seed: 1)
        let quiz = FewShotQuiz(shots: Array(questions.prefix(1)), questions: questions, tokenizer: tokenizer)
        #expect(quiz.prompts.allSatisfy { $0.first == BPETokenizer.begin } && quiz.choices == ["A", "B", "C", "D"].map { tokenizer.encode(" " + $0) })
        let (accuracy, chosen) = quiz.evaluate(model, batchSize: 3)
        #expect(chosen.count == questions.count && chosen.allSatisfy { (0..<4).contains($0) })
        #expect(accuracy == Double(zip(chosen, questions).filter { $0 == $1.answer }.count) / Double(questions.count))
    }

    @Test("E2E's published splits: a missing trainset.csv is one line naming it and the way out")
    func trainingSplitMissing() throws {
        try withTemporaryDirectory { folder in
            try TextTestSupport.write("mr,ref\n\"name[A]\",A.\n", "devset.csv", in: folder.path)
            try TextTestSupport.write("mr,ref\n\"name[B]\",B.\n", "testset_w_refs.csv", in: folder.path)
            do {
                _ = try E2EData.load(.e2e(folder: folder.path))
                Issue.record("loaded without trainset.csv")
            } catch let error as DataFileError {
                #expect("\(error)".contains("trainset.csv") && "\(error)".contains("--data synthetic"))
            }
            try TextTestSupport.write("mr,ref\n\"name[C], area[riverside]\",C is by the river.\n", "trainset.csv", in: folder.path)
            let loaded = try E2EData.load(.e2e(folder: folder.path))
            #expect(loaded.train.count == 1 && loaded.validation.count == 1 && loaded.test.count == 1)
        }
    }

    @Test("E2E's published splits on the real files: 42,061 training rows of 4,862 MRs",
          .enabled(if: ["/work/shared/data/e2e", TextTestSupport.e2eFolder ?? ""].contains { FileManager.default.fileExists(atPath: $0 + "/trainset.csv") }))
    func trainingSplitReal() throws {
        let folder = ["/work/shared/data/e2e", TextTestSupport.e2eFolder ?? ""].first { FileManager.default.fileExists(atPath: $0 + "/trainset.csv") }!
        let real = try E2EData.load(.e2e(folder: folder))
        #expect(real.train.rowCount == 42_061 && real.train.count == 4_862)
        #expect(real.validation.count == 547 && real.test.count == 630)
    }
}
