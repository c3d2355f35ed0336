import PCPModel

/// How the kernel reads numbers written to a sysctl: proc_skip_spaces, proc_get_long and the
/// loop of __do_proc_dointvec / __do_proc_doulongvec_minmax (kernel/sysctl.c, Linux 6.18).
/// `fixtures/knobs-6.18/` holds the real kernel's answers; `KnobReplayTests` replays them.
enum SysctlParse {
    /// The kernel's isspace(): \t \n \v \f \r, space, and 0xA0 (its ctype table is Latin-1).
    static func isSpace(_ c: UInt8) -> Bool { (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 }

    /// proc_wspace_sep: the only bytes allowed right after a number.
    static func isSeparator(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A }

    /// The handlers parse at most PAGE_SIZE - 1 bytes of a write, whatever its length.
    static let window = 4095
    /// proc_get_long copies at most TMPBUFLEN - 1 = 21 bytes; a number that fills them is refused.
    static let numberLimit = 21

    /// One number's magnitude and sign as proc_get_long reads it from `b[p..<end]`, and where
    /// it ends; nil for EINVAL (no digit, overflow of unsigned long, 21 characters, or a byte
    /// other than space, tab or newline right after it).
    static func getLong(_ b: [UInt8], _ p: Int, _ end: Int) -> (magnitude: UInt64, negative: Bool, next: Int)? {
        let size = end - p
        guard size > 0 else { return nil }
        let len = min(size, numberLimit)
        func at(_ i: Int) -> UInt8 { i < len ? b[p + i] : 0 }  // the kernel's copy is NUL-terminated
        var q = 0
        let negative = at(0) == UInt8(ascii: "-") && size > 1
        if negative { q = 1 }
        guard isDigit(at(q)) else { return nil }
        // _parse_integer_fixup_radix(): base 0, "0x" only before a hex digit.
        var base: UInt64 = 10
        if at(q) == UInt8(ascii: "0") {
            if at(q + 1) | 0x20 == UInt8(ascii: "x") && hexValue(at(q + 2)) != nil {
                base = 16
                q += 2
            } else {
                base = 8
            }
        }
        var value: UInt64 = 0
        var overflow = false
        while q < len, let d = hexValue(at(q)), d < base {
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(d)
            overflow = overflow || o1 || o2
            value = s
            q += 1
        }
        guard !overflow, q != numberLimit else { return nil }
        if q < size && !isSeparator(b[p + q]) { return nil }
        return (value, negative, p + q)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    static func hexValue(_ c: UInt8) -> UInt64? {
        if isDigit(c) { return UInt64(c - 0x30) }
        let l = c | 0x20
        return l >= 0x61 && l <= 0x66 ? UInt64(l - 0x61 + 10) : nil
    }

    /// What the loop of a vector handler made of one write at offset 0.
    struct Numbers {
        /// The converted values, in order, up to the first error.
        var values: [UInt64] = []
        /// An entry failed to parse or convert.
        var failed = false
        /// What the handler returns in *lenp: the write's length less what was left unparsed
        /// of its first 4095 bytes.
        var consumed = 0
        /// Nothing was parsed: the handler returns EINVAL without touching *lenp or *ppos.
        var refused: Bool { values.isEmpty }
    }

    /// __do_proc_dointvec's write loop over up to `max` entries: spaces, a number, the
    /// conversion `convert` (nil: EINVAL), then the spaces after the last entry.
    static func numbers(_ b: [UInt8], max: Int, convert: (UInt64, Bool) -> UInt64?) -> Numbers {
        var r = Numbers()
        let end = min(b.count, window)
        var p = 0
        while p < end && r.values.count < max {
            while p < end && isSpace(b[p]) { p += 1 }
            if p == end { break }
            guard let (m, neg, next) = getLong(b, p, end), let v = convert(m, neg) else {
                r.failed = true
                break
            }
            r.values.append(v)
            p = next
        }
        if !r.failed { while p < end && isSpace(b[p]) { p += 1 } }
        r.consumed = b.count - (end - p)
        return r
    }

    /// do_proc_dointvec_conv: an int, INT_MIN...INT_MAX (as a bit pattern).
    static func int(_ m: UInt64, _ neg: Bool) -> UInt64? {
        if neg { return m > UInt64(Int32.max) + 1 ? nil : UInt64(bitPattern: -Int64(m)) }
        return m > UInt64(Int32.max) ? nil : m
    }

    /// do_proc_dointvec_jiffies_conv: seconds up to INT_MAX / HZ either way, stored in jiffies.
    static func jiffies(_ m: UInt64, _ neg: Bool) -> UInt64? {
        guard m <= UInt64(Int32.max) / UInt64(K.hz) else { return nil }
        let j = Int64(m) * Int64(K.hz)
        return UInt64(bitPattern: neg ? -j : j)
    }

    /// __do_proc_doulongvec_minmax: no sign at all, not even "-0".
    static func ulong(_ m: UInt64, _ neg: Bool) -> UInt64? { neg ? nil : m }
}
