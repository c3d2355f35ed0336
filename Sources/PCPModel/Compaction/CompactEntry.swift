/// Who runs compaction: `echo 1 > compact_memory`, direct compaction in the allocation slow
/// path, and kcompactd (woken by kswapd, or proactively every 500 ms).
extension Machine {
    /// A fresh compact_control for `z` with both scanners at the zone's ends.
    func compactControl(_ z: Zone, cpu: Int, order: Int, mode: MigrateMode, direct: Bool, proactive: Bool = false,
                        daemon: Bool = false, ignoreSkipHint: Bool = false) -> CompactControl {
        CompactControl(zone: z, cpu: cpu, order: order, mode: mode, direct: direct, proactive: proactive, daemon: daemon,
                       ignoreSkipHint: ignoreSkipHint, migratePFN: z.compactStart,
                       freePFN: (z.compactEnd - 1) & ~(K.pageblockNrPages - 1))
    }

    /// compact_node() for every node, as sysctl_compaction_handler() runs it: every populated
    /// zone whole, synchronously, ignoring skip bits. The writer's CPU is taken as CPU 0; the
    /// pages migration frees land on its PCP.
    func compactAllNodes() {
        compactAllNodes(driver)
    }

    func compactAllNodes<P: AllocatorPolicy>(_ p: P) {
        for z in zones where z.isPopulated {
            let cc = compactControl(z, cpu: 0, order: -1, mode: .sync, direct: false, ignoreSkipHint: true)
            _ = compactZone(p, cc, highestZoneIdx: K.nrZoneTypes - 1)
        }
    }

    /// __alloc_pages_direct_compact() with try_to_compact_pages(), Linux 6.18: compact each
    /// zone of the zonelist not deferred, then try the free lists. A stall (and its PSI time)
    /// is counted unless every zone was skipped.
    func directCompact<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, flags: AllocFlags, mt: Int, hz: Int, preferred: Int,
                                           async: Bool) -> (Zone, Int)? {
        psiMemstallEnter()
        var rc = CompactResult.skipped
        let slot = cpuNode[cpu] * K.nrZoneTypes + hz
        for k in zonelistStart[slot]..<zonelistStart[slot + 1] {
            let z = zones[zonelistIDs[k]]
            // prio > MIN_COMPACT_PRIORITY for both the async and the sync-light attempt.
            if z.compactionDeferred(order: order) {
                rc = max(rc, .deferred)
                continue
            }
            let cc = compactControl(z, cpu: cpu, order: order, mode: async ? .async : .syncLight, direct: true)
            let status = compactZone(p, cc, highestZoneIdx: hz)
            rc = max(rc, status)
            if status == .success { z.compactionDeferReset(order: order, allocSuccess: false) }
            if !async && (status == .complete || status == .partialSkipped) { z.deferCompaction(order: order) }
            if status == .success { break }
        }
        psiMemstallLeave()
        lastCompactResult = rc
        if rc == .skipped { return nil }
        countEvent(.compactStall)
        if let (z, i) = getPageFromFreelist(p, cpu: cpu, order: order, flags: flags, mt: mt, hz: hz, preferred: preferred) {
            z.compact.blockskipFlush = false
            z.compactionDeferReset(order: order, allocSuccess: true)
            countEvent(.compactSuccess)
            return (z, i)
        }
        countEvent(.compactFail)
        return nil
    }

    /// fragmentation_score_node(), Linux 6.18.
    func fragmentationScoreNode(nid: Int) -> Int {
        let zs = zones[(nid * K.nrZoneTypes)..<((nid + 1) * K.nrZoneTypes)].filter(\.isPopulated)
        let present = zs.reduce(0) { $0 + $1.geometry.present }
        return zs.reduce(0) { $0 + $1.fragmentationScoreWeighted(nodePresent: present) }
    }

    /// fragmentation_score_wmark(low), Linux 6.18.
    var proactiveWmarkLow: Int { max(100 - knobs.compactionProactiveness, 5) }
    var proactiveWmarkHigh: Int { min(proactiveWmarkLow + 10, 100) }

    /// The fragmentation score of node `nid` (0-100), as proactive compaction sees it.
    public func fragmentationScore(nid: Int) -> Int { fragmentationScoreNode(nid: nid) }

    /// wakeup_kcompactd(): kswapd (or a boosted watermark) asks for `order` on node `nid`;
    /// kcompactd runs at its next timer.
    public func wakeupKcompactd(nid: Int, order: Int, highestZoneIdx hz: Int) {
        guard order > 0 else { return }
        kcompactdOrder[nid] = max(kcompactdOrder[nid], order)
        kcompactdHighestZone[nid] = max(kcompactdHighestZone[nid], hz)
    }

    /// kcompactd's loop for each node, every HPAGE_FRAG_CHECK_INTERVAL_MSEC: a pending wake runs
    /// kcompactd_do_work(); otherwise proactive compaction when the fragmentation score is above
    /// the high mark (deferred 64 rounds when it did not help).
    func kcompactdTick() { kcompactdTick(driver) }

    func kcompactdTick<P: AllocatorPolicy>(_ p: P) {
        for nid in 0..<nrNodes {
            let cpu = spec.nodes[nid].cpus.first ?? 0
            var ran = true
            if kcompactdOrder[nid] > 0 {
                kcompactdDoWork(p, nid: nid, cpu: cpu)
            } else if knobs.compactionProactiveness > 0 {
                if proactiveDefer[nid] > 0 {
                    proactiveDefer[nid] -= 1
                } else if fragmentationScoreNode(nid: nid) > proactiveWmarkHigh {
                    let before = fragmentationScoreNode(nid: nid)
                    for z in zones[(nid * K.nrZoneTypes)..<((nid + 1) * K.nrZoneTypes)] where z.isPopulated {
                        let cc = compactControl(z, cpu: cpu, order: -1, mode: .syncLight, direct: false, proactive: true,
                                                daemon: true, ignoreSkipHint: true)
                        _ = compactZone(p, cc, highestZoneIdx: K.nrZoneTypes - 1)
                    }
                    if fragmentationScoreNode(nid: nid) >= before { proactiveDefer[nid] = 1 << compactMaxDeferShift }
                } else {
                    ran = false
                }
            } else {
                ran = false
            }
            // kcompactd's work is priced on its CPU like any other.
            if ran { vmstatObserver?(cpu) }
        }
    }

    /// kcompactd_do_work(), Linux 6.18: each zone up to the requested one that is not deferred,
    /// not already fine at the min watermark and worth compacting.
    func kcompactdDoWork<P: AllocatorPolicy>(_ p: P, nid: Int, cpu: Int) {
        let order = kcompactdOrder[nid], hz = kcompactdHighestZone[nid]
        kcompactdOrder[nid] = 0
        kcompactdHighestZone[nid] = 0
        countEvent(.compactDaemonWake)
        psiMemstallEnter()
        for t in 0...hz {
            let z = zones[nid * K.nrZoneTypes + t]
            guard z.isPopulated, !z.compactionDeferred(order: order) else { continue }
            if z.zoneWatermarkOK(order: order, mark: z.watermark[0], highestZoneIdx: hz, flags: [], free: z.pageState(.nrFreePages)) { continue }
            if !z.compactionSuitable(order: order, highestZoneIdx: hz, extfragThreshold: knobs.extfragThreshold) { continue }
            let cc = compactControl(z, cpu: cpu, order: order, mode: .syncLight, direct: false, daemon: true)
            let status = compactZone(p, cc, highestZoneIdx: hz)
            if status == .success {
                z.compactionDeferReset(order: order, allocSuccess: false)
            } else if status == .complete {
                z.deferCompaction(order: order)
            }
        }
        psiMemstallLeave()
    }
}

/// HPAGE_FRAG_CHECK_INTERVAL_MSEC: kcompactd's timeout, in ns.
let kcompactdIntervalNs: Int64 = 500_000_000
