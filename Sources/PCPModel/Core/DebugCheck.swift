/// A check that costs nothing in a release build: `assert` in a debug build, and kept in an
/// optimised one built with `-D PCPSIM_CHECKED` (what `scripts/test` builds), so the suite runs
/// optimised without losing the bounds checks that catch a bad index at the access that made it.
@inline(__always) func debugCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                                  file: StaticString = #file, line: UInt = #line) {
    #if PCPSIM_CHECKED
    precondition(condition(), message(), file: file, line: line)
    #else
    assert(condition(), message(), file: file, line: line)
    #endif
}
