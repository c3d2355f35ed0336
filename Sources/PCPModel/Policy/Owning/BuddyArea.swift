/// The per-order buddy area of a PCP under the owning designs: chunks of owned blocks held
/// as PagePCPBuddy entries, merged and split under pcp->lock without zone->lock.
///
/// Choices made here: PagePCPBuddy is a page flag (bit 7 of the page's info byte); the area
/// keeps one list per order 0-9 and PCP migratetype; a freed owned page merges with its
/// buddies at once (the RFC's drain-time merge pass does the same merges, later); pcp->count
/// and pcp->high count these pages like any other PCP page.
extension OwnedBlocks {
    static let buddyOrders = K.pageblockOrder + 1

    @inline(__always) func buddyList(_ z: Zone, _ cpu: Int, _ order: Int, _ mt: Int) -> Int {
        buddyList(slot: slot(z, cpu), order, mt)
    }
    @inline(__always) func buddyList(slot s: Int, _ order: Int, _ mt: Int) -> Int {
        (s * OwnedBlocks.buddyOrders + order) * MigrateType.pcpTypes + mt
    }

    /// Puts a free chunk into `cpu`'s buddy area, merging with PagePCPBuddy buddies on the same
    /// PCP up to pageblock order. Returns the merge steps (done under pcp->lock).
    @discardableResult
    func pcpBuddyFree(_ z: Zone, _ cpu: Int, _ start: Int, order startOrder: Int, mt: Int) -> Int {
        var i = start, order = startOrder, merges = 0
        z.pages.setTail(i)
        while order < K.pageblockOrder {
            let b = i ^ (1 << order)
            guard z.pages.isHead(b, .pcp, order: order), z.pages.isPCPBuddy(b), z.pages.cpuOf(b) == cpu else { break }
            area.remove(buddyList(z, cpu, order, z.pages.kind(b)), b, z.pages)
            z.pages.setTail(b)
            i &= b
            order += 1
            merges += 1
        }
        z.enterPCP(cpu, i, order: order, mt: mt, buddy: true)
        area.addHead(buddyList(z, cpu, order, mt), i, z.pages)
        areaPages[slot(z, cpu)] &+= 1 &<< startOrder
        z.lock.pcpMergeSteps += merges
        z.trace.work(.mergeStep, merges)
        z.trace.work(.listOp, 1)
        return merges
    }

    /// The smallest chunk of at least `order` in `cpu`'s buddy area of type `mt`, split on the
    /// PCP (the upper halves stay there). The returned head is no longer a PCP page.
    @inline(__always) func pcpBuddyTake(_ z: Zone, _ cpu: Int, order: Int, mt: Int) -> Int? {
        // The lists of one CPU and type lie a type count apart, one order to the next.
        var o = order, l = buddyList(z, cpu, order, mt)
        while o <= K.pageblockOrder {
            if !area.isEmpty(l) {
                let i = Int(area.head[l])
                area.remove(l, i, z.pages)
                var h = o, lh = l
                while h > order {
                    h -= 1
                    lh &-= MigrateType.pcpTypes
                    let upper = i + (1 << h)
                    z.enterPCP(cpu, upper, order: h, mt: mt, buddy: true)
                    area.addHead(lh, upper, z.pages)
                }
                areaPages[slot(z, cpu)] &-= 1 &<< order
                z.trace.work(.splitStep, o - order)
                z.trace.work(.listOp, 1)
                z.pages.setPCPBuddy(i, false)
                return i
            }
            o += 1
            l &+= MigrateType.pcpTypes
        }
        return nil
    }

    /// A block for a request from `cpu`'s PCP: the cached-only list of its order and type
    /// first, then the buddy area (up to pageblock order).
    @inline(__always) func takeFromPCP(_ z: Zone, _ cpu: Int, order: Int, mt: Int) -> Int? {
        if pcpAllowedOrder(order) {
            let l = z.pcpList(cpu, orderToPindex(mt, order))
            if !z.lists.isEmpty(l) {
                let i = Int(z.lists.head[l])
                z.lists.remove(l, i, z.pages)
                z.trace.work(.listOp, 1)
                z.addPCPCount(cpu, -(1 << order))
                return i
            }
        }
        guard order <= K.pageblockOrder, let i = pcpBuddyTake(z, cpu, order: order, mt: mt) else { return nil }
        z.addPCPCount(cpu, -(1 << order))
        return i
    }

    /// Pages in `cpu`'s buddy area (all orders and types).
    @inline(__always) func pcpBuddyPages(_ z: Zone, _ cpu: Int) -> Int { areaPages[slot(z, cpu)] }

    /// The same counted from the area's list lengths of a zone and CPU's slot: how a restore
    /// rebuilds `areaPages` (the checker walks the lists and compares).
    func countAreaPages(slot s: Int) -> Int {
        var n = 0
        for o in 0...K.pageblockOrder {
            // Wrapping: a restored file's lengths are not yet checked against the lists.
            for mt in 0..<MigrateType.pcpTypes { n &+= area.length[buddyList(slot: s, o, mt)] &<< o }
        }
        return n
    }
}
