/// Ten capital letters drawn by the digits' own pen (`SyntheticDigits.draw`): new classes for
/// the few-shot lesson (14), in the same 28×28 format, so a model pretrained on the digits meets
/// shapes it has never seen.
///
/// Label `d` in 0…9 is the letter `SyntheticLetters.names[d]`: A C E H K L P S T X. They share
/// strokes with the digits (the bar of 7 in T, the bowl of 9 in P, the curves of 5 in S) but none
/// is a digit. Image `i` shows letter `i % 10` in the upright digits' pose ranges (tilt ±15°,
/// shear, scale, thin to medium pen, noise), and depends only on `(seed, i)`: its random numbers
/// come from `StreamCursor(seed: seed, stream: streamTag << 32 | i)`, the tag ASCII "LTRS", so
/// letters never share random numbers with the digits of the same seed. As with the digits, the
/// first `n` images of a set are the same whatever its size.
public enum SyntheticLetters {
    /// The letter of each label.
    public static let names: [Character] = ["A", "C", "E", "H", "K", "L", "P", "S", "T", "X"]

    /// Stream tag of the letters: the high 32 bits of their images' stream ids ("LTRS").
    public static let streamTag: UInt64 = 0x4C54_5253

    /// `count` letters: images `first ..< first + count` of the set `seed`, labels 0…9.
    public static func generate(count: Int, seed: UInt64, first: Int = 0) -> DigitDataset {
        checkPrecondition(count >= 0 && first >= 0, "SyntheticLetters.generate: count \(count), first \(first)")
        checkPrecondition(first + count <= Int(UInt32.max), "SyntheticLetters.generate: index past 2³²")
        let width = DigitDataset.pixelCount
        var pixels = [Float](repeating: 0, count: count * width)
        var labels = [Int](repeating: 0, count: count)
        var scratch = SyntheticDigits.Scratch()
        pixels.withUnsafeMutableBufferPointer { all in
            for k in 0..<count {
                let index = first + k
                let label = index % DigitDataset.classCount
                var rng = StreamCursor(seed: seed, stream: streamTag << 32 | UInt64(index))
                SyntheticDigits.draw(
                    [glyphs[label]], pose: .upright, rng: &rng,
                    into: UnsafeMutableBufferPointer(rebasing: all[(k * width)..<((k + 1) * width)]), scratch: &scratch)
                labels[k] = label
            }
        }
        let range = count == 0 ? "none" : "\(first)…\(first + count - 1)"
        return DigitDataset(
            images: Matrix(rows: count, cols: width, data: pixels), labels: labels,
            name: "synthetic letters (seed \(seed), images \(range))")
    }

    // MARK: The shapes (glyph space as `DigitGlyphs`: x ∈ [−0.3, 0.3], y ∈ [−0.5, 0.5] up)

    static let a: Glyph = [[.point(-0.3, -0.5), .point(0, 0.5), .point(0.3, -0.5)], [.point(-0.17, -0.1), .point(0.17, -0.1)]]
    static let c: Glyph = [[.arc(cx: 0.03, cy: 0, rx: 0.29, ry: 0.48, from: 55, to: 305)]]
    static let e: Glyph = [
        [.point(0.28, 0.5), .point(-0.25, 0.5), .point(-0.25, -0.5), .point(0.28, -0.5)],
        [.point(-0.25, 0), .point(0.18, 0)],
    ]
    static let h: Glyph = [
        [.point(-0.25, 0.5), .point(-0.25, -0.5)], [.point(0.25, 0.5), .point(0.25, -0.5)], [.point(-0.25, 0), .point(0.25, 0)],
    ]
    static let k: Glyph = [[.point(-0.22, 0.5), .point(-0.22, -0.5)], [.point(0.26, 0.5), .point(-0.22, -0.05), .point(0.28, -0.5)]]
    static let l: Glyph = [[.point(-0.22, 0.5), .point(-0.22, -0.5), .point(0.28, -0.5)]]
    /// A stem, then a bowl on its upper half drawn clockwise back to the stem.
    static let p: Glyph = [[
        .point(-0.22, -0.5), .point(-0.22, 0.5), .point(0, 0.5),
        .arc(cx: 0, cy: 0.24, rx: 0.26, ry: 0.26, from: 90, to: -90), .point(-0.22, -0.02),
    ]]
    /// Two arcs meeting in the middle: counter-clockwise over the top, clockwise round the bottom.
    static let s: Glyph = [[
        .arc(cx: 0, cy: 0.25, rx: 0.25, ry: 0.25, from: 20, to: 270),
        .arc(cx: 0, cy: -0.25, rx: 0.27, ry: 0.25, from: 90, to: -160),
    ]]
    static let t: Glyph = [[.point(-0.3, 0.5), .point(0.3, 0.5)], [.point(0, 0.5), .point(0, -0.5)]]
    static let x: Glyph = [[.point(-0.28, 0.5), .point(0.28, -0.5)], [.point(0.28, 0.5), .point(-0.28, -0.5)]]

    /// The glyph of each label, in the order of `names`.
    static let glyphs: [Glyph] = [a, c, e, h, k, l, p, s, t, x]
}
