import Foundation

/// Small pieces shared by the run pages (`LessonPage`) and their index (`RunIndex`): escaping,
/// the one style sheet, and the page frame.
///
/// The pages are written as HTML that is also well-formed XML (every element closed, every
/// attribute quoted, no named entities but XML's), so a test can read them with an XML parser;
/// they use no scripts, fonts or anything else from elsewhere.
enum HTML {
    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, for element content and attribute values.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in XML.
                if let ascii = ch.asciiValue, ascii < 0x20, ch != "\t", ch != "\n" { out += "\u{FFFD}" } else { out.append(ch) }
            }
        }
        return out
    }

    /// A whole page: the head with its title, `meta` name–content pairs and the style sheet, and
    /// `body` inside `<main>`.
    static func page(title: String, meta: [(String, String)], body: String) -> String {
        var head = [
            "<!DOCTYPE html>",
            "<html lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\" />",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />",
            "<meta name=\"generator\" content=\"NOLA Lessons in Swift (LessonKit)\" />",
        ]
        for (name, content) in meta {
            head.append("<meta name=\"\(escaped(name))\" content=\"\(escaped(content))\" />")
        }
        head.append("<title>\(escaped(title))</title>")
        head.append("<style>\n\(styleSheet)</style>")
        head.append("</head>")
        return (head + ["<body>", "<main>", body, "</main>", "</body>", "</html>", ""]).joined(separator: "\n")
    }

    /// The style sheet: large type and strong contrast for a projector; black on white, no
    /// backgrounds that waste toner, figures and tables kept whole across pages when printed.
    static let styleSheet = """
        :root { --ink: #161616; --muted: #4d4d4d; --rule: #c8c8c8; --accent: #0072B2; --warn: #D55E00; }
        html { font-size: 19px; }
        body { margin: 0; color: var(--ink); background: #ffffff;
               font-family: "DejaVu Sans", "Liberation Sans", "Helvetica Neue", Arial, sans-serif; line-height: 1.5; }
        main { max-width: 60rem; margin: 0 auto; padding: 1.2rem 2rem 4rem; }
        h1 { font-size: 2rem; line-height: 1.2; margin: 0.3rem 0 0.5rem; }
        h2 { font-size: 1.45rem; line-height: 1.25; margin: 2.4rem 0 0.8rem; padding-bottom: 0.2rem;
             border-bottom: 3px solid var(--accent); }
        .kicker { margin: 0; color: var(--muted); font-size: 0.95rem; letter-spacing: 0.03em; }
        .follows { font-size: 1.15rem; margin: 0.2rem 0; }
        .muted { color: var(--muted); }
        p { margin: 0.6rem 0; }
        ul { margin: 0.5rem 0; padding-left: 1.5rem; }
        code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; }
        pre { font-size: 0.88rem; line-height: 1.4; margin: 0.7rem 0; padding: 0.5rem 0.9rem; overflow-x: auto;
              border-left: 4px solid var(--accent); background: #f3f6f9; }
        .wide { overflow-x: auto; margin: 0.9rem 0; }
        table { border-collapse: collapse; font-size: 0.9rem; }
        th, td { padding: 0.28rem 0.7rem; text-align: left; vertical-align: top; border-bottom: 1px solid var(--rule); }
        th { border-bottom: 2px solid var(--ink); white-space: nowrap; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1.2rem; margin: 0.8rem 0;
                   font-size: 0.95rem; }
        dl.facts dt { font-weight: bold; }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        figure { margin: 1.4rem 0; }
        figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
        figcaption { margin-top: 0.35rem; font-size: 0.9rem; color: var(--muted); }
        .warning, .failure { margin: 0.8rem 0; padding: 0.45rem 0.9rem; border-left: 5px solid var(--warn); }
        .warning { background: #fdf1e8; }
        .failure { background: #fbe3e0; font-weight: bold; }
        .runs { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: 1.4rem; padding: 0;
                list-style: none; }
        .runs li { border: 1px solid var(--rule); padding: 0.7rem; }
        .runs img { display: block; width: 100%; height: auto; margin-bottom: 0.5rem; }
        .runs h2 { font-size: 1.15rem; margin: 0.2rem 0; border: 0; padding: 0; }
        .runs p { margin: 0.2rem 0; font-size: 0.9rem; }
        a { color: var(--accent); }
        @media print {
          html { font-size: 10.5pt; }
          main { max-width: none; padding: 0; }
          h2 { break-after: avoid; }
          figure, table, pre, dl.facts, .runs li { break-inside: avoid; }
          .wide { overflow: visible; }
          pre { background: none; }
          a { color: inherit; text-decoration: none; }
        }

        """
}
