import PCPModel

/// How one kind of knob file reads its written bytes into a value and shows a value as text:
/// the kernel's handler for that kind of file. Kept apart from the table so that each format
/// can be tested (and made kernel-exact) on its own.
public struct KnobFormat<Value: Sendable>: Sendable {
    public let parse: @Sendable ([UInt8]) throws(KnobWriteError) -> Value
    public let show: @Sendable (Value) -> String

    public init(parse: @escaping @Sendable ([UInt8]) throws(KnobWriteError) -> Value, show: @escaping @Sendable (Value) -> String) {
        self.parse = parse
        self.show = show
    }
}

extension KnobFormat where Value == Int {
    /// One int, as a single-value proc_dointvec file reads and prints it.
    public static var int: KnobFormat {
        KnobFormat(parse: { b throws(KnobWriteError) in try SysctlParse.int(b) }, show: { "\($0)\n" })
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
            return v > UInt64(Int.max) ? Int.max : Int(v)
        }, show: { "\($0)\n" })
    }
}

extension KnobFormat where Value == [Int] {
    /// Up to `max` ints separated by white space, read back tab-separated. The values parsed
    /// before an error are kept and the error dropped: lowmem_reserve_ratio's 6.18 handler
    /// ignores what proc_dointvec_minmax returns.
    public static func partialInts(max: Int) -> KnobFormat {
        KnobFormat(parse: { SysctlParse.ints($0, max: max).values },
                   show: { $0.map(String.init).joined(separator: "\t") + "\n" })
    }
}

extension KnobFormat where Value: CaseIterable & RawRepresentable, Value.RawValue == String {
    /// A sysfs choice file: one of the words in (a trailing newline allowed, as sysfs_streq
    /// allows it), every word out with the current one in brackets.
    public static var choice: KnobFormat {
        KnobFormat(parse: { b throws(KnobWriteError) in
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
        KnobFormat(parse: { b throws(KnobWriteError) in
            guard let v = Double(SysfsWord.text(b)) else { throw .invalid }
            return v
        }, show: { "\($0)\n" })
    }
}

extension KnobFormat where Value == String {
    /// A line of text (read-only files).
    public static var line: KnobFormat {
        KnobFormat(parse: { SysfsWord.text($0) }, show: { $0 + "\n" })
    }
}

/// A sysfs store's text: the bytes less one trailing newline.
enum SysfsWord {
    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.last == 0x0A ? bytes.dropLast() : bytes[...], as: UTF8.self)
    }
}
