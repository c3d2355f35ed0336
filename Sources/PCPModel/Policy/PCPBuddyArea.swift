/// The per-order buddy area of a PCP under the owning policies: chunks of owned blocks held
/// as PagePCPBuddy entries, merged and split under pcp->lock without zone->lock.
///
/// Choices made here: PagePCPBuddy is a page flag (bit 7 of the page's info byte); the area
/// keeps one list per order 0-9 and PCP migratetype; a freed owned page merges with its
/// buddies at once (the RFC's drain-time merge pass does the same merges, later); pcp->count
/// and pcp->high count these pages like any other PCP page.
extension Zone {
    static let buddyOrders = K.pageblockOrder + 1

    @inline(__always) func buddyList(_ cpu: Int, _ order: Int, _ mt: Int) -> Int {
        buddyAreaBase + (cpu * Zone.buddyOrders + order) * MigrateType.pcpTypes + mt
    }

    /// Marks a block head as held by `cpu`'s PCP (state, order, CPU, list type).
    @inline(__always) func enterPCP(_ cpu: Int, _ i: Int, order: Int, mt: Int, buddy: Bool) {
        pages.set(i, .pcp, order: order)
        pages.setPCPBuddy(i, buddy)
        pages.cpuOf[i] = UInt16(truncatingIfNeeded: cpu)
        pages.setKind(i, mt)
    }

    /// Puts a free chunk into `cpu`'s buddy area, merging with PagePCPBuddy buddies on the same
    /// PCP up to pageblock order. Returns the merge steps (done under pcp->lock).
    @discardableResult
    func pcpBuddyFree(_ cpu: Int, _ start: Int, order startOrder: Int, mt: Int) -> Int {
        var i = start, order = startOrder, merges = 0
        pages.setTail(i)
        while order < K.pageblockOrder {
            let b = i ^ (1 << order)
            guard pages.isHead(b, .pcp, order: order), pages.isPCPBuddy(b), Int(pages.cpuOf[b]) == cpu else { break }
            lists.remove(buddyList(cpu, order, pages.kind(b)), b, pages)
            pages.setTail(b)
            i &= b
            order += 1
            merges += 1
        }
        enterPCP(cpu, i, order: order, mt: mt, buddy: true)
        lists.addHead(buddyList(cpu, order, mt), i, pages)
        lock.pcpMergeSteps += merges
        trace?.work(.mergeStep, merges)
        trace?.work(.listOp, 1)
        return merges
    }

    /// The smallest chunk of at least `order` in `cpu`'s buddy area of type `mt`, split on the
    /// PCP (the upper halves stay there). The returned head is no longer a PCP page.
    @inline(__always) func pcpBuddyTake(_ cpu: Int, order: Int, mt: Int) -> Int? {
        var o = order
        while o <= K.pageblockOrder {
            let l = buddyList(cpu, o, mt)
            if !lists.isEmpty(l) {
                let i = Int(lists.head[l])
                lists.remove(l, i, pages)
                var h = o
                while h > order {
                    h -= 1
                    let upper = i + (1 << h)
                    enterPCP(cpu, upper, order: h, mt: mt, buddy: true)
                    lists.addHead(buddyList(cpu, h, mt), upper, pages)
                }
                trace?.work(.splitStep, o - order)
                trace?.work(.listOp, 1)
                pages.setPCPBuddy(i, false)
                return i
            }
            o += 1
        }
        return nil
    }

    /// Pages in `cpu`'s buddy area (all orders and types).
    func pcpBuddyPages(_ cpu: Int) -> Int {
        var n = 0
        for o in 0...K.pageblockOrder {
            for mt in 0..<MigrateType.pcpTypes { n += lists.length[buddyList(cpu, o, mt)] << o }
        }
        return n
    }
}
