import Glibc

/// A failure to mount, serve or unmount, as one line saying what is wrong and how to fix it.
public struct FuseError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// `what` followed by the text of `code` (an errno), e.g. "cannot unmount /x: Device or resource busy".
    static func system(_ what: String, _ code: Int32, fix: String) -> FuseError {
        FuseError("\(what): \(String(cString: strerror(code))); \(fix)")
    }
}
