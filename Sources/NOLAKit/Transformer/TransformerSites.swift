/// A model built of `TransformerBlock`s (the GPT and the vision transformer), whose adapter
/// sites are its blocks'.
public protocol TransformerModel: AdaptableModel {
    /// The blocks, first to last.
    var blocks: [TransformerBlock] { get }
}

/// The groups of adapter sites the paper adapts, by the names every block gives its sites.
///
/// | set | sites per block | where the paper uses it |
/// | --- | --- | --- |
/// | `queryValue` | `attn.c_attn.q`, `attn.c_attn.v` | GPT-2 LoRA and NOLA QV (Tables 1–4; the authors' code) |
/// | `queryKeyValue` | `attn.c_attn.q`, `.k`, `.v` | ViT LoRA (Table 6) |
/// | `mlp` | `mlp.c_fc`, `mlp.c_proj` | NOLA MLP (GPT-2 Table 1, ViT Table 6) |
/// | `all` | the six sites: q, k, v, `attn.c_proj`, `mlp.c_fc`, `mlp.c_proj` | LLaMA-2 (Table 5: every linear layer) |
public enum TransformerSites: String, Sendable, CaseIterable {
    case queryValue = "QV"
    case queryKeyValue = "QKV"
    case mlp = "MLP"
    case all = "all"

    /// The name endings of this set's sites within a block.
    public var parts: [String] {
        switch self {
        case .queryValue: ["attn.c_attn.q", "attn.c_attn.v"]
        case .queryKeyValue: ["attn.c_attn.q", "attn.c_attn.k", "attn.c_attn.v"]
        case .mlp: ["mlp.c_fc", "mlp.c_proj"]
        case .all: ["attn.c_attn.q", "attn.c_attn.k", "attn.c_attn.v", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"]
        }
    }
}

extension TransformerModel {
    /// The names of the sites in `set`, in every block (or in the blocks numbered `layers`),
    /// for `attach(_:seed:sites:)`.
    public func sites(_ set: TransformerSites, layers: Range<Int>? = nil) -> Set<String> {
        var names = Set<String>()
        for block in blocks where layers?.contains(block.index) ?? true {
            for part in set.parts { names.insert("h.\(block.index).\(part)") }
        }
        return names
    }

    /// Folds every attached adapter into its layer's weight (`Linear.mergeAdapter`): the model
    /// then computes the same function at no extra cost, and carries no adapter.
    public func mergeAdapters() {
        for block in blocks {
            for layer in block.linearLayers where layer.adapter != nil { layer.mergeAdapter() }
        }
    }

    /// Sets every tensor (base and adapters) to `other`'s values. `self` must be built the same
    /// way (configuration, adapters, sites and seeds), so that the two compute one function:
    /// a copy for another thread. Checks names and shapes; the basis of a NOLA adapter comes
    /// from its seed, not from here.
    public func copyValues(from other: Self) {
        let (mine, theirs) = (parameters, other.parameters)
        checkPrecondition(
            mine.count == theirs.count && zip(mine, theirs).allSatisfy {
                $0.name == $1.name && $0.value.rows == $1.value.rows && $0.value.cols == $1.value.cols
            },
            "copyValues: the models differ in their tensors (\(mine.count) against \(theirs.count)); build the copy as the original")
        for (to, from) in zip(mine, theirs) { to.value = from.value }
    }
}
