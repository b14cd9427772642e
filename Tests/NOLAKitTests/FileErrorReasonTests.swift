import Foundation
import Testing

@testable import NOLAKit

@Suite("File error reasons")
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
}
