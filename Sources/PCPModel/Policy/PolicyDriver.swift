/// A machine's entry points, specialised for its design.
///
/// The machine keeps its design's type as an existential metatype and makes one of these calls
/// per operation: the only dynamic dispatch of the operation. Each design's conformance sees
/// its concrete type, so the generic shared paths below it are specialised and its hooks are
/// direct calls. Implemented once, here, for every design. The order-0 fast path's pieces
/// below the entry points (rmqueuePCP, free_frozen_page_commit, prep_new_page) are
/// `@inline(always)` (SE-0496): the optimiser's size limit left them out of line under
/// `@inline(__always)`, a call and its spills each.
protocol PolicyDriver: AnyObject {
    static func allocPages(_ m: Machine, cpu: Int, order: Int, kind: AllocKind, gfp: GFPClass) -> PageRef?
    static func freePages(_ m: Machine, cpu: Int, _ ref: PageRef, order: Int, pcpLockHeld: Bool) throws(FreeError)
    static func drainAllPages(_ m: Machine, cpu: Int, zone: Zone?)
    static func vmstatUpdate(_ m: Machine)
    static func allocContigRange(_ m: Machine, cpu: Int, zone: Int, startPFN: Int, order: Int, kind: AllocKind) -> (ContigResult, [PageRef])
    /// The machine's design as an existential, for the paths that run rarely (boot, imports,
    /// checks, figures, switches).
    static func current(_ m: Machine) -> any AllocatorPolicy
}

extension AllocatorPolicy {
    /// The machine's design as this type, for one operation. The machine owns it; borrowing it
    /// here costs no reference counting, which an existential call on a stored property would.
    @inline(__always) static func borrow<R>(_ m: Machine, _ body: (Self) -> R) -> R {
        Unmanaged.passUnretained(m.policyObject)._withUnsafeGuaranteedRef { body(unsafeDowncast($0, to: Self.self)) }
    }

    @inline(__always) static func allocPages(_ m: Machine, cpu: Int, order: Int, kind: AllocKind, gfp: GFPClass) -> PageRef? {
        borrow(m) { m.allocPages($0, cpu: cpu, order: order, kind: kind, gfp: gfp) }
    }

    @inline(__always) static func freePages(_ m: Machine, cpu: Int, _ ref: PageRef, order: Int, pcpLockHeld: Bool) throws(FreeError) {
        try borrow(m) { p in
            Result { () throws(FreeError) in try m.freePages(p, cpu: cpu, ref, order: order, pcpLockHeld: pcpLockHeld) }
        }.get()
    }

    static func drainAllPages(_ m: Machine, cpu: Int, zone: Zone?) { borrow(m) { m.drainAllPages($0, cpu: cpu, zone: zone) } }

    static func vmstatUpdate(_ m: Machine) { borrow(m) { m.vmstatUpdate($0) } }

    static func allocContigRange(_ m: Machine, cpu: Int, zone: Int, startPFN: Int, order: Int, kind: AllocKind) -> (ContigResult, [PageRef]) {
        borrow(m) { m.allocContigRange($0, cpu: cpu, zone: zone, startPFN: startPFN, order: order, kind: kind) }
    }

    static func current(_ m: Machine) -> any AllocatorPolicy { unsafeDowncast(m.policyObject, to: Self.self) }
}

extension Machine {
    /// The running design, for the rare paths.
    var driver: any AllocatorPolicy { policy.type.current(self) }
}
