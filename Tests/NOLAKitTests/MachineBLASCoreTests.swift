import Testing
@testable import NOLAKit

/// The rule that picks OpenBLAS's kernels (`OpenBLASCore.decide`), the start-up policy around it
/// (`BLASSetup.plan`), and the reading of cpuid registers (`CPUFeatures`).
@Suite("Machine: OpenBLAS's kernel choice")
struct MachineBLASCoreTests {
    // CPUs as the rule sees them.
    static let sseOnly = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 23, sse3: true)
    static let avxOnly = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 42, sse3: true, avx: true)
    static let avx2 = CPUFeatures(vendor: "AuthenticAMD", family: 25, model: 1, sse3: true, avx: true, fma: true, avx2: true)
    static let avx512 = CPUFeatures(
        vendor: "GenuineIntel", family: 6, model: 85, sse3: true, avx: true, fma: true, avx2: true,
        avx512f: true, avx512dq: true, avx512bw: true, avx512vl: true)
    static var avx512bf16: CPUFeatures {
        var cpu = avx512
        cpu.model = 207
        cpu.avx512bf16 = true
        return cpu
    }
    static let v0_3_21 = OpenBLASVersion(0, 3, 21)

    static func decide(_ core: String, _ cpu: CPUFeatures, _ version: OpenBLASVersion? = v0_3_21, dynamic: Bool = true)
        -> OpenBLASCore.Decision
    {
        OpenBLASCore.decide(core: core, cpu: cpu, version: version, dynamicArch: dynamic)
    }

    static func target(_ decision: OpenBLASCore.Decision) -> String? {
        if case .switchTo(let core, _) = decision { return core }
        return nil
    }

    @Test("a generic core on an AVX-512 CPU switches to the best AVX-512 core the version accepts")
    func genericOnAVX512() {
        for core in ["Prescott", "Core2", "Nehalem", "Penryn", "Atom", "Barcelona", "PRESCOTT", "prescott"] {
            #expect(Self.target(Self.decide(core, Self.avx512)) == "SkylakeX", "\(core)")
            // With bfloat16 (the issue's Xeon, family 6 model 207): 0.3.21 rejects the name
            // Cooperlake ("Core not found"), 0.3.22 accepts it.
            #expect(Self.target(Self.decide(core, Self.avx512bf16)) == "SkylakeX", "\(core) on 0.3.21")
            #expect(Self.target(Self.decide(core, Self.avx512bf16, OpenBLASVersion(0, 3, 22))) == "Cooperlake", "\(core)")
            #expect(Self.target(Self.decide(core, Self.avx512, OpenBLASVersion(0, 3, 28))) == "SkylakeX", "\(core), no BF16")
        }
    }

    @Test("a generic or AVX core on an AVX2 CPU switches to Haswell; AVX2 cores on AVX-512 to SkylakeX")
    func narrowerFamilies() {
        for core in ["Prescott", "Core2", "Nehalem", "Sandybridge", "Bulldozer", "Piledriver", "Excavator"] {
            #expect(Self.target(Self.decide(core, Self.avx2)) == "Haswell", "\(core)")
        }
        #expect(Self.target(Self.decide("Prescott", Self.avxOnly)) == "Sandybridge")
        #expect(Self.target(Self.decide("Haswell", Self.avx512)) == "SkylakeX")
        #expect(Self.target(Self.decide("Zen", Self.avx512bf16, OpenBLASVersion(0, 3, 23))) == "Cooperlake")
    }

    @Test("a core as wide as the CPU is kept: Zen or Haswell on AVX2, SkylakeX or Cooperlake on AVX-512, SSE CPUs")
    func alreadyGood() {
        let cases: [(String, CPUFeatures)] = [
            ("Zen", Self.avx2), ("Haswell", Self.avx2), ("SkylakeX", Self.avx512), ("Cooperlake", Self.avx512bf16),
            ("SapphireRapids", Self.avx512bf16), ("Sandybridge", Self.avxOnly), ("Prescott", Self.sseOnly),
            ("Nehalem", Self.sseOnly),
        ]
        for (core, cpu) in cases {
            guard case .keep = Self.decide(core, cpu) else {
                Issue.record("\(core) on \(cpu.summary) was not kept: \(Self.decide(core, cpu))")
                continue
            }
        }
    }

    @Test("names the table does not know are trusted, whatever the CPU")
    func unknownNames() {
        for core in ["Unknown", "NeoverseN1", "GraniteRapids", "", "Zen5"] {
            guard case .keep = Self.decide(core, Self.avx512bf16) else {
                Issue.record("'\(core)' was not kept")
                continue
            }
        }
    }

    @Test("versions that do not know the newer cores get the best they know, or advice")
    func olderVersions() {
        // SkylakeX kernels came with 0.3.1: an older OpenBLAS on an AVX-512 CPU gets Haswell.
        #expect(Self.target(Self.decide("Prescott", Self.avx512, OpenBLASVersion(0, 3, 0))) == "Haswell")
        #expect(Self.target(Self.decide("Prescott", Self.avx512, OpenBLASVersion(0, 2, 20))) == "Haswell")
        // Haswell came with 0.2.9: before it, Sandybridge is the best an AVX2 CPU can get.
        #expect(Self.target(Self.decide("Prescott", Self.avx2, OpenBLASVersion(0, 2, 8))) == "Sandybridge")
        // Nothing better than the current core: advise installing a newer OpenBLAS.
        guard case .advise(let text) = Self.decide("Prescott", Self.avx2, OpenBLASVersion(0, 1, 0)) else {
            Issue.record("0.1.0 should get advice")
            return
        }
        #expect(text.contains("newer OpenBLAS"))
        // An unreadable version: leave it.
        guard case .keep = Self.decide("Prescott", Self.avx2, nil) else {
            Issue.record("an unknown version should be kept")
            return
        }
    }

    @Test("a library built for one CPU (no DYNAMIC_ARCH) cannot switch: advice instead")
    func notDynamic() {
        guard case .advise(let text) = Self.decide("Prescott", Self.avx2, dynamic: false) else {
            Issue.record("expected advice")
            return
        }
        #expect(text.contains("DYNAMIC_ARCH"))
    }

    // MARK: The start-up policy

    static func plan(_ environment: [String: String], core: String = "Prescott", inProcess: Bool = true) -> BLASSetup.Action {
        BLASSetup.plan(
            environment: environment, core: core, cpu: avx2, version: v0_3_21, dynamicArch: true,
            canSwitchInProcess: inProcess)
    }

    @Test("the policy switches in this process when it can, and says how to turn it off")
    func switchesInProcess() {
        guard case .switchInProcess(let core, let message) = Self.plan([:]) else {
            Issue.record("expected an in-process switch, got \(Self.plan([:]))")
            return
        }
        #expect(core == "Haswell")
        #expect(message.contains("Prescott") && message.contains("NOLA_BLAS_CORE=keep"))
        #expect(!message.contains("\n"))
        guard case .restart = Self.plan([BLASSetup.mechanismVariable: "restart"]) else {
            Issue.record("the test variable should force the restart path")
            return
        }
    }

    @Test("a user's OPENBLAS_CORETYPE, NOLA_BLAS_CORE=keep and a good core all leave OpenBLAS alone")
    func leavesAlone() {
        for environment in [["OPENBLAS_CORETYPE": "Prescott"], ["NOLA_BLAS_CORE": "keep"], ["NOLA_BLAS_CORE": "KEEP"]] {
            guard case .nothing = Self.plan(environment) else {
                Issue.record("\(environment) should leave OpenBLAS alone, got \(Self.plan(environment))")
                continue
            }
        }
        guard case .nothing = Self.plan([:], core: "Zen") else {
            Issue.record("Zen on an AVX2 CPU should be kept")
            return
        }
    }

    @Test("the restart happens at most once: the restarted process never restarts again")
    func restartsOnce() {
        guard case .restart(let core, let added, let message) = Self.plan([:], inProcess: false) else {
            Issue.record("expected a restart when OpenBLAS cannot switch in-process")
            return
        }
        #expect(core == "Haswell" && added["OPENBLAS_CORETYPE"] == "Haswell")
        #expect(message.contains("restarting once"))
        // The new process sees the added variables. Even if OpenBLAS still reported Prescott
        // there (a core it could not load), it must not restart again.
        for reported in ["Haswell", "Prescott"] {
            guard case .nothing(let note) = Self.plan(added, core: reported, inProcess: false) else {
                Issue.record("the restarted process would restart again (reporting \(reported))")
                continue
            }
            #expect(note.contains("not again"))
        }
    }

    // MARK: cpuid

    /// The four bytes of `text` as the little-endian word cpuid returns.
    static func word(_ text: String) -> UInt32 {
        text.utf8.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    @Test("cpuid registers decode to family, model, vendor and the OS-enabled SIMD flags")
    func decodesRegisters() {
        let vendor = SIMD4<UInt32>(0x20, Self.word("Genu"), Self.word("ntel"), Self.word("ineI"))
        // Family 6, model 207 (0xCF: extended model 0xC, model 0xF), stepping 2.
        let leaf1 = SIMD4<UInt32>(0x000C_06F2, 0, (1 << 0) | (1 << 12) | (1 << 27) | (1 << 28), 0)
        let leaf7 = SIMD4<UInt32>(0, (1 << 5) | (1 << 16) | (1 << 17) | (1 << 30) | (1 << 31), 0, 0)
        let leaf7Sub1 = SIMD4<UInt32>(1 << 5, 0, 0, 0)
        let xeon = CPUFeatures(leaf0: vendor, leaf1: leaf1, leaf7: leaf7, leaf7Sub1: leaf7Sub1, xcr0: 0xE7)
        #expect(xeon.vendor == "GenuineIntel" && xeon.family == 6 && xeon.model == 207)
        #expect(xeon.avx2 && xeon.fma && xeon.avx512f && xeon.avx512bf16 && xeon.simdLevel == .avx512)
        // The same CPU under an OS that does not save the AVX-512 registers (XCR0 bits 5–7 off).
        let noZMM = CPUFeatures(leaf0: vendor, leaf1: leaf1, leaf7: leaf7, leaf7Sub1: leaf7Sub1, xcr0: 0x07)
        #expect(!noZMM.avx512f && noZMM.simdLevel == .avx2)
        // Nor the AVX registers (or no OSXSAVE): SSE only.
        let noYMM = CPUFeatures(leaf0: vendor, leaf1: leaf1, leaf7: leaf7, leaf7Sub1: leaf7Sub1, xcr0: 0x03)
        #expect(!noYMM.avx && !noYMM.avx2 && noYMM.simdLevel == .sse)
        // AMD family 25 (0xF + extended 0x0A), model 1: this machine's kind (Zen 3).
        let zen3 = CPUFeatures(
            leaf0: SIMD4(0x10, Self.word("Auth"), Self.word("cAMD"), Self.word("enti")),
            leaf1: SIMD4(0x00A0_0F11, 0, (1 << 0) | (1 << 12) | (1 << 27) | (1 << 28), 0),
            leaf7: SIMD4(0, 1 << 5, 0, 0), leaf7Sub1: .zero, xcr0: 0x07)
        #expect(zen3.vendor == "AuthenticAMD" && zen3.family == 25 && zen3.model == 1 && zen3.simdLevel == .avx2)
    }

    @Test("versions are read from openblas_get_config()")
    func parsesVersions() {
        #expect(OpenBLASVersion(config: "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64")
            == OpenBLASVersion(0, 3, 21))
        #expect(OpenBLASVersion(config: "OpenBLAS 0.3.28.dev DYNAMIC_ARCH") == OpenBLASVersion(0, 3, 28))
        #expect(OpenBLASVersion(config: "OpenBLAS 0.2 USE64BITINT") == OpenBLASVersion(0, 2, 0))
        #expect(OpenBLASVersion(config: "BLIS 1.0") == nil)
        #expect(OpenBLASVersion(config: "") == nil)
        #expect(OpenBLASVersion(0, 3, 9) < OpenBLASVersion(0, 3, 21))
        #expect(OpenBLASInfo.current.version != nil, "this machine's OpenBLAS: \(OpenBLASInfo.current.config)")
    }
}

/// `PeakFlops.estimate` on `/proc/cpuinfo` texts.
@Suite("Machine: the CPU's peak GFLOPS")
struct MachinePeakFlopsTests {
    /// `/proc/cpuinfo` with one block per logical CPU.
    static func cpuinfo(_ cpus: [(physical: Int, core: Int)], megahertz: Double) -> String {
        cpus.enumerated().map { i, c in
            "processor\t: \(i)\ncpu MHz\t\t: \(megahertz)\nphysical id\t: \(c.physical)\ncore id\t\t: \(c.core)\n"
        }.joined(separator: "\n")
    }

    @Test("this machine's kind: 2 Zen 3 cores, AVX2, 2.45 GHz → 2 × 2 × 8 × 2 × 2.45 = 156.5 GFLOPS")
    func zen3() throws {
        let text = Self.cpuinfo([(0, 0), (0, 1)], megahertz: 2445.432)
        let peak = try #require(PeakFlops.estimate(cpu: MachineBLASCoreTests.avx2, cpuinfo: text, fallbackCores: 2))
        #expect(peak.cores == 2 && peak.fmaUnits == 2 && peak.floatsPerRegister == 8)
        #expect(abs(peak.gflops - 156.507648) < 1e-6)
        #expect(peak.formula.contains("= 156.5 GFLOPS"))
        #expect(peak.assumptions.count == 3)
    }

    @Test("hyper-threads count once; AVX-512 Xeons get 16 floats × 2 units; Zen 1 and Zen 4 one unit")
    func families() throws {
        // Two sockets × 2 cores × 2 threads: 4 physical cores.
        let smt = Self.cpuinfo([(0, 0), (0, 1), (0, 0), (0, 1), (1, 0), (1, 1), (1, 0), (1, 1)], megahertz: 2000)
        let xeon = try #require(PeakFlops.estimate(cpu: MachineBLASCoreTests.avx512, cpuinfo: smt, fallbackCores: 8))
        #expect(xeon.cores == 4 && xeon.fmaUnits == 2 && xeon.floatsPerRegister == 16)
        #expect(xeon.gflops == 4 * 2 * 16 * 2 * 2.0)
        var zen1 = MachineBLASCoreTests.avx2
        zen1.family = 0x17
        zen1.model = 0x08
        #expect(try #require(PeakFlops.estimate(cpu: zen1, cpuinfo: smt, fallbackCores: 8)).fmaUnits == 1)
        var zen4 = MachineBLASCoreTests.avx512
        zen4.vendor = "AuthenticAMD"
        zen4.family = 0x19
        zen4.model = 0x61
        let peak4 = try #require(PeakFlops.estimate(cpu: zen4, cpuinfo: smt, fallbackCores: 8))
        #expect(peak4.fmaUnits == 1 && peak4.floatsPerRegister == 16)
        let sse = try #require(PeakFlops.estimate(cpu: MachineBLASCoreTests.sseOnly, cpuinfo: smt, fallbackCores: 8))
        #expect(sse.fmaUnits == 1 && sse.floatsPerRegister == 4)
    }

    @Test("no core ids: logical CPUs are counted; no clock: no estimate")
    func missingFields() throws {
        let noIDs = "processor\t: 0\ncpu MHz\t\t: 3000.0\n\nprocessor\t: 1\ncpu MHz\t\t: 3100.5\n"
        let peak = try #require(PeakFlops.estimate(cpu: MachineBLASCoreTests.avx2, cpuinfo: noIDs, fallbackCores: 2))
        #expect(peak.cores == 2 && peak.megahertz == 3100.5)
        #expect(peak.assumptions[0].contains("logical CPUs"))
        #expect(PeakFlops.estimate(cpu: MachineBLASCoreTests.avx2, cpuinfo: "processor\t: 0\n", fallbackCores: 2) == nil)
    }
}
