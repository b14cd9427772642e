/// An adapter whose trainable tensors can be quantized: it names those tensors and lets a
/// transform of their values (a fake quantizer) stand in for them in the forward pass.
///
/// - LoRA: `A` and `B` themselves (through `LoRAAdapter.factorTransform`).
/// - NOLA: `α` and `β` only (through `NOLAAdapter.coefficientTransform`); the random basis and
///   `A₀` stay full precision, so `A = A₀ + Σ α̂_i A_i` is not itself on a grid (paper §3.2).
///
/// The transform is applied to each tensor separately, so each gets its own scale.
public protocol QuantizableAdapter: LinearAdapter {
    /// The tensors quantization applies to, in a fixed order.
    var quantizableParameters: [Parameter] { get }
    /// The transform of those tensors' values used by the forward pass; nil: none.
    var forwardTransform: (@Sendable ([Float]) -> [Float])? { get set }
}

extension LoRAAdapter: QuantizableAdapter {
    /// `A`, `B`.
    public var quantizableParameters: [Parameter] { [a, b] }

    /// `factorTransform`.
    public var forwardTransform: (@Sendable ([Float]) -> [Float])? {
        get { factorTransform }
        set { factorTransform = newValue }
    }
}

extension NOLAAdapter: QuantizableAdapter {
    /// `α`, `β`.
    public var quantizableParameters: [Parameter] { [alpha, beta] }

    /// `coefficientTransform`.
    public var forwardTransform: (@Sendable ([Float]) -> [Float])? {
        get { coefficientTransform }
        set { coefficientTransform = newValue }
    }
}

extension AdaptableModel {
    /// The adapters attached at the model's sites, in site order, as `QuantizableAdapter`s.
    /// Stops with a message naming the site when an adapter cannot be quantized (PRANC, say).
    public var quantizableAdapters: [any QuantizableAdapter] {
        adaptedSites.compactMap { site in
            guard let quantizable = site.adapter as? any QuantizableAdapter else {
                checkPrecondition(
                    false, "quantization: \(site.name) carries a \(type(of: site.adapter!)), which is not quantizable (LoRA and NOLA are)")
                return nil
            }
            return quantizable
        }
    }
}

/// Post-training quantization (PTQ, paper Table 4, top): after training, replace each quantizable
/// tensor by its dequantized `q`-bit values, then evaluate.
public enum PostTrainingQuantization {
    /// Quantizes `adapter`'s tensors in place (`value ← x̂`) and returns their codes and scales,
    /// keyed by parameter name (`fc1.lora_A`, `fc1.nola_alpha`): what a packed file stores.
    @discardableResult
    public static func apply(_ quantizer: SymmetricQuantizer, to adapter: any QuantizableAdapter) -> [String: QuantizedTensor] {
        var tensors: [String: QuantizedTensor] = [:]
        for p in adapter.quantizableParameters {
            let q = quantizer.quantize(p.value)
            p.value = q.dequantizedMatrix()
            tensors[p.name] = q
        }
        return tensors
    }

    /// `apply` to every adapter attached to `model`.
    @discardableResult
    public static func apply(_ quantizer: SymmetricQuantizer, to model: any AdaptableModel) -> [String: QuantizedTensor] {
        var tensors: [String: QuantizedTensor] = [:]
        for adapter in model.quantizableAdapters {
            tensors.merge(apply(quantizer, to: adapter)) { first, _ in first }
        }
        return tensors
    }

    /// The current values of `model`'s quantizable tensors, for `restore` after a PTQ trial.
    public static func snapshot(of model: any AdaptableModel) -> [(Parameter, Matrix)] {
        model.quantizableAdapters.flatMap(\.quantizableParameters).map { ($0, $0.value) }
    }

    /// Puts back the values `snapshot` took.
    public static func restore(_ snapshot: [(Parameter, Matrix)]) {
        for (p, value) in snapshot { p.value = value }
    }
}

/// Quantization-aware training (QAT, paper Table 4, bottom; Jacob et al. 2018): the forward pass
/// uses the fake-quantized tensors `x̂ = fakeQuantize(x)`, and the backward pass adds `∂L/∂x̂` to
/// the float copy `x`, which is what the optimizer updates.
///
/// That is the straight-through estimator (Bengio et al. 2013): rounding has derivative zero
/// almost everywhere, so the true `∂x̂/∂x` would stop all learning; STE pretends it is the
/// identity. The float copy keeps small updates that a single step could not move across a
/// quantization level, until they add up.
///
/// After training, `PostTrainingQuantization.apply` with the same quantizer sets each float copy
/// to exactly the values the forward pass used; then `disable` the fake quantizer.
public enum QuantizationAwareTraining {
    /// Makes `adapter`'s forward pass use `quantizer.fakeQuantize` of its quantizable tensors.
    public static func enable(_ quantizer: SymmetricQuantizer, on adapter: any QuantizableAdapter) {
        adapter.forwardTransform = { quantizer.fakeQuantize($0) }
    }

    /// `enable` on every adapter attached to `model`.
    public static func enable(_ quantizer: SymmetricQuantizer, on model: any AdaptableModel) {
        for adapter in model.quantizableAdapters { enable(quantizer, on: adapter) }
    }

    /// Back to full-precision forward passes.
    public static func disable(on adapter: any QuantizableAdapter) {
        adapter.forwardTransform = nil
    }

    /// `disable` on every adapter attached to `model`.
    public static func disable(on model: any AdaptableModel) {
        for adapter in model.quantizableAdapters { disable(on: adapter) }
    }
}
