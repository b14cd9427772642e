/// What can go wrong with a tokenizer: a bad size, a token id it does not know, or saved
/// tokenizer data that is damaged. Each description is one line naming the culprit and the fix.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A vocabulary size outside `260 … 4096`.
    case vocabularySizeOutOfRange(Int)
    /// A token id outside `0 ..< vocabularySize` given to `decode`.
    case unknownToken(id: Int, vocabularySize: Int)
    /// Merge `rank` cannot be built (a part that does not exist yet, a pair merged twice).
    case badMerge(rank: Int, String)
    /// `BPETokenizer(serialized:)` found something other than what `serialized()` writes.
    case damaged(String)

    public var description: String {
        switch self {
        case .vocabularySizeOutOfRange(let size):
            "vocabulary size \(size) is outside \(BPETokenizer.minimumVocabularySize)…\(BPETokenizer.maximumVocabularySize) "
                + "(256 bytes + 4 special tokens + merges); pick a size in that range, e.g. 2048"
        case .unknownToken(let id, let size):
            "token id \(id) is not in the vocabulary (ids 0…\(size - 1)); decode only ids this tokenizer made"
        case .badMerge(let rank, let problem):
            "merge \(rank): \(problem); build the tokenizer with BPETokenizer.train or from its serialized form"
        case .damaged(let problem):
            "saved tokenizer is damaged: \(problem); save the tokenizer (or the model) again"
        }
    }
}
