import Foundation

/// The most single-precision floating-point operations per second the CPU could do, from what the
/// machine reports: lesson 2 sets OpenBLAS's GFLOPS against it.
///
///     peak = cores × FMA units per core × floats per register × 2 (a multiply and an add) × clock
///
/// Cores are physical cores (`/proc/cpuinfo`'s distinct `physical id`/`core id` pairs), the clock
/// is `/proc/cpuinfo`'s `cpu MHz` (the highest listed), the register width is the widest SIMD the
/// CPU and OS enable (`CPUFeatures.simdLevel`). The FMA units are an assumption by CPU family,
/// listed in `assumptions`: 2 per core for Intel since Haswell (AVX2) and Skylake-X and later
/// Xeons (AVX-512; some Silver/Bronze and Gold 5xxx parts have 1), and for AMD Zen 2 to Zen 5; 1 for
/// Zen 1 (two 128-bit units) and for Zen 4's AVX-512 (512-bit operations split over its 256-bit
/// units); 1 multiplier and 1 adder without FMA. A reported clock is often the nominal one: a
/// turbo clock above it lets a good BLAS pass 100%.
public struct PeakFlops: Sendable, Equatable {
    /// Physical cores.
    public let cores: Int
    /// Fused multiply-add units per core, as assumed (see `assumptions`).
    public let fmaUnits: Int
    /// Floats in one SIMD register.
    public let floatsPerRegister: Int
    /// The clock, in MHz.
    public let megahertz: Double
    /// Each assumption, one line.
    public let assumptions: [String]

    /// The peak in GFLOPS (10⁹ operations per second).
    public var gflops: Double {
        Double(cores * fmaUnits * floatsPerRegister * 2) * megahertz / 1000
    }

    /// `2 cores × 2 FMA × 8 floats × 2 × 2.45 GHz = 156.5 GFLOPS`.
    public var formula: String {
        String(
            format: "%d core%@ × %d FMA unit%@ × %d floats × 2 × %.2f GHz = %.1f GFLOPS", cores, cores == 1 ? "" : "s",
            fmaUnits, fmaUnits == 1 ? "" : "s", floatsPerRegister, megahertz / 1000, gflops)
    }

    /// The estimate for `cpu` from the text of `/proc/cpuinfo`; nil when it names no clock.
    /// `fallbackCores` is used when the text has no core ids (some virtual machines, other OSes).
    public static func estimate(cpu: CPUFeatures, cpuinfo: String, fallbackCores: Int) -> PeakFlops? {
        var megahertz = 0.0
        var physical = "0"
        var coreIDs = Set<String>()
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "cpu MHz": megahertz = max(megahertz, Double(parts[1]) ?? 0)
            case "physical id": physical = parts[1]
            case "core id": coreIDs.insert(physical + "/" + parts[1])
            default: break
            }
        }
        guard megahertz > 0 else { return nil }
        let cores = coreIDs.isEmpty ? max(1, fallbackCores) : coreIDs.count
        var assumptions = [
            coreIDs.isEmpty ? "\(cores) cores: no core ids in /proc/cpuinfo, so logical CPUs are counted"
                : "\(cores) physical core\(cores == 1 ? "" : "s") (distinct core ids in /proc/cpuinfo)",
            String(format: "clock %.0f MHz as /proc/cpuinfo reports it (often the nominal clock; turbo can exceed it)", megahertz),
        ]
        let level = cpu.simdLevel
        let amd = cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine"
        let units: Int
        switch level {
        case .avx512:
            if amd && cpu.family == 0x19 {
                units = 1
                assumptions.append("AVX-512 on AMD Zen 4: 512-bit operations split over two 256-bit units, counted as 1 unit of 16 floats")
            } else {
                units = 2
                assumptions.append("AVX-512, 16 floats: 2 FMA units per core (Skylake-X and later Xeons; some Silver/Bronze and Gold 5xxx parts have 1)")
            }
        case .avx2:
            if amd && cpu.family == 0x17 && cpu.model < 0x30 {
                units = 1
                assumptions.append("AVX2 on AMD Zen 1: two 128-bit FMA units, counted as 1 unit of 8 floats")
            } else {
                units = 2
                assumptions.append("AVX2 with FMA, 8 floats: 2 FMA units per core (Intel since Haswell, AMD since Zen 2)")
            }
        case .avx:
            units = 1
            assumptions.append("AVX without FMA, 8 floats: one multiplier and one adder, counted as 1 FMA unit")
        case .sse:
            units = 1
            assumptions.append("SSE, 4 floats: one multiplier and one adder, counted as 1 FMA unit")
        }
        return PeakFlops(
            cores: cores, fmaUnits: units, floatsPerRegister: level.floatsPerRegister, megahertz: megahertz,
            assumptions: assumptions)
    }

    /// This machine's estimate (nil where `/proc/cpuinfo` is missing or names no clock).
    public static var thisMachine: PeakFlops? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return estimate(cpu: .current, cpuinfo: text, fallbackCores: ProcessInfo.processInfo.activeProcessorCount)
    }
}
