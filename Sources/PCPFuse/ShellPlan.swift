import Foundation

/// What `pcpsim shell` does to the command's /proc and /sys: every file the mount serves is
/// bound over the host's (whole directories where the mount serves the whole directory, so
/// that nothing of the host's shows there), every other writable tree a memory tool might
/// write is read-only, and the rest still comes from the host.
public struct ShellPlan {
    /// Directories the simulation replaces whole: the host's entries there disappear.
    public static let wholeDirectories = ["proc/sys/vm", "proc/pressure", "sys/devices/system/node", "sys/kernel/mm",
                                          "sys/kernel/debug", "sys/kernel/tracing"]
    /// Made read-only before the simulation is bound (EROFS to any write): sysfs with every
    /// mount under it (cgroups included), the other sysctls, and sysrq.
    public static let readOnlyTrees = ["/sys", "/proc/sys", "/proc/sysrq-trigger"]
    /// Files memory tools read that the simulation does not serve: they still show the host.
    public static let hostFiles = [
        "/proc/cpuinfo", "/proc/slabinfo", "/proc/kpageflags", "/proc/kpagecount", "/proc/iomem",
        "/proc/interrupts", "/proc/softirqs", "/proc/diskstats", "/proc/PID/* (smaps, status, numa_maps, ...)",
        "/sys/devices/system/cpu/cpuN/*", "/sys/devices/system/memory/*", "/sys/fs/cgroup/* (read-only)",
    ]

    /// Host path (file or directory) ← mount path.
    public private(set) var binds: [(source: String, target: String)] = []
    /// Served paths with no host file or directory to bind over, and why.
    public private(set) var unbound: [(path: String, reason: String)] = []
    public var readOnly: [String] { ShellPlan.readOnlyTrees }

    /// The plan for the pcpsim mount at `mount` serving `files` (relative paths). `exists`
    /// says whether a host path exists.
    public init(mount: String, files: [String], exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) {
        var done = Set<String>()
        for f in files.sorted() {
            let unit = ShellPlan.wholeDirectories.first { f.hasPrefix($0 + "/") } ?? f
            guard done.insert(unit).inserted else { continue }
            if exists("/" + unit) {
                binds.append((mount + "/" + unit, "/" + unit))
            } else {
                unbound.append(("/" + unit, "not on this host"))
            }
        }
    }

    /// The files under `mount`, relative.
    public static func files(in mount: String) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for top in ["proc", "sys"] {
            for sub in (try? fm.subpathsOfDirectory(atPath: mount + "/" + top)) ?? [] {
                var dir: ObjCBool = false
                if fm.fileExists(atPath: mount + "/" + top + "/" + sub, isDirectory: &dir), !dir.boolValue { out.append(top + "/" + sub) }
            }
        }
        return out
    }

    /// `pcpsim shell --list`: what is simulated, what is masked read-only, what is the host's.
    public func listing(files: [String]) -> String {
        var out = "simulated (bound from the mount):\n"
        for b in binds {
            let inside = files.filter { $0.hasPrefix(String(b.target.dropFirst()) + "/") }.count
            out += "  \(b.target)" + (inside > 0 ? "/ (\(inside) files; the host's entries there are hidden)" : "") + "\n"
        }
        out += "masked read-only (writes fail with EROFS):\n"
        for t in readOnly { out += "  \(t)" + (t.hasSuffix("trigger") ? "" : " (every file not simulated)") + "\n" }
        out += "still the host's (read-only where masked above):\n"
        for h in ShellPlan.hostFiles { out += "  \(h)\n" }
        if !unbound.isEmpty {
            out += "served but not bound (no such path on this host):\n"
            for u in unbound { out += "  \(u.path)\n" }
        }
        return out
    }
}
