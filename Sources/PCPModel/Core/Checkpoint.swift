/// A checkpoint of a whole machine being written or read: the one visitor each component's
/// `checkpoint(_:)` is written against, so saving and restoring a field is the same one line
/// (`try c.sync(&field)`) and the two directions cannot drift apart.
///
/// Saving appends little-endian bytes; restoring reads them back in the same order into a
/// freshly built machine of the same description, and throws at the first thing that does not
/// fit (the caller then drops that machine: nothing is ever loaded half-way). Flat buffers are
/// dumped raw, with all-zero 4 KiB runs left out, so a lazily booted terabyte costs what it
/// touched. The file around the bytes (magic, version, checksum) is `StateFile`.
public final class Checkpoint {
    public let isSaving: Bool
    /// Restoring bytes this process saved from a live machine moments ago (an aged machine
    /// shared by several runs): the whole-machine scans that guard against a damaged or foreign
    /// file are skipped, the field-by-field reading is the same.
    public let trusted: Bool
    /// Saving: the bytes so far. Restoring: the bytes being read.
    public private(set) var bytes: [UInt8]
    private var position = 0

    /// A checkpoint to save into.
    public init() {
        isSaving = true
        trusted = false
        bytes = []
    }

    /// A checkpoint to restore from `payload`.
    public init(restoring payload: [UInt8], trusted: Bool = false) {
        isSaving = false
        bytes = payload
        self.trusted = trusted
    }

    /// Restoring a payload that did not come from this process: scan what was read.
    var validates: Bool { !isSaving && !trusted }

    /// Restoring: the machine read so far, for components that refer to its pages.
    var restoredMachine: Machine?

    /// Restoring: refuses references to pages outside the restored machine (what a workload
    /// holds, or a replay maps).
    func checkRefs(_ refs: some Sequence<PageRef>) throws(CheckpointError) {
        guard !isSaving, let m = restoredMachine else { return }
        for r in refs where !m.hasPage(r) { throw CheckpointError("a block (zone \(r.zone), page \(r.index)) lies outside the machine") }
    }

    /// Restoring: every byte was read.
    public var atEnd: Bool { position == bytes.count }

    /// The same field in both directions.
    @inline(__always) public func sync<T: CheckpointValue>(_ x: inout T) throws(CheckpointError) {
        if isSaving { x.write(to: self) } else { x = try T.read(from: self) }
    }

    /// A value the machine's description fixes (a size, a CPU count): saved, and on restore
    /// required to be the same.
    public func check<T: CheckpointValue & Equatable>(_ x: T, _ what: String) throws(CheckpointError) {
        if isSaving { x.write(to: self); return }
        let v = try T.read(from: self)
        guard v == x else { throw CheckpointError("\(what) is \(v) in the state file but \(x) here") }
    }

    /// A named marker between components: a restore that lost its place stops here with a
    /// message naming where, instead of reading one component's bytes as another's.
    public func section(_ name: String) throws(CheckpointError) {
        var s = name
        if isSaving { s.write(to: self); return }
        s = try String.read(from: self)
        guard s == name else { throw CheckpointError("expected the \(name) section, found \(s.prefix(40).debugDescription)") }
    }

    /// A flat buffer, in place: its length and element size must match; its bytes are written
    /// in 4 KiB runs, each flagged all-zero (left out) or present.
    public func sync<E: BitwiseCopyable>(_ a: borrowing FixedArray<E>) throws(CheckpointError) {
        try check(a.count, "a buffer's length")
        try check(MemoryLayout<E>.stride, "a buffer's element size")
        let raw = a.rawBytes
        fixedArrayCensus?.visit(raw.baseAddress)
        if isSaving, let padded = E.self as? any PaddedCheckpointElement.Type { Checkpoint.zeroPadding(raw, stride: MemoryLayout<E>.stride, padded.padding) }
        let run = Checkpoint.runBytes
        var at = 0
        while at < raw.count {
            let n = min(run, raw.count - at)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: raw[at..<(at + n)])
            if isSaving {
                let zero = Checkpoint.isZero(UnsafeRawBufferPointer(chunk))
                bytes.append(zero ? 0 : 1)
                if !zero { bytes.append(contentsOf: UnsafeRawBufferPointer(chunk)) }
            } else {
                switch try readByte() {
                case 0:
                    // Untouched pages of a mapped buffer read as zero and stay unmapped.
                    if !Checkpoint.isZero(UnsafeRawBufferPointer(chunk)) { chunk.initializeMemory(as: UInt8.self, repeating: 0) }
                case 1: try readRaw(into: chunk)
                case let f: throw CheckpointError("a buffer run is flagged \(f), not 0 or 1")
                }
            }
            at += n
        }
    }

    /// A buffer the machine's description rebuilds, or that lives only within one operation:
    /// not saved. Naming it here says so (`CheckpointCoverageTests` holds every buffer to it).
    public func derived<E: BitwiseCopyable>(_ a: borrowing FixedArray<E>) {
        fixedArrayCensus?.visit(a.rawBytes.baseAddress)
    }

    static let runBytes = 4096

    /// Clears the padding bytes of every element in place (a byte already zero is only read,
    /// so untouched pages of a mapped buffer stay unmapped).
    static func zeroPadding(_ raw: UnsafeMutableRawBufferPointer, stride: Int, _ padding: [Range<Int>]) {
        var at = 0
        while at + stride <= raw.count {
            for r in padding { for k in r where raw[at + k] != 0 { raw[at + k] = 0 } }
            at += stride
        }
    }

    static func isZero(_ p: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i + 8 <= p.count {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
            i += 8
        }
        while i < p.count { if p[i] != 0 { return false }; i += 1 }
        return true
    }

    // Raw bytes.

    public func writeRaw(_ p: UnsafeRawBufferPointer) { bytes.append(contentsOf: p) }

    public func readRaw(into p: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
        guard p.count <= bytes.count - position else { throw CheckpointError("the state ends early") }
        bytes.withUnsafeBytes { src in
            p.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[position..<(position + p.count)]))
        }
        position += p.count
    }

    /// `readRaw` for closures that cannot throw a typed error.
    func readRawReporting(into p: UnsafeMutableRawBufferPointer) -> CheckpointError? {
        do { try readRaw(into: p); return nil } catch { return error }
    }

    func readByte() throws(CheckpointError) -> UInt8 {
        guard position < bytes.count else { throw CheckpointError("the state ends early") }
        position += 1
        return bytes[position - 1]
    }

    /// A count read back, refused when it could not fit in what is left (so a damaged length
    /// never allocates gigabytes).
    func readCount(elementBytes: Int) throws(CheckpointError) -> Int {
        let n = try Int.read(from: self)
        guard n >= 0, n <= (bytes.count - position) / max(1, elementBytes) else {
            throw CheckpointError("a length of \(n) does not fit in the state")
        }
        return n
    }
}

/// Why a state could not be restored: one line for the user.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a checkpoint can hold as a value: written and read back whole.
public protocol CheckpointValue {
    func write(to c: Checkpoint)
    static func read(from c: Checkpoint) throws(CheckpointError) -> Self
    /// Plain bytes: arrays of these are written in one piece.
    static var isRaw: Bool { get }
}

extension CheckpointValue {
    public static var isRaw: Bool { false }
}

/// A flat buffer's element type with padding between or after its fields: the checkpoint
/// zeroes those bytes before saving them, so the same machine always saves the same bytes
/// (padding holds whatever the stack held when the element was last stored whole).
public protocol PaddedCheckpointElement: BitwiseCopyable {
    /// Byte ranges of one element (within its stride) that no field uses.
    static var padding: [Range<Int>] { get }
}

/// A plain value saved as its bytes (integers, flags, the model's BitwiseCopyable records).
/// Conforming is the whole work: `extension LockStats: RawCheckpointValue {}`.
public protocol RawCheckpointValue: CheckpointValue, BitwiseCopyable {}

extension RawCheckpointValue {
    public static var isRaw: Bool { true }
    @inline(__always) public func write(to c: Checkpoint) {
        var v = self
        withUnsafeBytes(of: &v) { c.writeRaw($0) }
    }
    @inline(__always) public static func read(from c: Checkpoint) throws(CheckpointError) -> Self {
        try withUnsafeTemporaryAllocation(of: Self.self, capacity: 1) { (p) throws(CheckpointError) -> Self in
            try c.readRaw(into: UnsafeMutableRawBufferPointer(p))
            return p[0]
        }
    }
}

extension Int: RawCheckpointValue {}
extension Int64: RawCheckpointValue {}
extension Int32: RawCheckpointValue {}
extension UInt64: RawCheckpointValue {}
extension UInt32: RawCheckpointValue {}
extension UInt16: RawCheckpointValue {}
extension UInt8: RawCheckpointValue {}
extension Double: RawCheckpointValue {}
extension Picoseconds: RawCheckpointValue {}

extension Bool: CheckpointValue {
    public func write(to c: Checkpoint) { UInt8(self ? 1 : 0).write(to: c) }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> Bool {
        switch try c.readByte() {
        case 0: false
        case 1: true
        case let b: throw CheckpointError("a flag is \(b), not 0 or 1")
        }
    }
}

extension String: CheckpointValue {
    public func write(to c: Checkpoint) {
        let u = Array(utf8)
        u.count.write(to: c)
        u.withUnsafeBytes { c.writeRaw($0) }
    }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> String {
        let n = try c.readCount(elementBytes: 1)
        var u = [UInt8](repeating: 0, count: n)
        if let e = u.withUnsafeMutableBytes({ c.readRawReporting(into: $0) }) { throw e }
        return String(decoding: u, as: UTF8.self)
    }
}

extension Array: CheckpointValue where Element: CheckpointValue {
    public func write(to c: Checkpoint) {
        count.write(to: c)
        if Element.isRaw {
            withUnsafeBytes { c.writeRaw($0) }
        } else {
            for e in self { e.write(to: c) }
        }
    }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> [Element] {
        let n = try c.readCount(elementBytes: Element.isRaw ? MemoryLayout<Element>.stride : 1)
        if Element.isRaw {
            var failure: CheckpointError?
            let a = [Element](unsafeUninitializedCapacity: n) { buf, done in
                failure = c.readRawReporting(into: UnsafeMutableRawBufferPointer(buf))
                done = failure == nil ? n : 0
            }
            if let failure { throw failure }
            return a
        }
        var a: [Element] = []
        a.reserveCapacity(n)
        for _ in 0..<n { a.append(try Element.read(from: c)) }
        return a
    }
}

extension Optional: CheckpointValue where Wrapped: CheckpointValue {
    public func write(to c: Checkpoint) {
        switch self {
        case .none: false.write(to: c)
        case .some(let v): true.write(to: c); v.write(to: c)
        }
    }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> Wrapped? {
        try Bool.read(from: c) ? try Wrapped.read(from: c) : nil
    }
}

/// Dictionaries in key order, so the same state always saves the same bytes.
extension Dictionary: CheckpointValue where Key: CheckpointValue & Comparable, Value: CheckpointValue {
    public func write(to c: Checkpoint) {
        let keys = self.keys.sorted()
        keys.write(to: c)
        keys.map { self[$0]! }.write(to: c)
    }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> [Key: Value] {
        let keys = try [Key].read(from: c), values = try [Value].read(from: c)
        guard keys.count == values.count, Set(keys).count == keys.count else { throw CheckpointError("a table's keys and values do not pair up") }
        return Dictionary(uniqueKeysWithValues: zip(keys, values))
    }
}

extension Set: CheckpointValue where Element: CheckpointValue & Comparable {
    public func write(to c: Checkpoint) { sorted().write(to: c) }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> Set<Element> { Set(try [Element].read(from: c)) }
}

/// An enum saved by its raw value; a raw value this build does not know is refused.
public protocol RawRepresentableCheckpointValue: CheckpointValue, RawRepresentable where RawValue: CheckpointValue {}

extension RawRepresentableCheckpointValue {
    public func write(to c: Checkpoint) { rawValue.write(to: c) }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> Self {
        let r = try RawValue.read(from: c)
        guard let v = Self(rawValue: r) else { throw CheckpointError("\(Self.self) has no value \(r)") }
        return v
    }
}

/// A component whose state lives in place (a class, or a noncopyable owner of buffers): it
/// saves and restores itself through the same visitor.
public protocol Checkpointable: AnyObject {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError)
}

/// A value-type component with fields of its own: one `sync` line per field.
public protocol CheckpointableValue {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError)
}

extension Checkpoint {
    /// A value-type component's fields.
    public func sync<T: CheckpointableValue>(fields x: inout T) throws(CheckpointError) { try x.checkpoint(self) }
    /// An array of value-type components: the count must match what was built.
    public func sync<T: CheckpointableValue>(each a: inout [T], _ what: String) throws(CheckpointError) {
        try check(a.count, what)
        for i in a.indices { try a[i].checkpoint(self) }
    }
}
