/// A differentiable function of a batch of rows, `(batch, in) → (batch, out)`, with a
/// hand-written backward pass.
///
/// The contract, shared by every layer in `NN/`:
/// - `forward(x)` computes `y` and keeps what `backward` needs (the input, or its own output).
/// - `backward(dy)` takes `∂L/∂y` of the last forward and returns `∂L/∂x`; parameter gradients
///   are ADDED into `Parameter.grad`, and skipped for frozen parameters. Call it at most once per
///   forward: a layer drops its reference to its input at the end of backward (as PyTorch frees
///   its graph), so the layer before it can overwrite its buffer in the next step.
/// - Layers reuse their output and gradient buffers from step to step. A returned matrix is a
///   value: keeping it is safe (the layer then writes into a fresh copy next time), just slower.
public protocol Layer: AnyObject {
    /// `y = f(x)`. `x: (batch, in)` → `y: (batch, out)`.
    func forward(_ x: Matrix) -> Matrix
    /// `dx` from `dy: (batch, out)`, accumulating parameter gradients. `dx: (batch, in)`.
    func backward(_ dy: Matrix) -> Matrix
    /// The layer's tensors, trainable and frozen, including those of any adapter.
    var parameters: [Parameter] { get }
}

extension Layer {
    /// The exact number of trainable scalars (shared tensors counted once).
    public var trainableParameterCount: Int { parameters.trainableCount }
}

extension Matrix {
    /// Makes this buffer `rows × cols`, reallocating only when the shape changes. The contents
    /// are unspecified afterwards: callers overwrite every element. Used by layers to reuse
    /// their buffers from step to step.
    mutating func prepare(rows: Int, cols: Int) {
        if self.rows != rows || self.cols != cols {
            self = Matrix(rows: rows, cols: cols)
        }
    }
}
