import Foundation
import PCPModel
import PCPRender

/// One knob a scenario sets at boot, in order, and where the setting came from (for errors).
public struct KnobSetting: Equatable, Sendable, Codable {
    /// As sysctl(8) names it (`vm.min_free_kbytes`), or a path with dots for slashes.
    public var name: String
    /// The text written to the knob.
    public var value: String
    /// `--sysctl`, `FILE:LINE`, a card's variant...
    public var origin: String

    public init(name: String, value: String, origin: String) {
        self.name = name; self.value = value; self.origin = origin
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, value, origin }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), value: try c.decode(String.self, forKey: .value),
                  origin: try c.decodeIfPresent(String.self, forKey: .origin) ?? "scenario")
    }

    /// `NAME=VALUE`, as `--sysctl` and patch cards write it.
    public init(assignment s: String, origin: String) throws(UsageError) {
        guard let eq = s.firstIndex(of: "=") else { throw UsageError("\(origin) '\(s)': expected NAME=VALUE, e.g. vm.min_free_kbytes=67584") }
        self.init(name: String(s[..<eq]), value: String(s[s.index(after: eq)...]), origin: origin)
    }

    /// A sysctl.conf-style file: `NAME = VALUE` lines; `#` and `;` start comments.
    public static func file(_ text: String, path: String) throws(UsageError) -> [KnobSetting] {
        var out: [KnobSetting] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let eq = line.firstIndex(of: "=") else { throw UsageError("\(path):\(n + 1): expected NAME = VALUE") }
            out.append(KnobSetting(name: line[..<eq].trimmingCharacters(in: .whitespaces),
                                   value: line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces), origin: "\(path):\(n + 1)"))
        }
        return out
    }

    /// Writes the knob as the kernel's handler takes it; an unknown knob, one only a running
    /// mount has, or a value the kernel refuses is an error naming the origin.
    public func apply(to m: Machine) throws(UsageError) {
        guard let knob = KnobTable.knob(forSysctl: name) else {
            let known = KnobTable.all.filter { $0.scope == .machine }.map(KnobTable.sysctlName)
            throw UsageError("\(origin): unknown knob '\(name)' (known: \(known.joined(separator: ", ")))")
        }
        guard knob.scope == .machine else { throw UsageError("\(origin): \(name) is a file of a running mount, not a knob of the machine") }
        do {
            try knob.parse(Array(value.utf8)).apply(to: m)
        } catch {
            throw UsageError("\(origin): \(name)=\(value): \(error.message) (the kernel would refuse this write)")
        }
    }
}
