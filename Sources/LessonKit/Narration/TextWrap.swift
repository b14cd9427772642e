/// The pieces of a lesson's prose (`lesson.say`), as the terminal and the run's page both read
/// them: paragraphs, list items, lines kept as written (formulas, code), and blank lines.
///
///     Paragraph text that goes on
///     over several lines.                 → .paragraph("Paragraph text that goes on over several lines.")
///
///     - a list item                       → .item("a list item")
///         y = x Wᵀ + b                    → .verbatim("    y = x Wᵀ + b")
enum ProseBlock: Equatable {
    /// Lines joined with single spaces, to be re-wrapped.
    case paragraph(String)
    /// A line starting with "- " and the lines that continue it, without the "- ".
    case item(String)
    /// A line indented by four or more spaces, kept exactly.
    case verbatim(String)
    /// A blank line: a paragraph break.
    case blank

    /// Splits `text` into blocks. A blank line ends a paragraph or item; a line starting with "- "
    /// starts an item; a line indented by four or more spaces is kept as it is.
    static func parse(_ text: String) -> [ProseBlock] {
        var blocks: [ProseBlock] = []
        var lines: [String] = []
        var isItem = false

        func flush() {
            guard !lines.isEmpty else { return }
            let joined = lines.joined(separator: " ").split(separator: " ").joined(separator: " ")
            blocks.append(isItem ? .item(String(joined.dropFirst(2))) : .paragraph(joined))
            lines = []
            isItem = false
        }

        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let trimmed = line.trimmingLeadingSpaces()
            if trimmed.isEmpty {
                flush()
                blocks.append(.blank)
            } else if line.hasPrefix("    ") {
                flush()
                blocks.append(.verbatim(line))
            } else if trimmed.hasPrefix("- ") {
                flush()
                isItem = true
                lines.append(trimmed)
            } else {
                lines.append(trimmed)
            }
        }
        flush()
        while blocks.last == .blank { blocks.removeLast() }
        return blocks
    }
}

/// Re-wraps prose for the terminal.
enum TextWrap {
    /// Wraps `text` to `width` columns. Blank lines separate paragraphs; a line starting with
    /// "- " starts a list item (continuations are indented by two spaces); a line indented by four
    /// or more spaces is kept as it is (formulas, code).
    static func wrap(_ text: String, width: Int) -> String {
        var out: [String] = []
        for block in ProseBlock.parse(text) {
            switch block {
            case .blank: out.append("")
            case .verbatim(let line): out.append(line)
            case .paragraph(let words): out += fill(words, width: width, indent: "")
            case .item(let words): out += fill("- " + words, width: width, indent: "  ")
            }
        }
        return out.joined(separator: "\n")
    }

    /// Words filled into lines of at most `width` columns (a longer word gets a line of its own);
    /// lines after the first start with `indent`.
    private static func fill(_ text: String, width: Int, indent: String) -> [String] {
        var out: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if line.isEmpty {
                line = (out.isEmpty ? "" : indent) + word
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                out.append(line)
                line = indent + word
            }
        }
        if !line.isEmpty { out.append(line) }
        return out
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop(while: { $0 == " " }))
    }
}
