/// Checkpoint of the invariant checker: the counters it saw at its last monotonic check and the
/// full scans' credit, saved with the engine, so a resumed run or mount goes on holding its
/// counters to what was seen before the save (a restore that lost a count fails the check).
extension InvariantChecker {
    func checkpoint(_ c: Checkpoint, _ m: Machine) throws(CheckpointError) {
        try c.section("checker")
        try c.sync(&lastEvents)
        try c.sync(&lastLockAcquisitions)
        try c.sync(&lastNuma)
        try c.sync(&scanCredit)
        guard !c.isSaving else { return }
        let fits = lastEvents.isEmpty
            ? lastLockAcquisitions.isEmpty && lastNuma.isEmpty
            : lastEvents.count == m.events.count && lastLockAcquisitions.count == m.zones.count
                && lastNuma.map(\.count) == m.zones.map(\.numaEvents.count)
        let pages = m.zones.reduce(0) { $0 + ($1.isPopulated ? $1.pages.count : 0) }
        guard fits, scanCredit >= 0, scanCredit <= pages else {
            throw CheckpointError("the invariant checker's saved counters do not fit the machine")
        }
        // The restored machine's counters against what the checker saw before the save.
        do { try checkAgainstMemory(m, after: "reading the state") } catch {
            throw CheckpointError("its machine is inconsistent: \(error.description)")
        }
    }
}
