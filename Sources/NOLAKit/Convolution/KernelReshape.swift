/// How a convolution's kernel becomes the matrix that LoRA, PRANC and NOLA adapt (paper A.2,
/// "CNN on ImageNet100 and CIFAR-10": "we reshape all parameters of a layer into a matrix (close
/// to square shape) and apply NOLA to the matrix. Then, we reshape it to the original shape").
///
/// The kernel `(out, in, k, k)` is read row-major, as PyTorch's `weight.view(rows, cols)`, into
///
///     M: (out·k, in·k)
///
/// which is square whenever `in = out` (15 of ResNet-20's 19 convolutions: 48×48, 96×96,
/// 192×192) and 2:1 where a stage doubles the channels. It is the shape of loralib's `ConvLoRA`,
/// whose `lora_B @ lora_A: (out·k, r·k)·(r·k, in·k)` is viewed back as the kernel, and it is the
/// convention under which Table 8's LoRA count, 13,295, comes out exactly (rank 3 on every
/// reshaped kernel, i.e. loralib's r = 1; see `ConvNetShape.loraCount`). A reshape is a pure
/// reinterpretation of the numbers: `M`'s rows are not "output channels", and an adapter's
/// low-rank `ΔM` is a low-rank matrix in this view only.
///
/// Other near-square shapes exist (4,608 = 64 × 72 rather than 96 × 48); NOLA's and PRANC's
/// counts do not depend on the choice (`k + l` and `n` per matrix), LoRA's does, which is why
/// this one is used.
///
/// A linear layer `(out, in)` is adapted as it is.
public enum KernelReshape {
    /// The adapted matrix of a `k × k` kernel from `inputs` to `outputs` channels: `(out·k, in·k)`.
    public static func matrixShape(outputs: Int, inputs: Int, kernel: Int) -> (rows: Int, cols: Int) {
        checkPrecondition(outputs > 0 && inputs > 0 && kernel > 0,
                          "KernelReshape: out \(outputs), in \(inputs), kernel \(kernel) must be positive")
        return (outputs * kernel, inputs * kernel)
    }

    /// Where element `(o, c, ky, kx)` of the kernel lands in `M`: the row-major position
    /// `((o·in + c)·k + ky)·k + kx` split by `M`'s width `in·k`.
    public static func matrixPosition(
        output o: Int, input c: Int, ky: Int, kx: Int, inputs: Int, kernel k: Int
    ) -> (row: Int, col: Int) {
        let flat = ((o * inputs + c) * k + ky) * k + kx
        return (flat / (inputs * k), flat % (inputs * k))
    }
}
