/// The lock sections one operation went through and the work done inside them, recorded for
/// the engine to price in virtual time. The model itself never looks at time: it only asks
/// whether a lock is free at the start of the operation (pcp_spin_trylock), which the engine
/// answers from its own schedule.
public final class LockTrace {
    /// Work the cost model prices.
    public enum Work: UInt64, Sendable {
        /// A block moved between a PCP and the buddy (or handed out) under zone->lock, per base page.
        case pageMoved = 0
        /// One buddy merge step.
        case mergeStep
        /// One split step (expand).
        case splitStep
        /// One PCP list insertion or removal.
        case listOp
    }

    /// Packed events: kind in the top 2 bits (0 acquire, 1 release, 2 work), payload below.
    /// A growable raw buffer: this is appended to on every lock operation.
    private(set) var buffer: UnsafeMutablePointer<UInt64>
    private(set) var capacity = 4096
    public private(set) var count = 0
    public var events: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: buffer, count: count) }
    /// Virtual time each lock becomes free, and the CPU that last held it, owned by the
    /// engine (nil: every trylock succeeds).
    var busyUntil: UnsafeMutablePointer<Int64>?
    var lastHolder: UnsafeMutablePointer<Int32>?
    /// The operation's start time in the engine's clock.
    var opStart: Int64 = 0

    public init() { buffer = .allocate(capacity: capacity) }
    deinit { buffer.deallocate() }

    @inline(__always) func append(_ e: UInt64) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: count)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        buffer[count] = e
        count += 1
    }

    @inline(__always) func acquire(_ lock: Int) { append(UInt64(lock)) }
    @inline(__always) func release(_ lock: Int) { append(1 << 62 | UInt64(lock)) }
    @inline(__always) func work(_ w: Work, _ n: Int) {
        if n > 0 { append(2 << 62 | w.rawValue << 48 | UInt64(n)) }
    }

    /// pcp_spin_trylock() by `cpu`: fails when another CPU holds the lock at the operation's
    /// start (a CPU never contends with its own earlier sections).
    @inline(__always) func trylock(_ lock: Int, by cpu: Int) -> Bool {
        guard let busy = busyUntil else { return true }
        return busy[lock] <= opStart || lastHolder?[lock] == Int32(cpu)
    }

    @inline(__always) public func reset() { count = 0 }

    public enum Event: Equatable, Sendable {
        case acquire(Int), release(Int), work(Work, Int)
    }

    @inline(__always) public static func decode(_ e: UInt64) -> Event {
        switch e >> 62 {
        case 0: .acquire(Int(e))
        case 1: .release(Int(e & (1 << 62 - 1)))
        default: .work(Work(rawValue: (e >> 48) & 0x3FFF)!, Int(e & (1 << 48 - 1)))
        }
    }
}
