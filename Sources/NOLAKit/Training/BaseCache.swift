import Foundation

/// A pretrained base network cached as a checkpoint file (`AdaptationTask`'s `data/cache/`).
///
/// The cache is used only when `Checkpoint.load` accepts all of it: every tensor with its shape
/// and finite values, nothing extra, and metadata equal to what the caller requires (the
/// pretraining configuration and a fingerprint of the digits it saw). Anything else — a damaged
/// or half-written file, another configuration's, an older version's — is moved aside to
/// `<name>.rejected-<yyyyMMdd-HHmmss>` (kept for inspection, never read again) and the caller
/// trains the base anew and stores it in its place. A folder where the file should be is left
/// alone: the base is trained and not cached.
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

    /// Loads the cached weights into `parameters` when the file passes every check.
    func load(_ parameters: [Parameter], requiring metadata: [String: String]) -> Lookup {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return .absent }
        if isFolder.boolValue {
            return .blocked(notice: "\(path) is a folder, not a cached base network: the base was trained now and "
                + "not cached; remove or rename that folder to let the lessons cache it")
        }
        let problem: String
        do {
            let file = try SafeTensorsFile.read(from: url)
            try Checkpoint.load(parameters, from: file, source: path, requiring: metadata)
            return .loaded
        } catch let error as SafeTensorsError {
            problem = error.problem
        } catch {
            problem = FileErrorReason.reason(error)
        }
        let aside = folder.appendingPathComponent(asideName())
        do {
            try FileManager.default.moveItem(at: url, to: aside)
            return .rejected(notice: "the cached base network \(path) was rejected (\(problem)); moved it to "
                + "\(aside.relativePath) and trained the base again")
        } catch {
            return .rejected(notice: "the cached base network \(path) was rejected (\(problem)) and could not be "
                + "moved aside (\(FileErrorReason.reason(error))); trained the base again; delete that file")
        }
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
