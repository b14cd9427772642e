import Foundation
import Testing
@testable import NOLAKit

/// The IDX/MNIST reader on small files written to a temporary folder: valid raw and gzip files,
/// and every kind of damage, each of which must give one line naming the file and the fix.
@Suite("MNIST IDX reader")
struct DataIDXTests {
    typealias Support = DataTestSupport

    /// Writes a small t10k pair (`n` images) into a new folder; `gzip` compresses both.
    func smallTestSplit(_ n: Int, gzip: Bool) throws -> String {
        let folder = try Support.temporaryFolder()
        var images = Support.idx(sizes: [n, 28, 28], elements: Support.imagePixels(n))
        var labels = Support.idx(sizes: [n], elements: (0..<n).map { UInt8(($0 * 3) % 10) })
        if gzip {
            images = Support.gzip(images)
            labels = Support.gzip(labels)
        }
        let suffix = gzip ? ".gz" : ""
        try Support.write(images, "t10k-images-idx3-ubyte" + suffix, in: folder)
        try Support.write(labels, "t10k-labels-idx1-ubyte" + suffix, in: folder)
        return folder
    }

    /// Checks the digits read from `smallTestSplit(n, …)`.
    func expectSmallSplit(_ set: DigitDataset, _ n: Int) {
        #expect(set.count == n)
        #expect(set.images.rows == n && set.images.cols == 784)
        #expect(set.labels == (0..<n).map { ($0 * 3) % 10 })
        let pixels = Support.imagePixels(n)
        #expect(set.images.data == pixels.map { Float($0) / 255 })
    }

    /// The error thrown by `body`, or a recorded issue when it does not throw one.
    func error(_ body: () throws -> Void) -> DataFileError? {
        do {
            try body()
            Issue.record("expected a DataFileError, nothing was thrown")
        } catch let error as DataFileError {
            #expect(!error.description.contains("\n"), "error descriptions are one line: \(error)")
            return error
        } catch {
            Issue.record("expected a DataFileError, got \(error)")
        }
        return nil
    }

    @Test("valid raw files read back byte for byte")
    func validRaw() throws {
        let folder = try smallTestSplit(12, gzip: false)
        expectSmallSplit(try MNIST.load(.test, folder: folder), 12)
    }

    @Test("valid gzip files read back byte for byte")
    func validGzip() throws {
        let folder = try smallTestSplit(12, gzip: true)
        expectSmallSplit(try MNIST.load(.test, folder: folder), 12)
    }

    @Test("gzip is recognised by content: a raw file named .gz and a gzip file without .gz both read")
    func contentNotName() throws {
        let folder = try Support.temporaryFolder()
        let images = Support.idx(sizes: [3, 28, 28], elements: Support.imagePixels(3))
        let labels = Support.idx(sizes: [3], elements: [1, 2, 3])
        try Support.write(images, "t10k-images-idx3-ubyte.gz", in: folder)
        try Support.write(Support.gzip(labels), "t10k-labels-idx1-ubyte", in: folder)
        let set = try MNIST.load(.test, folder: folder)
        #expect(set.labels == [1, 2, 3])
        #expect(set.images.data == Support.imagePixels(3).map { Float($0) / 255 })
    }

    @Test("several gzip members one after another are joined, as gzip -d does")
    func multiMemberGzip() throws {
        let file = Support.idx(sizes: [4], elements: [9, 8, 7, 6])
        let bytes = Support.gzip(Array(file[0..<5])) + Support.gzip(Array(file[5...]))
        let folder = try Support.temporaryFolder()
        let path = try Support.write(bytes, "labels.gz", in: folder)
        #expect(try MNIST.readLabels(path: path) == [9, 8, 7, 6])
    }

    @Test("with only the test files, a fifth of them is carved out for validation, deterministically")
    func carvedSplit() throws {
        let folder = try smallTestSplit(35, gzip: true)
        let (train, validation) = try MNIST.trainingAndValidation(folder: folder)
        #expect(train.count == 28 && validation.count == 7)
        let again = try MNIST.trainingAndValidation(folder: folder)
        #expect(again.train == train && again.validation == validation)
        // Image i has pixel 0 = 7i (i < 37): the parts are disjoint and cover all 35 images.
        let firstPixels = (train.images.data.indices.filter { $0 % 784 == 0 }.map { train.images.data[$0] })
            + (validation.images.data.indices.filter { $0 % 784 == 0 }.map { validation.images.data[$0] })
        let indices = firstPixels.map { Int(($0 * 255).rounded()) / 7 }
        #expect(indices.sorted() == Array(0..<35))
    }

    @Test("a truncated images file names the announced and the present sizes")
    func truncatedImages() throws {
        let folder = try Support.temporaryFolder()
        let whole = Support.idx(sizes: [3, 28, 28], elements: Support.imagePixels(3))
        let path = try Support.write(Array(whole[0..<(16 + 2000)]), "t10k-images-idx3-ubyte", in: folder)
        let e = error { _ = try MNIST.readImages(path: path) }
        #expect(
            e?.description == "\(path): truncated: header says 3 images of 28×28 (2352 bytes) but only 2000 bytes "
                + "follow; download it again (see data/README.md)")
    }

    @Test("a truncated header, an empty file and a too-long file are caught")
    func badLengths() throws {
        let folder = try Support.temporaryFolder()
        let header = try Support.write([0, 0, 8, 3, 0, 0], "header", in: folder)
        #expect(error { _ = try MNIST.readImages(path: header) }?.problem
            == "truncated: the header needs 16 bytes but the file has 6")
        let empty = try Support.write([], "empty", in: folder)
        #expect(error { _ = try MNIST.readLabels(path: empty) }?.problem == "the file is empty")
        let long = try Support.write(Support.idx(sizes: [2], elements: [1, 2, 3]), "long", in: folder)
        #expect(error { _ = try MNIST.readLabels(path: long) }?.problem
            == "too long: header says 2 labels (2 bytes) but 3 bytes follow")
    }

    /// Each size is a 32-bit field, so three of them can multiply past Int's range: the old
    /// reader multiplied them with `*` and trapped (exit 132) before it could say anything.
    @Test("a header whose sizes multiply past Int's range is refused, not a trap")
    func overflowingHeader() throws {
        let folder = try Support.temporaryFolder()
        let huge = Support.idx(sizes: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], elements: [1, 2, 3])
        let path = try Support.write(huge, "t10k-images-idx3-ubyte", in: folder)
        let e = error { _ = try MNIST.readImages(path: path) }
        #expect(e?.path == path)
        #expect(e?.problem == "impossible header: header says 4294967295 images of 4294967295×4294967295, "
            + "more bytes than any file holds (only 3 follow)")
        // Sizes whose product fits but is still absurd are a plain truncation.
        let big = try Support.write(Support.idx(sizes: [0xFFFF_FFFF, 28, 28], elements: []), "big", in: folder)
        #expect(error { _ = try MNIST.readImages(path: big) }?.problem.hasPrefix("truncated: header says 4294967295 images") == true)
    }

    @Test("MNIST files with 0 or 1 digits are refused with the counts; 50 digits make a smaller run")
    func tinyMNIST() throws {
        for n in [0, 1] {
            let folder = try smallTestSplit(n, gzip: false)
            let e = error { _ = try DigitSource.mnist(folder: folder).load(trainCount: 3000, validationCount: 1000, seed: 1) }
            #expect(e?.path == folder)
            #expect(e?.problem == "the MNIST files hold \(n) digit\(n == 1 ? "" : "s") (\(n) for training, 0 for validation), "
                + "but this run needs at least 10 for training and 10 for validation")
            #expect(e?.fix == "put the complete MNIST files there (see data/README.md), or run with --data synthetic")
        }
        let folder = try smallTestSplit(50, gzip: false)
        let (train, validation) = try DigitSource.mnist(folder: folder).load(trainCount: 3000, validationCount: 1000, seed: 1)
        #expect(train.count == 40 && validation.count == 10)
        // A run that needs more (a pretrained base of 4,000 digits) says so.
        let e = error {
            _ = try DigitSource.mnist(folder: folder).load(
                trainCount: 4500, validationCount: 500, seed: 1, minimumTrainCount: 4010)
        }
        #expect(e?.problem.contains("needs at least 4010 for training") == true)
    }

    @Test("a wrong magic number is named, with the expected one")
    func wrongMagic() throws {
        let folder = try Support.temporaryFolder()
        let labels = try Support.write(Support.idx(sizes: [3], elements: [1, 2, 3]), "labels", in: folder)
        let e = error { _ = try MNIST.readImages(path: labels) }
        #expect(e?.path == labels)
        #expect(
            e?.problem == "wrong magic number 0x00000801, expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions)")
        // Float elements (type 0x0D) are not MNIST either.
        let floats = try Support.write(
            Support.idx(sizes: [1], elements: [0, 0, 0, 0], magic: 0x0D01), "floats", in: folder)
        #expect(error { _ = try MNIST.readLabels(path: floats) }?.problem.hasPrefix("wrong magic number 0x00000d01") == true)
    }

    @Test("a web page saved in place of the file is recognised as text")
    func htmlInsteadOfFile() throws {
        let folder = try Support.temporaryFolder()
        let path = try Support.write(Array("<!DOCTYPE html><html>Not Found</html>".utf8), "t10k-labels-idx1-ubyte.gz", in: folder)
        let e = error { _ = try MNIST.readLabels(path: path) }
        #expect(e?.problem.contains("the file starts with text \"<!DOCTYPE ht…\": a saved web page?") == true)
    }

    @Test("images that are not 28×28 are refused")
    func wrongDimensions() throws {
        let folder = try Support.temporaryFolder()
        let path = try Support.write(
            Support.idx(sizes: [2, 32, 32], elements: [UInt8](repeating: 5, count: 2 * 32 * 32)), "images", in: folder)
        #expect(error { _ = try MNIST.readImages(path: path) }?.problem
            == "wrong dimensions: images are 32×32, MNIST's are 28×28")
    }

    @Test("labels that are not digits are refused")
    func badLabel() throws {
        let folder = try Support.temporaryFolder()
        let path = try Support.write(Support.idx(sizes: [3], elements: [1, 12, 3]), "labels", in: folder)
        #expect(error { _ = try MNIST.readLabels(path: path) }?.problem == "label 12 at position 1 is not a digit 0-9")
    }

    @Test("a label count that differs from the image count names both files")
    func countMismatch() throws {
        let folder = try Support.temporaryFolder()
        try Support.write(Support.idx(sizes: [3, 28, 28], elements: Support.imagePixels(3)), "t10k-images-idx3-ubyte", in: folder)
        let labels = try Support.write(Support.idx(sizes: [2], elements: [1, 2]), "t10k-labels-idx1-ubyte", in: folder)
        let e = error { _ = try MNIST.load(.test, folder: folder) }
        #expect(
            e?.description == "\(labels): has 2 labels but t10k-images-idx3-ubyte has 3 images; "
                + "download both files again (see data/README.md)")
    }

    @Test("corrupt gzip data is reported as corrupt")
    func corruptGzip() throws {
        let folder = try Support.temporaryFolder()
        var bytes = Support.gzip(Support.idx(sizes: [3, 28, 28], elements: Support.imagePixels(3)))
        for k in 12..<min(40, bytes.count - 8) { bytes[k] ^= 0x5A }
        let path = try Support.write(bytes, "t10k-images-idx3-ubyte.gz", in: folder)
        let e = error { _ = try MNIST.readImages(path: path) }
        #expect(e?.problem.hasPrefix("corrupt gzip data (") == true, "\(String(describing: e))")
        #expect(e?.fix == "download it again (see data/README.md)")
    }

    @Test("a gzip checksum mismatch is reported as corrupt")
    func gzipChecksum() throws {
        let folder = try Support.temporaryFolder()
        var bytes = Support.gzip(Support.idx(sizes: [3], elements: [1, 2, 3]))
        bytes[bytes.count - 8] ^= 0xFF  // first byte of the CRC-32 in the trailer
        let path = try Support.write(bytes, "labels.gz", in: folder)
        #expect(error { _ = try MNIST.readLabels(path: path) }?.problem.hasPrefix("corrupt gzip data (incorrect data check)") == true)
    }

    @Test("truncated gzip data is reported as truncated")
    func truncatedGzip() throws {
        let folder = try Support.temporaryFolder()
        let bytes = Support.gzip(Support.idx(sizes: [3, 28, 28], elements: Support.imagePixels(3)))
        let path = try Support.write(Array(bytes[0..<(bytes.count / 2)]), "t10k-images-idx3-ubyte.gz", in: folder)
        let e = error { _ = try MNIST.readImages(path: path) }
        #expect(e?.problem.hasPrefix("truncated gzip data: the compressed stream ends after \(bytes.count / 2) bytes") == true)
    }

    @Test("missing files and folders say where MNIST should be and how to get it")
    func missing() throws {
        let folder = try Support.temporaryFolder()
        let e = error { _ = try MNIST.load(.test, folder: folder) }
        #expect(
            e?.description == "\(folder)/t10k-images-idx3-ubyte.gz: not found (nor t10k-images-idx3-ubyte); "
                + "put the MNIST IDX files in \(folder) (see data/README.md)")
        let nowhere = folder + "/nowhere"
        #expect(error { _ = try MNIST.load(.test, folder: nowhere) }?.problem == "MNIST folder not found")
        #expect(error { _ = try MNIST.readLabels(path: nowhere) }?.problem == "not found")
    }

    @Test("--data mnist without MNIST says how to get it or to use --data synthetic")
    func digitSourceMissing() throws {
        let folder = try Support.temporaryFolder()
        let e = error { _ = try DigitSource.mnist(folder: folder).load(trainCount: 10, validationCount: 10, seed: 1) }
        #expect(e?.path == folder)
        #expect(e?.fix == "download them as data/README.md explains, or run with --data synthetic")
    }

    @Test("DigitSource reads MNIST from a folder and caps the counts")
    func digitSourceMNIST() throws {
        let folder = try smallTestSplit(50, gzip: false)
        let source = DigitSource.mnist(folder: folder)
        let (train, validation) = try source.load(trainCount: 25, validationCount: 100, seed: 1)
        #expect(train.count == 25 && validation.count == 10)
        let full = try MNIST.trainingAndValidation(folder: folder)
        #expect(train == full.train.prefix(25) && validation == full.validation)
        let (shiftedTrain, _) = try source.load(trainCount: 25, validationCount: 5, seed: 1, style: .shifted)
        #expect(shiftedTrain.labels == train.labels && shiftedTrain.images != train.images)
    }

    @Test("--data values parse to sources")
    func arguments() {
        #expect(DigitSource(argument: "synthetic") == .synthetic)
        #expect(DigitSource(argument: "MNIST") == .mnist(folder: "data/mnist"))
        #expect(DigitSource(argument: "cifar") == nil)
        #expect(DigitSource.argumentValues.compactMap(DigitSource.init(argument:)).map(\.description) == ["synthetic", "mnist"])
    }
}
