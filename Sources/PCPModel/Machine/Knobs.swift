/// The vm sysctls and sysfs switches the model obeys, with the kernel's defaults.
public struct Knobs: Equatable, Sendable {
    public var minFreeKbytes = 1024
    public var watermarkScaleFactor = 10
    public var watermarkBoostFactor = 15000
    public var lowmemReserveRatio = [256, 256, 32, 0, 0]
    public var percpuPagelistHighFraction = 0
    public var extfragThreshold = 500
    public var compactionProactiveness = 20
    public var compactUnevictableAllowed = 1
    public var swappiness = 60
    public var defragMode = 0
    /// stat_interval in jiffies at HZ (read back in seconds).
    public var statIntervalJiffies = K.hz
    public var numaStat = 1
    public var zoneReclaimMode = 0
    public var thp = THPMode.always
    public var thpDefrag = THPDefrag.madvise
    public var khugepaged = Khugepaged()
    /// user_reserve_kbytes and admin_reserve_kbytes: set at boot from the free memory
    /// (init_user_reserve, init_admin_reserve); overcommit accounting is not modelled.
    public var userReserveKbytes: UInt64 = 0
    public var adminReserveKbytes: UInt64 = 0
    /// The vm sysctls the model does not act on, by name, as written (ints as two's complement);
    /// a knob never written is absent and reads its default.
    public var accepted: [String: UInt64] = [:]
    public init() {}
}

/// /sys/kernel/mm/transparent_hugepage/enabled.
public enum THPMode: String, CaseIterable, Sendable {
    case always, madvise, never
    public var enabled: Bool { self != .never }
}

/// A write the kernel would refuse, with the errno it returns.
public enum KnobError: Error, Equatable {
    /// EINVAL (22).
    case invalid
}
