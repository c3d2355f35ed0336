import ArgumentParser
import PCPModel
import PCPRender
import PCPScenario

// The fixed word sets the options take: the parser lists their values in --help and refuses
// any other word with a one-line error.

extension Policy: ExpressibleByArgument {}
extension PCPBuddyOptions.RemoteFreeLock: ExpressibleByArgument {}
extension PCPBuddyOptions.ContigPCP: ExpressibleByArgument {}
extension Phase2Chunk: ExpressibleByArgument {}
extension PCPStateList: ExpressibleByArgument {}

extension WorkloadName: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { forms }
    public var defaultValueDescription: String { description }
}

/// `--policies a,b,...`: one or more policies, the first the baseline of the ratios.
struct PolicyList: ExpressibleByArgument {
    let policies: [Policy]

    init?(argument: String) {
        let words = argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let ps = words.compactMap(Policy.init(rawValue:))
        guard !ps.isEmpty, ps.count == words.count else { return nil }
        policies = ps
    }

    static var allValueStrings: [String] { Policy.allCases.map(\.rawValue) }
    var defaultValueDescription: String { policies.map(\.rawValue).joined(separator: ",") }
}

extension ByteSize {
    /// For `@Option(transform:)`: the parser adds the error's text to its one line.
    static func argument(_ s: String) throws -> ByteSize { try ByteSize(parsing: s) }
}
