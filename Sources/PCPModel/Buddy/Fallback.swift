/// enum rmqueue_mode: where rmqueue_bulk's repeated __rmqueue calls resume.
enum RmqueueMode { case normal, claim, steal }

/// Migratetype fallback under zone->lock (6.18: __rmqueue_claim / __rmqueue_steal).
extension Zone {
    /// __rmqueue(): own type first, then claim a block of another type, then (without
    /// ALLOC_NOFRAGMENT) steal pages from one. No CMA on the modelled config.
    @inline(__always) func rmqueue<P: AllocatorPolicy>(order: Int, mt: Int, flags: AllocFlags, mode: inout RmqueueMode, cpu: Int, _ p: P) -> Int? {
        if mode == .normal, let i = rmqueueSmallest(order: order, mt: mt, cpu: cpu, p) { return i }
        if mode != .steal, let i = rmqueueClaim(order: order, startType: mt, flags: flags, cpu: cpu, p) {
            mode = .normal
            return i
        }
        if !flags.contains(.noFragment), let i = rmqueueSteal(order: order, startType: mt, cpu: cpu, p) {
            mode = .steal
            return i
        }
        return nil
    }

    /// should_try_claim_block().
    @inline(__always) static func shouldTryClaimBlock(order: Int, startType: Int) -> Bool {
        order >= K.pageblockOrder / 2 || startType != MigrateType.movable.rawValue
    }

    /// find_suitable_fallback(): nil = nothing at this order; -2 = too small to claim.
    func findSuitableFallback(order: Int, mt: Int, claimable: Bool) -> Int? {
        if claimable && !Zone.shouldTryClaimBlock(order: order, startType: mt) { return -2 }
        if nrFree[order] == 0 { return nil }
        let (a, b) = fallbackTypes(mt)
        if !lists.isEmpty(Zone.freeList(order, a)) { return a }
        if !lists.isEmpty(Zone.freeList(order, b)) { return b }
        return nil
    }

    /// __rmqueue_claim(): largest free block of a fallback type first, trying to take over its
    /// whole pageblock. ALLOC_NOFRAGMENT restricts this to whole pageblocks.
    func rmqueueClaim<P: AllocatorPolicy>(order: Int, startType: Int, flags: AllocFlags, cpu: Int, _ policy: P) -> Int? {
        let minOrder = order < K.pageblockOrder && flags.contains(.noFragment) ? K.pageblockOrder : order
        var o = K.maxOrder
        while o >= minOrder {
            defer { o -= 1 }
            guard let fb = findSuitableFallback(order: o, mt: startType, claimable: true) else { continue }
            if fb == -2 { break }
            let head = Int(lists.head[Zone.freeList(o, fb)])
            if let p = tryToClaimBlock(head, currentOrder: o, order: order, startType: startType, blockType: fb, flags: flags, cpu: cpu, policy) {
                extfragEvents += 1
                tracer?.emit(.extfrag(pfn: pfn(p), allocOrder: order, fallbackOrder: o, allocMT: startType, fallbackMT: fb,
                                      changeOwnership: blockType(p) == startType))
                return p
            }
        }
        return nil
    }

    /// __rmqueue_steal(): smallest fallback chunk, split on the fallback type's own lists; the
    /// block keeps its type.
    func rmqueueSteal<P: AllocatorPolicy>(order: Int, startType: Int, cpu: Int, _ p: P) -> Int? {
        for o in order...K.maxOrder {
            guard let fb = findSuitableFallback(order: o, mt: startType, claimable: false) else { continue }
            let head = Int(lists.head[Zone.freeList(o, fb)])
            delAndExpand(head, low: order, high: o, mt: fb, cpu: cpu, p)
            extfragEvents += 1
            tracer?.emit(.extfrag(pfn: pfn(head), allocOrder: order, fallbackOrder: o, allocMT: startType, fallbackMT: fb,
                                  changeOwnership: blockType(head) == startType))
            return head
        }
        return nil
    }

    /// try_to_claim_block(): whole blocks change hands at once; a partial block is taken over
    /// when at least half of it is free or holds compatible pages.
    func tryToClaimBlock<P: AllocatorPolicy>(_ i: Int, currentOrder: Int, order: Int, startType: Int, blockType bt: Int, flags: AllocFlags, cpu: Int, _ p: P) -> Int? {
        if bt == MigrateType.highAtomic.rawValue { return nil }
        if currentOrder >= K.pageblockOrder {
            delFromFreeList(i, order: currentOrder, mt: bt, cpu: cpu, p)
            accountFreepages(-(1 << currentOrder), mt: bt, cpu: cpu)
            for blk in stride(from: i, to: i + (1 << currentOrder), by: K.pageblockNrPages) { setBlockType(blk, startType) }
            let added = expand(i, low: order, high: currentOrder, mt: startType, cpu: cpu, p)
            accountFreepages(added, mt: startType, cpu: cpu)
            return i
        }
        if boostWatermark() && flags.contains(.kswapd) { boostedWatermark = true }
        guard let (free, movable) = prepMoveFreepagesBlock(i) else { return nil }
        let alike: Int
        if startType == MigrateType.movable.rawValue {
            alike = movable
        } else if bt == MigrateType.movable.rawValue {
            alike = K.pageblockNrPages - (free + movable)
        } else {
            alike = 0
        }
        guard free + alike >= K.pageblockNrPages / 2 else { return nil }
        moveFreepagesBlock(i, from: bt, to: startType, cpu: cpu, p)
        setBlockType(i, startType)
        return rmqueueSmallest(order: order, mt: startType, cpu: cpu, p)
    }

    /// prep_move_freepages_block(): free and movable (LRU) pages in the pageblock of `i`, or
    /// nil when the block straddles the zone boundary.
    func prepMoveFreepagesBlock(_ i: Int) -> (free: Int, movable: Int)? {
        let start = i & ~(K.pageblockNrPages - 1)
        let end = start + K.pageblockNrPages
        guard spans(start), spans(end - 1) else { return nil }
        var free = 0, movable = 0, p = start
        while p < end {
            switch pages.state(p) {
            case .buddy:
                free += 1 << pages.order(p)
                p += 1 << pages.order(p)
            case .allocated:
                let n = 1 << pages.order(p)
                if AllocKind(rawValue: pages.kind(p))?.isLRU == true { movable += n }
                p += n
            case .pcp:
                p += 1 << pages.order(p)
            case .tail, .reserved:
                p += 1
            }
        }
        return (free, movable)
    }

    /// __move_freepages_block(): every free chunk of the block to `new`'s lists (tail).
    @discardableResult
    func moveFreepagesBlock<P: AllocatorPolicy>(_ i: Int, from old: Int, to new: Int, cpu: Int?, _ policy: P) -> Int {
        let start = i & ~(K.pageblockNrPages - 1)
        var p = start, moved = 0
        while p < start + K.pageblockNrPages {
            if pages.state(p) == .buddy {
                let o = pages.order(p)
                moveToFreeList(p, order: o, from: old, to: new, cpu: cpu, policy)
                moved += 1 << o
                p += 1 << o
            } else {
                p += 1
            }
        }
        return moved
    }

    /// boost_watermark(): raise the boost by a pageblock, up to watermark_boost_factor of high.
    func boostWatermark() -> Bool {
        let factor = boostFactor
        if factor == 0 { return false }
        if K.pageblockNrPages * 4 > managed { return false }
        var maxBoost = multFrac(watermark[2], factor, 10000)
        if maxBoost == 0 { return false }
        maxBoost = max(K.pageblockNrPages, maxBoost)
        watermarkBoost = min(watermarkBoost + K.pageblockNrPages, maxBoost)
        return true
    }
}

extension AllocKind {
    /// Pages of this kind sit on an LRU list (PageLRU), so compaction could move them.
    var isLRU: Bool { self == .anon || self == .file || self == .thp }
}

/// mult_frac(): x * n / d without overflow, in the kernel's integer steps.
@inline(__always) public func multFrac(_ x: Int, _ n: Int, _ d: Int) -> Int {
    (x / d) * n + ((x % d) * n) / d
}
