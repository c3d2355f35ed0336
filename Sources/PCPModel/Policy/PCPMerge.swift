extension Policy {
    /// Zi Yan's first suggestion: merge buddies on the local PCP before zone->lock, with no
    /// ownership and no routing.
    public static let pcpMerge = Policy(PCPMerge.self)
}

/// pcp-merge (Zi Yan's first suggestion in the RFC thread): before taking zone->lock, merge
/// the pages about to be drained with their buddies still on the same PCP. No ownership, no
/// routing: only what the draining CPU happens to hold can merge.
///
/// The model lets each PCP page carry its CPU (what Weiner said this would need: a
/// PagePCPBuddy-like marker plus a per-page cpu field).
final class PCPMerge: OwnsNothing {
    static let name = "pcp-merge"
    init(machine: Machine) {}

    func freePCPPagesBulk(_ z: Zone, cpu: Int, count: Int, pindex: Int, force: Bool) {
        z.freePCPPagesBulkMerged(cpu, count: count, pindex: pindex, self)
    }
}

extension Zone {
    /// free_pcppages_bulk() with a merge pass under pcp->lock first.
    func freePCPPagesBulkMerged<P: AllocatorPolicy>(_ cpu: Int, count requested: Int, pindex start: Int, _ p: P) {
        var count = min(pcp[cpu].count, requested)
        guard count > 0 else { return }
        // Pick the same entries the kernel would, off their lists; the PCPBuddy bit marks
        // them as "picked" while the merge pass runs.
        var picked: [Int] = []
        var pindex = start - 1
        while count > 0 {
            let l = nextPCPList(cpu, after: &pindex)
            let n = 1 << pindexToOrder(pindex)
            repeat {
                let i = Int(lists.tail[l])
                lists.remove(l, i, pages)
                pages.setPCPBuddy(i, true)
                picked.append(i)
                count -= n
                addPCPCount(cpu, -n)
            } while count > 0 && !lists.isEmpty(l)
        }
        // Merge pass: a picked block absorbs its buddy when the buddy is on this PCP too.
        var merges = 0
        for k in picked.indices {
            var i = picked[k]
            guard pages.state(i) == .pcp, pages.isPCPBuddy(i) else { continue }
            var order = pages.order(i)
            let mt = pages.kind(i)
            while order < K.pageblockOrder {
                let b = i ^ (1 << order)
                guard pages.isHead(b, .pcp, order: order), pages.cpuOf(b) == cpu else { break }
                if !pages.isPCPBuddy(b) {
                    // Still on a list: it leaves the PCP with this drain.
                    lists.remove(pcpList(cpu, orderToPindex(pages.kind(b), order)), b, pages)
                    addPCPCount(cpu, -(1 << order))
                }
                pages.setTail(b)
                pages.setTail(i)
                i &= b
                order += 1
                merges += 1
                pages.set(i, .pcp, order: order)
                pages.setPCPBuddy(i, true)
                pages.setKind(i, mt)
            }
            picked[k] = i
        }
        trace.work(.mergeStep, merges)
        lock.pcpMergeSteps += merges
        lockZone()
        lock.drains += 1
        defer { unlockZone() }
        for i in picked where pages.state(i) == .pcp && pages.isPCPBuddy(i) {
            pages.setPCPBuddy(i, false)
            toZone(cpu, i, order: pages.order(i), p)
        }
    }
}
