import PCPModel

/// The workload a scenario runs, by the name `--workload` takes: one of the catalog's, two of
/// them as `mix:A+B`, a trace replay as `trace:FILE`, or `none`.
public enum WorkloadName: Hashable, Sendable, CustomStringConvertible {
    /// Nothing runs: the machine stays as booted.
    case none
    /// A workload of `Workloads.catalog`.
    case builtin(String)
    /// `mix:A+B`: two catalog workloads at once.
    case mix(String, String)
    /// `trace:FILE`: a replay of ftrace text (gzipped when FILE ends in .gz).
    case trace(String)

    /// The catalog's single workloads (mix:A+B is a form, not a name).
    public static var builtins: [String] { Workloads.names.filter { !$0.hasPrefix("mix:") } }

    /// Every form `--workload` takes, for help and errors.
    public static var forms: [String] { ["none"] + Workloads.names + ["trace:FILE"] }

    /// nil for a name that is none of the forms.
    public init?(_ text: String) {
        if text == "none" {
            self = .none
        } else if text.hasPrefix("trace:"), text.count > 6 {
            self = .trace(String(text.dropFirst(6)))
        } else if text.hasPrefix("mix:"), let plus = text.firstIndex(of: "+") {
            let a = String(text[text.index(text.startIndex, offsetBy: 4)..<plus]), b = String(text[text.index(after: plus)...])
            guard WorkloadName.builtins.contains(a), WorkloadName.builtins.contains(b) else { return nil }
            self = .mix(a, b)
        } else if WorkloadName.builtins.contains(text) {
            self = .builtin(text)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .builtin(let n): n
        case .mix(let a, let b): "mix:\(a)+\(b)"
        case .trace(let path): "trace:\(path)"
        }
    }
}
