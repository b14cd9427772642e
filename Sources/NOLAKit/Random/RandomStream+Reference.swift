/// The reference fills: one Philox block at a time through `Philox4x32.block`, one word at a
/// time into the output. They define what the fast fills must produce, bit for bit (the tests
/// compare them on many ranges), and they are the "scalar" line of lesson 1's speed table.
extension RandomStream {
    /// Words `[position, position + out.count)`, one block at a time.
    public func referenceFillWords(from position: UInt64, into out: UnsafeMutableBufferPointer<UInt32>) {
        var p = position
        var i = 0
        while i < out.count {
            let w = block(p / 4)
            var lane = Int(p % 4)
            while lane < 4 && i < out.count {
                out[i] = w[lane]
                lane += 1
                i += 1
                p += 1
            }
        }
    }

    /// Uniform [0, 1) floats `Float(w >> 8) · 2⁻²⁴`, one block at a time.
    public func referenceFillUniform(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        var p = position
        var i = 0
        while i < out.count {
            let w = block(p / 4)
            var lane = Int(p % 4)
            while lane < 4 && i < out.count {
                out[i] = Float(w[lane] >> 8) * 0x1p-24
                lane += 1
                i += 1
                p += 1
            }
        }
    }

    /// `scale · (Float(w >> 8) · 2⁻²³ − 1)`, one block at a time (no multiplication when
    /// `scale` is 1).
    public func referenceFillSymmetric(
        from position: UInt64 = 0, scale: Float = 1, into out: UnsafeMutableBufferPointer<Float>
    ) {
        var p = position
        var i = 0
        while i < out.count {
            let w = block(p / 4)
            var lane = Int(p % 4)
            while lane < 4 && i < out.count {
                let v = Float(w[lane] >> 8) * 0x1p-23 - 1
                out[i] = scale == 1 ? v : v * scale
                lane += 1
                i += 1
                p += 1
            }
        }
    }

    /// Standard normals by Box–Muller on each block's two word pairs; `position` a multiple of 4.
    public func referenceFillNormal(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        checkPrecondition(position % 4 == 0, "referenceFillNormal: position \(position) is not a multiple of 4")
        var i = 0
        var b = position / 4
        while i < out.count {
            let w = block(b)
            let (z0, z1) = RandomStream.boxMuller(w.x, w.y)
            let (z2, z3) = RandomStream.boxMuller(w.z, w.w)
            let z = SIMD4(z0, z1, z2, z3)
            for lane in 0..<4 where i < out.count {
                out[i] = z[lane]
                i += 1
            }
            b += 1
        }
    }
}
