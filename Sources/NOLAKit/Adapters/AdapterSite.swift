/// A place in a model where one adapter can be attached: a whole `Linear` layer, or a block of
/// consecutive outputs of one.
///
/// An MLP's sites are its layers (`fc1`, `fc2`). GPT-2 computes the query, key and value
/// projections with one fused layer, `c_attn: (3d, d)`; the LoRA and NOLA GPT-2 code adapts the
/// query and value separately, so a GPT offers the sites `h.0.attn.c_attn.q` (outputs `0..<d`)
/// and `h.0.attn.c_attn.v` (outputs `2d..<3d`) on that one layer. Each site has its own `ΔW` of
/// shape `(outputs.count, layer.inputs)`: the rows of the layer's `W` it changes.
///
/// Sites are named, and the name is all an adapter file needs: every random tensor of the
/// adapter at a site is seeded from the root seed and the site's name (`BasisSeeds`).
public struct AdapterSite {
    /// The site's name: the layer's name for a whole layer (`fc1`), or the layer's name and a
    /// part (`h.0.attn.c_attn.q`).
    public let name: String
    /// The layer the adapter's output is added to.
    public let layer: Linear
    /// The layer's outputs (rows of `W`) this site adapts.
    public let outputRange: Range<Int>

    /// The whole of `layer`, named as the layer.
    public init(layer: Linear) {
        self.name = layer.name
        self.layer = layer
        self.outputRange = 0..<layer.outputs
    }

    /// Outputs `outputs` of `layer`, named `<layer>.<part>`.
    public init(layer: Linear, part: String, outputs: Range<Int>) {
        checkPrecondition(
            outputs.lowerBound >= 0 && outputs.upperBound <= layer.outputs && !outputs.isEmpty,
            "AdapterSite \(layer.name).\(part): outputs \(outputs) are not inside 0..<\(layer.outputs)")
        self.name = "\(layer.name).\(part)"
        self.layer = layer
        self.outputRange = outputs
    }

    /// Input features of `ΔW`: the layer's.
    public var inputs: Int { layer.inputs }
    /// Output features of `ΔW`: the size of the output range.
    public var outputs: Int { outputRange.count }
    /// Whether the site covers every output of its layer.
    public var isWholeLayer: Bool { outputRange == 0..<layer.outputs }

    /// The adapter attached at this site, or nil.
    public var adapter: (any LinearAdapter)? {
        if isWholeLayer, !(layer.adapter is OutputSliceAdapters) { return layer.adapter }
        return (layer.adapter as? OutputSliceAdapters)?.adapter(at: outputRange)
    }

    /// Whether `attach` may be called: nothing is attached at this site, and nothing on its layer
    /// is in the way (a whole-layer adapter, or for a whole-layer site, any adapter at all).
    public var canAttach: Bool {
        guard let present = layer.adapter else { return true }
        guard !isWholeLayer, let slices = present as? OutputSliceAdapters else { return false }
        return !slices.slices.contains { $0.outputs.overlaps(outputRange) }
    }

    /// Attaches `adapter` (built for a `(outputs, inputs)` weight) at this site. A whole-layer
    /// site sets the layer's adapter; a part joins the layer's `OutputSliceAdapters`.
    /// Requires `canAttach`.
    public func attach(_ adapter: any LinearAdapter) {
        checkPrecondition(canAttach, "AdapterSite \(name): \(layer.name) already carries an adapter in the way")
        if isWholeLayer {
            layer.adapter = adapter
            return
        }
        let slices = (layer.adapter as? OutputSliceAdapters) ?? OutputSliceAdapters(outputs: layer.outputs)
        slices.add(adapter, at: outputRange, site: name)
        layer.adapter = slices
    }
}

/// Every place a model can take an adapter. `Sequential` offers its `Linear` layers; a GPT
/// offers the attention's query, key and value parts and the MLP's two layers.
///
/// `attach(_:seed:to:)`, `AdapterFile`, and post-training and quantization-aware quantization
/// work on any adaptable model through its sites.
public protocol AdaptableModel: AnyObject {
    /// Every tensor of the model, adapters included (each shared tensor once).
    var parameters: [Parameter] { get }
    /// Every site an adapter may be attached to, in model order, with distinct names.
    var adapterSites: [AdapterSite] { get }
}

extension AdaptableModel {
    /// The sites that carry an adapter, in model order.
    public var adaptedSites: [AdapterSite] { adapterSites.filter { $0.adapter != nil } }

    /// The adapters attached to the model, in site order.
    public var adapters: [any LinearAdapter] { adaptedSites.compactMap(\.adapter) }
}

extension Sequential: AdaptableModel {
    /// Each `Linear` layer, whole, named as the layer.
    public var adapterSites: [AdapterSite] { linearLayers.map(AdapterSite.init(layer:)) }
}
