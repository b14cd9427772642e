/// The shape of one image or feature map: `channels × height × width`.
///
/// Two layouts of a batch of `B` images appear in this folder:
///
/// - **batch-major** (PyTorch's NCHW, and every `DigitDataset`): a `Matrix (B, C·H·W)`, one image
///   per row, channel `c`'s plane at columns `c·H·W ..< (c+1)·H·W`, pixel `(y, x)` of it at
///   `y·W + x`. A network's input and a test's comparison with PyTorch use it.
/// - **channel-major** (CNHW), used between the layers of a convolutional network: a
///   `Matrix (C, B·H·W)`, one channel per row, holding that channel's plane of image 0, then of
///   image 1, and so on. A convolution's product `W · im2col(x)` comes out in this layout with no
///   reordering, and BatchNorm's statistics of channel `c` are the mean and variance of row `c`.
///
/// For one channel the two layouts are the same numbers (`(B, H·W)` against `(1, B·H·W)`).
public struct ImageShape: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let channels: Int
    public let height: Int
    public let width: Int

    /// `channels × height × width`; all positive.
    public init(channels: Int, height: Int, width: Int) {
        checkPrecondition(
            channels > 0 && height > 0 && width > 0,
            "ImageShape: channels, height and width must be positive, got \(channels)×\(height)×\(width)")
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// A digit of `DigitDataset`: one channel of 28 × 28.
    public static let digit = ImageShape(channels: 1, height: DigitDataset.side, width: DigitDataset.side)

    /// Pixels of one plane, `H·W`.
    public var plane: Int { height * width }
    /// Numbers per image, `C·H·W`.
    public var count: Int { channels * plane }

    /// "16×28×28" (channels × height × width).
    public var description: String { "\(channels)×\(height)×\(width)" }

    /// A batch-major `(B, C·H·W)` batch in channel-major order, `(C, B·H·W)`.
    public func channelMajor(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.cols == count, "ImageShape \(self).channelMajor: the batch is \(x.shapeDescription), rows of \(count) expected")
        if channels == 1 { return x.reshaped(1, x.count) }
        var out = Matrix(rows: channels, cols: x.rows * plane)
        copyPlanes(x, into: &out, toChannelMajor: true)
        return out
    }

    /// A channel-major `(C, B·H·W)` batch in batch-major order, `(B, C·H·W)`.
    public func batchMajor(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.rows == channels && x.cols % plane == 0,
            "ImageShape \(self).batchMajor: the batch is \(x.shapeDescription), (\(channels)×B·\(plane)) expected")
        let batch = x.cols / plane
        if channels == 1 { return x.reshaped(batch, plane) }
        var out = Matrix(rows: batch, cols: count)
        copyPlanes(x, into: &out, toChannelMajor: false)
        return out
    }

    /// Copies every `(image, channel)` plane between the two layouts.
    private func copyPlanes(_ x: Matrix, into out: inout Matrix, toChannelMajor: Bool) {
        let batch = toChannelMajor ? x.rows : x.cols / plane
        let (c, p) = (channels, plane)
        x.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for n in 0..<batch {
                    for k in 0..<c {
                        let batchMajor = (n * c + k) * p, channelMajor = (k * batch + n) * p
                        let (from, to) = toChannelMajor ? (batchMajor, channelMajor) : (channelMajor, batchMajor)
                        (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: p)
                    }
                }
            }
        }
    }
}
