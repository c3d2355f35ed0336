/// Which allocator design runs. All share the model's data structures.
public enum Policy: String, CaseIterable, Sendable {
    /// Linux 6.18 as released.
    case baseline
    /// The April 2026 RFC "mm: page_alloc: pcp buddy allocator" (Weiner): PCPs claim whole
    /// pageblocks and own them, frees route back to the owner, buddies merge under pcp->lock,
    /// a four-phase refill (owned fragments, whole blocks, unowned chunks, __rmqueue).
    case pcpBuddy = "pcp-buddy"
    /// Zi Yan's first suggestion: merge buddies on the local PCP before zone->lock, with no
    /// ownership and no routing.
    case pcpMerge = "pcp-merge"
    /// Zi Yan's radical version: the zone deals only in whole pageblocks; splitting and merging
    /// happen on PCPs; a dry PCP steals from others (nearest first, then the richest) instead
    /// of drain_all_pages.
    case blockEconomy = "block-economy"

    /// Policies whose PCPs own pageblocks and keep them in a per-order buddy area.
    var ownsBlocks: Bool { self == .pcpBuddy || self == .blockEconomy }

    /// Whether a request of `order` goes through the PCP's buddy area: PCP orders, and for
    /// block-economy every order below a pageblock.
    @inline(__always) func servesFromBuddyArea(order: Int) -> Bool {
        ownsBlocks && (pcpAllowedOrder(order) || (self == .blockEconomy && order < K.pageblockOrder))
    }

    /// Whether a failing allocation drains every CPU's PCP before its retry (block-economy
    /// asks other PCPs for only what it needs, in its refill).
    var drainsAllOnRetry: Bool { self != .blockEconomy }
}

/// The RFC's open questions that are real design choices, as knobs.
public struct PCPBuddyOptions: Equatable, Sendable {
    /// How a free routed to another CPU's PCP takes its pcp->lock.
    public enum RemoteFreeLock: String, CaseIterable, Sendable {
        /// spin_lock on the owner's pcp->lock (the free always reaches the owner).
        case spin
        /// trylock; on failure the page goes straight to the zone under zone->lock.
        case trylock
    }
    public var remoteFreeLock = RemoteFreeLock.spin
    /// Phase 2 takes the largest sub-pageblock chunk first (true) or the smallest that is
    /// larger than the request (false).
    public var phase2LargestFirst = true
    public init() {}
}

extension Machine {
    /// Switches the design on a live machine: every PCP is emptied into the zone, ownership
    /// is dropped, and the new policy takes over.
    public func setPolicy(_ p: Policy) {
        for z in zones where z.isPopulated {
            for c in 0..<nrCPUs { z.drainPagesZone(c, force: true) }
            z.dropOwnership()
        }
        policy = p
        for z in zones { z.policy = p }
    }

    public func setPCPBuddyOptions(_ o: PCPBuddyOptions) {
        pcpBuddyOptions = o
        for z in zones { z.options = o }
    }
}
