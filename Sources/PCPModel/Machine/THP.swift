/// /sys/kernel/mm/transparent_hugepage/defrag (mm/huge_memory.c defrag_store(), Linux 6.18).
public enum THPDefrag: String, CaseIterable, Sendable {
    case always, `defer`, deferMadvise = "defer+madvise", madvise, never
}

/// /sys/kernel/mm/transparent_hugepage/khugepaged/* and use_zero_page, with the kernel's
/// defaults. khugepaged itself does not run in the model: its counters stay 0.
public struct Khugepaged: Equatable, Sendable {
    public var defrag = 1
    /// HPAGE_PMD_NR - 1.
    public var maxPtesNone = K.pageblockNrPages - 1
    /// HPAGE_PMD_NR / 8.
    public var maxPtesSwap = K.pageblockNrPages / 8
    /// HPAGE_PMD_NR / 2.
    public var maxPtesShared = K.pageblockNrPages / 2
    /// HPAGE_PMD_NR * 8.
    public var pagesToScan = K.pageblockNrPages * 8
    public var scanSleepMillisecs = 10_000
    public var allocSleepMillisecs = 60_000
    public var useZeroPage = 1
    public init() {}
}

/// The GFP bits of a THP fault that decide what the allocation may do when the free lists
/// cannot serve order 9.
public struct THPGFP: Equatable, Sendable {
    /// __GFP_DIRECT_RECLAIM: direct compaction (and reclaim) in the slow path.
    public var directReclaim: Bool
    /// __GFP_KSWAPD_RECLAIM: wake kswapd (and through it kcompactd).
    public var kswapdReclaim: Bool
    /// __GFP_NORETRY: no reclaim/compaction retry loop after the first async compaction.
    public var noRetry: Bool

    /// GFP_TRANSHUGE_LIGHT: neither reclaim nor compaction nor a kswapd wake.
    public static let light = THPGFP(directReclaim: false, kswapdReclaim: false, noRetry: false)

    public init(directReclaim: Bool, kswapdReclaim: Bool, noRetry: Bool) {
        self.directReclaim = directReclaim
        self.kswapdReclaim = kswapdReclaim
        self.noRetry = noRetry
    }
}

extension Knobs {
    /// mm/huge_memory.c vma_thp_gfp_mask(), Linux 6.18: the fault's GFP bits under `defrag` for
    /// a VMA with or without MADV_HUGEPAGE. nil when `enabled` gives the VMA no THP at all.
    public func thpGFP(madvised: Bool) -> THPGFP? {
        switch thp {
        case .never: return nil
        case .madvise where !madvised: return nil
        default: break
        }
        switch thpDefrag {
        case .always: return THPGFP(directReclaim: true, kswapdReclaim: false, noRetry: !madvised)
        case .deferMadvise: return madvised ? THPGFP(directReclaim: true, kswapdReclaim: false, noRetry: false)
                                            : THPGFP(directReclaim: false, kswapdReclaim: true, noRetry: false)
        case .defer: return THPGFP(directReclaim: false, kswapdReclaim: true, noRetry: false)
        case .madvise: return THPGFP(directReclaim: madvised, kswapdReclaim: false, noRetry: false)
        case .never: return THPGFP(directReclaim: false, kswapdReclaim: false, noRetry: false)
        }
    }
}

extension Machine {
    /// defrag_store(): one of the five words (the parse refuses any other with EINVAL).
    public func setTHPDefrag(_ v: THPDefrag) { knobs.thpDefrag = v }

    /// single_hugepage_flag_store() for use_zero_page and khugepaged/defrag: 0 or 1.
    public func setTHPFlag(_ v: Int, _ key: WritableKeyPath<Khugepaged, Int>) throws(KnobError) {
        try setKhugepaged(v, key)
    }

    /// khugepaged's max_ptes_{none,swap,shared}_store(): at most HPAGE_PMD_NR - 1.
    public func setKhugepagedMaxPtes(_ v: Int, _ key: WritableKeyPath<Khugepaged, Int>) throws(KnobError) {
        try setKhugepaged(v, key)
    }

    /// pages_to_scan_store(): a non-zero unsigned int.
    public func setKhugepagedPagesToScan(_ v: Int) throws(KnobError) { try setKhugepaged(v, \.pagesToScan) }

    /// scan_sleep_millisecs / alloc_sleep_millisecs: any unsigned int.
    public func setKhugepagedSleep(_ v: Int, _ key: WritableKeyPath<Khugepaged, Int>) throws(KnobError) {
        try setKhugepaged(v, key)
    }

    /// The bounds of `Knobs.khugepagedBounded`.
    private func setKhugepaged(_ v: Int, _ key: WritableKeyPath<Khugepaged, Int>) throws(KnobError) {
        guard Knobs.range(of: key).contains(v) else { throw .invalid }
        knobs.khugepaged[keyPath: key] = v
    }
}
