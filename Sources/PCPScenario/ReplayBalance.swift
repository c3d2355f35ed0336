import PCPModel
import PCPRender

extension ReplayCheck {
    /// The pages a capture's events move onto and off each zone's free lists and each CPU's PCP
    /// lists, read by 6.18's rules. Set against the zoneinfo read before and after, it leaves
    /// what moved with no event at all (alloc_pages_bulk() traces no mm_page_alloc): the state
    /// a replay cannot see, and so the measure of every difference it cannot close.
    ///
    /// The rules: a refill (mm_page_alloc_zone_locked percpu_refill=1) moves a block from the
    /// free lists to the CPU's PCP and a drain back; any other zone_locked block goes to its
    /// caller, whose mm_page_alloc then takes nothing off a PCP; every other mm_page_alloc of
    /// a PCP order takes the block off the allocating CPU's PCP, and mm_page_free of a PCP
    /// order puts it on the freeing CPU's (free_frozen_pages()), other orders on the free
    /// lists. A fallback page traces only mm_page_alloc_extfrag (unless it names the page
    /// zone_locked just traced): it leaves the free lists, for the caller if the CPU's next
    /// event allocates it, else for the PCP being refilled. drain_all_pages() drains other
    /// CPUs' lists from the asking CPU, which its events then carry: counted there.
    public struct Balance: Sendable {
        /// Per zone id: pages the events added to its free lists (negative: took off).
        public var buddy: [Int]
        /// Per zone id and CPU: pages the events added to that CPU's PCP lists.
        public var pcp: [[Int]]
        /// Per CPU: a fallback page not yet placed, and the last page zone_locked traced.
        private var stolen: [(zone: Int, pfn: Int, pages: Int)?]
        private var lastLocked: [Int]
        /// Blocks zone_locked handed to their caller, awaiting its mm_page_alloc (pfn << 4 | order).
        private var direct = Set<Int>()

        public enum Kind: Sendable { case alloc, free, locked(refill: Bool), drain, extfrag }

        public init(zones: Int, cpus: Int) {
            buddy = Array(repeating: 0, count: zones)
            pcp = Array(repeating: Array(repeating: 0, count: cpus), count: zones)
            stolen = Array(repeating: nil, count: cpus)
            lastLocked = Array(repeating: -1, count: cpus)
        }

        /// One event of CPU `cpu` on a block of zone `zone` (nil: a pfn outside every zone,
        /// which moves nothing here but still settles a fallback page).
        public mutating func add(cpu: Int, _ kind: Kind, pfn: Int, order: Int, zone: Int?) {
            let n = 1 << order
            if let s = stolen[cpu] {
                stolen[cpu] = nil
                if case .alloc = kind, pfn == s.pfn { return }
                pcp[s.zone][cpu] += s.pages
            }
            guard let z = zone else { return }
            switch kind {
            case .locked(let refill):
                buddy[z] -= n
                lastLocked[cpu] = pfn
                if refill { pcp[z][cpu] += n } else { direct.insert(pfn << 4 | order) }
                return
            case .drain:
                pcp[z][cpu] -= n
                buddy[z] += n
            case .free:
                if pcpAllowedOrder(order) { pcp[z][cpu] += n } else { buddy[z] += n }
            case .alloc:
                if direct.remove(pfn << 4 | order) == nil { pcp[z][cpu] -= n }
            case .extfrag:
                if pfn != lastLocked[cpu] {
                    buddy[z] -= n
                    stolen[cpu] = (z, pfn, n)
                }
            }
            lastLocked[cpu] = -1
        }

        /// The kernel's balance over the window the replay covers.
        static func kernel(_ lines: [(line: TraceText.Line, t: Int64)], _ m: Machine) -> Balance {
            var b = Balance(zones: m.zones.count, cpus: m.nrCPUs)
            for (l, _) in lines {
                guard let pfn = l.pfn, pfn >= 0 else { continue }
                let kind: Kind
                switch l.event {
                case "mm_page_alloc": kind = .alloc
                case "mm_page_free": kind = .free
                case "mm_page_alloc_zone_locked": kind = .locked(refill: l.fields["percpu_refill"] == "1")
                case "mm_page_pcpu_drain": kind = .drain
                case "mm_page_alloc_extfrag": kind = .extfrag
                default: continue
                }
                b.add(cpu: l.cpu, kind, pfn: pfn, order: ReplayCheck.order(l), zone: m.zoneSpanning(pfn: pfn)?.id)
            }
            return b
        }

        /// The replay's events of one operation. `allocTraced` false: its mm_page_alloc replays an
        /// allocation the kernel made with no event (an inferred one), so it is left out, as
        /// the kernel's own was; `freeTraced` false: so is its first mm_page_free (a free the
        /// trace missed, replayed before the pfn's next allocation).
        mutating func add(cpu: Int, _ fired: [TraceEvent], _ m: Machine, allocTraced: Bool, freeTraced: Bool) {
            var skipFree = !freeTraced
            for e in fired {
                let (kind, pfn, order): (Kind, Int, Int)
                switch e {
                case let .pageAlloc(p, o, _, _, _) where p >= 0 && allocTraced: (kind, pfn, order) = (.alloc, p, o)
                case .pageFree where skipFree:
                    skipFree = false
                    continue
                case let .pageFree(p, o): (kind, pfn, order) = (.free, p, o)
                case let .zoneLocked(p, o, _, refill): (kind, pfn, order) = (.locked(refill: refill), p, o)
                case let .pcpuDrain(p, o, _): (kind, pfn, order) = (.drain, p, o)
                case let .extfrag(p, o, _, _, _, _): (kind, pfn, order) = (.extfrag, p, o)
                default: continue
                }
                add(cpu: cpu, kind, pfn: pfn, order: order, zone: m.zoneSpanning(pfn: pfn)?.id)
            }
        }
    }

    /// How a final figure got there: where it started (the kernel's zoneinfo read before, the
    /// replay's import), what the events moved, and what moved with no event (the rest).
    public struct Movement: Sendable, Equatable {
        public var before: Int, events: Int, untraced: Int
    }
}
