/// struct scan_control, reduced to what the model's reclaim reads.
struct ScanControl {
    var nrToReclaim: Int
    var order: Int
    var reclaimIdx: Int
    var priority = Reclaim.defPriority
    var nrScanned = 0
    var nrReclaimed = 0
    var isKswapd: Bool
    var maySwap = true
    /// Pages written to swap by this reclaim (stat.nr_pageout, summed).
    var nrPageout = 0
    /// DEACTIVATE_ANON (1) | DEACTIVATE_FILE (2).
    var mayDeactivate = 0
    var cpu: Int
}

/// Reclaim constants and the machine's reclaim switches.
public enum Reclaim {
    /// DEF_PRIORITY.
    static let defPriority = 12
    /// MAX_RECLAIM_RETRIES.
    static let maxReclaimRetries = 16
    /// MAX_SWAPPINESS.
    static let maxSwappiness = 200
}

/// What reclaim may use beyond the page cache: the swap device (--swap) and how many pages of
/// it are in use.
public struct ReclaimState: Sendable {
    /// Swap size in pages (0: no swap, the default and the reference machine's setting).
    public var swapPages = 0
    public var swapUsed = 0
    /// Per node: lruvec->anon_cost and file_cost (lru_note_cost).
    var anonCost: [Int] = [], fileCost: [Int] = []
    /// The OOM killer chose to kill: the engine asks the workload for a victim after the step.
    public var oomPending = false
}

/// The classic LRU's reclaim (mm/vmscan.c, Linux 6.18).
extension Machine {
    /// inactive_is_low() (mm/vmscan.c, 6.18): the inactive list should hold at least
    /// 1/(1+sqrt(10*GiB)) of the type's LRU pages.
    func inactiveIsLow(nid: Int, file: Bool) -> Bool {
        let inactive = lru.pages(nid: nid, file ? .inactiveFile : .inactiveAnon)
        let active = lru.pages(nid: nid, file ? .activeFile : .activeAnon)
        let gb = (inactive + active) >> (30 - K.pageShift)
        let ratio = gb > 0 ? intSqrt(10 * gb) : 1
        return inactive * ratio < active
    }

    /// Whether anon pages can be reclaimed at all (can_reclaim_anon_pages: a swap device with room).
    var canReclaimAnon: Bool { reclaim.swapPages > reclaim.swapUsed }

    /// get_scan_count() (mm/vmscan.c, 6.18): pages to scan on each evictable list. Without swap
    /// only the file lists (SCAN_FILE). With swap: both equally at priority 0 (unless
    /// swappiness is 0), only anon when the file lists and free memory are below the high
    /// watermarks (file_is_tiny), only file while the inactive file list is large enough
    /// (cache_trim_mode), else in proportion to swappiness and the lists' recent reclaim
    /// cost (SCAN_FRACT).
    func getScanCount(nid: Int, _ sc: ScanControl) -> [Int] {
        var nr = [0, 0, 0, 0]
        guard sc.maySwap && canReclaimAnon else {
            for l in LRUList.evictable where l.isFile { nr[l.rawValue] = lru.pages(nid: nid, l) >> sc.priority }
            return nr
        }
        let swappiness = knobs.swappiness
        // prepare_scan_control(): cache_trim_mode and file_is_tiny.
        let cacheTrim = lru.pages(nid: nid, .inactiveFile) >> sc.priority > 0 && sc.mayDeactivate & 2 == 0
        var highWmarks = 0, free = 0
        for t in 0..<K.nrZoneTypes {
            let z = zones[nid * K.nrZoneTypes + t]
            guard z.isPopulated && z.managed > 0 else { continue }
            highWmarks += z.highWmark
            free += z.pageState(.nrFreePages)
        }
        let file = lru.pages(nid: nid, .inactiveFile) + lru.pages(nid: nid, .activeFile)
        let fileIsTiny = file + free <= highWmarks && sc.mayDeactivate & 1 == 0 && lru.pages(nid: nid, .inactiveAnon) >> sc.priority > 0
        // fraction[anon, file] / denominator; nil: scan the whole target.
        var fraction = [0, 0], denominator = 0
        if sc.priority == 0 && swappiness > 0 {
            denominator = 0  // SCAN_EQUAL
        } else if fileIsTiny {
            fraction = [1, 0]; denominator = 1  // SCAN_ANON
        } else if cacheTrim {
            fraction = [0, 1]; denominator = 1  // SCAN_FILE
        } else {
            // calculate_pressure_balance().
            let ac = reclaim.anonCost[nid], fc = reclaim.fileCost[nid]
            let anonCost = ac + fc + ac, fileCost = ac + fc + fc, total = anonCost + fileCost
            let ap = swappiness * (total + 1) / (anonCost + 1)
            let fp = (Reclaim.maxSwappiness - swappiness) * (total + 1) / (fileCost + 1)
            fraction = [ap, fp]; denominator = ap + fp
        }
        for l in LRUList.evictable {
            let scan = lru.pages(nid: nid, l) >> sc.priority
            nr[l.rawValue] = denominator == 0 ? scan : scan * fraction[l.isFile ? 1 : 0] / denominator
        }
        return nr
    }

    /// shrink_node() (mm/vmscan.c, 6.18): which active lists may be deactivated, then the lruvec.
    func shrinkNode(nid: Int, _ sc: inout ScanControl) {
        sc.mayDeactivate = 0
        if inactiveIsLow(nid: nid, file: true) { sc.mayDeactivate |= 2 }
        if inactiveIsLow(nid: nid, file: false) { sc.mayDeactivate |= 1 }
        shrinkLruvec(nid: nid, &sc)
    }

    /// shrink_lruvec() (mm/vmscan.c, 6.18): batches of SWAP_CLUSTER_MAX from each list until the
    /// targets are scanned; once enough is reclaimed, kswapd and non-default-priority direct
    /// reclaim scale the rest down. A batch's nr_to_scan counts folios taken by pages, so one
    /// 2 MiB folio satisfies it while the target falls by 32.
    func shrinkLruvec(nid: Int, _ sc: inout ScanControl) {
        var nr = getScanCount(nid: nid, sc)
        let targets = nr
        let proportional = !sc.isKswapd && sc.priority == Reclaim.defPriority
        var scanAdjusted = false
        var nrReclaimed = 0
        while nr[0] > 0 || nr[2] > 0 || nr[3] > 0 {
            for l in LRUList.evictable where nr[l.rawValue] > 0 {
                let n = min(nr[l.rawValue], K.swapClusterMax)
                nr[l.rawValue] -= n
                nrReclaimed += shrinkList(nid: nid, l, n, &sc)
            }
            if nrReclaimed < sc.nrToReclaim || proportional { continue }
            if scanAdjusted { continue }
            // Scale down: stop the smaller type, trim the larger one to its share.
            let nrFile = nr[2] + nr[3], nrAnon = nr[0] + nr[1]
            if nrFile == 0 || nrAnon == 0 { break }
            let (small, big) = nrFile > nrAnon ? (0, 2) : (2, 0)
            let pct = (nr[small] + nr[small + 1]) * 100 / (targets[small] + targets[small + 1] + 1)
            nr[small] = 0; nr[small + 1] = 0
            for l in [big, big + 1] {
                let scanned = targets[l] - nr[l]
                nr[l] = targets[l] * (100 - pct) / 100
                nr[l] -= min(nr[l], scanned)
            }
            scanAdjusted = true
        }
        sc.nrReclaimed += nrReclaimed
        if canReclaimAnon && inactiveIsLow(nid: nid, file: false) {
            shrinkActiveList(nid: nid, K.swapClusterMax, .activeAnon, &sc)
        }
    }

    /// shrink_list() (mm/vmscan.c, 6.18).
    func shrinkList(nid: Int, _ l: LRUList, _ n: Int, _ sc: inout ScanControl) -> Int {
        if l.isActive {
            if sc.mayDeactivate & (l.isFile ? 2 : 1) != 0 { shrinkActiveList(nid: nid, n, l, &sc) }
            return 0
        }
        return shrinkInactiveList(nid: nid, n, l, &sc)
    }

    /// isolate_lru_folios() (mm/vmscan.c, 6.18): folios from the list's tail until `n` pages
    /// are scanned. Returns the isolated heads and the pages scanned.
    func isolateLRUFolios(nid: Int, _ n: Int, _ l: LRUList, cpu: Int) -> ([Int], Int) {
        let li = nid * LRUList.count + l.rawValue
        var taken: [Int] = [], scanned = 0
        while scanned < n && !lru.isEmpty(li) {
            let pfn = Int(lru.tail[li])
            scanned += lru.nrPages(pfn)
            isolateFromLRU(zoneOf(pfn: pfn), cpu: cpu, pfn: pfn)
            taken.append(pfn)
        }
        return (taken, scanned)
    }

    /// shrink_inactive_list() (mm/vmscan.c, 6.18): isolate, shrink_folio_list, put back the rest.
    func shrinkInactiveList(nid: Int, _ n: Int, _ l: LRUList, _ sc: inout ScanControl) -> Int {
        let (folios, scanned) = isolateLRUFolios(nid: nid, n, l, cpu: sc.cpu)
        guard !folios.isEmpty else { return 0 }
        sc.nrScanned += scanned
        countEvent(sc.isKswapd ? .pgscanKswapd : .pgscanDirect, scanned)
        countEvent(l.isFile ? .pgscanFile : .pgscanAnon, scanned)
        let pageout = sc.nrPageout
        let reclaimed = shrinkFolioList(folios, &sc)
        countEvent(sc.isKswapd ? .pgstealKswapd : .pgstealDirect, reclaimed)
        countEvent(l.isFile ? .pgstealFile : .pgstealAnon, reclaimed)
        lruNoteCost(nid: nid, file: l.isFile, io: sc.nrPageout - pageout, rotated: scanned - reclaimed)
        return reclaimed
    }

    /// folio_check_references() (mm/vmscan.c, 6.18): 0 reclaim, 1 keep, 2 activate.
    @inline(__always) func folioCheckReferences(_ pfn: Int) -> Int {
        let young = lru.test(pfn, FolioFlag.young)
        let referenced = lru.test(pfn, FolioFlag.referenced)
        lru.clear(pfn, FolioFlag.young | FolioFlag.referenced)
        if young {
            lru.set(pfn, FolioFlag.referenced)
            return referenced ? 2 : 1
        }
        return 0
    }

    /// shrink_folio_list() (mm/vmscan.c, 6.18): clean unreferenced page cache folios are freed
    /// (free_unref_folios on the reclaiming CPU); referenced ones are kept or activated; dirty
    /// ones are activated for the flusher; anon area folios go to swap while it has room;
    /// memory a workload holds itself (a bare PageRef) cannot be reclaimed and is activated.
    func shrinkFolioList(_ folios: [Int], _ sc: inout ScanControl) -> Int {
        var reclaimed = 0
        for pfn in folios {
            let z = zoneOf(pfn: pfn), n = lru.nrPages(pfn)
            switch folioCheckReferences(pfn) {
            case 2:
                activateIsolated(z, cpu: sc.cpu, pfn: pfn, n)
                continue
            case 1:
                putbackLRU(z, cpu: sc.cpu, pfn: pfn)
                continue
            default: break
            }
            if isAreaAnon(pfn) {
                // Anonymous: to swap, or activated when no slot is left.
                if swapOutFolio(cpu: sc.cpu, z, pfn: pfn) {
                    sc.nrPageout += n
                    reclaimed += n
                } else {
                    activateIsolated(z, cpu: sc.cpu, pfn: pfn, n)
                }
                continue
            }
            if !isPageCacheFolio(pfn: pfn) || lru.test(pfn, FolioFlag.dirty | FolioFlag.writeback | FolioFlag.mlocked) {
                activateIsolated(z, cpu: sc.cpu, pfn: pfn, n)
                continue
            }
            freeReclaimedFolio(cpu: sc.cpu, z, pfn: pfn)
            reclaimed += n
        }
        return reclaimed
    }

    @inline(__always) func activateIsolated(_ z: Zone, cpu: Int, pfn: Int, _ n: Int) {
        lru.set(pfn, FolioFlag.active)
        countEvent(.pgactivate, n)
        putbackLRU(z, cpu: cpu, pfn: pfn)
    }

    /// shrink_active_list() (mm/vmscan.c, 6.18): folios from the active tail go to the inactive
    /// list (executable mappings, which stay active, are not modelled); pgrefill, pgdeactivate.
    func shrinkActiveList(nid: Int, _ n: Int, _ l: LRUList, _ sc: inout ScanControl) {
        let (folios, scanned) = isolateLRUFolios(nid: nid, n, l, cpu: sc.cpu)
        countEvent(.pgrefill, scanned)
        var deactivated = 0
        for pfn in folios {
            let z = zoneOf(pfn: pfn)
            lru.clear(pfn, FolioFlag.active | FolioFlag.young)
            deactivated += lru.nrPages(pfn)
            putbackLRU(z, cpu: sc.cpu, pfn: pfn)
        }
        countEvent(.pgdeactivate, deactivated)
    }

    /// Pages reclaim could free on a node: the page cache's clean folios on the file lists (and
    /// anon with swap room), as zone_reclaimable_pages() bounds it.
    func reclaimablePages(nid: Int) -> Int {
        var n = lru.pages(nid: nid, .inactiveFile) + lru.pages(nid: nid, .activeFile)
        if canReclaimAnon { n += lru.pages(nid: nid, .inactiveAnon) + lru.pages(nid: nid, .activeAnon) }
        return n
    }
}
