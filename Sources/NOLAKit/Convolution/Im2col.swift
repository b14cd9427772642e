/// The geometry of a 2-D convolution with a square `k × k` kernel, and the two data movements
/// that turn it into one matrix product: im2col and its adjoint, col2im (Chellapilla, Puri,
/// Simard 2006; Caffe's `im2col_cpu`).
///
/// Output size, as PyTorch's `nn.Conv2d`: `H' = ⌊(H + 2p − k) / s⌋ + 1`, `W'` alike.
///
/// im2col lays every `k × k` patch of the input that the kernel meets out as a column:
///
///     cols[(c·k + ky)·k + kx, (n·H' + y')·W' + x'] = x[c, n, y'·s + ky − p, x'·s + kx − p]
///
/// (0 where the patch reaches into the padding). `cols: (Cin·k·k, B·H'·W')`, and then the
/// convolution is `y = W · cols` with `W: (Cout, Cin·k·k)`, PyTorch's kernel `(Cout, Cin, k, k)`
/// read row-major, and `y: (Cout, B·H'·W')` channel-major (`ImageShape`). col2im adds each column
/// back where it came from: `dx = col2im(Wᵀ · dy)`.
///
/// Each row of `cols` is one input plane, shifted: the copies are runs of contiguous floats, with
/// zeros at the borders. Both functions work on a chunk of images at a time (`Conv2d` keeps one
/// chunk's columns in cache), and split their loops across cores by rows (im2col) or channels
/// (col2im), so every element is computed by the same code whatever the number of cores.
public struct ConvolutionGeometry: Sendable, Equatable {
    /// The input image `Cin × H × W`.
    public let input: ImageShape
    /// Output channels `Cout`.
    public let outputChannels: Int
    /// The kernel side `k`.
    public let kernel: Int
    /// The stride `s`.
    public let stride: Int
    /// Zero padding `p` on every side.
    public let padding: Int

    public init(input: ImageShape, outputChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        checkPrecondition(
            outputChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
            "ConvolutionGeometry: out \(outputChannels), kernel \(kernel), stride \(stride), padding \(padding)")
        checkPrecondition(
            input.height + 2 * padding >= kernel && input.width + 2 * padding >= kernel,
            "ConvolutionGeometry: a \(kernel)×\(kernel) kernel does not fit \(input) padded by \(padding)")
        self.input = input
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// The output image `Cout × H' × W'`.
    public var output: ImageShape {
        ImageShape(
            channels: outputChannels, height: (input.height + 2 * padding - kernel) / stride + 1,
            width: (input.width + 2 * padding - kernel) / stride + 1)
    }

    /// Rows of `cols`, the length of one patch: `Cin·k·k`.
    public var patch: Int { input.channels * kernel * kernel }

    /// The range of output positions `o` whose input position `o·s + offset` lies in `0..<size`.
    @inline(__always)
    static func validRange(offset: Int, size: Int, stride: Int, outputs: Int) -> Range<Int> {
        // o·s + offset ≥ 0  ⇔  o ≥ ⌈−offset / s⌉;   o·s + offset ≤ size − 1  ⇔  o ≤ ⌊(size − 1 − offset) / s⌋
        let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let top = size - 1 - offset
        let high = top < 0 ? 0 : min(outputs, top / stride + 1)
        return low < high ? low..<high : low..<low
    }

    /// im2col for images `first ..< first + count` of the channel-major batch `x: (Cin, B·H·W)`
    /// (`batch = B`): writes `cols: (Cin·k·k, count·H'·W')`, every element.
    public func im2col(_ x: UnsafePointer<Float>, batch: Int, first: Int, count: Int, into cols: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, p) = (input.height, input.width, kernel, stride, padding)
        let out = output
        let (oh, ow) = (out.height, out.width)
        let rowLength = count * oh * ow
        let samePlane = s == 1 && oh == h && ow == w
        Parallel.forEachSlice(patch, minimumPerWorker: max(1, 65_536 / max(1, rowLength))) { _, rows in
            for r in rows {
                let c = r / (k * k), ky = (r / k) % k, kx = r % k
                if samePlane {
                    // Stride 1, output as large as the input: the plane shifted by (ky − p, kx − p),
                    // one contiguous copy, then the border that fell outside set to 0.
                    let (dy, dx) = (ky - p, kx - p)
                    let shift = dy * w + dx
                    for n in 0..<count {
                        let plane = x + (c * batch + first + n) * h * w
                        let row = cols + r * rowLength + n * h * w
                        let from = max(0, -shift), to = min(h * w, h * w - shift)
                        if to > from { (row + from).update(from: plane + from + shift, count: to - from) }
                        if dy < 0 { Self.zero(row, min(h, -dy) * w) }
                        if dy > 0 { Self.zero(row + max(0, h - dy) * w, min(h, dy) * w) }
                        if dx != 0 {
                            let (start, width) = dx < 0 ? (0, min(w, -dx)) : (max(0, w - dx), min(w, dx))
                            for oy in 0..<h { Self.zero(row + oy * w + start, width) }
                        }
                    }
                    continue
                }
                let columns = Self.validRange(offset: kx - p, size: w, stride: s, outputs: ow)
                let dst = cols + r * rowLength
                for n in 0..<count {
                    let plane = x + (c * batch + first + n) * h * w
                    for oy in 0..<oh {
                        let row = dst + (n * oh + oy) * ow
                        let iy = oy * s + ky - p
                        guard iy >= 0 && iy < h else {
                            Self.zero(row, ow)
                            continue
                        }
                        if columns.lowerBound > 0 { Self.zero(row, columns.lowerBound) }
                        if columns.upperBound < ow { Self.zero(row + columns.upperBound, ow - columns.upperBound) }
                        let source = plane + iy * w + kx - p
                        if s == 1 {
                            Self.copy(source + columns.lowerBound, to: row + columns.lowerBound, columns.count)
                        } else {
                            for ox in columns { row[ox] = source[ox * s] }
                        }
                    }
                }
            }
        }
    }

    /// `n` floats from `source` to `target`, eight at a time: the runs are a row of an image, tens
    /// of floats, too short to be worth a call to `memmove`.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, _ n: Int) {
        var j = 0
        while j + 8 <= n {
            UnsafeMutableRawPointer(target + j).storeBytes(of: UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self),
                                                           as: SIMD8<Float>.self)
            j += 8
        }
        while j < n {
            target[j] = source[j]
            j += 1
        }
    }

    /// `n` zeros at `target` (a border of one or a few floats, or a row).
    @inline(__always)
    static func zero(_ target: UnsafeMutablePointer<Float>, _ n: Int) {
        for j in 0..<n { target[j] = 0 }
    }

    /// col2im, the adjoint of `im2col`: adds `cols: (Cin·k·k, count·H'·W')` into images
    /// `first ..< first + count` of the channel-major `dx: (Cin, B·H·W)`.
    public func col2im(_ cols: UnsafePointer<Float>, batch: Int, first: Int, count: Int, adding dx: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, p) = (input.height, input.width, kernel, stride, padding)
        let out = output
        let (oh, ow) = (out.height, out.width)
        let rowLength = count * oh * ow
        // By channel: the k·k rows of channel c all add into plane c, and only they do.
        Parallel.forEachSlice(input.channels, minimumPerWorker: max(1, 65_536 / max(1, k * k * rowLength))) { _, channels in
            for c in channels {
                for ky in 0..<k {
                    for kx in 0..<k {
                        let src = cols + ((c * k + ky) * k + kx) * rowLength
                        let columns = Self.validRange(offset: kx - p, size: w, stride: s, outputs: ow)
                        let rowsValid = Self.validRange(offset: ky - p, size: h, stride: s, outputs: oh)
                        for n in 0..<count {
                            let plane = dx + (c * batch + first + n) * h * w
                            for oy in rowsValid {
                                let row = src + (n * oh + oy) * ow
                                let target = plane + (oy * s + ky - p) * w + kx - p
                                if s == 1 {
                                    for ox in columns { target[ox] += row[ox] }
                                } else {
                                    for ox in columns { target[ox * s] += row[ox] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
