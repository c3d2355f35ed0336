/// Boot-time and knob-time recomputations (mm/page_alloc.c, mm/vmstat.c, mm/khugepaged.c, 6.18).
extension Machine {
    /// calculate_normal_threshold() for every zone, and the node thresholds as their maximum.
    func refreshZoneStatThresholds() {
        let cpuBits = fls(nrCPUs)
        for nid in 0..<nrNodes { nodeThreshold[nid] = 0 }
        for z in zones where z.isPopulated {
            let mem = z.managed >> (27 - K.pageShift)
            z.statThreshold = min(K.maxStatThreshold, 2 * cpuBits * (1 + fls(mem)))
            nodeThreshold[z.nid] = max(nodeThreshold[z.nid], z.statThreshold)
        }
    }

    /// nr_free_buffer_pages(): managed pages above the high mark in zones up to Normal.
    func nrFreeBufferPages() -> Int {
        zonelists[0].reduce(0) { sum, id in
            let z = zones[id]
            return z.type.rawValue <= ZoneType.normal.rawValue ? sum + max(z.managed - z.highWmark, 0) : sum
        }
    }

    /// calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), unless the user set more.
    func calculateMinFreeKbytes() {
        let lowmemKbytes = nrFreeBufferPages() * (K.pageSize / 1024)
        let new = intSqrt(lowmemKbytes * 16)
        if new > userMinFreeKbytes { knobs.minFreeKbytes = min(max(new, 128), 262144) }
    }

    /// init_per_zone_wmark_min().
    func initPerZoneWmarkMin() {
        calculateMinFreeKbytes()
        setupPerZoneWmarks()
        refreshZoneStatThresholds()
        setupPerZoneLowmemReserve()
    }

    /// set_recommended_min_free_kbytes(): room for two free pageblocks per zone plus fallback
    /// headroom between the PCP types, capped at 5% of lowmem; never lowers the value.
    func setRecommendedMinFreeKbytes() {
        let nz = zones.filter { $0.isPopulated && $0.type.rawValue <= ZoneType.normal.rawValue }.count
        var rec = K.pageblockNrPages * nz * 2
        rec += K.pageblockNrPages * nz * MigrateType.pcpTypes * MigrateType.pcpTypes
        rec = min(rec, nrFreeBufferPages() / 20)
        rec <<= K.pageShift - 10
        if rec > knobs.minFreeKbytes { knobs.minFreeKbytes = rec }
        setupPerZoneWmarks()
    }

    /// setup_per_zone_wmarks(): __setup_per_zone_wmarks() then zone_pcp_update() everywhere,
    /// because high_min follows the low watermark.
    func setupPerZoneWmarks() {
        let pagesMin = knobs.minFreeKbytes >> (K.pageShift - 10)
        let lowmem = zones.reduce(0) { $0 + ($1.type == .movable ? 0 : $1.managed) }
        for z in zones {
            let tmp = lowmem == 0 ? 0 : pagesMin * z.managed / lowmem
            if z.type == .movable {
                // Movable (and HighMem) zones need only a small min: their pages can't serve
                // GFP_KERNEL requests anyway.
                z.watermark[0] = min(max(z.managed / 1024, K.swapClusterMax), 128)
            } else {
                z.watermark[0] = tmp
            }
            let d = max(tmp >> 2, multFrac(z.managed, knobs.watermarkScaleFactor, 10000))
            z.watermarkBoost = 0
            z.watermark[1] = z.watermark[0] + d
            z.watermark[2] = z.watermark[1] + d
            z.watermark[3] = z.watermark[2] + d
            tracer?.emit(.setupWmarks(nid: z.nid, zone: z.type, min: z.watermark[0], low: z.watermark[1],
                                      high: z.watermark[2], promo: z.watermark[3]))
        }
        calculateTotalreservePages()
        for z in zones where z.isPopulated { zoneSetPagesetHighAndBatch(z, cpuOnline: 0) }
    }

    /// setup_per_zone_lowmem_reserve(): each zone keeps back (managed of the zones above it)
    /// / ratio from requests that could have used those higher zones.
    func setupPerZoneLowmemReserve() {
        for nid in 0..<nrNodes {
            for i in 0..<(K.nrZoneTypes - 1) {
                let z = zone(nid: nid, type: ZoneType(rawValue: i)!)
                let ratio = knobs.lowmemReserveRatio[i]
                let clear = ratio == 0 || z.managed == 0
                var managed = 0
                for j in (i + 1)..<K.nrZoneTypes {
                    managed += zones[nid * K.nrZoneTypes + j].managed
                    z.lowmemReserve[j] = clear ? 0 : managed / ratio
                }
            }
        }
        calculateTotalreservePages()
    }

    /// calculate_totalreserve_pages(): per zone, its largest reserve plus its high mark.
    func calculateTotalreservePages() {
        var total = 0
        for z in zones {
            var m = 0
            for j in z.type.rawValue..<K.nrZoneTypes { m = max(m, z.lowmemReserve[j]) }
            m += z.highWmark
            total += min(m, z.managed)
        }
        totalreservePages = total
    }

    /// zone_batchsize() (6.18 as observed: the 7.3 formula, which gives DMA a batch of 1).
    static func zoneBatchsize(managed: Int) -> Int {
        let b = min(managed >> 12, (256 * 1024) / K.pageSize)
        if b <= 1 { return 1 }
        return roundDownPowerOfTwo(b + b / 2) - 1
    }

    /// zone_highsize(): the low watermark (or managed / fraction) split over the node's CPUs,
    /// at least 4 batches.
    func zoneHighsize(_ z: Zone, batch: Int, cpuOnline: Int, fraction: Int) -> Int {
        let total = fraction == 0 ? z.lowWmark : z.managed / fraction
        var split = spec.nodes[z.nid].cpus.count + cpuOnline
        if split == 0 { split = nrCPUs }
        return max(total / split, batch << 2)
    }

    /// zone_set_pageset_high_and_batch(): push (high_min, high_max, batch) to every CPU's PCP
    /// when it changed; pcp->high itself re-clamps lazily.
    func zoneSetPagesetHighAndBatch(_ z: Zone, cpuOnline: Int) {
        let batch = max(1, Machine.zoneBatchsize(managed: z.managed))
        let fraction = knobs.percpuPagelistHighFraction
        let highMin: Int, highMax: Int
        if fraction != 0 {
            highMin = zoneHighsize(z, batch: batch, cpuOnline: cpuOnline, fraction: fraction)
            highMax = highMin
        } else {
            highMin = zoneHighsize(z, batch: batch, cpuOnline: cpuOnline, fraction: 0)
            highMax = zoneHighsize(z, batch: batch, cpuOnline: cpuOnline, fraction: K.minPercpuPagelistHighFraction)
        }
        if z.pagesetHighMin == highMin && z.pagesetHighMax == highMax && z.pagesetBatch == batch { return }
        z.pagesetHighMin = highMin
        z.pagesetHighMax = highMax
        z.pagesetBatch = batch
        for c in 0..<nrCPUs {
            z.pcp[c].batch = batch
            z.pcp[c].highMin = highMin
            z.pcp[c].highMax = highMax
        }
    }

    /// PCPF_FREE_HIGH_BATCH: set when the CPU's cache slice holds more than 3 batches.
    func setPCPFreeHighBatch(_ z: Zone) {
        let slicePages = spec.cpuDataSliceKB * 1024 >> K.pageShift
        for c in 0..<nrCPUs {
            if slicePages > 3 * z.pcp[c].batch {
                z.pcp[c].flags |= PerCPUPages.freeHighBatch
            } else {
                z.pcp[c].flags &= ~PerCPUPages.freeHighBatch
            }
        }
    }
}

/// fls(): 1-based index of the highest set bit, 0 for 0.
@inline(__always) func fls(_ x: Int) -> Int { x == 0 ? 0 : Int.bitWidth - x.leadingZeroBitCount }

/// rounddown_pow_of_two().
@inline(__always) func roundDownPowerOfTwo(_ x: Int) -> Int { 1 << (fls(x) - 1) }

/// int_sqrt(): floor of the square root, in integers.
func intSqrt(_ x: Int) -> Int {
    if x < 2 { return x }
    var r = Int(Double(x).squareRoot())
    while r * r > x { r -= 1 }
    while (r + 1) * (r + 1) <= x { r += 1 }
    return r
}
