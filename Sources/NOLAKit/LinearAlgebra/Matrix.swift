/// A dense, row-major matrix of `Float` (32-bit).
///
/// Element `(i, j)` lives at `data[i * cols + j]`, the layout of a C array and of a PyTorch tensor,
/// so a weight `W: (out, in)` here is the same bytes as `nn.Linear.weight` there.
///
/// `Matrix` is a value type (copy-on-write through its array). The products and vector
/// operations that every lesson uses are in `BLAS.swift` and go through OpenBLAS.
public struct Matrix: Equatable, Sendable {
    /// Number of rows.
    public private(set) var rows: Int
    /// Number of columns.
    public private(set) var cols: Int
    /// The `rows * cols` elements, row after row.
    public var data: [Float]

    /// A `rows × cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        checkPrecondition(rows >= 0 && cols >= 0, "Matrix: negative shape (\(rows)×\(cols))")
        self.rows = rows
        self.cols = cols
        self.data = [Float](repeating: value, count: rows * cols)
    }

    /// A `rows × cols` matrix over `data` (row-major); `data.count` must be `rows * cols`.
    public init(rows: Int, cols: Int, data: [Float]) {
        checkPrecondition(rows >= 0 && cols >= 0, "Matrix: negative shape (\(rows)×\(cols))")
        checkPrecondition(
            data.count == rows * cols,
            "Matrix: \(data.count) elements cannot fill shape (\(rows)×\(cols))")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// A matrix from nested rows, for tests and small examples: `Matrix([[1, 2], [3, 4]])`.
    public init(_ nested: [[Float]]) {
        let cols = nested.first?.count ?? 0
        checkPrecondition(nested.allSatisfy { $0.count == cols }, "Matrix: rows of unequal length")
        self.init(rows: nested.count, cols: cols, data: nested.flatMap { $0 })
    }

    /// An all-zero `rows × cols` matrix.
    public static func zeros(_ rows: Int, _ cols: Int) -> Matrix {
        Matrix(rows: rows, cols: cols)
    }

    /// The `n × n` identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.data[i * n + i] = 1 }
        return m
    }

    /// Number of elements, `rows * cols`.
    @inlinable public var count: Int { data.count }

    /// The shape as written in messages and doc comments, e.g. `(256×784)`.
    public var shapeDescription: String { "(\(rows)×\(cols))" }

    /// Element `(i, j)`.
    @inlinable public subscript(i: Int, j: Int) -> Float {
        get { data[i * cols + j] }
        set { data[i * cols + j] = newValue }
    }

    /// The transpose, a new `cols × rows` matrix.
    public func transposed() -> Matrix {
        var t = Matrix(rows: cols, cols: rows)
        data.withUnsafeBufferPointer { src in
            t.data.withUnsafeMutableBufferPointer { dst in
                for i in 0..<rows {
                    for j in 0..<cols { dst[j * rows + i] = src[i * cols + j] }
                }
            }
        }
        return t
    }

    /// Reinterprets the same elements under a new shape with the same count (row-major order kept).
    public func reshaped(_ rows: Int, _ cols: Int) -> Matrix {
        checkPrecondition(
            rows * cols == count,
            "Matrix.reshaped: cannot view \(shapeDescription) as (\(rows)×\(cols))")
        return Matrix(rows: rows, cols: cols, data: data)
    }

    /// Rows `range` as a new matrix (a mini-batch, say).
    public func rows(_ range: Range<Int>) -> Matrix {
        checkPrecondition(
            range.lowerBound >= 0 && range.upperBound <= rows,
            "Matrix.rows: range \(range) outside \(shapeDescription)")
        let slice = data[(range.lowerBound * cols)..<(range.upperBound * cols)]
        return Matrix(rows: range.count, cols: cols, data: Array(slice))
    }

    /// Sets every element to zero, keeping the shape and storage.
    public mutating func zero() {
        data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Largest absolute element-wise difference to `other` (same shape).
    public func maxAbsDifference(_ other: Matrix) -> Float {
        checkPrecondition(
            rows == other.rows && cols == other.cols,
            "Matrix.maxAbsDifference: shapes \(shapeDescription) and \(other.shapeDescription) differ")
        var worst: Float = 0
        for i in 0..<count { worst = max(worst, abs(data[i] - other.data[i])) }
        return worst
    }
}

extension Matrix: CustomStringConvertible {
    /// A short description: the shape, and the elements when there are few.
    public var description: String {
        guard count <= 64 else { return "Matrix\(shapeDescription)" }
        let body = (0..<rows).map { i in
            (0..<cols).map { j in String(self[i, j]) }.joined(separator: " ")
        }.joined(separator: "; ")
        return "Matrix\(shapeDescription)[\(body)]"
    }
}
