import CZlib
import Foundation
import NOLAKit

/// Helpers shared by the data tests: temporary folders, IDX and gzip writers, the real MNIST
/// folder when this machine has one, and a checksum for pinning generated data.
enum DataTestSupport {
    /// A fresh empty folder under the system's temporary directory.
    static func temporaryFolder(_ label: String = #function) throws -> String {
        let name = "nola-data-tests-\(label.filter(\.isLetter))-\(UUID().uuidString)"
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// An IDX file of unsigned bytes: magic `0x0000 08 d`, the sizes big-endian, then `elements`.
    /// `magic` overrides the magic number (to write wrong ones).
    static func idx(sizes: [Int], elements: [UInt8], magic: UInt32? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        func append32(_ v: UInt32) { bytes += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        append32(magic ?? (0x0800 | UInt32(sizes.count)))
        for size in sizes { append32(UInt32(size)) }
        return bytes + elements
    }

    /// `n` test images whose pixel `p` of image `i` is `(7·i + p) % 256`.
    static func imagePixels(_ n: Int, side: Int = 28) -> [UInt8] {
        (0..<(n * side * side)).map { k in
            let i = k / (side * side), p = k % (side * side)
            return UInt8((7 * i + p) % 256)
        }
    }

    /// `data` compressed as one gzip member (zlib's deflate with a gzip wrapper).
    static func gzip(_ data: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: gzip wrapper; memLevel 8; default strategy.
        let status = deflateInit2_(
            &stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2_ failed: \(status)")
        defer { deflateEnd(&stream) }
        var input = data
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        let written = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out -> Int in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
                return out.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<written])
    }

    /// Writes `bytes` to `folder/name` and returns the path.
    @discardableResult
    static func write(_ bytes: [UInt8], _ name: String, in folder: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The package root: three levels above this file (`Tests/NOLAKitTests/<file>`).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The first folder holding MNIST's test files, searched in this order: `<root>/data/mnist`,
    /// `$NOLA_MNIST_DIR`, `<root>/../shared/data/mnist`, `/work/shared/data/mnist`; `nil` when
    /// none has them (the real-MNIST tests then skip, saying so).
    static let mnistFolder: String? = {
        var candidates = [(packageRoot as NSString).appendingPathComponent("data/mnist")]
        if let fromEnvironment = ProcessInfo.processInfo.environment["NOLA_MNIST_DIR"], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        candidates.append(((packageRoot as NSString).appendingPathComponent("../shared/data/mnist") as NSString).standardizingPath)
        candidates.append("/work/shared/data/mnist")
        return candidates.first { MNIST.isPresent(.test, in: $0) }
    }()

    /// FNV-1a (64-bit) over the bit patterns of the pixels and the labels: a pin for generated data.
    static func checksum(_ set: DigitDataset) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ word: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) {
                hash ^= UInt64((word >> UInt32(shift)) & 0xFF)
                hash = hash &* 0x100_0000_01B3
            }
        }
        for value in set.images.data { mix(value.bitPattern) }
        for label in set.labels { mix(UInt32(label)) }
        return hash
    }

    /// Accuracy on `test` of the nearest-class-mean classifier fitted on `train`.
    static func nearestClassMeanAccuracy(train: DigitDataset, test: DigitDataset) -> Double {
        // means = (Yᵀ X) / counts with Y the one-hot labels: (10, 784).
        var oneHot = Matrix(rows: train.count, cols: 10)
        for (i, label) in train.labels.enumerated() { oneHot[i, label] = 1 }
        var means = BLAS.matmul(oneHot, train.images, transposeA: true)
        let counts = train.labelCounts()
        for d in 0..<10 {
            for p in 0..<784 { means[d, p] /= Float(counts[d]) }
        }
        // argmin_d |x − m_d|² = argmax_d (x·m_d − |m_d|²/2).
        let scores = BLAS.matmul(test.images, means, transposeB: true)
        let halfNorms = (0..<10).map { d in (0..<784).reduce(Float(0)) { $0 + means[d, $1] * means[d, $1] } / 2 }
        var correct = 0
        for i in 0..<test.count {
            let best = (0..<10).max { scores[i, $0] - halfNorms[$0] < scores[i, $1] - halfNorms[$1] }!
            if best == test.labels[i] { correct += 1 }
        }
        return Double(correct) / Double(test.count)
    }

}
