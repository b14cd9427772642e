import Foundation

/// A pretrained base network cached as a checkpoint file (`AdaptationTask`'s `data/cache/`).
///
/// The cache is used only when `Checkpoint.load` accepts all of it: every tensor with its shape
/// and finite values, nothing extra, and metadata equal to what the caller requires (the
/// pretraining configuration and a fingerprint of the digits it saw), plus any check of the
/// caller's own (`check`: E2EBaseModel's tokenizer text against its hash). Anything else — a
/// damaged or half-written file, another configuration's, an older version's — is moved aside
/// to `<name>.rejected-<yyyyMMdd-HHmmss>` (kept for inspection, never read again) and the caller
/// trains the base anew and stores it in its place. A folder where the file should be is left
/// alone: the base is trained and not cached.
///
/// Several runs may share the folder. The file is written whole or not at all (`AtomicFile`),
/// and the temporary files of a run killed while writing are deleted by the next look. A
/// rejected file is moved aside only if it is still the very file that was read (same device
/// and inode): when another run has moved it aside meanwhile, the notice says so; when another
/// run has stored a new cache in its place, that one is looked at instead.
struct BaseCache {
    /// The cache folder, as the user would type it (`data/cache`).
    let folder: URL
    /// The cache file's name in `folder`.
    let name: String

    var url: URL { folder.appendingPathComponent(name) }
    /// The file's path for messages: relative when the folder was given relative.
    var path: String { url.relativePath }

    /// What looking in the cache found.
    enum Lookup: Equatable {
        /// The model now holds the cached weights.
        case loaded
        /// No file: train, then store.
        case absent
        /// A file that failed a check, moved aside (or not movable); `notice` says so. Train, then store.
        case rejected(notice: String)
        /// A folder stands at the cache file's path; `notice` says so. Train, do not store.
        case blocked(notice: String)
    }

    /// A file's identity: it is the same file while these stay the same.
    struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Loads the cached weights into `parameters` when the file passes every check; `check`
    /// (given the file and its path for messages) may reject it with a `SafeTensorsError`.
    func load(_ parameters: [Parameter], requiring metadata: [String: String],
              check: (SafeTensorsFile, String) throws -> Void = { _, _ in }) -> Lookup {
        AtomicFile.removeAbandoned(in: folder)
        var looks = 0
        while true {
            looks += 1
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return .absent }
            if isFolder.boolValue {
                return .blocked(notice: "\(path) is a folder, not a cached base network: the base was trained now and "
                    + "not cached; remove or rename that folder to let the lessons cache it")
            }
            let problem: String
            var identity: Identity?
            do {
                let (bytes, read) = try readFile()
                identity = read
                let file = try SafeTensorsFile.decode(bytes, source: path)
                try check(file, path)
                try Checkpoint.load(parameters, from: file, source: path, requiring: metadata)
                return .loaded
            } catch let error as SafeTensorsError {
                problem = error.problem
            } catch {
                problem = FileErrorReason.reason(error)
            }
            let rejected = "the cached base network \(path) was rejected (\(problem))"
            switch moveAside(identity) {
            case .moved(let aside):
                return .rejected(notice: "\(rejected); moved it to \(aside) and trained the base again")
            case .gone:
                return .rejected(notice: "\(rejected); another run has moved it aside meanwhile; trained the base again")
            case .replaced where looks < 3:
                continue  // another run has stored a new cache there: look at that one
            case .replaced:
                return .rejected(notice: "\(rejected); other runs keep replacing it, so it was left alone; trained the base again")
            case .failed(let reason):
                return .rejected(notice: "\(rejected) and could not be moved aside (\(reason)); trained the base again; "
                    + "delete that file")
            }
        }
    }

    /// The cache file's bytes and identity. Opened without waiting (a named pipe there would
    /// otherwise hold the lesson until something writes into it), and read only if regular.
    private func readFile() throws -> ([UInt8], Identity) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SafeTensorsError(path, "is \(InputFile.describe(info.st_mode & S_IFMT)), not a regular file")
        }
        return (try InputFile.readAll(descriptor: descriptor, name: path, limit: 1 << 34), Identity(info))
    }

    /// What happened to a rejected file.
    enum Aside: Equatable {
        /// Moved to this path (for messages).
        case moved(String)
        /// No longer there: another run moved it.
        case gone
        /// Another file is there now (another run's new cache): left alone.
        case replaced
        /// It could not be moved: the system's reason.
        case failed(String)
    }

    /// Moves the file at `url` aside when it is still the one read (`identity`; nil when it
    /// could not even be opened).
    func moveAside(_ identity: Identity?) -> Aside {
        var now = stat()
        guard stat(url.path, &now) == 0 else { return errno == ENOENT ? .gone : .failed(FileErrorReason.posixText(Int(errno))) }
        if let identity, Identity(now) != identity { return .replaced }
        let aside = folder.appendingPathComponent(asideName())
        guard rename(url.path, aside.path) == 0 else {
            return errno == ENOENT ? .gone : .failed(FileErrorReason.posixText(Int(errno)))
        }
        // Another run may have stored its new cache between the look and the move: put it back
        // (unless yet another file is there by now, which then stands in its place).
        var moved = stat()
        if let identity, stat(aside.path, &moved) == 0, Identity(moved) != identity {
            if link(aside.path, url.path) == 0 || errno == EEXIST { unlink(aside.path) }
            return .replaced
        }
        return .moved(aside.relativePath)
    }

    /// Writes `file` as the cache; `nil` when written, else why not (one line).
    func store(_ file: SafeTensorsFile) -> String? {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), !isFolder.boolValue {
            return "the cache folder \(folder.relativePath) is a file, not a folder: the base network was not "
                + "cached; remove that file to let the lessons cache it"
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try file.write(to: url)
            return nil
        } catch let error as SafeTensorsError {
            return "the base network was not cached: \(error.file): \(error.problem)"
        } catch {
            return "the base network was not cached: cannot create the folder \(folder.relativePath) "
                + "(\(FileErrorReason.reason(error)))"
        }
    }

    /// What a freshly trained base says about itself: stores `file` in `cache` when `store` is on
    /// and returns the origin line — "trained now in 2.8 s, cached in data/cache/…" or "…, not
    /// cached" — with `notice` extended by why storing failed, if it did.
    static func describeTraining(took elapsed: Duration, file: @autoclosure () -> SafeTensorsFile,
                                 cache: BaseCache?, store: Bool, notice: String?) -> (origin: String, notice: String?) {
        var origin = "trained now in " + AdaptationTask.seconds(elapsed)
        var notice = notice
        if let cache, store {
            if let problem = cache.store(file()) {
                origin += ", not cached"
                notice = notice.map { $0 + "; and " + problem } ?? problem
            } else {
                origin += ", cached in \(cache.path)"
            }
        } else if cache != nil {
            origin += ", not cached"
        }
        return (origin, notice)
    }

    /// `<name>.rejected-<yyyyMMdd-HHmmss>`, with `-2`, `-3`, … when that name is taken.
    private func asideName() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let stem = "\(name).rejected-\(formatter.string(from: Date()))"
        var candidate = stem
        var n = 1
        while FileManager.default.fileExists(atPath: folder.appendingPathComponent(candidate).path) {
            n += 1
            candidate = "\(stem)-\(n)"
        }
        return candidate
    }

    /// A fingerprint of a digit set (FNV-1a over the labels and the pixels' 32-bit patterns), so
    /// that a base pretrained on other digits (MNIST files swapped, say) is never taken for this one.
    static func fingerprint(of data: DigitDataset) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt32) {
            hash ^= UInt64(word)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        for label in data.labels { mix(UInt32(truncatingIfNeeded: label)) }
        for x in data.images.data { mix(x.bitPattern) }
        let hex = String(hash, radix: 16)
        return "\(data.count) digits, fnv1a64 " + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
