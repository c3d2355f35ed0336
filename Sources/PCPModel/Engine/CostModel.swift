/// What each lock operation and each unit of work costs in virtual time, in nanoseconds.
/// Defaults come from the published figures in the reference anchors (§ numbers there).
public struct CostModel: Equatable, Sendable {
    /// spin_lock + spin_unlock, uncontended: 33 cycles ≈ 8.3 ns (page_bench02 figures in the
    /// text of commit 374ad05ab64d, 2017; anchors §2a).
    public var pcpLockNs = 8.3
    /// spin_lock_irqsave + restore: 62 cycles ≈ 15.6 ns (same source).
    public var zoneLockNs = 15.6
    /// One PCP list insertion or removal with its bookkeeping: the order-0 PCP alloc+free round
    /// trip is 211 cycles ≈ 52.8 ns (same source); less two pcp lock pairs, halved per list op.
    public var listOpNs = 18.1
    /// Per base page moved under zone->lock: 32-56 ns per page at batch 63 (Huang Ying,
    /// 20231016053002.756205-5; anchors §2b), less the merge and split steps priced below.
    public var pageMovedNs = 30.0
    /// One buddy merge step under a lock: the rest of the §2b per-page figure (cache misses on
    /// struct page dominate, per Aaron Lu's 2018 RFC; anchors §2c).
    public var mergeStepNs = 8.0
    /// One split step (expand): a list insertion of the upper half.
    public var splitStepNs = 4.0
    /// A cache-line transfer when a lock was last held on another CPU. Not in the anchors: a
    /// typical intra-socket figure; override it with --cost-model.
    public var bounceNs = 60.0
    /// Work around each page operation outside the allocator (fault entry, zeroing, PTE
    /// update): will-it-scale page_fault1 does 513,633-795,183 pages/s per task (anchors §2b),
    /// i.e. 1.3-1.9 µs per page.
    public var operationNs = 1200.0
    /// One page examined by a compaction scanner, and one base page migrated. Fitted to
    /// fixtures/lived-in-6.18/compact: compact_memory took 1.21 s for 2,087,423 migrate-scanned,
    /// 866,839 free-scanned and 375,189 migrated pages (3 M x 0.1 µs + 375 k x 2.4 µs).
    public var pageScannedNs = 100.0
    public var pageMigratedNs = 2400.0

    public init() {}

    public static let keys: [String: WritableKeyPath<CostModel, Double> & Sendable] = [
        "pcp_lock_ns": \.pcpLockNs, "zone_lock_ns": \.zoneLockNs, "list_op_ns": \.listOpNs,
        "page_moved_ns": \.pageMovedNs, "merge_step_ns": \.mergeStepNs, "split_step_ns": \.splitStepNs,
        "bounce_ns": \.bounceNs, "operation_ns": \.operationNs,
        "page_scanned_ns": \.pageScannedNs, "page_migrated_ns": \.pageMigratedNs,
    ]

    public struct ParseError: Error, CustomStringConvertible {
        public let line: Int, message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The largest cost of one step: a millisecond (a real one is nanoseconds), so sums of
    /// billions of them stay within the picosecond clock.
    public static let maxNs = 1_000_000.0

    /// Reads `name = value` lines (TOML's simple form); `#` starts a comment. Names not given
    /// keep their defaults.
    public static func parse(_ text: String) throws(ParseError) -> CostModel {
        var m = CostModel()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            guard parts.count == 2 else {
                throw ParseError(line: n + 1, message: "expected 'name = value', got '\(trimmed.count > 80 ? trimmed.prefix(77) + "..." : trimmed)'")
            }
            guard let key = keys[String(parts[0])] else {
                throw ParseError(line: n + 1, message: "unknown cost '\(parts[0].prefix(80))' (known: \(keys.keys.sorted().joined(separator: ", ")))")
            }
            guard let v = Double(parts[1]), v >= 0, v <= CostModel.maxNs else {
                throw ParseError(line: n + 1, message: "'\(parts[1].prefix(80))' is not a number of nanoseconds from 0 to \(Int(CostModel.maxNs))")
            }
            m[keyPath: key] = v
        }
        return m
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
