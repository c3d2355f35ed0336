import PCPModel
import PCPScenario

/// Where a claim's verdict holds: the claim re-run at other scales, with each cost constant at
/// half and double, and with each of its workload's numeric parameters at half and double.
public enum Sensitivity {
    /// The CPU counts of the scale sweep; memory and operations grow with the CPUs, so each CPU
    /// keeps the claim's share of both.
    public static let scaleCPUs = [8, 32, 128, 256]
    public static let factors = [0.5, 2.0]

    public struct Condition: Sendable {
        public var name: String
        public var settings: Card.Settings
        public var cost: CostModel
    }

    /// One claim's verdict under one condition.
    public struct Cell: Sendable, Equatable {
        public var condition: String
        public var verdict: Verdict
        /// Seeds the condition ran on.
        public var seeds: Int
        public init(condition: String, verdict: Verdict, seeds: Int = Card.Settings.defaultConditionSeeds) {
            self.condition = condition; self.verdict = verdict; self.seeds = seeds
        }

        /// The swept quantity ("cpus", "pcp_lock_ns", "pages") and its value at this condition
        /// (a multiple of the default for a cost constant).
        public var axis: (name: String, value: Double, relative: Bool) {
            if let x = condition.firstIndex(of: "×") {
                return (String(condition[..<x]), Double(condition[condition.index(after: x)...]) ?? 0, true)
            }
            let eq = condition.firstIndex(of: "=") ?? condition.endIndex
            return (String(condition[..<eq]), eq < condition.endIndex ? Double(condition[condition.index(after: eq)...]) ?? 0 : 0, false)
        }
    }

    /// The conditions a claim is re-run under.
    public static func conditions(_ s: Card.Settings, cost: CostModel) -> [Condition] {
        var out: [Condition] = []
        let cpus = s.cpus ?? 8, memory = s.memory ?? Card.Settings.defaultMemory, ops = s.ops ?? 200_000
        for n in scaleCPUs {
            var t = s
            t.cpus = n
            let mib = (memory.bytes / cpus * n) >> 20
            t.memory = try? ByteSize(parsing: mib % 1024 == 0 ? "\(mib >> 10)G" : "\(mib)M")
            t.ops = ops * n / cpus  // a duration: stays, each CPU runs as long
            out.append(Condition(name: "cpus=\(n)", settings: t, cost: cost))
        }
        for key in CostModel.keys.keys.sorted() {
            for f in factors {
                var c = cost
                c[keyPath: CostModel.keys[key]!] *= f
                out.append(Condition(name: "\(key)×\(f == 0.5 ? "0.5" : "2")", settings: s, cost: c))
            }
        }
        guard let w = s.workload, case .builtin(let name) = w, let info = Workloads.catalog.first(where: { $0.name == name }) else { return out }
        for p in info.params {
            let word = p.split(separator: " ")[0]
            guard let eq = word.firstIndex(of: "="), let def = Int(word[word.index(after: eq)...]) else { continue }
            let key = String(word[..<eq])
            let base = s.params[key].flatMap { Int($0) } ?? def
            for f in factors {
                let v = max(1, Int((Double(base) * f).rounded()))
                guard v != base, valid(name, key, v, s) else { continue }
                var t = s
                t.params[key] = String(v)
                out.append(Condition(name: "\(key)=\(v)", settings: t, cost: cost))
            }
        }
        return out
    }

    /// Whether the workload takes this parameter value (on a small machine with the claim's CPUs).
    static func valid(_ workload: String, _ key: String, _ v: Int, _ s: Card.Settings) -> Bool {
        var sc = Scenario()
        sc.machine = .x86(X86Machine(memory: try! ByteSize(parsing: "256M"), cpus: s.cpus ?? 8))
        guard let m = try? sc.boot(note: { _ in }) else { return false }
        var params = s.params
        params[key] = String(v)
        return (try? Workloads.make(workload, machine: m, params: params)) != nil
    }

    /// "holds everywhere", "never holds", or where it holds and where it flips, axis by axis:
    /// "CONFIRMED at the claim's settings; cpus: holds for cpus ≥ 32, REFUTED for cpus ≤ 8; flips
    /// to REFUTED when pcp_lock_ns ≥ 2× default".
    public static func summary(own: Verdict, _ cells: [Cell]) -> String {
        let all = [own] + cells.map(\.verdict)
        if all.allSatisfy({ $0 == .confirmed }) { return "holds everywhere (\(cells.count) conditions and the claim's own)" }
        if all.allSatisfy({ $0 == .refuted }) { return "never holds (\(cells.count) conditions and the claim's own)" }
        if all.allSatisfy({ $0 == .inconclusive }) { return "inconclusive everywhere (\(cells.count) conditions and the claim's own)" }
        var axes: [String] = []
        var parts: [String] = []
        for c in cells where !axes.contains(c.axis.name) { axes.append(c.axis.name) }
        for a in axes {
            let mine = cells.filter { $0.axis.name == a }.sorted { $0.axis.value < $1.axis.value }
            let relative = mine.first?.axis.relative ?? false
            // A cost constant's default is a condition too: it is the claim's own run.
            var points = mine.map { (value: $0.axis.value, verdict: $0.verdict) }
            if relative { points.append((1, own)); points.sort { $0.value < $1.value } }
            guard Set(points.map(\.verdict)).count > 1 || points.contains(where: { $0.verdict != own }) else { continue }
            var phrases: [String] = []
            for v in [Verdict.confirmed, .refuted, .inconclusive] {
                let idx = points.indices.filter { points[$0].verdict == v }
                guard !idx.isEmpty, !(relative && v == own && idx.count == points.count) else { continue }
                if relative && v == own { continue }
                let where_ = range(points.map(\.value), idx, name: a, relative: relative)
                switch v {
                case .confirmed: phrases.append(relative ? "holds when \(where_)" : "holds for \(where_)")
                case .refuted: phrases.append(relative ? "flips to REFUTED when \(where_)" : "REFUTED for \(where_)")
                case .inconclusive: phrases.append(relative ? "INCONCLUSIVE when \(where_)" : "INCONCLUSIVE for \(where_)")
                }
            }
            if !phrases.isEmpty { parts.append(phrases.joined(separator: ", ")) }
        }
        let head = "\(own.rawValue) at the claim's settings"
        return parts.isEmpty ? head + "; the same under every condition" : head + "; " + parts.joined(separator: "; ")
    }

    /// "cpus ≥ 32", "cpus ≤ 8", "cpus = 8, 128", "pcp_lock_ns ≥ 2× default".
    static func range(_ values: [Double], _ idx: [Int], name: String, relative: Bool) -> String {
        func show(_ v: Double) -> String {
            let s = v == v.rounded() ? String(Int(v)) : String(v)
            return relative ? "\(s)× default" : s
        }
        if idx.count == values.count { return "every \(name)" }
        if idx.last == values.count - 1 && idx.count == values.count - idx.first! { return "\(name) ≥ \(show(values[idx.first!]))" }
        if idx.first == 0 && idx.count == idx.last! + 1 { return "\(name) ≤ \(show(values[idx.last!]))" }
        return "\(name) = " + idx.map { show(values[$0]) }.joined(separator: ", ")
    }
}
