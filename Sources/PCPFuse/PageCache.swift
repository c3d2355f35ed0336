import CFuse3
import Glibc
import Synchronization

/// The cached tier's content: for each snapshot file, the text that each of its kernel inodes
/// (its "generations") gives the kernel through attributes, READ replies and pushes.
///
/// procfs fixes a reader's text at its first read (seq_file): cat, a reader of 1 KiB chunks
/// (stdio uses procfs' st_blksize) and a read after the end all continue that one text. The
/// kernel's page cache has no per-open state, so each publication of a file that the kernel
/// may hold gets an inode of its own (a nodeid with the publication's generation in its top
/// bits; st_ino stays the file's): `contentChanged` points the name at the new inode
/// (`notify_inval_entry`; the next path walk asks LOOKUP, which gives the newest generation),
/// and an open binds to the inode its path walk found. An inode's text never changes while a
/// reader can be in the middle of it, so no read mixes two publications and a read at the end
/// of a text stays at the end.
///
/// A retired generation is forgotten by the kernel as soon as nobody holds it open. One that is
/// still held `retiredGrace` after its retirement (procps keeps /proc/vmstat open and reads it again at offset
/// 0) is brought to the newest text in a round that leaves the kernel holding nothing of it,
/// with no read() under way:
///
/// 1. Its GETATTRs and SETATTRs start to wait (their replies go out at the end of the round)
///    and its attributes are invalidated (`notify_inval_inode` with a negative offset): every
///    read() that starts now asks for attributes first (fuse_cache_read_iter), so it waits.
///    Those already past that check get a grace period to finish from the page cache.
/// 2. `notify_inval_inode` drops every page. It waits for pages that READs are filling; those
///    READs are served the old content and counted.
/// 3. If no READ was served since step 2 began, no page can have entered the cache after the
///    drop scanned past it: the text switches. Otherwise step 2 is repeated after a grace period.
///
/// Then, if the generation was read since its last switch and its new text is not shorter than
/// the size the kernel holds, the text is pushed into the page cache (`notify_store`), last page
/// first, so the push grows the size before any of its pages is visible. A reader that holds a
/// file open across a publication and reads it again later than `retiredGrace` after it sees
/// the new text whole; one that is still in the middle of the old text then (descheduled that
/// long between two read(2)s) could see pieces of two: the kernel gives the server no way to
/// tell it from a reader that starts again at offset 0.
///
/// Rounds run on the thread that calls `contentChanged`, never on the session's loop thread:
/// step 2 waits for READs, and the wait for forgets needs FORGETs, that only the loop handles.
final class PageCache: @unchecked Sendable {
    /// One kernel inode of a snapshot file.
    private struct Generation {
        /// The latched content; nil when nothing has been rendered since it was last dropped.
        var content: [UInt8]?
        /// Attributes or pages of `content` were given to the kernel since the last round.
        var exposed = false
        /// A round is running: READs are counted, GETATTRs wait in `waiting`.
        var inRound = false
        var readsInRound = 0
        /// The waiting requests (fuse_req_t as bit patterns: the lock holds only Sendable values).
        var waiting: [UInt] = []
        /// The size the kernel most likely holds: the last one sent in attributes or pushed.
        var kernelSize: Int?
        /// Read (or its attributes asked for) since the content last switched: worth pushing.
        var used = false
        /// LOOKUP replies the kernel has not forgotten: while above 0 it may hold the inode.
        var lookups = 0
        /// No longer the one a LOOKUP of the file gives.
        var retired = false
        /// When it was retired (CLOCK_MONOTONIC, microseconds).
        var retiredAt = 0
    }

    private struct State {
        /// By tree index: the nodeid a LOOKUP of the file gives now.
        var current: [fuse_ino_t]
        var generations: [fuse_ino_t: Generation] = [:]
        var nextGeneration: UInt64 = 1
    }

    private let table: any FileTable
    private let tree: FileTree
    private let state: Mutex<State>
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    /// The libfuse session and where it is mounted: set before it serves, cleared after it
    /// stopped, and used by `contentChanged()`, which the server never runs meanwhile.
    private var session: OpaquePointer?
    private var mountpoint = ""
    /// The thread running `contentChanged()` (0 when none): its own requests do not count as
    /// reads of a file.
    private let roundThread = Atomic<Int32>(0)
    /// How long a generation retired by a publication may stay held before a round brings it
    /// to the newest text (microseconds): the time a reader in the middle of it has to finish,
    /// and the longest a publication waits for such readers. 1 s: 16 Python readers on two
    /// loaded cores (scripts/soak) held a file across 200 ms about once in 200,000 reads.
    let retiredGrace = Atomic<Int>(1_000_000)

    /// How long a GETATTR may be cached (seconds): a reader of a dead server gets an error once
    /// it expires. Content changes do not wait for it: they switch inodes or invalidate.
    static let attributeSeconds = 0.5
    /// How long readers already past their attribute check get to finish before pages drop.
    static let graceMicroseconds: UInt32 = 2000
    /// Drops tried per change before leaving it to the next publication.
    static let maxRounds = 50

    /// The nodeid of generation `generation` of the tree's inode `ino` (generation 0 is `ino`).
    static func nodeid(_ ino: fuse_ino_t, generation: UInt64) -> fuse_ino_t { ino | generation << 32 }

    func attach(_ session: OpaquePointer?, at mountpoint: String) {
        self.session = session
        self.mountpoint = mountpoint
    }

    init(table: any FileTable, tree: FileTree) {
        self.table = table
        self.tree = tree
        state = Mutex(State(current: (0..<tree.nodes.count).map { fuse_ino_t($0 + 1) }))
    }

    private func own(_ request: fuse_req_t?) -> Bool {
        request.flatMap { fuse_req_ctx($0)?.pointee.pid } == roundThread.load(ordering: .relaxed)
    }

    /// The nodeid a LOOKUP of the tree's `ino` gives and its size, counted as a lookup (call
    /// `forget` if the reply does not reach the kernel), rendering the content if needed.
    func entry(_ ino: fuse_ino_t, _ node: FileTree.Node, for request: fuse_req_t?) -> (nodeid: fuse_ino_t, size: Int) {
        let own = own(request)
        return state.withLock { state in
            let nodeid = state.current[Int(ino - 1)]
            var generation = state.generations[nodeid] ?? Generation()
            let size = latched(&generation, node).count
            generation.exposed = true
            generation.used = generation.used || !own
            generation.kernelSize = size
            generation.lookups += 1
            state.generations[nodeid] = generation
            return (nodeid, size)
        }
    }

    /// The size of generation `nodeid`'s content for an attribute reply to `request`, rendering
    /// it if needed; or nil if a round is running on it and the request (one that can `wait`)
    /// was kept to be answered at its end.
    func sizeForAttributes(_ nodeid: fuse_ino_t, _ node: FileTree.Node, for request: fuse_req_t?, wait: Bool) -> Int? {
        let own = own(request)
        return state.withLock { state in
            var generation = state.generations[nodeid] ?? Generation(retired: nodeid != state.current[index(nodeid)])
            defer { state.generations[nodeid] = generation }
            if generation.inRound, wait, let request {
                generation.waiting.append(UInt(bitPattern: request))
                return nil
            }
            let size = latched(&generation, node).count
            generation.exposed = true
            generation.used = generation.used || !own
            generation.kernelSize = size
            return size
        }
    }

    /// The content a READ of generation `nodeid` gets.
    func contentForRead(_ nodeid: fuse_ino_t, _ node: FileTree.Node) -> [UInt8] {
        state.withLock { state in
            var generation = state.generations[nodeid] ?? Generation(retired: nodeid != state.current[index(nodeid)])
            defer { state.generations[nodeid] = generation }
            if generation.inRound {
                generation.readsInRound += 1
            }
            generation.exposed = true
            generation.used = true
            return latched(&generation, node)
        }
    }

    /// The kernel dropped `count` lookups of `nodeid`: a retired generation it no longer holds
    /// is freed; a current one holds nothing the kernel has, so its text may change in place.
    func forget(_ nodeid: fuse_ino_t, _ count: UInt64) {
        state.withLock { state in
            guard var generation = state.generations[nodeid] else { return }
            generation.lookups -= Int(clamping: count)
            if generation.lookups > 0 {
                state.generations[nodeid] = generation
            } else if generation.retired {
                state.generations[nodeid] = nil
            } else {
                generation.lookups = 0
                generation.exposed = false
                generation.content = nil
                state.generations[nodeid] = generation
            }
        }
    }

    private func index(_ nodeid: fuse_ino_t) -> Int { Int(nodeid & 0xFFFF_FFFF) - 1 }

    /// Brings every file the kernel may hold up to the table's current content, returning once
    /// readers see it. Callers serialize calls and never call from the session's loop thread.
    func contentChanged() {
        guard let session else { return }
        roundThread.store(cfuse3_gettid(), ordering: .relaxed)
        defer { roundThread.store(0, ordering: .relaxed) }
        // New readers: each changed file the kernel may hold gets a new generation.
        var latest: [Int: [UInt8]] = [:]
        for (index, node) in tree.nodes.enumerated() where node.kind == .snapshot && !node.isDirectory {
            let exposed = state.withLock { state in
                let nodeid = state.current[index]
                guard state.generations[nodeid]?.exposed == true else {
                    state.generations[nodeid]?.content = nil // the kernel holds nothing: render afresh when asked
                    return false
                }
                return true
            }
            guard exposed else { continue }
            let content = table.read(node.path)
            latest[index] = content
            let used = state.withLock { state -> Bool? in
                let old = state.current[index]
                guard state.generations[old]?.content != content else { return nil }
                let new = Self.nodeid(fuse_ino_t(index + 1), generation: state.nextGeneration)
                state.nextGeneration += 1
                state.generations[new] = Generation(content: content)
                state.generations[old]?.retired = true
                state.generations[old]?.retiredAt = monotonicMicroseconds()
                state.current[index] = new
                return state.generations[old]?.used ?? false
            }
            guard let used else { continue }
            // The next path walk looks the name up again and finds the new generation.
            node.name.withUnsafeBufferPointer { name in
                _ = fuse_lowlevel_notify_inval_entry(session, node.parent, name.baseAddress, name.count - 1)
            }
            if used { // let the next reader find the inode and its pages without asking
                var status = stat()
                if stat(mountpoint + "/" + node.path, &status) == 0 {
                    store(content, state.withLock { $0.current[index] }, session)
                }
            }
        }
        // Readers in the middle of a generation retired less than `retiredGrace` ago get the
        // rest of it to finish: a round waits until each such generation is forgotten or old.
        let grace = retiredGrace.load(ordering: .relaxed)
        while let youngest = state.withLock({ state in
            state.generations.values.filter { $0.retired && $0.lookups > 0 }.map(\.retiredAt).max()
        }), monotonicMicroseconds() < youngest + grace {
            usleep(250)
        }
        // Generations still held (kept open) are brought to the newest text.
        let held = state.withLock { state in
            state.generations.compactMap { nodeid, generation -> fuse_ino_t? in
                guard generation.retired else { return nil }
                if !generation.exposed {
                    state.generations[nodeid]?.content = nil
                    return nil
                }
                return nodeid
            }
        }
        var changes: [(ino: fuse_ino_t, content: [UInt8])] = []
        for nodeid in held {
            let index = index(nodeid)
            let content = latest[index] ?? table.read(tree.nodes[index].path)
            latest[index] = content
            if state.withLock({ $0.generations[nodeid]?.content != content }) {
                changes.append((nodeid, content))
            }
        }
        guard !changes.isEmpty else { return }
        round(changes, session)
    }

    /// Switches each held generation of `changes` to its content (steps 1 to 3 above).
    private func round(_ changes: [(ino: fuse_ino_t, content: [UInt8])], _ session: OpaquePointer) {
        // Hold the syscalls that start now (their GETATTR waits), and let those already past
        // their attribute check finish from the cache, which nothing is dropping yet.
        for change in changes {
            state.withLock { $0.generations[change.ino]?.inRound = true }
            _ = fuse_lowlevel_notify_inval_inode(session, change.ino, -1, 0)
        }
        usleep(Self.graceMicroseconds)
        var pending = changes
        for round in 1...Self.maxRounds {
            pending = pending.filter { change in !drop(change.ino, switchingTo: change.content, session) }
            if pending.isEmpty || round == Self.maxRounds { break }
            usleep(Self.graceMicroseconds) // a READ refilled pages: let its reader finish first
        }
        for change in changes {
            let waiting = state.withLock { state in
                state.generations[change.ino]?.inRound = false
                defer { state.generations[change.ino]?.waiting = [] }
                return state.generations[change.ino]?.waiting ?? []
            }
            let node = tree.nodes[index(change.ino)]
            for bits in waiting {
                guard let request = OpaquePointer(bitPattern: bits) else { continue }
                replyAttributes(request, FileSystem.of(request), change.ino, node, wait: false)
            }
        }
    }

    private func latched(_ generation: inout Generation, _ node: FileTree.Node) -> [UInt8] {
        if let content = generation.content { return content }
        let content = table.read(node.path)
        generation.content = content
        return content
    }

    /// Drops the pages of `ino`; if no READ refilled any meanwhile, switches to `content` and
    /// pushes it when it was read since the last switch and cannot be shorter than the size
    /// the kernel holds. Whether the switch happened (false: it must be tried again).
    private func drop(_ ino: fuse_ino_t, switchingTo content: [UInt8], _ session: OpaquePointer) -> Bool {
        state.withLock { $0.generations[ino]?.readsInRound = 0 }
        let known = fuse_lowlevel_notify_inval_inode(session, ino, 0, 0) != -ENOENT
        let outcome = state.withLock { state -> Bool? in
            guard var generation = state.generations[ino] else { return false }
            guard generation.readsInRound == 0 else { return nil }
            let push = known && generation.used && content.count >= (generation.kernelSize ?? Int.max)
            generation.content = content
            generation.used = false
            generation.exposed = push
            generation.kernelSize = !known ? nil : push ? content.count : generation.kernelSize
            state.generations[ino] = generation
            return push
        }
        guard let push = outcome else { return false }
        if push {
            store(content, ino, session)
        }
        return true
    }

    /// Puts `content` into the page cache of `ino`, last page first.
    private func store(_ content: [UInt8], _ ino: fuse_ino_t, _ session: OpaquePointer) {
        content.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = (bytes.count - 1) / pageSize * pageSize
            while offset >= 0 {
                _ = cfuse3_notify_store(session, ino, off_t(offset), base + offset, min(pageSize, bytes.count - offset))
                offset -= pageSize
            }
        }
    }
}

/// CLOCK_MONOTONIC in microseconds.
private func monotonicMicroseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1_000_000 + now.tv_nsec / 1000
}
