import Foundation

/// A `.safetensors` file: named tensors plus a string-to-string metadata map.
///
/// The format (Hugging Face's, read by its `safetensors` Python package):
///
///     8 bytes      N, the header length, unsigned little-endian
///     N bytes      a JSON object, UTF-8:
///                    "__metadata__": {"key": "value", ...}          (optional, strings only)
///                    "<name>": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}
///     the rest     the tensors' bytes, little-endian, row-major; offsets count from here
///
/// Writing is deterministic: tensors sorted by name, laid out in that order, JSON keys in a fixed
/// order, the header padded with spaces to a multiple of 8 bytes. Reading checks everything
/// (lengths, JSON, dtypes, shapes against byte counts, offsets inside the file, no overlaps or
/// holes) and throws a `SafeTensorsError` naming the file and the problem.
public struct SafeTensorsFile: Equatable, Sendable {
    /// The `__metadata__` map.
    public var metadata: [String: String]
    /// The tensors by name.
    public var tensors: [String: Tensor]

    /// One tensor: its element type, shape, and raw little-endian bytes.
    public struct Tensor: Equatable, Sendable {
        public var dtype: DType
        public var shape: [Int]
        public var bytes: [UInt8]

        /// A tensor from raw bytes; `bytes.count` must match `dtype` and `shape`.
        public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
            checkPrecondition(
                bytes.count == shape.reduce(1, *) * dtype.size,
                "SafeTensorsFile.Tensor: \(bytes.count) bytes for \(dtype.rawValue) \(shape)")
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// An `F32` tensor of the given shape.
        public init(float32 values: [Float], shape: [Int]) {
            checkPrecondition(values.count == shape.reduce(1, *), "F32 tensor: \(values.count) values for \(shape)")
            var bytes = [UInt8]()
            bytes.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
            self.init(dtype: .f32, shape: shape, bytes: bytes)
        }

        /// An `F16` tensor (values rounded to half precision).
        public init(float16 values: [Float], shape: [Int]) {
            checkPrecondition(values.count == shape.reduce(1, *), "F16 tensor: \(values.count) values for \(shape)")
            var bytes = [UInt8]()
            bytes.reserveCapacity(values.count * 2)
            for v in values { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { bytes += $0 } }
            self.init(dtype: .f16, shape: shape, bytes: bytes)
        }

        /// A 2-D `F32` tensor holding a matrix.
        public init(_ matrix: Matrix) {
            self.init(float32: matrix.data, shape: [matrix.rows, matrix.cols])
        }

        /// The number of elements.
        public var count: Int { shape.reduce(1, *) }

        /// The values as `Float`, for `F32` and `F16` tensors (`nil` for other dtypes).
        public var floats: [Float]? {
            switch dtype {
            case .f32:
                return (0..<count).map { i in
                    Float(bitPattern: UInt32(littleEndianBytes: bytes[(4 * i)..<(4 * i + 4)]))
                }
            case .f16:
                return (0..<count).map { i in
                    Float(Float16(bitPattern: UInt16(littleEndianBytes: bytes[(2 * i)..<(2 * i + 2)])))
                }
            default:
                return nil
            }
        }
    }

    /// The element types this project reads and writes.
    public enum DType: String, Sendable, CaseIterable {
        case f32 = "F32"
        case f16 = "F16"
        case i32 = "I32"
        case u8 = "U8"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f32, .i32: 4
            case .f16: 2
            case .u8: 1
            }
        }
    }

    public init(metadata: [String: String] = [:], tensors: [String: Tensor] = [:]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    // MARK: Writing

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append(
                "\(jsonString(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for name in names { out += tensors[name]!.bytes }
        return out
    }

    /// Writes the file atomically (`AtomicFile`: a temporary file renamed into place).
    public func write(to url: URL) throws {
        do {
            try AtomicFile.write(encoded(), to: url)
        } catch {
            throw SafeTensorsError(
                url.path, "cannot be written (\(FileErrorReason.reason(error))); check that its folder exists and is writable")
        }
    }

    // MARK: Reading

    /// Reads and checks a file.
    public static func read(from url: URL) throws -> SafeTensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError(url.path, "cannot be read (\(FileErrorReason.reason(error))); check the path")
        }
        return try decode([UInt8](data), source: url.path)
    }

    /// The largest header accepted (the reference implementation's limit).
    public static let maxHeaderBytes = 100 << 20

    /// Parses and checks a file's bytes; `source` names the file in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> SafeTensorsFile {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(source, problem) }

        guard bytes.count >= 8 else {
            throw fail("truncated: \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let headerLength = UInt64(littleEndianBytes: bytes[0..<8])
        guard headerLength <= UInt64(maxHeaderBytes) else {
            throw fail("bad header: declared length \(headerLength) bytes is not plausible")
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw fail("truncated: header declares \(headerLength) bytes but only \(bytes.count - 8) follow")
        }
        let headerEnd = 8 + Int(headerLength)
        guard
            let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
            let object = json as? [String: Any]
        else {
            throw fail("bad header: not a JSON object")
        }

        var file = SafeTensorsFile()
        var ranges: [(name: String, range: Range<Int>)] = []
        let dataLength = bytes.count - headerEnd
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail("bad header: __metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw fail("bad header: metadata '\(k)' is not a string") }
                    file.metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("bad header: entry '\(name)' is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw fail("bad header: '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)' has dtype \(dtypeName); this project reads \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let shape = intArray(info["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("bad header: '\(name)' has no valid shape")
            }
            guard let offsets = intArray(info["data_offsets"]), offsets.count == 2, offsets[0] >= 0,
                offsets[0] <= offsets[1]
            else {
                throw fail("bad header: '\(name)' has no valid data_offsets")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, count <= Int.max / dtype.size, count * dtype.size == offsets[1] - offsets[0] else {
                throw fail("tensor '\(name)': shape \(shape) of \(dtype.rawValue) does not match its \(offsets[1] - offsets[0]) bytes")
            }
            guard offsets[1] <= dataLength else {
                throw fail("truncated: tensor '\(name)' ends at byte \(offsets[1]) of the data but only \(dataLength) bytes follow the header")
            }
            let begin = headerEnd + offsets[0]
            file.tensors[name] = Tensor(dtype: dtype, shape: shape, bytes: Array(bytes[begin..<(headerEnd + offsets[1])]))
            ranges.append((name, offsets[0]..<offsets[1]))
        }
        // The data must be exactly covered: no overlaps, no holes, nothing after the last tensor.
        ranges.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var expected = 0
        for (name, range) in ranges {
            guard range.lowerBound == expected else {
                throw fail("bad layout: tensor '\(name)' starts at byte \(range.lowerBound), expected \(expected) (overlap or hole)")
            }
            expected = range.upperBound
        }
        guard expected == dataLength else {
            throw fail("bad layout: \(dataLength - expected) bytes after the last tensor")
        }
        return file
    }

    private static func intArray(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        for element in array {
            guard let n = element as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 0x1p53 else { return nil }
            out.append(Int(d))
        }
        return out
    }

    // MARK: Convenience

    /// The `F32`/`F16` tensor `name` as a `(rows, cols)` matrix, checking its shape; a 1-D
    /// tensor of `n` values reads as `(1, n)`.
    public func matrix(_ name: String, rows: Int, cols: Int, source: String) throws -> Matrix {
        guard let t = tensors[name] else {
            throw SafeTensorsError(source, "has no tensor '\(name)'")
        }
        guard t.shape.reduce(1, *) == rows * cols, t.shape == [rows, cols] || t.shape == [rows * cols] else {
            throw SafeTensorsError(source, "tensor '\(name)' has shape \(t.shape), expected [\(rows), \(cols)]")
        }
        guard let values = t.floats else {
            throw SafeTensorsError(source, "tensor '\(name)' is \(t.dtype.rawValue), expected F32 or F16")
        }
        return Matrix(rows: rows, cols: cols, data: values)
    }

    /// The metadata value `key`, or an error naming the file and the missing key.
    public func metadataValue(_ key: String, source: String) throws -> String {
        guard let v = metadata[key] else { throw SafeTensorsError(source, "metadata has no '\(key)'") }
        return v
    }
}

/// A problem with a `.safetensors` file: one line naming the file and what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The file's path (or another name for the bytes).
    public let file: String
    /// What is wrong, and what to do when there is something to do.
    public let problem: String

    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    /// One line, whatever the file's names hold (control characters are escaped).
    public var description: String { OneLine.escaped("\(file): \(problem)") }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

extension FixedWidthInteger {
    /// The integer whose little-endian bytes are `bytes` (exactly `bitWidth / 8` of them).
    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        var value: Self = 0
        for (i, b) in bytes.enumerated() { value |= Self(b) << (8 * i) }
        self = value
    }
}
