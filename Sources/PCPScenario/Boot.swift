import Foundation
import PCPModel
import PCPRender

extension Scenario {
    /// Boots the machine: its description, the policy and its options, an imported machine's
    /// state (PCP counts, free lists), the vmstat phase, then the knobs in order, then the
    /// uptime (`age`: the lived-in workload on its own engine). `note`
    /// receives what the import could not reproduce.
    public func boot(note: (String) -> Void = Scenario.printNote) throws(UsageError) -> Machine {
        let spec = try machine.spec()
        if case .x86(let x) = machine, x.cpus <= 0 { throw UsageError("--cpus must be at least 1") }
        do { try spec.validate() } catch { throw UsageError(error.description) }
        try Scenario.checkFits(spec)
        let m: Machine
        do { m = try Machine(spec: spec) } catch { throw UsageError(error.description) }
        m.setPCPBuddyOptions(policyOptions.pcpBuddyOptions)
        m.setPolicy(policy)
        if case .imported(let i) = machine {
            try i.applyState(to: m, note: note)
            // A trace replay frees the imported pages by pfn, whoever the capture says held them.
            if !workload.isTrace { try i.applyLRU(to: m, note: note) }
        }
        if let ms = vmstatPhaseMs {
            guard (0...86_400_000).contains(ms) else { throw UsageError("--vmstat-phase-ms must be from 0 to 86400000 (a day)") }
            m.setVmstatPhase(ns: Int64(ms) * 1_000_000)
        }
        if let swap { m.swapon(pages: swap.bytes / K.pageSize) }
        for k in knobs { try k.apply(to: m) }
        if let a = age, a > 0 {
            guard !workload.isTrace else { throw UsageError("--age does not go with a trace replay: the replay starts from the state the capture began in") }
            do { try m.age(seconds: a, seed: seed, cost: cost) } catch { throw UsageError("aging the machine (--age) failed: \(error.description)") }
        }
        return m
    }

    /// Refuses, before allocating anything, a machine whose state would not fit in this host's
    /// available memory (an allocation failure would abort the process).
    static func checkFits(_ spec: MachineSpec) throws(UsageError) {
        let need = spec.estimatedBytes
        guard let available = hostAvailableBytes(), need > available else { return }
        let gib = { (b: Int) in String(format: "%.1f GiB", Double(b) / Double(1 << 30)) }
        throw UsageError("this machine needs about \(gib(need)) of memory to simulate; this host has \(gib(available)) available: ask for less --memory")
    }

    /// MemAvailable of the host's /proc/meminfo (nil if it cannot be read).
    static func hostAvailableBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
              let kb = Int(line.split(separator: " ")[1]) else { return nil }
        return kb * 1024
    }

    /// Notes go to standard error, as `pcpsim: note: ...` lines.
    public static func printNote(_ s: String) {
        FileHandle.standardError.write(Data("pcpsim: note: \(s)\n".utf8))
    }
}

extension WorkloadName {
    var isTrace: Bool { if case .trace = self { true } else { false } }
}

extension ImportedMachine {
    /// With the captured state (PCP counts or free lists) imported, the pages in use become the
    /// LRU folios zoneinfo counts (nr_zone_* lists, nr_anon_pages, nr_shmem, nr_dirty, nr_mapped).
    /// A geometry-only import boots empty and takes none.
    func applyLRU(to m: Machine, note: (String) -> Void) throws(UsageError) {
        guard pcpState != nil || pagetypeinfo != nil else { return }
        let counts = ZoneinfoImport.lruCounts(try TextFile.read(zoneinfo))
        for nid in 0..<m.nrNodes {
            var spec = ImportedLRU()
            spec.zones = counts.zones.filter { $0.nid == nid }.map { ($0.zone, $0.lists) }
            guard !spec.zones.isEmpty else { continue }
            let node = counts.nodes[nid] ?? [:]
            spec.anonPages = node["nr_anon_pages"]
            spec.shmem = node["nr_shmem"] ?? 0
            spec.dirty = node["nr_dirty"] ?? 0
            spec.mapped = node["nr_mapped"] ?? 0
            for s in m.adoptImportedLRU(nid: nid, spec) {
                note("node \(nid) zone \(s.type.name): \(s.short) LRU pages of the capture did not fit in the pages it leaves in use")
            }
        }
    }

    /// Puts the captured state on a freshly booted machine: each CPU's PCP count and high,
    /// then each zone's free memory (from zoneinfo's pages free, or pagetypeinfo's lists).
    func applyState(to m: Machine, note: (String) -> Void) throws(UsageError) {
        if let list = pcpState {
            let text = try TextFile.read(zoneinfo)
            for st in ZoneinfoImport.pcpState(text) {
                guard st.nid < m.nrNodes, st.cpu >= 0, st.cpu < m.nrCPUs, st.count >= 0, st.high >= 0,
                      st.count <= m.zone(nid: st.nid, type: st.zone).managed else {
                    throw UsageError("\(zoneinfo): node \(st.nid) zone \(st.zone.name) cpu \(st.cpu): count \(st.count) and high \(st.high) must be within the zone's managed pages, for CPUs 0..\(m.nrCPUs - 1)")
                }
                m.presetPCP(nid: st.nid, zone: st.zone, cpu: st.cpu, count: st.count, high: st.high, mt: list.migrateType)
            }
            if pagetypeinfo == nil {
                for f in ZoneinfoImport.freePages(text) {
                    guard f.nid < m.nrNodes, f.pages >= 0, f.pages <= m.zone(nid: f.nid, type: f.zone).managed else {
                        throw UsageError("\(zoneinfo): node \(f.nid) zone \(f.zone.name): pages free \(f.pages) must be between 0 and the zone's managed pages")
                    }
                    m.occupy(nid: f.nid, zone: f.zone, leavingFree: f.pages)
                }
            }
        }
        guard let path = pagetypeinfo else { return }
        let text = try TextFile.read(path)
        let areas: [ZoneinfoImport.ZoneFreeArea]
        do { areas = try ZoneinfoImport.pagetypeinfo(text) } catch { throw UsageError("\(path): \(error.description)") }
        for a in areas {
            guard a.nid < m.nrNodes else {
                throw UsageError("\(path): node \(a.nid) is not in the machine (\(m.nrNodes) node(s) in \(zoneinfo))")
            }
            let present = m.zone(nid: a.nid, type: a.zone).geometry.present
            for (mt, counts) in a.free.enumerated() {
                for (o, c) in counts.enumerated() where c > present >> o {
                    throw UsageError("\(path): node \(a.nid) zone \(a.zone.name): \(c) free blocks of order \(o) (type \(mt)) do not fit in its \(present) present pages")
                }
            }
            guard a.blocks.reduce(0, +) <= (present >> K.pageblockOrder) + 2 * a.blocks.count else {
                throw UsageError("\(path): node \(a.nid) zone \(a.zone.name): \(a.blocks.reduce(0, +)) pageblocks do not fit in its \(present) present pages")
            }
            var missing = m.shapeFreeArea(nid: a.nid, zone: a.zone, free: a.free, blocks: a.blocks)
            for b in m.placeBesideReserved(nid: a.nid, zone: a.zone, missing) {
                note("node \(a.nid) zone \(a.zone.name): \(b.placed) free block(s) of order \(b.order) (type \(b.mt)) placed among the reserved pages, which keep them from merging (the capture does not show where its reserved pages are)")
                if let k = missing.firstIndex(where: { $0.mt == b.mt && $0.order == b.order }) { missing[k].missing -= b.placed }
            }
            missing.removeAll { $0.missing == 0 }
            if !missing.isEmpty {
                let pages = missing.reduce(0) { $0 + ($1.missing << $1.order) }
                let what = missing.map { "\($0.missing) of order \($0.order) (type \($0.mt))" }.joined(separator: ", ")
                note("node \(a.nid) zone \(a.zone.name): \(pages) free pages of the capture could not be placed without merging: \(what)")
            }
        }
    }
}
