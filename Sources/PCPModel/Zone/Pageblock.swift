/// The per-pageblock word (the RFC's 8-byte struct pageblock_data, 1/2): migratetype bits, the
/// isolate bit kept apart from the type (as 7.3's PB_migrate_isolate), and an owner CPU for
/// policies that let a PCP own whole blocks (-1: none).
public struct PageblockData: Sendable, BitwiseCopyable {
    public var migratetype: UInt8
    public var isolated: Bool
    /// PB_migrate_skip: compaction found nothing to do here (cleared when a scan restarts).
    public var skip = false
    public var owner: Int32

    static let initial = PageblockData(migratetype: UInt8(MigrateType.movable.rawValue),
                                       isolated: false, owner: -1)

    /// get_pfnblock_migratetype(): ISOLATE when the isolate bit is set.
    @inline(__always) public var effectiveType: Int {
        isolated ? MigrateType.isolate.rawValue : Int(migratetype)
    }
}

extension Zone {
    /// The CPU that owns pageblock `b` (-1: none; only owning designs set owners).
    @inline(__always) func owner(ofBlock b: Int) -> Int { Int(pageblocks[b].owner) }
}
