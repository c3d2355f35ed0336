import Foundation
import PCPModel
import PCPRender

extension Scenario {
    /// Boots the machine: its description, the policy and its options, an imported machine's
    /// state (PCP counts, free lists), the vmstat phase, then the knobs in order. `note`
    /// receives what the import could not reproduce.
    public func boot(note: (String) -> Void = Scenario.printNote) throws(UsageError) -> Machine {
        let spec = try machine.spec()
        if case .x86(let x) = machine, x.cpus <= 0 { throw UsageError("--cpus must be at least 1") }
        let m: Machine
        do { m = try Machine(spec: spec) } catch { throw UsageError(error.description) }
        m.setPCPBuddyOptions(policyOptions.pcpBuddyOptions)
        m.setPolicy(policy)
        if case .imported(let i) = machine { try i.applyState(to: m, note: note) }
        if let ms = vmstatPhaseMs {
            guard ms >= 0 else { throw UsageError("--vmstat-phase-ms must be >= 0") }
            m.setVmstatPhase(ns: Int64(ms) * 1_000_000)
        }
        for k in knobs { try k.apply(to: m) }
        return m
    }

    /// Notes go to standard error, as `pcpsim: note: ...` lines.
    public static func printNote(_ s: String) {
        FileHandle.standardError.write(Data("pcpsim: note: \(s)\n".utf8))
    }
}

extension ImportedMachine {
    /// Puts the captured state on a freshly booted machine: each CPU's PCP count and high,
    /// then each zone's free memory (from zoneinfo's pages free, or pagetypeinfo's lists).
    func applyState(to m: Machine, note: (String) -> Void) throws(UsageError) {
        if let list = pcpState {
            let text = try TextFile.read(zoneinfo)
            for st in ZoneinfoImport.pcpState(text) {
                m.presetPCP(nid: st.nid, zone: st.zone, cpu: st.cpu, count: st.count, high: st.high, mt: list.migrateType)
            }
            if pagetypeinfo == nil {
                for f in ZoneinfoImport.freePages(text) { m.occupy(nid: f.nid, zone: f.zone, leavingFree: f.pages) }
            }
        }
        guard let path = pagetypeinfo else { return }
        let text = try TextFile.read(path)
        let areas: [ZoneinfoImport.ZoneFreeArea]
        do { areas = try ZoneinfoImport.pagetypeinfo(text) } catch { throw UsageError("\(path): \(error.description)") }
        for a in areas {
            let missing = m.shapeFreeArea(nid: a.nid, zone: a.zone, free: a.free, blocks: a.blocks)
            if !missing.isEmpty {
                let pages = missing.reduce(0) { $0 + ($1.missing << $1.order) }
                let what = missing.map { "\($0.missing) of order \($0.order) (type \($0.mt))" }.joined(separator: ", ")
                note("node \(a.nid) zone \(a.zone.name): \(pages) free pages of the capture could not be placed without merging: \(what)")
            }
        }
    }
}
