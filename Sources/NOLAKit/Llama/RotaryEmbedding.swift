import Foundation

/// Rotary position embeddings (RoPE, Su et al. 2021), as LLaMA applies them to queries and keys:
/// position enters attention as a rotation, not as a vector added to the input.
///
/// Each head's `hs` features are `hs/2` pairs `(x_i, x_{i+hs/2})` (the "rotate half" layout of
/// the released LLaMA code); pair `i` at position `t` is turned by the angle `t·θ_i`,
/// `θ_i = base^(−2i/hs)`, base 10,000:
///
///     y_i        = x_i cos tθ_i − x_{i+hs/2} sin tθ_i
///     y_{i+hs/2} = x_{i+hs/2} cos tθ_i + x_i sin tθ_i
///
/// A query rotated by `tθ` and a key rotated by `sθ` have the dot product of the unrotated pair
/// turned by `(t − s)θ`: attention scores depend on the distance between positions only, and
/// nothing is learned (GPT-2's position table `wpe` is gone). Pair 0 turns one radian per
/// position, the last pair almost not at all: fast and slow "clock hands".
///
/// Shapes: `x: (N, heads·hs)`, row `r` at position `positions[r]`, every head rotated alike.
/// A rotation's inverse is its transpose, the rotation by `−tθ`, so the backward pass is the
/// same function with `inverse: true`: `dx = Rᵀ dy`.
public struct RotaryEmbedding: Sendable {
    /// Features per head `hs` (even).
    public let headSize: Int
    /// The base of the frequencies (10,000 in LLaMA).
    public let base: Double
    /// Positions the tables cover, `0..<maxPositions`.
    public let maxPositions: Int
    /// `cos tθ_i` and `sin tθ_i`, row `t`, column `i < hs/2`.
    let cosines: [Float]
    let sines: [Float]

    /// Tables for positions `0..<maxPositions` (angles computed in Double, then rounded).
    public init(headSize: Int, maxPositions: Int, base: Double = 10_000) {
        checkPrecondition(headSize > 0 && headSize % 2 == 0, "RotaryEmbedding: head size \(headSize) must be even and positive")
        checkPrecondition(maxPositions > 0, "RotaryEmbedding: at least one position, got \(maxPositions)")
        self.headSize = headSize
        self.base = base
        self.maxPositions = maxPositions
        let half = headSize / 2
        var cosines = [Float](repeating: 0, count: maxPositions * half)
        var sines = cosines
        for t in 0..<maxPositions {
            for i in 0..<half {
                let angle = Double(t) * pow(base, -2 * Double(i) / Double(headSize))
                cosines[t * half + i] = Float(cos(angle))
                sines[t * half + i] = Float(sin(angle))
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// `θ_i = base^(−2i/hs)`, radians per position, for `i < hs/2`.
    public var frequencies: [Double] { (0..<(headSize / 2)).map { pow(base, -2 * Double($0) / Double(headSize)) } }

    /// Rotates every head of every row of `x: (N, heads·hs)` in place; row `r` is at position
    /// `position(r)`. `inverse` rotates by `−tθ` (the backward pass).
    public func rotate(_ x: inout Matrix, heads: Int, inverse: Bool = false, position: (Int) -> Int) {
        checkPrecondition(x.cols == heads * headSize, "RotaryEmbedding: x is \(x.shapeDescription), not \(heads) heads of \(headSize)")
        let (half, width, rows) = (headSize / 2, x.cols, x.rows)
        let sign: Float = inverse ? -1 : 1
        let positions = (0..<rows).map(position)
        for t in positions {
            checkPrecondition(t >= 0 && t < maxPositions, "RotaryEmbedding: position \(t) outside 0..<\(maxPositions)")
        }
        guard rows > 0 else { return }
        cosines.withUnsafeBufferPointer { pc in
            sines.withUnsafeBufferPointer { ps in
                x.data.withUnsafeMutableBufferPointer { px in
                    let (c, s, xs) = (pc.baseAddress!, ps.baseAddress!, px.baseAddress!)
                    Parallel.forEachSlice(rows, minimumPerWorker: max(1, 8_192 / width)) { _, slice in
                        for r in slice {
                            let (cr, sr) = (c + positions[r] * half, s + positions[r] * half)
                            for h in 0..<heads {
                                let v = xs + r * width + h * headSize
                                for i in 0..<half {
                                    let (a, b) = (v[i], v[i + half])
                                    let (co, si) = (cr[i], sign * sr[i])
                                    v[i] = a * co - b * si
                                    v[i + half] = b * co + a * si
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
