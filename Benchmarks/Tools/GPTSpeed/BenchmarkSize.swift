import NOLAKit

/// One model and batch shape the benchmark times: `LxC` plus heads, tokens per sequence, batch
/// and vocabulary.
///
///     4x128                       issue 11's step: 4 blocks of width 128, 4 heads, 32 × 64 tokens, V 2,048
///     6x256                       a stand-in for lesson12's next base: 4 heads, 16 × 128 tokens
///     1x1024                      one GPT-2-M-width block: 16 heads, 8 × 128 tokens
///     6x256:h8:t128:b16:v1024     any shape: heads, tokens per sequence, batch, vocabulary
///
/// The three names above are presets; any other `LxC` takes h = C/64 (at least 1), t = 128,
/// b = 16, v = 2,048 unless given. The context is the tokens per sequence.
struct BenchmarkSize: Equatable, CustomStringConvertible {
    var layers: Int
    var width: Int
    var heads: Int
    var tokens: Int
    var batch: Int
    var vocabulary: Int

    static let presets: [String: BenchmarkSize] = [
        "4x128": BenchmarkSize(layers: 4, width: 128, heads: 4, tokens: 64, batch: 32, vocabulary: 2048),
        "6x256": BenchmarkSize(layers: 6, width: 256, heads: 4, tokens: 128, batch: 16, vocabulary: 2048),
        "1x1024": BenchmarkSize(layers: 1, width: 1024, heads: 16, tokens: 128, batch: 8, vocabulary: 2048),
    ]

    /// The shape a spec names, or nil with the reason in `problem`.
    init?(_ spec: String, problem: inout String) {
        let parts = spec.lowercased().split(separator: ":").map(String.init)
        let shape = parts.first?.split(separator: "x").compactMap { Int($0) } ?? []
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
            problem = "'\(spec)' is not LxC (layers x width), e.g. 6x256 or 6x256:h4:t128:b16:v2048"
            return nil
        }
        self = Self.presets[parts[0]]
            ?? BenchmarkSize(layers: shape[0], width: shape[1], heads: max(1, shape[1] / 64), tokens: 128, batch: 16, vocabulary: 2048)
        for part in parts.dropFirst() {
            guard let key = part.first, let value = Int(part.dropFirst()), value > 0 else {
                problem = "'\(part)' in '\(spec)' is not h<heads>, t<tokens>, b<batch> or v<vocabulary> with a positive number"
                return nil
            }
            switch key {
            case "h": heads = value
            case "t": tokens = value
            case "b": batch = value
            case "v": vocabulary = value
            default:
                problem = "'\(part)' in '\(spec)': the keys are h (heads), t (tokens), b (batch), v (vocabulary)"
                return nil
            }
        }
        guard width % heads == 0 else {
            problem = "'\(spec)': width \(width) is not a multiple of \(heads) heads"
            return nil
        }
    }

    private init(layers: Int, width: Int, heads: Int, tokens: Int, batch: Int, vocabulary: Int) {
        (self.layers, self.width, self.heads, self.tokens, self.batch, self.vocabulary) = (layers, width, heads, tokens, batch, vocabulary)
    }

    /// The spec that gives this shape back: `6x256:h4:t128:b16:v2048`.
    var spec: String { "\(layers)x\(width):h\(heads):t\(tokens):b\(batch):v\(vocabulary)" }

    /// `6 blocks × 256, 4 heads, 16 × 128 tokens, V 2048`.
    var description: String { "\(layers) block\(layers == 1 ? "" : "s") × \(width), \(heads) heads, \(batch) × \(tokens) tokens, V \(vocabulary)" }

    /// The step as `GPTStepTiming` times it.
    func timing(method: AdapterMethod?) -> GPTStepTiming {
        GPTStepTiming(
            configuration: GPTConfiguration(layers: layers, embedding: width, heads: heads, vocabulary: vocabulary, context: tokens),
            batch: batch, tokens: tokens, method: method)
    }

    /// `gpt_step.py`'s arguments for this shape.
    var pythonArguments: [String] {
        ["--layers", String(layers), "--embd", String(width), "--heads", String(heads), "--vocab", String(vocabulary),
         "--context", String(tokens), "--batch", String(batch), "--tokens", String(tokens)]
    }
}
