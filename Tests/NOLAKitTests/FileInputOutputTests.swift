import Foundation
import Testing

@testable import NOLAKit

/// `InputFile` (what stands at a path, said in one line; streams for the tools) and `AtomicFile`
/// (whole or nothing, and no temporary file left behind by a run that was killed).
@Suite("Files: reading inputs, writing atomically")
struct FileInputOutputTests {
    func folder() throws -> URL { URL(fileURLWithPath: try DataTestSupport.temporaryFolder("files")) }

    /// The `DataFileError` thrown by `body`.
    func problem(_ body: () throws -> Void) -> DataFileError? {
        do {
            try body()
        } catch let error as DataFileError {
            #expect(!error.description.contains("\n"))
            return error
        } catch {
            Issue.record("not a DataFileError: \(error)")
        }
        return nil
    }

    @Test("a regular file is read; a folder, a named pipe, a device, a dangling link are named as such")
    func kinds() throws {
        let dir = try folder()
        let file = dir.appendingPathComponent("data.csv")
        try Data("mr,ref\n".utf8).write(to: file)
        #expect(try InputFile.read(file.path, missing: "-") == Array("mr,ref\n".utf8))
        #expect(problem { _ = try InputFile.read(dir.path, missing: "-", role: "E2E CSV file") }?.problem == "is a folder, not a file")
        let fifo = dir.appendingPathComponent("pipe")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        // Without streams a named pipe is refused before it is opened (opening it would wait for a writer).
        #expect(problem { _ = try InputFile.read(fifo.path, missing: "-") }?.problem == "is a named pipe (FIFO), not a regular file")
        #expect(problem { _ = try InputFile.read("/dev/null", missing: "-") }?.problem == "is a device, not a regular file")
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: dir.appendingPathComponent("gone").path)
        #expect(problem { _ = try InputFile.read(link.path, missing: "-") }?.problem == "is a symbolic link to a file that does not exist")
        let missing = problem { _ = try InputFile.read(dir.appendingPathComponent("nothing").path, missing: "put it there") }
        #expect(missing?.problem == "not found" && missing?.fix == "put it there")
        #expect(problem { _ = try InputFile.read(file.path + "/below", missing: "-") }?.problem == "not found")
    }

    @Test("with streams: a named pipe is read to its end, a device too; `limit` bounds what is read")
    func streams() throws {
        let dir = try folder()
        let fifo = dir.appendingPathComponent("pipe")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let writer = Thread {
            let descriptor = open(fifo.path, O_WRONLY)
            _ = Array("from a pipe\n".utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        writer.start()
        #expect(try InputFile.read(fifo.path, streams: true, missing: "-") == Array("from a pipe\n".utf8))
        #expect(try InputFile.read("/dev/null", streams: true, missing: "-").isEmpty)
        #expect(problem { _ = try InputFile.read("/dev/zero", streams: true, limit: 1000, missing: "-") }?.problem
            == "holds more than 1000 bytes")
    }

    @Test("an atomic write leaves the file and nothing else; a failed one leaves nothing, and says why")
    func atomicWrite() throws {
        let dir = try folder()
        let url = dir.appendingPathComponent("out.bin")
        try AtomicFile.write([1, 2, 3], to: url)
        try AtomicFile.write([4, 5], to: url)
        #expect(try Data(contentsOf: url) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
        let blocked = dir.appendingPathComponent("a-folder")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
        #expect(throws: (any Error).self) { try AtomicFile.write([1], to: blocked) }
        do {
            try AtomicFile.write([1], to: blocked)
        } catch {
            #expect(FileErrorReason.reason(error) == "Is a directory")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a-folder", "out.bin"])
        do {
            try AtomicFile.write([1], to: dir.appendingPathComponent("no-such-folder/x"))
            Issue.record("wrote into a folder that does not exist")
        } catch {
            #expect(FileErrorReason.reason(error) == "No such file or directory")
        }
    }

    @Test("temporary files of writers that are gone are removed; a running writer's and young Foundation ones are kept")
    func abandoned() throws {
        let dir = try folder()
        let dead = ".cache.safetensors.partial-2147483646-ab12"      // no such process
        let alive = ".cache.safetensors.partial-\(getpid())-cd34"    // this process: still writing
        let oldFoundation = ".dat.nosync1a2b.XyZ123", youngFoundation = ".dat.nosync3c4d.AbC456"
        for name in [dead, alive, oldFoundation, youngFoundation, "cache.safetensors", ".hidden"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7_200)],
                                              ofItemAtPath: dir.appendingPathComponent(oldFoundation).path)
        #expect(AtomicFile.removeAbandoned(in: dir).sorted() == [dead, oldFoundation].sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            == [".hidden", alive, youngFoundation, "cache.safetensors"].sorted())
        #expect(AtomicFile.removeAbandoned(in: dir.appendingPathComponent("nowhere")).isEmpty)
    }
}
