import Foundation
import NOLAKit

/// What every lesson (through `Lesson.init`) and the benchmarks do first, once per process,
/// after their arguments are parsed (so `--help` and a bad flag stay instant):
///
/// 1. OpenBLAS's kernels: when OpenBLAS fell back to a generic core on this CPU (Prescott on a
///    CPU newer than the library, say), switch to the best core it has, in this process, or by
///    restarting once (`BLASSetup`). One line says what was done and how to turn it off
///    (`NOLA_BLAS_CORE=keep`); nothing is printed when OpenBLAS chose well.
/// 2. OpenBLAS's idle workers sleep at once instead of spinning for about 0.1 s after each
///    product (`BLASSetup.shortenThreadTimeout`), so that our own parallel loops get the cores;
///    an `OPENBLAS_THREAD_TIMEOUT` of your own is kept.
/// 3. Subnormal floats are flushed to zero on this thread and on OpenBLAS's workers
///    (`Subnormals`), as PyTorch's `set_flush_denormal(True)` does: a training step then never
///    slows down on gradients below 10⁻³⁸.
public enum MachineSetup {
    /// Runs the setup; only the first call in a process does anything. Returns the lines it
    /// printed on standard output (none when OpenBLAS chose well).
    @discardableResult
    public static func prepare() -> [String] { once }

    private static let once: [String] = {
        var lines: [String] = []
        func say(_ line: String) {
            print(line)
            lines.append(line)
        }
        switch BLASSetup.planForThisProcess() {
        case .nothing:
            break
        case .advise(let message):
            say("note: " + message)
        case .switchInProcess(let core, let message):
            let now = BLASSetup.switchCore(to: core)
            say(now.lowercased() == core.lowercased()
                ? "note: " + message
                : "note: tried to switch OpenBLAS to \(core), but it reports \(now); set OPENBLAS_CORETYPE=\(core) yourself.")
        case .restart(_, let environment, let message):
            say("note: " + message)
            let failure = BLASSetup.restart(adding: environment)  // returns only if exec failed
            say("note: \(failure); going on with OpenBLAS's own choice.")
        }
        BLASSetup.shortenThreadTimeout()
        Subnormals.flushToZeroEverywhere()
        return lines
    }()
}
