import ArgumentParser
import PCPModel

struct WorkloadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workloads",
        abstract: "List the workloads and their parameters (set with --param KEY=VALUE).",
        discussion: "Example: pcpsim run --workload jemalloc-purge --param purgers=4 --cpus 32 --memory 16G"
    )

    func run() {
        for w in Workloads.catalog {
            print("\(w.name)\n  \(w.summary)")
            for p in w.params { print("    \(p)") }
        }
    }
}
