/// The keys and values every block has computed for the positions a batch of sequences has
/// seen, so that generating the next token costs one position's work instead of the whole
/// sequence's.
///
/// Layout: for block `l`, `keys[l]` holds `rows × capacity × C` floats, row `r`'s position `t`
/// at `(r·capacity + t)·C` (head `h` at columns `h·hs…`); `values[l]` likewise. Row `r` holds
/// `lengths[r]` positions. The rows of one beam search advance together (one `length`); batched
/// greedy decoding keeps one sentence per row, each at its own length, and batched beam search
/// (`BeamSearch.decode(_:prompts:)`) one sentence's beams per row, each beam a list of positions.
public final class KeyValueCache {
    /// Blocks.
    public let layers: Int
    /// Sequences (beams) held.
    public let rows: Int
    /// The most positions a row can hold (the model's context).
    public let capacity: Int
    /// Width `C`.
    public let width: Int
    /// Positions filled in each row.
    public private(set) var lengths: [Int]

    var keys: [[Float]]
    var values: [[Float]]

    /// An empty cache for `rows` sequences of up to `capacity` positions of a model with
    /// `layers` blocks of width `width`.
    public init(layers: Int, rows: Int, capacity: Int, width: Int) {
        checkPrecondition(layers > 0 && rows > 0 && capacity > 0 && width > 0,
                          "KeyValueCache: \(layers) layers, \(rows) rows, capacity \(capacity), width \(width)")
        self.layers = layers
        self.rows = rows
        self.capacity = capacity
        self.width = width
        lengths = [Int](repeating: 0, count: rows)
        // One buffer each (not one shared by copy-on-write, which the first write would copy).
        keys = (0..<layers).map { _ in [Float](repeating: 0, count: rows * capacity * width) }
        values = (0..<layers).map { _ in [Float](repeating: 0, count: rows * capacity * width) }
    }

    /// An empty cache sized for `model`'s context.
    public convenience init(for model: GPT, rows: Int) {
        self.init(layers: model.blocks.count, rows: rows, capacity: model.configuration.context, width: model.configuration.embedding)
    }

    /// Positions filled in the longest row (in every row, when they advance together).
    public var length: Int { lengths.max() ?? 0 }

    /// Positions still free in the fullest row.
    public var remaining: Int { capacity - length }

    /// Marks `count` more positions as filled in every row (after every block has written them).
    func advance(by count: Int) {
        checkPrecondition(length + count <= capacity, "KeyValueCache: \(length) + \(count) positions exceed the capacity \(capacity)")
        for r in 0..<rows { lengths[r] += count }
    }

    /// Sets row `row`'s filled positions (after every block has written them).
    func setLength(_ length: Int, row: Int) {
        checkPrecondition(length >= 0 && length <= capacity, "KeyValueCache: length \(length) outside 0…\(capacity)")
        lengths[row] = length
    }

    /// Row `r` becomes a copy of the old row `parents[r]` (its filled positions), for every block.
    /// Only the moved rows are copied, through a scratch copy of their sources (a copy of the
    /// whole cache per step, as the storage's copy-on-write would make, was most of a beam
    /// search step).
    public func reorder(_ parents: [Int]) {
        checkPrecondition(
            parents.count == rows && parents.allSatisfy { $0 >= 0 && $0 < rows },
            "KeyValueCache.reorder: \(parents.count) parents for \(rows) rows")
        let moves = parents.enumerated().filter { $0.offset != $0.element }
        guard !moves.isEmpty else { return }
        let oldLengths = lengths
        let sources = Set(moves.map(\.element)).sorted()
        let stride = capacity * width
        func move(_ storage: inout [Float]) {
            storage.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                var saved: [Int: [Float]] = [:]
                for p in sources { saved[p] = Array(UnsafeBufferPointer(start: base + p * stride, count: oldLengths[p] * width)) }
                for (r, p) in moves {
                    saved[p]!.withUnsafeBufferPointer { (base + r * stride).update(from: $0.baseAddress!, count: $0.count) }
                }
            }
        }
        for l in 0..<layers {
            move(&keys[l])
            move(&values[l])
        }
        lengths = parents.map { oldLengths[$0] }
    }

    /// A cache of `rows` copies of row 0 of this one (a prompt read once, then widened to the beams).
    public func broadcast(rows newRows: Int) -> KeyValueCache {
        let wide = KeyValueCache(layers: layers, rows: newRows, capacity: capacity, width: width)
        let used = lengths[0] * width
        let stride = capacity * width
        for l in 0..<layers {
            for r in 0..<newRows {
                wide.keys[l].replaceSubrange((r * stride)..<(r * stride + used), with: keys[l][0..<used])
                wide.values[l].replaceSubrange((r * stride)..<(r * stride + used), with: values[l][0..<used])
            }
        }
        wide.lengths = [Int](repeating: lengths[0], count: newRows)
        return wide
    }
}
