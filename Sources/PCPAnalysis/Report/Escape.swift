/// Text escaping for the report. Workload names, machine descriptions and policy names come from
/// the user, and every <svg> must stay well-formed XML so it can be parsed and checked.
enum Escape {
    /// Escapes the characters special in HTML/XML text and quoted attribute values. Control
    /// characters XML 1.0 forbids (even as references) become U+FFFD.
    static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(c)
            case _ where c.value < 0x20 || c.value == 0xFFFE || c.value == 0xFFFF: out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
