import ArgumentParser
import Foundation
import PCPModel
import PCPScenario

/// Speed and size figures (wall clock, so only here: nothing in the model reads the clock).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the model: pcp-fastpath (order-0 PCP alloc+free rate), boot (time and memory) or compact (compact_memory's migration rate).",
        discussion: """
        Examples: pcpsim bench pcp-fastpath
                  pcpsim bench boot --memory 1T --cpus 256
                  pcpsim bench compact --memory 8G
        """
    )
    /// The benchmarks.
    enum Name: String, CaseIterable, ExpressibleByArgument {
        case pcpFastpath = "pcp-fastpath", boot, compact
    }

    @Argument(help: "The benchmark.")
    var name: Name
    @OptionGroup var file: ScenarioOptions
    @OptionGroup var machine: MachineOptions
    @Option(help: "pcp-fastpath: alloc+free pairs to time.")
    var pairs: Int = 20_000_000
    @Option(help: "pcp-fastpath: kernel (alloc_page + __free_page, what the kernel's page_bench02 times) or anon (a faulted anonymous page: the LRU add and delete and the anon counters on both sides as well).")
    var kind: FastpathKind = .kernel

    /// What the timed pages are. The default is the PCP fast path alone, the pair the kernel's
    /// own 53 ns figure is for; anon adds the fault's accounting around it.
    enum FastpathKind: String, CaseIterable, ExpressibleByArgument {
        case kernel, anon
        var allocKind: AllocKind { self == .anon ? .anon : .kernel }
    }

    func run() throws {
        switch name {
        case .pcpFastpath: try fastpath()
        case .boot: try boot()
        case .compact: try compact()
        }
    }

    /// Order-0 allocate then free on CPU 0: after the first refill both sides stay on the PCP,
    /// like the kernel's own alloc/free round trip.
    func fastpath() throws {
        let m = try file.scenario(machine).boot()
        guard pairs > 0 else { throw UsageError("--pairs must be positive") }
        let k = kind.allocKind
        for _ in 0..<1000 { if let r = m.allocPages(cpu: 0, order: 0, kind: k) { try m.freePages(cpu: 0, r, order: 0) } }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<pairs {
            guard let r = m.allocPages(cpu: 0, order: 0, kind: k) else { throw UsageError("allocation failed") }
            try m.freePages(cpu: 0, r, order: 0)
        }
        let ns = Double(DispatchTime.now().uptimeNanoseconds - start)
        let rate = Double(2 * pairs) / ns * 1e3
        print("pcp-fastpath: \((rate * 10).rounded() / 10) M page ops/s (\(pairs) \(kind) alloc+free pairs, \(((ns / Double(pairs)) * 10).rounded() / 10) ns per pair)")
    }

    func boot() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let m = try file.scenario(machine).boot()
        let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let pages = m.zones.reduce(0) { $0 + $1.geometry.spanned }
        print("boot: \(pages) pages, \(m.nrCPUs) CPUs in \((secs * 100).rounded() / 100) s, peak RSS \(peakRSSMiB()) MiB")
    }

    /// fragment.c on the machine (three quarters of memory mapped a page at a time, every other
    /// page freed), then `echo 1 > compact_memory`, timed: pages migrated per wall second.
    func compact() throws {
        let m = try file.scenario(machine).boot()
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        var w = try Workloads.make("fragment", machine: m, params: ["mib": String(max(1, managed * 3 / 4 / 256))])
        try Engine(machine: m, seed: 1).run(&w, ops: Int.max)
        let before = m.events
        let start = DispatchTime.now().uptimeNanoseconds
        try m.compactMemory(1)
        let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let d = { (e: VMEvent) in m.events[e.rawValue] - before[e.rawValue] }
        let migrated = d(.pgmigrateSuccess), scanned = d(.compactMigrateScanned) + d(.compactFreeScanned)
        print("compact: \(migrated) pages migrated, \(scanned) scanned in \((secs * 1000).rounded() / 1000) s: \(Int(Double(migrated) / secs)) pages migrated/s")
    }

    /// VmHWM from /proc/self/status, or "n/a" where it cannot be read.
    func peakRSSMiB() -> String {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) }) else { return "n/a" }
        return String(kb / 1024)
    }
}
