extension DigitDataset {
    /// The shifted domain of a set of real digits (MNIST), made in image space: every image turned
    /// `degrees` clockwise about its centre (bilinear resampling, zero outside) and its strokes
    /// thickened by a maximum over each pixel and its four neighbours. The labels stay.
    ///
    /// It mirrors what `DigitStyle.shifted` does to the synthetic digits (lean and bold pen),
    /// without the glyph variants, so the adaptation lessons can run on `--data mnist` too.
    public func leanedAndBold(degrees: Float = 30) -> DigitDataset {
        let n = DigitDataset.pixelCount
        var out = Matrix(rows: count, cols: n)
        var rotated = [Float](repeating: 0, count: n)
        let (sinT, cosT) = SyntheticDigits.sinCos(degrees: degrees)
        images.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                rotated.withUnsafeMutableBufferPointer { tmp in
                    for i in 0..<count {
                        let image = UnsafeBufferPointer(rebasing: src[(i * n)..<((i + 1) * n)])
                        DigitDataset.rotate(image, sin: sinT, cos: cosT, into: tmp)
                        DigitDataset.dilate(
                            UnsafeBufferPointer(tmp),
                            into: UnsafeMutableBufferPointer(rebasing: dst[(i * n)..<((i + 1) * n)]))
                    }
                }
            }
        }
        return DigitDataset(images: out, labels: labels, name: name + ", leaned \(degrees)° and bold")
    }

    /// Turns a 28×28 image clockwise (as seen, `y` pointing down) by the angle whose sine and
    /// cosine are given: output pixel centre `p` samples the input at `c + R⁻¹ (p − c)`.
    static func rotate(
        _ image: UnsafeBufferPointer<Float>, sin s: Float, cos c: Float, into out: UnsafeMutableBufferPointer<Float>
    ) {
        let side = DigitDataset.side
        let centre = Float(side) / 2
        for y in 0..<side {
            for x in 0..<side {
                let dx = Float(x) + 0.5 - centre, dy = Float(y) + 0.5 - centre
                // Source position in pixel-centre coordinates (pixel j has centre j + 0.5).
                let sx = c * dx + s * dy + centre - 0.5
                let sy = -s * dx + c * dy + centre - 0.5
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                func at(_ px: Int, _ py: Int) -> Float {
                    px >= 0 && px < side && py >= 0 && py < side ? image[py * side + px] : 0
                }
                let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
                let bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
                out[y * side + x] = top * (1 - fy) + bottom * fy
            }
        }
    }

    /// Each output pixel is the maximum of the input pixel and its four neighbours (a "plus"
    /// structuring element): every stroke gets about one pixel thicker.
    static func dilate(_ image: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        let side = DigitDataset.side
        for y in 0..<side {
            for x in 0..<side {
                var m = image[y * side + x]
                if x > 0 { m = max(m, image[y * side + x - 1]) }
                if x < side - 1 { m = max(m, image[y * side + x + 1]) }
                if y > 0 { m = max(m, image[(y - 1) * side + x]) }
                if y < side - 1 { m = max(m, image[(y + 1) * side + x]) }
                out[y * side + x] = m
            }
        }
    }
}
