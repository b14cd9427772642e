import CMachine

/// Subnormal ("denormal") floats, and turning them off.
///
/// A `Float` below 2⁻¹²⁶ ≈ 1.2·10⁻³⁸ in magnitude is subnormal: it gives up precision to get
/// closer to zero. Many CPUs handle such operands or results in microcode, tens to hundreds of
/// cycles each instead of one: this machine's SSE code (the baseline NOLAKit compiles to) is 2.6×
/// slower on subnormal inputs and 3.5× on subnormal results (measured on an AMD Zen 3), and
/// Intel CPUs are worse. Training produces them where gradients fade (frozen layers, tiny
/// learning-rate products, the tails of a softmax), and a step then slows down several times for
/// no visible reason (here, an Adam step of the 784-256-10 MLP whose gradients were all
/// subnormal took 1.36–1.40× as long as a normal one; with flush-to-zero 1.01×).
///
/// Flush-to-zero (FTZ: a subnormal result becomes 0) and denormals-are-zero (DAZ: a subnormal
/// input reads as 0) make those operations full speed; the values lost are below 10⁻³⁸, far
/// below anything a Float32 network can notice, and PyTorch offers the same switch
/// (`torch.set_flush_denormal(True)`).
///
/// The switch lives in a per-thread register (MXCSR on x86-64, FPCR on arm64). A thread
/// inherits it only when it is created, and OpenBLAS creates its worker threads when it is
/// loaded, before `main`: setting FTZ/DAZ in `main` alone leaves them computing with
/// subnormals (measured: with FTZ/DAZ on the main thread only, a threaded product of subnormal
/// inputs flushed exactly the half of `C` that the main thread computed).
/// `flushToZeroEverywhere()` therefore also restarts OpenBLAS's workers, which are created again
/// at the next threaded call by the calling thread, with its setting.
public enum Subnormals {
    /// Whether the calling thread flushes subnormals to zero.
    public static var areFlushedOnThisThread: Bool { nola_flush_subnormals_get() != 0 }

    /// Turns flush-to-zero and denormals-are-zero on or off for the calling thread only;
    /// returns the previous state.
    @discardableResult
    public static func setFlushToZeroOnThisThread(_ on: Bool) -> Bool {
        nola_flush_subnormals_set(on ? 1 : 0) != 0
    }

    /// Flush-to-zero on the calling thread and on OpenBLAS's workers (restarted so that they
    /// inherit it). Call it at the start of a program, on its main thread, while no BLAS call
    /// runs. Returns whether the workers could be restarted (false: an OpenBLAS without
    /// `blas_thread_shutdown_`, whose workers keep their own setting).
    @discardableResult
    public static func flushToZeroEverywhere() -> Bool {
        setFlushToZeroOnThisThread(true)
        return nola_openblas_restart_threads() != 0
    }
}
