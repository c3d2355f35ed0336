/// What a traced tick's decay drain says of the kernel's PCP count. decay_pcp_high() drains
/// count − high, with high falling to the largest of count − batch << SCALE_MAX (a capped drain),
/// high − high/8 and high_min. Where that shows the kernel's count lower than the replay's, the
/// difference had left the list with no event (alloc_pages_bulk()), and the replay takes it then.
extension TraceReplay {
    /// Before a traced tick's vmstat_update: per zone, the pages the kernel's uncapped decay
    /// drain shows gone. Uncapped, high falls to high − high/8 (above high_min), so the drain is
    /// count − high + high/8:
    /// - while the replay's high is the kernel's (no capped drain since the import's exact high
    ///   or since the last uncapped one), the drain gives the kernel's count (no drain: at most
    ///   the decayed high, and the replay takes the fewest);
    /// - after a capped drain, which set high to count − batch << SCALE_MAX, high moved with count
    ///   (every traced event since changed both alike), so both were lower by the same pages:
    ///   they went before that drain, and high goes down with them, as that drain would have set
    ///   it. The drain places high within 8 pages; the replay takes the fewest.
    /// A capped drain shows neither.
    mutating func takeWhatDecayShowsGone(_ m: Machine, tick n: Int) {
        let r = records[n]
        if decayCapped.count < m.nrCPUs { decayCapped += [[Bool]](repeating: [], count: m.nrCPUs - decayCapped.count) }
        if decayCapped[r.cpu].count < m.zones.count { decayCapped[r.cpu] += [Bool](repeating: false, count: m.zones.count - decayCapped[r.cpu].count) }
        for z in m.zones where z.isPopulated {
            let (pages, order0) = Self.drained(records[n], in: z)
            let p = z.pcp[r.cpu], cap = p.batch << K.pcpBatchScaleMax
            defer { decayCapped[r.cpu][z.id] = pages >= cap }
            // No drain counts only where the capture traced drains.
            guard order0, pages < cap, p.high > p.highMin, pages > 0 || drainsTraced else { continue }
            if !decayCapped[r.cpu][z.id] {
                decayTakenUntraced += takeUntraced(m, cpu: r.cpu, z, pages: p.count - (max(p.high - p.high >> 3, p.highMin) + pages))
            } else if pages > 0, let high = Self.highBeforeDecay(drain: pages, countAboveHigh: p.count - p.high, highMin: p.highMin) {
                let taken = takeUntraced(m, cpu: r.cpu, z, pages: p.high - high)
                decayTakenUntraced += taken
                // The pages of `lateBudget` at the CPU's last such tick, as low as the drain allows.
                let lowest = max(high - 7, p.highMin + (high >> 3) + 1)
                let late = lateLeft(r.cpu, z) > 0 && !placesHighLater(n, z) ? takeUntraced(m, cpu: r.cpu, z, pages: min(lateLeft(r.cpu, z), p.high - taken - lowest)) : 0
                lateTakenPlacingHigh += late
                if late > 0 { lateBudget[r.cpu][z.id] -= late }
                z.pcp[r.cpu].high -= taken + late
            }
        }
    }

    /// The pages of `lateBudget`: before tick `n` where it is its CPU's last and its decay drain
    /// in the zone was capped (high = count − batch << SCALE_MAX, so the kernel's high shows the
    /// lower count), else once after the last record (`n` nil), where they change no traced run.
    /// (An uncapped drain after a capped one places high within 8 pages: `takeWhatDecayShowsGone`
    /// takes them there, as low as it allows.)
    mutating func takeLate(_ m: Machine, beforeTick n: Int?) {
        guard !lateBudget.isEmpty else { return }
        if let n {
            let cpu = records[n].cpu
            guard lastTick(n) else { return }
            for z in m.zones where z.isPopulated && lateLeft(cpu, z) > 0
                && Self.drained(records[n], in: z).pages >= z.pcp[cpu].batch << K.pcpBatchScaleMax {
                let taken = takeUntraced(m, cpu: cpu, z, pages: lateLeft(cpu, z))
                lateBudget[cpu][z.id] -= taken
                lateTakenAtTick += taken
            }
            return
        }
        for cpu in lateBudget.indices where cpu < m.nrCPUs {
            for z in m.zones where z.isPopulated && lateLeft(cpu, z) > 0 {
                lateTakenAtEnd += takeUntraced(m, cpu: cpu, z, pages: lateLeft(cpu, z))
            }
        }
        lateBudget = []
    }

    func lateLeft(_ cpu: Int, _ z: Zone) -> Int {
        cpu < lateBudget.count && z.id < lateBudget[cpu].count ? lateBudget[cpu][z.id] : 0
    }

    /// Whether tick record `n` is its CPU's last (only asked while a late budget is left).
    func lastTick(_ n: Int) -> Bool {
        !lateBudget.isEmpty && !records[(n + 1)...].contains { $0.kind == .tick && $0.cpu == records[n].cpu }
    }

    /// Whether a later tick of the CPU of tick `n` places its high within 8 pages in `z` (an
    /// uncapped order-0 drain right after a capped one).
    func placesHighLater(_ n: Int, _ z: Zone) -> Bool {
        let cpu = records[n].cpu, cap = z.pcp[cpu].batch << K.pcpBatchScaleMax
        var capped = false
        for r in records[(n + 1)...] where r.kind == .tick && r.cpu == cpu {
            let (pages, order0) = Self.drained(r, in: z)
            if capped && order0 && pages > 0 && pages < cap { return true }
            capped = pages >= cap
        }
        return false
    }

    /// The largest high an uncapped decay starts from when it drains `drain` pages and count
    /// exceeds high by `countAboveHigh`: the drain is that excess plus high/8 (nil when no high
    /// above `highMin` gives it).
    public static func highBeforeDecay(drain: Int, countAboveHigh: Int, highMin: Int) -> Int? {
        let eighth = drain - countAboveHigh
        guard eighth >= 0 else { return nil }
        let high = 8 * eighth + 7
        return high - high >> 3 > highMin ? high : nil
    }

    /// The pages a tick's decay drained in zone `z`, and whether all were order 0 (a
    /// higher-order entry's overshoot hides the count).
    static func drained(_ r: TraceRecord, in z: Zone) -> (pages: Int, order0: Bool) {
        var pages = 0, order0 = true
        for e in r.drains where z.spans(z.index(e >> 4)) {
            pages += 1 << (e & 15)
            order0 = order0 && e & 15 == 0
        }
        return (pages, order0)
    }

    /// Takes `pages` order-0 pages off `cpu`'s lists in one zone with no trace: first from the list
    /// the import put the pages no traced event names on, then UNMOVABLE (alloc_pages_bulk()'s
    /// callers ask for it), MOVABLE, RECLAIMABLE. Returns the pages taken.
    mutating func takeUntraced(_ m: Machine, cpu: Int, _ z: Zone, pages: Int) -> Int {
        guard pages > 0 else { return 0 }
        let unnamed = cpu < unnamedLists.count && z.id < unnamedLists[cpu].count ? unnamedLists[cpu][z.id] : -1
        var left = pages
        if unnamed >= 0 {
            let n = takeOff(m, cpu: cpu, z, mt: unnamed, limit: left)
            left -= n
            Self.add(n, to: &unnamedTaken, cpu: cpu, zone: z.id, m)
        }
        for mt in [MigrateType.unmovable.rawValue, MigrateType.movable.rawValue, MigrateType.reclaimable.rawValue] where mt != unnamed && left > 0 {
            left -= takeOff(m, cpu: cpu, z, mt: mt, limit: left)
        }
        return pages - left
    }

    /// Up to `limit` pages off one list: to the free lists while `toBuddyBudget` lasts, else
    /// to a caller (alloc_pages_bulk()).
    mutating func takeOff(_ m: Machine, cpu: Int, _ z: Zone, mt: Int, limit: Int) -> Int {
        var n = 0
        if z.id < toBuddyBudget.count, toBuddyBudget[z.id] > 0 {
            n = m.drainPCPUntraced(cpu: cpu, pfn: z.geometry.startPFN, mt: mt, limit: min(limit, toBuddyBudget[z.id]))
            toBuddyBudget[z.id] -= n
            toBuddyTaken += n
        }
        return n + m.allocPagesBulk(cpu: cpu, pfn: z.geometry.startPFN, mt: mt, limit: limit - n)
    }
}

extension Machine {
    /// Up to `limit` order-0 pages from the tail of `cpu`'s list of `mt`, in the zone of `pfn`,
    /// to the free lists with no event: the zoneinfo read after a capture shows the kernel's
    /// lists lost them and its free lists gained them, and the trace neither.
    public func drainPCPUntraced(cpu: Int, pfn: Int, mt: Int, limit: Int) -> Int {
        drainPCPUntraced(driver, cpu: cpu, pfn: pfn, mt: mt, limit: limit)
    }

    private func drainPCPUntraced<P: AllocatorPolicy>(_ p: P, cpu: Int, pfn: Int, mt: Int, limit: Int) -> Int {
        guard cpu >= 0, cpu < nrCPUs, (0..<MigrateType.pcpTypes).contains(mt), let z = zoneSpanning(pfn: pfn),
              p.servesFromPCP(order: 0), limit > 0 else { return 0 }
        let t = z.tracer
        z.tracer = nil
        defer { z.tracer = t }
        let l = z.pcpList(cpu, orderToPindex(mt, 0))
        var n = 0
        z.lockZone()
        while n < limit, z.pcp[cpu].count > 0, !z.lists.isEmpty(l) {
            let i = Int(z.lists.tail[l])
            z.lists.remove(l, i, z.pages)
            z.addPCPCount(cpu, -1)
            _ = z.freeOneBuddy(i, order: 0, mt: z.blockType(i), toTail: false, cpu: cpu, p)
            n += 1
        }
        z.unlockZone()
        return n
    }
}
