// lesson02 — placeholder until the lesson lands.
import LessonKit

let options = CommonOptions.parseOrExit()
let lesson = Lesson(number: 2, title: "(in preparation)", follows: "—", options: options)
lesson.finish(paperVsOurs: [])
