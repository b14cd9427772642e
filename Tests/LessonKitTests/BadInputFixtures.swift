import Foundation
import NOLAKit

/// The damaged files and folders of the bad-input catalogue (`BadInputCatalogue.swift`). Each
/// fixture writes into the row's folder, which is the run's working directory: `data/mnist/…`,
/// `data/cache/…`, `plots/…`, `adapter.safetensors`.
enum BadInputFixtures {
    typealias Fixture = BadInput.Fixture

    // MARK: Files and folders

    /// Writes `bytes` at `path` under `folder`, creating the folders above it.
    static func write(_ bytes: [UInt8], _ path: String, in folder: URL) throws {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    /// A plain file at `path` (where a folder is expected).
    static func file(_ path: String) -> Fixture {
        { try write(Array("not a folder\n".utf8), path, in: $0) }
    }

    /// A folder at `path` (where a file is expected).
    static func folder(_ path: String) -> Fixture {
        { try FileManager.default.createDirectory(at: $0.appendingPathComponent(path), withIntermediateDirectories: true) }
    }

    /// `fake-bin/gnuplot`, a shell script running `body` (see `TestExecutables` on close-on-exec).
    static func fakeGnuplot(_ body: String) -> Fixture {
        { folder in
            let script = try TestExecutables.script("gnuplot", body)
            let bin = folder.appendingPathComponent("fake-bin")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("gnuplot"), withDestinationURL: script)
        }
    }

    // MARK: MNIST's IDX files

    /// An IDX file of unsigned bytes: magic `0x0000 08 d`, the sizes big-endian, the elements.
    static func idx(_ sizes: [Int], _ elements: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        func append32(_ v: UInt32) { bytes += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        append32(0x0800 | UInt32(sizes.count))
        for size in sizes { append32(UInt32(size)) }
        return bytes + elements
    }

    /// `n` 28×28 images of a simple pattern.
    static func images(_ n: Int) -> [UInt8] {
        idx([n, 28, 28], (0..<(n * 784)).map { UInt8(($0 * 7 + $0 / 784) % 256) })
    }

    /// `n` labels 0, 1, …, 9, 0, …
    static func labels(_ n: Int) -> [UInt8] { idx([n], (0..<n).map { UInt8($0 % 10) }) }

    /// A gzip header followed by bytes that are not deflate data.
    static let corruptGzip: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + (0..<200).map { UInt8(($0 * 37 + 11) % 256) | 0x06 }

    /// `data/mnist/t10k-{images,labels}-…`: `images` and `labels` as given, else valid files of
    /// `count` digits; `gzipName` names the images file `….gz`.
    static func mnist(images: [UInt8]? = nil, labels: [UInt8]? = nil, count: Int = 20, gzipName: Bool = false) -> Fixture {
        { folder in
            try write(images ?? Self.images(count), "data/mnist/t10k-images-idx3-ubyte" + (gzipName ? ".gz" : ""), in: folder)
            try write(labels ?? Self.labels(count), "data/mnist/t10k-labels-idx1-ubyte", in: folder)
        }
    }

    static let mnistImagesFolder: Fixture = { folder in
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("data/mnist/t10k-images-idx3-ubyte"), withIntermediateDirectories: true)
        try write(labels(20), "data/mnist/t10k-labels-idx1-ubyte", in: folder)
    }

    // MARK: The cached base network of lessons 04, 06, 09, 10

    enum CacheDamage: Sendable { case wrongShape, wrongKey, folder, cacheFolderIsFile }

    /// The cache file a default `--quick` run of lesson 04 looks for.
    static let cacheName = "data/cache/base_synthetic_seed1_\(AdaptationTask.Pretraining().key).safetensors"

    /// A valid cache for that run: the base pretrained here, once (about two seconds).
    static let validBase: Result<SafeTensorsFile, any Error> = Result {
        try AdaptationTask(source: .synthetic, seed: 1, adaptCount: 10, validationCount: 10, cacheFolder: nil).baseWeights
    }

    static func cache(_ damage: CacheDamage) -> Fixture {
        { folder in
            switch damage {
            case .wrongShape:
                // fc1.weight (loaded first) valid, fc1.bias of the wrong shape: the old loader
                // assigned the first before it found the second.
                var file = try validBase.get()
                file.tensors["fc1.bias"] = SafeTensorsFile.Tensor(Matrix(rows: 1, cols: 255))
                try write(file.encoded(), cacheName, in: folder)
            case .wrongKey:
                var file = try validBase.get()
                file.metadata["key"] = "mlp784-256-10_n4000_e1_b64_lr0.05"
                try write(file.encoded(), cacheName, in: folder)
            case .folder:
                try FileManager.default.createDirectory(at: folder.appendingPathComponent(cacheName), withIntermediateDirectories: true)
            case .cacheFolderIsFile:
                try write(Array("x".utf8), "data/cache", in: folder)
            }
        }
    }

    // MARK: Checkpoints

    enum CheckpointDamage: Sendable { case nan, extra, missing, truncated, metadata }

    /// Writes a damaged checkpoint of a 12-8-3 MLP and loads it into another; the load must
    /// throw and leave that model as it was.
    static func checkpoint(_ damage: CheckpointDamage) -> @Sendable (URL) throws -> Void {
        { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            var file = Checkpoint.file(of: Sequential.mlp([12, 8, 3], seed: 1), metadata: ["sizes": "12-8-3"])
            var bytes: [UInt8]? = nil
            switch damage {
            case .nan: file.tensors["fc2.weight"]!.bytes[4..<8] = [0, 0, 0xC0, 0x7F]
            case .extra: file.tensors["fc9.weight"] = SafeTensorsFile.Tensor(Matrix(rows: 1, cols: 1))
            case .missing: file.tensors["fc2.bias"] = nil
            case .truncated: bytes = Array(file.encoded().dropLast(10))
            case .metadata: file.metadata["sizes"] = "12-9-3"
            }
            try Data(bytes ?? file.encoded()).write(to: url)
            let target = Sequential.mlp([12, 8, 3], seed: 2)
            let before = target.parameters.map(\.value)
            do {
                try Checkpoint.load(target, from: url, requiring: ["sizes": "12-8-3"])
            } catch {
                guard target.parameters.map(\.value) == before else { throw FixtureFailure("a rejected checkpoint changed the model") }
                throw error
            }
        }
    }

    // MARK: Adapter files

    enum AdapterDamage: Sendable {
        case valid, nanCoefficient, int32Tensor, missingTensor, text, nanDelta, infiniteScale
        case seed(String)
        /// Sets metadata `key` to the value, or removes it (nil).
        case metadata(String, String?)
    }

    /// A NOLA adapter (rank 2, k = 4, l = 3) on a 12-8-3 MLP, with non-zero coefficients.
    static func adaptedModel() -> (Sequential, AdapterMethod) {
        let model = Sequential.mlp([12, 8, 3], seed: 1)
        let method = AdapterMethod.nola(rank: 2, k: 4, l: 3, c: 1, basis: .perLayer)
        model.attach(method, seed: 5)
        for (i, p) in model.parameters.enumerated() where p.isTrainable {
            p.value = RandomStream(seed: 9, stream: UInt64(i)).uniformMatrix(rows: p.value.rows, cols: p.value.cols, bound: 0.5)
        }
        return (model, method)
    }

    /// Writes `adapter.safetensors` (and `delta.safetensors`, Swift's ΔW) with `damage`.
    static func adapterFiles(_ damage: AdapterDamage, in folder: URL) throws {
        let (model, method) = adaptedModel()
        var file = AdapterFile.file(of: model, method: method, seed: 5)
        var delta = AdapterFile.deltaWeights(of: model)
        var bytes: [UInt8]? = nil
        switch damage {
        case .valid: break
        case .nanCoefficient: file.tensors["fc1.nola_alpha"]!.bytes[0..<4] = [0, 0, 0xC0, 0x7F]
        case .int32Tensor: file.tensors["fc1.nola_alpha"]!.dtype = .i32
        case .missingTensor: file.tensors["fc2.nola_beta"] = nil
        case .text: bytes = Array("this is not an adapter\n".utf8)
        case .nanDelta: delta.tensors["fc1.delta_W"]!.bytes[0..<4] = [0, 0, 0xC0, 0x7F]
        case .infiniteScale:
            file = AdapterFile.file(of: model, method: method, seed: 5, precision: .quantized(bits: 4))
            file.tensors["fc1.nola_alpha.scale"] = SafeTensorsFile.Tensor(float32: [.infinity], shape: [1])
        case .seed(let text): file.metadata["root_seed"] = text
        case .metadata(let key, let value): file.metadata[key] = value
        }
        try write(bytes ?? file.encoded(), "adapter.safetensors", in: folder)
        try write(delta.encoded(), "delta.safetensors", in: folder)
    }

    /// Loads the damaged file into a fresh 12-8-3 MLP: it must throw and attach nothing.
    static func swiftAdapter(_ damage: AdapterDamage) -> @Sendable (URL) throws -> Void {
        { folder in
            try adapterFiles(damage, in: folder)
            let model = Sequential.mlp([12, 8, 3], seed: 1)
            do {
                try AdapterFile.load(from: folder.appendingPathComponent("adapter.safetensors"), into: model)
            } catch {
                guard model.adaptedSites.isEmpty else { throw FixtureFailure("a rejected adapter file was attached") }
                throw error
            }
        }
    }

    static func pythonAdapter(_ damage: AdapterDamage) -> Fixture {
        { try adapterFiles(damage, in: $0) }
    }

    // MARK: E2E CSV files

    /// Loads the E2E data from the row's `data/e2e`, after writing `text` as its devset.csv (and a
    /// valid trainset.csv and testset_w_refs.csv); nil writes nothing (the files are missing).
    static func e2eData(_ text: String?) -> @Sendable (URL) throws -> Void {
        e2eData(bytes: text.map { Array($0.utf8) })
    }

    /// As `e2eData(_:)`, with the devset's raw bytes.
    static func e2eData(bytes: [UInt8]?) -> @Sendable (URL) throws -> Void {
        { folder in
            if let bytes {
                try write(Array("mr,ref\n\"name[B], area[city centre]\",B is in the centre.\n".utf8), "data/e2e/trainset.csv", in: folder)
                try write(bytes, "data/e2e/devset.csv", in: folder)
                try write(Array("mr,ref\n\"name[A], area[riverside]\",A is by the river.\n".utf8),
                          "data/e2e/testset_w_refs.csv", in: folder)
            }
            _ = try E2EData.load(.e2e(folder: folder.appendingPathComponent("data/e2e").path))
        }
    }

    /// The three E2E files for a lesson run: `train` rows as trainset.csv (a few short ones unless
    /// given), `dev` as devset.csv, a valid testset_w_refs.csv.
    static func e2eFiles(train: String? = nil, dev: String? = nil) -> Fixture {
        { folder in
            let rows = (0..<6).map { "\"name[Place \($0)], eatType[pub], area[riverside]\",Place \($0) is a pub by the river.\n" }.joined()
            try write(Array((train ?? "mr,ref\n" + rows).utf8), "data/e2e/trainset.csv", in: folder)
            try write(Array((dev ?? "mr,ref\n" + rows).utf8), "data/e2e/devset.csv", in: folder)
            try write(Array(("mr,ref\n" + rows).utf8), "data/e2e/testset_w_refs.csv", in: folder)
        }
    }

    /// A grid's results folder `results/` with its manifest from a quick lesson12 run's
    /// configuration replaced by `configuration`, or one result file with `text`.
    static func resultsFolder(manifest: String? = nil, result: (name: String, text: String)? = nil) -> Fixture {
        { folder in
            if let manifest { try write(Array(manifest.utf8), "results/grid.json", in: folder) }
            if let result { try write(Array(result.text.utf8), "results/\(result.name)", in: folder) }
        }
    }

    /// Reads `hyps.txt` and `refs.csv` as `e2e-score` does and checks that their counts agree.
    static func scorerInput(hypotheses: String, references: String) -> @Sendable (URL) throws -> Void {
        { folder in
            try write(Array(hypotheses.utf8), "hyps.txt", in: folder)
            try write(Array(references.utf8), "refs.csv", in: folder)
            _ = try E2EScorerInput.load(hypotheses: folder.appendingPathComponent("hyps.txt").path,
                                        references: folder.appendingPathComponent("refs.csv").path)
        }
    }
}

/// A fixture's own check failed (the line then names no culprit, and the row fails).
struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Issue 27: streams, FIFOs, the scorer's files, caches, temporary files

extension BadInputFixtures {
    /// Writes `files` (path → text) under the row's folder.
    static func files(_ files: [String: String]) -> Fixture {
        { folder in
            for (path, text) in files { try write(Array(text.utf8), path, in: folder) }
        }
    }

    /// A named pipe (FIFO) at `path`, with nothing writing into it.
    static func fifo(_ path: String) -> Fixture {
        { folder in
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard mkfifo(url.path, 0o644) == 0 else { throw FixtureFailure("mkfifo \(url.path) failed: errno \(errno)") }
        }
    }

    /// Loads the E2E data of the row's `data/e2e` after `prepare` (a valid trainset.csv and testset_w_refs.csv
    /// are written first; `prepare` puts something at devset.csv).
    static func e2eData(prepare: @escaping Fixture) -> @Sendable (URL) throws -> Void {
        { folder in
            try write(Array("mr,ref\n\"name[B], area[city centre]\",B is in the centre.\n".utf8), "data/e2e/trainset.csv", in: folder)
            try write(Array("mr,ref\n\"name[A], area[riverside]\",A is by the river.\n".utf8),
                      "data/e2e/testset_w_refs.csv", in: folder)
            try prepare(folder)
            _ = try E2EData.load(.e2e(folder: folder.appendingPathComponent("data/e2e").path))
        }
    }

    /// Two outputs and their references by MR, the files most scorer rows start from: `refs.csv`
    /// (MRs A then B), `hyps.txt` (in that order).
    static let scorerReferences = "mr,ref\n\"name[A]\",The Eagle is a pub.\n\"name[B]\",A cheap cafe.\n"
    static let scorerOutputs = "The Eagle is a pub.\nA cheap cafe.\n"

    /// The E2E base that a `.tiny` pretraining on the synthetic restaurants caches, with its
    /// `tokenizer` text replaced (the hash kept), then looked at again: the second look's notice.
    static let tamperedTokenizerCache: @Sendable (URL) throws -> String? = { folder in
        let cache = folder.appendingPathComponent("data/cache")
        let data = try E2EData.load(.synthetic(seed: 1))
        let first = try E2EBaseModel(data: data, seed: 1, pretraining: .tiny, cacheFolder: cache)
        guard first.origin.contains("cached in"), let name = try FileManager.default.contentsOfDirectory(atPath: cache.path)
            .first(where: { $0.hasPrefix("e2e_base_") && $0.hasSuffix(".safetensors") })
        else { throw FixtureFailure("the tiny E2E base was not cached: \(first.origin)") }
        let url = cache.appendingPathComponent(name)
        var file = try SafeTensorsFile.read(from: url)
        guard let text = file.metadata["tokenizer"] else { throw FixtureFailure("the cache holds no tokenizer text") }
        file.metadata["tokenizer"] = text.replacingOccurrences(of: "e", with: "a")
        try Data(file.encoded()).write(to: url)
        return try E2EBaseModel(data: data, seed: 1, pretraining: .tiny, cacheFolder: cache).cacheNotice
    }

    /// The temporary files a run killed between writing and renaming leaves beside the lesson 04
    /// cache: one of this project's writer (its process long gone) and one of Foundation's, a day old.
    static let abandonedCacheWrites: [String] = [
        "data/cache/.base_synthetic_seed1_\(AdaptationTask.Pretraining().key).safetensors.partial-2147483646-1a2b3c",
        "data/cache/.dat.nosync1f2e.Ab3dEf",
    ]

    static let abandonedWrites: Fixture = { folder in
        for path in abandonedCacheWrites {
            try write(Array("half a file".utf8), path, in: folder)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -86_400)],
                                                  ofItemAtPath: folder.appendingPathComponent(path).path)
        }
    }

    /// Fails unless none of `paths` exists under the row's folder.
    static func absent(_ paths: [String]) -> Fixture {
        { folder in
            for path in paths where FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path) {
                throw FixtureFailure("\(path) is still there")
            }
        }
    }

    /// Fails when `folder` (under the row's) holds an entry whose name starts with `prefix`.
    static func noEntry(in path: String, startingWith prefix: String) -> Fixture {
        { folder in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(path).path)) ?? []
            if let left = names.first(where: { $0.hasPrefix(prefix) }) { throw FixtureFailure("\(path)/\(left) was left behind") }
        }
    }

    /// Fails unless the file at `path` holds exactly `bytes`.
    static func unchanged(_ path: String, _ bytes: [UInt8]) -> Fixture {
        { folder in
            let now = [UInt8]((try? Data(contentsOf: folder.appendingPathComponent(path))) ?? Data())
            guard now == bytes else { throw FixtureFailure("\(path) was changed by the run (\(now.count) bytes now)") }
        }
    }

    /// The bytes `adapterFiles(.valid, in:)` writes as adapter.safetensors and delta.safetensors.
    static let validAdapterBytes: [UInt8] = {
        let (model, method) = adaptedModel()
        return AdapterFile.file(of: model, method: method, seed: 5).encoded()
    }()
    static let validDeltaBytes: [UInt8] = AdapterFile.deltaWeights(of: adaptedModel().0).encoded()
}

extension BadInputFixtures {
    /// Another run's doing, deterministically: `lesson04 --quick` starts on a damaged 100 MB cache
    /// file, and while it is reading it (its descriptor shows in /proc/<pid>/fd) the file is moved
    /// aside, as a second run that found it damaged first would. The lesson's one warning is
    /// returned. (Issue 27: the slower of two runs said the file "could not be moved aside …
    /// delete that file", about a path that by then held the other run's good cache.)
    static let anotherRunMovesTheDamagedCache: @Sendable (URL) throws -> String? = { folder in
        let cache = folder.appendingPathComponent(cacheName)
        try FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(count: 100_000_000).write(to: cache)
        let logs = folder.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let err = logs.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = ProgramRun.buildFolder.appendingPathComponent("lesson04")
        process.arguments = ["--quick"]
        process.currentDirectoryURL = folder
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        // Wait until the lesson has the cache open, then move it away under its feet.
        let fds = "/proc/\(process.processIdentifier)/fd"
        var moved = false
        let deadline = Date(timeIntervalSinceNow: 60)
        while !moved && process.isRunning && Date() < deadline {
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? [] {
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + fd)) == cache.path {
                    try FileManager.default.moveItem(at: cache, to: folder.appendingPathComponent("moved-by-another-run"))
                    moved = true
                    break
                }
            }
            if !moved { usleep(200) }
        }
        process.waitUntilExit()
        let stderr = String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self)
        guard moved else { throw FixtureFailure("the lesson was not seen reading its cache (stderr: \(stderr))") }
        guard process.terminationStatus == 0 else { throw FixtureFailure("lesson04 exited \(process.terminationStatus): \(stderr)") }
        let lines = stderr.split(whereSeparator: \.isNewline)
        guard lines.count == 1, lines[0].hasPrefix("warning: ") else { throw FixtureFailure("not one warning: \(stderr)") }
        return String(lines[0].dropFirst("warning: ".count))
    }
}
