/// Kernel functions pcpsim models, from the one-line doc comments in `Sources/PCPModel`: the
/// first line of a `///` block right above a `func` that starts `/// name()` (or
/// `/// name() + other()`, `/// name() -> other()`) names what that Swift function mirrors.
///
/// Written out by hand from the sources. `PatchTests.testRegistryMatchesTheDocLines` reads the
/// sources again and fails, with the lines to paste, when a doc line and this table disagree:
/// whoever adds or renames a model function updates `all` in the same change.
public enum ModelledFunctions {
    /// Kernel function name → the PCPModel Swift functions that mirror it (sorted).
    public static let all: [String: [String]] = [
        "__add_to_free_list": ["addToFreeList"],
        "__alloc_pages": ["allocPages"],
        "__del_page_from_free_list": ["delFromFreeList"],
        "__fragmentation_index": ["fragmentationIndex"],
        "__free_frozen_pages": ["freePages"],
        "__free_one_page": ["freeOneBuddy"],
        "__free_pages": ["freePages"],
        "__move_freepages_block": ["moveFreepagesBlock"],
        "__rmqueue": ["rmqueue"],
        "__rmqueue_claim": ["rmqueueClaim"],
        "__rmqueue_pcplist": ["rmqueuePCPList"],
        "__rmqueue_smallest": ["rmqueueSmallest"],
        "__rmqueue_steal": ["rmqueueSteal"],
        "__zone_watermark_ok": ["zoneWatermarkOK"],
        "__zone_watermark_unusable_free": ["watermarkUnusableFree"],
        "account_freepages": ["accountFreepages"],
        "alloc_contig_range": ["allocContigRange"],
        "alloc_flags_nofragment": ["allocFlagsNofragment"],
        "boost_watermark": ["boostWatermark"],
        "calc_global_load": ["sampleLoad"],
        "calc_load": ["calcLoad"],
        "calculate_min_free_kbytes": ["calculateMinFreeKbytes"],
        "calculate_normal_threshold": ["refreshZoneStatThresholds"],
        "calculate_totalreserve_pages": ["calculateTotalreservePages"],
        "decay_pcp_high": ["decayPCPHigh"],
        "drain_all_pages": ["drainAllPages"],
        "drain_pages_zone": ["drainPagesZone"],
        "drain_zone_pages": ["drainZonePages"],
        "expand": ["expand"],
        "fill_contig_page_info": ["contigInfo"],
        "find_suitable_fallback": ["findSuitableFallback"],
        "fls": ["fls"],
        "free_frozen_page_commit": ["freeFrozenPageCommit"],
        "free_one_page": ["freeOneUnderLock"],
        "free_pcppages_bulk": ["freePCPPagesBulk", "freePCPPagesBulkBaseline", "freePCPPagesBulkMerged", "freePCPPagesBulkOwned"],
        "get_page_from_freelist": ["getPageFromFreelist", "getPageFromFreelistID"],
        "has_unmovable_pages": ["blockHasUnmovable"],
        "init_admin_reserve": ["initUserReserve"],
        "init_per_zone_wmark_min": ["initPerZoneWmarkMin"],
        "init_user_reserve": ["initUserReserve"],
        "int_sqrt": ["intSqrt"],
        "lowmem_reserve_ratio_sysctl_handler": ["setLowmemReserveRatio"],
        "min_free_kbytes_sysctl_handler": ["setMinFreeKbytes"],
        "move_to_free_list": ["moveToFreeList"],
        "mult_frac": ["multFrac"],
        "node_page_state": ["nodeState"],
        "nr_free_buffer_pages": ["nrFreeBufferPages"],
        "nr_pcp_alloc": ["nrPCPAlloc"],
        "nr_pcp_free": ["nrPCPFree"],
        "nr_pcp_high": ["nrPCPHigh"],
        "order_to_pindex": ["orderToPindex"],
        "page_del_and_expand": ["delAndExpand"],
        "page_is_buddy": ["isFreeBuddy"],
        "pcp_allowed_order": ["pcpAllowedOrder"],
        "pcp_spin_trylock": ["trylock", "trylockPCP"],
        "percpu_pagelist_high_fraction_sysctl_handler": ["setPercpuPagelistHighFraction"],
        "pindex_to_order": ["pindexToOrder"],
        "prep_move_freepages_block": ["prepMoveFreepagesBlock"],
        "prep_new_page": ["finishAlloc"],
        "reserve_highatomic_pageblock": ["reserveHighatomicPageblock"],
        "rmqueue": ["rmqueue"],
        "rmqueue_buddy": ["rmqueueBuddy"],
        "rmqueue_bulk": ["refillFourPhases", "rmqueueBulk"],
        "rmqueue_pcplist": ["rmqueuePCPBuddy", "rmqueuePCPList"],
        "rounddown_pow_of_two": ["roundDownPowerOfTwo"],
        "set_migratetype_isolate": ["setIsolate"],
        "set_pageblock_migratetype": ["setBlockType"],
        "set_recommended_min_free_kbytes": ["setRecommendedMinFreeKbytes"],
        "setup_per_zone_lowmem_reserve": ["setupPerZoneLowmemReserve"],
        "setup_per_zone_wmarks": ["setupPerZoneWmarks"],
        "should_try_claim_block": ["shouldTryClaimBlock"],
        "split_large_buddy": ["freeOneUnderLock"],
        "try_to_claim_block": ["tryToClaimBlock"],
        "unreserve_highatomic_pageblock": ["unreserveHighatomicPageblock"],
        "unusable_free_index": ["unusableIndex"],
        "watermark_scale_factor_sysctl_handler": ["setWatermarkScaleFactor"],
        "wmark_pages": ["wmarkPages"],
        "zone_batchsize": ["zoneBatchsize"],
        "zone_highsize": ["zoneHighsize"],
        "zone_numa_event_state": ["numaEvent"],
        "zone_page_state": ["pageState"],
        "zone_page_state_snapshot": ["pageStateExact"],
        "zone_set_pageset_high_and_batch": ["zoneSetPagesetHighAndBatch"],
        "zone_spans_pfn": ["spans"],
        "zone_statistics": ["zoneStatistics"],
        "zone_watermark_fast": ["zoneWatermarkFast"],
    ]

    /// Older kernel names of modelled functions → the name `all` knows them by, for patches
    /// against older trees. Only renames a model doc line states.
    public static let renamed: [String: String] = [
        // Free.swift: "free_frozen_page_commit() (6.18; free_unref_page_commit before 6.14)"
        "free_unref_page_commit": "free_frozen_page_commit",
    ]

    /// The Swift functions that mirror `kernelName` (directly or under its newer name), and the
    /// name they were found under.
    public static func lookup(_ kernelName: String) -> (modelledAs: String, swift: [String])? {
        if let s = all[kernelName] { return (kernelName, s) }
        if let newer = renamed[kernelName], let s = all[newer] { return (newer, s) }
        return nil
    }
}
