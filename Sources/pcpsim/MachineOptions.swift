import ArgumentParser
import Foundation
import PCPModel
import PCPRender

/// How to get a machine: shared by every subcommand that simulates one.
struct MachineOptions: ParsableArguments {
    @Option(help: "RAM size, e.g. 16G, 512M, 1T.")
    var memory: String = "16G"
    @Option(help: "Number of CPUs.")
    var cpus: Int = 8
    @Option(help: "Number of NUMA nodes (memory and CPUs split evenly).")
    var nodes: Int = 1
    @Option(help: "Per-CPU last-level cache slice in KiB (sets PCPF_FREE_HIGH_BATCH when above 3 batches; 0: not reported).")
    var cpuDataSliceKB: Int = 0
    @Option(name: .customLong("like-zoneinfo"), help: "Copy zone geometry and CPU count from a real /proc/zoneinfo.")
    var likeZoneinfo: String?
    @Option(help: "A saved machine description (JSON, as `pcpsim machine` prints).")
    var machine: String?
    @Option(name: .customLong("sysctl"), help: "A knob applied at boot, e.g. vm.min_free_kbytes=67584 (repeatable, applied in order).")
    var sysctls: [String] = []
    @Option(help: "A sysctl.conf-style file of vm.* knobs applied at boot.")
    var sysctlFile: String?
    @Option(help: "Allocator design: \(Policy.allCases.map(\.rawValue).joined(separator: ", ")).")
    var policy: String = "baseline"
    @Option(help: "pcp-buddy/block-economy: how a routed free takes the owner's pcp->lock (spin, trylock).")
    var remoteFreeLock: String = "spin"
    @Option(help: "pcp-buddy: phase 2 takes the largest (largest) or smallest (smallest) chunk first.")
    var phase2Chunk: String = "largest"

    func chosenPolicy() throws -> Policy {
        guard let p = Policy(rawValue: policy) else {
            throw UsageError("unknown policy '\(policy)' (known: \(Policy.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return p
    }

    func pcpBuddyOptions() throws -> PCPBuddyOptions {
        var o = PCPBuddyOptions()
        guard let lock = PCPBuddyOptions.RemoteFreeLock(rawValue: remoteFreeLock) else {
            throw UsageError("--remote-free-lock must be spin or trylock (got '\(remoteFreeLock)')")
        }
        o.remoteFreeLock = lock
        guard ["largest", "smallest"].contains(phase2Chunk) else {
            throw UsageError("--phase2-chunk must be largest or smallest (got '\(phase2Chunk)')")
        }
        o.phase2LargestFirst = phase2Chunk == "largest"
        return o
    }

    /// The machine description these options name.
    func spec() throws -> MachineSpec {
        if let path = likeZoneinfo {
            do { return try ZoneinfoImport.parse(try readText(path)) } catch let e as ZoneinfoImport.Failure {
                throw UsageError("\(path): \(e.description)")
            }
        }
        if let path = machine {
            do { return try JSONDecoder().decode(MachineSpec.self, from: Data(try readText(path).utf8)) } catch let e as UsageError {
                throw e
            } catch {
                throw UsageError("\(path): not a machine description (\(error)); `pcpsim machine` prints one")
            }
        }
        guard let bytes = parseSize(memory) else {
            throw UsageError("--memory '\(memory)': expected a size like 512M, 16G or 1T")
        }
        return try MachineSpec.x86(memory: bytes, cpus: cpus, nodes: nodes, cpuDataSliceKB: cpuDataSliceKB)
    }

    /// Boots the machine and applies the boot knobs in order (then `extraSysctls`).
    func boot(extraSysctls: [(String, String)] = []) throws -> Machine {
        let s = try spec()
        guard cpus > 0 || likeZoneinfo != nil else { throw UsageError("--cpus must be at least 1") }
        let p = try chosenPolicy(), options = try pcpBuddyOptions()
        let m = try Machine(spec: s)
        m.setPCPBuddyOptions(options)
        m.setPolicy(p)
        for (name, value, origin) in try knobAssignments() + extraSysctls.map({ ($0.0, $0.1, "variant") }) {
            guard let path = KnobTable.path(forSysctl: name), let knob = KnobTable.byPath[path] else {
                throw UsageError("\(origin): unknown knob '\(name)' (known: \(KnobTable.all.map { $0.path.replacingOccurrences(of: "proc/sys/", with: "").replacingOccurrences(of: "/", with: ".") }.joined(separator: ", ")))")
            }
            do {
                try knob.parse(Array(value.utf8)).apply(to: m)
            } catch {
                throw UsageError("\(origin): \(name)=\(value): Invalid argument (the kernel would refuse this write)")
            }
        }
        return m
    }

    /// (name, value, where it came from) from --sysctl-file then --sysctl, in order.
    func knobAssignments() throws -> [(String, String, String)] {
        var out: [(String, String, String)] = []
        if let path = sysctlFile {
            for (n, raw) in try readText(path).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                guard let eq = line.firstIndex(of: "=") else { throw UsageError("\(path):\(n + 1): expected NAME = VALUE") }
                out.append((line[..<eq].trimmingCharacters(in: .whitespaces), line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces), "\(path):\(n + 1)"))
            }
        }
        for s in sysctls {
            guard let eq = s.firstIndex(of: "=") else { throw UsageError("--sysctl '\(s)': expected NAME=VALUE, e.g. vm.min_free_kbytes=67584") }
            out.append((String(s[..<eq]), String(s[s.index(after: eq)...]), "--sysctl"))
        }
        return out
    }
}

/// How to drive the machine before looking at it.
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Workload: \(Workloads.names.joined(separator: ", ")) (`pcpsim workloads` lists their parameters).")
    var workload: String?
    @Option(name: .customLong("param"), help: "A workload parameter KEY=VALUE (repeatable; for mix:A+B, a.KEY / b.KEY).")
    var params: [String] = []
    @Option(help: "Allocator operations to run (idle steps included).")
    var ops: Int = 100_000
    @Option(help: "Random seed (same seed, same output).")
    var seed: UInt64 = 1
    @Option(help: "Cost model file (`name = nanoseconds` lines) overriding the defaults.")
    var costModel: String?
    @Flag(help: "Check every invariant after every operation (slow on big machines).")
    var check = false
    @Option(help: "With --check: check every N operations instead of every one.")
    var checkEvery: Int = 1

    func costs() throws -> CostModel { try WorkloadOptions.costs(costModel) }

    static func costs(_ path: String?) throws -> CostModel {
        guard let path else { return CostModel() }
        do { return try CostModel.parse(readText(path)) } catch let e as CostModel.ParseError {
            throw UsageError("\(path): \(e.description)")
        }
    }

    func makeWorkload(_ name: String, _ m: Machine) throws -> Workload {
        try WorkloadOptions.make(name, params, m)
    }

    static func make(_ name: String, _ params: [String], _ m: Machine) throws -> Workload {
        var values: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw UsageError("--param '\(p)': expected KEY=VALUE") }
            values[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        do { return try Workloads.make(name, machine: m, params: values) } catch {
            throw UsageError(error.description)
        }
    }

    /// Runs the workload, if one was named, and returns the engine that ran it.
    @discardableResult
    func run(on m: Machine) throws -> Engine? {
        guard let name = workload else { return nil }
        var w = try makeWorkload(name, m)
        guard ops >= 0 else { throw UsageError("--ops must be >= 0") }
        guard checkEvery >= 1 else { throw UsageError("--check-every must be >= 1") }
        let engine = Engine(machine: m, seed: seed, cost: try costs(), checkEvery: check ? checkEvery : 0)
        do {
            try engine.run(&w, ops: ops)
            if check { try engine.check(after: "the last operation") }
        } catch let e as Engine.Failure {
            throw UsageError(e.description)
        } catch {
            throw UsageError("\(error)")
        }
        return engine
    }
}

func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UsageError("cannot read '\(path)': no such file or not readable")
    }
    return String(decoding: data, as: UTF8.self)
}

/// "16G", "512M", "1T", "16GiB", "4096K", or plain bytes.
func parseSize(_ s: String) -> Int? {
    var t = s.uppercased()
    for suffix in ["IB", "B"] where t.hasSuffix(suffix) { t.removeLast(suffix.count); break }
    let units: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
    var shift = 0
    if let u = t.last, let sh = units[u] { shift = sh; t.removeLast() }
    guard let v = Int(t), v > 0, v < (1 << (62 - shift)) else { return nil }
    return v << shift
}
