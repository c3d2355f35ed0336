/// The engine's unit of virtual time. Costs such as 8.3 ns add up exactly in whole
/// picoseconds; the model and every report speak nanoseconds and seconds, and the conversions
/// between them are written here only.
public struct Picoseconds: Comparable, Hashable, Sendable, BitwiseCopyable {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }
    public init(ns: Int64) { value = ns * Picoseconds.perNanosecond }
    /// A cost given in nanoseconds, rounded to the nearest picosecond.
    init(roundingNs ns: Double) { value = Int64((ns * Double(Picoseconds.perNanosecond)).rounded()) }
    /// A time given in seconds, truncated to a picosecond.
    init(truncatingSeconds s: Double) { value = Int64(s * Picoseconds.perSecond) }

    static let perNanosecond: Int64 = 1000
    static let perSecond = 1e12
    public static let zero = Picoseconds(0)

    /// Whole nanoseconds, truncated (as lock_stat keeps them).
    public var ns: Int64 { value / Picoseconds.perNanosecond }
    /// Nanoseconds with the fraction kept.
    public var nsDouble: Double { Double(value) / Double(Picoseconds.perNanosecond) }
    public var seconds: Double { Double(value) / Picoseconds.perSecond }

    public static func < (a: Picoseconds, b: Picoseconds) -> Bool { a.value < b.value }
    public static func + (a: Picoseconds, b: Picoseconds) -> Picoseconds { Picoseconds(a.value + b.value) }
    public static func - (a: Picoseconds, b: Picoseconds) -> Picoseconds { Picoseconds(a.value - b.value) }
    public static func += (a: inout Picoseconds, b: Picoseconds) { a.value += b.value }
    /// `n` times a cost.
    public static func * (a: Picoseconds, n: Int) -> Picoseconds { Picoseconds(a.value * Int64(n)) }
}
