import PCPModel
import PCPScenario

/// A patch card: one kernel change pcpsim models, and its claims as checkable statements.
/// The format (documented in patches/README.md) is `key: value` lines; a `claim:` line starts
/// a claim whose own keys are indented below it; `#` starts a comment line.
public struct Card: Sendable {
    public var path: String
    public var title = ""
    public var messageID = ""
    public var date = ""
    public var changes = ""
    /// Model functions (Swift names) that implement the change.
    public var functions: [String] = []
    /// What turns it on: a policy, a knob, or "baseline" for changes already in 6.18.
    public var enabledBy = ""
    public var defaults = Settings()
    public var claims: [Claim] = []

    /// Where and how a claim runs.
    public struct Settings: Sendable {
        public var workload: WorkloadName?
        public var params: [String: String] = [:]
        /// Machine options as on the command line: cpus, memory, nodes.
        public var cpus: Int?
        public var memory: ByteSize?
        public var nodes: Int?
        public var ops: Int?
        /// Simulated seconds instead of `ops` (several stat intervals: vmstat_update runs each second).
        public var duration: Double?
        public var seeds: Int?
        public var variants: [Variant] = []
        /// Simulated seconds of uptime every run's machine lives through first (`--age`): a
        /// lived-in machine rather than a freshly booted one.
        public var age: Double?
    }

    /// A column of the comparison: a label, a policy, boot sysctls.
    public struct Variant: Sendable, Equatable {
        public var label: String
        public var policy: Policy
        public var sysctls: [KnobSetting]
        public init(label: String, policy: Policy, sysctls: [KnobSetting] = []) {
            self.label = label; self.policy = policy; self.sysctls = sysctls
        }
    }

    public struct Claim: Sendable {
        public var text: String
        public var source = ""
        public var settings: Settings
        public var expects: [Expect] = []
        /// Set when the model cannot test the claim: the reason, reported as INCONCLUSIVE.
        public var untestable: String?
        public var line: Int
    }

    /// `METRIC VARIANT OP RHS` with OP one of < <= > >= (RHS: `VARIANT [* k]` or a number),
    /// `~` (within a factor of 2 of RHS), or `within P% of VARIANT`.
    public struct Expect: Sendable, Equatable, CustomStringConvertible {
        public enum Op: String, Sendable { case lt = "<", le = "<=", gt = ">", ge = ">=", about = "~", within }
        public var metric: String
        public var variant: String
        public var op: Op
        /// The other variant, or nil for a constant.
        public var other: String?
        public var factor: Double
        public var line: Int
        public var description: String {
            switch op {
            case .within: "\(metric) \(variant) within \(factor)% of \(other ?? "?")"
            default: "\(metric) \(variant) \(op.rawValue) \(other.map { factor == 1 ? $0 : "\($0) * \(factor)" } ?? String(factor))"
            }
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let path: String, line: Int, message: String
        public var description: String { "\(path):\(line): \(message)" }
    }

    public static func parse(_ text: String, path: String) throws(ParseError) -> Card {
        var card = Card(path: path)
        var claim: Claim?
        func fail(_ n: Int, _ m: String) -> ParseError { ParseError(path: path, line: n, message: m) }
        func finish() throws(ParseError) {
            guard let c = claim else { return }
            if c.expects.isEmpty && c.untestable == nil { throw fail(c.line, "claim '\(c.text)' has no expect: and no untestable: line") }
            if c.settings.workload == nil && c.untestable == nil { throw fail(c.line, "claim has no workload:") }
            card.claims.append(c)
            claim = nil
        }
        for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = k + 1
            let trimmed = raw.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = trimmed.firstIndex(of: ":") else { throw fail(n, "expected 'key: value', got '\(trimmed.prefix(80))'") }
            let key = String(trimmed[..<colon])
            let value = String(trimmed[trimmed.index(after: colon)...].drop { $0 == " " })
            let indented = raw.first == " " || raw.first == "\t"
            if !indented {
                try finish()
                switch key {
                case "title": card.title = value
                case "message-id": card.messageID = value
                case "date": card.date = value
                case "changes": card.changes = value
                case "functions": card.functions = value.split(separator: ",").map { String($0.trimmingCharacters()) }
                case "enabled-by": card.enabledBy = value
                case "claim": claim = Claim(text: value, settings: card.defaults, line: n)
                default:
                    guard try setSetting(&card.defaults, key, value, n, fail) else { throw fail(n, "unknown card key '\(key)'") }
                }
                continue
            }
            guard claim != nil else { throw fail(n, "indented line outside a claim") }
            switch key {
            case "source": claim!.source = value
            case "untestable": claim!.untestable = value
            case "expect": claim!.expects.append(try parseExpect(value, n, fail))
            default:
                guard try setSetting(&claim!.settings, key, value, n, fail) else { throw fail(n, "unknown claim key '\(key)'") }
            }
        }
        try finish()
        guard !card.title.isEmpty else { throw fail(1, "card has no title:") }
        guard !card.claims.isEmpty else { throw fail(1, "card has no claim:") }
        return card
    }

    static func setSetting(_ s: inout Settings, _ key: String, _ value: String, _ n: Int,
                           _ fail: (Int, String) -> ParseError) throws(ParseError) -> Bool {
        switch key {
        case "workload":
            guard let w = WorkloadName(value) else { throw fail(n, "workload: unknown workload '\(value)' (known: \(WorkloadName.forms.joined(separator: ", ")))") }
            s.workload = w
        case "params":
            for p in value.split(separator: " ") {
                guard let eq = p.firstIndex(of: "=") else { throw fail(n, "params: '\(p)' is not KEY=VALUE") }
                s.params[String(p[..<eq])] = String(p[p.index(after: eq)...])
            }
        case "cpus": guard let v = Int(value), (1...MachineSpec.maxCPUs).contains(v) else { throw fail(n, "cpus: '\(value.prefix(80))' is not a number from 1 to \(MachineSpec.maxCPUs)") }; s.cpus = v
        case "memory":
            do { s.memory = try ByteSize(parsing: value) } catch { throw fail(n, "memory: '\(value)': \(error.description)") }
        case "nodes": guard let v = Int(value), (1...64).contains(v) else { throw fail(n, "nodes: '\(value.prefix(80))' is not a number from 1 to 64") }; s.nodes = v
        case "ops": guard let v = Int(value), (1...10_000_000_000).contains(v) else { throw fail(n, "ops: '\(value.prefix(80))' is not a number from 1 to 10000000000") }; s.ops = v
        case "duration":
            guard let v = Double(value.hasSuffix(" s") ? String(value.dropLast(2)) : value), v > 0, v.isFinite else {
                throw fail(n, "duration: '\(value)' is not a positive number of simulated seconds")
            }
            s.duration = v
        case "age":
            guard let v = Scenario.parseAge(value) else { throw fail(n, "age: '\(value.prefix(80))' is not an uptime such as 600s, 10m or 1h (at most a day)") }
            s.age = v
        case "seeds": guard let v = Int(value), (1...1000).contains(v) else { throw fail(n, "seeds: '\(value.prefix(80))' is not a number from 1 to 1000") }; s.seeds = v
        case "variants":
            s.variants = try value.split(separator: ",").map { (part: Substring) throws(ParseError) -> Variant in
                // label=policy+vm.knob=value+... or just a policy name
                let t = part.trimmingCharacters()
                var label = t, rest = t
                if let eq = t.firstIndex(of: "="), !t[..<eq].contains("+") {
                    label = t[..<eq]; rest = t[t.index(after: eq)...]
                }
                let pieces = rest.split(separator: "+").map(String.init)
                guard let name = pieces.first, !name.isEmpty else { throw fail(n, "variants: empty variant") }
                guard let policy = Policy(rawValue: name) else {
                    throw fail(n, "variants: unknown policy '\(name)' (known: \(Policy.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                var sysctls: [KnobSetting] = []
                for kv in pieces.dropFirst() {
                    do { sysctls.append(try KnobSetting(assignment: kv, origin: "variant \(label)")) } catch { throw fail(n, "\(error)") }
                }
                return Variant(label: String(label), policy: policy, sysctls: sysctls)
            }
        default: return false
        }
        return true
    }

    static func parseExpect(_ v: String, _ n: Int, _ fail: (Int, String) -> ParseError) throws(ParseError) -> Expect {
        let w = v.split(separator: " ").map(String.init)
        guard w.count >= 4 else { throw fail(n, "expect: '\(v)': expected METRIC VARIANT OP RHS") }
        if w[2] == "within" {
            guard w.count == 6, w[3].hasSuffix("%"), let p = Double(w[3].dropLast()), p.isFinite, p >= 0, w[4] == "of" else {
                throw fail(n, "expect: '\(v)': expected METRIC VARIANT within P% of VARIANT")
            }
            return Expect(metric: w[0], variant: w[1], op: .within, other: w[5], factor: p, line: n)
        }
        guard let op = Expect.Op(rawValue: w[2]), op != .within else { throw fail(n, "expect: unknown comparison '\(w[2])' (use < <= > >= ~ within)") }
        if w.count == 4, let c = Double(w[3]), c.isFinite { return Expect(metric: w[0], variant: w[1], op: op, other: nil, factor: c, line: n) }
        if w.count == 4 { return Expect(metric: w[0], variant: w[1], op: op, other: w[3], factor: 1, line: n) }
        guard w.count == 6, w[4] == "*", let f = Double(w[5]), f.isFinite else { throw fail(n, "expect: '\(v)': expected RHS VARIANT or VARIANT * NUMBER or NUMBER") }
        return Expect(metric: w[0], variant: w[1], op: op, other: w[3], factor: f, line: n)
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
