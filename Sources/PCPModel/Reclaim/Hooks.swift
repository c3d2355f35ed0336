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

/// enum compact_priority.
public enum CompactPriority: Sendable { case initial, async, sync }

/// Where compaction plugs into reclaim and the allocator (issue #9 item 3, another helper).
extension Machine {
    /// __alloc_pages_direct_compact() (mm/page_alloc.c, 6.18): compact, then take the page.
    /// Only THP faults compact for now. Readahead's requests still see COMPACT_SKIPPED: enabled
    /// (with readahead's GFP_NOFS, commit 5b70ffa), none of its stalls succeeds where the
    /// capture's succeed 61% of the time, so direct reclaim and kswapd wakes rise far past it.
    func tryDirectCompaction<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, flags: AllocFlags, mt: Int, hz: Int, preferred: Int, priority: CompactPriority) -> ((Zone, Int)?, CompactResult) {
        guard thpGFP.directReclaim else { return (nil, .skipped) }
        let got = directCompact(p, cpu: cpu, order: order, flags: flags, mt: mt, hz: hz, preferred: preferred, async: priority != .sync)
        return (got, got != nil ? .success : lastCompactResult)
    }
}
