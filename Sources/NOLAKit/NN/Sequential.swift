/// Layers applied one after the other: `y = f_n(… f_2(f_1(x)))`, backward in reverse order.
public final class Sequential: Layer {
    /// The layers, first to last.
    public let layers: [any Layer]

    /// A chain of `layers`.
    public init(_ layers: [any Layer]) {
        self.layers = layers
    }

    /// Every layer's tensors in order, each shared tensor once.
    public var parameters: [Parameter] {
        layers.flatMap(\.parameters).uniqued()
    }

    /// The `Linear` layers, first to last: where adapters are attached.
    public var linearLayers: [Linear] {
        layers.compactMap { $0 as? Linear }
    }

    /// `x` through every layer.  `x: (batch, in)` → `(batch, out)`.
    public func forward(_ x: Matrix) -> Matrix {
        var h = x
        for layer in layers { h = layer.forward(h) }
        return h
    }

    /// `dy` back through every layer, last to first; returns the first layer's `dx` (empty when
    /// that layer is a `Linear` that skips it).
    public func backward(_ dy: Matrix) -> Matrix {
        var g = dy
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }
}

/// Hidden-layer activations for `Sequential.mlp`.
public enum Activation: Sendable {
    /// `max(x, 0)`.
    case relu
    /// GELU, tanh form.
    case gelu

    func makeLayer() -> any Layer {
        switch self {
        case .relu: ReLU()
        case .gelu: GELU()
        }
    }
}

extension Sequential {
    /// A multilayer perceptron `sizes[0] → sizes[1] → … → sizes.last`: Linear layers with bias,
    /// named `fc1, fc2, …`, with `activation` between them (none after the last).
    ///
    /// The paper's A.2 network is `mlp([784, 256, 10], seed: s)`: 203,530 parameters.
    ///
    /// Initialisation is PyTorch's default (see `Linear.init(name:inputs:outputs:…random:)`);
    /// layer `fck` draws from stream `k − 1` of `seed`, so a seed gives the same network
    /// everywhere. The first layer skips its input gradient: the input is data.
    public static func mlp(_ sizes: [Int], seed: UInt64, activation: Activation = .relu) -> Sequential {
        checkPrecondition(sizes.count >= 2, "Sequential.mlp: need at least an input and an output size, got \(sizes)")
        var layers: [any Layer] = []
        for k in 0..<(sizes.count - 1) {
            if k > 0 { layers.append(activation.makeLayer()) }
            layers.append(
                Linear(
                    name: "fc\(k + 1)", inputs: sizes[k], outputs: sizes[k + 1],
                    computesInputGradient: k > 0,
                    random: RandomStream(seed: seed, stream: UInt64(k))))
        }
        return Sequential(layers)
    }
}
