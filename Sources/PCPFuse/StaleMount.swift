import CFuse3
import Glibc

extension FuseServer {
    /// Makes `mountpoint` ready for a new mount: lazily unmounts what a server killed with
    /// SIGKILL left behind (a mount whose stat fails with ENOTCONN, or any pcpsim mount listed
    /// there in /proc/self/mountinfo), then creates the directory if it is missing.
    ///
    /// A pcpsim server still alive at that mount point is taken over: its mount is detached and
    /// its `run()` returns once its open files are closed.
    public static func clearStaleMount(at mountpoint: String) throws {
        let path = absolutePath(mountpoint)
        for _ in 0..<16 where isStaleMount(path) { // stacked mounts come off one per detach
            try detach(path)
        }
        try makeDirectories(path)
    }
}

/// Checks the mount table first: a stat of a live but stopped server's mount would block.
private func isStaleMount(_ path: String) -> Bool {
    if mountedFileSystemType(at: path) == "fuse.pcpsim" {
        return true
    }
    var status = stat()
    return stat(path, &status) != 0 && errno == ENOTCONN
}

/// Lazy (MNT_DETACH) unmount, directly as root, through setuid fusermount3 otherwise.
private func detach(_ path: String) throws {
    if geteuid() == 0 {
        guard umount2(path, Int32(MNT_DETACH)) == 0 else {
            throw FuseError.system("cannot unmount the stale mount at \(path)", errno, fix: "try umount -l \(path)")
        }
    } else {
        let status = try spawnAndWait(["fusermount3", "-u", "-z", path])
        guard status == 0 else {
            throw FuseError("cannot unmount the stale mount at \(path) (fusermount3 exited with \(status)): "
                + "try fusermount3 -u -z \(path)")
        }
    }
}

/// mkdir -p.
private func makeDirectories(_ path: String) throws {
    var prefix = ""
    for component in path.split(separator: "/") {
        prefix += "/" + component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw FuseError.system("cannot create the mount point \(prefix)", errno, fix: "create it or choose another")
        }
    }
    var status = stat()
    guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
        throw FuseError("the mount point \(path) is not a directory: choose a directory")
    }
}

/// `path` made absolute and free of ".", ".." and repeated slashes, with symbolic links in its
/// parent resolved, so that it compares equal to the mount points in /proc/self/mountinfo. The
/// last component is left alone: resolving it would stat a possibly dead mount.
func absolutePath(_ path: String) -> String {
    var full = path
    if !path.hasPrefix("/"), let cwd = getcwd(nil, 0) {
        full = String(cString: cwd) + "/" + path
        free(cwd)
    }
    var components: [Substring] = []
    for component in full.split(separator: "/") where component != "." {
        if component == ".." {
            _ = components.popLast()
        } else {
            components.append(component)
        }
    }
    guard let name = components.popLast() else { return "/" }
    var parent = "/" + components.joined(separator: "/")
    if let resolved = realpath(parent, nil) {
        parent = String(cString: resolved)
        free(resolved)
    }
    return parent == "/" ? "/" + name : parent + "/" + name
}
