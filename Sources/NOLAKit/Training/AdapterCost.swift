/// What an adapter costs on one square `d × d` layer: the random basis it holds in memory and
/// the time of a training step. Lesson 05 uses it to show the paper's `d/r` argument (§2,
/// "Efficiency of NOLA compared to PRANC"): PRANC's basis is `n · d²` floats, NOLA's
/// `k · r · d + l · d · r`, and each step combines and projects the whole basis twice.
public struct AdapterCost: Sendable {
    /// Basis floats resident in memory during training (one chunk when generated on the fly).
    public var residentBasisFloats: Int
    /// Basis floats that each combine (and each project) runs through: the whole basis.
    public var basisFloats: Int
    /// Seconds of each timed training step.
    public var stepSeconds: [Double]

    /// Median seconds per step.
    public var medianStepSeconds: Double {
        let sorted = stepSeconds.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    /// Measures `method` on a fresh `Linear(d, d)` (PyTorch default init from `seed`, frozen) fed
    /// a fixed random batch `(batch, d)` with random labels below `min(d, 10)`: `warmup` untimed
    /// steps, then `steps` timed Adam steps of softmax cross-entropy (`trainingStepSeconds`).
    public static func measure(
        _ method: AdapterMethod, size d: Int, batch: Int = 64, warmup: Int = 2, steps: Int, seed: UInt64
    ) throws -> AdapterCost {
        checkPrecondition(d > 0 && batch > 0, "AdapterCost.measure: size \(d), batch \(batch)")
        let layer = Linear(name: "layer", inputs: d, outputs: d, computesInputGradient: false,
                           random: RandomStream(seed: seed, stream: 0))
        let model = Sequential([layer])
        let adapter = model.attach(method, seed: seed)[0]
        let random = RandomStream(seed: seed, stream: 1)
        let input = Matrix(rows: batch, cols: d, data: random.symmetric(batch * d, from: 0))
        let labels = (0..<batch).map { $0 % min(d, 10) }
        let optimizer = Adam(parameters: model.parameters, learningRate: 1e-3)
        let seconds = try trainingStepSeconds(
            model, optimizer: optimizer, input: input, labels: labels, warmup: warmup, steps: steps)
        let bases = randomBases(of: adapter)
        return AdapterCost(
            residentBasisFloats: bases.reduce(0) { $0 + $1.residentFloats },
            basisFloats: bases.reduce(0) { $0 + $1.count * $1.matrixSize },
            stepSeconds: seconds)
    }
}

/// The frozen random bases an adapter draws on: NOLA's A and B bases, PRANC's one basis, none
/// for LoRA.
public func randomBases(of adapter: any LinearAdapter) -> [RandomBasis] {
    switch adapter {
    case let nola as NOLAAdapter: [nola.basisA, nola.basisB]
    case let pranc as PRANCAdapter: [pranc.basis]
    default: []
    }
}
