import Foundation
import Testing

@testable import NOLAKit

@Suite("safetensors files")
struct SafeTensorsTests {
    static func sample() -> SafeTensorsFile {
        SafeTensorsFile(
            metadata: ["method": "nola", "note": "quote \" and backslash \\ and ünïcode"],
            tensors: [
                "fc1.alpha": .init(float32: [1, -2.5, 3.25], shape: [3]),
                "fc1.w": .init(Matrix([[1, 2, 3], [4, 5, 6]])),
                "half": .init(float16: [0.5, -1, 65504], shape: [3]),
                "packed": .init(dtype: .u8, shape: [5], bytes: [0, 1, 2, 254, 255]),
                "empty": .init(float32: [], shape: [0]),
            ])
    }

    @Test("round trip keeps metadata, dtypes, shapes and bytes")
    func roundTrip() throws {
        let file = Self.sample()
        let bytes = file.encoded()
        let back = try SafeTensorsFile.decode(bytes, source: "mem")
        #expect(back == file)
        #expect(back.tensors["fc1.alpha"]?.floats == [1, -2.5, 3.25])
        #expect(back.tensors["half"]?.floats == [0.5, -1, 65504])
        #expect(try back.matrix("fc1.w", rows: 2, cols: 3, source: "mem") == Matrix([[1, 2, 3], [4, 5, 6]]))
        #expect(back.tensors["packed"]?.floats == nil)
    }

    @Test("encoding is deterministic and the header is 8-byte aligned")
    func deterministic() {
        let a = Self.sample().encoded()
        let b = Self.sample().encoded()
        #expect(a == b)
        let n = Int(UInt64(littleEndianBytes: a[0..<8]))
        #expect(n % 8 == 0)
        #expect(a[8] == UInt8(ascii: "{"))
    }

    @Test("writes and reads a real file")
    func fileRoundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.sample().write(to: url)
        #expect(try SafeTensorsFile.read(from: url) == Self.sample())
    }

    @Test("a missing file or folder gives one line naming the path")
    func missing() {
        let url = URL(fileURLWithPath: "/nonexistent-dir/x.safetensors")
        #expect { try SafeTensorsFile.read(from: url) } throws: { error in
            "\(error)".hasPrefix("/nonexistent-dir/x.safetensors: cannot be read")
        }
        #expect { try Self.sample().write(to: url) } throws: { error in
            "\(error)".contains("cannot be written")
        }
    }

    @Test("every truncation is rejected, never a crash")
    func truncations() {
        let bytes = Self.sample().encoded()
        for cut in 0..<bytes.count {
            #expect(throws: SafeTensorsError.self) {
                try SafeTensorsFile.decode(Array(bytes[0..<cut]), source: "cut")
            }
        }
    }

    /// A file with `header` as its JSON header and `data` after it.
    static func file(header: String, data: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out += $0 }
        return out + Array(header.utf8) + data
    }

    @Test("corrupted headers are rejected with the problem named", arguments: [
        ("not json", "not a JSON object"),
        ("[1,2]", "not a JSON object"),
        (#"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, "dtype F64"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, "does not match"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, "does not match"),
        (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, "truncated"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, "hole"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "after the last tensor"),
        (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#, "shape"),
        (#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#, "shape"),
        (#"{"a":{"dtype":"F32","shape":[2]}}"#, "data_offsets"),
        (#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, "no dtype"),
        (#"{"__metadata__":{"k":1}}"#, "not a string"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "overlap"),
    ])
    func corrupted(header: String, expected: String) {
        let bytes = Self.file(header: header, data: [UInt8](repeating: 0, count: 8))
        #expect { try SafeTensorsFile.decode(bytes, source: "bad.safetensors") } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("bad.safetensors: ") && text.contains(expected) && !text.contains("\n")
        }
    }

    @Test("an absurd header length is rejected before allocating")
    func absurdLength() {
        var bytes = [UInt8](repeating: 0xff, count: 8)
        bytes += Array("{}".utf8)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.decode(bytes, source: "x") }
    }

    @Test("shape checks when reading a matrix")
    func matrixShape() throws {
        let file = Self.sample()
        #expect(throws: SafeTensorsError.self) { try file.matrix("fc1.w", rows: 3, cols: 2, source: "m") }
        #expect(throws: SafeTensorsError.self) { try file.matrix("nope", rows: 1, cols: 1, source: "m") }
        #expect(throws: SafeTensorsError.self) { try file.matrix("packed", rows: 1, cols: 5, source: "m") }
        #expect(try file.matrix("fc1.alpha", rows: 1, cols: 3, source: "m").data == [1, -2.5, 3.25])
    }
}
