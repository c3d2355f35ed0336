import XCTest
@testable import PCPModel

/// A checkpoint leaves nothing out: a field added to the machine, a zone, a design, the engine
/// or a workload, and forgotten in its `checkpoint(_:)`, fails here.
///
/// A state saved from machine A is restored into machine B of the same shape that ran another
/// seed, other knobs and a different number of operations first, so each of its fields holds
/// some other value. After the restore every field of B, walked by reflection, must equal A's;
/// a field no checkpoint wrote keeps B's value and shows up by its path. Flat buffers are not
/// visible to reflection: every buffer alive must instead have been visited by the save
/// (saved, or named `derived`).
final class CheckpointCoverageTests: XCTestCase {
    /// Fields that differ between two machines restored alike, and why (the rest of such
    /// fields are listed next to their types' checkpoints, as `derivedFields`).
    static let derived: [String: String] = Machine.derivedFields.merging(Zone.derivedFields) { a, _ in a }
        .merging(Engine.derivedFields) { a, _ in a }
        .merging(RandomMix.derivedFields) { a, _ in a }
        .merging([
            "opStart": "LockTrace: the start of the operation being priced",
            "pricer": "LockTrace's back reference to the engine's pricer (walked from the engine)",
            "memstall": "LockPricer: the last priced operation's stall, read right after pricing",
            "pagesInZones": "the invariant checker's count of pages, computed from the machine on first use",
            "stealOrders": "block-economy: a cache of each CPU's steal order, computed from the CPU map on first use",
        ]) { a, _ in a }
        // Objects the checkpoints save field by field: walked, not skipped.
        .filter { $0.key != "zones" && $0.key != "policyObject" }

    struct Run {
        let m: Machine
        var w: Workload
        let e: Engine
    }

    func run(_ workload: String, _ params: [String: String], policy: Policy, seed: UInt64, ops: Int,
             knobs: (Machine) throws -> Void = { _ in }) throws -> Run {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 3))
        m.setPolicy(policy)
        try knobs(m)
        var w = try Workloads.make(workload, machine: m, params: params)
        let e = Engine(machine: m, seed: seed)
        try e.run(&w, ops: ops)
        return Run(m: m, w: w, e: e)
    }

    func save(_ r: inout Run) throws -> [UInt8] {
        let c = Checkpoint()
        try r.m.checkpoint(c)
        try r.w.checkpoint(c)
        try r.e.checkpoint(c)
        return c.bytes
    }

    func restore(_ bytes: [UInt8], into r: inout Run) throws {
        let c = Checkpoint(restoring: bytes)
        try r.m.checkpoint(c)
        try r.w.checkpoint(c)
        try r.e.checkpoint(c)
        XCTAssertTrue(c.atEnd)
    }

    static let cases: [(String, [String: String])] = [
        ("random", [:]),
        ("mix:kbuild+contig", [:]),
        ("mix:jemalloc-purge+thp", ["cpus": "shared", "a.heap": "15"]),  // at its limit after 25,000 operations, not after 9,000
        ("exit-avalanche", ["pages": "2000"]),
        ("stream", ["order": "0", "readers": "2", "rate": "100000", "file_mb": "256"]),
        ("fragment", ["mib": "32", "thps": "30", "madvise": "1"]),
    ]

    /// A value of `range` next to `v`.
    static func offDefault(_ v: Int, _ range: ClosedRange<Int>) -> Int { v == range.upperBound ? v - 1 : v + 1 }

    func testRestoredMachineMatchesFieldForField() throws {
        for policy in Policy.allCases {
            for (name, params) in CheckpointCoverageTests.cases {
                fixedArrayCensus = FixedArrayCensus()
                defer { fixedArrayCensus = nil }
                var a = try run(name, params, policy: policy, seed: 1, ops: 25_000)
                try a.e.check(after: "the run")  // the checker's memory is saved too
                let bytes = try save(&a)
                let missed = fixedArrayCensus!.alive.filter { !fixedArrayCensus!.visited.contains($0.key) }
                XCTAssertEqual(missed.count, 0, "\(policy) \(name): buffers of \(missed.values.sorted()) elements are neither saved nor derived")
                var b = try run(name, params, policy: policy == .baseline ? .pcpBuddy : .baseline, seed: 99, ops: 9_000) { m in
                    // Every knob off its default (swappiness was once left out and kept 60).
                    for k in Knobs.bounded { m.knobs[keyPath: k.key] = Self.offDefault(m.knobs[keyPath: k.key], k.range) }
                    for k in Knobs.khugepagedBounded { m.knobs.khugepaged[keyPath: k.key] = Self.offDefault(m.knobs.khugepaged[keyPath: k.key], k.range) }
                    try m.setStatInterval(jiffies: 3 * K.hz)
                    m.setLowmemReserveRatio([100, 100, 100])
                    m.setTHP(.madvise)
                    m.setTHPDefrag(.always)
                    m.setUserReserveKbytes(12345)
                    m.setAdminReserveKbytes(2345)
                    try m.setWatermarkScaleFactor(77)
                    try m.setMinFreeKbytes(3000)
                    try m.setPercpuPagelistHighFraction(9)
                    try m.setAccepted("dirty_ratio", 33, valid: true, clears: nil)
                    m.setPhase2LargestFirst(false)
                    m.setContigPCP(.takeFromPCP)
                    m.setRemoteFreeLock(.trylock)
                }
                try restore(bytes, into: &b)
                let da = Dump(Self.derived).walk(("machine", a.m), ("workload", a.w), ("engine", a.e))
                let db = Dump(Self.derived).walk(("machine", b.m), ("workload", b.w), ("engine", b.e))
                for field in ["machine.knobs.minFreeKbytes", "machine.knobs.swappiness", "machine.pcpBuddyOptions.contigPCP", "machine.zones.0.watermarkBoost", "machine.kswapd.0.failures", "machine.policyObject",
                              "workload.", "engine.rng.state", "engine.sampler.every", "engine.checker.lastEvents.0"] {
                    XCTAssertTrue(da.contains { $0.hasPrefix(field) }, "the walk reaches \(field)")
                }
                XCTAssertEqual(da.count, db.count, "\(policy) \(name): the walks differ in length")
                let diff = zip(da, db).first { $0 != $1 }
                XCTAssertNil(diff, "\(policy) \(name): \(diff.map { "\($0.0) in the saved machine, \($0.1) in the restored one" } ?? "")")
                XCTAssertEqual(try save(&b), bytes, "\(policy) \(name): a restored machine saves the same bytes")
                try InvariantChecker().check(b.m, after: "a restore")
                if diff != nil || !missed.isEmpty { return }
            }
        }
    }
}

extension CheckpointCoverageTests {
    /// A padded buffer element's fields and named padding cover its whole stride, so the
    /// checkpoint zeroes every byte no field uses (a field added or widened moves the padding,
    /// and this fails instead of the file saving stack garbage again).
    func testPaddingIsEveryByteNoFieldUses() {
        func size<T>(_: T) -> Int { MemoryLayout<T>.size }
        func covered<T: PaddedCheckpointElement>(_ v: T) -> Int {
            Mirror(reflecting: v).children.reduce(0) { $0 + size($1.value) } + T.padding.reduce(0) { $0 + $1.count }
        }
        XCTAssertEqual(covered(PageblockData.initial), MemoryLayout<PageblockData>.stride)
        XCTAssertEqual(covered(PerCPUPages()), MemoryLayout<PerCPUPages>.stride)
    }
}

/// Every stored value reachable from some roots, by reflection, as "path = value" lines;
/// fields named in `skip` and objects already seen are not walked again.
struct Dump {
    let skip: [String: String]
    var lines: [String] = []
    var seen: Set<ObjectIdentifier> = []

    init(_ skip: [String: String]) { self.skip = skip }

    func walk(_ roots: (String, Any)...) -> [String] {
        var d = self
        for (name, v) in roots { d.visit(name, v) }
        return d.lines
    }

    mutating func visit(_ path: String, _ v: Any) {
        let m = Mirror(reflecting: v)
        if m.displayStyle == .class {
            let id = ObjectIdentifier(v as AnyObject)
            if seen.contains(id) { return }
            seen.insert(id)
        }
        if m.displayStyle == .optional, let some = m.children.first { visit(path, some.value); return }
        if m.children.isEmpty || m.displayStyle == .enum {
            lines.append("\(path) = \(String(describing: v))")
            return
        }
        if m.displayStyle == .dictionary {
            // In key order: two equal dictionaries may iterate differently.
            lines.append("\(path) = " + m.children.map { String(describing: $0.value) }.sorted().joined(separator: ", "))
            return
        }
        var k = 0
        var mirror: Mirror? = m
        while let mm = mirror {
            for c in mm.children {
                let label = c.label ?? "\(k)"
                k += 1
                if skip[label] != nil { continue }
                visit(path + "." + label, c.value)
            }
            mirror = mm.superclassMirror
        }
    }
}
