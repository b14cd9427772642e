/// One multiple-choice question, MMLU's format (Hendrycks et al. 2021): a question, four
/// options A–D, one right. Ours are about a restaurant described in the `context` sentence.
///
///     Juniper is a cheap Italian pub near Kings Bridge.
///     What food does Juniper serve?
///     A. French
///     B. Italian
///     C. Indian
///     D. Chinese
///     Answer: B
public struct MultipleChoiceQuestion: Sendable, Equatable {
    /// The sentence the question is about.
    public let context: String
    public let question: String
    /// Four options.
    public let options: [String]
    /// The right option's index, 0…3.
    public let answer: Int
    /// What is asked (for tables).
    public let attribute: E2EAttribute

    public init(context: String, question: String, options: [String], answer: Int, attribute: E2EAttribute) {
        checkPrecondition(options.count == 4 && (0..<4).contains(answer), "MultipleChoiceQuestion: 4 options and an answer in 0…3")
        self.context = context
        self.question = question
        self.options = options
        self.answer = answer
        self.attribute = attribute
    }

    /// The option letters.
    public static let letters = ["A", "B", "C", "D"]

    /// The question up to "Answer:", then (with `answered`) " X" and a blank line.
    public func text(answered: Bool) -> String {
        var text = "\(context)\n\(question)\n"
        for (letter, option) in zip(Self.letters, options) { text += "\(letter). \(option)\n" }
        text += "Answer:"
        if answered { text += " \(Self.letters[answer])\n\n" }
        return text
    }
}

/// MMLU-style multiple-choice questions about restaurants, and MMLU's k-shot prompt.
///
/// For MR `i`, with `StreamCursor(seed: seed, stream: stream(i))`, one question per attribute of
/// `attributes` the MR has (those with at least four values): the context is a reference that
/// says the value (`SlotCheck`), the three wrong options are drawn from the attribute's other
/// values (`values`, the values the data holds), and the right one is put at a uniformly drawn
/// letter, so always answering "A" scores 25 % on average.
///
/// The k-shot prompt is MMLU's: a header, k answered questions (the "dev" shots, about training
/// restaurants), then the question, ending with "Answer:"; the model's choice is the letter whose
/// token it finds most probable next (`LlamaModel.multipleChoiceLogProbabilities`).
public enum RestaurantQuiz {
    /// MMLU's header, with our subject.
    public static let header = "The following are multiple choice questions (with answers) about restaurants.\n\n"
    /// The attributes with four or more values.
    public static let attributes: [E2EAttribute] = [.food, .priceRange, .customerRating, .near]

    /// The stream of MR `i`'s questions: ASCII "QUIZ" in the high word, `i` in the low word.
    public static func stream(_ i: Int) -> UInt64 { (0x5155_495A << 32) | UInt64(UInt32(truncatingIfNeeded: i)) }

    /// Each attribute's values in the given sets, sorted (the options questions draw from).
    public static func values(in sets: [E2EDataset]) -> [E2EAttribute: [String]] {
        var found: [E2EAttribute: Set<String>] = [:]
        for set in sets { for example in set.examples { for (a, v) in example.mr.pairs where attributes.contains(a) { found[a, default: []].insert(v) } } }
        return found.mapValues { $0.sorted() }
    }

    /// The questions about every MR of `dataset`, MR after MR (an attribute with fewer than four
    /// known values, or no reference saying it, is skipped); with `perMR`, at most that many of
    /// each MR's, drawn uniformly (in order) after the others are made.
    public static func questions(from dataset: E2EDataset, values: [E2EAttribute: [String]], seed: UInt64, perMR: Int? = nil) -> [MultipleChoiceQuestion] {
        var questions: [MultipleChoiceQuestion] = []
        for (i, example) in dataset.examples.enumerated() {
            var cursor = StreamCursor(seed: seed, stream: stream(i))
            guard let name = example.mr[.name] else { continue }
            var mine: [MultipleChoiceQuestion] = []
            for attribute in attributes {
                if let q = question(about: attribute, of: example, name: name, values: values, &cursor) { mine.append(q) }
            }
            if let perMR, mine.count > perMR {
                mine = cursor.permutation(mine.count).prefix(perMR).sorted().map { mine[$0] }
            }
            questions += mine
        }
        return questions
    }

    /// One question about `attribute` of `example` (named `name`): the context a reference that
    /// says the value, three wrong options drawn from the attribute's other `values`, the right one
    /// at a drawn letter; nil when the attribute is absent, has fewer than four known values, or no
    /// reference says it.
    static func question(about attribute: E2EAttribute, of example: E2EExample, name: String, values: [E2EAttribute: [String]],
                         _ cursor: inout StreamCursor) -> MultipleChoiceQuestion? {
        guard let value = example.mr[attribute], let all = values[attribute], all.count >= 4, all.contains(value),
              let context = RestaurantInstructions.sentence(of: example, saying: [attribute], &cursor)
        else { return nil }
        var wrong = all.filter { $0 != value }
        var options: [String] = []
        for _ in 0..<3 { options.append(wrong.remove(at: cursor.nextInt(below: wrong.count))) }
        let answer = cursor.nextInt(below: 4)
        options.insert(value, at: answer)
        return MultipleChoiceQuestion(context: context, question: AttributeQuestions.question(attribute, name: name), options: options,
                                      answer: answer, attribute: attribute)
    }

    /// MMLU's prompt: the header, the answered `shots`, then `question` up to "Answer:".
    public static func prompt(shots: [MultipleChoiceQuestion], question: MultipleChoiceQuestion) -> String {
        header + shots.map { $0.text(answered: true) }.joined() + question.text(answered: false)
    }

    /// Documents of answered questions for pretraining, as quiz pages on the web: the header and
    /// up to `perDocument` questions each, in order.
    public static func documents(_ questions: [MultipleChoiceQuestion], perDocument: Int) -> [String] {
        checkPrecondition(perDocument > 0, "RestaurantQuiz.documents: at least one question per document")
        return stride(from: 0, to: questions.count, by: perDocument).map { start in
            header + questions[start..<min(start + perDocument, questions.count)].map { $0.text(answered: true) }.joined()
        }
    }
}
