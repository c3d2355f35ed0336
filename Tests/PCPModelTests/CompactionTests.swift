import XCTest
@testable import PCPModel

/// Compaction and migration on a fragmented anonymous region.
final class CompactionTests: XCTestCase {
    func fragmented(mib: Int = 256, memory: Int = 2 << 30) throws -> (Machine, Engine, Workload) {
        let m = try Machine(spec: .x86(memory: memory, cpus: 2))
        var w = try Workloads.make("fragment", machine: m, params: ["mib": "\(mib)"])
        let e = Engine(machine: m, seed: 1)
        try e.run(&w, ops: 10_000_000)
        return (m, e, w)
    }

    func testDebug() throws {
        let (m, _, _) = try fragmented(mib: 1024)
        let z = m.zones.first { $0.isPopulated && $0.type == .dma32 }!
        print("before", z.nrFree.elements, "pcp", m.pcpPagesTotal)
        try m.compactMemory(1)
        print("after", z.nrFree.elements, "pcp", m.pcpPagesTotal)
        print(m.events[VMEvent.pgmigrateSuccess.rawValue], m.events[VMEvent.compactMigrateScanned.rawValue], m.events[VMEvent.compactFreeScanned.rawValue])
    }
}
