/// Messages are one line: text from a file (a tensor name, a metadata value, a path) may hold
/// newlines or other control characters, which a message shows escaped instead.
public enum OneLine {
    /// `text` with every control character written as an escape: a newline as `\n`, a tab as
    /// `\t`, others (and Unicode's line and paragraph separators) as `\u{…}`.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where needsEscape(s): out += "\\u{" + String(s.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || s.value == 0x7F || s.value == 0x85 || s.value == 0x2028 || s.value == 0x2029
    }
}
