/// The shape of a LLaMA-style model, under the names of the released `config.json` in files
/// (`num_hidden_layers`, `hidden_size`, `intermediate_size`, `num_attention_heads`,
/// `num_key_value_heads`, `vocab_size`, `max_position_embeddings`).
///
/// The published LLaMA-2 sizes are `ModelShape.llama2_7B` … `llama2_70B` (lesson 13 counts them);
/// `ModelShape(self)` gives this shape in the same terms, so one formula counts ours and theirs.
public struct LlamaConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Blocks `L`.
    public var layers: Int
    /// Width `d`.
    public var hidden: Int
    /// The SwiGLU MLP's inner width `I`.
    public var intermediate: Int
    /// Query heads `H` (divides `d`).
    public var heads: Int
    /// Key/value heads `G` (divides `H`; fewer than `H` is grouped-query attention).
    public var keyValueHeads: Int
    /// Token ids `0..<V`.
    public var vocabulary: Int
    /// The longest sequence RoPE's tables cover.
    public var context: Int

    public init(layers: Int, hidden: Int, intermediate: Int, heads: Int, keyValueHeads: Int, vocabulary: Int, context: Int) {
        self.layers = layers
        self.hidden = hidden
        self.intermediate = intermediate
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.vocabulary = vocabulary
        self.context = context
    }

    /// Why this configuration cannot build a model, or nil.
    public var problem: String? {
        if layers < 1 { return "num_hidden_layers must be at least 1, got \(layers)" }
        if hidden < 1 || heads < 1 || hidden % heads != 0 || (hidden / heads) % 2 != 0 {
            return "hidden_size \(hidden) must be a positive multiple of num_attention_heads \(heads) with an even head size"
        }
        if keyValueHeads < 1 || heads % keyValueHeads != 0 {
            return "num_key_value_heads \(keyValueHeads) must divide num_attention_heads \(heads)"
        }
        if intermediate < 1 { return "intermediate_size must be at least 1, got \(intermediate)" }
        if vocabulary < 1 { return "vocab_size must be at least 1, got \(vocabulary)" }
        if context < 1 { return "max_position_embeddings must be at least 1, got \(context)" }
        return nil
    }

    /// `hs = d / H`.
    public var headSize: Int { hidden / heads }
    /// Outputs of `k_proj` and `v_proj`: `G · hs`.
    public var keyValueWidth: Int { keyValueHeads * headSize }

    /// `L 4, d 128, I 344, H 4, G 2, V 1024, ctx 512`.
    public var description: String {
        "\(layers) blocks, d \(hidden), MLP \(intermediate), \(heads) query / \(keyValueHeads) key-value heads, "
            + "vocabulary \(vocabulary), context \(context)"
    }

    /// The same shape as a `ModelShape` (named `name`), for the counts lesson 13 makes of LLaMA-2.
    public func shape(name: String) -> ModelShape {
        ModelShape(name: name, family: .llama, layers: layers, hidden: hidden, intermediate: intermediate, heads: heads,
                   keyValueHeads: keyValueHeads, vocabulary: vocabulary)
    }

    /// All scalars: embeddings and untied head `2·V·d`, per block the seven projections and two
    /// norms, the final norm (`ModelShape.parameterCount`'s formula).
    public var parameterCount: Int { shape(name: "ours").parameterCount }

    // MARK: Files

    /// The configuration's metadata keys, named as LLaMA's `config.json`.
    public var metadata: [String: String] {
        ["num_hidden_layers": String(layers), "hidden_size": String(hidden), "intermediate_size": String(intermediate),
         "num_attention_heads": String(heads), "num_key_value_heads": String(keyValueHeads),
         "vocab_size": String(vocabulary), "max_position_embeddings": String(context)]
    }

    /// The configuration stored in metadata; throws `SafeTensorsError` naming `source` when a key
    /// is missing, not a number, or describes no valid model.
    public init(metadata: [String: String], source: String) throws {
        func value(_ key: String) throws -> Int {
            guard let text = metadata[key] else {
                throw SafeTensorsError(source, "metadata has no '\(key)': not a LLaMA checkpoint of this project")
            }
            guard let v = Int(text) else { throw SafeTensorsError(source, "metadata '\(key)' is '\(text)', not an integer") }
            return v
        }
        self.init(layers: try value("num_hidden_layers"), hidden: try value("hidden_size"),
                  intermediate: try value("intermediate_size"), heads: try value("num_attention_heads"),
                  keyValueHeads: try value("num_key_value_heads"), vocabulary: try value("vocab_size"),
                  context: try value("max_position_embeddings"))
        if let problem { throw SafeTensorsError(source, "describes no valid LLaMA model: \(problem)") }
    }
}
