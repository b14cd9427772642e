import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How much memory (and CPU time) this process uses: for peak-memory figures (paper Table 2
/// reports training memory), for checking that a training loop does not grow step after step,
/// and for timing on a busy machine.
public enum ProcessMemory {
    /// The largest resident set of the process so far, in bytes (`getrusage`'s `ru_maxrss`:
    /// KiB on Linux, bytes on macOS). It never decreases.
    public static var peakResidentBytes: Int {
        var usage = rusage()
        #if os(Linux)
            guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
            return Int(usage.ru_maxrss) * 1024
        #else
            guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
            return Int(usage.ru_maxrss)
        #endif
    }

    /// The current resident set in bytes (Linux: `/proc/self/statm`), or nil where unavailable.
    public static var residentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// CPU seconds this process has used so far, all threads, user and system.
    public static var cpuSeconds: Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
