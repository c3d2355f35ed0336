import PCPModel

/// A knob write refused the way the kernel refuses it.
public enum KnobWriteError: Error, Equatable {
    /// EINVAL
    case invalid
    /// EACCES: the file is not writable (or not readable, for reads).
    case accessDenied
    /// ERANGE: a number too large for its type, from a store that passes kstrtoul's error on.
    case outOfRange

    public var errno: Int32 {
        switch self {
        case .invalid: 22
        case .accessDenied: 13
        case .outOfRange: 34
        }
    }

    /// strerror's text, for messages outside a filesystem.
    public var message: String {
        switch self {
        case .invalid: "Invalid argument"
        case .accessDenied: "Permission denied"
        case .outOfRange: "Numerical result out of range"
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
    let text: (@Sendable (KnobView) -> String)?
    let parser: @Sendable ([UInt8]) throws(KnobWriteError) -> KnobWrite

    /// The file's text, or nil for a write-only file.
    public func read(_ view: KnobView) -> String? { text?(view) }

    /// Parses written bytes as the kernel's handler does, synchronously; EACCES for a
    /// read-only file.
    public func parse(_ bytes: [UInt8]) throws(KnobWriteError) -> KnobWrite { try parser(bytes) }

    /// A knob the machine's setter applies.
    static func machine<V: Sendable>(_ path: String, mode: UInt16 = 0o644, _ format: KnobFormat<V>, _ read: (@Sendable (Snapshot) -> V)?,
                                     _ set: @escaping @Sendable (Machine, V) throws -> Void) -> Knob {
        var text: (@Sendable (KnobView) -> String)?
        if let read { text = { view in format.show(read(view.snapshot)) } }
        return Knob(path: path, mode: mode, scope: .machine, text: text) { bytes throws(KnobWriteError) in
            let v = try format.parse(bytes)
            return KnobWrite { m, _ in try set(m, v) }
        }
    }

    /// A read-only file of the machine (mode 0444: a write is EACCES at open).
    static func machine<V: Sendable>(readOnly path: String, _ format: KnobFormat<V>, _ read: @escaping @Sendable (Snapshot) -> V) -> Knob {
        Knob(path: path, mode: 0o444, scope: .machine, text: { view in format.show(read(view.snapshot)) }) { _ throws(KnobWriteError) in
            throw .accessDenied
        }
    }

    /// A vm sysctl: proc/sys/vm/NAME.
    static func vm<V: Sendable>(_ name: String, mode: UInt16 = 0o644, _ format: KnobFormat<V>, _ read: (@Sendable (Snapshot) -> V)?,
                                _ set: @escaping @Sendable (Machine, V) throws -> Void) -> Knob {
        machine("proc/sys/vm/" + name, mode: mode, format, read, set)
    }

    /// A file of the mount's own controls; read-only (EACCES) when it has no setter.
    static func mount<V: Sendable>(_ path: String, mode: UInt16 = 0o644, _ format: KnobFormat<V>, _ read: @escaping @Sendable (MountControls) -> V,
                                   _ set: (@Sendable (inout MountControls, V) throws -> Void)?) -> Knob {
        Knob(path: path, mode: mode, scope: .mount, text: { view in format.show(read(view.controls)) }) { bytes throws(KnobWriteError) in
            guard let set else { throw .accessDenied }
            let v = try format.parse(bytes)
            return KnobWrite { _, c in try set(&c, v) }
        }
    }
}
