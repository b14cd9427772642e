/// Re-wraps prose for the terminal.
enum TextWrap {
    /// Wraps `text` to `width` columns. Blank lines separate paragraphs; a line starting with
    /// "- " starts a list item (continuations are indented by two spaces); a line indented by four
    /// or more spaces is kept as it is (formulas, code).
    static func wrap(_ text: String, width: Int) -> String {
        var out: [String] = []
        var paragraph: [String] = []
        var indent = ""

        func flush() {
            guard !paragraph.isEmpty else { return }
            let words = paragraph.joined(separator: " ").split(separator: " ")
            var line = ""
            var first = true
            for word in words {
                let prefix = first ? "" : indent
                if line.isEmpty {
                    line = prefix + word
                } else if line.count + 1 + word.count <= width {
                    line += " " + word
                } else {
                    out.append(line)
                    first = false
                    line = indent + word
                }
            }
            if !line.isEmpty { out.append(line) }
            paragraph = []
            indent = ""
        }

        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let trimmed = line.trimmingLeadingSpaces()
            if trimmed.isEmpty {
                flush()
                out.append("")
            } else if line.hasPrefix("    ") {
                flush()
                out.append(line)
            } else if trimmed.hasPrefix("- ") {
                flush()
                indent = "  "
                paragraph.append(trimmed)
            } else {
                paragraph.append(trimmed)
            }
        }
        flush()
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n")
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop(while: { $0 == " " }))
    }
}
