/// A list's start length, checked against its first refill. The import derives how many pages
/// an order-0 list held from what the trace shows it hand out before its first refill, less
/// the frees it counts back to it; the replay routes frees by its own pages' pageblocks, so
/// where its list runs empty before the kernel's first refill, the kernel's held more. How
/// many more is what the replay's list still owes at that refill: the pages its own early
/// refills added, less what it holds then. A second replay starts the list that much longer,
/// with pages from the list the import put the pages no traced event names on (count stays).
extension TraceReplay {
    /// One order-0 list of one CPU in one zone.
    public struct ListKey: Hashable, Comparable, Sendable {
        public var cpu: Int, zone: Int, mt: Int
        public init(cpu: Int, zone: Int, mt: Int) { self.cpu = cpu; self.zone = zone; self.mt = mt }
        public static func < (a: ListKey, b: ListKey) -> Bool { (a.cpu, a.zone, a.mt) < (b.cpu, b.zone, b.mt) }
    }

    /// Where a list stands against the kernel's first refill of it.
    enum ListWatch {
        /// The replay refilled it before the kernel did, adding these pages.
        case early(added: Int)
        /// The kernel's first refill of it has passed.
        case done
    }

    /// Before an order-0 allocation of record `r` of type `mt`: the list, when the replay's is
    /// empty before the kernel's first refill of it (the allocation will refill it early).
    mutating func watchListStart(_ m: Machine, _ r: TraceRecord, mt: Int) -> ListKey? {
        guard r.order == 0, !r.inferred, mt < MigrateType.pcpTypes, let z = m.zoneSpanning(pfn: r.pfn) else { return nil }
        let key = ListKey(cpu: r.cpu, zone: z.id, mt: mt)
        let watch = listWatch[key]
        if case .done = watch { return nil }
        let before = z.pcpListLength(cpu: r.cpu, pindex: orderToPindex(mt, 0))
        if r.refilled {
            if case .early(let added) = watch, added > before { listShortfalls[key] = added - before }
            listWatch[key] = .done
            return nil
        }
        return before == 0 ? key : nil
    }

    /// After that allocation: a refill the kernel did not do adds what the list now holds and
    /// the page it handed out.
    mutating func watchListStart(after key: ListKey, _ m: Machine) {
        let now = m.zones[key.zone].pcpListLength(cpu: key.cpu, pindex: orderToPindex(key.mt, 0))
        guard now > 0 else { return }
        if case .early(let added) = listWatch[key] { listWatch[key] = .early(added: added + now + 1) } else { listWatch[key] = .early(added: now + 1) }
    }

    /// The shortfalls a second replay can make good: from the import's unnamed pages that no
    /// untraced allocation of this one took (a page taken from elsewhere would move the
    /// shortfall to another list).
    public var listStartCorrections: [ListKey: Int] {
        var spare: [Int: Int] = [:], out: [ListKey: Int] = [:]
        for (key, n) in listShortfalls.sorted(by: { $0.key < $1.key }) {
            let cz = key.cpu << 8 | key.zone
            let pages = key.cpu < unnamedPages.count && key.zone < unnamedPages[key.cpu].count ? unnamedPages[key.cpu][key.zone] : 0
            let taken = key.cpu < unnamedTaken.count && key.zone < unnamedTaken[key.cpu].count ? unnamedTaken[key.cpu][key.zone] : 0
            let left = spare[cz] ?? max(0, pages - taken)
            let take = min(n, left)
            if take > 0 { out[key] = take }
            spare[cz] = left - take
        }
        return out
    }

    /// Adds `n` to a per-CPU, per-zone tally, growing it to the machine's shape.
    static func add(_ n: Int, to a: inout [[Int]], cpu: Int, zone: Int, _ m: Machine) {
        if a.count < m.nrCPUs { a += [[Int]](repeating: [], count: m.nrCPUs - a.count) }
        if a[cpu].count < m.zones.count { a[cpu] += [Int](repeating: 0, count: m.zones.count - a[cpu].count) }
        a[cpu][zone] += n
    }

    /// At the first step: each list in `listStartLonger` gets its pages from the import's list of
    /// unnamed pages, as many as that holds.
    mutating func lengthenListStarts(_ m: Machine) {
        for (key, n) in listStartLonger.sorted(by: { $0.key < $1.key }) {
            guard key.cpu < unnamedLists.count, key.zone < unnamedLists[key.cpu].count else { continue }
            let from = unnamedLists[key.cpu][key.zone]
            guard from >= 0, from != key.mt else { continue }
            let moved = m.movePCPPages(cpu: key.cpu, zone: key.zone, from: from, to: key.mt, pages: n)
            if moved > 0 { listStartMoved[key] = moved }
        }
    }
}

extension Machine {
    /// Moves up to `pages` order-0 pages from the tail of one of `cpu`'s lists in a zone to the
    /// tail of another (an import's correction: count and high stay). Returns the pages moved.
    public func movePCPPages(cpu: Int, zone id: Int, from: Int, to: Int, pages: Int) -> Int {
        guard cpu >= 0, cpu < nrCPUs, zones.indices.contains(id), from != to,
              (0..<MigrateType.pcpTypes).contains(from), (0..<MigrateType.pcpTypes).contains(to) else { return 0 }
        let z = zones[id]
        let src = z.pcpList(cpu, orderToPindex(from, 0)), dst = z.pcpList(cpu, orderToPindex(to, 0))
        var n = 0
        while n < pages, !z.lists.isEmpty(src) {
            let i = Int(z.lists.tail[src])
            z.lists.remove(src, i, z.pages)
            z.enterPCP(cpu, i, order: 0, mt: to, buddy: false)
            z.lists.addTail(dst, i, z.pages)
            n += 1
        }
        return n
    }
}
