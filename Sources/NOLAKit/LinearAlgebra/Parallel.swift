import Dispatch

/// Runs the independent pieces of a loop on every core: the attention of each (sequence, head)
/// pair, the rows of a softmax, the elements of GELU.
///
/// BLAS splits its own large products across cores; the loops around many small products or
/// element-wise work would otherwise run on one core while the others idle. The split is static
/// (worker `w` always gets the same slice for the same count), and each item is computed by the
/// same code whichever worker runs it, so these loops give the same bits on any core count.
/// (OpenBLAS's own products need not: at some shapes its rounding depends on its thread count,
/// so a run is repeatable bit for bit at a fixed `BLAS.threads`.)
public enum Parallel {
    /// The number of workers: OpenBLAS's thread count (the machine's cores unless set lower),
    /// so `BLAS.threads = 1` makes everything single-threaded.
    public static var workers: Int { max(1, BLAS.threads) }

    /// Calls `body(worker, slice)` for consecutive slices of `0..<count`, one per worker, in
    /// parallel; on one worker (or when `count < 2 · minimumPerWorker`) just `body(0, 0..<count)`.
    public static func forEachSlice(_ count: Int, minimumPerWorker: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        forEachSlice(count, minimumPerWorker: minimumPerWorker, workers: workers, body)
    }

    /// `forEachSlice` over at most `workers` workers (`body`'s worker index stays below it): for
    /// callers that size per-worker buffers first.
    public static func forEachSlice(_ count: Int, minimumPerWorker: Int = 1, workers: Int, _ body: (Int, Range<Int>) -> Void) {
        let n = min(max(1, workers), max(1, count / max(1, minimumPerWorker)))
        guard n > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        // The callers' loops write disjoint slices of their buffers: the work is safe to share,
        // though the compiler cannot prove it.
        withoutActuallyEscaping(body) { work in
            let shared = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: n) { w in
                shared.value(w, (count * w / n)..<(count * (w + 1) / n))
            }
        }
    }
}

/// A value handed to other threads by code that guarantees they use it safely.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
