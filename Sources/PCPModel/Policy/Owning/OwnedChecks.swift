/// The owning designs' invariants and figures.
extension OwningPolicy {
    /// Every buddy-area entry is a PagePCPBuddy block of this CPU in a block it owns, with no
    /// unmerged buddy beside it, and the list lengths are right.
    func checkPCP(_ z: Zone, cpu c: Int) throws(PolicyViolation) -> Int {
        let s = owned
        var count = 0
        for o in 0...K.pageblockOrder {
            for mt in 0..<MigrateType.pcpTypes {
                let l = s.buddyList(z, c, o, mt)
                var e = s.area.head[l], len = 0
                while e != PageStore.none {
                    let x = Int(e)
                    guard z.pages.isHead(x, .pcp, order: o), z.pages.isPCPBuddy(x), z.pages.cpuOf(x) == c else {
                        throw PolicyViolation(page: x, what: "entry on CPU \(c)'s buddy area (order \(o)) is not its PagePCPBuddy block")
                    }
                    guard z.owner(ofBlock: x >> K.pageblockOrder) == c else {
                        throw PolicyViolation(page: x, what: "CPU \(c) holds a PagePCPBuddy page of a block owned by \(z.owner(ofBlock: x >> K.pageblockOrder))")
                    }
                    if o < K.pageblockOrder, z.pages.isHead(x ^ (1 << o), .pcp, order: o), z.pages.isPCPBuddy(x ^ (1 << o)) {
                        throw PolicyViolation(page: x, what: "two PagePCPBuddy buddies of order \(o) left unmerged on CPU \(c)")
                    }
                    count += 1 << o; len += 1; e = z.pages.nextOf(x)
                }
                guard len == s.area.length[l] else { throw PolicyViolation(page: nil, what: "CPU \(c) buddy area list length is wrong") }
            }
        }
        guard count == s.pcpBuddyPages(z, c) else {
            throw PolicyViolation(page: nil, what: "CPU \(c) buddy area holds \(count) pages but \(s.pcpBuddyPages(z, c)) are counted")
        }
        return count
    }

    /// Owned blocks: their zone fragments are counted and listed on the owner's owned_blocks,
    /// and no owned block sits whole in the zone.
    func checkZone(_ z: Zone) throws(PolicyViolation) {
        let s = owned
        for b in z.pageblocks.indices {
            let o = z.owner(ofBlock: b)
            var zoneFree = 0, i = b << K.pageblockOrder
            let end = i + K.pageblockNrPages
            if z.pages.state(i) == .buddy && z.pages.order(i) >= K.pageblockOrder {
                if o >= 0 { throw PolicyViolation(page: i, what: "block owned by CPU \(o) is free in the zone as a whole") }
                continue
            }
            guard o >= 0 else {
                if s.isListed(z, b) { throw PolicyViolation(page: i, what: "unowned block is on an owned_blocks list") }
                continue
            }
            while i < end {
                let st = z.pages.state(i)
                if st == .buddy { zoneFree += 1 << z.pages.order(i) }
                i += (st == .tail || st == .reserved) ? 1 : 1 << z.pages.order(i)
            }
            guard Int(s.fragPages[s.block(z, b)]) == zoneFree else {
                throw PolicyViolation(page: b << K.pageblockOrder, what: "owned block has \(zoneFree) pages in the zone but \(s.fragPages[s.block(z, b)]) recorded")
            }
            guard (zoneFree > 0) == s.isListed(z, b) else {
                throw PolicyViolation(page: b << K.pageblockOrder, what: "owned block with \(zoneFree) zone pages is \(zoneFree > 0 ? "missing from" : "still on") owned_blocks")
            }
        }
    }

    /// Ownership, buddy areas and routed frees of a zone.
    func ownedFigures(_ z: Zone) -> PolicyFigures {
        let s = owned
        var f = PolicyFigures(cpus: z.nrCPUs)
        for b in z.pageblocks.indices where z.owner(ofBlock: b) >= 0 {
            let o = z.owner(ofBlock: b)
            f.pcp[o].ownedBlocks += 1
            if s.isListed(z, b) { f.pcp[o].ownedBlocksListed += 1 }
            f.ownedBlocks += 1
            f.ownedFreePages += Int(s.fragPages[s.block(z, b)])
        }
        for c in 0..<z.nrCPUs {
            f.pcp[c].buddyAreaPages = s.pcpBuddyPages(z, c)
            f.pcp[c].routedIn = s.routedIn[s.slot(z, c)]
            f.pcp[c].routedOut = s.routedOut[s.slot(z, c)]
            f.ownedFreePages += f.pcp[c].buddyAreaPages
        }
        f.routedFrees = s.routedFrees[z.id]
        f.routedFreesOwnerCold = s.routedFreesOwnerCold[z.id]
        return f
    }
}
