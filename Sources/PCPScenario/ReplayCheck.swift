import Foundation
import PCPModel
import PCPRender

/// `pcpsim replay-check`: replays a kernel's capture and compares, per CPU, the runs of refill
/// and drain events the kernel traced with the ones the replay fires, then the final state
/// with a zoneinfo read after the capture.
public enum ReplayCheck {
    /// A refill or drain run, as `scripts/trace-runs` counts them: a refill run is a maximal
    /// sequence of mm_page_alloc_zone_locked percpu_refill=1 of one order and migratetype (an
    /// mm_page_alloc_extfrag inside it adds a page unless it names the page just traced); a
    /// drain run is a maximal sequence of mm_page_pcpu_drain. Any other event ends a run.
    public struct Run: Equatable, Sendable, CustomStringConvertible {
        public enum Kind: String, Sendable { case refill, drain }
        public var kind: Kind
        /// Refills: the list's order and migratetype (drains mix them: -1).
        public var order: Int, mt: Int
        /// Entries traced.
        public var length: Int
        /// Nanoseconds after the capture's start (not compared).
        public var timeNs: Int64

        public static func == (a: Run, b: Run) -> Bool {
            a.kind == b.kind && a.order == b.order && a.mt == b.mt && a.length == b.length
        }

        public var description: String { kind == .refill && (order, mt) != (0, 1) ? "\(length) (o\(order)/mt\(mt))" : "\(length)" }
    }

    /// One event of a CPU's stream, enough to cut runs.
    public struct Event: Sendable {
        public enum Kind: Sendable { case refill, drain, extfrag, other }
        public var kind: Kind, order: Int, mt: Int, pfn: Int, timeNs: Int64
        public init(kind: Kind, order: Int = 0, mt: Int = 0, pfn: Int = -1, timeNs: Int64) {
            self.kind = kind; self.order = order; self.mt = mt; self.pfn = pfn; self.timeNs = timeNs
        }
    }

    /// The runs of one CPU's events, in order, of one kind.
    public static func runs(_ events: [Event]) -> [Run] {
        var out: [Run] = []
        var open = false, lastPFN = -1
        for e in events {
            switch e.kind {
            case .refill:
                if open, let r = out.last, r.kind == .refill, r.order == e.order, r.mt == e.mt {
                    out[out.count - 1].length += 1
                } else {
                    out.append(Run(kind: .refill, order: e.order, mt: e.mt, length: 1, timeNs: e.timeNs))
                }
                open = true
                lastPFN = e.pfn
            case .extfrag where open && out.last?.kind == .refill:
                if e.pfn != lastPFN { out[out.count - 1].length += 1 }
                lastPFN = -1
            case .drain:
                if open, out.last?.kind == .drain { out[out.count - 1].length += 1 } else {
                    out.append(Run(kind: .drain, order: -1, mt: -1, length: 1, timeNs: e.timeNs))
                }
                open = true
            default:
                open = false
                lastPFN = -1
            }
        }
        return out
    }

    /// A capture's lines on the machine's CPUs inside the window the replay covers, with their
    /// time since its start.
    static func window(_ text: String, cpus: Int, capture c: TraceText.Capture) throws(TraceText.ParseError) -> [(line: TraceText.Line, t: Int64)] {
        var out: [(line: TraceText.Line, t: Int64)] = []
        for l in try TraceText.lines(text) where l.cpu < cpus {
            let t = l.timeNs - c.originNs
            if t < 0 { continue }
            if t > c.endNs { break }
            out.append((l, t))
        }
        return out
    }

    /// A kmem line's order (mm_page_alloc_extfrag's is alloc_order).
    static func order(_ l: TraceText.Line) -> Int { Int(l.fields["order"] ?? l.fields["alloc_order"] ?? "0") ?? 0 }

    /// The kernel's events of a capture's window, per CPU.
    static func kernelEvents(_ lines: [(line: TraceText.Line, t: Int64)], cpus: Int) -> [[Event]] {
        var out = [[Event]](repeating: [], count: cpus)
        for (l, t) in lines {
            let order = order(l)
            let mt = Int(l.fields["migratetype"] ?? "0") ?? 0
            let pfn = l.pfn ?? -1
            let kind: Event.Kind = switch l.event {
            case "mm_page_alloc_zone_locked" where l.fields["percpu_refill"] == "1": .refill
            case "mm_page_pcpu_drain": .drain
            case "mm_page_alloc_extfrag": .extfrag
            default: .other
            }
            out[l.cpu].append(Event(kind: kind, order: order, mt: mt, pfn: pfn, timeNs: t))
        }
        return out
    }

    /// The replay's events of one operation: they end any run before them, as the kernel's
    /// mm_page_alloc and mm_page_free do. A step that commits a folio batch frees several
    /// pages: the kernel traced their mm_page_free before any commit, so they split no run.
    /// `extfrag`: whether the capture traced mm_page_alloc_extfrag; if not, the replay's are
    /// left out too, since a page the kernel's __rmqueue_steal() took then showed no event.
    static func events(_ fired: [TraceEvent], timeNs: Int64, extfrag: Bool = true) -> [Event] {
        [Event(kind: .other, timeNs: timeNs)] + fired.compactMap { e in
            switch e {
            case .pageFree: nil
            case .extfrag where !extfrag: nil
            case let .zoneLocked(pfn, order, mt, refill): Event(kind: refill ? .refill : .other, order: order, mt: mt, pfn: pfn, timeNs: timeNs)
            case let .pcpuDrain(pfn, order, mt): Event(kind: .drain, order: order, mt: mt, pfn: pfn, timeNs: timeNs)
            case let .extfrag(pfn, a, _, am, _, _): Event(kind: .extfrag, order: a, mt: am, pfn: pfn, timeNs: timeNs)
            default: Event(kind: .other, timeNs: timeNs)
            }
        }
    }

    /// One CPU's runs of one kind, the kernel's and the replay's.
    public struct Comparison: Sendable {
        public var cpu: Int, kind: Run.Kind, kernel: [Run], replay: [Run]
        public var identical: Bool { kernel == replay }
        /// The first run that differs (an index into both), nil when identical.
        public var firstDivergence: Int? {
            identical ? nil : (0..<min(kernel.count, replay.count)).first { kernel[$0] != replay[$0] } ?? min(kernel.count, replay.count)
        }
    }

    /// A zoneinfo figure the replay ends with, against the one read after the capture.
    public struct FinalFigure: Sendable {
        public var what: String, kernel: Int, replay: Int
        /// For pages free and count, with the zoneinfo read before: how each side got there.
        public var kernelMoved: Movement? = nil, replayMoved: Movement? = nil
        /// For a count: its CPU and zone id.
        public var pcpOf: (cpu: Int, zone: Int)? = nil
        /// For pages free: its zone id.
        public var freeOf: Int? = nil
        /// Of the replay's pages moved with no event, those it moved from the buddy to a list for
        /// the kernel's untraced returns (+ for a count, − for pages free).
        public var replayReturned = 0
    }

    public struct Report: Sendable {
        public var comparisons: [Comparison]
        public var final: [FinalFigure]
        public var notes: [String]
        /// The replay's lists that ran empty before the kernel's first refill of them, and by
        /// how many pages a second replay starts them longer.
        var listShortfalls: [TraceReplay.ListKey: Int] = [:]
        public var identical: Bool { comparisons.allSatisfy(\.identical) && final.allSatisfy { $0.kernel == $0.replay } }
    }

    /// Boots the scenario (its workload a trace), replays it to its end and compares.
    /// `afterZoneinfo`: the text of a zoneinfo read at the capture's end (nil: no final check).
    ///
    /// It replays a second time where the first shows what the import could not:
    /// - a CPU's drains differ and its lists lost pages with no event that the replay did not
    ///   place (the balance of the zoneinfo read before and after): the second takes those
    ///   pages where a free the kernel did not drain after would take its list over high;
    /// - an order-0 list ran empty before the kernel's first refill of it: the second starts
    ///   it longer by what it still owed there (`TraceReplay.listShortfalls`), unless that
    ///   makes a run list of its CPU part earlier (then a third replays without it);
    /// - a zone's free lists gained more pages with no event than the replay's: the second sends
    ///   that many of the pages it takes with no event to the free lists, not to a caller.
    ///
    /// Where a CPU's final count then shows its lists lost more with no event than the replay's
    /// inferences placed, its events moving the same, one more replay takes the rest late
    /// (`TraceReplay.lateBudget`), unless that makes a run list of its CPU part earlier.
    public static func check(_ s: Scenario, afterZoneinfo: String?) throws(UsageError) -> Report {
        let first = try check(s, afterZoneinfo: afterZoneinfo, freePathBudget: [], listStartLonger: [:], toBuddy: [])
        var budget: [[Int]] = []
        for f in first.final {
            guard let (cpu, zone) = f.pcpOf, let k = f.kernelMoved, let p = f.replayMoved, k.untraced < p.untraced, p.untraced - f.replayReturned <= 0,
                  first.comparisons.contains(where: { $0.cpu == cpu && $0.kind == .drain && !$0.identical }) else { continue }
            if budget.count <= cpu { budget += Array(repeating: [], count: cpu + 1 - budget.count) }
            if budget[cpu].count <= zone { budget[cpu] += Array(repeating: 0, count: zone + 1 - budget[cpu].count) }
            budget[cpu][zone] = p.untraced - k.untraced
        }
        var toBuddy: [Int] = []
        for f in first.final {
            guard let zone = f.freeOf, let k = f.kernelMoved, let p = f.replayMoved, k.untraced > p.untraced else { continue }
            if toBuddy.count <= zone { toBuddy += Array(repeating: 0, count: zone + 1 - toBuddy.count) }
            toBuddy[zone] = k.untraced - p.untraced
        }
        var kept = first.listShortfalls, result = first
        if !budget.isEmpty || !kept.isEmpty || !toBuddy.isEmpty {
            result = try check(s, afterZoneinfo: afterZoneinfo, freePathBudget: budget, listStartLonger: kept, toBuddy: toBuddy)
            // A correction that makes a run of its CPU part earlier is contradicted by the trace.
            kept = kept.filter { !partsEarlier(result, than: first, cpu: $0.key.cpu) }
            if kept.count != first.listShortfalls.count {
                result = try check(s, afterZoneinfo: afterZoneinfo, freePathBudget: budget, listStartLonger: kept, toBuddy: toBuddy)
            }
        }
        var late = lateBudget(result)
        guard !late.isEmpty else { return result }
        let placed = try check(s, afterZoneinfo: afterZoneinfo, freePathBudget: budget, listStartLonger: kept, toBuddy: toBuddy, late: late)
        let parted = late.indices.filter { partsEarlier(placed, than: result, cpu: $0) }
        if parted.isEmpty { return placed }
        for cpu in parted { late[cpu] = [] }
        if late.allSatisfy(\.isEmpty) { return result }
        return try check(s, afterZoneinfo: afterZoneinfo, freePathBudget: budget, listStartLonger: kept, toBuddy: toBuddy, late: late)
    }

    /// Per CPU and zone id: the pages a replay's final count shows the kernel's lists lost with
    /// no event beyond what its inferences placed, where the events of both moved the same.
    static func lateBudget(_ r: Report) -> [[Int]] {
        var late: [[Int]] = []
        for f in r.final {
            guard let (cpu, zone) = f.pcpOf, let k = f.kernelMoved, let p = f.replayMoved,
                  k.before == p.before, k.events == p.events, k.untraced < p.untraced else { continue }
            if late.count <= cpu { late += Array(repeating: [], count: cpu + 1 - late.count) }
            if late[cpu].count <= zone { late[cpu] += Array(repeating: 0, count: zone + 1 - late[cpu].count) }
            late[cpu][zone] = p.untraced - k.untraced
        }
        return late
    }

    /// The notes for the allocations whose pages came back to a list with no event, and
    /// those another CPU's list served (`TraceRecord.returnedUntraced`, `listCPU`).
    static func untracedReturnNotes(_ records: [TraceRecord]) -> [String] {
        var notes: [String] = []
        func hex(_ pfn: Int) -> String { "0x" + String(pfn, radix: 16) }
        let returns = records.filter(\.returnedUntraced)
        if let first = returns.first {
            let cpus = Set(returns.map(\.cpu)).sorted().map(String.init).joined(separator: ", ")
            notes.append("\(returns.count) order-0 pages allocated (on CPU \(cpus)) whose last traced event was a drain to the buddy, with no mm_page_alloc_zone_locked between, the first at \(secs(first.timeNs)) on CPU \(first.cpu) (pfn \(hex(first.pfn))): every path the source has from the free lists traces one, so how they came back is not in the capture; as the kernel's list handed them out, the replay moves a page from the buddy to that list before each (its list does not pay for them)")
        }
        let crossed = records.filter { $0.listCPU != nil }
        if let first = crossed.first, let from = first.listCPU {
            notes.append("\(crossed.count) order-0 pages allocated on one CPU whose last traced event was a free on another, the first at \(secs(first.timeNs)) on CPU \(first.cpu), freed on CPU \(from) (pfn \(hex(first.pfn))): no drain moved them and a list is its own CPU's, so the freeing CPU's list handed them out, as it would to an allocation that migrated between taking the page and tracing it; the replay takes them from that list")
        }
        return notes
    }

    /// The entries of a CPU's `index`-th drain run (a maximal sequence of drains).
    static func drainRun(_ events: [Event], index: Int) -> [Event] {
        var n = -1, out: [Event] = [], previous: Event.Kind = .other
        for e in events {
            if e.kind == .drain {
                if previous != .drain { n += 1 }
                if n == index { out.append(e) }
            }
            if n > index { break }
            previous = e.kind
        }
        return out
    }

    /// What decay_pcp_high() asked of free_pcppages_bulk() for a drain of these block orders, in
    /// calls of `batch` pages (6.18.y, fc4b909c368f): count less the decayed high. Each call
    /// takes blocks until it has its pages, so only the last block's overshoot is unknown.
    static func decayToDrain(orders: [Int], batch: Int) -> ClosedRange<Int> {
        var calls = 0, pages = 0, last = 0
        for (i, o) in orders.enumerated() {
            last = 1 << o
            pages += last
            if pages >= batch && i < orders.count - 1 {
                calls += 1
                pages = 0
            }
        }
        return calls * batch + max(1, pages - last + 1)...calls * batch + min(pages, batch)
    }

    /// Where a CPU's drains part at a tick's decay drain: what each side's drain says of its
    /// count less its decayed high (neither is traced).
    static func decayDrainNote(cpu: Int, run d: Int, kernel: [Event], replay: [Event], ticks: [TraceRecord], _ m: Machine) -> String? {
        let k = drainRun(kernel, index: d), r = drainRun(replay, index: d)
        guard let first = k.first, !r.isEmpty, let z = m.zoneSpanning(pfn: first.pfn),
              ticks.contains(where: { $0.kind == .tick && $0.cpu == cpu && $0.timeNs <= first.timeNs && first.timeNs - $0.timeNs < 1_000_000 }) else { return nil }
        let batch = z.pcp[cpu].batch, cap = batch << K.pcpBatchScaleMax
        let kd = decayToDrain(orders: k.map(\.order), batch: batch), rd = decayToDrain(orders: r.map(\.order), batch: batch)
        guard !kd.contains(cap), !rd.contains(cap) else { return nil }
        func pages(_ run: [Event]) -> Int { run.reduce(0) { $0 + 1 << $1.order } }
        func span(_ r: ClosedRange<Int>) -> String { r.count == 1 ? "\(r.lowerBound)" : "\(r.lowerBound)–\(r.upperBound)" }
        let more = rd.lowerBound - kd.upperBound...rd.upperBound - kd.lowerBound
        let apart = more.lowerBound >= 0 ? "\(span(more)) more" : more.upperBound <= 0 ? "\(span(-more.upperBound...(-more.lowerBound))) fewer" : "about as many"
        return "cpu \(cpu) zone \(z.type.name): its drain run \(d + 1) is the decay of the tick before it (at \(secs(first.timeNs))): the kernel's \(k.count) entries (\(pages(k)) pages) show its count \(span(kd)) pages over its decayed high, the replay's \(r.count) (\(pages(r)) pages) \(span(rd)), \(apart); neither count nor high is traced (alloc_pages_bulk() takes from the count, and the free path sets high from free_count, with no event)"
    }

    /// Whether one of the CPU's run lists in `b` parts from the kernel's before it does in `a`.
    static func partsEarlier(_ b: Report, than a: Report, cpu: Int) -> Bool {
        b.comparisons.contains { c in
            guard c.cpu == cpu, let d = c.firstDivergence else { return false }
            let before = a.comparisons.first { $0.cpu == cpu && $0.kind == c.kind }?.firstDivergence
            return before.map { d < $0 } ?? true
        }
    }

    static func check(_ s: Scenario, afterZoneinfo: String?, freePathBudget: [[Int]],
                      listStartLonger: [TraceReplay.ListKey: Int], toBuddy: [Int], late: [[Int]] = []) throws(UsageError) -> Report {
        guard case .trace(let path) = s.workload else { throw UsageError("replay-check needs a trace to replay") }
        var notes: [String] = []
        let m = try s.boot { notes.append($0) }
        let text = try TraceFile.read(path)
        let capture: TraceText.Capture
        let lines: [(line: TraceText.Line, t: Int64)]
        do {
            capture = try TraceText.capture(text, cpus: m.nrCPUs, untilNs: s.untilSeconds.map { Int64($0 * 1e9) })
            lines = try window(text, cpus: m.nrCPUs, capture: capture)
        } catch { throw UsageError("\(path): \(error.description)") }
        let kernel = kernelEvents(lines, cpus: m.nrCPUs)
        guard var w = try s.makeWorkload(for: m, note: { notes.append($0) }) else { throw UsageError("replay-check needs a trace to replay") }
        if var r = w as? TraceReplay {
            r.freePathBudget = freePathBudget
            r.listStartLonger = listStartLonger
            r.toBuddyBudget = toBuddy
            r.lateBudget = late
            w = r
        }
        notes += untracedReturnNotes(capture.records)
        let extfrag = try eventEnabled("mm_page_alloc_extfrag", beside: path) ?? kernel.contains { $0.contains { $0.kind == .extfrag } }
        if !extfrag {
            notes.append("the capture shows no mm_page_alloc_extfrag (not enabled): the replay's are left out of its refill runs, as a page __rmqueue_steal() took showed no event in the kernel's")
        }
        m.setTracer(Tracer())
        let engine = Engine(machine: m, seed: s.seed, cost: s.cost, checkEvery: s.checkEvery)
        var sim = [[Event]](repeating: [], count: m.nrCPUs)
        var moved = Balance(zones: m.zones.count, cpus: m.nrCPUs)
        let ourBefore = Zoneinfo.render(m.snapshot())
        let mark = (w as? TraceReplay)?.lastStep
        engine.traceSink = { cpu, t, fired in
            sim[cpu] += events(fired, timeNs: t - engine.startNs, extfrag: extfrag)
            moved.add(cpu: cpu, fired, m, allocTraced: !(mark?.inferredAlloc ?? false), freeTraced: !(mark?.quietFree ?? false))
        }
        do { try engine.run(&w, opsOrToEnd: nil) } catch { throw UsageError("the replay failed: \(error)") }
        if let r = w as? TraceReplay, r.decayTakenUntraced > 0 {
            notes.append("\(r.decayTakenUntraced) allocations inferred where a traced tick's decay drain, or its lack of one, shows the kernel's count lower than the replay's (decay_pcp_high() drains count - high; alloc_pages_bulk() traces no mm_page_alloc): taken before that tick, first from the list holding the pages no traced event names")
        }
        if let r = w as? TraceReplay, r.freePathTakenUntraced > 0 {
            let budget = freePathBudget.joined().reduce(0, +)
            notes.append("\(r.freePathTakenUntraced) allocations inferred where the replay's count would reach high on a free the kernel did not drain after, of the \(budget) pages the zoneinfo read before and after shows those lists lost with no event that the other inferences leave unplaced (alloc_pages_bulk() traces no mm_page_alloc): taken before that free, as few as keep the count under high")
        }
        if let r = w as? TraceReplay, r.toBuddyTaken > 0 {
            notes.append("\(r.toBuddyTaken) of the pages taken with no event went to the free lists, not to a caller: the zoneinfo read after the capture shows the kernel's free lists gained \(toBuddy.reduce(0, +)) more pages with no event than a first replay's did (which pages went there, when and by which path, the trace does not show)")
        }
        if let r = w as? TraceReplay, r.lateTakenPlacingHigh + r.lateTakenAtTick + r.lateTakenAtEnd > 0 {
            let asked = late.joined().reduce(0, +)
            let places = [(r.lateTakenPlacingHigh, "at their CPU's last tick whose decay drain, right after a capped one, places high within 8 pages (as low as it allows)"),
                          (r.lateTakenAtTick, "before their CPU's last tick, whose capped decay drain set high from count"),
                          (r.lateTakenAtEnd, "after the last traced event")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
            notes.append("\(r.lateTakenPlacingHigh + r.lateTakenAtTick + r.lateTakenAtEnd) allocations inferred of the \(asked) pages the zoneinfo read after the capture shows the kernel's lists lost with no event beyond what a replay's other inferences placed (alloc_pages_bulk() traces no mm_page_alloc): \(places.joined(separator: ", ")); when the kernel took them, no traced event shows")
        }
        if let r = w as? TraceReplay {
            for (key, n) in r.listStartMoved.sorted(by: { $0.key < $1.key }) {
                let z = m.zones[key.zone], to = MigrateType(rawValue: key.mt)?.procName ?? "\(key.mt)"
                let from = MigrateType(rawValue: r.unnamedLists[key.cpu][key.zone])?.procName ?? "?"
                notes.append("cpu \(key.cpu) zone \(z.type.name): the \(to) order-0 list started \(n) pages longer than the import had it: a first replay's ran empty before the kernel's first refill of it, and owed that many there (its frees go by its own pages' pageblocks, the import counts them by the trace's); moved from the \(from) list, from the pages no traced event names that no untraced allocation took")
            }
        }
        if let r = w as? TraceReplay, r.emptiedUntraced > 0 {
            notes.append("\(r.emptiedUntraced) allocations inferred where the kernel refilled an order-0 list the replay's still held pages on (rmqueue_bulk() refills only an empty list; alloc_pages_bulk() traces no mm_page_alloc): taken then, as alloc_pages_bulk() takes them")
        }
        var comparisons: [Comparison] = []
        for c in 0..<m.nrCPUs {
            let k = runs(kernel[c]), r = runs(sim[c])
            for kind in [Run.Kind.refill, .drain] {
                comparisons.append(Comparison(cpu: c, kind: kind, kernel: k.filter { $0.kind == kind }, replay: r.filter { $0.kind == kind }))
            }
            if let d = comparisons.last?.firstDivergence,
               let note = decayDrainNote(cpu: c, run: d, kernel: kernel[c], replay: sim[c], ticks: capture.records, m) {
                notes.append(note)
            }
        }
        var final: [FinalFigure] = []
        let returned = (w as? TraceReplay)?.returnedUntraced ?? []
        if let after = afterZoneinfo {
            let mine = Zoneinfo.render(m.snapshot())
            // What each side's events moved, when the kernel's starting zoneinfo is known.
            var kernelBefore: String? = nil, kernelMoved: Balance? = nil
            if case .imported(let im) = s.machine {
                kernelBefore = try TextFile.read(im.zoneinfo)
                kernelMoved = Balance.kernel(lines, m)
            }
            func movement(_ b: Balance?, before: Int?, after: Int, events: (Balance) -> Int) -> Movement? {
                guard let b, let before else { return nil }
                return Movement(before: before, events: events(b), untraced: after - before - events(b))
            }
            func zoneID(_ nid: Int, _ type: ZoneType) -> Int { nid * K.nrZoneTypes + type.rawValue }
            let theirs = ZoneinfoImport.freePages(after), ours = ZoneinfoImport.freePages(mine)
            let theirsBefore = kernelBefore.map(ZoneinfoImport.freePages), oursBefore = ZoneinfoImport.freePages(ourBefore)
            for f in theirs {
                let o = ours.first { $0.nid == f.nid && $0.zone == f.zone }?.pages ?? 0
                let id = zoneID(f.nid, f.zone)
                let k0 = theirsBefore?.first { $0.nid == f.nid && $0.zone == f.zone }?.pages
                let o0 = oursBefore.first { $0.nid == f.nid && $0.zone == f.zone }?.pages
                final.append(FinalFigure(what: "node \(f.nid) zone \(f.zone.name) pages free", kernel: f.pages, replay: o,
                                         kernelMoved: movement(kernelMoved, before: k0, after: f.pages) { id < $0.buddy.count ? $0.buddy[id] : 0 },
                                         replayMoved: movement(kernelMoved.map { _ in moved }, before: o0, after: o) { id < $0.buddy.count ? $0.buddy[id] : 0 },
                                         freeOf: id, replayReturned: -returned.reduce(0) { $0 + (id < $1.count ? $1[id] : 0) }))
            }
            let ourPCP = ZoneinfoImport.pcpState(mine), ourPCPBefore = ZoneinfoImport.pcpState(ourBefore)
            let theirPCPBefore = kernelBefore.map(ZoneinfoImport.pcpState)
            for p in ZoneinfoImport.pcpState(after) {
                let o = ourPCP.first { $0.nid == p.nid && $0.zone == p.zone && $0.cpu == p.cpu }
                let id = zoneID(p.nid, p.zone)
                let k0 = theirPCPBefore?.first { $0.nid == p.nid && $0.zone == p.zone && $0.cpu == p.cpu }?.count
                let o0 = ourPCPBefore.first { $0.nid == p.nid && $0.zone == p.zone && $0.cpu == p.cpu }?.count
                let pcp = { (b: Balance) in id < b.pcp.count && p.cpu < b.pcp[id].count ? b.pcp[id][p.cpu] : 0 }
                final.append(FinalFigure(what: "node \(p.nid) zone \(p.zone.name) cpu \(p.cpu) count", kernel: p.count, replay: o?.count ?? 0,
                                         kernelMoved: movement(kernelMoved, before: k0, after: p.count, events: pcp),
                                         replayMoved: movement(kernelMoved.map { _ in moved }, before: o0, after: o?.count ?? 0, events: pcp),
                                         pcpOf: (p.cpu, id),
                                         replayReturned: p.cpu < returned.count && id < returned[p.cpu].count ? returned[p.cpu][id] : 0))
                final.append(FinalFigure(what: "node \(p.nid) zone \(p.zone.name) cpu \(p.cpu) high", kernel: p.high, replay: o?.high ?? 0))
            }
        }
        return Report(comparisons: comparisons, final: final, notes: notes, listShortfalls: (w as? TraceReplay)?.listStartCorrections ?? [:])
    }

    /// Whether the capture enabled a tracepoint, as the events line of the capture.txt
    /// scripts/capture leaves beside the trace says; nil without one.
    static func eventEnabled(_ event: String, beside trace: String) throws(UsageError) -> Bool? {
        let path = ((trace as NSString).deletingLastPathComponent as NSString).appendingPathComponent("capture.txt")
        guard FileManager.default.isReadableFile(atPath: path) else { return nil }
        return try TextFile.read(path).split(separator: "\n").first { $0.hasPrefix("events:") }.map { $0.contains(event) }
    }

    /// The report as text: one line per CPU and kind, then the final figures.
    /// Nanoseconds as seconds to the microsecond, as the trace prints them.
    static func secs(_ ns: Int64) -> String {
        let us = String(ns / 1000 % 1_000_000)
        return "\(ns / 1_000_000_000)." + String(repeating: "0", count: 6 - us.count) + us + " s"
    }

    /// Why a figure whose balance is known still differs, where one side of the balance is all
    /// of it: the events moved it (a run list that parts), or what no event moved.
    static func unexplained(_ f: FinalFigure, _ k: Movement, _ p: Movement) -> String? {
        guard f.kernel != f.replay, k.before == p.before else { return nil }
        if k.events == p.events {
            let n = abs(k.untraced - p.untraced), lists = f.pcpOf == nil ? "free lists" : "lists"
            let side = k.untraced < p.untraced ? "the kernel's \(lists) lost" : "the kernel's \(lists) gained"
            return "all of it with no event: \(side) \(n) page\(n == 1 ? "" : "s") more than the replay's inferences place; which pages and when, no traced event shows"
        }
        if k.untraced == p.untraced { return "all of it by events: the replay's events moved \(abs(p.events - k.events)) pages \(p.events > k.events ? "more" : "fewer") than the kernel's (the run lists that part above)" }
        return nil
    }

    public static func render(_ r: Report) -> String {
        func list(_ runs: [Run]) -> String {
            var out: [String] = [], i = 0
            while i < runs.count {
                var j = i
                while j < runs.count && runs[j] == runs[i] { j += 1 }
                out.append(runs[i].description + (j - i > 1 ? "x\(j - i)" : ""))
                i = j
            }
            return out.isEmpty ? "none" : out.joined(separator: " ")
        }
        var out = ""
        for n in r.notes { out += "note: \(n)\n" }
        for c in r.comparisons {
            out += "cpu \(c.cpu) \(c.kind.rawValue) runs: kernel \(c.kernel.count), replay \(c.replay.count): "
            if let d = c.firstDivergence {
                let k = d < c.kernel.count ? "\(c.kernel[d]) at \(secs(c.kernel[d].timeNs))" : "none"
                let p = d < c.replay.count ? "\(c.replay[d]) at \(secs(c.replay[d].timeNs))" : "none"
                out += "differ at run \(d + 1): kernel \(k), replay \(p)\n"
                out += "  kernel: \(list(c.kernel))\n  replay: \(list(c.replay))\n"
            } else {
                out += "identical: \(list(c.kernel))\n"
            }
        }
        func signed(_ n: Int) -> String { n > 0 ? "+\(n)" : "\(n)" }
        for f in r.final {
            out += "\(f.what): kernel \(f.kernel), replay \(f.replay)\(f.kernel == f.replay ? "" : " (differs by \(f.replay - f.kernel))")\n"
            if let k = f.kernelMoved, let p = f.replayMoved, k.untraced != 0 || p.untraced != 0 || f.kernel != f.replay {
                let start = k.before == p.before ? "" : "from kernel \(k.before), replay \(p.before); "
                let back = f.replayReturned == 0 ? "" : " (\(signed(f.replayReturned)) the pages back from the buddy untraced)"
                out += "  \(start)moved by events: kernel \(signed(k.events)), replay \(signed(p.events)); with no event: kernel \(signed(k.untraced)), replay \(signed(p.untraced))\(back)\n"
                if let why = unexplained(f, k, p) { out += "  \(why)\n" }
            }
        }
        let runsDiffer = r.comparisons.filter { !$0.identical }.count, finalDiffers = r.final.filter { $0.kernel != $0.replay }.count
        out += r.identical ? "identical\n" : "differs: \(runsDiffer) run lists, \(finalDiffers) final figures\n"
        return out
    }
}
