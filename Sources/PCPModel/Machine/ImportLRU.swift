/// An imported machine's LRU (issue #9 item 6): the in-use pages the import could not name
/// become the LRU folios its capture counts, so reclaim, compaction and the counters start
/// where the real machine was.
public struct ImportedLRU: Sendable {
    /// Per zone type: pages on each list (LRUList order: inactive anon, active anon, inactive
    /// file, active file, unevictable), zoneinfo's nr_zone_* counters.
    public var zones: [(type: ZoneType, lists: [Int])] = []
    /// The node's NR_ANON_MAPPED (nr_anon_pages): the unevictable pages count as anon up to it.
    public var anonPages: Int?
    /// Pages of the anon lists that are shmem (nr_shmem), of the file lists dirty (nr_dirty) and
    /// mapped (nr_mapped).
    public var shmem = 0, dirty = 0, mapped = 0
    public init() {}
}

extension Machine {
    /// Turns the node's imported in-use pages (order-0 pages of unseen owners) into LRU folios:
    /// per zone as many on each list as `spec` says, pages in movable pageblocks first. File
    /// folios join a page-cache file of the node (reclaim frees them, compaction moves them);
    /// anon folios are followed by an `AnonRegion`, so compaction can move them too; shmem and
    /// unevictable folios stay put. Returns the pages per zone that no in-use page was left for.
    public func adoptImportedLRU(nid: Int, _ spec: ImportedLRU) -> [(type: ZoneType, short: Int)] {
        var short: [(type: ZoneType, short: Int)] = []
        let filePages = spec.zones.reduce(0) { $0 + $1.lists[LRUList.inactiveFile.rawValue] + $1.lists[LRUList.activeFile.rawValue] }
        let file = filePages > 0 ? createFile(pages: filePages) : -1
        let region = AnonRegion(self)
        region.previous = mover
        mover = region
        var offset = 0, shmem = spec.shmem, dirty = spec.dirty, mapped = spec.mapped
        var anonLeft = spec.anonPages ?? .max
        // The anon lists' own anon pages count first, the unevictable ones after.
        let anonOnLists = spec.zones.reduce(0) { $0 + $1.lists[LRUList.inactiveAnon.rawValue] + $1.lists[LRUList.activeAnon.rawValue] }
        anonLeft -= max(0, anonOnLists - min(spec.shmem, anonOnLists))
        for (type, lists) in spec.zones {
            let z = zone(nid: nid, type: type)
            guard z.isPopulated else { continue }
            let all = importedPool(z), movable = MigrateType.movable.rawValue
            let pool = all.filter { z.blockType($0) == movable } + all.filter { z.blockType($0) != movable }
            var next = 0, missing = 0
            for l in [LRUList.inactiveFile, .activeFile, .inactiveAnon, .activeAnon, .unevictable] {
                for _ in 0..<lists[l.rawValue] {
                    guard next < pool.count else { missing += 1; continue }
                    let i = pool[next], pfn = z.pfn(i)
                    next += 1
                    var flags = FolioFlag.lru | (l.isActive ? FolioFlag.active : 0)
                    var kind = AllocKind.anon
                    switch l {
                    case .inactiveFile, .activeFile:
                        kind = .file
                        flags |= FolioFlag.file
                        lru.owner[pfn] = UInt32(file + 1)
                        lru.offset[pfn] = UInt32(offset)
                        pageCache.files[file].slots[offset] = UInt32(pfn + 1)
                        pageCache.files[file].cachedPages += 1
                        pageCache.pages += 1
                        offset += 1
                        modNodeState(nid: nid, cpu: 0, .nrFilePages, 1)
                        if dirty > 0 { dirty -= 1; flags |= FolioFlag.dirty; modNodeState(nid: nid, cpu: 0, .nrFileDirty, 1) }
                        if mapped > 0 { mapped -= 1; flags |= FolioFlag.mapped; modNodeState(nid: nid, cpu: 0, .nrFileMapped, 1) }
                    case .inactiveAnon, .activeAnon:
                        if shmem > 0 {
                            shmem -= 1
                            flags |= FolioFlag.file | FolioFlag.shmem
                            modNodeState(nid: nid, cpu: 0, .nrShmem, 1)
                            modNodeState(nid: nid, cpu: 0, .nrFilePages, 1)
                        } else {
                            modNodeState(nid: nid, cpu: 0, .nrAnonPages, 1)
                            region.add(PageRef(zone: z.id, index: i))
                        }
                    case .unevictable:
                        flags |= FolioFlag.unevictable
                        if anonLeft > 0 {
                            anonLeft -= 1
                            modNodeState(nid: nid, cpu: 0, .nrAnonPages, 1)
                        } else {
                            kind = .file
                            flags |= FolioFlag.file
                            modNodeState(nid: nid, cpu: 0, .nrFilePages, 1)
                        }
                    }
                    z.pages.setKind(i, kind.rawValue)
                    lru.flags[pfn] = flags
                    lru.addHead(nid * LRUList.count + l.rawValue, pfn)
                    updateLRUSize(z, cpu: 0, l, 1)
                }
            }
            if missing > 0 { short.append((type, missing)) }
            z.vmStat.fold(cpu: 0)
        }
        nodeStats.fold(cpu: 0)
        return short
    }
}
