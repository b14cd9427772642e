import Foundation

/// What a lesson printed, in order, as `Lesson` printed it: the one source of the run's page.
///
/// `Lesson`'s printing methods (`cell`, `say`, `show`, `facts`, `save`, `warn`, `finish`) each
/// append one entry here as they print, so the page (`LessonPage`) shows exactly what the
/// terminal showed, in the same order, and nothing is written twice by hand.
struct RunRecord {
    /// One printed piece.
    enum Entry {
        /// `lesson.cell(index, title)`: a cell's heading.
        case cell(index: Int, title: String)
        /// A heading of the closing part ("Paper vs ours").
        case heading(String)
        /// `lesson.say(text)`: prose, as written (paragraphs, "- " items, indented lines).
        case prose(String)
        /// `lesson.show(table)`.
        case table(Table)
        /// `lesson.facts(pairs)`: `label: value` lines.
        case facts([(label: String, value: String)])
        /// `lesson.save(figure)`: the figure's file stem and title, and whether gnuplot rendered it.
        case figure(name: String, title: String, rendered: Bool)
        /// `lesson.warn(message)`.
        case warning(String)
        /// A note printed before the header (`MachineSetup`'s word on OpenBLAS's kernels).
        case note(String)
        /// `Lesson.fail(message)` while the lesson ran: the line it ended with.
        case failure(String)
    }

    private(set) var entries: [Entry] = []

    mutating func append(_ entry: Entry) { entries.append(entry) }

    /// The figures, in the order they were written.
    var figures: [(name: String, title: String, rendered: Bool)] {
        entries.compactMap { if case .figure(let n, let t, let r) = $0 { (n, t, r) } else { nil } }
    }
}
