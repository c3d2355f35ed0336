/// The kmem tracepoints the model fires, as structured events. The engine stamps them with
/// the CPU and time of the operation that fired them; a renderer prints the ftrace text.
public enum TraceEvent: Sendable, Equatable {
    /// mm_page_alloc (pfn -1: the allocation failed).
    case pageAlloc(pfn: Int, order: Int, mt: Int, kind: AllocKind, atomic: Bool)
    /// mm_page_free.
    case pageFree(pfn: Int, order: Int)
    /// mm_page_alloc_zone_locked, fired by __rmqueue_smallest().
    case zoneLocked(pfn: Int, order: Int, mt: Int, percpuRefill: Bool)
    /// mm_page_pcpu_drain, fired by free_pcppages_bulk() per block.
    case pcpuDrain(pfn: Int, order: Int, mt: Int)
    /// mm_page_alloc_extfrag, fired by a claim or a steal.
    case extfrag(pfn: Int, allocOrder: Int, fallbackOrder: Int, allocMT: Int, fallbackMT: Int, changeOwnership: Bool)
    /// mm_setup_per_zone_wmarks, fired per zone by __setup_per_zone_wmarks().
    case setupWmarks(nid: Int, zone: ZoneType, min: Int, low: Int, high: Int, promo: Int)

    /// The tracepoint's name under events/kmem/.
    public var name: String {
        switch self {
        case .pageAlloc: "mm_page_alloc"
        case .pageFree: "mm_page_free"
        case .zoneLocked: "mm_page_alloc_zone_locked"
        case .pcpuDrain: "mm_page_pcpu_drain"
        case .extfrag: "mm_page_alloc_extfrag"
        case .setupWmarks: "mm_setup_per_zone_wmarks"
        }
    }

    public static let names = ["mm_page_alloc", "mm_page_free", "mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
                               "mm_page_alloc_extfrag", "mm_setup_per_zone_wmarks"]
}

/// Collects fired tracepoints until the engine takes them.
public final class Tracer {
    @exclusivity(unchecked) public private(set) var events: [TraceEvent] = []
    public init() {}
    @inline(__always) func emit(_ e: TraceEvent) { events.append(e) }
    /// Hands the events fired since the last call to `body`, then clears them (keeping the
    /// buffer, unless `body` kept the array).
    func drain(_ body: ([TraceEvent]) -> Void) {
        body(events)
        events.removeAll(keepingCapacity: true)
    }
}
