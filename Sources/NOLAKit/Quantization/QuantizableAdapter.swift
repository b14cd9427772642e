/// An adapter whose trainable tensors can be quantized: it names those tensors and lets a
/// transform of their values (a fake quantizer) stand in for them in the forward pass.
///
/// - LoRA: `A` and `B` themselves (through `LoRAAdapter.factorTransform`).
/// - NOLA: `α` and `β` only (through `NOLAAdapter.coefficientTransform`); the random basis and
///   `A₀` stay full precision, so `A = A₀ + Σ α̂_i A_i` is not itself on a grid (paper §3.2).
///
/// The transform is applied to each tensor separately, so each gets its own scale (or scales,
/// with groups).
public protocol QuantizableAdapter: LinearAdapter {
    /// The tensors quantization applies to, in a fixed order.
    var quantizableParameters: [Parameter] { get }
    /// The transform of those tensors' values used by the forward pass, and the gradient mask
    /// its backward pass applies; nil: none.
    var forwardTransform: ValueTransform? { get set }
}

extension LoRAAdapter: QuantizableAdapter {
    /// `A`, `B`.
    public var quantizableParameters: [Parameter] { [a, b] }

    /// `factorTransform`.
    public var forwardTransform: ValueTransform? {
        get { factorTransform }
        set { factorTransform = newValue }
    }
}

extension NOLAAdapter: QuantizableAdapter {
    /// `α`, `β`.
    public var quantizableParameters: [Parameter] { [alpha, beta] }

    /// `coefficientTransform`.
    public var forwardTransform: ValueTransform? {
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
/// Two choices, made here as follows:
///
/// - **The gradient is clipped** (`clipGradient: true`, the default; Jacob et al. 2018): it is
///   zero, exactly, for an element whose code was clamped to `±L` — its `x̂` does not move when
///   `x` moves, so pretending otherwise would push `x` further out for nothing. Inside the grid
///   the gradient passes unchanged. With the absmax rule nothing is ever clamped, so clipping
///   changes nothing; with mean-abs and MSE-optimal scales it does.
/// - **The scale is recomputed at every forward pass** from the current float copy by the
///   quantizer's rule, not learned. Then the float copy alone determines the quantized adapter:
///   `finish` (PTQ of the final float copy with the same quantizer) reproduces the last forward
///   pass bit for bit, and the file stores exactly that scale. A learned scale (LSQ, Esser et al.
///   2020) would add a parameter per group with its own gradient and learning rate, and the
///   authors' QNOLA code recomputes its scale from `max |α|` at every forward pass, as here.
///   The gradient does not flow through the scale's dependence on `x` (the rule is treated as
///   a constant within each step).
///
/// Usage, with any training loop (an MLP here, a GPT the same way):
///
///     QuantizationAwareTraining.enable(quantizer, on: model)
///     …train…
///     let tensors = QuantizationAwareTraining.finish(quantizer, on: model)
///
/// Start from a trained float adapter rather than from scratch (see lesson 10: QAT from scratch
/// with the float recipe can end below PTQ; from the float weights, at a lower rate, it does not).
public enum QuantizationAwareTraining {
    /// Makes `adapter`'s forward pass use `quantizer`'s fake-quantized tensors, with the clipped
    /// straight-through gradient (or the plain one when `clipGradient` is false).
    public static func enable(_ quantizer: SymmetricQuantizer, on adapter: any QuantizableAdapter, clipGradient: Bool = true) {
        adapter.forwardTransform = { quantizer.straightThrough($0, clipGradient: clipGradient) }
    }

    /// `enable` on every adapter attached to `model`.
    public static func enable(_ quantizer: SymmetricQuantizer, on model: any AdaptableModel, clipGradient: Bool = true) {
        for adapter in model.quantizableAdapters { enable(quantizer, on: adapter, clipGradient: clipGradient) }
    }

    /// Back to full-precision forward passes.
    public static func disable(on adapter: any QuantizableAdapter) {
        adapter.forwardTransform = nil
    }

    /// `disable` on every adapter attached to `model`.
    public static func disable(on model: any AdaptableModel) {
        for adapter in model.quantizableAdapters { disable(on: adapter) }
    }

    /// Ends QAT: sets every float copy to the values the forward pass used (PTQ with the same
    /// quantizer), turns the fake quantizer off, and returns the codes and scales keyed by
    /// parameter name. The model then computes exactly what it computed during QAT.
    @discardableResult
    public static func finish(_ quantizer: SymmetricQuantizer, on model: any AdaptableModel) -> [String: QuantizedTensor] {
        let tensors = PostTrainingQuantization.apply(quantizer, to: model)
        disable(on: model)
        return tensors
    }
}
