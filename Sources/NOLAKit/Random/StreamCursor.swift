/// Reads a `RandomStream` word after word: for sequential draws (shuffles, jitter, dropout
/// masks) where random access is not needed.
///
/// It is a `RandomNumberGenerator` (a `UInt64` is two consecutive words, low word first), but
/// prefer its own methods: Swift's `shuffle(using:)` and `random(in:using:)` may change their
/// algorithms between Swift versions, while these are fixed and documented here, so a seed gives
/// the same run on every machine.
public struct StreamCursor: RandomNumberGenerator, Sendable {
    /// The stream read.
    public let stream: RandomStream
    /// Position of the next word to read.
    public private(set) var position: UInt64

    private var cachedBlock: SIMD4<UInt32> = .zero
    private var cachedIndex: UInt64 = .max

    /// A cursor at `position` of `stream`.
    public init(_ stream: RandomStream, position: UInt64 = 0) {
        self.stream = stream
        self.position = position
    }

    /// A cursor at the start of stream `stream` of `seed`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        self.init(RandomStream(seed: seed, stream: stream))
    }

    /// The next 32-bit word.
    public mutating func nextWord() -> UInt32 {
        let b = position / 4
        if b != cachedIndex {
            cachedBlock = stream.block(b)
            cachedIndex = b
        }
        let w = cachedBlock[Int(position % 4)]
        position += 1
        return w
    }

    /// The next 64 bits: two words, the first one low.
    public mutating func next() -> UInt64 {
        let lo = UInt64(nextWord())
        let hi = UInt64(nextWord())
        return lo | (hi << 32)
    }

    /// A uniform `Float` in [0, 1) (top 24 bits of one word).
    public mutating func nextUniform() -> Float {
        Float(nextWord() >> 8) * 0x1p-24
    }

    /// A uniform `Float` in `range` (one word).
    public mutating func nextUniform(in range: ClosedRange<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUniform()
    }

    /// A uniform integer in `0..<bound`, unbiased (Lemire's multiply-and-reject on 32-bit words).
    public mutating func nextInt(below bound: Int) -> Int {
        checkPrecondition(bound > 0 && bound <= Int(UInt32.max), "nextInt(below:): bound \(bound) out of range")
        let b = UInt64(bound)
        let threshold = (UInt64(1) << 32) % b  // words below this would bias the result
        while true {
            let product = UInt64(nextWord()) &* b
            if (product & 0xFFFF_FFFF) >= threshold { return Int(product >> 32) }
        }
    }

    /// A standard normal `Float` (Box–Muller on two words; the second normal is discarded).
    public mutating func nextNormal() -> Float {
        RandomStream.boxMuller(nextWord(), nextWord()).0
    }

    /// Shuffles `array` in place (Fisher–Yates from the last element down, `nextInt(below: i+1)`).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// `0..<n` in a random order.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }
}
