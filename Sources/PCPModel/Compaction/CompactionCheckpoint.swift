/// Checkpoints of compaction's per-zone state (see `MachineCheckpoint.swift`).
extension CompactState: CheckpointableValue {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&cachedMigrate)
        try c.sync(&cachedFree)
        try c.sync(&blockskipFlush)
        try c.sync(&considered)
        try c.sync(&deferShift)
        try c.sync(&orderFailed)
    }
}

extension CompactResult: RawRepresentableCheckpointValue {}
