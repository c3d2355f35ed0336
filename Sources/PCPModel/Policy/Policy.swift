/// Which allocator design runs: a name, and the type that implements it (an `AllocatorPolicy`).
/// All designs share the model's data structures.
public struct Policy: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String
    let type: any AllocatorPolicy.Type

    init<P: AllocatorPolicy>(_ type: P.Type) {
        rawValue = P.name
        self.type = type
    }

    /// A registered design by name.
    public init?(rawValue: String) {
        guard let p = Policy.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = p
    }

    /// Every design, in the order `--help` lists them: a new design registers here.
    public static let allCases: [Policy] = [.baseline, .pcpBuddy, .pcpMerge, .blockEconomy]

    public static func == (a: Policy, b: Policy) -> Bool { a.rawValue == b.rawValue }
    public func hash(into h: inout Hasher) { h.combine(rawValue) }
    public var description: String { rawValue }
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
    /// What alloc_contig_range() does with free pages of its range that sit on PCPs: the
    /// thread's open question for designs whose PCPs hold pieces of blocks.
    public enum ContigPCP: String, CaseIterable, Sendable {
        /// drain_all_pages() after isolation (6.18; the RFC: "unchanged", pages held on PCPs
        /// are still skipped by isolation). Each design drains as its drains do; a page still
        /// on a PCP fails the range.
        case drainAll = "drain-all"
        /// zone_pcp_disable() around the attempt (what memory offlining does): every PCP of the
        /// zone is emptied completely before isolation, whatever the design keeps on a drain.
        case pcpDisable = "pcp-disable"
        /// Isolation learns about pages held on PCPs (Zi Yan; Weiner's open question for the
        /// block economy): the range's free pages are taken off whichever PCP holds them, and no
        /// other PCP is drained.
        case takeFromPCP = "take-from-pcp"
    }
    public var contigPCP = ContigPCP.drainAll
    public init() {}
}

extension Machine {
    /// Switches the design on a live machine: every PCP is emptied into the zone, the old
    /// design gives up what it owns, and the new one starts with its own empty storage.
    public func setPolicy(_ p: Policy) {
        emptyEveryPCP(driver)
        driver.release(self)
        policy = p
        policyObject = p.type.init(machine: self)
    }

    /// Empties every PCP of every zone completely, as design `p` drains.
    private func emptyEveryPCP<P: AllocatorPolicy>(_ p: P) {
        for z in zones where z.isPopulated {
            for c in 0..<nrCPUs { z.drainPagesZone(c, force: true, p) }
        }
    }

    /// The owning designs read these when they route a free or take phase 2 chunks.
    public func setPCPBuddyOptions(_ o: PCPBuddyOptions) { pcpBuddyOptions = o }
}
