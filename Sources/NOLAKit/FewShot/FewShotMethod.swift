/// The methods of the paper's Table 6, as lesson 14 runs them on a `VisionTransformer`.
///
/// | method | what trains (besides the new head) | paper's rates |
/// | --- | --- | --- |
/// | 1-NN | nothing: nearest neighbour of the frozen features | — |
/// | Linear | nothing (the head alone) | 5e-3, 1e-3, 5e-4 |
/// | Full-FT | every tensor of the backbone | 8e-5, 5e-5, 3e-5, 1e-5 |
/// | LoRA | rank-`r` adapters on Q, K, V of every block | 5e-3, 1e-3, 5e-4 |
/// | NOLA | rank-4 NOLA on `mlp.c_fc` and `mlp.c_proj` of every block, `k = l` | 5e-3, 1e-3, 5e-4 |
/// | NOLA-QV | the same NOLA on the attention's Q and V instead (Table 10) | 5e-3, 1e-3, 5e-4 |
///
/// NOLA's count is `k + l` per adapted matrix whatever its shape, so NOLA on Q and V (two
/// `C × C` slices) trains exactly as many numbers as NOLA on the MLP's two layers (`4C × C`,
/// `C × 4C`) with the same `k`: the paper's Table 10 compares the two at 47K each.
///
/// LoRA and NOLA use the scale `c/r` with `c = 1` (the project's default) and NOLA's basis is
/// shared by layers of one shape (paper Table 2).
public enum FewShotMethod: Sendable, Equatable, Hashable {
    case nearestNeighbour
    case linear
    case fullFineTuning
    case lora(rank: Int)
    case nola(rank: Int, k: Int)
    case nolaQueryValue(rank: Int, k: Int)

    /// The name in tables: "1-NN", "Linear", "Full-FT", "LoRA r=4", "NOLA k=l=288", "NOLA-QV k=l=288".
    public var name: String {
        switch self {
        case .nearestNeighbour: "1-NN"
        case .linear: "Linear"
        case .fullFineTuning: "Full-FT"
        case .lora(let r): "LoRA r=\(r)"
        case .nola(_, let k): "NOLA k=l=\(k)"
        case .nolaQueryValue(_, let k): "NOLA-QV k=l=\(k)"
        }
    }

    /// The paper's learning-rate grid (A.3); empty for 1-NN.
    public var learningRates: [Float] {
        switch self {
        case .nearestNeighbour: []
        case .fullFineTuning: [8e-5, 5e-5, 3e-5, 1e-5]
        case .linear, .lora, .nola, .nolaQueryValue: [5e-3, 1e-3, 5e-4]
        }
    }

    /// The adapter and the sites it goes on, for LoRA and NOLA.
    public var adapter: (method: AdapterMethod, sites: TransformerSites)? {
        switch self {
        case .lora(let r): (.lora(rank: r, c: 1), .queryKeyValue)
        case .nola(let r, let k): (.nola(rank: r, k: k, l: k, c: 1, basis: .shared), .mlp)
        case .nolaQueryValue(let r, let k): (.nola(rank: r, k: k, l: k, c: 1, basis: .shared), .queryValue)
        default: nil
        }
    }

    /// Trainable scalars of the backbone under this method, the classifier head excluded (as the
    /// paper counts them): 0 for 1-NN and Linear, every base tensor but the head for Full-FT,
    /// `3·L·r·2C` for LoRA on Q, K, V, `2·L·2k` for NOLA on the two MLP layers or on Q and V.
    public func trainableCount(_ configuration: VisionTransformerConfiguration) -> Int {
        let c = configuration.embedding, layers = configuration.layers
        switch self {
        case .nearestNeighbour, .linear: return 0
        case .fullFineTuning:
            return configuration.parameterCount - configuration.parameterCounts.first { $0.part == "head" }!.count
        case .lora(let r):
            return 3 * layers * AdapterMethod.lora(rank: r, c: 1).trainableCount(inputs: c, outputs: c)
        case .nola(let r, let k):
            let method = AdapterMethod.nola(rank: r, k: k, l: k, c: 1, basis: .shared)
            return layers * (method.trainableCount(inputs: c, outputs: 4 * c) + method.trainableCount(inputs: 4 * c, outputs: c))
        case .nolaQueryValue(let r, let k):
            return 2 * layers * AdapterMethod.nola(rank: r, k: k, l: k, c: 1, basis: .shared).trainableCount(inputs: c, outputs: c)
        }
    }

    /// The methods of Table 6 for a backbone of width `C` and `L` blocks: 1-NN, Linear, Full-FT,
    /// LoRA r=4 and r=1 on Q, K, V, and NOLA (rank 4) on the MLP with `k = l` chosen so that its
    /// count is about LoRA r=4's, half of it and a third of it (`k = 3·r·2C / 4 · share`,
    /// rounded to an integer: with 2 layers per block of `2k` each, `4k` per block against
    /// LoRA's `3·4·2C`).
    public static func table6(_ configuration: VisionTransformerConfiguration) -> [FewShotMethod] {
        let perBlockLoRA = 3 * 4 * 2 * configuration.embedding
        let ks = [1, 2, 3].map { max(1, Int((Double(perBlockLoRA) / 4 / Double($0)).rounded())) }
        return [.nearestNeighbour, .linear, .fullFineTuning, .lora(rank: 4), .lora(rank: 1)] + ks.map { .nola(rank: 4, k: $0) }
    }

    /// Table 10's pair at `k`: NOLA on Q and V, and NOLA on the MLP, the same count.
    public static func table10(k: Int) -> [FewShotMethod] {
        [.nolaQueryValue(rank: 4, k: k), .nola(rank: 4, k: k)]
    }
}
