/// Many NOLA adapters of one site, held as what NOLA stores: `k + l` coefficients each.
///
/// Adapters trained from one root seed share the site's basis and `A₀` (`BasisSeeds`: the basis
/// is seeded by the root seed and the site's shape, `A₀` by the root seed and the site's name),
/// so they differ only in α and β. The bank holds one NOLA adapter as the template (its basis,
/// materialized or generated on the fly, and its `A₀`) and `N × (k + l)` coefficients; switching
/// to adapter `i` builds its factors,
///
///     A_i = A₀ + Σ_j α_ij A_j      (r, in)       k·r·in multiply-adds
///     B_i =      Σ_j β_ij B_j      (out, r)      l·out·r multiply-adds
///
/// from the held basis, or from the seed when the template's basis is on the fly.
public final class NOLACoefficientBank {
    /// The adapter whose basis, `A₀` and scale every adapter of the bank shares. `factors(of:)`
    /// overwrites its α and β.
    public let template: NOLAAdapter
    /// Row `i`: α of adapter `i` (`k` values), then its β (`l`).
    public private(set) var coefficients: [Float] = []

    /// A bank of adapters sharing `template`'s basis and `A₀`; empty at first.
    public init(template: NOLAAdapter) {
        self.template = template
    }

    /// `k`, `l`: coefficients per adapter, `k + l`.
    public var k: Int { template.alpha.count }
    public var l: Int { template.beta.count }
    public var coefficientsPerAdapter: Int { k + l }
    /// Adapters held, `N`.
    public var count: Int { coefficients.count / coefficientsPerAdapter }

    /// Adds an adapter; returns its index.
    @discardableResult
    public func append(alpha: [Float], beta: [Float]) -> Int {
        checkPrecondition(alpha.count == k && beta.count == l,
                          "NOLACoefficientBank: \(alpha.count) α and \(beta.count) β for k = \(k), l = \(l)")
        coefficients += alpha
        coefficients += beta
        return count - 1
    }

    /// Adds `coefficients.count / (k + l)` adapters at once, row by row (α then β of each);
    /// returns the index of the first.
    @discardableResult
    public func append(contentsOf rows: [Float]) -> Int {
        checkPrecondition(rows.count % coefficientsPerAdapter == 0,
                          "NOLACoefficientBank: \(rows.count) values are not whole rows of k + l = \(coefficientsPerAdapter)")
        let first = count
        coefficients += rows
        return first
    }

    /// α and β of adapter `i`.
    public func coefficients(of i: Int) -> (alpha: [Float], beta: [Float]) {
        checkPrecondition(i >= 0 && i < count, "NOLACoefficientBank: adapter \(i) outside 0..<\(count)")
        let start = i * coefficientsPerAdapter
        return (Array(coefficients[start..<(start + k)]), Array(coefficients[(start + k)..<(start + k + l)]))
    }

    /// The factors `A_i`, `B_i` of adapter `i`, built from its coefficients and the basis.
    public func factors(of i: Int) -> LowRankFactors {
        let (alpha, beta) = coefficients(of: i)
        template.alpha.value.data = alpha
        template.beta.value.data = beta
        return LowRankFactors(template)
    }

    /// Bytes of the coefficients (Float32): `N · (k + l) · 4`.
    public var coefficientBytes: Int { coefficients.count * MemoryLayout<Float>.size }
    /// Bytes held once for all adapters: `A₀` and the basis (the whole basis when materialized,
    /// one tile when on the fly).
    public var sharedBytes: Int {
        (template.a0.count + template.basisA.residentFloats + template.basisB.residentFloats) * MemoryLayout<Float>.size
    }
}

/// The last few adapters' factors, kept materialized (least recently used out first): a server
/// that switches among a few hot adapters builds each once.
public final class FactorCache {
    /// Most factors held.
    public let capacity: Int
    /// Builds adapter `i`'s factors on a miss.
    private let materialize: (Int) -> LowRankFactors
    private var entries: [Int: (factors: LowRankFactors, used: Int)] = [:]
    private var clock = 0
    /// Lookups answered from the cache, and those that built the factors.
    public private(set) var hits = 0
    public private(set) var misses = 0

    /// A cache of `capacity` adapters' factors, built by `materialize` on a miss.
    public init(capacity: Int, materialize: @escaping (Int) -> LowRankFactors) {
        checkPrecondition(capacity > 0, "FactorCache: capacity must be positive, got \(capacity)")
        self.capacity = capacity
        self.materialize = materialize
    }

    /// Adapter `i`'s factors: from the cache, or built (evicting the least recently used when full).
    public func factors(_ i: Int) -> LowRankFactors {
        clock += 1
        if let entry = entries[i] {
            hits += 1
            entries[i] = (entry.factors, clock)
            return entry.factors
        }
        misses += 1
        if entries.count == capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
        }
        let built = materialize(i)
        entries[i] = (built, clock)
        return built
    }

    /// Adapters whose factors are held.
    public var heldAdapters: [Int] { entries.keys.sorted() }
    /// Floats held by the cached factors.
    public var heldFloats: Int { entries.values.reduce(0) { $0 + $1.factors.floatCount } }
}
