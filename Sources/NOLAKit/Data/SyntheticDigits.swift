/// Which of the two synthetic digit domains to draw. Both have the same ten labels.
public enum DigitStyle: String, Sendable, CaseIterable {
    /// Everyday upright digits: tilted at most 15°, thin to medium strokes. The default domain.
    case upright
    /// The shifted domain for the adaptation lessons: the same digits turned 22–38° clockwise,
    /// in a bold pen, with continental/cursive glyph variants (footed 1, looped 2, flat-topped 3,
    /// open 4, crossed 7, straight-tailed 9). See `SyntheticDigits.Pose` and `DigitGlyphs`.
    case shifted
}

/// Procedural handwritten-looking digits, the project's embedded default dataset.
///
/// Image `i` of a set shows digit `i % 10` (so every set of a multiple of ten is exactly balanced)
/// and depends only on `(seed, style, i)`: its random numbers come from
/// `StreamCursor(seed: seed, stream: style tag << 32 | i)` (tags are ASCII "DGUP" and "DGSH").
/// The first `n` images of a set are therefore the same whatever its size, and images with
/// different indices never share random numbers.
///
/// How one image is drawn, in the order the random words are read:
/// 1. pick a glyph variant of the digit (`DigitGlyphs`);
/// 2. draw a pose: rotation, shear, scale in x and y, shift, pen half-width, ink, noise level;
/// 3. wobble each point and arc of the glyph (`wobble` below), like an unsteady hand;
/// 4. map glyph space to pixels, flatten arcs into short segments, and for every pixel find the
///    distance `d` from its centre to the nearest segment;
/// 5. ink is `ink · clamp(halfWidth + 0.5 − d, 0, 1)`: an anti-aliased stroke edge one pixel wide;
/// 6. add uniform noise `±noise` to every pixel (8 bits each, from words 4096… of the stream)
///    and clamp to [0, 1].
///
/// All arithmetic is plain IEEE `Float`/`Double`, with no C-library trigonometry (see `sinCos`),
/// so that the same seed gives the same bytes on every platform (the pinned checksums were
/// computed on Linux x86-64).
public enum SyntheticDigits {
    /// The ranges a style draws its pose from. Angles in degrees (positive = counter-clockwise),
    /// lengths in pixels, scales relative to a glyph 18 pixels tall.
    public struct Pose: Sendable {
        /// Rotation of the whole digit.
        public var rotation: ClosedRange<Float>
        /// Horizontal shear `x += shear · y` (positive leans the top to the right).
        public var shear: ClosedRange<Float>
        /// Scale of the glyph's height.
        public var scale: ClosedRange<Float>
        /// Width relative to height (multiplies the x scale).
        public var aspect: ClosedRange<Float>
        /// Shift of the centre in x and in y, pixels.
        public var shift: ClosedRange<Float>
        /// Half the pen's width, pixels.
        public var halfWidth: ClosedRange<Float>
        /// Peak intensity of the ink.
        public var ink: ClosedRange<Float>
        /// Amplitude of the uniform pixel noise.
        public var noise: ClosedRange<Float>

        /// The upright style: tilt ±15°, shear ±0.3, pen half-width 0.8–1.5 px.
        public static let upright = Pose(
            rotation: -15...15, shear: -0.3...0.3, scale: 0.78...1.1, aspect: 0.75...1.25,
            shift: -2...2, halfWidth: 0.8...1.5, ink: 0.75...1, noise: 0...0.12)

        /// The shifted style: turned 22–38° clockwise and leaning further right (shear 0–0.2),
        /// a bold pen (half-width 1.5–2.1 px), slightly smaller.
        public static let shifted = Pose(
            rotation: -38 ... -22, shear: 0...0.2, scale: 0.8...1.0, aspect: 0.75...1.25,
            shift: -2...2, halfWidth: 1.5...2.1, ink: 0.75...1, noise: 0...0.12)

        /// The pose ranges of `style`.
        public static func of(_ style: DigitStyle) -> Pose {
            switch style {
            case .upright: .upright
            case .shifted: .shifted
            }
        }
    }

    /// Where an image's pixel noise starts in its stream: the words before it are read one by
    /// one for the pose and the wobble (a few hundred at most).
    static let noisePosition: UInt64 = 4096

    /// Height of an unscaled glyph (glyph-space height 1) in pixels.
    public static let glyphHeight: Float = 18

    /// Stream tag of a style: the high 32 bits of its images' stream ids.
    public static func streamTag(_ style: DigitStyle) -> UInt64 {
        switch style {
        case .upright: 0x4447_5550  // "DGUP"
        case .shifted: 0x4447_5348  // "DGSH"
        }
    }

    /// `count` digits: images `first ..< first + count` of the set `(seed, style)`.
    public static func generate(
        count: Int, seed: UInt64, style: DigitStyle = .upright, first: Int = 0
    ) -> DigitDataset {
        checkPrecondition(count >= 0 && first >= 0, "SyntheticDigits.generate: count \(count), first \(first)")
        checkPrecondition(first + count <= Int(UInt32.max), "SyntheticDigits.generate: index past 2³²")
        let width = DigitDataset.pixelCount
        var pixels = [Float](repeating: 0, count: count * width)
        var labels = [Int](repeating: 0, count: count)
        var scratch = Scratch()
        pixels.withUnsafeMutableBufferPointer { all in
            for k in 0..<count {
                let image = UnsafeMutableBufferPointer(rebasing: all[(k * width)..<((k + 1) * width)])
                labels[k] = render(index: first + k, seed: seed, style: style, into: image, scratch: &scratch)
            }
        }
        let range = count == 0 ? "none" : "\(first)…\(first + count - 1)"
        return DigitDataset(
            images: Matrix(rows: count, cols: width, data: pixels), labels: labels,
            name: "synthetic \(style.rawValue) digits (seed \(seed), images \(range))")
    }

    /// Draws image `index` of the set `(seed, style)` into `image` (784 floats) and returns its label.
    public static func render(
        index: Int, seed: UInt64, style: DigitStyle, into image: UnsafeMutableBufferPointer<Float>
    ) -> Int {
        var scratch = Scratch()
        return render(index: index, seed: seed, style: style, into: image, scratch: &scratch)
    }

    /// Buffers reused from one image to the next.
    struct Scratch {
        var distance2 = [Float](repeating: 0, count: DigitDataset.pixelCount)
        var polyline: [SIMD2<Float>] = []
        var noiseWords = [UInt32](repeating: 0, count: DigitDataset.pixelCount / 4)
    }

    static func render(
        index: Int, seed: UInt64, style: DigitStyle,
        into image: UnsafeMutableBufferPointer<Float>, scratch: inout Scratch
    ) -> Int {
        checkPrecondition(image.count == DigitDataset.pixelCount, "render: image buffer has \(image.count) floats, expected 784")
        let label = index % DigitDataset.classCount
        var rng = StreamCursor(seed: seed, stream: streamTag(style) << 32 | UInt64(index))
        draw(DigitGlyphs.variants(of: label, style: style), pose: Pose.of(style), rng: &rng, into: image, scratch: &scratch)
        return label
    }

    /// Steps 1–6 above: draws one of `variants` in a pose from `pose` into `image`, reading
    /// random words from `rng` (the image's own stream). `SyntheticLetters` draws its letters
    /// with it too.
    static func draw(
        _ variants: [Glyph], pose: Pose, rng: inout StreamCursor,
        into image: UnsafeMutableBufferPointer<Float>, scratch: inout Scratch
    ) {
        // 1. Glyph variant.
        let glyph = variants[variants.count == 1 ? 0 : rng.nextInt(below: variants.count)]

        // 2. Pose.
        let (sinT, cosT) = sinCos(degrees: rng.nextUniform(in: pose.rotation))
        let shear = rng.nextUniform(in: pose.shear)
        let scaleY = glyphHeight * rng.nextUniform(in: pose.scale)
        let scaleX = scaleY * rng.nextUniform(in: pose.aspect)
        let centre = SIMD2<Float>(14 + rng.nextUniform(in: pose.shift), 14 + rng.nextUniform(in: pose.shift))
        let halfWidth = rng.nextUniform(in: pose.halfWidth)
        let ink = rng.nextUniform(in: pose.ink)
        let noise = rng.nextUniform(in: pose.noise)

        // Glyph space (y up) → pixels (y down): scale, shear, rotate, then move to the centre.
        func toPixels(_ p: SIMD2<Float>) -> SIMD2<Float> {
            let sx = scaleX * p.x + shear * scaleY * p.y
            let sy = scaleY * p.y
            let rx = cosT * sx - sinT * sy
            let ry = sinT * sx + cosT * sy
            return SIMD2(centre.x + rx, centre.y - ry)
        }

        // 3–4. Wobble, flatten and measure distances.
        let reach = halfWidth + 1
        scratch.distance2.withUnsafeMutableBufferPointer { d2 in
            d2.update(repeating: .infinity)
            for path in glyph {
                scratch.polyline.removeAll(keepingCapacity: true)
                for piece in path {
                    switch piece {
                    case .point(let x, let y):
                        let p = SIMD2(x + wobble(&rng, 0.05), y + wobble(&rng, 0.05))
                        scratch.polyline.append(toPixels(p))
                    case .arc(let cx, let cy, let rx, let ry, let from, let to):
                        let c = SIMD2(cx + wobble(&rng, 0.035), cy + wobble(&rng, 0.035))
                        let r = SIMD2(rx * (1 + wobble(&rng, 0.14)), ry * (1 + wobble(&rng, 0.14)))
                        let a0 = from + wobble(&rng, 14), a1 = to + wobble(&rng, 14)
                        // About one segment per 3 pixels of arc (chords stray < 0.2 px).
                        let length = abs(a1 - a0) * .pi / 180 * max(r.x, r.y) * scaleY
                        let steps = max(3, Int(length / 3))
                        for s in 0...steps {
                            let (sa, ca) = sinCos(degrees: a0 + (a1 - a0) * Float(s) / Float(steps))
                            scratch.polyline.append(toPixels(c + r * SIMD2(ca, sa)))
                        }
                    }
                }
                scratch.polyline.withUnsafeBufferPointer { points in
                    if points.count == 1 { nearestDistances(points[0], points[0], reach: reach, into: d2) }
                    for s in 1..<max(points.count, 1) {
                        nearestDistances(points[s - 1], points[s], reach: reach, into: d2)
                    }
                }
            }

            // 5–6. Ink from distance, then noise: pixel p's noise is byte p % 4 of word
            // `noisePosition + p / 4` of the image's stream, mapped to (−1, 1).
            scratch.noiseWords.withUnsafeMutableBufferPointer { words in
                rng.stream.fillWords(from: noisePosition, into: words)
                for p in 0..<DigitDataset.pixelCount {
                    let byte = (words[p / 4] >> (8 * UInt32(p % 4))) & 0xFF
                    let uniform = (Float(byte) + 0.5) / 128 - 1
                    let coverage = min(max(halfWidth + 0.5 - d2[p].squareRoot(), 0), 1)
                    image[p] = min(max(ink * coverage + noise * uniform, 0), 1)
                }
            }
        }
    }

    /// A uniform offset in `[−amount, amount)` (one random word).
    static func wobble(_ rng: inout StreamCursor, _ amount: Float) -> Float {
        amount * (2 * rng.nextUniform() - 1)
    }

    /// Lowers `d2[y·28 + x]` to the squared distance from pixel centre `(x + ½, y + ½)` to the
    /// segment `a–b` (pixels), for the pixels within `reach` of the segment's bounding box.
    static func nearestDistances(
        _ a: SIMD2<Float>, _ b: SIMD2<Float>, reach: Float, into d2: UnsafeMutableBufferPointer<Float>
    ) {
        let side = DigitDataset.side
        let x0 = max(0, Int((min(a.x, b.x) - reach).rounded(.down)))
        let x1 = min(side - 1, Int((max(a.x, b.x) + reach).rounded(.down)))
        let y0 = max(0, Int((min(a.y, b.y) - reach).rounded(.down)))
        let y1 = min(side - 1, Int((max(a.y, b.y) + reach).rounded(.down)))
        guard x0 <= x1, y0 <= y1 else { return }
        let abx = b.x - a.x, aby = b.y - a.y
        let length2 = abx * abx + aby * aby
        let inverseLength2: Float = length2 > 0 ? 1 / length2 : 0  // a dot: t = 0
        for y in y0...y1 {
            let apy = Float(y) + 0.5 - a.y
            for x in x0...x1 {
                let apx = Float(x) + 0.5 - a.x
                // t: where the foot of the perpendicular falls along a–b, clamped to the segment.
                let t = min(max((apx * abx + apy * aby) * inverseLength2, 0), 1)
                let ox = apx - t * abx, oy = apy - t * aby
                let dist2 = ox * ox + oy * oy
                if dist2 < d2[y * side + x] { d2[y * side + x] = dist2 }
            }
        }
    }

    /// Sine and cosine of an angle in degrees, by range reduction and Taylor series in `Double`.
    /// Plain IEEE arithmetic, so the result is the same on every platform, unlike `sin`/`cos`
    /// from the C library; accurate to about 1e-11 before rounding to `Float`.
    static func sinCos(degrees: Float) -> (sin: Float, cos: Float) {
        var x = Double(degrees) * (Double.pi / 180)
        x -= 2 * Double.pi * (x / (2 * Double.pi)).rounded()  // now |x| ≤ π
        let x2 = x * x
        var s = 1.0, c = 1.0
        for k in stride(from: 11, through: 1, by: -1) {
            s = 1 - x2 / Double((2 * k) * (2 * k + 1)) * s
            c = 1 - x2 / Double((2 * k - 1) * (2 * k)) * c
        }
        return (Float(x * s), Float(c))
    }
}
