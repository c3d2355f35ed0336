import PCPModel

/// What a handler made of a write at offset 0: the value to store (nil: nothing to store),
/// the count write() returns, and whether the file offset moves by it.
public struct Parsed<Value: Sendable>: Sendable {
    public var value: Value?
    public var returned: Int
    public var movesOffset = true
}

/// How one kind of knob file reads its written bytes into a value and shows a value as text:
/// the kernel's handler for that kind of file. Kept apart from the table so that each format
/// can be tested (and made kernel-exact) on its own.
public struct KnobFormat<Value: Sendable>: Sendable {
    public let parse: @Sendable ([UInt8]) throws(KnobWriteError) -> Parsed<Value>
    public let show: @Sendable (Value) -> String
    /// The handler reads and writes at any offset (proc_dostring and numa_zonelist_order's
    /// check); the numeric handlers ignore a write at a non-zero offset and read nothing there.
    public var anyOffset = false

    public init(anyOffset: Bool = false, parse: @escaping @Sendable ([UInt8]) throws(KnobWriteError) -> Parsed<Value>,
                show: @escaping @Sendable (Value) -> String) {
        self.anyOffset = anyOffset
        self.parse = parse
        self.show = show
    }

    /// A format whose whole write is taken: sysfs stores return the count.
    static func whole(_ parse: @escaping @Sendable ([UInt8]) throws(KnobWriteError) -> Value, show: @escaping @Sendable (Value) -> String) -> KnobFormat {
        KnobFormat(parse: { b throws(KnobWriteError) in Parsed(value: try parse(b), returned: b.count) }, show: show)
    }
}

extension KnobFormat where Value == Int {
    /// One number through `convert`: a single-entry proc_do*vec write. It returns what it
    /// consumed (the number and the spaces after it, e.g. 3 for "59 61"); nothing parsed is EINVAL.
    static func single(_ convert: @escaping @Sendable (UInt64, Bool) -> UInt64?, show: @escaping @Sendable (Int) -> String) -> KnobFormat {
        KnobFormat(parse: { b throws(KnobWriteError) in
            let r = SysctlParse.numbers(b, max: 1, convert: convert)
            guard let v = r.values.first else { throw .invalid }
            return Parsed(value: Int(Int64(bitPattern: v)), returned: r.consumed)
        }, show: show)
    }

    /// One int, as a single-value proc_dointvec(_minmax) file reads and prints it.
    public static var int: KnobFormat { single(SysctlParse.int) { "\($0)\n" } }

    /// proc_dointvec_jiffies: seconds written and read, jiffies stored (HZ = 250).
    public static var jiffies: KnobFormat { single(SysctlParse.jiffies) { "\($0 / K.hz)\n" } }

    /// proc_dobool: any int, stored as 0 or 1.
    public static var bool: KnobFormat {
        KnobFormat(parse: { b throws(KnobWriteError) in
            var p = try int.parse(b)
            p.value = p.value.map { $0 != 0 ? 1 : 0 }
            return p
        }, show: { "\($0)\n" })
    }
}

extension KnobFormat where Value == UInt64 {
    /// One unsigned long, as proc_doulongvec_minmax reads it: no sign, up to 2^64 - 1.
    public static var ulong: KnobFormat {
        KnobFormat(parse: { b throws(KnobWriteError) in
            let r = SysctlParse.numbers(b, max: 1, convert: SysctlParse.ulong)
            guard let v = r.values.first else { throw .invalid }
            return Parsed(value: v, returned: r.consumed)
        }, show: { "\($0)\n" })
    }
}

extension KnobFormat where Value == Int {
    /// An unsigned number as a sysfs store reads it with kstrtoul/kstrtouint(buf, 10): an
    /// optional '+', decimal digits, at most one trailing newline. A number that does not fit
    /// `bits` is ERANGE when the store returns that error (`rangeErrno`), else EINVAL as
    /// khugepaged's stores answer every parse error. Values beyond Int.max read as Int.max
    /// (every setter's range refuses them).
    public static func kstrtou(bits: Int, rangeErrno: Bool) -> KnobFormat {
        KnobFormat(parse: { b throws(KnobWriteError) in
            var s = b[...]
            if s.last == 0x0A { s = s.dropLast() }
            if s.first == UInt8(ascii: "+") { s = s.dropFirst() }
            guard !s.isEmpty, s.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .invalid }
            var v: UInt64 = 0
            var overflow = false
            for c in s {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
                overflow = overflow || o1 || o2
                v = a
            }
            if overflow || (bits < 64 && v >> UInt64(bits) != 0) { throw rangeErrno ? .outOfRange : .invalid }
            return Parsed(value: v > UInt64(Int.max) ? Int.max : Int(v), returned: b.count)
        }, show: { "\($0)\n" })
    }
}

extension KnobFormat where Value == [Int] {
    /// Up to `max` ints separated by white space, read back tab-separated. lowmem_reserve_ratio's
    /// 6.18 handler ignores what proc_dointvec_minmax returns: the entries parsed before an
    /// error are kept, and a write that parsed nothing returns its count without moving the
    /// file offset (the inner handler returned before updating *ppos).
    public static func partialInts(max: Int) -> KnobFormat {
        KnobFormat(parse: { b in
            let r = SysctlParse.numbers(b, max: max, convert: SysctlParse.int)
            if r.refused { return Parsed(value: nil, returned: b.count, movesOffset: false) }
            return Parsed(value: r.values.map { Int(Int64(bitPattern: $0)) }, returned: r.consumed)
        }, show: { $0.map(String.init).joined(separator: "\t") + "\n" })
    }
}

extension KnobFormat where Value: CaseIterable & RawRepresentable, Value.RawValue == String {
    /// A sysfs choice file: one of the words in (a trailing newline allowed, as sysfs_streq
    /// allows it), every word out with the current one in brackets.
    public static var choice: KnobFormat {
        .whole({ b throws(KnobWriteError) in
            guard let v = Value(rawValue: SysfsWord.text(b)) else { throw .invalid }
            return v
        }, show: { current in
            Value.allCases.map { $0 == current ? "[\($0.rawValue)]" : $0.rawValue }.joined(separator: " ") + "\n"
        })
    }
}

extension KnobFormat where Value == Double {
    /// A real number, one word (pcpsim's pace).
    public static var real: KnobFormat {
        .whole({ b throws(KnobWriteError) in
            guard let v = Double(SysfsWord.text(b)) else { throw .invalid }
            return v
        }, show: { "\($0)\n" })
    }
}

extension KnobFormat where Value == String {
    /// A line of text (read-only files).
    public static var line: KnobFormat {
        .whole({ SysfsWord.text($0) }, show: { $0 + "\n" })
    }

    /// numa_zonelist_order: proc_dostring to read (at any offset); a write is only checked,
    /// at any offset: text starting with d, D, n or N is taken whole without moving the
    /// offset, anything else (empty too) is EINVAL. The order stays "Node" (6.18 has no other).
    public static var zonelistOrder: KnobFormat {
        KnobFormat(anyOffset: true, parse: { b throws(KnobWriteError) in
            guard let c = b.first, "dDnN".utf8.contains(c) else { throw .invalid }
            return Parsed(value: nil, returned: b.count, movesOffset: false)
        }, show: { $0 + "\n" })
    }

    /// stat_refresh: any write is taken whole (the counters are folded), a read is empty.
    public static var refresh: KnobFormat {
        KnobFormat(parse: { b in Parsed(value: nil, returned: b.count) }, show: { _ in "" })
    }
}

/// A sysfs store's text: the bytes less one trailing newline.
enum SysfsWord {
    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.last == 0x0A ? bytes.dropLast() : bytes[...], as: UTF8.self)
    }
}
