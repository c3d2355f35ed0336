/// PCP maintenance: periodic decay, drains, and the vmstat worker (6.18).
extension Zone {
    /// decay_pcp_high() of 6.18.y: shrink an idle PCP's high by 1/8 per stat interval and return
    /// what exceeds it, a batch per pcp->lock hold (fc4b909c368f, backported to 6.18.y; 6.18.0
    /// made one call). Returns whether more work remains.
    @discardableResult
    func decayPCPHigh<P: AllocatorPolicy>(_ cpu: Int, _ p: P) -> Bool {
        var todo = false
        let highMin = pcp[cpu].highMin, batch = pcp[cpu].batch
        if pcp[cpu].high > highMin {
            pcp[cpu].high = max(pcp[cpu].count - (batch << K.pcpBatchScaleMax),
                                pcp[cpu].high - (pcp[cpu].high >> 3), highMin)
            if pcp[cpu].high > highMin { todo = true }
        }
        var toDrain = pcp[cpu].count - pcp[cpu].high
        while toDrain > 0 {
            let chunk = min(toDrain, batch)
            lockPCP(cpu)
            p.freePCPPagesBulk(self, cpu: cpu, count: chunk, pindex: 0, force: false)
            unlockPCP(cpu)
            todo = true
            toDrain -= chunk
        }
        return todo
    }

    /// drain_zone_pages(): a remote-node PCP that sat unused for 3 intervals gives back a batch.
    func drainZonePages<P: AllocatorPolicy>(_ cpu: Int, _ p: P) {
        let n = min(pcp[cpu].count, pcp[cpu].batch)
        guard n > 0 else { return }
        lockPCP(cpu)
        p.freePCPPagesBulk(self, cpu: cpu, count: n, pindex: 0, force: false)
        unlockPCP(cpu)
    }

    /// drain_pages_zone(): empty one CPU's PCP, batch << SCALE_MAX pages per lock hold, as
    /// far as the design lets pages leave (all of them when `force`).
    func drainPagesZone<P: AllocatorPolicy>(_ cpu: Int, force: Bool, _ p: P) {
        while pcp[cpu].count > 0 {
            let before = pcp[cpu].count
            lockPCP(cpu)
            p.freePCPPagesBulk(self, cpu: cpu, count: min(pcp[cpu].count, pcp[cpu].batch << K.pcpBatchScaleMax), pindex: 0, force: force)
            unlockPCP(cpu)
            if pcp[cpu].count == before { break }
        }
    }
}

extension Machine {
    /// drain_all_pages(): the caller empties every CPU's PCP for the zone (or all zones),
    /// taking each remote pcp->lock itself.
    public func drainAllPages(cpu: Int, zone: Zone?) { policy.type.drainAllPages(self, cpu: cpu, zone: zone) }

    func drainAllPages<P: AllocatorPolicy>(_ p: P, cpu: Int, zone: Zone?) {
        // Zones borrowed unretained: a drain under memory pressure visits every CPU and zone,
        // and retaining each zone per CPU cost a fifth of a 256-CPU pcp-buddy run at 1 GiB.
        for c in 0..<nrCPUs {
            if let zone {
                zone.drainPagesZone(c, force: false, p)
            } else {
                for id in zoneRefs.indices {
                    withZone(id) { z in if z.isPopulated { z.drainPagesZone(c, force: false, p) } }
                }
            }
        }
    }

    /// refresh_cpu_vm_stats(true) for one CPU, as vmstat_update runs it every stat_interval:
    /// fold the CPU's counter deltas, decay its PCPs, and expire its remote-node PCPs.
    func refreshCPUVMStats<P: AllocatorPolicy>(cpu: Int, _ p: P) {
        for z in zones where z.isPopulated {
            if z.vmStat.fold(cpu: cpu) && nrNodes > 1 { z.pcp[cpu].expire = 3 }
            z.decayPCPHigh(cpu, p)
            guard nrNodes > 1, z.pcp[cpu].expire > 0, z.pcp[cpu].count > 0 else { continue }
            if z.nid == cpuNode[cpu] {
                z.pcp[cpu].expire = 0
                continue
            }
            z.pcp[cpu].expire -= 1
            if z.pcp[cpu].expire == 0 { z.drainZonePages(cpu, p) }
        }
        nodeStats.fold(cpu: cpu)
    }

    /// Moves simulated time forward, running vmstat_update on every CPU at each stat_interval
    /// boundary crossed.
    @inline(__always) public func advanceTime(to t: Int64) {
        precondition(t >= now)
        // Almost every operation crosses no boundary: the engine's loop pays for these tests.
        if nextVmstatUpdate <= t || nextKcompactd <= t || psiMemory.isDue(t) { runTimers(to: t) }
        now = t
    }

    /// The vmstat_update rounds, kcompactd wakeups and PSI averaging due by `t`, in that order.
    @inline(never) private func runTimers(to t: Int64) {
        while nextVmstatUpdate <= t {
            now = nextVmstatUpdate
            policy.type.vmstatUpdate(self)
            nextVmstatUpdate = knobs.statIntervalJiffies > 0 ? now + statInterval : .max
        }
        while nextKcompactd <= t {
            now = max(now, nextKcompactd)
            kcompactdTick()
            nextKcompactd += kcompactdIntervalNs
        }
        psiMemory.advance(to: t)
    }

    /// When the first vmstat_update runs, in simulated ns from now (a trace replay aligns it
    /// with the traced kernel's timer; later ones follow every stat_interval).
    public func setVmstatPhase(ns: Int64) {
        nextVmstatUpdate = now + max(0, ns)
    }

    /// No more vmstat_update rounds at stat_interval boundaries: a replay runs each CPU's at the
    /// times its capture traced them (`vmstatUpdate(cpu:)`).
    public func stopPeriodicVmstat() { nextVmstatUpdate = .max }

    /// mm/vmstat.c vmstat_update(), Linux 6.18.
    public func vmstatUpdate(cpu: Int) {
        guard cpu >= 0 && cpu < nrCPUs else { return }
        refreshCPUVMStats(cpu: cpu, driver)
    }

    /// quiet_vmstat() (mm/vmstat.c, 6.18): a CPU whose tick stops as it goes idle folds its
    /// counter deltas (no decay), so a printed counter is exact again once every CPU idled.
    public func quietVmstat(cpu: Int) {
        guard cpu >= 0 && cpu < nrCPUs else { return }
        for z in zones where z.isPopulated { z.vmStat.fold(cpu: cpu) }
        nodeStats.fold(cpu: cpu)
    }

    /// One round of vmstat_update over all CPUs.
    func vmstatUpdate<P: AllocatorPolicy>(_ p: P) {
        for c in 0..<nrCPUs {
            refreshCPUVMStats(cpu: c, p)
            vmstatObserver?(c)
        }
    }
}
