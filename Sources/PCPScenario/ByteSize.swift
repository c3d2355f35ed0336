/// A memory size as a person writes it: "16G", "512M", "1T", "16GiB", "4096K", or plain bytes.
/// Keeps the text it was written as (it names the machine in reports).
public struct ByteSize: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let bytes: Int

    public init(parsing text: String) throws(UsageError) {
        guard let bytes = ByteSize.bytes(text) else { throw UsageError("expected a size like 512M, 16G or 1T") }
        self.text = text
        self.bytes = bytes
    }

    public var description: String { text }

    static func bytes(_ s: String) -> Int? {
        var t = s.uppercased()
        for suffix in ["IB", "B"] where t.hasSuffix(suffix) { t.removeLast(suffix.count); break }
        let units: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        var shift = 0
        if let u = t.last, let sh = units[u] { shift = sh; t.removeLast() }
        guard let v = Int(t), v > 0, v < (1 << (62 - shift)) else { return nil }
        return v << shift
    }
}
