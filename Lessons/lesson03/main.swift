// lesson03 — placeholder until the lesson lands.
import LessonKit

let options = CommonOptions.parseOrExit()
let lesson = Lesson(number: 3, title: "(in preparation)", follows: "—", options: options)
lesson.finish(paperVsOurs: [])
