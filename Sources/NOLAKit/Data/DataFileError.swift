/// A data file that is missing, truncated or not what it claims to be.
///
/// Its description is one line naming the file, what is wrong, and how to fix it:
/// `data/mnist/t10k-images-idx3-ubyte.gz: truncated: header says 10000 images of 28×28 but only
/// 1234 bytes of pixels follow; download it again (see data/README.md)`.
public struct DataFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or folder) at fault, as the user would type it.
    public let path: String
    /// What is wrong, e.g. "truncated: …".
    public let problem: String
    /// What to do about it, e.g. "download it again (see data/README.md)".
    public let fix: String

    public init(path: String, problem: String, fix: String) {
        self.path = path
        self.problem = problem
        self.fix = fix
    }

    /// One line, whatever the path holds (control characters are escaped).
    public var description: String { OneLine.escaped("\(path): \(problem); \(fix)") }

    /// The fix for a damaged MNIST file.
    static let downloadAgain = "download it again (see data/README.md)"
}
