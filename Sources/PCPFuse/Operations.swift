import CFuse3
import Glibc

/// How long the kernel may cache entries and attributes; the tree never changes, and caching
/// spares a lookup and a getattr round trip on most opens.
private let cacheSeconds = 1.0

private let dotName = Array(".".utf8CString)
private let dotDotName = Array("..".utf8CString)

/// The low-level operations. Each handler is a plain C function (no captures, no actor
/// isolation) run on libfuse's loop thread, and replies exactly once. Operations left nil get
/// libfuse's defaults, which suit opendir, releasedir, flush, statfs and forget here.
func makeOperations() -> fuse_lowlevel_ops {
    var operations = fuse_lowlevel_ops()
    operations.lookup = onLookup
    operations.getattr = onGetattr
    operations.setattr = onSetattr
    operations.access = onAccess
    operations.open = onOpen
    operations.read = onRead
    operations.write = onWrite
    operations.release = onRelease
    operations.readdir = onReaddir
    operations.create = onCreate
    return operations
}

private func onLookup(_ request: fuse_req_t?, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
    let fs = FileSystem.of(request)
    guard let name, let ino = fs.tree.child(of: parent, named: name) else {
        fuse_reply_err(request, ENOENT)
        return
    }
    var entry = fuse_entry_param()
    entry.ino = ino
    entry.attr = fs.attributes(ino)
    entry.attr_timeout = cacheSeconds
    entry.entry_timeout = cacheSeconds
    fuse_reply_entry(request, &entry)
}

private func onGetattr(_ request: fuse_req_t?, _ ino: fuse_ino_t, _: UnsafeMutablePointer<fuse_file_info>?) {
    let fs = FileSystem.of(request)
    guard fs.tree.node(ino) != nil else {
        fuse_reply_err(request, ENOENT)
        return
    }
    var attributes = fs.attributes(ino)
    fuse_reply_attr(request, &attributes, cacheSeconds)
}

/// Truncation of a writable file succeeds and changes nothing, so `echo 5 > knob` works even
/// without atomic_o_trunc; ownership and mode cannot change, as in procfs.
private func onSetattr(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _: UnsafeMutablePointer<stat>?, _ changes: Int32,
    _: UnsafeMutablePointer<fuse_file_info>?
) {
    let fs = FileSystem.of(request)
    guard let node = fs.tree.node(ino) else {
        fuse_reply_err(request, ENOENT)
        return
    }
    if changes & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0 {
        fuse_reply_err(request, EPERM)
    } else if changes & FUSE_SET_ATTR_SIZE != 0 && !fs.permits(node.mode, W_OK, for: request) {
        fuse_reply_err(request, EACCES)
    } else {
        var attributes = fs.attributes(ino)
        fuse_reply_attr(request, &attributes, cacheSeconds)
    }
}

/// access(2) answers as open would, so `test -r` agrees with `cat`.
private func onAccess(_ request: fuse_req_t?, _ ino: fuse_ino_t, _ mask: Int32) {
    let fs = FileSystem.of(request)
    guard let node = fs.tree.node(ino) else {
        fuse_reply_err(request, ENOENT)
        return
    }
    fuse_reply_err(request, fs.permits(node.mode, mask, for: request) ? 0 : EACCES)
}

/// Checks the access mode against the file's bits, then hands out a fresh snapshot holder.
/// direct_io makes every read reach `onRead` (st_size is 0); noflush spares a FLUSH on close.
private func onOpen(_ request: fuse_req_t?, _ ino: fuse_ino_t, _ info: UnsafeMutablePointer<fuse_file_info>?) {
    let fs = FileSystem.of(request)
    guard let info, let node = fs.tree.node(ino) else {
        fuse_reply_err(request, ENOENT)
        return
    }
    guard node.children == nil else {
        fuse_reply_err(request, EISDIR)
        return
    }
    let access = info.pointee.flags & O_ACCMODE
    let mask = (access == O_WRONLY ? 0 : R_OK) | (access == O_RDONLY ? 0 : W_OK)
    guard fs.permits(node.mode, mask, for: request) else {
        fuse_reply_err(request, EACCES)
        return
    }
    info.pointee.direct_io = 1
    info.pointee.noflush = 1
    info.pointee.fh = OpenFile().retainedHandle
    if fuse_reply_open(request, info) != 0 {
        OpenFile.release(info.pointee.fh) // the open was interrupted: no release will come
    }
}

/// Serves `size` bytes at `offset` of the open file's snapshot, generating it first when this
/// is a read at offset 0 or the file's first read, so a fresh pread at offset > 0 gets data.
private func onRead(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
    _ info: UnsafeMutablePointer<fuse_file_info>?
) {
    let file = OpenFile.borrow(info!.pointee.fh)
    if offset == 0 || file.content == nil {
        let fs = FileSystem.of(request)
        file.content = fs.table.read(fs.tree.nodes[Int(ino - 1)].path)
    }
    file.content!.withUnsafeBytes { bytes in
        let start = min(Int(offset), bytes.count)
        let chunk = bytes.baseAddress.map { ($0 + start).assumingMemoryBound(to: CChar.self) }
        fuse_reply_buf(request, chunk, min(size, bytes.count - start))
    }
}

/// Each write at offset 0 is one sysctl write, validated by the table. Writes at a later offset
/// are ignored as the kernel ignores them (sysctl_writes_strict = 1), but reported as written
/// so that write-everything loops end.
private func onWrite(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _ data: UnsafePointer<CChar>?, _ size: Int, _ offset: off_t,
    _: UnsafeMutablePointer<fuse_file_info>?
) {
    guard offset == 0 else {
        fuse_reply_write(request, size)
        return
    }
    let fs = FileSystem.of(request)
    let error = fs.table.write(fs.tree.nodes[Int(ino - 1)].path, Array(UnsafeRawBufferPointer(start: data, count: size)))
    if error == 0 {
        fuse_reply_write(request, size)
    } else {
        fuse_reply_err(request, error)
    }
}

/// Frees the snapshot by handle: the path is not reliable in release (LXCFS #573).
private func onRelease(_ request: fuse_req_t?, _: fuse_ino_t, _ info: UnsafeMutablePointer<fuse_file_info>?) {
    OpenFile.release(info!.pointee.fh)
    fuse_reply_err(request, 0)
}

/// The tree is fixed: creating a file is refused as procfs refuses it, rather than with the
/// ENOSYS a missing handler would give.
private func onCreate(
    _ request: fuse_req_t?, _: fuse_ino_t, _: UnsafePointer<CChar>?, _: mode_t, _: UnsafeMutablePointer<fuse_file_info>?
) {
    fuse_reply_err(request, EACCES)
}

/// Lists ".", ".." and the children. Entry `i` carries offset `i + 1`, the offset at which the
/// next call resumes, which is stable because the tree never changes.
private func onReaddir(
    _ request: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
    _: UnsafeMutablePointer<fuse_file_info>?
) {
    let fs = FileSystem.of(request)
    guard let directory = fs.tree.node(ino), let children = directory.children else {
        fuse_reply_err(request, ENOTDIR)
        return
    }
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    defer { buffer.deallocate() }
    var used = 0
    for index in Int(offset)..<(children.count + 2) {
        let entry = index == 0 ? ino : index == 1 ? directory.parent : children[index - 2]
        let node = fs.tree.nodes[Int(entry - 1)]
        var attributes = stat()
        attributes.st_ino = ino_t(entry)
        attributes.st_mode = node.children == nil ? S_IFREG : S_IFDIR
        let name = index == 0 ? dotName : index == 1 ? dotDotName : node.name
        let needed = name.withUnsafeBufferPointer {
            fuse_add_direntry(request, buffer + used, size - used, $0.baseAddress, &attributes, off_t(index + 1))
        }
        guard needed <= size - used else { break }
        used += needed
    }
    fuse_reply_buf(request, buffer, used)
}
