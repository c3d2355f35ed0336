import PCPModel

/// A knob write refused the way the kernel refuses it.
public enum KnobWriteError: Error, Equatable {
    /// EINVAL
    case invalid
    /// EACCES: the file is not writable (or not readable, for reads).
    case accessDenied
    /// ERANGE: a number too large for its type, from a store that passes kstrtoul's error on.
    case outOfRange
    /// ENOMEM: a sysctl write of KMALLOC_MAX_SIZE (4 MiB) or more (proc_sys_call_handler).
    case noMemory

    public var errno: Int32 {
        switch self {
        case .invalid: 22
        case .accessDenied: 13
        case .outOfRange: 34
        case .noMemory: 12
        }
    }

    /// strerror's text, for messages outside a filesystem.
    public var message: String {
        switch self {
        case .invalid: "Invalid argument"
        case .accessDenied: "Permission denied"
        case .outOfRange: "Numerical result out of range"
        case .noMemory: "Cannot allocate memory"
        }
    }
}

/// What a knob's text is read from: the machine's published snapshot, and a mount's own
/// controls.
public struct KnobView: Sendable {
    public var snapshot: Snapshot
    public var controls: MountControls
    public init(snapshot: Snapshot, controls: MountControls = MountControls()) {
        self.snapshot = snapshot
        self.controls = controls
    }
}

/// A parsed write, ready to be applied at the next event boundary.
public struct KnobWrite: Sendable {
    let apply: @Sendable (Machine, inout MountControls) throws -> Void
    /// What write() returns once the setter accepts the value.
    public var returned: Int
    /// Whether the file offset moves by `returned` (a vector write that parsed nothing does not).
    public var movesOffset = true
    /// Whether there is a value to set (a write at a non-zero offset, an empty one, or a
    /// check-only handler has none).
    public var setsValue = true

    /// A write taken without effect.
    static func ignored(_ returned: Int, movesOffset: Bool = true) -> KnobWrite {
        KnobWrite(apply: { _, _ in }, returned: returned, movesOffset: movesOffset, setsValue: false)
    }

    /// Runs the setter: the kernel's handler, or pcpsim's own for its files. A setter refuses
    /// a value (KnobError.invalid) before changing anything: EINVAL.
    public func apply(to m: Machine, controls: inout MountControls) throws(KnobWriteError) {
        do { try apply(m, &controls) } catch { throw .invalid }
    }

    /// Applies a write of a machine knob (`Knob.Scope.machine`), e.g. at boot.
    public func apply(to m: Machine) throws(KnobWriteError) {
        var none = MountControls()
        try apply(to: m, controls: &none)
    }
}

/// One served knob: its path, mode, how its text is parsed and shown, and the setter that
/// applies it. The setter alone holds the valid range.
public struct Knob: Sendable {
    /// What the setter changes: the machine (so it can be set at boot too), or only a
    /// running mount's own controls.
    public enum Scope: Sendable { case machine, mount }

    public let path: String
    public let mode: UInt16
    public let scope: Scope
    /// Reads and writes honour the offset (proc_dostring).
    public let anyOffset: Bool
    /// A vm sysctl the model stores but does not act on.
    public internal(set) var isAccepted = false
    /// An accepted knob: whether a stored value is one a write (or the boot default, or another
    /// knob's handler clearing it to 0) can leave, so that a restored state is checked too.
    var holdsValid: (@Sendable (UInt64) -> Bool)? = nil
    let text: (@Sendable (KnobView) -> String)?
    let parser: @Sendable ([UInt8]) throws(KnobWriteError) -> KnobWrite

    /// A sysctl under proc/sys, served with procfs' rules; else a sysfs or tracefs file.
    public var isSysctl: Bool { path.hasPrefix("proc/sys/") }

    /// The file's text, or nil for a write-only file.
    public func read(_ view: KnobView) -> String? { text?(view) }

    /// Parses written bytes as the kernel's handler does, synchronously; EACCES for a
    /// read-only file.
    public func parse(_ bytes: [UInt8]) throws(KnobWriteError) -> KnobWrite { try parser(bytes) }

    /// A write(2) of `bytes` at file offset `offset`, as the kernel takes it. For a sysctl
    /// (proc_sys_call_handler and the proc_do* handlers, sysctl_writes_strict = 1): 4 MiB or
    /// more is ENOMEM; an empty write returns 0; a write at a non-zero offset is taken whole and
    /// ignored, except by a handler that reads the offset itself. A sysfs store ignores writes
    /// past offset 0 too (kernfs hands it the offset; these stores take one value).
    public func write(_ bytes: [UInt8], at offset: Int) throws(KnobWriteError) -> KnobWrite {
        guard mode & 0o222 != 0 else { throw .accessDenied }
        if isSysctl && bytes.count >= 4 << 20 { throw .noMemory }
        if anyOffset { return try parse(bytes) }
        if bytes.isEmpty { return .ignored(0) }
        if offset != 0 { return .ignored(bytes.count) }
        return try parse(bytes)
    }

    /// A knob the machine's setter applies.
    static func machine<V: Sendable>(_ path: String, mode: UInt16 = 0o644, _ format: KnobFormat<V>, _ read: (@Sendable (Snapshot) -> V)?,
                                     _ set: @escaping @Sendable (Machine, V) throws -> Void) -> Knob {
        var text: (@Sendable (KnobView) -> String)?
        if let read { text = { view in format.show(read(view.snapshot)) } }
        return Knob(path: path, mode: mode, scope: .machine, anyOffset: format.anyOffset, isAccepted: false, text: text) { bytes throws(KnobWriteError) in
            let p = try format.parse(bytes)
            guard let v = p.value else { return .ignored(p.returned, movesOffset: p.movesOffset) }
            return KnobWrite(apply: { m, _ in try set(m, v) }, returned: p.returned, movesOffset: p.movesOffset)
        }
    }

    /// A read-only file of the machine (mode 0444: a write is EACCES at open).
    static func machine<V: Sendable>(readOnly path: String, _ format: KnobFormat<V>, _ read: @escaping @Sendable (Snapshot) -> V) -> Knob {
        Knob(path: path, mode: 0o444, scope: .machine, anyOffset: false, isAccepted: false, text: { view in format.show(read(view.snapshot)) }) { _ throws(KnobWriteError) in
            throw .accessDenied
        }
    }

    /// A vm sysctl: proc/sys/vm/NAME.
    static func vm<V: Sendable>(_ name: String, mode: UInt16 = 0o644, _ format: KnobFormat<V>, _ read: (@Sendable (Snapshot) -> V)?,
                                _ set: @escaping @Sendable (Machine, V) throws -> Void) -> Knob {
        machine("proc/sys/vm/" + name, mode: mode, format, read, set)
    }

    /// A vm sysctl the model does not act on: the kernel's handler (`format`) and range
    /// (`valid`, EINVAL outside), stored for read-back; `clears` names the knob the kernel's
    /// handler zeroes on a successful write (dirty_bytes and dirty_ratio, ...).
    static func accepted<V: Sendable>(_ name: String, mode: UInt16 = 0o644, _ format: KnobFormat<V>, _ initial: V, _ valid: ClosedRange<V>,
                                      clears: String? = nil) -> Knob where V: AcceptedValue {
        var k = vm(name, mode: mode, format, { V(bits: $0.knobs.accepted[name] ?? initial.bits) }) { m, v in
            try m.setAccepted(name, v.bits, valid: valid.contains(v), clears: clears)
        }
        k.isAccepted = true
        k.holdsValid = { bits in bits == 0 || V(bits: bits) == initial || valid.contains(V(bits: bits)) }
        return k
    }

    /// A file of the mount's own controls; read-only (EACCES) when it has no setter.
    static func mount<V: Sendable>(_ path: String, mode: UInt16 = 0o644, _ format: KnobFormat<V>, _ read: @escaping @Sendable (MountControls) -> V,
                                   _ set: (@Sendable (inout MountControls, V) throws -> Void)?) -> Knob {
        Knob(path: path, mode: mode, scope: .mount, anyOffset: false, isAccepted: false, text: { view in format.show(read(view.controls)) }) { bytes throws(KnobWriteError) in
            guard let set else { throw .accessDenied }
            let p = try format.parse(bytes)
            guard let v = p.value else { return .ignored(p.returned, movesOffset: p.movesOffset) }
            return KnobWrite(apply: { _, c in try set(&c, v) }, returned: p.returned)
        }
    }
}

/// A value an accepted knob stores: an int (its two's complement) or an unsigned long.
protocol AcceptedValue: Comparable, Sendable {
    var bits: UInt64 { get }
    init(bits: UInt64)
}

extension Int: AcceptedValue {
    var bits: UInt64 { UInt64(bitPattern: Int64(self)) }
    init(bits: UInt64) { self = Int(Int64(bitPattern: bits)) }
}

extension UInt64: AcceptedValue {
    var bits: UInt64 { self }
    init(bits: UInt64) { self = bits }
}
