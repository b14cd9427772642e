import Foundation
@testable import NOLAKit

/// The reference implementations the metric tests compare against when this machine has them:
/// the E2E data, the Stanford tokenizer jar of pycocoevalcap (with java), and Python packages.
enum TextMetricsReferenceTools {
    /// `/work/shared/data/e2e` or `../shared/data/e2e` or `data/e2e`, whichever holds the test set.
    static let e2eFolder: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let candidates = [
            ProcessInfo.processInfo.environment["NOLA_E2E_DIR"],
            root.appendingPathComponent("data/e2e").path,
            root.appendingPathComponent("../shared/data/e2e").standardized.path,
            "/work/shared/data/e2e",
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/testset_w_refs.csv") }
    }()

    /// Runs `arguments` (through /usr/bin/env), feeding `input`; nil when it cannot start.
    static func run(_ arguments: [String], input: String? = nil) -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let inPipe = Pipe()
        process.standardInput = inPipe
        guard (try? process.run()) != nil else { return nil }
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The Stanford CoreNLP 3.4.1 jar that pycocoevalcap ships, when python3 has pycocoevalcap and java runs.
    static let stanfordJar: String? = {
        guard let java = run(["java", "-version"]), java.status == 0,
              let py = run(["python3", "-c", "import importlib.util as u; print(list(u.find_spec('pycocoevalcap').submodule_search_locations)[0])"]),
              py.status == 0 else { return nil }
        let jar = py.output.trimmingCharacters(in: .whitespacesAndNewlines) + "/tokenizer/stanford-corenlp-3.4.1.jar"
        return FileManager.default.fileExists(atPath: jar) ? jar : nil
    }()

    /// The Java PTBTokenizer's output for `lines`, run as the COCO scorer runs it, one line per input line.
    static func javaPTB(_ lines: [String]) throws -> [String] {
        guard let jar = stanfordJar else { return [] }
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ptb-\(UUID().uuidString).txt")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        guard let result = run(["java", "-cp", jar, "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase", file.path]),
              result.status == 0 else { return [] }
        return result.output.components(separatedBy: "\n")
    }

    /// The E2E references (dev and test), in file order, read with the scorer's CSV reader.
    static func e2eReferences() throws -> [String] {
        guard let folder = e2eFolder else { return [] }
        return try ["devset.csv", "testset_w_refs.csv"].flatMap {
            try E2EScorerInput.readReferences(folder + "/" + $0).flatMap { $0 }
        }
    }
}
