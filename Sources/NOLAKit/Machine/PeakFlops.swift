import CMachine
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

/// The peak measured rather than assumed: a short loop of independent fused multiply-adds
/// (`nola_fma_loop`: 12 chains, more than any x86-64 core's FMA latency × units) on every thread
/// at once, at the widest register the CPU has, each thread timing its own CPU time:
///
///     GFLOPS = Σ over threads (2 × 12 chains × floats per register × iterations) / CPU seconds
///
/// It runs at the clock the cores reach with all of them busy (boost included), so a BLAS cannot
/// pass it by more than timing noise. CPU time, not wall time: on a machine shared with other
/// programs the loop is paused while they run, but each second it does run issues as many FMAs
/// as on a quiet machine, so the peak stays the machine's (while wall-clock GFLOPS of a product
/// drop: its share of the peak is then low, never above 100%).
///
///     if let peak = FMAThroughput.measure(threads: BLAS.threads) { print(peak.summary) }
public struct FMAThroughput: Sendable, Equatable {
    /// Threads that ran the loop at once.
    public let threads: Int
    /// Floats per register of the loop (16: AVX-512, 8: AVX2).
    public let floatsPerRegister: Int
    /// The measured rate, 10⁹ operations per second, all threads together.
    public let gflops: Double

    /// `151.2 GFLOPS (2 threads × 16-float FMAs, measured)`.
    public var summary: String {
        String(format: "%.1f GFLOPS (%d thread%@ × %d-float FMAs, measured)", gflops, threads, threads == 1 ? "" : "s", floatsPerRegister)
    }

    /// The best of `trials` runs of about `seconds` each, at each register width the CPU has (the
    /// faster width counts); nil on a CPU without AVX2 and FMA (or not x86-64).
    public static func measure(threads: Int, seconds: Double = 0.1, trials: Int = 3) -> FMAThroughput? {
        checkPrecondition(threads > 0 && seconds > 0 && trials > 0, "FMAThroughput: \(threads) threads, \(seconds) s, \(trials) trials")
        var best: FMAThroughput?
        for width in [16, 8] {
            // Calibrate: iterations for `seconds` on one thread.
            let probe = 100_000
            let (flops, probeSeconds) = run(width: width, iterations: probe)
            guard flops > 0 else { continue }
            let iterations = max(probe, Int(Double(probe) * seconds / max(probeSeconds, 1e-6)))
            for _ in 0..<trials {
                let rates = Rates(count: threads)
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    let (f, s) = run(width: width, iterations: iterations)
                    rates.set(t, f / s)
                }
                let gflops = rates.total / 1e9
                if gflops > best?.gflops ?? 0 { best = FMAThroughput(threads: threads, floatsPerRegister: width, gflops: gflops) }
            }
        }
        return best
    }

    /// Operations done by one loop on this thread, and the thread's CPU seconds they took.
    private static func run(width: Int, iterations: Int) -> (flops: Double, seconds: Double) {
        var checksum = 0.0
        let start = RandomThroughput.threadCPUSeconds()
        let flops = nola_fma_loop(Int32(width), iterations, &checksum)
        return (flops, max(RandomThroughput.threadCPUSeconds() - start, 1e-9))
    }

    /// One rate per thread, written under a lock.
    private final class Rates: @unchecked Sendable {
        private var values: [Double]
        private let lock = NSLock()
        init(count: Int) { values = [Double](repeating: 0, count: count) }
        func set(_ index: Int, _ value: Double) { lock.withLock { values[index] = value } }
        var total: Double { lock.withLock { values.reduce(0, +) } }
    }
}
