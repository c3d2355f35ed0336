/// An error the user can fix, said in one line: what is wrong and how to fix it. The command
/// line prints it as `pcpsim: error: ...` and exits with status 2.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ s: String) { description = s }
}
