import PCPModel
import Synchronization

/// The ftrace text of the kmem tracepoints (/sys/kernel/tracing/trace, or trace-cmd report):
/// printing the model's events, and reading a real capture for replay.
public enum TraceText {
    /// vmemmap_base on x86-64 with 4-level paging; page= shows the struct page address as a
    /// kernel booted with no_hash_pointers would (a hashed %p cannot be reproduced).
    static let vmemmapBase = 0xffff_ea00_0000_0000 as UInt64

    /// The header /sys/kernel/tracing/trace starts with.
    public static func header(entries: Int, cpus: Int) -> String {
        """
        # tracer: nop
        #
        # entries-in-buffer/entries-written: \(entries)/\(entries)   #P:\(cpus)
        #
        #                                _-----=> irqs-off/BH-disabled
        #                               / _----=> need-resched
        #                              | / _---=> hardirq/softirq
        #                              || / _--=> preempt-depth
        #                              ||| / _-=> migrate-disable
        #                              |||| /     delay
        #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
        #              | |         |   |||||     |         |

        """
    }

    /// One event line. The task is "pcpsim-<cpu>" with pid cpu + 1; flags are not modelled.
    public static func line(cpu: Int, timeNs: Int64, _ e: TraceEvent) -> String {
        var out = ""
        out.right("pcpsim", 16)
        out += "-"
        out.left(String(cpu + 1), 7)
        out += " ["
        let c = String(cpu)
        out += String(repeating: "0", count: max(0, 3 - c.count)) + c
        out += "] ..... "
        let us = String(timeNs / 1000 % 1_000_000)
        out.right("\(timeNs / 1_000_000_000)." + String(repeating: "0", count: 6 - us.count) + us, 12)
        out += ": \(e.name): \(fields(e))\n"
        return out
    }

    static func page(_ pfn: Int) -> String {
        guard pfn >= 0 else { return "0000000000000000" }
        return hex(vmemmapBase &+ UInt64(pfn) &* 64, width: 16)
    }

    static func hex(_ v: UInt64, width: Int = 0) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    static func fields(_ e: TraceEvent) -> String {
        switch e {
        case let .pageAlloc(pfn, order, mt, kind, atomic):
            "page=\(page(pfn)) pfn=0x\(hex(UInt64(max(pfn, 0)))) order=\(order) migratetype=\(mt) gfp_flags=\(gfpFlags(kind, atomic: atomic))"
        case let .pageFree(pfn, order):
            "page=\(page(pfn)) pfn=0x\(hex(UInt64(pfn))) order=\(order)"
        case let .zoneLocked(pfn, order, mt, refill):
            "page=\(page(pfn)) pfn=0x\(hex(UInt64(pfn))) order=\(order) migratetype=\(mt) percpu_refill=\(refill ? 1 : 0)"
        case let .pcpuDrain(pfn, order, mt):
            "page=\(page(pfn)) pfn=0x\(hex(UInt64(pfn))) order=\(order) migratetype=\(mt)"
        case let .extfrag(pfn, a, f, am, fm, change):
            "page=\(page(pfn)) pfn=0x\(hex(UInt64(pfn))) alloc_order=\(a) fallback_order=\(f) pageblock_order=\(K.pageblockOrder) alloc_migratetype=\(am) fallback_migratetype=\(fm) fragmenting=\(f < K.pageblockOrder ? 1 : 0) change_ownership=\(change ? 1 : 0)"
        case let .setupWmarks(nid, zone, min, low, high, promo):
            "node_id=\(nid) zone name=\(zone.name) watermark min=\(min) low=\(low) high=\(high) promo=\(promo)"
        }
    }

    /// The GFP mask each allocation kind stands for, as show_gfp_flags() names it.
    static func gfpFlags(_ k: AllocKind, atomic: Bool) -> String {
        if atomic { return "GFP_ATOMIC" }
        switch k {
        case .anon: return "GFP_HIGHUSER_MOVABLE|__GFP_ZERO"
        case .file: return "GFP_HIGHUSER_MOVABLE"
        case .thp: return "GFP_TRANSHUGE_LIGHT"
        case .slabReclaimable: return "GFP_KERNEL|__GFP_RECLAIMABLE"
        case .slabUnreclaimable, .kernel: return "GFP_KERNEL"
        case .pageTable, .kernelStack: return "GFP_KERNEL_ACCOUNT|__GFP_ZERO"
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let line: Int, message: String
        public var description: String { line > 0 ? "line \(line): \(message)" : message }
    }

    /// A parsed event line: CPU, time, tracepoint, and its `key=value` fields.
    public struct Line: Sendable, Equatable {
        public var cpu: Int, timeNs: Int64, event: String, fields: [String: String]
        /// Its line number in the file.
        public var number = 0
        /// Its `pfn=` field (hex, with or without 0x); nil without one.
        public var pfn: Int? {
            guard let t = fields["pfn"] else { return nil }
            return Int(t.hasPrefix("0x") ? String(t.dropFirst(2)) : t, radix: 16)
        }
    }

    /// The latest timestamp read, in seconds (its nanoseconds fit an Int64 with room to spare).
    static let maxSeconds: Int64 = 1 << 32
    /// The longest replay: the virtual clock counts picoseconds in an Int64 (106 days).
    public static let maxSpanNs: Int64 = 100 * 86_400 * 1_000_000_000

    /// Every event line of a capture (comment lines skipped).
    ///
    /// The text is cut into lines at its bytes unless it holds a CR ("\r\n" is one Character,
    /// a lone LF always one of its own). An ASCII line, whose Characters are its bytes, is read
    /// at its bytes (`asciiLine`); any other line, or one that does not read as an event, at its
    /// Characters (`line`), which gives the same event or names what is wrong. Read Character
    /// by Character, a 188,616-line capture took seconds each of the many times a replay-check
    /// read it.
    public static func lines(_ text: String) throws(ParseError) -> [Line] {
        if let hit = lastRead.withLock({ last in last.flatMap { $0.text == text ? $0.lines : nil } }) { return hit }
        var out: [Line] = []
        var n = 0
        let rows: [Substring] = text.utf8.contains(UInt8(ascii: "\r"))
            ? text.split(separator: "\n", omittingEmptySubsequences: false)
            : text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Substring($0) }
        for raw in rows {
            n += 1
            if raw.isEmpty || raw.first == "#" { continue }
            if let l = asciiLine(raw, number: n) { out.append(l) } else { out.append(try line(raw, number: n)) }
        }
        lastRead.withLock { $0 = (text, out) }
        return out
    }

    /// The last text read and its lines: a replay-check reads its capture several times in each
    /// of its passes (the import's PCP lists, the replay, the kernel's runs). The same file read
    /// again is the same String (`TraceFile.read`), so the comparison costs nothing then.
    private static let lastRead = Mutex<(text: String, lines: [Line])?>(nil)

    /// One event line, Character by Character: the event, or what is wrong with the line.
    static func line(_ raw: Substring, number n: Int) throws(ParseError) -> Line {
        guard let open = raw.firstIndex(of: "["), let close = raw[open...].firstIndex(of: "]"),
              let cpu = Int(raw[raw.index(after: open)..<close]) else {
            throw ParseError(line: n, message: "no [CPU] field: '\(raw.quoted)'")
        }
        guard (0..<MachineSpec.maxCPUs).contains(cpu) else {
            throw ParseError(line: n, message: "CPU \(cpu) is not between 0 and \(MachineSpec.maxCPUs - 1): '\(raw.quoted)'")
        }
        // After the CPU: optional flags, "SECONDS.MICROS:", "event:", fields.
        let words = raw[raw.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard let t = words.firstIndex(where: { $0.hasSuffix(":") && $0.dropLast().contains(".") && Double($0.dropLast()) != nil }),
              t + 1 < words.count, words[t + 1].hasSuffix(":") else {
            throw ParseError(line: n, message: "expected 'TIMESTAMP: event:' after the CPU: '\(raw.quoted)'")
        }
        let ts = words[t].dropLast().split(separator: ".")
        guard ts.count == 2, let s = Int64(ts[0]), (0..<maxSeconds).contains(s), let frac = Int64(ts[1].prefix(9)), frac >= 0 else {
            throw ParseError(line: n, message: "bad timestamp '\(words[t].quoted)' (seconds from 0 to \(maxSeconds - 1))")
        }
        var scale: Int64 = 1
        for _ in 0..<(9 - min(ts[1].count, 9)) { scale *= 10 }
        var fields: [String: String] = [:]
        let event = words[t + 1].dropLast()
        if freeTextEvents.contains(String(event)) {
            fields["message"] = words[(t + 2)...].joined(separator: " ")
        } else {
            for w in words[(t + 2)...] {
                if let eq = w.firstIndex(of: "=") { fields[String(w[..<eq])] = String(w[w.index(after: eq)...]) }
            }
        }
        return Line(cpu: cpu, timeNs: s * 1_000_000_000 + frac * scale, event: String(event), fields: fields, number: n)
    }

    /// Events whose text is not key=value: kept whole, for the vmstat_update ticks and the
    /// capture's markers.
    static let freeTextEvents: Set<String> = ["workqueue_execute_start", "tracing_mark_write"]

    /// `line` for an ASCII line, at its bytes: the same event, or nil when the line is not
    /// ASCII or does not read as an event (then `line` says why).
    static func asciiLine(_ raw: Substring, number: Int) -> Line? {
        raw.utf8.withContiguousStorageIfAvailable { b -> Line? in
            // Numbers go through the standard library's Int and Int64, as in `line`.
            func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
            guard !b.contains(where: { $0 >= 0x80 }),
                  let open = b.firstIndex(of: UInt8(ascii: "[")), let close = b[open...].firstIndex(of: UInt8(ascii: "]")),
                  let cpu = Int(text(open + 1..<close)), (0..<MachineSpec.maxCPUs).contains(cpu) else { return nil }
            let words = b[(close + 1)...].split(separator: UInt8(ascii: " ")).map(\.indices)
            func endsInColon(_ r: Range<Int>) -> Bool { b[r.upperBound - 1] == UInt8(ascii: ":") }
            guard let t = words.firstIndex(where: { w in
                      let number = w.lowerBound..<w.upperBound - 1
                      return endsInColon(w) && b[number].contains(UInt8(ascii: ".")) && Double(text(number)) != nil
                  }), t + 1 < words.count, endsInColon(words[t + 1]) else { return nil }
            let pieces = b[words[t].lowerBound..<words[t].upperBound - 1].split(separator: UInt8(ascii: ".")).map(\.indices)
            guard pieces.count == 2, let s = Int64(text(pieces[0])), (0..<maxSeconds).contains(s),
                  let frac = Int64(text(pieces[1].lowerBound..<min(pieces[1].upperBound, pieces[1].lowerBound + 9))), frac >= 0 else { return nil }
            var scale: Int64 = 1
            for _ in 0..<(9 - min(pieces[1].count, 9)) { scale *= 10 }
            let event = text(words[t + 1].lowerBound..<words[t + 1].upperBound - 1)
            var fields: [String: String] = [:]
            if freeTextEvents.contains(event) {
                fields["message"] = words[(t + 2)...].map(text).joined(separator: " ")
            } else {
                for w in words[(t + 2)...] {
                    if let eq = b[w].firstIndex(of: UInt8(ascii: "=")) { fields[text(w.lowerBound..<eq)] = text(eq + 1..<w.upperBound) }
                }
            }
            return Line(cpu: cpu, timeNs: s * 1_000_000_000 + frac * scale, event: event, fields: fields, number: number)
        } ?? nil
    }

    /// What a free-path drain follows on its CPU: the free, or the drain's own earlier pages.
    static let freePathEvents: Set<String> = ["mm_page_free", "mm_page_free_batched", "mm_page_pcpu_drain"]

    /// The allocations and frees of a capture, for replay (see `capture`).
    public static func records(_ text: String, cpus: Int) throws(ParseError) -> [TraceRecord] {
        try capture(text, cpus: cpus).records
    }

    /// What a replay needs of a capture: its allocations and frees, each CPU's vmstat_update
    /// ticks, and when it ends.
    public struct Capture: Sendable {
        public var records: [TraceRecord]
        /// Nanoseconds after the start: the `after-snapshot begin` marker of scripts/capture, or
        /// the last event of any kind (or the `until` asked for).
        public var endNs: Int64
        /// The capture traced vmstat_update (workqueue_execute_start): the replay ticks each CPU
        /// exactly then, and at no other time.
        public var hasTicks: Bool
        /// Where its time 0 is, in the capture's own clock (ns).
        public var originNs: Int64
        /// Without vmstat_update events: when (ns after the start) the first drain that no free
        /// on its CPU explains began, decay_pcp_high's in that CPU's vmstat_update, so the
        /// ticks' phase. nil with traced ticks, or when no drain shows it.
        public var decayDrainNs: Int64? = nil
        /// Allocations alloc_pages_bulk() made without a trace that the replay infers: of pages
        /// a refill put on a list (`HiddenAllocations`), and of freed pages freed again with no
        /// event between (`secondFrees`).
        public var refilledTakenUntraced = 0, freedTakenUntraced = 0
    }

    /// The allocations and frees of a capture, for replay. mm_page_free_batched is skipped:
    /// every page it names also has its own mm_page_free. mm_page_alloc fires after the
    /// allocation is done: when an interrupt's frees on the same CPU are traced between an
    /// allocation's buddy events (mm_page_alloc_zone_locked) and its mm_page_alloc, the
    /// allocation goes back before those frees, where it happened, and the frees are marked
    /// `underPCPLock` when the allocation was a PCP refill (it runs with irqs off; the
    /// interrupt lands as zone->lock drops, while pcp->lock is still held).
    /// A capture of scripts/capture is replayed from its `before-snapshot end` marker (where
    /// the state files are exact) to its `after-snapshot begin` marker; without markers, from
    /// the first allocation or free to the last event. `untilNs` (after the start) ends it
    /// earlier or later.
    /// alloc_pages_bulk() (vmalloc, so VMAP_STACK kernel stacks) takes pages off a PCP list
    /// without mm_page_alloc: a page a refill put on a list that is freed, or still unseen
    /// when that list is refilled again (so it had run empty), was handed out that way, and
    /// its allocation is replayed just before that free or refill (`HiddenAllocations`).
    public static func capture(_ text: String, cpus: Int, untilNs: Int64? = nil) throws(ParseError) -> Capture {
        if let hit = lastCapture.withLock({ last in last.flatMap { $0.cpus == cpus && $0.untilNs == untilNs && $0.text == text ? $0.capture : nil } }) {
            return hit
        }
        let c = try readCapture(text, cpus: cpus, untilNs: untilNs)
        lastCapture.withLock { $0 = (text, cpus, untilNs, c) }
        return c
    }

    /// The last capture read, for the same reason as `lastRead`.
    private static let lastCapture = Mutex<(text: String, cpus: Int, untilNs: Int64?, capture: Capture)?>(nil)

    /// `capture`, read afresh.
    static func readCapture(_ text: String, cpus: Int, untilNs: Int64?) throws(ParseError) -> Capture {
        var out: [TraceRecord] = []
        var n = 0
        /// Per CPU: where in `out` its pending allocation's first buddy event fell.
        var zoneLockedAt = [Int?](repeating: nil, count: cpus)
        /// Per CPU: its pending allocation is a PCP refill (pcp->lock held).
        var refilling = [Bool](repeating: false, count: cpus)
        let all = try lines(text)
        let begin = all.first { $0.event == "tracing_mark_write" && $0.fields["message"]?.hasSuffix("before-snapshot end") == true }?.timeNs
        let end = all.first { $0.event == "tracing_mark_write" && $0.fields["message"]?.hasSuffix("after-snapshot begin") == true }?.timeNs
        var t0 = begin
        var hasTicks = false
        var hidden = HiddenAllocations(cpus: cpus)
        let batched = freedInBatch(all), drainedAfter = drainFollows(all), returned = returnsUntraced(all), listCPU = listCPUs(all)
        let second = Dictionary(grouping: secondFrees(all, from: begin), by: \.before)
        var refilledTaken = 0, freedTaken = 0
        /// Per CPU: the last kmem event seen on it and when, for telling decay's drains from the
        /// free path's.
        var lastEvent = [(name: String, timeNs: Int64)](repeating: ("", 0), count: cpus)
        var decayDrainNs: Int64?
        /// Per CPU: the drains after each of its ticks, and whether its last tick's drain goes on.
        var tickDrains = [[[Int]]](repeating: [], count: cpus)
        var tickOpen = [Bool](repeating: false, count: cpus)
        for (at, l) in all.enumerated() {
            n = l.number
            if let begin, l.timeNs < begin { continue }
            if let end, l.timeNs > end { break }
            if l.cpu < cpus, l.event.hasPrefix("mm_page_") {
                // The free path drains within microseconds of the free that took the list over
                // high, in the same call; decay's drain follows whatever its CPU did last.
                let last = lastEvent[l.cpu]
                if l.event == "mm_page_pcpu_drain", decayDrainNs == nil, let t0,
                   !(freePathEvents.contains(last.name) && l.timeNs - last.timeNs < 100_000) {
                    decayDrainNs = l.timeNs - t0
                }
                lastEvent[l.cpu] = (l.event, l.timeNs)
                if l.event == "mm_page_pcpu_drain", tickOpen[l.cpu], let b = HiddenAllocations.block(l) {
                    tickDrains[l.cpu][tickDrains[l.cpu].count - 1].append(b)
                } else {
                    tickOpen[l.cpu] = false
                }
            }
            if let taken = second[at], let t0 {
                // Before the refill that shows the list empty, or before the second free (a
                // refill's own time is not checked for order: kept within the replay's span).
                let time = min(max(l.timeNs - t0, 0), maxSpanNs)
                for f in taken {
                    out.append(TraceRecord(cpu: f.cpu, timeNs: time, pfn: f.pfn, order: 0, kind: .alloc(kind: .kernel, atomic: false), inferred: true))
                }
                freedTaken += taken.count
            }
            if l.event == "workqueue_execute_start", l.fields["message"]?.hasSuffix("vmstat_update") == true {
                guard l.cpu < cpus else { continue }
                hasTicks = true
                if t0 == nil { t0 = l.timeNs }
                out.append(TraceRecord(cpu: l.cpu, timeNs: l.timeNs - t0!, pfn: -1, order: 0, kind: .tick))
                tickDrains[l.cpu].append([])
                tickOpen[l.cpu] = true
                continue
            }
            if l.event == "mm_page_alloc_zone_locked", l.cpu < cpus {
                if zoneLockedAt[l.cpu] == nil { zoneLockedAt[l.cpu] = out.count }
                if l.fields["percpu_refill"] == "1" {
                    refilling[l.cpu] = true
                    hidden.refilled(l)
                }
            }
            if l.event == "mm_page_pcpu_drain" { hidden.seen(l) }
            guard l.event == "mm_page_alloc" || l.event == "mm_page_free" else { continue }
            guard l.cpu < cpus else {
                throw ParseError(line: n, message: "event on CPU \(l.cpu) but the machine has \(cpus) CPUs (use --cpus or --like-zoneinfo)")
            }
            guard let pfn = l.pfn,
                  (0...MachineSpec.maxPFN).contains(pfn),
                  let order = l.fields["order"].flatMap({ Int($0) }), (0...K.maxOrder).contains(order) else {
                throw ParseError(line: n, message: "\(l.event) without a valid pfn= and order=")
            }
            if t0 == nil { t0 = l.timeNs }
            let time = l.timeNs - t0!
            guard (0...maxSpanNs).contains(time) else {
                throw ParseError(line: n, message: "timestamp \(time < 0 ? "before the first event's" : "more than 100 days after the first event's"): a replay needs events in time order")
            }
            if l.event == "mm_page_free" {
                if let h = hidden.freed(pfn: pfn, order: order, timeNs: time) {
                    out.append(h)
                    refilledTaken += 1
                }
                out.append(TraceRecord(cpu: l.cpu, timeNs: time, pfn: pfn, order: order, kind: .free, underPCPLock: refilling[l.cpu],
                                       batched: batched[at], drainedAfter: drainedAfter[at]))
                continue
            }
            if pfn == 0 && (l.fields["page"] == "(null)" || l.fields["page"].map { $0.allSatisfy { $0 == "0" } } == true) { continue }
            let gfp = l.fields["gfp_flags"] ?? ""
            let mt = Int(l.fields["migratetype"] ?? "0") ?? 0
            let kind: AllocKind = mt == MigrateType.movable.rawValue ? (order == K.hpagePMDOrder ? .thp : .anon)
                : mt == MigrateType.reclaimable.rawValue ? .slabReclaimable : .kernel
            let atomic = gfp.contains("GFP_ATOMIC") || gfp.contains("GFP_NOWAIT")
            let refilled = order == 0 && hidden.refills(cpu: l.cpu, order: order, mt: mt)
            let r = TraceRecord(cpu: l.cpu, timeNs: time, pfn: pfn, order: order, kind: .alloc(kind: kind, atomic: atomic), refilled: refilled,
                                returnedUntraced: returned[at], listCPU: listCPU[at])
            hidden.seen(l)
            if !hidden.ends(cpu: l.cpu, order: order, mt: mt) {
                // Another list's allocation between a refill and the allocation it was for (an
                // order-3 slab page on fork's CPU 0 at 0.0263 s): the refill stays pending.
                out.append(r)
                continue
            }
            if let at = zoneLockedAt[l.cpu], out[at...].contains(where: { $0.cpu == l.cpu }) {
                let before = hidden.refillEnded(cpu: l.cpu, taking: pfn << 4 | order, timeNs: out[at].timeNs)
                refilledTaken += before.count
                out.insert(contentsOf: before + [TraceRecord(cpu: r.cpu, timeNs: out[at].timeNs, pfn: r.pfn, order: r.order, kind: r.kind, refilled: refilled)], at: at)
            } else {
                let before = hidden.refillEnded(cpu: l.cpu, taking: pfn << 4 | order, timeNs: time)
                refilledTaken += before.count
                out.append(contentsOf: before + [r])
            }
            zoneLockedAt[l.cpu] = nil
            refilling[l.cpu] = false
        }
        // Each CPU's ticks are in `out` in their order (records inserted before others are
        // allocations), so the k-th tick of a CPU takes the k-th drain list.
        var ticksSeen = [Int](repeating: 0, count: cpus)
        for i in out.indices where out[i].kind == .tick {
            out[i].drains = tickDrains[out[i].cpu][ticksSeen[out[i].cpu]]
            ticksSeen[out[i].cpu] += 1
        }
        let origin = t0 ?? 0
        let last = end ?? all.last.map(\.timeNs) ?? origin
        let endNs = untilNs ?? max(0, last - origin)
        if untilNs != nil { out.removeAll { $0.timeNs > endNs } }
        guard out.contains(where: { $0.kind != .tick }) else { throw ParseError(line: 0, message: "no mm_page_alloc or mm_page_free event: nothing to replay") }
        return Capture(records: out, endNs: endNs, hasTicks: hasTicks, originNs: origin,
                       decayDrainNs: hasTicks ? nil : decayDrainNs.flatMap { $0 <= endNs ? $0 : nil },
                       refilledTakenUntraced: refilledTaken, freedTakenUntraced: freedTaken)
    }
}

extension TraceText {
    /// Per line: an mm_page_free committed with a later one, in one folio batch.
    /// free_unref_folios() traces a whole folio batch (free_pages_prepare) before it commits any
    /// page to the PCP, so the drains of those commits come after the batch's last free; a lone
    /// free's drain comes right after it. A CPU's run of frees is cut into batches of at most
    /// `folioBatchSize` from its end (the last batch is the one a drain after the run came
    /// from; where the earlier ones began the trace does not show).
    static func freedInBatch(_ all: [Line]) -> [Bool] {
        var out = [Bool](repeating: false, count: all.count)
        /// Per CPU: how many frees follow in its current run (-1: the next event is no free).
        var after = [Int](repeating: -1, count: MachineSpec.maxCPUs)
        for i in all.indices.reversed() {
            let l = all[i]
            if l.event == "mm_page_free" {
                after[l.cpu] += 1
                out[i] = after[l.cpu] % folioBatchSize != 0
            } else {
                after[l.cpu] = -1
            }
        }
        return out
    }

    /// Per line: an mm_page_free whose CPU traced mm_page_pcpu_drain as its next kmem event.
    static func drainFollows(_ all: [Line]) -> [Bool] {
        var out = [Bool](repeating: false, count: all.count)
        /// Per CPU: whether its next kmem event (after the line being read) is a drain.
        var drainNext = [Bool](repeating: false, count: MachineSpec.maxCPUs)
        for i in all.indices.reversed() where all[i].event.hasPrefix("mm_page_") {
            let l = all[i]
            if l.event == "mm_page_free" { out[i] = drainNext[l.cpu] }
            drainNext[l.cpu] = l.event == "mm_page_pcpu_drain"
        }
        return out
    }

    /// Per line: an order-0 mm_page_alloc of a page whose last event was mm_page_pcpu_drain (no
    /// mm_page_alloc_zone_locked, fallback or free of it between). Every path in the source
    /// from the free lists to a PCP list or caller traces one (__rmqueue_smallest() traces
    /// zone_locked, the fallbacks extfrag), so it came back with no event.
    static func returnsUntraced(_ all: [Line]) -> [Bool] {
        var out = [Bool](repeating: false, count: all.count)
        var drained = Set<Int>()
        for (i, l) in all.enumerated() {
            guard let pfn = l.pfn, pfn >= 0 else { continue }
            let key = pfn << 4 | (Int(l.fields["order"] ?? l.fields["alloc_order"] ?? "0") ?? 0)
            switch l.event {
            case "mm_page_pcpu_drain": drained.insert(key)
            case "mm_page_alloc_zone_locked", "mm_page_free", "mm_page_alloc_extfrag": drained.remove(key)
            case "mm_page_alloc": out[i] = drained.remove(key) != nil && key & 15 == 0
            default: break
            }
        }
        return out
    }

    /// Per line: for an order-0 mm_page_alloc of a page whose last event was an order-0
    /// mm_page_free on another CPU, that CPU. No drain moved the page and a list is its own
    /// CPU's, so the freeing CPU's list handed it out (thp: four pages kdamond freed on CPU 1,
    /// counted in CPU 1's next decay drain, that `sh` allocated on CPU 0 a second later; the
    /// trace does not show how, and an allocation that migrates between its list and its
    /// tracepoint would look so).
    static func listCPUs(_ all: [Line]) -> [Int?] {
        var out = [Int?](repeating: nil, count: all.count)
        /// Block -> the CPU of its order-0 free, while that is its last event.
        var freedOn: [Int: Int] = [:]
        for (i, l) in all.enumerated() {
            guard let pfn = l.pfn, pfn >= 0 else { continue }
            let order = Int(l.fields["order"] ?? l.fields["alloc_order"] ?? "0") ?? 0
            let key = pfn << 4 | order, freed = freedOn.removeValue(forKey: key)
            if l.event == "mm_page_free" && order == 0 { freedOn[key] = l.cpu }
            if l.event == "mm_page_alloc", order == 0, let c = freed, c != l.cpu { out[i] = c }
        }
        return out
    }

    /// PAGEVEC_SIZE (include/linux/pagevec.h, 6.18): the most folios a folio_batch holds, so
    /// the most free_unref_folios() commits at once (an unmap's mmu_gather frees through them).
    static let folioBatchSize = 31

    /// How many pages each PCP list of each CPU held when a capture started, as far as the
    /// capture shows it: a list's allocations before its first refill, less the frees that
    /// went back to it meanwhile, plus the pages drained from it meanwhile, and never less than it had to hand out at any
    /// point before (a list cannot go below empty); for a list the capture never refilled, the
    /// most it ever had to hand out. Frees inside a refill go to the buddy (see `records`). Keyed by CPU, zone and type; `zoneOf` maps a pfn to (node, zone).
    /// A free of a page allocated before the capture counts for the list its next allocation
    /// takes it from (`TraceReplay.listOfUnknownFrees`).
    public static func pcpListStart(_ text: String, zoneOf: (Int) -> (nid: Int, zone: ZoneType)?) throws(ParseError) -> [PCPListKey: Int] {
        try pcpListEvidence(text, zoneOf: zoneOf).lengths
    }

    /// What the capture shows of each CPU's PCP state when it started.
    public struct PCPEvidence: Sendable {
        /// Each list's length (`pcpListStart`).
        public var lengths: [PCPListKey: Int]
        /// The lists the capture refilled: for those the length is exact; for the others it is
        /// only a lower bound (the list may have held more than it handed out).
        public var refilled: Set<PCPListKey>
        /// Per CPU and zone (mt 0, order 0 in the key): the length of its first order-0 refill,
        /// which nr_pcp_alloc() sized as batch << alloc_factor.
        public var firstRefill: [PCPListKey: Int]
    }

    /// The PCP state a capture shows. Only the capture's window counts (from scripts/capture's
    /// `before-snapshot end` marker).
    public static func pcpListEvidence(_ text: String, zoneOf: (Int) -> (nid: Int, zone: ZoneType)?) throws(ParseError) -> PCPEvidence {
        var firstRefill: [PCPListKey: Int] = [:]
        /// Per CPU: the order-0 refill run being counted, while it is that CPU's first.
        var counting: [Int: (key: PCPListKey, n: Int)] = [:]
        var counted = Set<PCPListKey>()
        var balance: [PCPListKey: Int] = [:]
        var peak: [PCPListKey: Int] = [:]
        var done: [PCPListKey: Int] = [:]
        var typeOf: [Int: Int] = [:]
        let all = try lines(text)
        let begin = all.first { $0.event == "tracing_mark_write" && $0.fields["message"]?.hasSuffix("before-snapshot end") == true }?.timeNs ?? .min
        func order(_ l: Line) -> Int { l.fields["order"].flatMap { Int($0) } ?? -1 }
        // Every PCP order: 0 to PAGE_ALLOC_COSTLY_ORDER and the THP order.
        let order0At = all.indices.filter { all[$0].timeNs >= begin && order(all[$0]) >= 0 && pcpAllowedOrder(order(all[$0])) }
        let order0 = order0At.map { all[$0] }
        let second = Dictionary(grouping: secondFrees(all, from: begin), by: \.before)
        let allocsAndFrees = order0.indices.filter { ["mm_page_alloc", "mm_page_free"].contains(order0[$0].event) }
        // A block is known by its pfn and order together.
        let listOfFree = TraceReplay.listOfUnknownFrees(allocsAndFrees.map { n in
            (order0[n].pfn.map { $0 << 4 | order(order0[n]) } ?? -1, order0[n].event == "mm_page_alloc" ? Int(order0[n].fields["migratetype"] ?? "1") ?? 1 : nil)
        })
        var unknownFreeType: [Int: Int] = [:]
        for (j, mt) in listOfFree { unknownFreeType[allocsAndFrees[j]] = mt }
        var inAllocation = Set<Int>()
        let listCPU = listCPUs(all)
        // Per line: the line its CPU traced just before it, for drains that move on to a list
        // further round, which free_pcppages_bulk() does only once the list it was on is empty.
        var previous = [Int?](repeating: nil, count: all.count), lastOn: [Int: Int] = [:]
        for (i, l) in all.enumerated() where l.timeNs >= begin {
            previous[i] = lastOn[l.cpu]
            lastOn[l.cpu] = i
        }
        for (n, l) in order0.enumerated() {
            guard let p = l.pfn, let (nid, zone) = zoneOf(p) else { continue }
            let isRefill = l.event == "mm_page_alloc_zone_locked" && l.fields["percpu_refill"] == "1" && order(l) == 0
            if let c = counting[l.cpu], !isRefill, l.event != "mm_page_alloc_extfrag" {
                firstRefill[c.key] = c.n
                counting[l.cpu] = nil
            }
            if isRefill {
                let k = PCPListKey(cpu: l.cpu, nid: nid, zone: zone, mt: 0)
                if let c = counting[l.cpu] { counting[l.cpu] = (c.key, c.n + 1) } else if !counted.contains(k) {
                    counted.insert(k)
                    counting[l.cpu] = (k, 1)
                }
            }
            for f in second[order0At[n]] ?? [] {
                // alloc_pages_bulk() took the page off that CPU's UNMOVABLE list untraced, as the
                // replay does (`secondFrees`): the list held it, so it counts as allocated there.
                guard let (fnid, fzone) = zoneOf(f.pfn) else { continue }
                let k = PCPListKey(cpu: f.cpu, nid: fnid, zone: fzone, mt: MigrateType.unmovable.rawValue)
                if done[k] == nil { balance[k, default: 0] += 1; peak[k] = max(peak[k] ?? 0, balance[k]!) }
                typeOf[f.pfn] = k.mt
            }
            switch l.event {
            case "mm_page_free" where inAllocation.contains(l.cpu):
                break  // to the buddy: see `records`
            case "mm_page_alloc":
                inAllocation.remove(l.cpu)
                let mt = Int(l.fields["migratetype"] ?? "1") ?? 1
                typeOf[p] = mt
                let k = PCPListKey(cpu: listCPU[order0At[n]] ?? l.cpu, nid: nid, zone: zone, mt: mt, order: order(l))
                if done[k] == nil { balance[k, default: 0] += 1; peak[k] = max(peak[k] ?? 0, balance[k]!) }
            case "mm_page_free":
                let k = PCPListKey(cpu: l.cpu, nid: nid, zone: zone, mt: typeOf[p] ?? unknownFreeType[n] ?? MigrateType.movable.rawValue, order: order(l))
                if done[k] == nil { balance[k, default: 0] -= 1 }
            case "mm_page_pcpu_drain":
                // A page the list held from the start and gave back to the buddy (a drain runs on
                // the owning CPU; the page's block type names its list).
                let k = PCPListKey(cpu: l.cpu, nid: nid, zone: zone, mt: Int(l.fields["migratetype"] ?? "1") ?? 1, order: order(l))
                if done[k] == nil { balance[k, default: 0] += 1; peak[k] = max(peak[k] ?? 0, balance[k]!) }
                // The drain before it in the same run took another list of this zone that comes
                // earlier round: that list is empty now, so its length is known.
                if let j = previous[order0At[n]], all[j].event == "mm_page_pcpu_drain", let q = all[j].pfn, let (qnid, qzone) = zoneOf(q),
                   qnid == nid, qzone == zone, pcpAllowedOrder(order(all[j])) {
                    let e = PCPListKey(cpu: l.cpu, nid: nid, zone: zone, mt: Int(all[j].fields["migratetype"] ?? "1") ?? 1, order: order(all[j]))
                    if e.mt < MigrateType.pcpTypes, k.mt < MigrateType.pcpTypes,
                       orderToPindex(e.mt, e.order) < orderToPindex(k.mt, k.order), done[e] == nil {
                        done[e] = max(0, balance[e] ?? 0, peak[e] ?? 0)
                    }
                }
            case "mm_page_alloc_zone_locked" where l.fields["percpu_refill"] == "1":
                inAllocation.insert(l.cpu)
                let k = PCPListKey(cpu: l.cpu, nid: nid, zone: zone, mt: Int(l.fields["migratetype"] ?? "1") ?? 1, order: order(l))
                // The refill's own pages are not yet allocated: the list ran dry just before.
                if done[k] == nil { done[k] = max(0, balance[k] ?? 0, peak[k] ?? 0) }
            default: break
            }
        }
        for c in counting.values { firstRefill[c.key] = c.n }
        let refilled = Set(done.keys)
        for (k, v) in peak where done[k] == nil { done[k] = v }
        return PCPEvidence(lengths: done, refilled: refilled, firstRefill: firstRefill)
    }

    public struct PCPListKey: Hashable, Sendable {
        public var cpu: Int, nid: Int, zone: ZoneType, mt: Int
        /// Lengths of higher-order lists are in entries (blocks of 1 << order pages).
        public var order: Int
        public init(cpu: Int, nid: Int, zone: ZoneType, mt: Int, order: Int = 0) {
            self.cpu = cpu; self.nid = nid; self.zone = zone; self.mt = mt; self.order = order
        }
    }
}

/// The pages PCP refills put on each list that no traced event has taken off yet, to find
/// the ones alloc_pages_bulk() handed out without mm_page_alloc (see `TraceText.capture`).
struct HiddenAllocations {
    struct List: Hashable { var cpu: Int, order: Int, mt: Int }
    /// Block (pfn << 4 | order) -> the list a refill put it on, while no event took it off.
    var onList: [Int: List] = [:]
    /// Per list: its refilled blocks, in refill order (pruned at each refill).
    var pending: [List: [Int]] = [:]
    /// Per CPU: the refill being traced (its list and its entries so far).
    var current: [(list: List, blocks: [Int])?]

    init(cpus: Int) { current = Array(repeating: nil, count: cpus) }

    static func block(_ l: TraceText.Line) -> Int? {
        guard let p = l.pfn, let o = l.fields["order"].flatMap({ Int($0) }) else { return nil }
        return p << 4 | o
    }

    mutating func refilled(_ l: TraceText.Line) {
        guard let b = Self.block(l), l.cpu < current.count else { return }
        let list = List(cpu: l.cpu, order: b & 0xF, mt: Int(l.fields["migratetype"] ?? "1") ?? 1)
        if let c = current[l.cpu], c.list == list { current[l.cpu]!.blocks.append(b) } else { current[l.cpu] = (list, [b]) }
    }

    /// Whether `cpu`'s zone->lock events so far refill its list of `order` and `mt` with two or
    /// more entries: rmqueue_bulk(), which __rmqueue_pcplist() calls only on an empty list.
    func refills(cpu: Int, order: Int, mt: Int) -> Bool {
        guard cpu < current.count, let c = current[cpu] else { return false }
        return c.blocks.count >= 2 && c.list.order == order && c.list.mt == mt
    }

    /// Whether an allocation of `order` and `mt` on `cpu` ends its zone->lock events: it is the
    /// one a refill of two or more entries was for when it takes from that list; with no
    /// such refill pending, any allocation does.
    func ends(cpu: Int, order: Int, mt: Int) -> Bool {
        guard cpu < current.count, let c = current[cpu], c.blocks.count >= 2 else { return true }
        return c.list.order == order && c.list.mt == mt
    }

    /// An mm_page_alloc or mm_page_pcpu_drain took the block off its list.
    mutating func seen(_ l: TraceText.Line) {
        if let b = Self.block(l) { onList[b] = nil }
    }

    /// The allocation that ends a CPU's zone->lock events. When they were a refill of two or
    /// more entries (a single one can be a direct buddy allocation), the list had run empty:
    /// every block an earlier refill put on it that no event took off went by
    /// alloc_pages_bulk(). Returns those allocations; the refill's blocks but `taken` (the
    /// allocation's own) go on the list.
    mutating func refillEnded(cpu: Int, taking taken: Int, timeNs: Int64) -> [TraceRecord] {
        guard cpu < current.count, let c = current[cpu] else { return [] }
        current[cpu] = nil
        guard c.blocks.count >= 2 else { return [] }
        var out: [TraceRecord] = []
        for b in pending[c.list] ?? [] where onList[b] == c.list {
            onList[b] = nil
            out.append(record(b, c.list, timeNs: timeNs))
        }
        pending[c.list] = c.blocks.filter { $0 != taken }
        for b in c.blocks where b != taken { onList[b] = c.list }
        return out
    }

    /// A free of a block still on a list: it was allocated without a trace.
    mutating func freed(pfn: Int, order: Int, timeNs: Int64) -> TraceRecord? {
        let b = pfn << 4 | order
        guard let list = onList[b] else { return nil }
        onList[b] = nil
        return record(b, list, timeNs: timeNs)
    }

    func record(_ b: Int, _ list: List, timeNs: Int64) -> TraceRecord {
        let kind: AllocKind = list.mt == MigrateType.movable.rawValue ? (list.order == K.hpagePMDOrder ? .thp : .anon)
            : list.mt == MigrateType.reclaimable.rawValue ? .slabReclaimable : .kernel
        return TraceRecord(cpu: list.cpu, timeNs: timeNs, pfn: b >> 4, order: list.order, kind: .alloc(kind: kind, atomic: false), inferred: true)
    }
}
