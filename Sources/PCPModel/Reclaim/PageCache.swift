/// One file of the simulated page cache: which folio caches each page offset.
final class CachedFile {
    let pages: Int
    /// Per page offset: the pfn + 1 of the head of the folio caching it (0: not cached).
    let slots: FixedArray<UInt32>
    var cachedPages = 0

    init(pages: Int) {
        self.pages = pages
        slots = FixedArray(zeroed: pages)
    }
}

/// The page cache's files (struct address_space per file, reduced to the offset -> folio map).
public struct PageCache {
    var files: [CachedFile] = []
    /// Pages in the page cache over every file (NR_FILE_PAGES of the cache's own folios).
    public internal(set) var pages = 0
    public var fileCount: Int { files.count }
    public func cachedPages(file: Int) -> Int { files[file].cachedPages }
}

/// What one read of a file page met.
public enum FileAccess: Equatable, Sendable {
    /// The page was cached (folio_mark_accessed ran on its folio).
    case hit
    /// A folio of this order was read in at this pfn.
    case miss(order: Int, pfn: Int)
    /// No memory for even one page.
    case failed
}

/// The page cache's entry points: reading and writing file pages, drop_caches, and removing a
/// reclaimed folio (mm/filemap.c, mm/readahead.c, mm/swap.c, 6.18).
extension Machine {
    /// Creates an empty file of `pages` pages and returns its id.
    public func createFile(pages: Int) -> Int {
        pageCache.files.append(CachedFile(pages: max(1, pages)))
        return pageCache.files.count - 1
    }

    /// Pages of `file` that are cached.
    public func fileCachedPages(_ file: Int) -> Int { pageCache.files[file].cachedPages }

    /// filemap_read() of one page: a cached page is marked accessed; a missing one is read in
    /// by readahead as a folio of up to `order` (page_cache_ra_order(): aligned to its order,
    /// inside the file, not over cached pages). A failed large folio falls back to a single
    /// page, as do_page_cache_ra() does. `dirty`: a write (the folio is dirtied).
    public func fileAccess(cpu: Int, file id: Int, offset: Int, order maxOrder: Int = 0, dirty: Bool = false) -> FileAccess {
        let f = pageCache.files[id]
        precondition(offset >= 0 && offset < f.pages, "offset \(offset) outside file of \(f.pages) pages")
        let s = Int(f.slots[offset])
        if s != 0 {
            let pfn = s - 1
            let z = zoneOf(pfn: pfn)
            folioMarkAccessed(z, cpu: cpu, pfn: pfn)
            if dirty { folioMarkDirty(z, cpu: cpu, pfn: pfn) }
            return .hit
        }
        var order = min(maxOrder, K.maxOrder)
        while order > 0 {
            let start = offset & ~((1 << order) - 1)
            if start + (1 << order) <= f.pages && !rangeCached(f, start, 1 << order) { break }
            order -= 1
        }
        var got = order > 0 ? allocPages(cpu: cpu, order: order, kind: .file, gfp: .readahead) : nil
        if got == nil {
            order = 0
            got = allocPages(cpu: cpu, order: 0, kind: .file, gfp: .readahead)
        }
        guard let r = got else { return .failed }
        let z = zones[Int(r.zone)], pfn = z.pfn(Int(r.index)), n = 1 << order
        let start = offset & ~(n - 1)
        lru.owner[pfn] = UInt32(id + 1)
        lru.offset[pfn] = UInt32(start)
        for o in start..<(start + n) { f.slots[o] = UInt32(pfn + 1) }
        f.cachedPages += n
        pageCache.pages += n
        countEvent(.pgpginKB, n * (K.pageSize / 1024))
        if dirty { folioMarkDirty(z, cpu: cpu, pfn: pfn) }
        return .miss(order: order, pfn: pfn)
    }

    private func rangeCached(_ f: CachedFile, _ start: Int, _ n: Int) -> Bool {
        for o in start..<(start + n) where f.slots[o] != 0 { return true }
        return false
    }

    /// folio_mark_accessed() (mm/swap.c, 6.18): the first touch sets PG_referenced, the second
    /// activates an inactive folio.
    @inline(__always) func folioMarkAccessed(_ z: Zone, cpu: Int, pfn: Int) {
        let f = lru.flags[pfn]
        if f & FolioFlag.referenced == 0 {
            lru.set(pfn, FolioFlag.referenced)
        } else if f & FolioFlag.unevictable == 0 && f & FolioFlag.active == 0 {
            if f & FolioFlag.lru != 0 {
                lruMove(z, cpu: cpu, pfn: pfn, to: lru.lruList(pfn) == .inactiveFile ? .activeFile : .activeAnon)
                countEvent(.pgactivate, lru.nrPages(pfn))
            } else {
                lru.set(pfn, FolioFlag.active)
            }
            lru.clear(pfn, FolioFlag.referenced)
        }
    }

    /// folio_mark_dirty(): NR_FILE_DIRTY counts it until writeback cleans it.
    @inline(__always) func folioMarkDirty(_ z: Zone, cpu: Int, pfn: Int) {
        guard !lru.test(pfn, FolioFlag.dirty) else { return }
        lru.set(pfn, FolioFlag.dirty)
        modNodeState(nid: z.nid, cpu: cpu, .nrFileDirty, lru.nrPages(pfn))
    }

    /// A process touches memory it holds (anon or a mapped file page): the PTE's accessed bit,
    /// which folio_referenced() finds at the next scan.
    public func touch(_ ref: PageRef) {
        let z = zones[Int(ref.zone)], pfn = z.pfn(Int(ref.index))
        if lru.onLRUOrIsolated(pfn) { lru.set(pfn, FolioFlag.young) }
    }

    /// filemap_remove_folio(): a clean folio leaves its file (reclaim, drop_caches).
    func removeFromPageCache(pfn: Int) {
        guard isPageCacheFolio(pfn: pfn) else { return }
        let id = Int(lru.owner[pfn])
        let f = pageCache.files[id - 1], n = lru.nrPages(pfn), start = Int(lru.offset[pfn])
        for o in start..<min(f.pages, start + n) where f.slots[o] == UInt32(pfn + 1) { f.slots[o] = 0 }
        f.cachedPages -= n
        pageCache.pages -= n
        lru.owner[pfn] = 0
    }

    /// Frees a folio reclaim or drop_caches took out of the page cache (free_unref_folios ->
    /// the PCP, on `cpu`).
    func freeReclaimedFolio(cpu: Int, _ z: Zone, pfn: Int) {
        let order = lru.order(pfn)
        removeFromPageCache(pfn: pfn)
        do { try freePages(cpu: cpu, PageRef(zone: z.id, index: z.index(pfn)), order: order) } catch {
            preconditionFailure("reclaimed folio at pfn \(pfn) was not allocated: \(error)")
        }
    }

    /// drop_caches bit 1 (drop_pagecache_sb -> invalidate_mapping_pages): every clean, unmapped
    /// page cache folio on an LRU is freed; dirty, mapped and isolated ones stay.
    func dropPagecache(cpu: Int) {
        for nid in 0..<nrNodes {
            for l in [LRUList.inactiveFile, .activeFile] {
                var e = lru.tail[nid * LRUList.count + l.rawValue]
                while e != LRUStore.none {
                    let pfn = Int(e)
                    e = lru.prev[pfn]
                    let f = lru.flags[pfn]
                    guard isPageCacheFolio(pfn: pfn), f & (FolioFlag.dirty | FolioFlag.writeback | FolioFlag.mapped) == 0 else { continue }
                    freeReclaimedFolio(cpu: cpu, zoneOf(pfn: pfn), pfn: pfn)
                }
            }
        }
    }

    /// The flusher threads (wb_workfn at dirty_writeback_centisecs): dirty folios are written
    /// and become clean. Writeback completes at once here (Writeback stays 0).
    func writebackDirty(cpu: Int) {
        for nid in 0..<nrNodes {
            for l in LRUList.allCases {
                var e = lru.head[nid * LRUList.count + l.rawValue]
                while e != LRUStore.none {
                    let pfn = Int(e)
                    e = lru.next[pfn]
                    guard lru.test(pfn, FolioFlag.dirty) else { continue }
                    lru.clear(pfn, FolioFlag.dirty)
                    modNodeState(nid: nid, cpu: cpu, .nrFileDirty, -lru.nrPages(pfn))
                }
            }
        }
    }
}
