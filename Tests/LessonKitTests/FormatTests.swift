import Testing
@testable import LessonKit
@Test func placeholderCompiles() { #expect(Format.count(1306) == "1,306") }
