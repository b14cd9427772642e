/// `precondition` whose message survives optimisation: stops the program with `message` (and
/// the caller's file and line) when `condition` is false.
///
/// NOLAKit is compiled with `-O` in every configuration, and there Swift's own `precondition`
/// drops its message: a shape mismatch would end in a bare "Illegal instruction". This helper
/// calls `fatalError`, which always prints. Use it for programming errors only (shape
/// mismatches, out-of-range labels); bad user input is a thrown error.
@inline(__always)
func checkPrecondition(
    _ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) {
    if !condition { fatalError(message(), file: file, line: line) }
}
