/// How text is cut into chunks before byte-pair merges, so that a merge never joins two words.
///
/// The rule (GPT-2's idea, simplified and written out):
///
/// 1. Every Unicode scalar gets one of four classes:
///    - *letter*: general category L (letters) or M (combining marks, so `e` + U+0301 stays in
///      one word, and so do Devanagari vowel signs);
///    - *digit*: general category N;
///    - *space*: a whitespace scalar (space, tab, newline, carriage return, U+00A0, …);
///    - *other*: everything else: punctuation, symbols, emoji, zero-width joiners, control
///      characters that are not whitespace.
/// 2. A chunk is a maximal run of scalars of one class (`"Hello, world!!"` → `Hello` `,` ` `
///    `world` `!!`).
/// 3. A single ordinary space (U+0020) that ends a run of spaces and is followed by a non-space
///    run moves to the front of that run: `"Hello, world"` → `Hello` `,` ` world`, and
///    `"a  b"` → `a` ` ` ` b`. So a word carries its leading space, as in GPT-2, and `" the"`
///    becomes one token however often it appears. Other whitespace (a newline, a tab) never
///    attaches.
///
/// Chunks are contiguous ranges of the text's UTF-8 bytes that cover it exactly, in order, so
/// concatenating them gives the text back byte for byte: this is what makes the tokenizer
/// lossless. Contractions are not special-cased: `don't` → `don` `'` `t`.
public enum TextChunks {
    /// The class of a scalar (rule 1).
    enum ScalarClass: Equatable {
        case letter, digit, space, other
    }

    /// Rule 1, with a fast path for ASCII.
    static func scalarClass(_ scalar: Unicode.Scalar) -> ScalarClass {
        let v = scalar.value
        if v < 0x80 {
            switch v {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .digit
            case 0x09...0x0D, 0x20: return .space
            default: return .other
            }
        }
        let properties = scalar.properties
        if properties.isWhitespace { return .space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .digit
        default:
            return .other
        }
    }

    /// The chunks of `text` as half-open ranges of offsets into `Array(text.utf8)`, in order,
    /// covering every byte exactly once (rules 2 and 3). Empty text has no chunks.
    public static func ranges(of text: String) -> [Range<Int>] {
        // Runs of one class: first byte, class, first byte and value of the run's last scalar.
        var runs: [(start: Int, kind: ScalarClass, lastStart: Int, last: UInt32)] = []
        var offset = 0
        for scalar in text.unicodeScalars {
            let kind = scalarClass(scalar)
            if let previous = runs.last, previous.kind == kind {
                runs[runs.count - 1].lastStart = offset
                runs[runs.count - 1].last = scalar.value
            } else {
                runs.append((offset, kind, offset, scalar.value))
            }
            offset += UTF8.width(scalar)
        }

        var chunks: [Range<Int>] = []
        chunks.reserveCapacity(runs.count)
        var movedSpace: Int? = nil  // start of a space that moved into the next run (rule 3)
        for (i, run) in runs.enumerated() {
            let runEnd = i + 1 < runs.count ? runs[i + 1].start : offset
            let start = movedSpace ?? run.start
            movedSpace = nil
            if run.kind == .space && run.last == 0x20 && i + 1 < runs.count {
                if run.lastStart > start { chunks.append(start..<run.lastStart) }
                movedSpace = run.lastStart
            } else {
                chunks.append(start..<runEnd)
            }
        }
        return chunks
    }

    /// The chunks of `text` as strings (for narration and tests).
    public static func split(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return ranges(of: text).map { String(decoding: bytes[$0], as: UTF8.self) }
    }
}
