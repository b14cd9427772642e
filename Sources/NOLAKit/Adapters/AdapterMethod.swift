/// How NOLA's random basis is held in memory. All three hold the same basis (it is seeded by the
/// layer's shape, see `BasisSeeds`) and give the same numbers, bit for bit.
public enum BasisMode: String, Sendable, CaseIterable {
    /// Each layer materializes its own copy of its shape's basis.
    case perLayer = "per-layer"
    /// Layers of one shape share one materialized basis (paper Table 2).
    case shared
    /// Each layer regenerates its basis in chunks during forward and backward; memory O(chunk).
    case onTheFly = "on-the-fly"
}

/// One of the three parameter-efficient methods the paper compares, with its settings.
public enum AdapterMethod: Sendable, Equatable {
    /// LoRA of rank `rank`, scale `c / rank`.
    case lora(rank: Int, c: Float)
    /// NOLA with `k` A-basis and `l` B-basis matrices per layer, rank `rank`, scale `c / rank`.
    case nola(rank: Int, k: Int, l: Int, c: Float, basis: BasisMode)
    /// PRANC with `n` full-size basis matrices per layer, `ΔW = s Σ α_i W_i`.
    case pranc(n: Int, s: Float, onTheFly: Bool)

    /// The method's name as written in files and tables: `lora`, `nola`, `pranc`.
    public var name: String {
        switch self {
        case .lora: "lora"
        case .nola: "nola"
        case .pranc: "pranc"
        }
    }

    /// Trainable scalars this method adds to a layer `(outputs, inputs)`.
    public func trainableCount(inputs: Int, outputs: Int) -> Int {
        switch self {
        case .lora(let r, _): r * (inputs + outputs)
        case .nola(_, let k, let l, _, _): k + l
        case .pranc(let n, _, _): n
        }
    }
}

extension AdaptableModel {
    /// Freezes the whole model, then attaches `method` at every adapter site (or at the sites
    /// named in `sites`), drawing every random tensor from `seed` by the rule of `BasisSeeds`
    /// (from each site's name and shape). Returns the adapters in site order; only their
    /// coefficients (or LoRA's A, B) are trainable.
    ///
    /// `freezingModel: false` leaves every tensor already in the model as it is: how a second
    /// method joins the first on other sites (NOLA with one budget on a network's convolutions
    /// and another on its classifier, say) without freezing the first one's coefficients.
    @discardableResult
    public func attach(
        _ method: AdapterMethod, seed: UInt64, sites names: Set<String>? = nil, freezingModel: Bool = true
    ) -> [any LinearAdapter] {
        if freezingModel { parameters.freezeAll() }
        var shared: [String: (RandomBasis, RandomBasis)] = [:]
        var adapters: [any LinearAdapter] = []
        for site in adapterSites where names?.contains(site.name) ?? true {
            let (n, m) = (site.inputs, site.outputs)
            let siteSeed = BasisSeeds.layerSeed(root: seed, name: site.name)
            let adapter: any LinearAdapter
            switch method {
            case .lora(let r, let c):
                adapter = LoRAAdapter(
                    name: site.name, inputs: n, outputs: m, rank: r, c: c,
                    random: RandomStream(seed: siteSeed, stream: BasisSeeds.initialA))
            case .nola(let r, let k, let l, let c, .shared):
                let key = "\(m)x\(n)"
                if shared[key] == nil {
                    let s = BasisSeeds.nolaBasisSeed(root: seed, outputs: m, inputs: n)
                    shared[key] = (
                        RandomBasis(count: k, rows: r, cols: n, stream: RandomStream(seed: s, stream: BasisSeeds.nolaA)),
                        RandomBasis(count: l, rows: m, cols: r, stream: RandomStream(seed: s, stream: BasisSeeds.nolaB))
                    )
                }
                let a0 = RandomStream(seed: siteSeed, stream: BasisSeeds.initialA).kaimingUniform(rows: r, cols: n)
                adapter = NOLAAdapter(name: site.name, a0: a0, basisA: shared[key]!.0, basisB: shared[key]!.1, c: c)
            case .nola(let r, let k, let l, let c, let mode):
                adapter = NOLAAdapter(
                    name: site.name, inputs: n, outputs: m, rank: r, k: k, l: l, c: c, seed: siteSeed,
                    basisSeed: BasisSeeds.nolaBasisSeed(root: seed, outputs: m, inputs: n),
                    storage: mode == .onTheFly ? .onTheFly : .materialized)
            case .pranc(let count, let s, let onTheFly):
                adapter = PRANCAdapter(
                    name: site.name, inputs: n, outputs: m, n: count, s: s, seed: siteSeed,
                    storage: onTheFly ? .onTheFly : .materialized)
            }
            site.attach(adapter)
            adapters.append(adapter)
        }
        return adapters
    }
}

extension AdaptableModel {
    /// Freezes the model and attaches PRANC as PRANC's paper trains a network: one vector of `n`
    /// coefficients `α` for the whole model, `W_site = W₀_site + s Σ_{i<n} α_i W_i,site`, where
    /// basis vector `i` is the concatenation over every site of `W_i,site`, drawn like a
    /// per-layer PRANC basis of `n` matrices from stream `BasisSeeds.pranc` of the site's seed.
    /// Every step runs through `n ×` (all adapted weights) random numbers twice, which is what
    /// NOLA's paper compares against ("4.6 times faster"). `onTheFly` regenerates the basis on
    /// every use instead of keeping `n ×` (all adapted weights) floats, in tiles of 16 M floats
    /// (64 MB: for n = 10,000, 1,600 consecutive numbers of every basis matrix at a time, so the
    /// generator runs in long strides). Returns `α`, the one trainable tensor. (Adapter files hold
    /// per-site coefficients: this form is not saved.)
    @discardableResult
    public func attachWholeModelPRANC(n: Int, s: Float, seed: UInt64, onTheFly: Bool = true) -> Parameter {
        checkPrecondition(n > 0, "attachWholeModelPRANC: n must be positive, got \(n)")
        parameters.freezeAll()
        let alpha = Parameter(name: "pranc_alpha", value: Matrix(rows: 1, cols: n))
        for site in adapterSites {
            let basis = RandomBasis(
                count: n, rows: site.outputs, cols: site.inputs,
                stream: RandomStream(seed: BasisSeeds.layerSeed(root: seed, name: site.name), stream: BasisSeeds.pranc),
                storage: onTheFly ? .onTheFly(chunkFloats: 1 << 24) : .materialized)
            site.attach(PRANCAdapter(alpha: alpha, basis: basis, s: s))
        }
        return alpha
    }
}

extension Linear {
    /// Takes a merged adapter back out of the weight, `W −= ΔW`, and attaches it again: the
    /// inverse of `mergeAdapter()` (up to fp32 rounding).
    public func unmerge(_ adapter: any LinearAdapter) {
        checkPrecondition(self.adapter == nil, "Linear \(name).unmerge: an adapter is already attached")
        BLAS.axpy(-1, adapter.deltaWeight(), &weight.value)
        self.adapter = adapter
    }
}
