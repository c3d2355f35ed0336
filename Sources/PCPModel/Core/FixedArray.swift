import CPrefetch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one owner of every flat buffer in the model: a fixed number of plain elements in one
/// allocation, released when the array goes away.
///
/// Noncopyable, so each buffer has exactly one owner, is never copied by accident and is freed
/// once. Elements are read and written in place through addressors: no copy-on-write, no
/// reference counting, no exclusivity bookkeeping, and the index is checked in debug builds only.
///
/// `init(zeroed:)` maps anonymous memory for large arrays: the kernel hands out zero pages on
/// first touch, so the parts of an array that are never written cost no resident memory (what
/// a lazily initialised page store needs: a zero page state means "tail"). Mappings of
/// `hugeThreshold` bytes or more ask for transparent huge pages (MADV_HUGEPAGE): a large
/// machine's page entries are reached at random, and under these hosts' nested paging each
/// TLB miss's walk costs more than half as much again as the load it serves.
public struct FixedArray<Element: BitwiseCopyable>: ~Copyable {
    private let base: UnsafeMutablePointer<Element>
    public let count: Int
    /// Bytes obtained from mmap (0: from the heap).
    private let mappedBytes: Int

    /// Arrays at least this large are mapped rather than allocated by `init(zeroed:)`.
    static var mapThreshold: Int { 1 << 16 }
    /// Mapped arrays at least this large ask for huge pages: the per-pfn arrays of machines of
    /// 32 GiB or more (LRU links, 16 bytes a pfn; page entries from about 43 GiB). Smaller
    /// machines (the tests, the default mount) stay on base pages, where a sparse touch costs
    /// 4 KiB of resident memory rather than 2 MiB.
    static var hugeThreshold: Int { 128 << 20 }

    public init(repeating value: Element, count: Int) {
        precondition(count >= 0, "negative count \(count)")
        base = .allocate(capacity: count)
        base.initialize(repeating: value, count: count)
        self.count = count
        mappedBytes = 0
        fixedArrayCensus?.born(base, count)
    }

    public init(_ elements: some Collection<Element>) {
        count = elements.count
        base = .allocate(capacity: count)
        _ = UnsafeMutableBufferPointer(start: base, count: count).initialize(from: elements)
        mappedBytes = 0
        fixedArrayCensus?.born(base, count)
    }

    /// All-zero elements; large arrays are mapped on demand, so untouched parts stay free.
    /// Only for element types whose all-zero bit pattern is a meaningful value.
    public init(zeroed count: Int) {
        precondition(count >= 0, "negative count \(count)")
        self.count = count
        let bytes = count * MemoryLayout<Element>.stride
        guard bytes >= FixedArray.mapThreshold else {
            base = .allocate(capacity: count)
            UnsafeMutableRawPointer(base).initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            mappedBytes = 0
            fixedArrayCensus?.born(base, count)
            return
        }
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else {
            fatalError("pcpsim: cannot map \(bytes) bytes for a page array")
        }
        #if os(Linux)
        if bytes >= FixedArray.hugeThreshold { _ = madvise(p, bytes, MADV_HUGEPAGE) }
        #endif
        base = p.bindMemory(to: Element.self, capacity: count)
        mappedBytes = bytes
        fixedArrayCensus?.born(base, count)
    }

    deinit {
        fixedArrayCensus?.died(base)
        if mappedBytes > 0 { munmap(base, mappedBytes) } else { base.deallocate() }
    }

    @inline(__always) public subscript(i: Int) -> Element {
        unsafeAddress {
            debugCheck(UInt(bitPattern: i) < UInt(bitPattern: count), "index \(i) out of 0..<\(count)")
            return UnsafePointer(base + i)
        }
        nonmutating unsafeMutableAddress {
            debugCheck(UInt(bitPattern: i) < UInt(bitPattern: count), "index \(i) out of 0..<\(count)")
            return base + i
        }
    }

    /// Asks for element `i`'s cache line ahead of its use (no fault, no effect on values).
    @inline(__always) func prefetch(_ i: Int) { pcpsim_prefetch(base + i) }

    public var indices: Range<Int> { 0..<count }

    /// The elements' bytes, read and written in place by checkpoints.
    var rawBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base, count: count * MemoryLayout<Element>.stride)
    }

    /// The elements' address, for a read view that its owner keeps no longer than the array.
    func withBase<R>(_ body: (UnsafePointer<Element>) -> R) -> R { body(UnsafePointer(base)) }

    /// A copy of the elements, for snapshots and reports.
    public var elements: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// A longer array: these elements first, `value` after them.
    func grown(to newCount: Int, filling value: Element) -> FixedArray<Element> {
        let bigger = FixedArray(repeating: value, count: newCount)
        bigger.base.update(from: base, count: min(count, newCount))
        return bigger
    }
}

/// Tests only (`CheckpointCoverageTests`): the flat buffers alive, and those a checkpoint
/// visited (saved, or declared derived). Every buffer a machine, its engine and its workload
/// own must be visited, so a new buffer cannot be left out of checkpoints unnoticed.
nonisolated(unsafe) var fixedArrayCensus: FixedArrayCensus?

final class FixedArrayCensus {
    /// Live buffers with their element counts.
    var alive: [UnsafeRawPointer: Int] = [:]
    var visited: Set<UnsafeRawPointer> = []

    func born(_ p: UnsafeRawPointer, _ count: Int) { if count > 0 { alive[p] = count } }
    func died(_ p: UnsafeRawPointer) { alive[p] = nil; visited.remove(p) }
    func visit(_ p: UnsafeRawPointer?) { if let p { visited.insert(p) } }
}
