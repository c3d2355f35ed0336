/// RFC 2047 encoded words in mail headers: `=?UTF-8?q?caf=C3=A9?=`, `=?utf-8?B?Y2Fmw6k=?=`.
/// UTF-8, US-ASCII and ISO-8859-1 are decoded; a word in another charset, or one that does not
/// decode, is left as it was. Whitespace between two adjacent encoded words is dropped.
public enum RFC2047 {
    public static func decode(_ s: String) -> String {
        guard s.contains("=?") else { return s }
        var out = ""
        var pendingSpace = ""
        var lastWasEncoded = false
        var rest = Substring(s)
        while !rest.isEmpty {
            if rest.hasPrefix("=?"), let (word, after) = encodedWord(rest) {
                if !lastWasEncoded { out += pendingSpace }
                pendingSpace = ""
                out += word
                lastWasEncoded = true
                rest = after
                continue
            }
            let c = rest.removeFirst()
            if c == " " || c == "\t" {
                pendingSpace.append(c)
            } else {
                out += pendingSpace
                pendingSpace = ""
                out.append(c)
                lastWasEncoded = false
            }
        }
        return out + pendingSpace
    }

    /// The decoded text of the encoded word `rest` starts with, and what follows it.
    static func encodedWord(_ rest: Substring) -> (String, Substring)? {
        let parts = rest.dropFirst(2).split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[3].hasPrefix("="), parts[1].count == 1 else { return nil }
        let charset = parts[0].split(separator: "*").first.map { $0.lowercased() } ?? ""
        let text = parts[2]
        guard !text.contains(" "), !text.contains("\t") else { return nil }
        let bytes: [UInt8]?
        switch parts[1] {
        case "Q", "q": bytes = decodeQ(text)
        case "B", "b": bytes = decodeBase64(text)
        default: bytes = nil
        }
        guard let bytes else { return nil }
        let decoded: String
        switch charset {
        case "utf-8", "utf8", "us-ascii":
            let s = String(decoding: bytes, as: UTF8.self)
            guard Array(s.utf8) == bytes else { return nil }  // not valid UTF-8
            decoded = s
        case "iso-8859-1", "latin1", "iso8859-1":
            decoded = String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            return nil
        }
        return (decoded, parts[3].dropFirst())
    }

    /// Q encoding: `_` is a space, `=XX` a byte in hex, anything else itself.
    static func decodeQ(_ s: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var u = Array(s.utf8)[...]
        while let c = u.popFirst() {
            switch c {
            case UInt8(ascii: "_"): out.append(0x20)
            case UInt8(ascii: "="):
                guard u.count >= 2, let hi = hexValue(u.removeFirst()), let lo = hexValue(u.removeFirst()) else { return nil }
                out.append(hi << 4 | lo)
            default: out.append(c)
            }
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Base64, padding optional.
    static func decodeBase64(_ s: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for c in s.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                acc &= (1 << UInt32(bits)) - 1
            }
        }
        return out
    }
}
