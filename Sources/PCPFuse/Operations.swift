import CFuse3
import Glibc

/// How long the kernel may cache a name or a directory's attributes (seconds). The tree never
/// changes; the expiry only bounds how long a reader of a dead server goes on without an error.
private let entrySeconds = 0.5

/// st_size of a direct-tier file: one page, as kernfs reports for its attributes. procfs says
/// 0, but over FUSE a size of 0 makes a private mmap fault with SIGBUS and sendfile copy
/// nothing; with a page, both reach the server (the page cache of a direct-I/O file is
/// dropped at each open and mmap, so neither sees an older open's content).
private let directFileSize = 4096

private let dotName = Array(".".utf8CString)
private let dotDotName = Array("..".utf8CString)

/// The low-level operations. Each handler is a plain C function (no captures, no actor
/// isolation) run on its session's loop thread, checks the inode and handle it is given, and
/// replies exactly once: with an errno for anything it cannot serve, never by trapping.
/// Operations left nil get libfuse's defaults: ENOSYS for flush (so the kernel stops sending
/// it), forget and releasedir need nothing, and locks, ioctl and poll are handled as procfs
/// handles them (local locks, ENOTTY, always ready).
func makeOperations() -> fuse_lowlevel_ops {
    var operations = fuse_lowlevel_ops()
    operations.`init` = onInit
    operations.lookup = onLookup
    operations.getattr = onGetattr
    operations.setattr = onSetattr
    operations.access = onAccess
    operations.open = onOpen
    operations.read = onRead
    operations.write = onWrite
    operations.release = onRelease
    operations.opendir = onOpendir
    operations.forget = onForget
    operations.forget_multi = onForgetMulti
    operations.readdir = onReaddir
    addRefusedOperations(&operations)
    return operations
}

/// The cached tier reads synchronously (a fresh file is filled by one READ before the reader
/// copies any of it), opens without asking when the kernel can, and treats O_TRUNC as a
/// SETATTR it can refuse or ignore.
private func onInit(_ userdata: UnsafeMutableRawPointer?, _ connection: UnsafeMutablePointer<fuse_conn_info>?) {
    guard let userdata, let connection else { return }
    let fs = Unmanaged<FileSystem>.fromOpaque(userdata).takeUnretainedValue()
    fs.maxWrite = Int(connection.pointee.max_write)
    guard fs.tier == .cached else { return }
    connection.pointee.want &= ~(cfuse3_cap_async_read | cfuse3_cap_atomic_o_trunc)
    fs.kernelOpensWithoutUs = connection.pointee.capable & cfuse3_cap_no_open_support != 0
}

/// The node of `ino`, or nil after replying ENOENT.
func node(_ request: fuse_req_t?, _ fs: FileSystem, _ ino: fuse_ino_t) -> FileTree.Node? {
    guard let node = fs.tree.node(ino) else {
        fuse_reply_err(request, ENOENT)
        return nil
    }
    return node
}

/// How long the kernel may trust the attributes of `node`, and the size they give; nil if a
/// round is running on it and `request` (which may `wait`) was kept to be answered at its end.
private func attributeSize(_ request: fuse_req_t?, _ fs: FileSystem, _ ino: fuse_ino_t, _ node: FileTree.Node,
                           wait: Bool) -> (size: Int, seconds: Double)? {
    guard fs.isCached(node), let cache = fs.pageCache else { return (directFileSize, entrySeconds) }
    return cache.sizeForAttributes(ino, node, for: request, wait: wait).map { ($0, PageCache.attributeSeconds) }
}

/// Replies with the attributes of `ino`, or keeps a GETATTR that may `wait` for the end of a
/// round on it.
func replyAttributes(_ request: fuse_req_t?, _ fs: FileSystem, _ ino: fuse_ino_t, _ node: FileTree.Node, wait: Bool) {
    guard let (size, seconds) = attributeSize(request, fs, ino, node, wait: wait) else { return }
    var attributes = fs.attributes(ino, node, size: size)
    fuse_reply_attr(request, &attributes, seconds)
}

/// Replies with the entry of the tree's `ino`: for a cached file, its newest generation (a
/// lookup the kernel will forget; one whose reply does not reach it is forgotten here).
private func replyEntry(_ request: fuse_req_t?, _ fs: FileSystem, _ ino: fuse_ino_t, _ node: FileTree.Node) {
    var entry = fuse_entry_param()
    entry.entry_timeout = entrySeconds
    guard fs.isCached(node), let cache = fs.pageCache else {
        entry.ino = ino
        entry.attr_timeout = entrySeconds
        entry.attr = fs.attributes(ino, node, size: directFileSize)
        fuse_reply_entry(request, &entry)
        return
    }
    let (nodeid, size) = cache.entry(ino, node, for: request)
    entry.ino = nodeid
    entry.attr_timeout = PageCache.attributeSeconds
    entry.attr = fs.attributes(nodeid, node, size: size)
    if fuse_reply_entry(request, &entry) != 0 {
        cache.forget(nodeid, 1)
    }
}

private func onLookup(_ request: fuse_req_t?, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
    let fs = FileSystem.of(request)
    guard let name, let ino = fs.tree.child(of: parent, named: name), let node = fs.tree.node(ino) else {
        fuse_reply_err(request, ENOENT)
        return
    }
    replyEntry(request, fs, ino, node)
}

private func onGetattr(_ request: fuse_req_t?, _ ino: fuse_ino_t, _: UnsafeMutablePointer<fuse_file_info>?) {
    let fs = FileSystem.of(request)
    guard let node = node(request, fs, ino) else { return }
    replyAttributes(request, fs, ino, node, wait: true)
}

/// Nothing can change: mode and owner of a sysctl give EPERM (proc_sys_setattr), elsewhere the
/// owner (and root) may "change" them and times, as procfs lets root, without effect; a size
/// change (truncate, O_TRUNC) succeeds without effect for whoever may write the file. The reply
/// carries attributes, so during a round on the file it waits like a GETATTR.
private func onSetattr(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _: UnsafeMutablePointer<stat>?, _ changes: Int32,
    _: UnsafeMutablePointer<fuse_file_info>?
) {
    let fs = FileSystem.of(request)
    guard let node = node(request, fs, ino) else { return }
    let caller = fuse_req_ctx(request)?.pointee.uid
    let ownership = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID
    if changes & ownership != 0 && (node.flavour == .sysctl || (caller != 0 && caller != fs.owner)) {
        fuse_reply_err(request, EPERM)
    } else if changes & FUSE_SET_ATTR_SIZE != 0 && node.isDirectory {
        fuse_reply_err(request, EISDIR)
    } else if changes & FUSE_SET_ATTR_SIZE != 0 && !fs.permits(node, W_OK, for: request) {
        fuse_reply_err(request, EACCES)
    } else {
        replyAttributes(request, fs, ino, node, wait: true)
    }
}

/// access(2) answers as the imitated filesystem's permission check would.
private func onAccess(_ request: fuse_req_t?, _ ino: fuse_ino_t, _ mask: Int32) {
    let fs = FileSystem.of(request)
    guard let node = node(request, fs, ino) else { return }
    fuse_reply_err(request, fs.permits(node, mask, for: request) ? 0 : EACCES)
}

/// The cached tier answers the first open with ENOSYS, after which the kernel opens its files
/// without asking and keeps their pages between opens. The direct tier checks the access mode
/// like procfs, refuses O_DIRECT as procfs does (do_dentry_open), and hands out a handle whose
/// reads and writes all reach the server (direct I/O).
private func onOpen(_ request: fuse_req_t?, _ ino: fuse_ino_t, _ info: UnsafeMutablePointer<fuse_file_info>?) {
    let fs = FileSystem.of(request)
    guard let info, let node = node(request, fs, ino) else { return }
    guard !node.isDirectory else {
        fuse_reply_err(request, EISDIR)
        return
    }
    if fs.isCached(node) {
        guard !fs.kernelOpensWithoutUs else {
            fuse_reply_err(request, ENOSYS)
            return
        }
        info.pointee.keep_cache = 1 // a kernel without no-open support still keeps the pages
        info.pointee.noflush = 1
        fuse_reply_open(request, info)
        return
    }
    let access = info.pointee.flags & O_ACCMODE
    let mask = (access == O_WRONLY ? 0 : R_OK) | (access == O_RDONLY ? 0 : W_OK)
    guard fs.permits(node, mask, for: request) else {
        fuse_reply_err(request, EACCES)
        return
    }
    guard info.pointee.flags & cfuse3_o_direct == 0 else {
        fuse_reply_err(request, EINVAL)
        return
    }
    info.pointee.direct_io = 1
    info.pointee.noflush = 1
    info.pointee.fh = fs.openFiles.open()
    if fuse_reply_open(request, info) != 0 {
        _ = fs.openFiles.release(info.pointee.fh) // the open was interrupted: no release will come
    }
}

/// The cached tier serves the latched content (the kernel asks only for pages it lacks). The
/// direct tier serves a sysctl's text at offset 0 only, and other files from the open's
/// snapshot, made at the first read and again at every read at offset 0.
private func onRead(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
    _ info: UnsafeMutablePointer<fuse_file_info>?
) {
    let fs = FileSystem.of(request)
    guard let info, let node = node(request, fs, ino) else { return }
    guard !node.isDirectory else {
        fuse_reply_err(request, EISDIR)
        return
    }
    guard offset >= 0 else {
        fuse_reply_err(request, EINVAL)
        return
    }
    if fs.isCached(node) {
        guard info.pointee.flags & cfuse3_o_direct == 0, let cache = fs.pageCache else {
            fuse_reply_err(request, EINVAL) // procfs refuses O_DIRECT at open; here, at the read
            return
        }
        reply(request, cache.contentForRead(ino, node), from: offset, size: size)
    } else if node.kind == .sysctl {
        reply(request, offset == 0 ? fs.table.read(node.path) : [], from: 0, size: size)
    } else if node.kind == .stringSysctl {
        reply(request, fs.table.read(node.path), from: offset, size: size)
    } else {
        guard let file = fs.openFiles.file(info.pointee.fh) else {
            fuse_reply_err(request, EBADF)
            return
        }
        let current = file.content
        guard offset == 0 || current == nil else {
            reply(request, current!, from: offset, size: size)
            return
        }
        guard fs.slowPaths.contains(node.path) else {
            let content = fs.table.read(node.path)
            file.content = content
            reply(request, content, from: offset, size: size)
            return
        }
        // A slow file is made on a thread of its own, which replies: the loop goes on serving.
        let (table, path, pending) = (fs.table, node.path, UInt(bitPattern: request))
        pthread_detach(startThread {
            let content = table.read(path)
            file.content = content
            reply(fuse_req_t(bitPattern: pending), content, from: offset, size: size)
        })
    }
}

/// Replies with up to `size` bytes of `content` from `offset` (nothing beyond the end).
private func reply(_ request: fuse_req_t?, _ content: [UInt8], from offset: off_t, size: Int) {
    content.withUnsafeBytes { bytes in
        let start = offset < 0 ? bytes.count : Int(min(offset, off_t(bytes.count)))
        let count = min(max(size, 0), bytes.count - start)
        let chunk = bytes.baseAddress.map { ($0 + start).assumingMemoryBound(to: CChar.self) }
        fuse_reply_buf(request, count > 0 ? chunk : nil, count)
    }
}

/// A cached file cannot be written: EIO, as procfs answers for a file without a write method
/// (proc_reg_write). A direct file passes each write to the table with its offset. A sysctl
/// gets the offset procfs would use: procfs ignores O_APPEND (its files have size 0), where
/// FUSE puts such writes at the file's size, and a write procfs takes without moving the
/// offset still moves FUSE's, so each open keeps the difference. A write(2) longer than
/// max_write comes as several requests: those after the first carry on the first's outcome.
private func onWrite(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _ data: UnsafePointer<CChar>?, _ size: Int, _ offset: off_t,
    _ info: UnsafeMutablePointer<fuse_file_info>?
) {
    let fs = FileSystem.of(request)
    guard let info, let node = node(request, fs, ino) else { return }
    guard !fs.isCached(node), !node.isDirectory, let file = fs.openFiles.file(info.pointee.fh) else {
        fuse_reply_err(request, node.isDirectory ? EISDIR : EIO)
        return
    }
    guard offset >= 0, size >= 0 else {
        fuse_reply_err(request, EINVAL)
        return
    }
    let bytes = data.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
    let sysctl = node.kind == .sysctl || node.kind == .stringSysctl
    let append = sysctl && info.pointee.flags & O_APPEND != 0
    let at = !sysctl ? Int(offset) : append ? file.sysctlAppendOffset : max(0, Int(offset) - file.sysctlLag)
    let result: WriteResult
    if sysctl, let carried = file.continuing, carried.end == Int(offset) {
        result = carried.inPlace ? .acceptedInPlace(size) : .accepted(size)  // the rest of one write(2): taken whole
    } else {
        result = fs.table.write(node.path, bytes, at: at, flags: info.pointee.flags)
    }
    file.continuing = nil
    if case .failed = result {} else if size == fs.maxWrite {
        if case .acceptedInPlace = result { file.continuing = (Int(offset) + size, true) } else { file.continuing = (Int(offset) + size, false) }
    }
    switch result {
    case .accepted(let count), .acceptedInPlace(let count):
        let taken = min(max(count, 0), size)
        if case .acceptedInPlace = result {
            if !append { file.sysctlLag += taken }
        } else if append {
            file.sysctlAppendOffset += taken
        }
        fuse_reply_write(request, taken)
    case .failed(let error):
        fuse_reply_err(request, error > 0 ? error : EIO)
    }
}

/// Frees the open's snapshot by handle: the path is not reliable in release (LXCFS #573).
private func onRelease(_ request: fuse_req_t?, _: fuse_ino_t, _ info: UnsafeMutablePointer<fuse_file_info>?) {
    let fs = FileSystem.of(request)
    if let info, info.pointee.fh != 0 {
        _ = fs.openFiles.release(info.pointee.fh)
    }
    fuse_reply_err(request, 0)
}

/// The kernel dropped lookups of an inode: a generation of a cached file may be freed.
private func onForget(_ request: fuse_req_t?, _ ino: fuse_ino_t, _ count: UInt64) {
    FileSystem.of(request).pageCache?.forget(ino, count)
    fuse_reply_none(request)
}

private func onForgetMulti(_ request: fuse_req_t?, _ count: Int, _ forgets: UnsafeMutablePointer<fuse_forget_data>?) {
    if let cache = FileSystem.of(request).pageCache, let forgets {
        for forget in UnsafeBufferPointer(start: forgets, count: count) {
            cache.forget(forget.ino, forget.nlookup)
        }
    }
    fuse_reply_none(request)
}

/// Directories never change, so the kernel may keep their listings.
private func onOpendir(_ request: fuse_req_t?, _ ino: fuse_ino_t, _ info: UnsafeMutablePointer<fuse_file_info>?) {
    let fs = FileSystem.of(request)
    guard let info, let node = node(request, fs, ino) else { return }
    guard node.isDirectory else {
        fuse_reply_err(request, ENOTDIR)
        return
    }
    info.pointee.cache_readdir = 1
    info.pointee.keep_cache = 1
    fuse_reply_open(request, info)
}

/// Lists ".", ".." and the children. Entry `i` carries offset `i + 1`, the offset at which the
/// next call resumes, which is stable because the tree never changes. Any offset a client can
/// seek to is valid: past the last entry the listing is empty.
private func onReaddir(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
    _: UnsafeMutablePointer<fuse_file_info>?
) {
    let fs = FileSystem.of(request)
    guard let directory = node(request, fs, ino) else { return }
    guard let children = directory.children else {
        fuse_reply_err(request, ENOTDIR)
        return
    }
    let count = children.count + 2
    guard offset >= 0, offset < count, size > 0 else {
        fuse_reply_buf(request, nil, 0)
        return
    }
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    defer { buffer.deallocate() }
    var used = 0
    for index in Int(offset)..<count {
        let entry = index == 0 ? ino : index == 1 ? directory.parent : children[index - 2]
        guard let node = fs.tree.node(entry) else { break }
        var attributes = stat()
        attributes.st_ino = ino_t(entry)
        attributes.st_mode = node.isDirectory ? S_IFDIR : S_IFREG
        let name = index == 0 ? dotName : index == 1 ? dotDotName : node.name
        let needed = name.withUnsafeBufferPointer {
            fuse_add_direntry(request, buffer + used, size - used, $0.baseAddress, &attributes, off_t(index + 1))
        }
        guard needed <= size - used else { break }
        used += needed
    }
    fuse_reply_buf(request, buffer, used)
}
