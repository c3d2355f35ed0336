/// One node's kswapd: a kernel thread that runs on its node's last CPU, taking that CPU's
/// turns while it reclaims (pgdat->kswapd_order, kswapd_highest_zoneidx, kswapd_failures and
/// where kswapd() is in its loop).
struct Kswapd {
    enum State { case sleeping, running, napping }
    let cpu: Int
    var state = State.sleeping
    /// pgdat->kswapd_order: the largest order a waker asked for since the last read.
    var order = 0
    /// pgdat->kswapd_highest_zoneidx (-1: MAX_NR_ZONES, nobody asked).
    var highestZoneIdx = -1
    var failures = 0
    /// The nap of kswapd_try_to_sleep() (HZ/10) ends at this time (ns).
    var napUntil: Int64 = 0
    /// The orders and zone of the pass in progress (kswapd()'s locals).
    var allocOrder = 0, reclaimOrder = 0, lastHighestZoneIdx = ZoneType.movable.rawValue
    init(cpu: Int) { self.cpu = cpu }
}

/// kswapd (mm/vmscan.c, Linux 6.18).
extension Machine {
    /// Nanoseconds kswapd's short nap lasts (HZ/10).
    static let kswapdNapNs: Int64 = 100_000_000

    /// pgdat_balanced() (mm/vmscan.c, 6.18): some eligible zone meets its high watermark at
    /// `order` (zone_watermark_ok_safe, with every CPU's pending free-page delta).
    func pgdatBalanced(nid: Int, order: Int, highestZoneIdx hz: Int) -> Bool {
        var any = false
        for t in 0...max(0, hz) {
            let z = zones[nid * K.nrZoneTypes + t]
            guard z.isPopulated && z.managed > 0 else { continue }
            any = true
            if z.zoneWatermarkOK(order: order, mark: z.highWmark, highestZoneIdx: hz, flags: [], free: z.pageStateExact(.nrFreePages)) { return true }
        }
        return !any
    }

    /// pgdat_watermark_boosted().
    func pgdatWatermarkBoosted(nid: Int, highestZoneIdx hz: Int) -> Bool {
        for t in 0...max(0, hz) where zones[nid * K.nrZoneTypes + t].watermarkBoost > 0 { return true }
        return false
    }

    /// wakeup_kswapd() (mm/vmscan.c, 6.18): raise the node's order and zone, and wake it unless
    /// the node is balanced (then only kcompactd, for a request that cannot reclaim itself).
    func wakeupKswapd(nid: Int, order: Int, highestZoneIdx hz: Int, directReclaim: Bool) {
        var k = kswapd[nid]
        defer { kswapd[nid] = k }
        k.highestZoneIdx = max(k.highestZoneIdx, hz)
        k.order = max(k.order, order)
        guard k.state != .running else { return }
        if k.failures >= Reclaim.maxReclaimRetries || (pgdatBalanced(nid: nid, order: order, highestZoneIdx: hz) && !pgdatWatermarkBoosted(nid: nid, highestZoneIdx: hz)) {
            if !directReclaim { wakeupKcompactd(nid: nid, order: order, highestZoneIdx: hz) }
            return
        }
        if k.state == .napping {
            // Woken before the nap's end: kswapd_try_to_sleep() counts it and keeps the order.
            countEvent(.kswapdLowWmarkHitQuickly)
            k.order = max(k.order, k.reclaimOrder)
        }
        k.state = .running
    }

    /// wake_all_kswapds(): every node of the request's zonelist.
    func wakeAllKswapds(cpu: Int, order: Int, highestZoneIdx hz: Int, directReclaim: Bool) {
        if nrNodes == 1 { wakeupKswapd(nid: 0, order: order, highestZoneIdx: hz, directReclaim: directReclaim); return }
        let nid = cpuNode[cpu]
        for d in 0..<nrNodes { wakeupKswapd(nid: (nid + d) % nrNodes, order: order, highestZoneIdx: hz, directReclaim: directReclaim) }
    }

    /// One turn of kswapd on its CPU, when it is runnable at `at` (ns): the nap's end check, or
    /// one balance_pgdat() and the try-to-sleep that follows. Returns the pages it scanned
    /// (nil: kswapd has nothing to do on this CPU now).
    @inline(__always) public func kswapdStep(cpu: Int, at: Int64) -> Int? {
        kswapdAwake ? kswapdStepAwake(cpu: cpu, at: at) : nil
    }

    func kswapdStepAwake(cpu: Int, at: Int64) -> Int? {
        for nid in 0..<nrNodes where kswapd[nid].cpu == cpu {
            if let n = kswapdTurn(nid: nid, at: at) { return n }
        }
        return nil
    }

    func kswapdTurn(nid: Int, at: Int64) -> Int? {
        switch kswapd[nid].state {
        case .sleeping: return nil
        case .napping:
            guard at >= kswapd[nid].napUntil else { return nil }
            // The nap ran out: fully asleep if still balanced, else straight back to work.
            if prepareKswapdSleep(nid: nid, order: kswapd[nid].reclaimOrder, highestZoneIdx: kswapd[nid].lastHighestZoneIdx) {
                kswapd[nid].state = .sleeping
                return 0
            }
            countEvent(.kswapdHighWmarkHitQuickly)
            kswapd[nid].state = .running
            return 0
        case .running:
            var k = kswapd[nid]
            // kswapd(): read the order and zone the wakers left, then reset them.
            k.allocOrder = k.order
            let hz = k.highestZoneIdx >= 0 ? k.highestZoneIdx : k.lastHighestZoneIdx
            k.lastHighestZoneIdx = hz
            k.order = 0
            k.highestZoneIdx = -1
            kswapd[nid] = k
            let (reclaimOrder, scanned) = balancePgdat(nid: nid, order: k.allocOrder, highestZoneIdx: hz)
            k = kswapd[nid]
            if reclaimOrder >= k.allocOrder {
                // Back to the loop's top: both orders are what wakers asked for meanwhile.
                k.allocOrder = k.order
                k.reclaimOrder = k.order
            } else {
                k.reclaimOrder = reclaimOrder
            }
            kswapd[nid] = k
            kswapdTryToSleep(nid: nid, at: at)
            return scanned
        }
    }

    /// prepare_kswapd_sleep() (mm/vmscan.c, 6.18).
    func prepareKswapdSleep(nid: Int, order: Int, highestZoneIdx hz: Int) -> Bool {
        kswapd[nid].failures >= Reclaim.maxReclaimRetries || pgdatBalanced(nid: nid, order: order, highestZoneIdx: hz)
    }

    /// kswapd_try_to_sleep() (mm/vmscan.c, 6.18): balanced: clear the skip bits direct
    /// compaction asked to flush, wake kcompactd and nap HZ/10 (a
    /// wake during the nap counts kswapd_low_wmark_hit_quickly); not balanced: count
    /// kswapd_high_wmark_hit_quickly and reclaim again.
    func kswapdTryToSleep(nid: Int, at: Int64) {
        let k = kswapd[nid]
        if prepareKswapdSleep(nid: nid, order: k.reclaimOrder, highestZoneIdx: k.lastHighestZoneIdx) {
            resetIsolationSuitable(nid: nid)
            wakeupKcompactd(nid: nid, order: k.allocOrder, highestZoneIdx: k.lastHighestZoneIdx)
            kswapd[nid].state = .napping
            kswapd[nid].napUntil = at + Machine.kswapdNapNs
        } else {
            countEvent(.kswapdHighWmarkHitQuickly)
        }
    }

    /// balance_pgdat() (mm/vmscan.c, 6.18): the priority loop from DEF_PRIORITY, reclaiming the
    /// watermark boost first (without writeback or swap), then until an eligible zone meets its
    /// high watermark; after compact_gap(order) pages it settles for order 0. Resets the boosts
    /// it reclaimed for and wakes kcompactd. Returns the order it stopped at and pages scanned.
    func balancePgdat(nid: Int, order: Int, highestZoneIdx hz: Int) -> (Int, Int) {
        kswapdBalanced = true
        countEvent(.pageoutrun)
        var zoneBoosts = [Int](repeating: 0, count: K.nrZoneTypes)
        var nrBoostReclaim = 0
        for t in 0...hz {
            let z = zones[nid * K.nrZoneTypes + t]
            guard z.isPopulated && z.managed > 0 else { continue }
            nrBoostReclaim += z.watermarkBoost
            zoneBoosts[t] = z.watermarkBoost
        }
        let boosted = nrBoostReclaim > 0
        var sc = ScanControl(nrToReclaim: 0, order: order, reclaimIdx: hz, isKswapd: true, cpu: kswapd[nid].cpu)
        restart: while true {
            sc.priority = Reclaim.defPriority
            repeat {
                let before = sc.nrReclaimed
                var raisePriority = true
                let balanced = pgdatBalanced(nid: nid, order: sc.order, highestZoneIdx: hz)
                if !balanced && nrBoostReclaim > 0 {
                    nrBoostReclaim = 0
                    continue restart
                }
                if nrBoostReclaim == 0 && balanced { break restart }
                if nrBoostReclaim > 0 && sc.priority == Reclaim.defPriority - 2 { raisePriority = false }
                sc.maySwap = nrBoostReclaim == 0
                if kswapdShrinkNode(nid: nid, &sc) { raisePriority = false }
                let progress = sc.nrReclaimed - before
                nrBoostReclaim -= min(nrBoostReclaim, progress)
                if nrBoostReclaim > 0 && progress == 0 { break }
                if raisePriority || progress == 0 { sc.priority -= 1 }
            } while sc.priority >= 1
            if sc.nrReclaimed == 0 { kswapd[nid].failures += 1 }
            break
        }
        if sc.nrReclaimed > 0 { kswapd[nid].failures = 0 }
        if boosted {
            for t in 0...hz where zoneBoosts[t] > 0 {
                let z = zones[nid * K.nrZoneTypes + t]
                z.lockZone()
                z.watermarkBoost -= min(z.watermarkBoost, zoneBoosts[t])
                z.unlockZone()
            }
            wakeupKcompactd(nid: nid, order: K.pageblockOrder, highestZoneIdx: hz)
        }
        return (sc.order, sc.nrScanned)
    }

    /// kswapd_shrink_node() (mm/vmscan.c, 6.18): aims at the eligible zones' high watermarks.
    /// Returns whether it scanned enough not to raise the priority.
    func kswapdShrinkNode(nid: Int, _ sc: inout ScanControl) -> Bool {
        sc.nrToReclaim = 0
        for t in 0...sc.reclaimIdx {
            let z = zones[nid * K.nrZoneTypes + t]
            guard z.isPopulated && z.managed > 0 else { continue }
            sc.nrToReclaim += max(z.highWmark, K.swapClusterMax)
        }
        let before = sc.nrReclaimed, scannedBefore = sc.nrScanned
        shrinkNode(nid: nid, &sc)
        // compact_gap(): twice the request reclaimed is enough for compaction to work with.
        if sc.order > 0 && sc.nrReclaimed >= 2 << sc.order { sc.order = 0 }
        return max(sc.nrScanned - scannedBefore, sc.nrReclaimed - before) >= sc.nrToReclaim
    }

    /// reset_isolation_suitable() (mm/compaction.c, 6.18): the node's zones whose scanners met
    /// in direct compaction get fresh skip bits.
    func resetIsolationSuitable(nid: Int) {
        for t in 0..<K.nrZoneTypes {
            let z = zones[nid * K.nrZoneTypes + t]
            if z.isPopulated && z.compact.blockskipFlush { z.resetIsolationSuitable() }
        }
    }
}
