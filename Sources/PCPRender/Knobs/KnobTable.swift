import PCPModel

/// A knob write refused the way the kernel refuses it.
public enum KnobWriteError: Error, Equatable {
    /// EINVAL
    case invalid
    /// EACCES: the file is not writable (or not readable, for reads).
    case accessDenied

    public var errno: Int32 {
        switch self {
        case .invalid: 22
        case .accessDenied: 13
        }
    }
}

/// A validated write, ready to be applied to the machine at the next event boundary.
public struct KnobWrite: Sendable {
    public let path: String
    let apply: @Sendable (Machine) throws -> Void

    /// Runs the kernel's handler: the recomputation that follows a successful write.
    public func apply(to m: Machine) throws { try apply(m) }
}

/// One writable file under proc/sys/vm or sys/kernel/mm.
public struct Knob: Sendable {
    public let path: String
    public let mode: UInt16
    /// The text a read returns (nil for write-only files).
    public let read: (@Sendable (Snapshot) -> String)?
    /// Validates the written bytes synchronously, as the kernel's handler would.
    public let parse: @Sendable ([UInt8]) throws -> KnobWrite
}

/// The knobs of Linux 6.18 that the model obeys.
public enum KnobTable {
    public static let all: [Knob] = [
        intKnob("min_free_kbytes", { $0.knobs.minFreeKbytes }, check: { $0 >= 0 }) { m, v in try m.setMinFreeKbytes(v) },
        intKnob("watermark_scale_factor", { $0.knobs.watermarkScaleFactor }, check: { (1...3000).contains($0) }) { m, v in try m.setWatermarkScaleFactor(v) },
        intKnob("watermark_boost_factor", { $0.knobs.watermarkBoostFactor }, check: { $0 >= 0 }) { m, v in try m.setWatermarkBoostFactor(v) },
        lowmemReserveRatio,
        intKnob("percpu_pagelist_high_fraction", { $0.knobs.percpuPagelistHighFraction }, check: { $0 == 0 || $0 >= K.minPercpuPagelistHighFraction }) { m, v in try m.setPercpuPagelistHighFraction(v) },
        intKnob("extfrag_threshold", { $0.knobs.extfragThreshold }, check: { (0...1000).contains($0) }) { m, v in try m.setExtfragThreshold(v) },
        intKnob("compaction_proactiveness", { $0.knobs.compactionProactiveness }, check: { (0...100).contains($0) }) { m, v in try m.setCompactionProactiveness(v) },
        intKnob("compact_unevictable_allowed", { $0.knobs.compactUnevictableAllowed }, check: { (0...1).contains($0) }) { m, v in try m.setCompactUnevictableAllowed(v) },
        intKnob("defrag_mode", { $0.knobs.defragMode }, check: { (0...1).contains($0) }) { m, v in try m.setDefragMode(v) },
        intKnob("numa_stat", { $0.knobs.numaStat }, check: { (0...1).contains($0) }) { m, v in try m.setNumaStat(v) },
        intKnob("zone_reclaim_mode", { $0.knobs.zoneReclaimMode }, check: { $0 >= 0 }) { m, v in try m.setZoneReclaimMode(v) },
        intKnob("stat_interval", { $0.knobs.statIntervalJiffies / 1000 }, check: { abs($0) <= Int(Int32.max) / 1000 }) { m, v in try m.setStatInterval(seconds: v) },
        intKnob("compact_memory", nil, mode: 0o200, check: { $0 == 1 }) { m, v in try m.compactMemory(v) },
        intKnob("drop_caches", nil, mode: 0o200, check: { $0 >= 1 }) { m, v in try m.dropCaches(v) },
        thpEnabled,
    ]

    /// Knobs by path (built once; not used on the model's hot paths).
    public static let byPath: [String: Knob] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })

    /// `vm.NAME` (or `vm/NAME`) as sysctl(8) names it, to a knob path.
    public static func path(forSysctl name: String) -> String? {
        let n = String(name.map { $0 == "." ? "/" : $0 })
        let p = n.hasPrefix("vm/") ? "proc/sys/" + n : n
        return byPath[p] != nil ? p : nil
    }

    static func intKnob(_ name: String, _ read: (@Sendable (Snapshot) -> Int)?, mode: UInt16 = 0o644,
                        check: @escaping @Sendable (Int) -> Bool,
                        set: @escaping @Sendable (Machine, Int) throws -> Void) -> Knob {
        let path = "proc/sys/vm/" + name
        var text: (@Sendable (Snapshot) -> String)?
        if let read { text = { s in String(read(s)) + "\n" } }
        return Knob(path: path, mode: mode, read: text) { bytes in
            let v = try SysctlParse.int(bytes)
            guard check(v) else { throw KnobWriteError.invalid }
            return KnobWrite(path: path) { m in try set(m, v) }
        }
    }

    /// lowmem_reserve_ratio as 6.18 handles it: the parse result is ignored, so garbage is
    /// "accepted" with no change and the reserves are recomputed anyway.
    static let lowmemReserveRatio = Knob(
        path: "proc/sys/vm/lowmem_reserve_ratio", mode: 0o644,
        read: { s in s.knobs.lowmemReserveRatio.map(String.init).joined(separator: "\t") + "\n" }
    ) { bytes in
        let values = SysctlParse.ints(bytes, max: K.nrZoneTypes).values
        return KnobWrite(path: "proc/sys/vm/lowmem_reserve_ratio") { m in m.setLowmemReserveRatio(values) }
    }

    /// sys/kernel/mm/transparent_hugepage/enabled: one of the words, trailing newline allowed.
    static let thpEnabled = Knob(
        path: "sys/kernel/mm/transparent_hugepage/enabled", mode: 0o644,
        read: { s in THPMode.allCases.map { $0 == s.knobs.thp ? "[\($0.rawValue)]" : $0.rawValue }.joined(separator: " ") + "\n" }
    ) { bytes in
        var b = bytes
        if b.last == 0x0A { b.removeLast() }
        guard let mode = THPMode(rawValue: String(decoding: b, as: UTF8.self)) else { throw KnobWriteError.invalid }
        return KnobWrite(path: "sys/kernel/mm/transparent_hugepage/enabled") { m in m.setTHP(mode) }
    }
}
