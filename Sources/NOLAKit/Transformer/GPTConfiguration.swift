/// The shape of a GPT: GPT-2's hyperparameters under their GPT-2 names in files.
///
/// GPT-2's published sizes are data here (`gpt2Small`, `gpt2Medium`, `gpt2Large`, `gpt2XL`), so a
/// lesson can set a classroom model's parameter counts beside the paper's GPT-2 M (355M) and
/// L (774M) from the same formulas.
public struct GPTConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Number of blocks, `n_layer`.
    public var layers: Int
    /// Model width `C`, `n_embd`.
    public var embedding: Int
    /// Attention heads, `n_head` (a divisor of `embedding`).
    public var heads: Int
    /// Token ids `0..<vocabulary`, `vocab_size`.
    public var vocabulary: Int
    /// The longest sequence (number of position embeddings), `n_ctx`.
    public var context: Int

    public init(layers: Int, embedding: Int, heads: Int, vocabulary: Int, context: Int) {
        self.layers = layers
        self.embedding = embedding
        self.heads = heads
        self.vocabulary = vocabulary
        self.context = context
    }

    /// GPT-2 small (124M): 12 blocks, width 768, 12 heads, vocabulary 50,257, context 1,024.
    public static let gpt2Small = GPTConfiguration(layers: 12, embedding: 768, heads: 12, vocabulary: 50_257, context: 1024)
    /// GPT-2 medium (355M), the paper's "GPT-2 M": 24 blocks, width 1,024, 16 heads.
    public static let gpt2Medium = GPTConfiguration(layers: 24, embedding: 1024, heads: 16, vocabulary: 50_257, context: 1024)
    /// GPT-2 large (774M), the paper's "GPT-2 L": 36 blocks, width 1,280, 20 heads.
    public static let gpt2Large = GPTConfiguration(layers: 36, embedding: 1280, heads: 20, vocabulary: 50_257, context: 1024)
    /// GPT-2 XL (1.5B): 48 blocks, width 1,600, 25 heads.
    public static let gpt2XL = GPTConfiguration(layers: 48, embedding: 1600, heads: 25, vocabulary: 50_257, context: 1024)

    /// Why this configuration cannot build a model, or nil when it can.
    public var problem: String? {
        if layers < 1 { return "n_layer must be at least 1, got \(layers)" }
        if embedding < 1 || heads < 1 || embedding % heads != 0 {
            return "n_embd \(embedding) must be a positive multiple of n_head \(heads)"
        }
        if vocabulary < 1 { return "vocab_size must be at least 1, got \(vocabulary)" }
        if context < 1 { return "n_ctx must be at least 1, got \(context)" }
        return nil
    }

    /// Width of one head, `C / H`.
    public var headSize: Int { embedding / heads }

    /// `n_layer 4, n_embd 128, n_head 4, vocab_size 2048, n_ctx 64`.
    public var description: String {
        "n_layer \(layers), n_embd \(embedding), n_head \(heads), vocab_size \(vocabulary), n_ctx \(context)"
    }

    // MARK: Parameter counts

    /// Scalars per part, exactly (the unembedding is tied to `wte`, so it adds nothing):
    ///
    ///     token embedding     V·C
    ///     position embedding  n_ctx·C
    ///     attention           L·(3C² + 3C + C² + C)      c_attn and c_proj, weights and biases
    ///     MLP                 L·(4C² + 4C + 4C² + C)     c_fc and c_proj
    ///     layer norms         L·4C + 2C                  ln_1, ln_2 per block, and ln_f
    public var parameterCounts: [(part: String, count: Int)] {
        let (c, l) = (embedding, layers)
        return [
            ("token embedding", vocabulary * c),
            ("position embedding", context * c),
            ("attention", l * (4 * c * c + 4 * c)),
            ("MLP", l * (8 * c * c + 5 * c)),
            ("layer norms", l * 4 * c + 2 * c),
        ]
    }

    /// All scalars: GPT-2 small 124,439,808; medium 354,823,168; large 774,030,080.
    public var parameterCount: Int { parameterCounts.reduce(0) { $0 + $1.count } }

    // MARK: Files

    /// The metadata keys of a checkpoint, with GPT-2's names.
    public var metadata: [String: String] {
        ["n_layer": String(layers), "n_embd": String(embedding), "n_head": String(heads),
         "vocab_size": String(vocabulary), "n_ctx": String(context)]
    }

    /// The configuration stored in a checkpoint's metadata; throws `SafeTensorsError` naming
    /// `source` when a key is missing, not a number, or describes no valid model.
    public init(metadata: [String: String], source: String) throws {
        func value(_ key: String) throws -> Int {
            guard let text = metadata[key] else {
                throw SafeTensorsError(source, "metadata has no '\(key)': not a GPT checkpoint of this project")
            }
            guard let v = Int(text) else {
                throw SafeTensorsError(source, "metadata '\(key)' is '\(text)', not an integer")
            }
            return v
        }
        self.init(
            layers: try value("n_layer"), embedding: try value("n_embd"), heads: try value("n_head"),
            vocabulary: try value("vocab_size"), context: try value("n_ctx"))
        if let problem {
            throw SafeTensorsError(source, "describes no valid GPT: \(problem)")
        }
    }
}
