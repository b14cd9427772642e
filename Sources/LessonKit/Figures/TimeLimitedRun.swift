import Foundation

/// Runs a program with a time limit, in its own process group, its stderr in a file.
///
/// Used for gnuplot (`GnuplotRenderer`). Foundation's `Process` is not enough here: on Linux it
/// learns of the child's exit only when every process that inherited its descriptors has
/// closed them, so a gnuplot that left a child behind holds the lesson as long as that child
/// lives. `posix_spawn` with `waitpid` sees the exit itself, and a process group lets one
/// `kill` stop the program and everything it started.
enum TimeLimitedRun {
    enum Outcome: Equatable {
        /// The program exited with `status`; `messages` is what it wrote on stderr.
        case exited(status: Int32, messages: String)
        /// Stopped by signal `signal` (not ours).
        case signalled(Int32)
        /// Still running after the time limit: it and its process group were killed.
        case timedOut
        /// It could not be started: the system's reason.
        case notStarted(String)
    }

    /// Runs `executable` with `arguments`, stdin and stdout on /dev/null, for at most `seconds`.
    static func run(_ executable: String, _ arguments: [String], seconds: Double) -> Outcome {
        let log = NSTemporaryDirectory() + "nola-run-\(getpid())-\(UUID().uuidString).log"
        defer { unlink(log) }

        #if canImport(Glibc) || canImport(Musl)
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #else
            var actions: posix_spawn_file_actions_t? = nil
            var attributes: posix_spawnattr_t? = nil
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)  // its own group, led by itself

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // "Text file busy": a script written a moment ago, whose descriptor was open in another
        // thread while a process was being started (tests do this; they open such scripts
        // close-on-exec, so it clears within microseconds).
        for _ in 0..<50 where spawned == ETXTBSY {
            usleep(10_000)
            spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        guard spawned == 0 else { return .notStarted(String(cString: strerror(spawned))) }

        var status: Int32 = 0
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done == -1 && errno != EINTR { return .notStarted("lost track of it (\(String(cString: strerror(errno))))") }
            if ContinuousClock.now >= deadline {
                kill(-pid, SIGKILL)  // the whole group: the program and whatever it started
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                return .timedOut
            }
            usleep(5_000)
        }
        // The wait status, decoded as <sys/wait.h>'s macros do (they are not imported into Swift).
        if status & 0x7f != 0 { return .signalled(status & 0x7f) }
        let messages = FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return .exited(status: (status >> 8) & 0xff, messages: messages)
    }
}
