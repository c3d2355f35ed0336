import PCPModel

/// pcp-buddy's phase 2 (unowned chunks) takes the largest chunk first or the smallest one
/// larger than the request: the word for `PCPBuddyOptions.phase2LargestFirst`.
public enum Phase2Chunk: String, CaseIterable, Sendable, Codable {
    case largest, smallest

    public init(_ o: PCPBuddyOptions) { self = o.phase2LargestFirst ? .largest : .smallest }

    public var largestFirst: Bool { self == .largest }
}
