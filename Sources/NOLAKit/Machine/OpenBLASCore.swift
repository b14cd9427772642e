/// Which of OpenBLAS's kernel families ("cores") should run on a CPU, and whether the one
/// OpenBLAS chose by itself falls short.
///
/// An OpenBLAS built with DYNAMIC_ARCH (Debian's, Ubuntu's, conda's, the pip wheels') carries
/// kernels for many CPUs and picks one when it is loaded, from the CPU's family and model. A CPU
/// newer than the library is not in its table, and OpenBLAS 0.3.21 then falls back to
/// **Prescott**, SSE3 kernels from 2004, even on a CPU with AVX-512 (an unknown Intel family-6
/// model runs into the Pentium 4 case of its `get_coretype`): a 4× slower matrix multiply, and
/// nothing says so. `OPENBLAS_CORETYPE=<core>` overrides the choice.
///
/// `decide(core:cpu:version:dynamicArch:)` is the rule, a pure function: it compares the SIMD
/// family of the chosen core with the CPU's and names the best core this version of OpenBLAS
/// accepts in `OPENBLAS_CORETYPE`. `BLASSetup` applies it.
public enum OpenBLASCore {
    /// One kernel family OpenBLAS knows on x86-64.
    public struct Family: Sendable, Equatable {
        /// The name as `openblas_get_corename()` prints it and `OPENBLAS_CORETYPE` takes it.
        public let name: String
        /// The widest SIMD its kernels use.
        public let level: SIMDLevel
        /// The first OpenBLAS that accepts the name in `OPENBLAS_CORETYPE`.
        public let since: OpenBLASVersion
        /// Whether it needs AVX-512 bfloat16 besides its level.
        public let needsBF16: Bool
    }

    /// OpenBLAS's x86-64 cores, grouped by the SIMD their kernels use. Cores of older CPUs
    /// (Katmai … Nehalem, Athlon … Bobcat) run SSE kernels; Sandybridge and AMD's Bulldozer
    /// line AVX (Excavator too: its kernels are the Piledriver ones); Haswell and Zen AVX2 with
    /// FMA; SkylakeX, Cooperlake and SapphireRapids AVX-512.
    ///
    /// The versions: Haswell kernels came with 0.2.9, Zen with 0.2.20, SkylakeX with 0.3.1,
    /// Cooperlake with 0.3.11 — but `OPENBLAS_CORETYPE=Cooperlake` is only accepted from 0.3.22
    /// on (before that, 0.3.21 included, it answers "Core not found": OpenBLAS PR #3806), and
    /// SapphireRapids from 0.3.22.
    public static let families: [Family] = {
        let old = ["Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
                   "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Bobcat"]
        return old.map { Family(name: $0, level: .sse, since: OpenBLASVersion(0, 1, 0), needsBF16: false) } + [
            Family(name: "Sandybridge", level: .avx, since: OpenBLASVersion(0, 2, 0), needsBF16: false),
            Family(name: "Bulldozer", level: .avx, since: OpenBLASVersion(0, 2, 1), needsBF16: false),
            Family(name: "Piledriver", level: .avx, since: OpenBLASVersion(0, 2, 7), needsBF16: false),
            Family(name: "Steamroller", level: .avx, since: OpenBLASVersion(0, 2, 14), needsBF16: false),
            Family(name: "Excavator", level: .avx, since: OpenBLASVersion(0, 2, 14), needsBF16: false),
            Family(name: "Haswell", level: .avx2, since: OpenBLASVersion(0, 2, 9), needsBF16: false),
            Family(name: "Zen", level: .avx2, since: OpenBLASVersion(0, 2, 20), needsBF16: false),
            Family(name: "SkylakeX", level: .avx512, since: OpenBLASVersion(0, 3, 1), needsBF16: false),
            Family(name: "Cooperlake", level: .avx512, since: OpenBLASVersion(0, 3, 22), needsBF16: true),
            Family(name: "SapphireRapids", level: .avx512, since: OpenBLASVersion(0, 3, 22), needsBF16: true),
        ]
    }()

    /// The cores `decide` switches to, best first (Zen and SapphireRapids are
    /// never targets: Haswell's kernels serve AVX2 CPUs of both vendors as well, and
    /// SapphireRapids adds AMX for bfloat16 only, which single precision does not use).
    static let targets = ["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]

    /// The family of a core name, case-insensitively; nil for names this table does not know.
    public static func family(named name: String) -> Family? {
        families.first { $0.name.lowercased() == name.lowercased() }
    }

    /// What to do about OpenBLAS's kernel choice.
    public enum Decision: Sendable, Equatable {
        /// Leave it: `reason` says why (already the best family, an unknown name, …).
        case keep(reason: String)
        /// Select `core` with `OPENBLAS_CORETYPE`; `reason` says what was wrong.
        case switchTo(core: String, reason: String)
        /// It falls short but cannot be changed from here; `advice` says what the user can do.
        case advise(String)
    }

    /// The rule: switch when the core OpenBLAS chose uses narrower SIMD than the CPU has and
    /// this OpenBLAS accepts a core of a wider family in `OPENBLAS_CORETYPE`; the widest such
    /// family wins. A name the table does not know (a newer OpenBLAS's, or another
    /// architecture's) is kept: that OpenBLAS knows more than this table.
    ///
    /// - Parameters:
    ///   - core: `openblas_get_corename()`, e.g. `Prescott`, `Haswell`, `Zen`.
    ///   - cpu: the CPU's features (`CPUFeatures.current`).
    ///   - version: from `openblas_get_config()`; nil when it cannot be read.
    ///   - dynamicArch: whether the library carries several cores (`DYNAMIC_ARCH` in its config):
    ///     a library built for one CPU ignores `OPENBLAS_CORETYPE`.
    public static func decide(core: String, cpu: CPUFeatures, version: OpenBLASVersion?, dynamicArch: Bool) -> Decision {
        guard let current = family(named: core) else {
            return .keep(reason: "OpenBLAS chose '\(core)', a core this check does not know; trusting it")
        }
        let level = cpu.simdLevel
        guard current.level < level else {
            return .keep(reason: "OpenBLAS uses its \(current.name) kernels (\(current.level)), the widest SIMD this CPU has")
        }
        let shortfall = "OpenBLAS chose its \(current.name) kernels (\(current.level)) on a CPU with \(level)"
        guard dynamicArch else {
            return .advise(shortfall + "; this OpenBLAS is built for one CPU only (no DYNAMIC_ARCH): install a newer or DYNAMIC_ARCH OpenBLAS")
        }
        guard let version else {
            return .keep(reason: shortfall + ", but its version is unknown, so which core names it accepts is too")
        }
        let candidates = targets.compactMap { family(named: $0) }.filter {
            $0.level > current.level && $0.level <= level && version >= $0.since && (!$0.needsBF16 || cpu.avx512bf16)
        }
        guard let best = candidates.first else {  // `targets` lists the best first
            return .advise(shortfall + "; OpenBLAS \(version) has no better core for it: install a newer OpenBLAS")
        }
        return .switchTo(core: best.name, reason: shortfall)
    }
}

/// An OpenBLAS version, `0.3.21`.
public struct OpenBLASVersion: Sendable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// The version in `openblas_get_config()`'s text, `OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …`
    /// (a `.dev` suffix is ignored); nil when there is none.
    public init?(config: String) {
        let words = config.split(separator: " ")
        guard let index = words.firstIndex(where: { $0 == "OpenBLAS" }), index + 1 < words.count else { return nil }
        let numbers = words[index + 1].split(separator: ".").prefix(3).map { Int($0.prefix { $0.isNumber }) }
        guard numbers.count >= 2, let major = numbers[0], let minor = numbers[1] else { return nil }
        self.init(major, minor, numbers.count > 2 ? numbers[2] ?? 0 : 0)
    }

    public static func < (a: OpenBLASVersion, b: OpenBLASVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
