/// The values each knob's handler accepts, kept in one place: a write is checked against these,
/// and so is a restored state, whose knobs never went through a handler.
extension Knobs {
    /// INT_MAX, the bound of an int knob the kernel gives no maximum.
    static let intMax = Int(Int32.max)

    /// The int sysctls whose handler is a plain range check (proc_dointvec_minmax) before any
    /// recomputation, by the name the kernel gives them.
    static let bounded: [(name: String, key: WritableKeyPath<Knobs, Int> & Sendable, range: ClosedRange<Int>)] = [
        ("min_free_kbytes", \.minFreeKbytes, 0...intMax),
        ("watermark_scale_factor", \.watermarkScaleFactor, 1...3000),
        ("watermark_boost_factor", \.watermarkBoostFactor, 0...intMax),
        ("extfrag_threshold", \.extfragThreshold, 0...1000),
        ("swappiness", \.swappiness, 0...Reclaim.maxSwappiness),
        ("compaction_proactiveness", \.compactionProactiveness, 0...100),
        ("compact_unevictable_allowed", \.compactUnevictableAllowed, 0...1),
        ("defrag_mode", \.defragMode, 0...1),
        ("numa_stat", \.numaStat, 0...1),
        ("zone_reclaim_mode", \.zoneReclaimMode, 0...intMax),
    ]

    /// The khugepaged and THP sysfs integers: single_hugepage_flag_store() flags, the max_ptes
    /// stores (at most HPAGE_PMD_NR - 1), pages_to_scan (non-zero) and the sleeps (unsigned int).
    static let khugepagedBounded: [(name: String, key: WritableKeyPath<Khugepaged, Int> & Sendable, range: ClosedRange<Int>)] = [
        ("use_zero_page", \.useZeroPage, 0...1),
        ("khugepaged/defrag", \.defrag, 0...1),
        ("max_ptes_none", \.maxPtesNone, 0...(K.pageblockNrPages - 1)),
        ("max_ptes_swap", \.maxPtesSwap, 0...(K.pageblockNrPages - 1)),
        ("max_ptes_shared", \.maxPtesShared, 0...(K.pageblockNrPages - 1)),
        ("pages_to_scan", \.pagesToScan, 1...Int(UInt32.max)),
        ("scan_sleep_millisecs", \.scanSleepMillisecs, 0...Int(UInt32.max)),
        ("alloc_sleep_millisecs", \.allocSleepMillisecs, 0...Int(UInt32.max)),
    ]

    /// stat_interval in jiffies: proc_dointvec_jiffies refuses seconds beyond INT_MAX / HZ.
    static let statIntervalRange = -(intMax / K.hz * K.hz)...(intMax / K.hz * K.hz)

    static func range(of key: WritableKeyPath<Knobs, Int>) -> ClosedRange<Int> {
        bounded.first { $0.key == key }!.range
    }

    static func range(of key: WritableKeyPath<Khugepaged, Int>) -> ClosedRange<Int> {
        khugepagedBounded.first { $0.key == key }!.range
    }

    /// percpu_pagelist_high_fraction: 0, or from MIN_PERCPU_PAGELIST_HIGH_FRACTION up.
    static func isValidHighFraction(_ v: Int) -> Bool {
        v == 0 || (K.minPercpuPagelistHighFraction...intMax).contains(v)
    }

    /// The first value no handler would have stored, named, or nil.
    func problem() -> String? {
        for b in Knobs.bounded where !b.range.contains(self[keyPath: b.key]) {
            return "\(b.name) is \(self[keyPath: b.key]), outside \(b.range)"
        }
        for b in Knobs.khugepagedBounded where !b.range.contains(khugepaged[keyPath: b.key]) {
            return "\(b.name) is \(khugepaged[keyPath: b.key]), outside \(b.range)"
        }
        if !Knobs.isValidHighFraction(percpuPagelistHighFraction) {
            return "percpu_pagelist_high_fraction is \(percpuPagelistHighFraction), neither 0 nor \(K.minPercpuPagelistHighFraction) or more"
        }
        if !Knobs.statIntervalRange.contains(statIntervalJiffies) { return "stat_interval is \(statIntervalJiffies) jiffies, beyond INT_MAX / HZ seconds either way" }
        // The handler stores entries below 1 as 0.
        if let r = lowmemReserveRatio.first(where: { !(0...Knobs.intMax).contains($0) }) { return "a lowmem_reserve_ratio entry is \(r)" }
        return nil
    }
}
