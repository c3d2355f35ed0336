import Foundation
import PCPModel
import PCPScenario

enum Support {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// A fresh directory under the temporary directory.
    static func tempDir(_ name: String) -> String {
        let d = NSTemporaryDirectory() + "pcpsim-scenario-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: d)
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A small machine running a workload for a few thousand operations.
    static func small(_ workload: String = "jemalloc-purge", policy: Policy = .pcpBuddy) -> Scenario {
        var s = Scenario()
        s.machine = .x86(X86Machine(memory: try! ByteSize(parsing: "512M"), cpus: 4))
        s.policy = policy
        s.workload = WorkloadName(workload)!
        s.duration = .ops(5000)
        return s
    }
}
