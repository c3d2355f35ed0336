/// The GFP classes the model distinguishes (the flags of a gfp_t that change the slow path).
public enum GFPClass: Sendable, Equatable {
    /// GFP_KERNEL / GFP_HIGHUSER_MOVABLE: may reclaim, compact, retry and OOM-kill.
    case normal
    /// GFP_ATOMIC: no direct reclaim; may dip into reserves.
    case atomic
    /// The page cache's readahead mask (mapping_gfp_mask | __GFP_NORETRY | __GFP_NOWARN):
    /// reclaims and compacts once, never retries or OOM-kills; a failed folio falls back.
    case readahead
}

/// enum compact_result, the values the slow path tests.
public enum CompactResult: Sendable, Equatable {
    /// Compaction is not modelled / did not run and could not have (COMPACT_SKIPPED).
    case skipped
    /// Deferred after recent failures (COMPACT_DEFERRED).
    case deferred
    /// Ran and failed to produce a page (COMPACT_COMPLETE and the like).
    case failed
    case success
}

/// enum compact_priority.
public enum CompactPriority: Sendable { case initial, async, sync }

/// Where compaction plugs into reclaim and the allocator (issue #9 item 3, another helper).
extension Machine {
    /// __alloc_pages_direct_compact() (mm/page_alloc.c, 6.18): compact, then take the page.
    /// Compaction is not modelled yet: nothing runs, nothing is counted, and the result is
    /// COMPACT_SKIPPED, so a NORETRY costly request (readahead) falls back at once.
    func tryDirectCompaction<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, flags: AllocFlags, mt: Int, hz: Int, preferred: Int, priority: CompactPriority) -> ((Zone, Int)?, CompactResult) {
        (nil, .skipped)
    }

    /// wakeup_kcompactd() (mm/compaction.c, 6.18). kcompactd is not modelled yet.
    func wakeupKcompactd(nid: Int, order: Int, highestZoneIdx: Int) {}
}
