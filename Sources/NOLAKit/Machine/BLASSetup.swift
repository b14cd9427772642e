import CMachine
import COpenBLAS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What OpenBLAS this process runs: its version and build, the kernel family ("core") it chose,
/// its threads.
public struct OpenBLASInfo: Sendable, Equatable {
    /// `openblas_get_config()`: `OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64`.
    public let config: String
    /// `openblas_get_corename()`: `Zen`, `Haswell`, `Prescott`, …
    public let core: String
    /// Threads for a level-3 call.
    public let threads: Int
    /// The version in `config`, if any.
    public var version: OpenBLASVersion? { OpenBLASVersion(config: config) }
    /// Whether the library carries kernels for many CPUs and picks one at load time.
    public var isDynamicArch: Bool { config.split(separator: " ").contains("DYNAMIC_ARCH") }

    /// The library loaded in this process.
    public static var current: OpenBLASInfo {
        OpenBLASInfo(
            config: String(cString: openblas_get_config()), core: String(cString: openblas_get_corename()),
            threads: BLAS.threads)
    }

    /// `OpenBLAS 0.3.21, Zen kernels, 2 threads`.
    public var summary: String {
        "OpenBLAS \(version.map(\.description) ?? "(version unknown)"), \(core) kernels, \(threads) thread\(threads == 1 ? "" : "s")"
    }
}

/// Gives OpenBLAS the kernels the CPU deserves (see `OpenBLASCore`), once per process.
///
/// `OPENBLAS_CORETYPE` is read when libopenblas is loaded, before `main`, so setting it later in
/// the process changes nothing by itself. Two ways remain:
///
/// 1. **In this process** (used when possible): OpenBLAS's own selection runs again with the
///    variable set. A DYNAMIC_ARCH OpenBLAS exports the two functions it runs at load time,
///    `gotoblas_dynamic_quit` (forget the core) and `gotoblas_dynamic_init` (read
///    `OPENBLAS_CORETYPE`, select, set the block sizes). Called before the first BLAS call, they
///    leave the library as if the variable had been set at start (measured: Prescott switched to
///    Haswell in-process gives the GFLOPS of a process started with `OPENBLAS_CORETYPE=Haswell`,
///    and bit-identical products). No restart: no second argument parsing, no repeated output,
///    and it works under `swift test`, a debugger or the benchmark harness.
/// 2. **A restart**, when those functions are missing: `execv` of this program with the same
///    arguments and `OPENBLAS_CORETYPE` set, plus a marker variable so the new process never
///    restarts again.
///
/// A user's own `OPENBLAS_CORETYPE` is never overridden; `NOLA_BLAS_CORE=keep` turns the check
/// off. `plan(...)` is the whole policy, a pure function; `switchCore` and `restart` act.
public enum BLASSetup {
    /// `NOLA_BLAS_CORE=keep` leaves OpenBLAS's choice alone.
    public static let optOutVariable = "NOLA_BLAS_CORE"
    /// Set in a restarted process; its presence means: never restart again.
    public static let restartMarker = "NOLA_BLAS_RESTARTED"
    /// Tests only: pretend OpenBLAS chose this core (to exercise the switch on a CPU where
    /// OpenBLAS chose well).
    public static let pretendCoreVariable = "NOLA_BLAS_TEST_PRETEND_CORE"
    /// Tests only: `restart` takes the restart path even where the in-process switch works.
    public static let mechanismVariable = "NOLA_BLAS_TEST_MECHANISM"

    /// What to do at start.
    public enum Action: Sendable, Equatable {
        /// Nothing; `note`, when present, says why in one line (not printed by lessons).
        case nothing(note: String)
        /// Switch to `core` in this process, then print `message`.
        case switchInProcess(core: String, message: String)
        /// Print `message`, then restart with `environment` added.
        case restart(core: String, environment: [String: String], message: String)
        /// Print `message`: OpenBLAS's choice falls short and cannot be changed from here.
        case advise(message: String)
    }

    /// The policy. `environment` is the process's environment; `core`, `version`, `dynamicArch`
    /// describe the loaded OpenBLAS; `canSwitchInProcess` whether it exports the selection
    /// functions.
    public static func plan(
        environment: [String: String], core: String, cpu: CPUFeatures, version: OpenBLASVersion?,
        dynamicArch: Bool, canSwitchInProcess: Bool
    ) -> Action {
        if let chosen = environment[restartMarker] {
            return .nothing(note: "restarted once with OPENBLAS_CORETYPE=\(chosen); not again")
        }
        if let own = environment["OPENBLAS_CORETYPE"] {
            return .nothing(note: "OPENBLAS_CORETYPE=\(own) is set: kept as it is")
        }
        if environment[optOutVariable]?.lowercased() == "keep" {
            return .nothing(note: "\(optOutVariable)=keep: OpenBLAS's own choice (\(core)) is kept")
        }
        let turnOff = "\(optOutVariable)=keep turns this off, OPENBLAS_CORETYPE=<core> chooses yourself"
        switch OpenBLASCore.decide(core: core, cpu: cpu, version: version, dynamicArch: dynamicArch) {
        case .keep(let reason):
            return .nothing(note: reason)
        case .advise(let advice):
            return .advise(message: advice + " (\(turnOff)).")
        case .switchTo(let target, let reason):
            if canSwitchInProcess && environment[mechanismVariable] != "restart" {
                return .switchInProcess(core: target, message: "\(reason): switched to \(target) in this process (\(turnOff)).")
            }
            return .restart(
                core: target, environment: ["OPENBLAS_CORETYPE": target, restartMarker: target],
                message: "\(reason): restarting once with OPENBLAS_CORETYPE=\(target) (\(turnOff)).")
        }
    }

    /// The plan for this process, from its environment, CPU and OpenBLAS.
    public static func planForThisProcess() -> Action {
        let environment = ProcessEnvironment.current
        let info = OpenBLASInfo.current
        return plan(
            environment: environment, core: environment[pretendCoreVariable] ?? info.core, cpu: .current,
            version: info.version, dynamicArch: info.isDynamicArch, canSwitchInProcess: nola_openblas_can_switch_core() != 0)
    }

    /// Runs OpenBLAS's core selection again for `core`, in this process; returns the core
    /// OpenBLAS reports afterwards. Call it before any BLAS call runs, on one thread.
    @discardableResult
    public static func switchCore(to core: String) -> String {
        _ = core.withCString { nola_openblas_switch_core($0) }
        return OpenBLASInfo.current.core
    }

    /// `OPENBLAS_THREAD_TIMEOUT`: how long OpenBLAS's idle workers spin before they sleep,
    /// 2^value cycles; OpenBLAS's default is 2^28 (about 0.1 s), its minimum 2^4.
    public static let threadTimeoutVariable = "OPENBLAS_THREAD_TIMEOUT"

    /// Has OpenBLAS's idle workers sleep at once (2^4 cycles) instead of spinning for about 0.1 s
    /// after every threaded product, unless the environment sets `OPENBLAS_THREAD_TIMEOUT` itself.
    /// A spinning worker holds a core that our own parallel loops between the products
    /// (attention's pairs, GELU, LayerNorm) need: on 2 cores, at 4 blocks × 128 and 2 threads,
    /// attention took 16.5 ms per step with spinning workers and 8.8 ms without (`gpt-speed
    /// --phases`). The variable is set only while OpenBLAS reads it again, so that child
    /// processes (PyTorch, a baseline build) start with their own defaults. Returns whether the
    /// timeout was shortened. Call it only while no BLAS call runs.
    ///
    ///     BLASSetup.shortenThreadTimeout()   // once, at start (MachineSetup.prepare does)
    @discardableResult
    public static func shortenThreadTimeout() -> Bool {
        guard ProcessEnvironment.current[threadTimeoutVariable] == nil else { return false }
        setenv(threadTimeoutVariable, "4", 1)
        defer { unsetenv(threadTimeoutVariable) }
        return nola_openblas_reread_environment() != 0
    }

    /// The thread timeout OpenBLAS works with (the exponent; 0: its default, 2^28 cycles), or nil
    /// when the loaded OpenBLAS does not say.
    public static var threadTimeout: Int? {
        let value = Int(nola_openblas_thread_timeout())
        return value < 0 ? nil : value
    }

    /// Replaces this process by a fresh run of the same program with the same arguments and
    /// `environment` added. Returns only on failure, with the reason.
    public static func restart(adding environment: [String: String]) -> String {
        for (name, value) in environment { setenv(name, value, 1) }
        fflush(nil)  // all output streams: what was printed before must not be lost
        let executable = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : CommandLine.arguments[0]
        execv(executable, CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        for name in environment.keys { unsetenv(name) }
        return "could not restart \(executable): \(reason)"
    }
}

/// The process's environment variables as a dictionary.
enum ProcessEnvironment {
    static var current: [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}
