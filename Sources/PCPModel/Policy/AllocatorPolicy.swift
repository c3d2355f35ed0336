/// One allocator design: everything in which the designs differ, and nothing else.
///
/// The shared paths (allocation, free, drains, the buddy's free lists, the invariant checker,
/// snapshots and run metrics) call these hooks and never ask which design runs. A design keeps
/// its own state (what it owns per zone and per PCP, its counters) in its own storage, built
/// by `init(machine:)`; the zone's and pages' shared structures are the kernel's.
///
/// No requirement has a default here: a design that conforms directly writes every hook, and
/// the compiler names what it has not decided. The families `OwnsNothing` and `OwningPolicy`
/// supply what their members share, and the kernel's own behaviour is one call away for each
/// hook (`rmqueuePCPList`, `freePCPPagesBulkBaseline`...). The shared paths are generic over
/// the design and specialised for each: a machine reaches its design through one existential
/// call per operation (`PolicyDriver`), and below that every hook is a direct call.
protocol AllocatorPolicy: PolicyDriver, SendableMetatype {
    /// What `--policy` and sys/kernel/mm/pcpsim/policy call the design.
    static var name: String { get }
    /// The design's own storage for `machine` (empty: nothing owned yet).
    init(machine: Machine)

    // Allocation.

    /// Whether a request of `order` tries `cpu`'s PCP (`rmqueuePCP`) before the buddy.
    func servesFromPCP(order: Int) -> Bool
    /// The PCP side of an allocation, under `cpu`'s pcp->lock (held by the caller): a block of
    /// `order`, refilling the PCP as the design does; nil sends the request to the buddy.
    func rmqueuePCP(_ z: Zone, cpu: Int, order: Int, mt: Int, flags: AllocFlags) -> Int?
    /// A request that succeeded in `z` on `cpu` at `now` (ns).
    func allocated(_ z: Zone, cpu: Int, now: Int64)
    /// Whether a failing allocation drains every CPU's PCP before its retry.
    var drainsAllOnRetry: Bool { get }

    // Free.

    /// A free of the block at `i` before the kernel's PCP path: true when the design took the
    /// block itself (a page sent home to its owner).
    func freeOwned(_ m: Machine, _ z: Zone, cpu: Int, _ i: Int, order: Int, mt: Int, pcpLockHeld: Bool) -> Bool
    /// free_pcppages_bulk() of the design: returns `count` pages of `cpu`'s PCP to the buddy,
    /// round robin from `pindex`, taking zone->lock as the design does. `force` (a policy
    /// switch) must empty what it is asked to.
    func freePCPPagesBulk(_ z: Zone, cpu: Int, count: Int, pindex: Int, force: Bool)

    /// Takes the free block at `i` off `cpu`'s PCP, wherever the design keeps it (the caller
    /// holds the pcp->lock and adjusts pcp->count): isolation taking PCP-held pages.
    func takeOffPCP(_ z: Zone, cpu: Int, _ i: Int, order: Int)

    // The buddy.

    /// A free block entered (`pages` > 0) or left (`pages` < 0) the zone's free lists.
    func freeListChanged(_ z: Zone, _ i: Int, order: Int, pages: Int)

    // Switching designs.

    /// Every PCP was emptied for a switch to another design: give up what the design owns
    /// (the shared pageblock data included).
    func release(_ m: Machine)

    // Checks and figures.

    /// Checks what `cpu`'s PCP holds outside its 14 lists; returns those pages (they count in
    /// pcp->count too).
    func checkPCP(_ z: Zone, cpu: Int) throws(PolicyViolation) -> Int
    /// Checks the design's own bookkeeping of a zone against the pages.
    func checkZone(_ z: Zone) throws(PolicyViolation)
    /// What the design reports about a zone, for snapshots and run metrics.
    func figures(_ z: Zone) -> PolicyFigures

    // Checkpoints.

    /// Saves or restores the design's own storage, one `sync` line a field (`Checkpoint`).
    func checkpoint(_ c: Checkpoint) throws(CheckpointError)
    /// Before a save, ahead of the zones' pages: the heads of the design's own lists get the
    /// back link none (`ListSet.clearHeadBackLinks`).
    func clearHeadBackLinks(_ m: Machine)
}

/// A broken invariant of a design's own bookkeeping: where (a page index in the zone), and what.
struct PolicyViolation: Error {
    var page: Int?
    var what: String
}

/// What a design reports about one zone: all zero for designs that own nothing.
struct PolicyFigures {
    struct PCP {
        /// Pages in the buddy area, pageblocks owned, owned blocks on owned_blocks, routed
        /// frees received as owner and sent away.
        var buddyAreaPages = 0, ownedBlocks = 0, ownedBlocksListed = 0, routedIn = 0, routedOut = 0
    }
    var pcp: [PCP]
    /// Owned pageblocks, and their free pages (zone fragments and buddy areas).
    var ownedBlocks = 0, ownedFreePages = 0
    /// Frees sent to an owner, and those whose owner had not allocated for a stat interval.
    var routedFrees = 0, routedFreesOwnerCold = 0
    /// Pages each refill phase (0-3) brought, for designs with phases.
    var refillPhasePages = [0, 0, 0, 0]

    init(cpus: Int) { pcp = Array(repeating: PCP(), count: cpus) }
}
