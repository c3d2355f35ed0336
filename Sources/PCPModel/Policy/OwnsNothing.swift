/// Designs that keep the kernel's PCP lists and own nothing: refills, frees and the buddy are
/// 6.18's, and only how a PCP drains is the design's own (`freePCPPagesBulk`).
protocol OwnsNothing: AllocatorPolicy {}

extension OwnsNothing {
    func servesFromPCP(order: Int) -> Bool { pcpAllowedOrder(order) }

    @inline(always) func rmqueuePCP(_ z: Zone, cpu: Int, order: Int, mt: Int, flags: AllocFlags) -> Int? {
        z.rmqueuePCPList(cpu, order: order, mt: mt, flags: flags, self)
    }

    func allocated(_ z: Zone, cpu: Int, now: Int64) {}

    var drainsAllOnRetry: Bool { true }

    func freeOwned(_ m: Machine, _ z: Zone, cpu: Int, _ i: Int, order: Int, mt: Int, pcpLockHeld: Bool) -> Bool { false }

    func freeListChanged(_ z: Zone, _ i: Int, order: Int, pages: Int) {}

    func takeOffPCP(_ z: Zone, cpu: Int, _ i: Int, order: Int) {
        z.lists.remove(z.pcpList(cpu, orderToPindex(z.pages.kind(i), order)), i, z.pages)
    }

    func release(_ m: Machine) {}

    func checkPCP(_ z: Zone, cpu: Int) throws(PolicyViolation) -> Int { 0 }

    /// No pageblock has an owner (a switch from an owning design dropped them all).
    func checkZone(_ z: Zone) throws(PolicyViolation) {
        for b in z.pageblocks.indices where z.owner(ofBlock: b) >= 0 {
            throw PolicyViolation(page: b << K.pageblockOrder, what: "block owned by CPU \(z.owner(ofBlock: b)) under a design that owns nothing")
        }
    }

    func figures(_ z: Zone) -> PolicyFigures { PolicyFigures(cpus: z.nrCPUs) }

    /// Nothing of its own to save.
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {}

    func clearHeadBackLinks(_ m: Machine) {}
}
