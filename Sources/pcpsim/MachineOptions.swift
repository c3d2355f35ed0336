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
    @Flag(help: "With --like-zoneinfo: start each CPU's PCPs at that zoneinfo's count and high, and each zone at its pages free (for replaying a trace taken after it).")
    var pcpStateFromZoneinfo = false
    @Option(name: .customLong("like-pagetypeinfo"), help: "With --like-zoneinfo: rebuild every zone's free lists and pageblock types from this /proc/pagetypeinfo.")
    var likePagetypeinfo: String?
    @Option(help: "Milliseconds until the first vmstat_update (decay, counter folds); default: one stat_interval.")
    var vmstatPhaseMs: Int?
    @Option(help: "With --pcp-state-from-zoneinfo: the order-0 list the preset pages go to (unmovable, movable, reclaimable; zoneinfo does not say), or 'trace' to infer each list's length from the trace being replayed.")
    var pcpStateList: String = "movable"
    var presetType: Int {
        ["unmovable": 0, "movable": 1, "reclaimable": 2][pcpStateList] ?? 1
    }
    @Option(help: "Allocator design: \(Policy.allCases.map(\.rawValue).joined(separator: ", ")).")
    var policy: String = "baseline"
    @Option(help: "pcp-buddy/block-economy: how a routed free takes the owner's pcp->lock (spin, trylock).")
    var remoteFreeLock: String = "spin"
    @Option(help: "pcp-buddy: phase 2 takes the largest (largest) or smallest (smallest) chunk first.")
    var phase2Chunk: String = "largest"

    func chosenPolicy() throws -> Policy { try Self.policy(named: policy) }

    static func policy(named name: String) throws -> Policy {
        guard let p = Policy(rawValue: name) else {
            throw UsageError("unknown policy '\(name)' (known: \(Policy.allCases.map(\.rawValue).joined(separator: ", ")))")
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
        guard ["unmovable", "movable", "reclaimable", "trace"].contains(pcpStateList) else {
            throw UsageError("--pcp-state-list must be unmovable, movable, reclaimable or trace (got '\(pcpStateList)')")
        }
        if pcpStateFromZoneinfo {
            guard let path = likeZoneinfo else { throw UsageError("--pcp-state-from-zoneinfo needs --like-zoneinfo FILE") }
            let text = try readText(path)
            for st in ZoneinfoImport.pcpState(text) {
                m.presetPCP(nid: st.nid, zone: st.zone, cpu: st.cpu, count: st.count, high: st.high, mt: presetType)
            }
            if likePagetypeinfo == nil {
                for f in ZoneinfoImport.freePages(text) { m.occupy(nid: f.nid, zone: f.zone, leavingFree: f.pages) }
            }
        }
        if let path = likePagetypeinfo {
            guard likeZoneinfo != nil else { throw UsageError("--like-pagetypeinfo needs --like-zoneinfo FILE") }
            do {
                for a in try ZoneinfoImport.pagetypeinfo(readText(path)) {
                    let missing = m.shapeFreeArea(nid: a.nid, zone: a.zone, free: a.free, blocks: a.blocks)
                    if !missing.isEmpty {
                        let pages = missing.reduce(0) { $0 + ($1.missing << $1.order) }
                        let what = missing.map { "\($0.missing) of order \($0.order) (type \($0.mt))" }.joined(separator: ", ")
                        FileHandle.standardError.write(Data("pcpsim: note: node \(a.nid) zone \(a.zone.name): \(pages) free pages of the capture could not be placed without merging: \(what)\n".utf8))
                    }
                }
            } catch let e as ZoneinfoImport.Failure {
                throw UsageError("\(path): \(e.description)")
            }
        }
        if let ms = vmstatPhaseMs {
            guard ms >= 0 else { throw UsageError("--vmstat-phase-ms must be >= 0") }
            m.setVmstatPhase(ns: Int64(ms) * 1_000_000)
        }
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
    @Option(help: "Allocator operations to run (idle steps included); a trace replay runs to its end by default.")
    var ops: Int?
    @Option(help: "Write the kmem tracepoints the simulation fires, as ftrace text, to this file.")
    var traceOut: String?
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
        if name.hasPrefix("trace:") {
            guard params.isEmpty else { throw UsageError("a trace replay takes no --param") }
            let path = String(name.dropFirst(6))
            do { return TraceReplay(records: try TraceText.records(readTraceFile(path), cpus: m.nrCPUs)) } catch let e as TraceText.ParseError {
                throw UsageError("\(path): \(e.description)")
            }
        }
        var values: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw UsageError("--param '\(p)': expected KEY=VALUE") }
            values[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        do { return try Workloads.make(name, machine: m, params: values) } catch {
            throw UsageError(error.description)
        }
    }

    /// Runs the workload, if one was named, and returns the engine that ran it. With
    /// `--pcp-state-list trace`, the preset PCP pages are first spread over the order-0 lists
    /// as the trace being replayed shows them.
    @discardableResult
    func run(on m: Machine, pcpListsFromTrace: Bool = false) throws -> Engine? {
        guard let name = workload else { return nil }
        if pcpListsFromTrace {
            guard name.hasPrefix("trace:") else { throw UsageError("--pcp-state-list trace needs --workload trace:FILE") }
            let path = String(name.dropFirst(6))
            let starts: [TraceText.PCPListKey: Int]
            do {
                starts = try TraceText.pcpListStart(readTraceFile(path)) { pfn in
                    m.zones.first { $0.isPopulated && $0.geometry.startPFN <= pfn && pfn < $0.geometry.endPFN }.map { ($0.nid, $0.type) }
                }
            } catch let e as TraceText.ParseError { throw UsageError("\(path): \(e.description)") }
            for z in m.populatedZones {
                for c in 0..<m.nrCPUs {
                    let lengths = (0..<MigrateType.pcpTypes).map { starts[TraceText.PCPListKey(cpu: c, nid: z.nid, zone: z.type, mt: $0)] }
                    m.redistributePCP(nid: z.nid, zone: z.type, cpu: c, lengths: lengths)
                }
            }
        }
        var w = try makeWorkload(name, m)
        guard (ops ?? 0) >= 0 else { throw UsageError("--ops must be >= 0") }
        guard checkEvery >= 1 else { throw UsageError("--check-every must be >= 1") }
        let engine = Engine(machine: m, seed: seed, cost: try costs(), checkEvery: check ? checkEvery : 0)
        let trace = try traceOut.map { try TraceWriter(path: $0, cpus: m.nrCPUs) }
        if let trace {
            m.setTracer(Tracer())
            engine.traceSink = { cpu, t, events in trace.write(cpu: cpu, timeNs: t, events) }
        }
        do {
            try engine.run(&w, opsOrToEnd: ops)
            if check { try engine.check(after: "the last operation") }
            try trace?.finish()
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

/// A trace capture, gunzipped when its name ends in .gz.
func readTraceFile(_ path: String) throws -> String {
    guard path.hasSuffix(".gz") else { return try readText(path) }
    guard FileManager.default.isReadableFile(atPath: path) else { throw UsageError("cannot read '\(path)': no such file or not readable") }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-dc", path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw UsageError("'\(path)' is not a readable gzip file") }
    return String(decoding: data, as: UTF8.self)
}

/// Streams fired tracepoints to a file as ftrace text; the header (with the entry count) is
/// put in front at the end.
final class TraceWriter {
    let path: String, cpus: Int
    let body: FileHandle
    let tmp: String
    var entries = 0
    var buffer = ""

    init(path: String, cpus: Int) throws {
        self.path = path
        self.cpus = cpus
        tmp = path + ".body"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
            throw UsageError("cannot write '\(path)'")
        }
        body = h
    }

    func write(cpu: Int, timeNs: Int64, _ events: [TraceEvent]) {
        for e in events {
            buffer += TraceText.line(cpu: cpu, timeNs: timeNs, e)
            entries += 1
        }
        if buffer.utf8.count > 1 << 20 { flush() }
    }

    func flush() {
        body.write(Data(buffer.utf8))
        buffer = ""
    }

    func finish() throws {
        flush()
        try body.close()
        guard FileManager.default.createFile(atPath: path, contents: Data(TraceText.header(entries: entries, cpus: cpus).utf8)),
              let out = FileHandle(forWritingAtPath: path), let input = FileHandle(forReadingAtPath: tmp) else {
            throw UsageError("cannot write '\(path)'")
        }
        out.seekToEndOfFile()
        while case let chunk = input.readData(ofLength: 1 << 20), !chunk.isEmpty { out.write(chunk) }
        try out.close()
        try FileManager.default.removeItem(atPath: tmp)
    }
}
