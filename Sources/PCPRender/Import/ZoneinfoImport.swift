import PCPModel

/// Reads the zone geometry and CPU count of a real machine from its /proc/zoneinfo.
public enum ZoneinfoImport {
    public struct Failure: Error, CustomStringConvertible {
        public let line: Int
        public let message: String
        /// Line 0: a problem with the file as a whole.
        public var description: String { line > 0 ? "line \(line): \(message)" : message }
    }

    /// start_pfn, spanned, present and managed of every zone; CPUs from the pagesets of the
    /// first populated zone (CPUs are spread over nodes in order, as the import cannot see
    /// the real CPU-to-node map).
    public static func parse(_ text: String) throws(Failure) -> MachineSpec {
        var zones: [[ZoneGeometry]] = []
        var current: ZoneGeometry?
        var nid = -1, headerLine = 0
        var cpus = 0, countingCPUs = false, sawPagesets = false
        /// The geometry lines the current zone has shown.
        var seen: Set<String> = []
        func flush() throws(Failure) {
            if let c = current {
                // A zone that spans pages prints all four; without managed it would boot empty.
                if c.spanned > 0, let missing = ["start_pfn:", "present", "managed"].first(where: { !seen.contains($0) }) {
                    throw Failure(line: headerLine, message: "zone \(c.type.name) of node \(nid) has no '\(missing.filter { $0 != ":" })' line")
                }
                zones[nid].append(c)
            }
            current = nil
            seen = []
        }
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingPrefixSpaces()
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if raw.hasPrefix("Node ") {
                try flush()
                headerLine = n + 1
                guard words.count == 4, let (id, type) = zoneHeader(raw) else {
                    throw Failure(line: n + 1, message: "expected 'Node N, zone NAME', got '\(raw.quoted)'")
                }
                if id != nid {
                    guard id == nid + 1 else { throw Failure(line: n + 1, message: "node \(id) out of order") }
                    nid = id
                    zones.append([])
                }
                guard zones[nid].count == type.rawValue else {
                    throw Failure(line: n + 1, message: "zone \(type.name) out of order in node \(nid)")
                }
                current = ZoneGeometry(type: type, startPFN: 0, spanned: 0, present: 0, managed: 0)
                countingCPUs = false
                continue
            }
            guard current != nil else { continue }
            if words == ["pagesets"] {
                countingCPUs = !sawPagesets
                sawPagesets = true
                continue
            }
            guard words.count >= 2 else { continue }
            let key = words[0], value = Int(words[words.count - 1])
            switch key {
            case "spanned", "present", "managed", "start_pfn:":
                guard let v = value, v >= 0 else { throw Failure(line: n + 1, message: "bad number in '\(line.quoted)'") }
                seen.insert(String(key))
                switch key {
                case "spanned": current!.spanned = v
                case "present": current!.present = v
                case "managed": current!.managed = v
                default: current!.startPFN = v
                }
            case "cpu:" where countingCPUs: cpus += 1
            default: break
            }
        }
        try flush()
        guard !zones.isEmpty else { throw Failure(line: 1, message: "no 'Node N, zone NAME' line: is this a /proc/zoneinfo?") }
        for (id, z) in zones.enumerated() where z.count != K.nrZoneTypes {
            throw Failure(line: 0, message: "node \(id) lists \(z.count) zones, expected \(K.nrZoneTypes)")
        }
        guard cpus > 0 else { throw Failure(line: 0, message: "no pagesets with 'cpu:' entries: cannot tell the CPU count") }
        guard cpus >= zones.count else { throw Failure(line: 0, message: "\(cpus) CPUs for \(zones.count) nodes") }
        let nodes = zones.enumerated().map { nid, z in
            MachineSpec.Node(zones: z, cpus: (0..<cpus).filter { $0 * zones.count / cpus == nid })
        }
        return MachineSpec(nodes: nodes)
    }
}

extension Substring {
    func trimmingPrefixSpaces() -> Substring { drop { $0 == " " } }
    /// At most 80 characters of an input line, for an error message.
    public var quoted: String { count > 80 ? prefix(77) + "..." : String(self) }
}

extension ZoneinfoImport {
    /// One CPU's pageset in one zone, as a zoneinfo shows it.
    public struct PCPState: Sendable, Equatable {
        public var nid: Int, zone: ZoneType, cpu: Int, count: Int, high: Int
    }

    /// `pages free` of every populated zone: (node, zone, pages).
    public static func freePages(_ text: String) -> [(nid: Int, zone: ZoneType, pages: Int)] {
        var out: [(nid: Int, zone: ZoneType, pages: Int)] = []
        var current: (nid: Int, zone: ZoneType)?
        for raw in text.split(separator: "\n") {
            let w = raw.split(separator: " ")
            if raw.hasPrefix("Node ") {
                current = zoneHeader(raw)
            } else if let c = current, w.count == 3, w[0] == "pages", w[1] == "free", let v = Int(w[2]) {
                out.append((c.nid, c.zone, v))
            }
        }
        return out
    }

    /// Every populated zone's pagesets (count and high per CPU).
    public static func pcpState(_ text: String) -> [PCPState] {
        var out: [PCPState] = []
        var current: (nid: Int, zone: ZoneType)?, cpu = -1, count = 0
        for raw in text.split(separator: "\n") {
            if raw.hasPrefix("Node ") {
                current = zoneHeader(raw)
                cpu = -1
                continue
            }
            let w = raw.split(separator: " ")
            guard let c = current, w.count == 2, let v = Int(w[1]) else { continue }
            switch w[0] {
            case "cpu:": cpu = v
            case "count:": count = v
            case "high:" where cpu >= 0: out.append(PCPState(nid: c.nid, zone: c.zone, cpu: cpu, count: count, high: v))
            default: break
            }
        }
        return out
    }
}

extension ZoneinfoImport {
    /// One zone of a /proc/pagetypeinfo: free blocks per [type][order], pageblocks per type.
    public struct ZoneFreeArea: Sendable {
        public var nid: Int, zone: ZoneType, free: [[Int]], blocks: [Int]
    }

    /// Reads the free-list counts and the block counts of every zone ('>' marks a capped count).
    public static func pagetypeinfo(_ text: String) throws(Failure) -> [ZoneFreeArea] {
        var out: [ZoneFreeArea] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let w = raw.split(separator: " ")
            guard let (nid, zone) = zoneHeader(raw) else { continue }
            var k = out.firstIndex { $0.nid == nid && $0.zone == zone }
            if k == nil {
                out.append(ZoneFreeArea(nid: nid, zone: zone, free: Array(repeating: Array(repeating: 0, count: K.nrOrders), count: MigrateType.count),
                                        blocks: Array(repeating: 0, count: MigrateType.count)))
                k = out.count - 1
            }
            // The node field carries its comma, so only the count columns parse as numbers.
            let numbers = w.compactMap { Int($0.filter { $0 != ">" }) }
            guard numbers.allSatisfy({ (0...MachineSpec.maxPages).contains($0) }) else {
                throw Failure(line: n + 1, message: "counts must be between 0 and \(MachineSpec.maxPages): '\(raw.quoted)'")
            }
            if w.count > 5, w[4] == "type", let mt = MigrateType.allCases.first(where: { $0.procName == w[5] }) {
                guard numbers.count == K.nrOrders else { throw Failure(line: n + 1, message: "expected \(K.nrOrders) order columns") }
                out[k!].free[mt.rawValue] = numbers
            } else {
                guard numbers.count == MigrateType.count else { throw Failure(line: n + 1, message: "expected \(MigrateType.count) block-type columns") }
                out[k!].blocks = numbers
            }
        }
        guard !out.isEmpty else { throw Failure(line: 1, message: "no 'Node N, zone NAME' rows: is this a /proc/pagetypeinfo?") }
        return out
    }
}

extension ZoneinfoImport {
    /// "Node N, zone NAME" at the start of a zoneinfo header or a pagetypeinfo row.
    static func zoneHeader(_ line: Substring) -> (nid: Int, zone: ZoneType)? {
        let w = line.split(separator: " ")
        guard w.count > 3, w[0] == "Node", w[1].last == ",", let nid = Int(w[1].dropLast()), (0..<1024).contains(nid), w[2] == "zone",
              let zone = ZoneType.allCases.first(where: { $0.name == (w[3].last == "," ? w[3].dropLast() : w[3]) }) else { return nil }
        return (nid, zone)
    }
}

extension ZoneinfoImport {
    /// What a zoneinfo says the LRU holds: per zone, the nr_zone_* list sizes (inactive anon,
    /// active anon, inactive file, active file, unevictable); per node, the page-cache and anon
    /// counters of its "per-node stats" (nr_anon_pages, nr_file_pages, nr_dirty, nr_mapped,
    /// nr_shmem). A counter the file does not print is nil.
    public struct LRUCounts: Sendable, Equatable {
        public var zones: [(nid: Int, zone: ZoneType, lists: [Int])] = []
        public var nodes: [Int: [String: Int]] = [:]
        public static func == (a: Self, b: Self) -> Bool {
            a.nodes == b.nodes && a.zones.map { "\($0.nid) \($0.zone) \($0.lists)" } == b.zones.map { "\($0.nid) \($0.zone) \($0.lists)" }
        }
    }

    static let zoneLRUKeys = ["nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable"]
    public static let nodeLRUKeys = ["nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
                                     "nr_anon_pages", "nr_file_pages", "nr_dirty", "nr_mapped", "nr_shmem"]

    public static func lruCounts(_ text: String) -> LRUCounts {
        var out = LRUCounts()
        var current: (nid: Int, zone: ZoneType)?
        var lists: [Int?] = Array(repeating: nil, count: 5)
        func flush() {
            if let c = current, lists.allSatisfy({ $0 != nil }) { out.zones.append((c.nid, c.zone, lists.map { $0! })) }
            lists = Array(repeating: nil, count: 5)
        }
        for raw in text.split(separator: "\n") {
            if raw.hasPrefix("Node ") {
                flush()
                current = zoneHeader(raw)
                continue
            }
            let w = raw.split(separator: " ")
            guard let c = current, w.count == 2, let v = Int(w[1]), v >= 0 else { continue }
            let key = String(w[0])
            if let k = zoneLRUKeys.firstIndex(of: key) { lists[k] = v }
            if nodeLRUKeys.contains(key), out.nodes[c.nid]?[key] == nil { out.nodes[c.nid, default: [:]][key] = v }
        }
        flush()
        return out
    }
}
