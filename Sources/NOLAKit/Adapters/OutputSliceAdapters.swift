/// Several adapters on one `Linear` layer, each adding to its own block of consecutive outputs:
/// how a GPT's query and value get separate adapters inside the fused `c_attn: (3d, d)`.
///
/// For a slice `s..<e` with adapter `Δ`, built for a `(e − s, in)` weight:
///
///     forward   y[:, s..<e] += Δ(x)                  x: (batch, in), y: (batch, out)
///     backward  Δ.backward(dy[:, s..<e], x, dx)      dy: (batch, out), dx: (batch, in)
///     ΔW        rows s..<e of the layer's ΔW are Δ's; the other rows are zero
///
/// Slices must not overlap. The layer sees one adapter (this object), so merging
/// (`Linear.mergeAdapter`) and the `parameters` list work unchanged. Each adapter reads and writes
/// its own columns (`LinearAdapter.forward(_:adding:columns:)`): LoRA and NOLA in place, others
/// through a copy.
public final class OutputSliceAdapters: LinearAdapter {
    /// Outputs of the layer, `out`.
    public let outputs: Int
    /// The slices in the order they were added.
    public private(set) var slices: [(outputs: Range<Int>, site: String, adapter: any LinearAdapter)] = []

    /// An empty set of slices for a layer with `outputs` outputs.
    public init(outputs: Int) {
        self.outputs = outputs
    }

    /// Adds `adapter` on outputs `range` (named `site` in messages).
    public func add(_ adapter: any LinearAdapter, at range: Range<Int>, site: String) {
        checkPrecondition(
            range.lowerBound >= 0 && range.upperBound <= outputs && !range.isEmpty,
            "OutputSliceAdapters: \(site) outputs \(range) are not inside 0..<\(outputs)")
        checkPrecondition(
            !slices.contains { $0.outputs.overlaps(range) },
            "OutputSliceAdapters: \(site) outputs \(range) overlap an adapter already attached")
        slices.append((range, site, adapter))
    }

    /// The adapter on exactly `range`, or nil.
    public func adapter(at range: Range<Int>) -> (any LinearAdapter)? {
        slices.first { $0.outputs == range }?.adapter
    }

    /// Every slice's tensors, in slice order.
    public var parameters: [Parameter] { slices.flatMap(\.adapter.parameters) }

    /// `y[:, s..<e] += Δ(x)` for every slice.
    public func forward(_ x: Matrix, adding y: inout Matrix) {
        for slice in slices { slice.adapter.forward(x, adding: &y, columns: slice.outputs) }
    }

    /// Each slice's backward from its columns of `dy`.
    public func backward(_ dy: Matrix, input x: Matrix, addingTo dx: inout Matrix?) {
        for slice in slices { slice.adapter.backward(dy, columns: slice.outputs, input: x, addingTo: &dx) }
    }

    /// `ΔW: (out, in)`, each slice's `ΔW` in its rows, zeros elsewhere.
    public func deltaWeight() -> Matrix {
        var delta: Matrix? = nil
        for slice in slices {
            let part = slice.adapter.deltaWeight()
            if delta == nil { delta = Matrix(rows: outputs, cols: part.cols) }
            checkPrecondition(
                part.rows == slice.outputs.count && part.cols == delta!.cols,
                "OutputSliceAdapters: \(slice.site) has ΔW \(part.shapeDescription) for outputs \(slice.outputs)")
            let start = slice.outputs.lowerBound * part.cols
            delta!.data.replaceSubrange(start..<(start + part.count), with: part.data)
        }
        return delta ?? Matrix(rows: outputs, cols: 0)
    }

    /// `y[:, start..<start + s.cols] += s`.  `s: (batch, w)`, `y: (batch, out)`.
    static func addColumns(_ s: Matrix, into y: inout Matrix, at start: Int) {
        let (w, n) = (s.cols, y.cols)
        s.data.withUnsafeBufferPointer { ps in
            y.data.withUnsafeMutableBufferPointer { py in
                for i in 0..<s.rows {
                    let row = py.baseAddress! + i * n + start
                    let source = ps.baseAddress! + i * w
                    for j in 0..<w { row[j] += source[j] }
                }
            }
        }
    }

    /// `out = m[:, range]`.  `m: (batch, n)` → `out: (batch, range.count)`.
    static func copyColumns(_ m: Matrix, _ range: Range<Int>, into out: inout Matrix) {
        let (w, n) = (range.count, m.cols)
        out.prepare(rows: m.rows, cols: w)
        m.data.withUnsafeBufferPointer { pm in
            out.data.withUnsafeMutableBufferPointer { po in
                for i in 0..<m.rows {
                    (po.baseAddress! + i * w).update(from: pm.baseAddress! + i * n + range.lowerBound, count: w)
                }
            }
        }
    }
}
