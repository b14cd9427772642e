import NOLAKit

/// The training steps of the speed table, the same ones `Benchmarks/pytorch/steps.py` times in
/// PyTorch: an MLP 784-256-10 (ReLU) on one batch of 512, softmax cross-entropy, one plain SGD
/// step (learning rate 0.01), dense or with an adapter on both layers (the base frozen).
public struct StepMethod: Sendable {
    /// The name shared with the PyTorch script: `dense`, `lora`, `nola-per-layer`, …
    public let name: String
    /// The adapter on both layers, or nil for the dense network.
    public let adapter: AdapterMethod?

    /// Every method, in the table's order.
    public static let all: [StepMethod] = [
        StepMethod(name: "dense", adapter: nil),
        StepMethod(name: "lora", adapter: .lora(rank: 1, c: 1)),
        StepMethod(name: "nola-per-layer", adapter: .nola(rank: 4, k: 16, l: 16, c: 1, basis: .perLayer)),
        StepMethod(name: "nola-shared", adapter: .nola(rank: 4, k: 16, l: 16, c: 1, basis: .shared)),
        StepMethod(name: "nola-on-the-fly", adapter: .nola(rank: 4, k: 16, l: 16, c: 1, basis: .onTheFly)),
        StepMethod(name: "pranc", adapter: .pranc(n: 32, s: 1, onTheFly: false)),
    ]

    /// The method called `name`, if any.
    public static func named(_ name: String) -> StepMethod? { all.first { $0.name == name } }

    /// What the row means: `NOLA r=4 k=l=16, per-layer basis`.
    public var label: String {
        switch adapter {
        case nil: "dense MLP 784-256-10"
        case .lora(let r, _): "LoRA r=\(r)"
        case .nola(let r, let k, let l, _, let basis): "NOLA r=\(r) k=\(k) l=\(l), \(basis.rawValue) basis"
        case .pranc(let n, _, _): "PRANC n=\(n)"
        }
    }

    /// The model of this row: the MLP (seed 1) with the adapter attached (seed 2).
    public func makeModel() -> Sequential {
        let model = Sequential.mlp([784, 256, 10], seed: 1)
        if let adapter { model.attach(adapter, seed: 2) }
        return model
    }

    /// Seconds of each of `steps` training steps at batch 512 (after `warmup` untimed ones), on
    /// a fixed random batch (inputs Uniform(−1, 1), labels `i mod 10`), by `clock`.
    public func stepSeconds(steps: Int, warmup: Int = 20, clock: StepClock = .wall) throws -> [Double] {
        let batch = 512
        let input = RandomStream(seed: 1).uniformMatrix(rows: batch, cols: 784, bound: 1)
        let labels = (0..<batch).map { $0 % 10 }
        let model = makeModel()
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.01)
        return try trainingStepSeconds(
            model, optimizer: optimizer, input: input, labels: labels, warmup: warmup, steps: steps, clock: clock)
    }
}
