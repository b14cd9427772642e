extension Figure {
    /// A grid of small square grey-scale images (digits, say), each with a caption under it,
    /// drawn as one image: ink dark on white paper. The images whose indices are in `marked` get
    /// a frame and a caption in `markColor` (a wrong prediction, say).
    ///
    /// ```swift
    /// let fig = Figure.imageGrid("predictions", title: "Validation digits (cf. paper A.2)",
    ///                            images: pixels, side: 28, columns: 8,
    ///                            captions: ["7", "2", "3 (true 5)"], marked: [2])
    /// ```
    ///
    /// - `images[i]`: `side × side` values, row after row, in [0, 1] with 0 the background and
    ///   1 full ink (`DigitDataset`'s convention); image `i` goes to row `i / columns`, column
    ///   `i % columns` of the grid.
    /// - `captions`: one per image (empty strings for none).
    ///
    /// Layout in image pixels: each cell is `side + side/5` wide and `side + side/2` tall, the
    /// caption centred in the band below its image. The PNG is `width` pixels wide and as tall
    /// as the grid's proportions ask.
    public static func imageGrid(
        _ name: String, title: String, images: [[Double]], side: Int, columns: Int,
        captions: [String], marked: Set<Int> = [], markColor: Color = .vermillion, width: Int = 1000
    ) -> Figure {
        precondition(side > 0 && columns > 0, "imageGrid: side \(side) and columns \(columns) must be positive")
        precondition(
            captions.count == images.count,
            "imageGrid: \(images.count) images but \(captions.count) captions")
        for (i, image) in images.enumerated() {
            precondition(
                image.count == side * side,
                "imageGrid: image \(i) has \(image.count) pixels, expected \(side)×\(side)")
        }
        let layout = ImageGridLayout(side: side, columns: columns, count: images.count)
        var canvas = [Double](repeating: 1, count: layout.height * layout.width)  // white paper
        for (i, image) in images.enumerated() {
            let (x0, y0) = layout.origin(of: i)
            for y in 0..<side {
                for x in 0..<side {
                    canvas[(y0 + y) * layout.width + x0 + x] = 1 - min(1, max(0, image[y * side + x]))
                }
            }
        }
        var figure = Figure(name, title: title, x: "", y: "")
        figure.legend = .hidden
        // The plot area keeps the grid's proportions; about 90 pixels go to the title and margins.
        figure.size = (width, Int(Double(width) * Double(layout.height) / Double(layout.width)) + 90)
        figure.add(.image(canvas, rows: layout.height, cols: layout.width))
        for i in images.indices.sorted() where marked.contains(i) {
            let (x0, y0) = layout.origin(of: i)
            // Pixel p is centred at coordinate p: the frame runs half a pixel outside the image.
            let (left, right) = (Double(x0) - 1, Double(x0 + side))
            let (top, bottom) = (Double(y0) - 1, Double(y0 + side))
            figure.add(
                .lines(
                    "", x: [left, right, right, left, left], y: [top, top, bottom, bottom, top],
                    markers: false, color: markColor))
        }
        for (i, caption) in captions.enumerated() where !caption.isEmpty {
            let (x0, y0) = layout.origin(of: i)
            figure.annotate(
                .text(
                    caption, x: Double(x0) + Double(side - 1) / 2,
                    y: Double(y0 + side) + Double(layout.band - 1) / 2,
                    color: marked.contains(i) ? markColor : .black))
        }
        return figure
    }
}

/// Where each image of `Figure.imageGrid` sits, in pixels of the combined image.
struct ImageGridLayout {
    let side: Int
    let columns: Int
    let rows: Int
    /// Blank columns between neighbouring images (room for a frame on each).
    let gap: Int
    /// Blank rows under each image, for its caption.
    let band: Int

    init(side: Int, columns: Int, count: Int) {
        self.side = side
        self.columns = columns
        self.rows = max(1, (count + columns - 1) / columns)
        self.gap = max(4, side / 5)
        self.band = max(8, side / 2)
    }

    /// Width of the combined image.
    var width: Int { columns * (side + gap) }
    /// Height of the combined image (a gap above each row, the caption band below it).
    var height: Int { rows * (gap / 2 + side + band) }

    /// Top-left pixel of image `i`.
    func origin(of i: Int) -> (x: Int, y: Int) {
        let (r, c) = (i / columns, i % columns)
        return (c * (side + gap) + gap / 2, r * (gap / 2 + side + band) + gap / 2)
    }
}
