import Foundation
import Testing

@testable import NOLAKit

/// The cached base network of `AdaptationTask`: used only when every tensor and every metadata
/// value checks out; otherwise moved aside, reported in one line, and never reused.
@Suite("Adaptation task: the cached base network")
struct TrainingBaseCacheTests {
    /// A base small enough to pretrain in milliseconds.
    static let tiny: AdaptationTask.Pretraining = {
        var p = AdaptationTask.Pretraining()
        p.sizes = [784, 8, 10]
        p.baseCount = 60
        p.epochs = 2
        p.batchSize = 30
        return p
    }()

    func task(_ folder: URL?, seed: UInt64 = 3) throws -> AdaptationTask {
        try AdaptationTask(source: .synthetic, seed: seed, adaptCount: 20, validationCount: 20,
                           pretraining: Self.tiny, cacheFolder: folder)
    }

    func temporaryFolder() throws -> URL {
        URL(fileURLWithPath: try DataTestSupport.temporaryFolder("basecache"))
    }

    func cacheFile(in folder: URL, seed: UInt64 = 3) -> URL {
        folder.appendingPathComponent("base_synthetic_seed\(seed)_\(Self.tiny.key).safetensors")
    }

    /// The files beside the cache whose names start with `<cache name>.rejected-`.
    func rejectedCopies(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".rejected-") }
    }

    @Test("trained once and cached, then loaded: the same weights, no notice")
    func roundTrip() throws {
        let folder = try temporaryFolder()
        let first = try task(folder)
        #expect(first.baseOrigin.hasPrefix("trained now in "))
        #expect(first.baseOrigin.hasSuffix(", cached in \(cacheFile(in: folder).relativePath)"))
        #expect(first.cacheNotice == nil)
        let second = try task(folder)
        #expect(second.baseOrigin == "loaded from the cache \(cacheFile(in: folder).relativePath)")
        #expect(second.baseWeights == first.baseWeights)
        #expect(second.cacheNotice == nil)
        #expect(try task(nil).baseWeights == first.baseWeights, "the cache changed the base")
    }

    @Test("the training time reads as seconds with one decimal (was 2.8085113880000003 s)")
    func secondsFormat() throws {
        let origin = try task(nil).baseOrigin
        #expect(origin.wholeMatch(of: /trained now in \d+\.\d s/) != nil, "\(origin)")
    }

    /// The bad caches of the issue and a few more. Each must be rejected, moved aside, reported in
    /// one line naming the file and the reason, and must not change the base: the base equals
    /// one trained without any cache, and the cache then holds that base.
    @Test("a bad cache is moved aside, reported, never reused", arguments: [
        "first tensor valid, second of the wrong shape", "valid tensors, wrong metadata key",
        "valid tensors, metadata of an older version", "a NaN weight", "an extra tensor", "truncated file",
        "not a safetensors file",
    ])
    func rejected(kind: String) throws {
        let folder = try temporaryFolder()
        let clean = try task(nil)
        let url = cacheFile(in: folder)
        // Weights of another run: valid, finite, of the right shapes, but not this base.
        let other = try task(nil, seed: 99).baseWeights
        var file = SafeTensorsFile(metadata: clean.baseWeights.metadata, tensors: other.tensors)
        var bytes: [UInt8]? = nil
        var culprit = ""
        switch kind {
        case "first tensor valid, second of the wrong shape":
            file.tensors["fc1.weight"] = SafeTensorsFile.Tensor(Matrix(rows: 9, cols: 784))
            culprit = "fc1.weight"
        case "valid tensors, wrong metadata key":
            file.metadata["key"] = "mlp784-8-10_n60_e1_b30_lr0.05"
            culprit = "metadata 'key'"
        case "valid tensors, metadata of an older version":
            file.metadata = ["key": Self.tiny.key]
            culprit = "metadata has no"
        case "a NaN weight":
            var t = clean.baseWeights.tensors["fc2.weight"]!
            t.bytes[0..<4] = [0, 0, 0xC0, 0x7F]
            file.tensors["fc2.weight"] = t
            culprit = "NaN"
        case "an extra tensor":
            file.tensors["fc3.weight"] = SafeTensorsFile.Tensor(Matrix(rows: 1, cols: 1))
            culprit = "fc3.weight"
        case "truncated file":
            bytes = Array(clean.baseWeights.encoded().dropLast(100))
            culprit = "truncated"
        default:
            bytes = Array("<html>not found</html>".utf8)
            culprit = "header"
        }
        try Data(bytes ?? file.encoded()).write(to: url)

        let t = try task(folder)
        #expect(t.baseWeights == clean.baseWeights, "\(kind): the rejected cache changed the base")
        let notice = try #require(t.cacheNotice)
        #expect(notice.hasPrefix("the cached base network \(url.relativePath) was rejected ("), "\(notice)")
        #expect(notice.contains(culprit), "\(notice)")
        #expect(notice.contains(".rejected-") && notice.hasSuffix("and trained the base again"), "\(notice)")
        #expect(!notice.contains("\n"))
        #expect(try rejectedCopies(in: folder).count == 1)
        #expect(t.baseOrigin.hasSuffix(", cached in \(url.relativePath)"))
        // The cache now holds the good base, and the next run uses it quietly.
        let next = try task(folder)
        #expect(next.baseOrigin.hasPrefix("loaded from the cache") && next.cacheNotice == nil)
        #expect(next.baseWeights == clean.baseWeights)
    }

    @Test("a folder at the cache file's path gets its own message and is left alone")
    func folderInTheWay() throws {
        let folder = try temporaryFolder()
        let url = cacheFile(in: folder)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let t = try task(folder)
        #expect(t.cacheNotice == "\(url.relativePath) is a folder, not a cached base network: the base was trained "
            + "now and not cached; remove or rename that folder to let the lessons cache it")
        #expect(t.baseOrigin.hasSuffix(", not cached"))
        #expect(t.baseWeights == (try task(nil)).baseWeights)
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue)
        #expect(try rejectedCopies(in: folder).isEmpty)
    }

    @Test("a file where the cache folder should be is named as such, not as 'not writable'")
    func cacheFolderIsAFile() throws {
        let folder = try temporaryFolder().appendingPathComponent("cache")
        try Data("x".utf8).write(to: folder)
        let t = try task(folder)
        #expect(t.cacheNotice == "the cache folder \(folder.relativePath) is a file, not a folder: the base network "
            + "was not cached; remove that file to let the lessons cache it")
        #expect(t.baseOrigin.hasSuffix(", not cached"))
    }

    @Test("a cache folder that cannot be created says why")
    func uncreatableFolder() throws {
        let folder = URL(fileURLWithPath: "/proc/nola-no-such-place/cache")
        let t = try task(folder)
        #expect(t.cacheNotice == "the base network was not cached: cannot create the folder \(folder.path) "
            + "(No such file or directory)")
    }

    @Test("MNIST too small for the base: one line with the counts (was a trap)")
    func smallMNIST() throws {
        let folder = try DataTestSupport.temporaryFolder()
        try DataTestSupport.write(DataTestSupport.idx(sizes: [50, 28, 28], elements: DataTestSupport.imagePixels(50)),
                                  "t10k-images-idx3-ubyte", in: folder)
        try DataTestSupport.write(DataTestSupport.idx(sizes: [50], elements: (0..<50).map { UInt8($0 % 10) }),
                                  "t10k-labels-idx1-ubyte", in: folder)
        #expect {
            _ = try AdaptationTask(source: .mnist(folder: folder), seed: 1, adaptCount: 500, validationCount: 500,
                                   cacheFolder: nil)
        } throws: { error in
            "\(error)" == "\(folder): the MNIST files hold 50 digits (40 for training, 10 for validation), but this "
                + "run needs at least 4010 for training and 10 for validation; put the complete MNIST files there "
                + "(see data/README.md), or run with --data synthetic"
        }
    }

    // MARK: Several runs on one cache (issue 27)

    /// A cache of a 12-8-3 MLP, its good file, and one of another configuration (rejected).
    func smallCache(_ folder: URL) -> (BaseCache, Sequential, good: SafeTensorsFile, bad: SafeTensorsFile) {
        let model = Sequential.mlp([12, 8, 3], seed: 1)
        return (BaseCache(folder: folder, name: "small.safetensors"), model,
                Checkpoint.file(of: Sequential.mlp([12, 8, 3], seed: 2), metadata: ["k": "v"]),
                Checkpoint.file(of: Sequential.mlp([12, 8, 3], seed: 3), metadata: ["k": "w"]))
    }

    @Test("a rejected file is moved aside only if it is still the one read: gone, or replaced by another run's, it is left")
    func moveAsideChecksIdentity() throws {
        let folder = try temporaryFolder()
        let (cache, _, good, _) = smallCache(folder)
        try Data("damaged".utf8).write(to: cache.url)
        var info = stat()
        #expect(stat(cache.url.path, &info) == 0)
        let read = BaseCache.Identity(info)
        try good.write(to: cache.url)  // another run stores its new cache (a new file, renamed in)
        #expect(cache.moveAside(read) == .replaced)
        #expect(try SafeTensorsFile.read(from: cache.url) == good, "another run's cache was moved")
        #expect(stat(cache.url.path, &info) == 0)
        guard case .moved(let aside) = cache.moveAside(BaseCache.Identity(info)) else {
            Issue.record("the file read was not moved aside")
            return
        }
        #expect(aside.contains("small.safetensors.rejected-"))
        #expect(cache.moveAside(BaseCache.Identity(info)) == .gone)
    }

    @Test("two runs on one damaged cache: the slower is told the truth, never to delete the other's good file")
    func raceOnADamagedCache() throws {
        let folder = try temporaryFolder()
        let (cache, model, good, bad) = smallCache(folder)
        let before = model.parameters.map(\.value)
        // The other run moves the damaged file aside while this one is still checking it.
        try bad.write(to: cache.url)
        let gone = cache.load(model.parameters, requiring: ["k": "v"]) { _, _ in
            try FileManager.default.moveItem(at: cache.url, to: folder.appendingPathComponent("elsewhere"))
            throw SafeTensorsError(cache.path, "damaged")
        }
        guard case .rejected(let notice) = gone else { Issue.record("\(gone)"); return }
        #expect(notice.contains("another run has moved it aside meanwhile") && !notice.contains("delete"), "\(notice)")
        #expect(model.parameters.map(\.value) == before)
        // The other run has already stored its good cache in place of the damaged one: that is used.
        try bad.write(to: cache.url)
        var looks = 0
        let replaced = cache.load(model.parameters, requiring: ["k": "v"]) { _, _ in
            looks += 1
            if looks == 1 {
                try good.write(to: cache.url)
                throw SafeTensorsError(cache.path, "damaged")
            }
        }
        #expect(replaced == .loaded && looks == 2)
        #expect(model.parameters.map(\.value) != before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("rejected") }.isEmpty)
    }
}
