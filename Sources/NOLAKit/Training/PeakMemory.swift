import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension ProcessMemory {
    /// Starts a new peak-memory window (Linux: writes `5` to `/proc/self/clear_refs`, which sets
    /// the peak resident set `VmHWM` back to the current resident set), after handing freed heap
    /// memory back to the system (`malloc_trim`), so that one measurement's peak does not carry
    /// over into the next. Returns false where this is not available; `peakSinceResetBytes` is
    /// then nil.
    @discardableResult
    public static func resetPeak() -> Bool {
        releaseFreedHeap()
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
        } catch {
            return false
        }
        return true
    }

    /// glibc's `malloc_trim(0)`, looked up at run time (it is declared in `malloc.h`, which the
    /// Glibc module does not include); nothing elsewhere.
    private static func releaseFreedHeap() {
        #if canImport(Glibc)
            guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "malloc_trim") else { return }
            typealias Trim = @convention(c) (Int) -> Int32
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }

    /// The largest resident set since the last `resetPeak()` (or since the start), in bytes:
    /// `VmHWM` of `/proc/self/status`; nil where unavailable.
    public static var peakSinceResetBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
        return kib * 1024
    }
}
