import Foundation
import Testing
@testable import LessonKit
import NOLAKit

/// `MachineSetup` for real, each run in a child process of its own (an exit test), so that its
/// once-per-process switch and restart touch nothing else. OpenBLAS chose well on the CPUs this
/// runs on, so the child pretends it chose Prescott (`NOLA_BLAS_TEST_PRETEND_CORE`).
@Suite("MachineSetup: OpenBLAS's kernels and flush-to-zero at start")
struct MachineSetupTests {
    /// The core the rule picks when OpenBLAS has chosen Prescott on this CPU, or nil when it
    /// would keep it (an SSE-only CPU), and the tests have nothing to show.
    static var targetForPrescott: String? {
        let info = OpenBLASInfo.current
        guard info.isDynamicArch, case .switchTo(let core, _) = OpenBLASCore.decide(
            core: "Prescott", cpu: .current, version: info.version, dynamicArch: true)
        else { return nil }
        return core
    }

    @Test("a Prescott choice is switched in this process: one line, and OpenBLAS then reports the new core")
    func switchesInProcess() async throws {
        guard let target = Self.targetForPrescott else { return }
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            setenv("NOLA_BLAS_TEST_PRETEND_CORE", "Prescott", 1)
            unsetenv("OPENBLAS_CORETYPE")
            unsetenv("NOLA_BLAS_CORE")
            let lines = MachineSetup.prepare()
            let again = MachineSetup.prepare()  // once per process
            print("lines \(lines.count) \(again.count)")
            print("core \(OpenBLASInfo.current.core)")
            print("flushing \(Subnormals.areFlushedOnThisThread)")
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        let notes = output.split(separator: "\n").filter { $0.hasPrefix("note: ") }
        #expect(notes.count == 1, "\(output)")
        #expect(notes.first?.contains("switched to \(target)") == true, "\(output)")
        #expect(notes.first?.contains("NOLA_BLAS_CORE=keep") == true)
        #expect(output.contains("lines 1 1\n"), "\(output)")
        #expect(output.contains("core \(target)\n"), "\(output)")
        #expect(output.contains("flushing true\n"), "\(output)")
    }

    /// Not a test by itself: the program that `restartsOnce` runs in a child process (this test
    /// binary, filtered to this function). Without `NOLA_BLAS_TEST_PROBE` it does nothing.
    @Test("(the child program of the restart test; does nothing on its own)")
    func restartProbe() {
        guard ProcessInfo.processInfo.environment["NOLA_BLAS_TEST_PROBE"] != nil else { return }
        print("probe start, pid \(getpid())")
        MachineSetup.prepare()
        let marker = ProcessInfo.processInfo.environment[BLASSetup.restartMarker] ?? "no"
        print("probe end, core \(OpenBLASInfo.current.core), restarted \(marker)")
    }

    @Test("without the in-process switch the program restarts itself exactly once")
    func restartsOnce() throws {
        #if os(Linux)
            guard let target = Self.targetForPrescott else { return }
            // This test binary, running only `restartProbe`: MachineSetup restarts it (execv of
            // /proc/self/exe with the same arguments), and the restarted process must not
            // restart again.
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["--testing-library", "swift-testing", "--filter", "restartProbe"]
            var environment = ProcessInfo.processInfo.environment
            for name in ["OPENBLAS_CORETYPE", BLASSetup.optOutVariable, BLASSetup.restartMarker] {
                environment[name] = nil
            }
            environment[BLASSetup.pretendCoreVariable] = "Prescott"
            environment[BLASSetup.mechanismVariable] = "restart"
            environment["NOLA_BLAS_TEST_PROBE"] = "1"
            child.environment = environment
            let output = Pipe()
            child.standardOutput = output
            child.standardError = FileHandle.nullDevice
            try child.run()
            // A restart loop would never end: stop it after 60 s (a normal run takes a fraction of a second).
            let watchdog = DispatchWorkItem { if child.isRunning { child.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
            let data = output.fileHandleForReading.readDataToEndOfFile()
            child.waitUntilExit()
            watchdog.cancel()
            let text = String(decoding: data, as: UTF8.self)
            let lines = text.split(separator: "\n")
            #expect(child.terminationStatus == 0, "\(text)")
            #expect(lines.filter { $0.hasPrefix("probe start") }.count == 2, "the program and its one restart\n\(text)")
            #expect(lines.filter { $0.contains("restarting once with OPENBLAS_CORETYPE=\(target)") }.count == 1, "\(text)")
            #expect(lines.filter { $0.hasPrefix("probe end") } == ["probe end, core \(target), restarted \(target)"], "\(text)")
        #endif
    }

    @Test("a user's OPENBLAS_CORETYPE is never overridden")
    func keepsUsersChoice() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            setenv("NOLA_BLAS_TEST_PRETEND_CORE", "Prescott", 1)
            setenv("OPENBLAS_CORETYPE", "Prescott", 1)  // as if the user had set it (read at start here only by us)
            let core = OpenBLASInfo.current.core
            let lines = MachineSetup.prepare()
            print("lines \(lines.count) same \(OpenBLASInfo.current.core == core)")
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        #expect(output.contains("lines 0 same true"), "\(output)")
    }

    @Test("OpenBLAS's idle workers are set to sleep at once; a user's OPENBLAS_THREAD_TIMEOUT is kept; the variable is not left behind")
    func threadTimeout() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let before = BLASSetup.threadTimeout
            MachineSetup.prepare()
            print("before \(before.map(String.init) ?? "nil") after \(BLASSetup.threadTimeout.map(String.init) ?? "nil") left \(getenv("OPENBLAS_THREAD_TIMEOUT") != nil)")
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        #expect(output.contains("before 0 after 4 left false"), "\(output)")
        let kept = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            setenv("OPENBLAS_THREAD_TIMEOUT", "12", 1)  // as if the user had set it
            print("shortened \(BLASSetup.shortenThreadTimeout()) value \(String(cString: getenv("OPENBLAS_THREAD_TIMEOUT")))")
        }
        let keptOutput = String(decoding: kept?.standardOutputContent ?? [], as: UTF8.self)
        #expect(keptOutput.contains("shortened false value 12"), "\(keptOutput)")
    }
}
