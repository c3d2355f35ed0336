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
    /// vm.swappiness default.
    static let swappiness = 60
}

/// What reclaim may use beyond the page cache: the swap device (--swap) and how many pages of
/// it are in use.
public struct ReclaimState: Sendable {
    /// Swap size in pages (0: no swap, the default and the reference machine's setting).
    public var swapPages = 0
    public var swapUsed = 0
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
    /// only the file lists (SCAN_FILE); with swap, anon and file in proportion to swappiness
    /// (the cost-based balance of 6.18 is not modelled: 60 : 140).
    func getScanCount(nid: Int, _ sc: ScanControl) -> [Int] {
        var nr = [0, 0, 0, 0]
        let anonOK = sc.maySwap && canReclaimAnon
        for l in LRUList.evictable {
            let size = lru.pages(nid: nid, l)
            var scan = size >> sc.priority
            if !l.isFile {
                guard anonOK else { continue }
                scan = scan * Reclaim.swappiness / 200
            } else if anonOK {
                scan = scan * (200 - Reclaim.swappiness) / 200
            }
            nr[l.rawValue] = scan
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
        let reclaimed = shrinkFolioList(folios, &sc)
        countEvent(sc.isKswapd ? .pgstealKswapd : .pgstealDirect, reclaimed)
        countEvent(l.isFile ? .pgstealFile : .pgstealAnon, reclaimed)
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
    /// ones are activated for the flusher; memory a workload holds itself (anon without swap
    /// room, file pages outside the page cache) cannot be reclaimed and is activated.
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
