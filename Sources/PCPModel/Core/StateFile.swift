/// The envelope of a saved machine: a magic, a format version, the payload's length and its
/// CRC-32, then the payload (`Checkpoint`'s bytes). A file that is not one, is of another
/// version, is cut short or has a flipped bit is refused before anything is read from it.
public enum StateFile {
    static let magic = Array("PCPSIMST".utf8)
    /// Bump whenever what a checkpoint writes changes: an older or newer file is refused.
    /// 9: page entries by page index, each MAX_ORDER block's first page's after them.
    /// 8: page entries by page index, each MAX_ORDER block's first 8 after them.
    /// 7: vm.swappiness and the contig_pcp switch (a restore had kept their defaults).
    /// 6: a replay's tick records with their drains.
    /// 5: a trace replay's count of pages taken where the kernel's refill shows a list empty.
    /// 4: each CPU's iowait time.
    /// 3: page and LRU entries packed (one entry per page, one per folio).
    /// 2: the invariant checker's memory, the mount's boot time, held blocks field by field.
    public static let formatVersion: UInt32 = 9
    /// Magic, version, a reserved word, the payload's length and its CRC-32.
    public static let headerBytes = 8 + 4 + 4 + 8 + 4

    /// The file's bytes for `payload`.
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(headerBytes + payload.count)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(formatVersion)
        put(UInt32(0))
        put(UInt64(payload.count))
        put(CRC32.checksum(payload))
        out += payload
        return out
    }

    /// The payload of a state file's bytes, or why they are refused.
    public static func decode(_ bytes: [UInt8]) throws(CheckpointError) -> [UInt8] {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw CheckpointError("not a pcpsim state file (no PCPSIMST magic)")
        }
        guard bytes.count >= headerBytes else { throw CheckpointError("truncated: the header is cut short") }
        func get<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            var v = T.zero
            withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: bytes[at..<(at + MemoryLayout<T>.size)]) }
            return T(littleEndian: v)
        }
        let version = get(8, UInt32.self)
        guard version == formatVersion else {
            throw CheckpointError("state format version \(version); this pcpsim reads version \(formatVersion) only")
        }
        let length = get(16, UInt64.self), crc = get(24, UInt32.self)
        guard length == UInt64(bytes.count - headerBytes) else {
            throw CheckpointError("truncated or padded: the header promises \(length) bytes of state, the file has \(bytes.count - headerBytes)")
        }
        let payload = Array(bytes[headerBytes...])
        guard CRC32.checksum(payload) == crc else { throw CheckpointError("damaged: the checksum does not match the contents") }
        return payload
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and gzip compute it), eight bytes a step.
enum CRC32 {
    static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xFF)] }
        }
        return t
    }()

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        let flat = tables.flatMap { $0 }
        return flat.withUnsafeBufferPointer { t in
            bytes.withUnsafeBytes { p in
                var c: UInt32 = 0xFFFF_FFFF
                var i = 0
                while i + 8 <= p.count {
                    let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let lo = UInt32(truncatingIfNeeded: w) ^ c, hi = UInt32(truncatingIfNeeded: w >> 32)
                    c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                        ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                        ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                        ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                    i += 8
                }
                while i < p.count {
                    c = t[Int((c ^ UInt32(p[i])) & 0xFF)] ^ (c >> 8)
                    i += 1
                }
                return ~c
            }
        }
    }
}
