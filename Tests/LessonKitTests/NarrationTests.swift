import Testing

@testable import LessonKit

@Suite("Narration: wrapping, tables, formats")
struct NarrationTests {
    @Test("prose wraps at 80 columns, keeps lists and indented lines")
    func wrap() {
        let long = Array(repeating: "word", count: 60).joined(separator: " ")
        let text = "\(long)\n\n- item \(long)\n    y = x Wᵀ + b\nend"
        let out = TextWrap.wrap(text, width: 80)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(lines.contains("    y = x Wᵀ + b"))
        #expect(lines.contains { $0.hasPrefix("- item") })
        #expect(lines.contains { $0.hasPrefix("  word") })  // list continuation is indented
        #expect(lines.contains(""))  // paragraph break kept
        #expect(out.split(whereSeparator: \.isWhitespace).filter { $0 == "word" }.count == 120)
    }

    @Test("tables align text left and numbers right")
    func table() {
        var t = Table(["method", "params"])
        t.row(["LoRA r=1", "1,306"])
        t.row(["NOLA", "32"])
        let lines = t.rendered().split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[2] == "  LoRA r=1   1,306")
        #expect(lines[3] == "  NOLA          32")
        #expect(Set(lines.map(\.count)).count == 1)
    }

    @Test("number formats")
    func formats() {
        #expect(Format.count(1306) == "1,306")
        #expect(Format.count(203_530) == "203,530")
        #expect(Format.count(-1000) == "-1,000")
        #expect(Format.fixed(3.14159, 2) == "3.14")
        #expect(Format.percent(0.9712) == "97.1%")
        #expect(Format.meanStd(91.234, 0.5, 1) == "91.2 ± 0.5")
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(2048) == "2.00 KB")
        #expect(Format.seconds(0.412) == "412 ms")
        #expect(Format.seconds(125) == "2 min 05 s")
        #expect(Format.rate(1.23e9) == "1.23 G")
        #expect(Format.fixed(Double.nan, 2) == "nan")
    }

    @Test("a spread gives the mean and the sample standard deviation")
    func spread() {
        let s = Spread([0.90, 0.92, 0.94])
        #expect(abs(s.mean - 0.92) < 1e-12)
        #expect(abs(s.std - 0.02) < 1e-12)
        #expect(s.percentText == "92.0 ± 2.0%")
        #expect(Spread([0.5]).percentText == "50.0%", "one measurement has no spread to show")
        #expect(Spread([1.5, 2.5]).text(2) == "2.00 ± 0.71")
        #expect(Spread([0.5]).std == 0)
    }
}
