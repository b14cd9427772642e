/// A vision transformer's input layer: cut each image into non-overlapping `P × P` patches and
/// map every flattened patch to a token of width `C` with one `Linear` (`patch_embed.proj`,
/// the same as ViT's stride-`P` convolution).
///
/// Images are rows of `images: (B, S·S·ch)` (pixel `(y, x)`, channel `k` at `(y·S + x)·ch + k`,
/// as `DigitDataset` stores them with `ch = 1`). Patch `p = py·(S/P) + px` of image `b` becomes
/// row `b·N + p` of `patches: (B·N, P·P·ch)`, `N = (S/P)²`, its features in the order
/// `(dy, dx, k)`. Then `tokens = patches Wᵀ + b: (B·N, C)`.
///
/// Backward: `dW`, `db` from `dtokens` (the `Linear`'s backward; images are data, so there is
/// no image gradient).
public final class PatchEmbedding {
    /// Image side `S` (square images).
    public let imageSize: Int
    /// Patch side `P` (divides `S`).
    public let patchSize: Int
    /// Channels per pixel.
    public let channels: Int
    /// `patch_embed.proj: (C, P·P·ch)`.
    public let projection: Linear

    private var patches = Matrix(rows: 0, cols: 0)

    /// Patches of `patchSize` from images of side `imageSize` and `channels` channels,
    /// projected by `projection` (whose input must be `P·P·ch` wide).
    public init(imageSize: Int, patchSize: Int, channels: Int, projection: Linear) {
        checkPrecondition(
            patchSize > 0 && imageSize % patchSize == 0 && channels > 0
                && projection.inputs == patchSize * patchSize * channels,
            "PatchEmbedding: \(patchSize)-pixel patches of \(imageSize)-pixel images with \(channels) channels "
                + "cannot feed a (\(projection.outputs)×\(projection.inputs)) projection")
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channels = channels
        self.projection = projection
        projection.computesInputGradient = false
    }

    /// Patches per image, `N = (S/P)²`.
    public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    /// The projection's tensors.
    public var parameters: [Parameter] { projection.parameters }

    /// `patches: (B·N, P·P·ch)` of `images: (B, S·S·ch)`.
    public func extract(_ images: Matrix) -> Matrix {
        var out = Matrix(rows: 0, cols: 0)
        extract(images, into: &out)
        return out
    }

    private func extract(_ images: Matrix, into out: inout Matrix) {
        let (s, p, ch) = (imageSize, patchSize, channels)
        checkPrecondition(
            images.cols == s * s * ch,
            "PatchEmbedding: images are \(images.shapeDescription) but a \(s)×\(s) image of \(ch) channels has \(s * s * ch) values")
        let side = s / p
        let n = side * side
        out.prepare(rows: images.rows * n, cols: p * p * ch)
        images.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for b in 0..<images.rows {
                    for py in 0..<side {
                        for px in 0..<side {
                            let patch = dst.baseAddress! + (b * n + py * side + px) * p * p * ch
                            for dy in 0..<p {
                                let pixel = src.baseAddress! + b * s * s * ch + ((py * p + dy) * s + px * p) * ch
                                (patch + dy * p * ch).update(from: pixel, count: p * ch)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `tokens: (B·N, C)` from `images: (B, S·S·ch)`.
    public func forward(_ images: Matrix) -> Matrix {
        extract(images, into: &patches)
        return projection.forward(patches)
    }

    /// Accumulates the projection's gradients from `dtokens: (B·N, C)`.
    public func backward(_ dTokens: Matrix) {
        _ = projection.backward(dTokens)
    }
}
