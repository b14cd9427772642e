import Foundation
import Testing

@testable import NOLAKit

@Suite("Messages: file error reasons, one line")
struct FileErrorReasonTests {
    @Test("Foundation's wrapped errors give the system's words, not NSCocoaErrorDomain codes")
    func systemWords() throws {
        let folder = try DataTestSupport.temporaryFolder()
        var reasons: [String] = []
        do { try Data([1]).write(to: URL(fileURLWithPath: folder)) } catch { reasons.append(FileErrorReason.reason(error)) }
        do { _ = try Data(contentsOf: URL(fileURLWithPath: folder + "/none")) } catch { reasons.append(FileErrorReason.reason(error)) }
        do { try Data([1]).write(to: URL(fileURLWithPath: "/dev/full")) } catch { reasons.append(FileErrorReason.reason(error)) }
        #expect(reasons == ["Is a directory", "No such file or directory", "No space left on device"])
    }

    @Test("this project's errors pass through; writing a safetensors file over a folder names the reason")
    func ownErrors() throws {
        let e = DataFileError(path: "x", problem: "bad", fix: "fix it")
        #expect(FileErrorReason.reason(e) == "x: bad; fix it")
        let folder = try DataTestSupport.temporaryFolder()
        #expect { try SafeTensorsFile().write(to: URL(fileURLWithPath: folder)) } throws: { error in
            "\(error)" == "\(folder): cannot be written (Is a directory); check that its folder exists and is writable"
        }
    }

    @Test("control characters from a file are escaped: every message stays one line")
    func escaped() throws {
        #expect(OneLine.escaped("fc1\n.weight\t\u{7}") == "fc1\\n.weight\\t\\u{7}")
        #expect(OneLine.escaped("plain – ünïcode") == "plain – ünïcode")
        var file = SafeTensorsFile(tensors: ["fc1\nweight": SafeTensorsFile.Tensor(float32: [1], shape: [1])])
        file.metadata["format"] = "x"
        #expect { try Checkpoint.load(Sequential.mlp([2, 2], seed: 1).parameters, from: file, source: "a\nb.safetensors") } throws: {
            "\($0)" == "a\\nb.safetensors: has a tensor 'fc1\\nweight' that this model does not have (a checkpoint of another architecture)"
        }
        #expect("\(DataFileError(path: "x\ny", problem: "p", fix: "f"))" == "x\\ny: p; f")
    }
}
