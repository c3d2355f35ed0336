/// Whoever holds movable pages and can follow one to a new frame: what migration's rmap walk
/// and the mapping's page replacement do. The page cache and anon owners implement it; a page
/// no mover vouches for (no owner, or pinned) cannot be isolated, as an unmovable page.
public protocol PageMover: AnyObject {
    /// Whether the allocated block may be isolated for migration now.
    func isMovable(_ ref: PageRef, order: Int) -> Bool
    /// The block's contents now live at `to`; the owner's references must follow.
    func moved(from: PageRef, to: PageRef, order: Int)
}

/// Per-zone compaction state (struct zone's compact_* fields, Linux 6.18), as zone indices.
struct CompactState {
    /// compact_cached_migrate_pfn[async, sync] and compact_cached_free_pfn; -1: reset.
    var cachedMigrate = [-1, -1]
    var cachedFree = -1
    /// compact_blockskip_flush: a scan completed, the skip bits are stale.
    var blockskipFlush = false
    /// compact_considered, compact_defer_shift, compact_order_failed.
    var considered = 0
    var deferShift = 0
    var orderFailed = 0
}

/// enum compact_result (include/linux/compaction.h), in the kernel's order: callers take the
/// largest over zones.
public enum CompactResult: Int, Comparable, Sendable {
    case notSuitableZone, skipped, deferred, noSuitablePage, `continue`, complete, partialSkipped, contended, success
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// enum migrate_mode as compaction uses it: the direct first attempt is async, kcompactd and
/// later direct attempts sync-light, compact_memory sync.
enum MigrateMode { case async, syncLight, sync }
