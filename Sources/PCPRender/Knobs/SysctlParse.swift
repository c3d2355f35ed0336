/// Text parsing of sysctl writes as proc_dointvec_minmax does it (kernel/sysctl.c).
enum SysctlParse {
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C }

    /// Parses up to `max` integers separated by white space. A number is read like
    /// strtoul(base 0) with an optional '-', must end at white space or the end, and must fit
    /// an int. Returns the values parsed before the first error, and whether an error occurred.
    static func ints(_ bytes: [UInt8], max: Int) -> (values: [Int], failed: Bool) {
        var values: [Int] = []
        var p = 0
        while values.count < max {
            while p < bytes.count && isSpace(bytes[p]) { p += 1 }
            if p >= bytes.count { break }
            var neg = false
            if bytes[p] == UInt8(ascii: "-") { neg = true; p += 1 }
            guard let (v, next) = number(bytes, p) else { return (values, true) }
            p = next
            if p < bytes.count && !isSpace(bytes[p]) { return (values, true) }
            if neg ? v > Int(Int32.max) + 1 : v > Int(Int32.max) { return (values, true) }
            values.append(neg ? -v : v)
        }
        return (values, values.isEmpty)
    }

    /// strtoul with base 0: 0x hex, leading 0 octal, else decimal. nil when no digit.
    static func number(_ b: [UInt8], _ start: Int) -> (Int, Int)? {
        var p = start, base = 10
        if p + 1 < b.count && b[p] == UInt8(ascii: "0") && (b[p + 1] | 0x20) == UInt8(ascii: "x") {
            base = 16; p += 2
        } else if p < b.count && b[p] == UInt8(ascii: "0") {
            base = 8
        }
        var v = 0, digits = 0
        while p < b.count {
            let c = b[p] | 0x20
            let d: Int
            if b[p] >= 0x30 && b[p] <= 0x39 { d = Int(b[p] - 0x30) } else if c >= 0x61 && c <= 0x66 { d = Int(c - 0x61 + 10) } else { break }
            if d >= base { break }
            v = v * base + d
            if v > Int(UInt32.max) * 2 { v = Int(UInt32.max) * 2 }  // saturate: already out of range
            digits += 1; p += 1
        }
        return digits == 0 ? nil : (v, p)
    }

    /// One int, as a single-value proc_dointvec write. Empty or space-only input is EINVAL.
    static func int(_ bytes: [UInt8]) throws(KnobWriteError) -> Int {
        let r = ints(bytes, max: 1)
        if r.failed { throw .invalid }
        return r.values[0]
    }
}
