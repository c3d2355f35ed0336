import ArgumentParser
import PCPScenario

/// `--sweep NAME=V1,V2,...`: the machine's size (cpus, memory, nodes) or a workload
/// parameter, at several values.
struct Sweep: ExpressibleByArgument {
    enum Parameter: Equatable {
        case cpus, memory, nodes
        case param(String)
    }

    let name: String
    let parameter: Parameter
    let values: [String]

    init?(argument: String) {
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else { return nil }
        name = String(argument[..<eq])
        values = argument[argument.index(after: eq)...].split(separator: ",").map(String.init)
        guard !values.isEmpty else { return nil }
        switch name {
        case "cpus": parameter = .cpus
        case "memory": parameter = .memory
        case "nodes": parameter = .nodes
        default: parameter = .param(name)
        }
    }

    var defaultValueDescription: String { "\(name)=\(values.joined(separator: ","))" }

    /// Whether the swept parameter is the machine's (the report then names each machine).
    var sizesTheMachine: Bool { if case .param = parameter { false } else { true } }

    /// The scenario at one of the values.
    func scenario(_ base: Scenario, at v: String) throws -> Scenario {
        var s = base
        if case .param(let key) = parameter {
            s.params[key] = v
            return s
        }
        guard case .x86(var x) = s.machine else { throw UsageError("--sweep \(name) needs a machine given by size (--memory, --cpus, --nodes)") }
        switch parameter {
        case .cpus: guard let n = Int(v) else { throw UsageError("--sweep cpus: '\(v)' is not a number") }; x.cpus = n
        case .nodes: guard let n = Int(v) else { throw UsageError("--sweep nodes: '\(v)' is not a number") }; x.nodes = n
        case .memory: do { x.memory = try ByteSize(parsing: v) } catch { throw UsageError("--sweep memory '\(v)': \(error.description)") }
        case .param: break
        }
        s.machine = .x86(x)
        return s
    }
}
