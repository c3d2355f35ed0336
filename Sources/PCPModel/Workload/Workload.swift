/// A source of allocator operations. The engine picks which CPU runs next (the one furthest
/// behind in virtual time); the workload does one allocation or free on it, or lets it idle.
public protocol Workload {
    var name: String { get }
    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation
    /// The CPU the next step will act on when it is not the one asked (a trace replay).
    func actingCPU(asked: Int) -> Int?
    /// Every step acts on the CPU the engine asked and none is a `wait`, so the engine can
    /// price its lock sections as they happen. False for a trace replay, whose steps act on
    /// the traced CPU and wait out the trace's gaps.
    var actsOnAskedCPU: Bool { get }
    /// No operation is left (the end of a replayed trace); the engine stops there rather than
    /// idle on, so the run's time and throughput end with the workload.
    var finished: Bool { get }
    /// oom_kill_process(): end one of the workload's processes and free its memory. Returns
    /// false when the workload has no process it can kill.
    mutating func oomKill(_ m: Machine, cpu: Int) throws(FreeError) -> Bool
    /// Saves or restores where the workload is and what it holds, one `sync` line a field
    /// (`Checkpoint`); its parameters are rebuilt from the scenario.
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError)
}

extension Workload {
    public func actingCPU(asked: Int) -> Int? { nil }
    public var actsOnAskedCPU: Bool { true }
    public var finished: Bool { false }
    public mutating func oomKill(_ m: Machine, cpu: Int) throws(FreeError) -> Bool { false }
}

/// What one step did, for error messages and counts.
public struct Operation: Sendable, CustomStringConvertible {
    /// `wait`: every CPU is idle until `waitUntilNs` (a trace's gaps). The next four take this
    /// CPU one operation's time plus `waitUntilNs` nanoseconds, and differ in how /proc/stat
    /// counts it: `busy` is kernel work (kswapd's scan, a read(2)'s copy and page-cache work),
    /// system time; `user` is the workload's own work with no allocator call (a page already
    /// mapped, a dirty page reused), user time; `io` is its task waiting for a swap-in
    /// (io_schedule(), uninterruptible), iowait, which the load average counts; `sleep` is a
    /// task asleep or no task at all, idle time.
    public enum Kind: Sendable { case alloc, allocFailed, free, idle, wait, busy, user, io, sleep }
    public var kind: Kind
    /// The order in a byte beside the kind, so that an operation fits in four registers: every
    /// step returns one.
    private var orderByte: UInt8
    /// The CPU that did it (a trace replay may act on another CPU than the engine asked).
    public var cpu: Int
    /// The block allocated or freed (-1: none).
    public var pfn: Int
    /// `wait` only: nanoseconds after the engine's start.
    public var waitUntilNs: Int64

    public var order: Int {
        get { Int(orderByte) }
        set { orderByte = UInt8(newValue) }
    }

    public init(kind: Kind, cpu: Int, order: Int, pfn: Int, waitUntilNs: Int64 = 0) {
        self.kind = kind
        orderByte = UInt8(order)
        self.cpu = cpu
        self.pfn = pfn
        self.waitUntilNs = waitUntilNs
    }

    public static func idle(_ cpu: Int) -> Operation { Operation(kind: .idle, cpu: cpu, order: 0, pfn: -1) }
    public static func user(_ cpu: Int, ns: Int64 = 0) -> Operation {
        Operation(kind: .user, cpu: cpu, order: 0, pfn: -1, waitUntilNs: ns)
    }
    public static func io(_ cpu: Int, ns: Int64) -> Operation {
        Operation(kind: .io, cpu: cpu, order: 0, pfn: -1, waitUntilNs: ns)
    }
    public static func sleep(_ cpu: Int, ns: Int64) -> Operation {
        Operation(kind: .sleep, cpu: cpu, order: 0, pfn: -1, waitUntilNs: ns)
    }
    public static func busy(_ cpu: Int, ns: Int64) -> Operation {
        Operation(kind: .busy, cpu: cpu, order: 0, pfn: -1, waitUntilNs: ns)
    }
    public static func wait(_ cpu: Int, untilNs t: Int64) -> Operation {
        Operation(kind: .wait, cpu: cpu, order: 0, pfn: -1, waitUntilNs: t)
    }

    public var description: String {
        switch kind {
        case .alloc: "alloc order \(order) on CPU \(cpu) (pfn \(pfn))"
        case .allocFailed: "failed alloc order \(order) on CPU \(cpu)"
        case .free: "free order \(order) of pfn \(pfn) on CPU \(cpu)"
        case .idle: "idle on CPU \(cpu)"
        case .wait: "wait until \(waitUntilNs) ns"
        case .busy: "busy for \(waitUntilNs) ns on CPU \(cpu)"
        case .user: "user work for \(waitUntilNs) ns on CPU \(cpu)"
        case .io: "waiting \(waitUntilNs) ns for a disk read on CPU \(cpu)"
        case .sleep: "asleep for \(waitUntilNs) ns on CPU \(cpu)"
        }
    }
}

extension Machine {
    /// Allocates and records the operation. A `pinned` LRU folio stays where it is (a
    /// long-term pin: migration fails on it).
    func allocOp(cpu: Int, order: Int, kind: AllocKind, atomic: Bool = false, pinned: Bool = false, into held: inout HeldBlocks) -> Operation {
        guard let r = allocPages(cpu: cpu, order: order, kind: kind, atomic: atomic) else {
            return Operation(kind: .allocFailed, cpu: cpu, order: order, pfn: -1)
        }
        held.appendNew(r, order: order, kind: kind, self, pinned: pinned)
        return Operation(kind: .alloc, cpu: cpu, order: order, pfn: pfn(of: r))
    }

    /// Frees and records the operation.
    func freeOp(cpu: Int, _ r: PageRef, order: Int) throws(FreeError) -> Operation {
        try freePages(cpu: cpu, r, order: order)
        return Operation(kind: .free, cpu: cpu, order: order, pfn: pfn(of: r))
    }
}

/// `random`: a seeded mix of allocations and frees over orders 0-10, every kind (so every
/// migratetype) and every CPU, holding between 20% and 70% of memory. A block may be freed by
/// any CPU, not only the one that allocated it.
public struct RandomMix: Workload {
    public let name = "random"
    var held = HeldBlocks()
    let low: Int, high: Int
    let maxOrder: Int
    /// The next three steps guessed (`prefetchAhead`), and where the next step should end for
    /// them to stand: derived, never saved. Until the first guess, and after a restore, they
    /// are the empty guesses, which start where no step does and prefetch nothing.
    var ahead = Guesses()
    var expected = Guess.none.start

    /// `fill`: the share of memory held at most, in percent; `max_order`: the largest order.
    public init(machine m: Machine, fillPercent: Int = 70, maxOrder: Int = K.maxOrder) {
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        low = managed * fillPercent / 350
        high = managed * fillPercent / 100
        self.maxOrder = maxOrder
    }

    /// Orders weighted towards the small ones, as real traffic is.
    static func order(_ rng: inout SplitMix64) -> Int {
        let r = rng.below(100)
        if r < 60 { return 0 }
        if r < 80 { return 1 + rng.below(3) }
        if r < 92 { return 4 + rng.below(5) }
        return 9 + rng.below(2)
    }

    /// Whether a step with `count` blocks and `pages` pages held allocates (its first draw,
    /// when it makes one), for `guess`, which makes every step's draws.
    @inline(__always) func allocates(count: Int, pages: Int, _ rng: inout SplitMix64) -> Bool {
        count == 0 || pages < low || (pages < high && rng.below(2) == 0)
    }

    /// An allocating step's draws, in order: the order, the kind and whether it is atomic.
    @inline(__always) func allocation(_ rng: inout SplitMix64) -> (order: Int, kind: AllocKind, atomic: Bool) {
        let order = min(RandomMix.order(&rng), maxOrder)
        let kind = AllocKind(rawValue: rng.below(AllocKind.count))!
        return (order, kind, rng.below(50) == 0)
    }

    /// A step's draws are the guess made for it when that guess started where the step starts
    /// (it nearly always did): the guess drew them alike, so they are not drawn twice.
    public mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        let now = Guess.Start(rng: rng, count: held.count, pages: held.pages)
        var g = ahead[0]
        if g.start != now { g = guess(from: now) }
        rng = g.after
        if g.slot < 0 {
            let order = Int(g.order), kind = g.kind
            let k = order == K.hpagePMDOrder && kind == .anon ? AllocKind.thp : (kind == .thp ? .anon : kind)
            let op = m.allocOp(cpu: cpu, order: order, kind: k, atomic: g.atomic, into: &held)
            prefetchAhead(m, rng)
            return op
        }
        let (r, order) = held.swapRemove(g.slot)
        let op = try m.freeOp(cpu: cpu, r, order: order)
        prefetchAhead(m, rng)
        return op
    }

    /// The frees of the next three steps, predicted off a copy of the generator (the draws
    /// each step makes, with held pages as they would then be), asked for in stages: the third
    /// step's held slot, the second's folio lines, the next one's LRU neighbours and buddy.
    /// A free's misses are a chain (slot, then folio, then neighbours); staged a step apart
    /// they arrive while other steps run. A kswapd turn or a failed allocation in between
    /// only makes a guess useless; the generator itself is untouched.
    ///
    /// The guesses slide: when the step just run ended where the last call expected (the
    /// generator, the blocks and pages held), the last call's second and third guesses are this
    /// call's first and second, and one step is replayed, not three (a replay of three was a
    /// seventh of an operation's instructions). A guess that no longer holds costs a useless
    /// prefetch, never a wrong result: a step takes a guess's draws only when it starts where
    /// the guess did.
    @inline(__always) mutating func prefetchAhead(_ m: Machine, _ rng: SplitMix64) {
        let now = Guess.Start(rng: rng, count: held.count, pages: held.pages)
        if expected == now {
            ahead.slide()
        } else {
            ahead[0] = guess(from: now)
            ahead[1] = guess(from: start(after: ahead[0], freeing: heldEntry(ahead[0].slot)))
        }
        let first = heldEntry(ahead[0].slot), second = heldEntry(ahead[1].slot)
        let third = guess(from: start(after: ahead[1], freeing: second))
        ahead[2] = third
        expected = start(after: ahead[0], freeing: first)
        if let first { m.prefetchUnlink(first) }
        if let second { m.prefetchFree(second.ref, lruFolio: second.lruFolio) }
        if third.slot >= 0 { held.prefetch(third.slot) }
    }

    /// A step's draws from `s`: the held slot it frees, or what it allocates.
    @inline(__always) func guess(from s: Guess.Start) -> Guess {
        var peek = s.rng
        if allocates(count: s.count, pages: s.pages, &peek) {
            let (order, kind, atomic) = allocation(&peek)
            return Guess(start: s, after: peek, slot: -1, count: s.count + 1, pages: s.pages + 1 << order,
                         order: UInt8(order), kind: kind, atomic: atomic)
        }
        let slot = peek.below(s.count) // drawn before `after` copies the generator
        return Guess(start: s, after: peek, slot: slot, count: s.count - 1, pages: s.pages, order: 0, kind: .kernel, atomic: false)
    }

    /// Where the step after `g` starts; a free takes the pages of `freed`, its slot's entry as
    /// held now (none when the slot lies past the held blocks: a block allocated in between).
    @inline(__always) func start(after g: Guess, freeing freed: HeldEntry?) -> Guess.Start {
        Guess.Start(rng: g.after, count: g.count, pages: g.pages - (freed.map { 1 << Int($0.order) } ?? 0))
    }

    /// Held entry `slot` when there is one.
    @inline(__always) func heldEntry(_ slot: Int) -> HeldEntry? {
        slot >= 0 && slot < held.count ? held.entry(slot) : nil
    }
}

extension RandomMix {
    /// One step of `random` guessed ahead: where it starts, the generator after its draws,
    /// the held slot it frees (-1: it allocates the block of `order`, `kind` and `atomic`),
    /// and the blocks and pages held after it (before a free's pages, which are read when
    /// needed). A function of `start` alone, so a step that starts there makes its draws.
    struct Guess {
        struct Start: Equatable {
            var rng: SplitMix64
            var count: Int, pages: Int
        }
        var start: Start
        var after: SplitMix64
        var slot: Int
        var count: Int, pages: Int
        var order: UInt8
        var kind: AllocKind
        var atomic: Bool
        /// Stands for nothing: its start, with a count of -1, is no step's.
        static let none = Guess(start: Start(rng: SplitMix64(seed: 0), count: -1, pages: 0), after: SplitMix64(seed: 0),
                                slot: -1, count: 0, pages: 0, order: 0, kind: .kernel, atomic: false)
    }

    /// The next three guesses in a ring held in place: sliding moves where the ring starts,
    /// not the guesses (four slots, so that an index is a mask).
    struct Guesses {
        private var ring = (Guess.none, Guess.none, Guess.none, Guess.none)
        private var head = 0
        /// The guess for the step `k` (0...2) steps after the next one.
        @inline(__always) subscript(k: Int) -> Guess {
            mutating get {
                let i = (head &+ k) & 3
                return withUnsafeMutableBytes(of: &ring) { $0.load(fromByteOffset: i &* MemoryLayout<Guess>.stride, as: Guess.self) }
            }
            set {
                let i = (head &+ k) & 3
                withUnsafeMutableBytes(of: &ring) { $0.storeBytes(of: newValue, toByteOffset: i &* MemoryLayout<Guess>.stride, as: Guess.self) }
            }
        }
        /// The first guess dropped: the second is now the first.
        @inline(__always) mutating func slide() { head = (head &+ 1) & 3 }
    }
}

/// `fault-loop` (will-it-scale page_fault1): every CPU faults `pagesPerCPU` order-0 anonymous
/// pages, then unmaps them all, and starts again; allocation and free stay on one CPU, the
/// case PCPs serve well.
public struct FaultLoop: Workload {
    public let name = "fault-loop"
    public static let defaultPagesPerCPU = 32768
    let pagesPerCPU: Int
    var held: [HeldBlocks]
    var freeing: [Bool]

    public init(machine m: Machine, pagesPerCPU: Int = FaultLoop.defaultPagesPerCPU) {
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        self.pagesPerCPU = max(1, min(pagesPerCPU, managed / 2 / m.nrCPUs))
        held = Array(repeating: HeldBlocks(), count: m.nrCPUs)
        freeing = Array(repeating: false, count: m.nrCPUs)
    }

    public mutating func step(_ m: Machine, cpu c: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        if !freeing[c] {
            let op = m.allocOp(cpu: c, order: 0, kind: .anon, into: &held[c])
            if op.kind == .allocFailed || held[c].count >= pagesPerCPU { freeing[c] = held[c].count > 0 }
            return op
        }
        let (r, _) = held[c].removeLast()
        if held[c].count == 0 { freeing[c] = false }
        return try m.freeOp(cpu: c, r, order: 0)
    }
}
