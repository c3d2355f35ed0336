/// Checkpoint of /proc/pressure/memory's running totals and averages.
extension PSIResource: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&stallSum)
        try c.sync(&cpus)
        try c.sync(&avgTotal)
        try c.sync(&avg)
        try c.sync(&avgLastUpdate)
        try c.sync(&avgNextUpdate)
    }
}
