/// One instruction-tuning example, Alpaca-style (Taori et al. 2023): an instruction, an optional
/// input that gives it context, and the response a model should write.
///
/// The prompt keeps Alpaca's three headed sections and drops its one-sentence preamble ("Below is
/// an instruction that describes a task…"), which would cost every example of a classroom model
/// about 30 tokens of its context and teach it nothing:
///
///     ### Instruction:
///     What food does Juniper serve?
///
///     ### Input:                      (only when there is an input)
///     Juniper is a cheap Italian pub near Kings Bridge.
///
///     ### Response:
///     Juniper serves Italian food.
///
/// As tokens: `[begin] prompt response [end]`; the loss is taken on the response and `[end]`
/// only (`targetMask`), so the model learns to answer, not to write instructions.
public struct InstructionExample: Sendable, Equatable {
    /// What kind of task it is (for tables: how many of each).
    public enum Kind: String, Sendable, CaseIterable {
        case describe = "describe a restaurant"
        case question = "answer a question about one attribute"
        case familyFriendly = "say whether it is family-friendly"
        case list = "list its facts"
        case multipleChoice = "pick the right option of four"
    }

    public let kind: Kind
    public let instruction: String
    /// The context, or nil for an instruction that carries its own.
    public let input: String?
    public let response: String

    public init(kind: Kind, instruction: String, input: String?, response: String) {
        self.kind = kind
        self.instruction = instruction
        self.input = input
        self.response = response
    }

    /// The prompt up to and including `### Response:` and its newline.
    public var prompt: String {
        "### Instruction:\n\(instruction)\n\n" + (input.map { "### Input:\n\($0)\n\n" } ?? "") + "### Response:\n"
    }

    /// The prompt and the response, as one text.
    public var text: String { prompt + response }

    /// `[begin] prompt response [end]` and, per token, whether its prediction is scored: true for
    /// the response's tokens and `[end]` (`TokenBatch(sequences:targetMask:)` reads it).
    public func tokens(_ tokenizer: BPETokenizer) -> (tokens: [Int], targetMask: [Bool]) {
        let prompt = [BPETokenizer.begin] + tokenizer.encode(self.prompt)
        let answer = tokenizer.encode(response) + [BPETokenizer.end]
        return (prompt + answer, [Bool](repeating: false, count: prompt.count) + [Bool](repeating: true, count: answer.count))
    }
}
