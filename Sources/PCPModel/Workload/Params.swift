/// A workload's parameters: `--param key=value` on the command line, with documented
/// defaults. An unknown key or a bad value is an error that names the known keys.
public struct WorkloadParams: Sendable {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    let values: [String: String]
    var used: Set<String> = []

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// An integer parameter in `range`, or its default.
    public mutating func int(_ key: String, _ def: Int, _ range: ClosedRange<Int>) throws(Error) -> Int {
        used.insert(key)
        guard let s = values[key] else { return def }
        guard let v = Int(s), range.contains(v) else {
            throw Error(description: "parameter \(key)=\(s): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A word parameter from `choices`, or its default.
    public mutating func word(_ key: String, _ def: String, _ choices: [String]) throws(Error) -> String {
        used.insert(key)
        guard let s = values[key] else { return def }
        guard choices.contains(s) else { throw Error(description: "parameter \(key)=\(s): expected one of \(choices.joined(separator: ", "))") }
        return s
    }

    /// Fails on any parameter the workload did not ask for.
    public func checkAllUsed(_ workload: String) throws(Error) {
        let unknown = values.keys.filter { !used.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw Error(description: "unknown parameter '\(unknown[0])' for workload \(workload) (known: \(used.sorted().joined(separator: ", ")))")
        }
    }

    /// The parameters whose keys start with `prefix.`, without the prefix (for mix:A+B).
    func scoped(_ prefix: String) -> WorkloadParams {
        var out: [String: String] = [:]
        for (k, v) in values where k.hasPrefix(prefix + ".") { out[String(k.dropFirst(prefix.count + 1))] = v }
        return WorkloadParams(out)
    }
}

/// The CPUs a workload runs on (all of them, or one side of a mix).
public struct CPUSet: Sendable {
    public let cpus: [Int]
    public init(_ cpus: [Int]) { self.cpus = cpus }
    public static func all(_ m: Machine) -> CPUSet { CPUSet(Array(0..<m.nrCPUs)) }
    public var count: Int { cpus.count }
}
