/// The public shapes of a transformer the paper adapts, as data: enough to count what an adapter
/// trains and stores at the real size without building the model (paper Tables 1, 2 and 5).
///
/// | model | blocks | hidden `d` | intermediate | heads | key/value heads | source |
/// | --- | --- | --- | --- | --- | --- | --- |
/// | GPT-2 M | 24 | 1,024 | 4,096 | 16 | 16 | `GPTConfiguration.gpt2Medium` |
/// | GPT-2 L | 36 | 1,280 | 5,120 | 20 | 20 | `GPTConfiguration.gpt2Large` |
/// | LLaMA-2 7B | 32 | 4,096 | 11,008 | 32 | 32 | Touvron et al. 2023, the released `config.json` |
/// | LLaMA-2 13B | 40 | 5,120 | 13,824 | 40 | 40 | 〃 |
/// | LLaMA-2 70B | 80 | 8,192 | 28,672 | 64 | 8 (grouped-query attention) | 〃 |
///
/// A GPT-2 block has the adapter sites of `TransformerBlock` (`attn.c_attn.q/k/v`, `attn.c_proj`,
/// `mlp.c_fc`, `mlp.c_proj`). A LLaMA block names its seven linear layers as the released
/// checkpoints do, and each `TransformerSites` part maps to the layers that play its role:
///
///     attn.c_attn.q  →  self_attn.q_proj   (d → d)
///     attn.c_attn.k  →  self_attn.k_proj   (d → kv)      kv = key/value heads × d/heads
///     attn.c_attn.v  →  self_attn.v_proj   (d → kv)      (70B: 8 × 128 = 1,024)
///     attn.c_proj    →  self_attn.o_proj   (d → d)
///     mlp.c_fc       →  mlp.gate_proj, mlp.up_proj   (d → intermediate, both: the gated MLP)
///     mlp.c_proj     →  mlp.down_proj      (intermediate → d)
///
/// so `.all` is every linear layer of every block, as paper §3.3 adapts (Table 5).
public struct ModelShape: Sendable, Equatable, CustomStringConvertible {
    /// Which naming and block layout the model has.
    public enum Family: String, Sendable {
        /// GPT-2: fused `c_attn`, MLP `d → 4d → d` with GELU, tied embeddings.
        case gpt2
        /// LLaMA-2: separate q, k, v, o projections, gated MLP (gate, up, down), untied head.
        case llama
    }

    /// "GPT-2 L", "LLaMA-2 70B".
    public var name: String
    public var family: Family
    /// Transformer blocks.
    public var layers: Int
    /// Hidden width `d`.
    public var hidden: Int
    /// The MLP's inner width.
    public var intermediate: Int
    /// Query heads.
    public var heads: Int
    /// Key and value heads (fewer than `heads` under grouped-query attention).
    public var keyValueHeads: Int
    /// Vocabulary (for the base model's parameter count).
    public var vocabulary: Int
    /// The GPT-2 configuration a `.gpt2` shape was made from (its context, for the count of
    /// position embeddings); nil for LLaMA.
    public var gpt2Configuration: GPTConfiguration?

    public init(name: String, family: Family, layers: Int, hidden: Int, intermediate: Int, heads: Int,
                keyValueHeads: Int, vocabulary: Int) {
        checkPrecondition(
            layers > 0 && hidden > 0 && intermediate > 0 && heads > 0 && hidden % heads == 0
                && keyValueHeads > 0 && heads % keyValueHeads == 0 && vocabulary > 0,
            "ModelShape \(name): inconsistent shape")
        self.name = name
        self.family = family
        self.layers = layers
        self.hidden = hidden
        self.intermediate = intermediate
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.vocabulary = vocabulary
    }

    /// A GPT-2 model of `configuration`'s shape (MLP width 4d, no grouped-query attention).
    public init(name: String, gpt2 configuration: GPTConfiguration) {
        self.init(name: name, family: .gpt2, layers: configuration.layers, hidden: configuration.embedding,
                  intermediate: 4 * configuration.embedding, heads: configuration.heads,
                  keyValueHeads: configuration.heads, vocabulary: configuration.vocabulary)
        gpt2Configuration = configuration
    }

    public static let gpt2Medium = ModelShape(name: "GPT-2 M", gpt2: .gpt2Medium)
    public static let gpt2Large = ModelShape(name: "GPT-2 L", gpt2: .gpt2Large)
    public static let llama2_7B = ModelShape(
        name: "LLaMA-2 7B", family: .llama, layers: 32, hidden: 4096, intermediate: 11008, heads: 32,
        keyValueHeads: 32, vocabulary: 32000)
    public static let llama2_13B = ModelShape(
        name: "LLaMA-2 13B", family: .llama, layers: 40, hidden: 5120, intermediate: 13824, heads: 40,
        keyValueHeads: 40, vocabulary: 32000)
    public static let llama2_70B = ModelShape(
        name: "LLaMA-2 70B", family: .llama, layers: 80, hidden: 8192, intermediate: 28672, heads: 64,
        keyValueHeads: 8, vocabulary: 32000)

    /// The five models of the paper's Tables 1, 2 and 5.
    public static let paperModels: [ModelShape] = [.gpt2Medium, .gpt2Large, .llama2_7B, .llama2_13B, .llama2_70B]

    public var description: String { name }

    /// Width of one head, `d / heads`.
    public var headSize: Int { hidden / heads }
    /// Outputs of the key (and of the value) projection: `keyValueHeads · headSize`.
    public var keyValueWidth: Int { keyValueHeads * headSize }

    /// One adapter site: its name inside a block, and the shape `(outputs, inputs)` of its `ΔW`.
    public struct Site: Sendable, Equatable {
        public var part: String
        public var outputs: Int
        public var inputs: Int
    }

    /// The sites of one block in `set`, in block order.
    public func blockSites(_ set: TransformerSites) -> [Site] {
        let (d, kv, i) = (hidden, keyValueWidth, intermediate)
        var sites: [Site] = []
        for part in set.parts {
            switch (family, part) {
            case (.gpt2, "attn.c_attn.q"), (.gpt2, "attn.c_attn.k"), (.gpt2, "attn.c_attn.v"), (.gpt2, "attn.c_proj"):
                sites.append(Site(part: part, outputs: d, inputs: d))
            case (.gpt2, "mlp.c_fc"): sites.append(Site(part: part, outputs: i, inputs: d))
            case (.gpt2, "mlp.c_proj"): sites.append(Site(part: part, outputs: d, inputs: i))
            case (.llama, "attn.c_attn.q"): sites.append(Site(part: "self_attn.q_proj", outputs: d, inputs: d))
            case (.llama, "attn.c_attn.k"): sites.append(Site(part: "self_attn.k_proj", outputs: kv, inputs: d))
            case (.llama, "attn.c_attn.v"): sites.append(Site(part: "self_attn.v_proj", outputs: kv, inputs: d))
            case (.llama, "attn.c_proj"): sites.append(Site(part: "self_attn.o_proj", outputs: d, inputs: d))
            case (.llama, "mlp.c_fc"):
                sites.append(Site(part: "mlp.gate_proj", outputs: i, inputs: d))
                sites.append(Site(part: "mlp.up_proj", outputs: i, inputs: d))
            case (.llama, "mlp.c_proj"): sites.append(Site(part: "mlp.down_proj", outputs: d, inputs: i))
            default: checkPrecondition(false, "ModelShape \(name): no site for part \(part)")
            }
        }
        return sites
    }

    /// Every site in `set` of every block, named as the model's checkpoints name them
    /// (`h.0.attn.c_attn.q`, `layers.0.self_attn.q_proj`).
    public func sites(_ set: TransformerSites) -> [(name: String, outputs: Int, inputs: Int)] {
        let prefix = family == .gpt2 ? "h" : "layers"
        let block = blockSites(set)
        return (0..<layers).flatMap { b in block.map { ("\(prefix).\(b).\($0.part)", $0.outputs, $0.inputs) } }
    }

    /// What `method` trains on the sites `set` of every block: `AdapterMethod.trainableCount`
    /// summed over the sites.
    public func trainableCount(_ method: AdapterMethod, sites set: TransformerSites) -> Int {
        layers * blockSites(set).reduce(0) { $0 + method.trainableCount(inputs: $1.inputs, outputs: $1.outputs) }
    }

    /// The base model's parameters. GPT-2: `GPTConfiguration.parameterCount` (tied embeddings,
    /// learned positions, biases). LLaMA-2: embeddings and an untied head `2·V·d`, per block the
    /// seven bias-free projections and two RMSNorm weights, and the final norm.
    public var parameterCount: Int {
        switch family {
        case .gpt2:
            return (gpt2Configuration
                ?? GPTConfiguration(layers: layers, embedding: hidden, heads: heads, vocabulary: vocabulary, context: 1024))
                .parameterCount
        case .llama:
            let block = blockSites(.all).reduce(0) { $0 + $1.outputs * $1.inputs } + 2 * hidden
            return 2 * vocabulary * hidden + layers * block + hidden
        }
    }
}
