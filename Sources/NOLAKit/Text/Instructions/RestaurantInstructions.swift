/// A synthetic instruction set made from E2E meaning representations: the classroom's Alpaca.
///
/// For MR `i` of a set, with `StreamCursor(seed: seed, stream: stream(i))`:
/// - one `describe` task: "Describe this restaurant in one sentence.", the MR's text as input,
///   one of its reference sentences as the response;
/// - `perMR − 1` more tasks drawn among those the MR allows: a question about one attribute
///   (`question`), whether it is family-friendly (`familyFriendly`, when the MR says), the list
///   of its facts (`list`), and, when `quizValues` are given, a multiple-choice question about one
///   attribute (`multipleChoice`: the quiz's question as input, "Answer: B" as the response, as
///   Alpaca holds multiple-choice tasks too). Each is asked about a reference sentence that says
///   what is asked (`SlotCheck`), put in the input, or — half the time, for the open questions —
///   into the instruction itself with no input, so both of Alpaca's forms occur.
///
/// Answers are written from the MR, so they are right by construction. The set is deterministic
/// by seed, and it is made per part of an `E2EData` split by MR: no restaurant of the validation
/// part is in the training part's instructions.
///
///     let train = RestaurantInstructions.make(from: data.train, seed: 1)
///     train[0].prompt      // "### Instruction:\nDescribe this restaurant in one sentence.\n\n### Input:\nname[…], …"
public enum RestaurantInstructions {
    /// Tasks per MR (one `describe`, the rest drawn).
    public static let defaultPerMR = 3

    /// The stream of MR `i`'s tasks: ASCII "INST" in the high word, `i` in the low word.
    public static func stream(_ i: Int) -> UInt64 { (0x494E_5354 << 32) | UInt64(UInt32(truncatingIfNeeded: i)) }

    /// The instructions for every MR of `dataset`, MR after MR.
    public static func make(from dataset: E2EDataset, seed: UInt64, perMR: Int = defaultPerMR,
                            quizValues: [E2EAttribute: [String]]? = nil) -> [InstructionExample] {
        checkPrecondition(perMR >= 1, "RestaurantInstructions: at least one task per MR, got \(perMR)")
        var examples: [InstructionExample] = []
        for (i, example) in dataset.examples.enumerated() {
            var cursor = StreamCursor(seed: seed, stream: stream(i))
            examples.append(describe(example, &cursor))
            var options = askable(example) + (quizValues.map { multipleChoice(example, values: $0) } ?? [])
            for _ in 1..<perMR where !options.isEmpty {
                let pick = options.remove(at: cursor.nextInt(below: options.count))
                if let task = pick(&cursor) { examples.append(task) }
            }
        }
        return examples
    }

    /// "Describe this restaurant in one sentence." with the MR as input and a reference as response.
    static func describe(_ example: E2EExample, _ cursor: inout StreamCursor) -> InstructionExample {
        InstructionExample(kind: .describe, instruction: "Describe this restaurant in one sentence.", input: example.mr.description,
                           response: example.references[cursor.nextInt(below: example.references.count)])
    }

    /// The other tasks `example` allows, each a maker that may still find no sentence to ask about.
    static func askable(_ example: E2EExample) -> [(inout StreamCursor) -> InstructionExample?] {
        let mr = example.mr
        guard let name = mr[.name] else { return [] }
        var tasks: [(inout StreamCursor) -> InstructionExample?] = []
        for attribute in mr.attributes where AttributeQuestions.asked.contains(attribute) {
            tasks.append { cursor in
                guard let sentence = sentence(of: example, saying: [attribute], &cursor) else { return nil }
                return task(.question, AttributeQuestions.question(attribute, name: name), context: sentence,
                            response: AttributeQuestions.answer(attribute, value: mr[attribute]!, name: name), &cursor)
            }
        }
        if let family = mr[.familyFriendly] {
            tasks.append { cursor in
                guard let sentence = sentence(of: example, saying: [.familyFriendly], &cursor) else { return nil }
                let answer = family == "yes" ? "Yes, \(name) is family-friendly." : "No, \(name) is not family-friendly."
                return task(.familyFriendly, "Is \(name) family-friendly?", context: sentence, response: answer, &cursor)
            }
        }
        let facts = mr.pairs.filter { $0.attribute != .name }
        if !facts.isEmpty {
            tasks.append { cursor in
                guard let sentence = sentence(of: example, saying: facts.map(\.attribute), &cursor) else { return nil }
                let list = facts.map { "\($0.attribute.rawValue): \($0.value)" }.joined(separator: "; ")
                return task(.list, "List the facts about \(name).", context: sentence, response: list, &cursor)
            }
        }
        return tasks
    }

    /// Multiple-choice tasks about `example`, one per quiz attribute it has.
    static func multipleChoice(_ example: E2EExample, values: [E2EAttribute: [String]]) -> [(inout StreamCursor) -> InstructionExample?] {
        guard let name = example.mr[.name] else { return [] }
        return RestaurantQuiz.attributes.filter { example.mr[$0] != nil }.map { attribute in
            { cursor in
                guard let q = RestaurantQuiz.question(about: attribute, of: example, name: name, values: values, &cursor) else { return nil }
                let text = q.text(answered: false)
                return InstructionExample(kind: .multipleChoice, instruction: "Choose the right option.",
                                          input: String(text.dropLast("Answer:".count).dropLast()),
                                          response: "Answer: \(MultipleChoiceQuestion.letters[q.answer])")
            }
        }
    }

    /// The question about `context`, the context in the input or (half the time) in the instruction.
    static func task(_ kind: InstructionExample.Kind, _ question: String, context: String, response: String,
                     _ cursor: inout StreamCursor) -> InstructionExample {
        cursor.nextUniform() < 0.5
            ? InstructionExample(kind: kind, instruction: question, input: context, response: response)
            : InstructionExample(kind: kind, instruction: context + " " + question, input: nil, response: response)
    }

    /// A reference of `example` that says every value of `attributes` (`SlotCheck`), drawn
    /// uniformly among those that do; nil when none does.
    static func sentence(of example: E2EExample, saying attributes: [E2EAttribute], _ cursor: inout StreamCursor) -> String? {
        let fitting = example.references.filter { reference in
            let missing = SlotCheck.errors(in: reference, for: example.mr).missing
            return !attributes.contains(where: missing.contains)
        }
        return fitting.isEmpty ? nil : fitting[cursor.nextInt(below: fitting.count)]
    }
}

/// The questions both the instruction set and the multiple-choice quiz ask about one attribute,
/// and their one-sentence answers.
public enum AttributeQuestions {
    /// The attributes asked about by `question` (family-friendliness has its own yes/no task).
    public static let asked: [E2EAttribute] = [.eatType, .food, .priceRange, .customerRating, .area, .near]

    /// "What food does Juniper serve?"
    public static func question(_ attribute: E2EAttribute, name: String) -> String {
        switch attribute {
        case .eatType: "What kind of place is \(name)?"
        case .food: "What food does \(name) serve?"
        case .priceRange: "What is the price range of \(name)?"
        case .customerRating: "How do customers rate \(name)?"
        case .area: "Which area is \(name) in?"
        case .near: "What is \(name) near?"
        case .familyFriendly: "Is \(name) family-friendly?"
        case .name: "What is the restaurant called?"
        }
    }

    /// "Juniper serves Italian food."
    public static func answer(_ attribute: E2EAttribute, value: String, name: String) -> String {
        switch attribute {
        case .eatType: "\(name) is a \(value)."
        case .food: value == "Fast food" ? "\(name) serves fast food." : "\(name) serves \(value) food."
        case .priceRange: "The price range of \(name) is \(value)."
        case .customerRating: "\(name) has a customer rating of \(value)."
        case .area: "\(name) is in the \(value) area."
        case .near: "\(name) is near \(value)."
        case .familyFriendly: value == "yes" ? "Yes, \(name) is family-friendly." : "No, \(name) is not family-friendly."
        case .name: "It is called \(value)."
        }
    }
}
