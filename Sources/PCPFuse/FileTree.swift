import CFuse3
import Glibc

/// The served tree as inodes, derived once from a FileTable's entries and never changed, so the
/// request handlers read it without locks. Inode 1 is the root; node `i` has inode `i + 1`.
struct FileTree: Sendable {
    struct Node: Sendable {
        /// NUL-terminated, so a lookup compares it with the kernel's name without converting.
        let name: [CChar]
        let parent: fuse_ino_t
        /// Permission bits: the entry's mode for a file, 0o555 for a directory (as procfs).
        let mode: UInt16
        /// A directory's children, sorted by name; nil for a file.
        let children: [fuse_ino_t]?
        /// 1 for a file, 2 + subdirectories for a directory.
        let linkCount: Int
        /// The FileTable path of a file; empty for a directory.
        let path: String
    }

    let nodes: [Node]

    /// Builds the inodes. Throws if a path is empty, has empty, "." or ".." components, is listed
    /// twice, or is both a file and a directory.
    init(_ files: [FileEntry]) throws {
        var builder = Builder()
        for file in files {
            try builder.addFile(file)
        }
        nodes = builder.finish()
    }

    /// The node of `ino`, or nil for an inode this tree never handed out.
    func node(_ ino: fuse_ino_t) -> Node? {
        ino >= 1 && ino <= nodes.count ? nodes[Int(ino - 1)] : nil
    }

    /// The inode named `name` inside directory `parent`, if any.
    func child(of parent: fuse_ino_t, named name: UnsafePointer<CChar>) -> fuse_ino_t? {
        guard let children = node(parent)?.children else { return nil }
        return children.first { ino in
            nodes[Int(ino - 1)].name.withUnsafeBufferPointer { strcmp($0.baseAddress!, name) == 0 }
        }
    }
}

/// Collects directories and files by path while the tree is built.
private struct Builder {
    private struct Draft {
        var name: String
        var parent: Int
        var mode: UInt16
        var children: [Int]?
        var path: String
    }

    private var drafts = [Draft(name: "", parent: 0, mode: 0o555, children: [], path: "")]
    private var indexByPath = ["": 0]

    mutating func addFile(_ file: FileEntry) throws {
        let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
        guard !file.path.isEmpty,
              components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else {
            throw FuseError("invalid file path \"\(file.path)\": use a relative path like \"proc/buddyinfo\"")
        }
        var parent = 0
        var prefix = ""
        for name in components.dropLast() {
            prefix += prefix.isEmpty ? String(name) : "/" + name
            parent = try directory(prefix, name: String(name), parent: parent)
        }
        guard indexByPath[file.path] == nil else {
            throw FuseError("\"\(file.path)\" is listed twice or is also a directory: give each path one entry")
        }
        indexByPath[file.path] = drafts.count
        drafts[parent].children!.append(drafts.count)
        drafts.append(Draft(name: String(components.last!), parent: parent, mode: file.mode & 0o7777,
                            children: nil, path: file.path))
    }

    /// The index of directory `path`, created on first use.
    private mutating func directory(_ path: String, name: String, parent: Int) throws -> Int {
        if let index = indexByPath[path] {
            guard drafts[index].children != nil else {
                throw FuseError("\"\(path)\" is both a file and a directory: rename one of them")
            }
            return index
        }
        indexByPath[path] = drafts.count
        drafts[parent].children!.append(drafts.count)
        drafts.append(Draft(name: name, parent: parent, mode: 0o555, children: [], path: ""))
        return drafts.count - 1
    }

    func finish() -> [FileTree.Node] {
        drafts.map { draft in
            let children = draft.children?.sorted { drafts[$0].name < drafts[$1].name }
            let subdirectories = children?.filter { drafts[$0].children != nil }.count
            return FileTree.Node(
                name: Array(draft.name.utf8CString),
                parent: fuse_ino_t(draft.parent + 1),
                mode: draft.mode,
                children: children?.map { fuse_ino_t($0 + 1) },
                linkCount: subdirectories.map { 2 + $0 } ?? 1,
                path: draft.path
            )
        }
    }
}
