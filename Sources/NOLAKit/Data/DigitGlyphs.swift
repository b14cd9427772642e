/// The shapes of the synthetic digits: each digit is one or more pen paths, each path a chain
/// of points and elliptical arcs that the pen follows without lifting.
///
/// Glyph space: the digit's box is about `x ∈ [−0.3, 0.3]`, `y ∈ [−0.5, 0.5]`, `y` pointing UP,
/// angles in degrees counter-clockwise from the `+x` axis. An arc from 90 to −90 therefore runs
/// clockwise down the right-hand side, as a pen draws the top of a 3.

/// One piece of a pen path.
enum PenPiece: Sendable {
    /// The pen moves in a straight line to `(x, y)` (the first piece of a path is where it lands).
    case point(Float, Float)
    /// The pen follows the ellipse with centre `(cx, cy)` and radii `(rx, ry)` from angle `from`
    /// to angle `to` (degrees; `to < from` runs clockwise).
    case arc(cx: Float, cy: Float, rx: Float, ry: Float, from: Float, to: Float)
}

/// A digit drawn as pen paths.
typealias Glyph = [[PenPiece]]

enum DigitGlyphs {
    /// The variants a style draws digit `digit` from; each image picks one uniformly.
    static func variants(of digit: Int, style: DigitStyle) -> [Glyph] {
        switch style {
        case .upright: upright[digit]
        case .shifted: shifted[digit]
        }
    }

    // MARK: The shapes

    static let zero: Glyph = [[.arc(cx: 0, cy: 0, rx: 0.27, ry: 0.48, from: 100, to: 465)]]

    static let plainOne: Glyph = [[.point(0.03, 0.5), .point(-0.03, -0.5)]]
    static let flaggedOne: Glyph = [[.point(-0.18, 0.3), .point(0.03, 0.5), .point(-0.03, -0.5)]]
    /// A one with a flag and a foot, as printed and as written in much of Europe.
    static let footedOne: Glyph = flaggedOne + [[.point(-0.2, -0.5), .point(0.16, -0.5)]]

    static let two: Glyph = [[
        .arc(cx: 0, cy: 0.22, rx: 0.26, ry: 0.27, from: 160, to: -25),
        .point(-0.28, -0.5), .point(0.3, -0.5),
    ]]
    /// A two whose diagonal ends in a small loop before the base, a common cursive form.
    static let loopedTwo: Glyph = [[
        .arc(cx: 0, cy: 0.22, rx: 0.26, ry: 0.27, from: 160, to: -25),
        .point(-0.26, -0.34),
        .arc(cx: -0.14, cy: -0.36, rx: 0.14, ry: 0.13, from: 170, to: -170),
        .point(0.3, -0.5),
    ]]

    static let three: Glyph = [[
        .arc(cx: 0, cy: 0.25, rx: 0.23, ry: 0.24, from: 150, to: -90),
        .arc(cx: 0, cy: -0.24, rx: 0.27, ry: 0.26, from: 90, to: -150),
    ]]
    /// A three with a flat top and a sharp corner, like a Z over a belly.
    static let flatTopThree: Glyph = [[
        .point(-0.25, 0.5), .point(0.25, 0.5), .point(-0.04, 0.06),
        .arc(cx: 0, cy: -0.2, rx: 0.27, ry: 0.28, from: 110, to: -150),
    ]]

    /// The printed four: the diagonal and the stem meet at the top.
    static let closedFour: Glyph = [
        [.point(0.14, 0.5), .point(-0.3, -0.15), .point(0.3, -0.15)],
        [.point(0.14, 0.5), .point(0.14, -0.5)],
    ]
    /// The handwritten four: an open L and a separate stem.
    static let openFour: Glyph = [
        [.point(-0.2, 0.5), .point(-0.26, -0.12), .point(0.3, -0.12)],
        [.point(0.14, 0.45), .point(0.14, -0.5)],
    ]

    static let five: Glyph = [[
        .point(0.26, 0.5), .point(-0.2, 0.5), .point(-0.22, 0.04),
        .arc(cx: 0, cy: -0.2, rx: 0.27, ry: 0.28, from: 140, to: -150),
    ]]

    static let six: Glyph = [[
        .arc(cx: 0.25, cy: -0.1, rx: 0.5, ry: 0.6, from: 100, to: 185),
        .arc(cx: 0, cy: -0.24, rx: 0.24, ry: 0.25, from: 180, to: 530),
    ]]

    static let plainSeven: Glyph = [[.point(-0.28, 0.5), .point(0.28, 0.5), .point(-0.06, -0.5)]]
    /// A seven with a bar across its stem (continental style).
    static let crossedSeven: Glyph = plainSeven + [[.point(-0.04, 0), .point(0.26, 0)]]

    static let eight: Glyph = [
        [.arc(cx: 0, cy: 0.27, rx: 0.2, ry: 0.22, from: 0, to: 370)],
        [.arc(cx: 0, cy: -0.22, rx: 0.26, ry: 0.27, from: 180, to: 550)],
    ]

    static let straightNine: Glyph = [[
        .arc(cx: 0, cy: 0.22, rx: 0.24, ry: 0.26, from: -10, to: 360),
        .point(0.22, -0.5),
    ]]
    static let curvedNine: Glyph = [[
        .arc(cx: 0, cy: 0.22, rx: 0.24, ry: 0.26, from: -10, to: 360),
        .arc(cx: -0.6, cy: 0.22, rx: 0.84, ry: 0.72, from: 0, to: -60),
    ]]

    /// The everyday forms.
    static let upright: [[Glyph]] = [
        [zero],
        [plainOne, plainOne, flaggedOne],
        [two],
        [three],
        [closedFour, openFour],
        [five],
        [six],
        [plainSeven],
        [eight],
        [straightNine, curvedNine],
    ]

    /// The shifted domain's forms: continental and cursive variants where a digit has one.
    static let shifted: [[Glyph]] = [
        [zero],
        [footedOne],
        [loopedTwo],
        [flatTopThree],
        [openFour],
        [five],
        [six],
        [crossedSeven],
        [eight],
        [straightNine],
    ]
}
