import Foundation
@testable import NOLAKit

/// Helpers shared by the text tests: random Unicode text, the real E2E folder when this machine
/// has one, and small CSV files.
enum TextTestSupport {
    /// Scalar ranges random text draws from: ASCII (controls included), Latin-1, combining
    /// marks, Greek, Devanagari, CJK, emoji, zero-width joiner and variation selectors, and the
    /// top of Unicode. Surrogates are not scalars and cannot appear.
    static let scalarRanges: [ClosedRange<UInt32>] = [
        0x00...0x7F, 0x20...0x7E, 0x20...0x7E, 0xA0...0xFF, 0x300...0x36F, 0x391...0x3C9,
        0x900...0x97F, 0x4E00...0x4E80, 0x1F300...0x1F64F, 0x200D...0x200D, 0xFE0F...0xFE0F,
        0x10FFF0...0x10FFFF,
    ]

    /// A random string of 0…`maxScalars` scalars from `scalarRanges`.
    static func randomText(_ cursor: inout StreamCursor, maxScalars: Int) -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<cursor.nextInt(below: maxScalars + 1) {
            let range = scalarRanges[cursor.nextInt(below: scalarRanges.count)]
            let value = range.lowerBound + UInt32(cursor.nextInt(below: Int(range.upperBound - range.lowerBound) + 1))
            if let scalar = Unicode.Scalar(value) { text.append(scalar) }
        }
        return String(text)
    }

    /// The first folder holding E2E's `trainset.csv`, `devset.csv` and `testset_w_refs.csv`, searched in this
    /// order: `<root>/data/e2e`, `$NOLA_E2E_DIR`, `<root>/../shared/data/e2e`,
    /// `/work/shared/data/e2e`; `nil` when none has them (the real-E2E tests then skip).
    static let e2eFolder: String? = {
        let root = DataTestSupport.packageRoot as NSString
        var candidates = [root.appendingPathComponent("data/e2e")]
        if let fromEnvironment = ProcessInfo.processInfo.environment["NOLA_E2E_DIR"], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        candidates.append((root.appendingPathComponent("../shared/data/e2e") as NSString).standardizingPath)
        candidates.append("/work/shared/data/e2e")
        return candidates.first { E2EData.isPresent(folder: $0) }
    }()

    /// Writes `text` to `folder/name` and returns the path.
    @discardableResult
    static func write(_ text: String, _ name: String, in folder: String) throws -> String {
        try DataTestSupport.write(Array(text.utf8), name, in: folder)
    }
}
