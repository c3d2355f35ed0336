/// The sysctl handlers: each validates like the kernel (throwing KnobError.invalid for EINVAL,
/// leaving everything unchanged) and then runs the kernel's recomputation.
extension Machine {
    /// min_free_kbytes_sysctl_handler(): any int >= 0; the value becomes the user's floor.
    public func setMinFreeKbytes(_ v: Int) throws(KnobError) {
        try setBounded(v, \.minFreeKbytes)
        userMinFreeKbytes = v
        setupPerZoneWmarks()
    }

    /// watermark_scale_factor_sysctl_handler(): 1...3000.
    public func setWatermarkScaleFactor(_ v: Int) throws(KnobError) {
        try setBounded(v, \.watermarkScaleFactor)
        setupPerZoneWmarks()
    }

    /// watermark_boost_factor: any int >= 0, read at the next boost.
    public func setWatermarkBoostFactor(_ v: Int) throws(KnobError) {
        try setBounded(v, \.watermarkBoostFactor)
        for z in zones { z.boostFactor = v }
    }

    /// lowmem_reserve_ratio_sysctl_handler() as 6.12/6.18 have it: the parse result is
    /// ignored, entries below 1 become 0, a shorter list updates only the first entries, and
    /// the reserves are recomputed.
    public func setLowmemReserveRatio(_ values: [Int]) {
        for (i, v) in values.prefix(K.nrZoneTypes).enumerated() {
            knobs.lowmemReserveRatio[i] = v < 1 ? 0 : v
        }
        setupPerZoneLowmemReserve()
    }

    /// percpu_pagelist_high_fraction_sysctl_handler(): 0, or at least 8. A change resizes
    /// every populated zone's PCPs; non-zero turns high auto-tuning off.
    public func setPercpuPagelistHighFraction(_ v: Int) throws(KnobError) {
        guard Knobs.isValidHighFraction(v) else { throw .invalid }
        if v == knobs.percpuPagelistHighFraction { return }
        knobs.percpuPagelistHighFraction = v
        for z in zones where z.isPopulated { zoneSetPagesetHighAndBatch(z, cpuOnline: 0) }
    }

    /// extfrag_threshold: 0...1000 (read by compaction_suitable).
    public func setExtfragThreshold(_ v: Int) throws(KnobError) { try setBounded(v, \.extfragThreshold) }

    /// swappiness: 0...MAX_SWAPPINESS (200).
    public func setSwappiness(_ v: Int) throws(KnobError) { try setBounded(v, \.swappiness) }

    /// compaction_proactiveness: 0...100.
    public func setCompactionProactiveness(_ v: Int) throws(KnobError) { try setBounded(v, \.compactionProactiveness) }

    /// compact_unevictable_allowed: 0...1.
    public func setCompactUnevictableAllowed(_ v: Int) throws(KnobError) { try setBounded(v, \.compactUnevictableAllowed) }

    /// defrag_mode: 0...1; 1 makes ALLOC_NOFRAGMENT permanent.
    public func setDefragMode(_ v: Int) throws(KnobError) { try setBounded(v, \.defragMode) }

    /// numa_stat: 0...1.
    public func setNumaStat(_ v: Int) throws(KnobError) { try setBounded(v, \.numaStat) }

    /// proc_dointvec_minmax, with the bounds of `Knobs.bounded`.
    private func setBounded(_ v: Int, _ key: WritableKeyPath<Knobs, Int>) throws(KnobError) {
        guard Knobs.range(of: key).contains(v) else { throw .invalid }
        knobs[keyPath: key] = v
    }

    /// zone_reclaim_mode: any int >= 0.
    public func setZoneReclaimMode(_ v: Int) throws(KnobError) { try setBounded(v, \.zoneReclaimMode) }

    /// stat_interval (proc_dointvec_jiffies): jiffies, as the format converted the seconds
    /// written (at most INT_MAX / HZ either way). Zero or negative stops the vmstat timer.
    public func setStatInterval(jiffies v: Int) throws(KnobError) {
        guard Knobs.statIntervalRange.contains(v) else { throw .invalid }
        knobs.statIntervalJiffies = v
        nextVmstatUpdate = v > 0 ? now + statInterval : .max
    }

    /// A vm sysctl the model does not act on: stored when the kernel's range check passes;
    /// `clears` is the knob its handler zeroes on success (dirty_bytes for dirty_ratio, ...).
    public func setAccepted(_ name: String, _ bits: UInt64, valid: Bool, clears: String?) throws(KnobError) {
        guard valid else { throw .invalid }
        knobs.accepted[name] = bits
        if let clears { knobs.accepted[clears] = 0 }
    }

    /// user_reserve_kbytes (proc_doulongvec_minmax, no bounds).
    public func setUserReserveKbytes(_ v: UInt64) { knobs.userReserveKbytes = v }

    /// admin_reserve_kbytes (proc_doulongvec_minmax, no bounds).
    public func setAdminReserveKbytes(_ v: UInt64) { knobs.adminReserveKbytes = v }

    /// init_user_reserve() + init_admin_reserve() (mm/util.c, 6.18): 1/32 of the free memory at
    /// boot, at most 128 MiB and 8 MiB.
    func initUserReserve() {
        let freeKbytes = UInt64(zones.reduce(0) { $0 + $1.pageState(.nrFreePages) }) << UInt64(K.pageShift - 10)
        knobs.userReserveKbytes = min(freeKbytes / 32, 1 << 17)
        knobs.adminReserveKbytes = min(freeKbytes / 32, 1 << 13)
    }

    /// sysctl_compaction_handler(): only 1; compacts every zone of every node.
    public func compactMemory(_ v: Int) throws(KnobError) {
        guard v == 1 else { throw .invalid }
        compactAllNodes()
    }

    /// drop_caches: 6.18 as observed accepts any value >= 1 (5 and 10 were accepted). Bit 1
    /// counts drop_pagecache and frees the page cache's clean unmapped folios (on CPU 0, where
    /// the writer runs), bit 2 drop_slab (slab is not shrunk).
    public func dropCaches(_ v: Int) throws(KnobError) {
        guard v >= 1, v <= Int(Int32.max) else { throw .invalid }
        if v & 1 != 0 {
            dropPagecache(cpu: 0)
            countEvent(.dropPagecache)
        }
        if v & 2 != 0 { countEvent(.dropSlab) }
    }

    /// transparent_hugepage/enabled: every successful store runs start_stop_khugepaged(),
    /// which recomputes min_free_kbytes (set_recommended_min_free_kbytes) and the watermarks.
    public func setTHP(_ mode: THPMode) {
        knobs.thp = mode
        if mode.enabled {
            setRecommendedMinFreeKbytes()
        } else {
            calculateMinFreeKbytes()
            setupPerZoneWmarks()
        }
    }

    /// pcpsim's remote_free_lock, the RFC's open question: how a free routed to another CPU
    /// takes the owner's pcp->lock (pcp-buddy, block-economy).
    public func setRemoteFreeLock(_ v: PCPBuddyOptions.RemoteFreeLock) {
        var o = pcpBuddyOptions
        o.remoteFreeLock = v
        setPCPBuddyOptions(o)
    }

    /// pcpsim's phase2_chunk: pcp-buddy's phase 2 takes the largest chunk first, or the
    /// smallest one larger than the request.
    public func setPhase2LargestFirst(_ v: Bool) {
        var o = pcpBuddyOptions
        o.phase2LargestFirst = v
        setPCPBuddyOptions(o)
    }

    /// pcpsim's contig_pcp: what alloc_contig_range does with PCP-held pages of its range.
    public func setContigPCP(_ v: PCPBuddyOptions.ContigPCP) {
        var o = pcpBuddyOptions
        o.contigPCP = v
        setPCPBuddyOptions(o)
    }
}
