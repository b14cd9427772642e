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
        let a = RestaurantInstructions.make(from: data.train, seed: 3)
        #expect(a == RestaurantInstructions.make(from: data.train, seed: 3))
        #expect(a != RestaurantInstructions.make(from: data.train, seed: 4))
        #expect(Set(a.map(\.kind)) == Set(InstructionExample.Kind.allCases))
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
        let validation = RestaurantInstructions.make(from: data.validation, seed: 3)
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
}
