import CFuse3
import Glibc

/// A served tree as inodes, derived once from a FileTable's entries and never changed, so the
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
        /// 1 for a file; for a directory 2 + subdirectories, or 1 where the flavour says so.
        let linkCount: Int
        /// The FileTable path of a file (the full path, whatever the tree's root); empty for a
        /// directory.
        let path: String
        /// How a file's content behaves (directories say .snapshot).
        let kind: FileEntry.Kind
        /// The kernel filesystem the node imitates.
        let flavour: Flavour

        var isDirectory: Bool { children != nil }
    }

    let nodes: [Node]

    /// Builds the inodes of `files` and of the extra, possibly empty, `directories`, all given
    /// relative to `root` (a path of the whole served tree, "" for its top). Throws if a path is
    /// empty, has empty, "." or ".." components, is listed twice, or is both a file and a
    /// directory.
    init(_ files: [FileEntry], directories: [String] = [], root: String = "") throws {
        var builder = Builder(root: root)
        for directory in directories {
            _ = try builder.directory(directory)
        }
        for file in files {
            try builder.addFile(file)
        }
        nodes = builder.finish()
    }

    /// The node of `ino` (of any of its generations: see PageCache), or nil for an inode this
    /// tree never handed out.
    func node(_ ino: fuse_ino_t) -> Node? {
        let base = ino & 0xFFFF_FFFF
        return base >= 1 && base <= nodes.count ? nodes[Int(base - 1)] : nil
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
        var kind: FileEntry.Kind
        var fullPath: String
    }

    private let root: String
    private var drafts: [Draft]
    private var indexByPath = ["": 0]

    init(root: String) {
        self.root = root
        drafts = [Draft(name: "", parent: 0, mode: 0o555, children: [], path: "", kind: .snapshot, fullPath: root)]
    }

    mutating func addFile(_ file: FileEntry) throws {
        let relative = try relativePath(file.path)
        let components = relative.split(separator: "/", omittingEmptySubsequences: false)
        let parent = try directory(components.dropLast().joined(separator: "/"))
        guard indexByPath[relative] == nil else {
            throw FuseError("\"\(file.path)\" is listed twice or is also a directory: give each path one entry")
        }
        indexByPath[relative] = drafts.count
        drafts[parent].children!.append(drafts.count)
        drafts.append(Draft(name: String(components.last!), parent: parent, mode: file.mode & 0o7777,
                            children: nil, path: file.path, kind: file.kind, fullPath: file.path))
    }

    /// The index of directory `path` (relative), created with its parents on first use.
    mutating func directory(_ path: String) throws -> Int {
        if let index = indexByPath[path] {
            guard drafts[index].children != nil else {
                throw FuseError("\"\(join(root, path))\" is both a file and a directory: rename one of them")
            }
            return index
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw FuseError("invalid directory \"\(join(root, path))\": use a relative path like \"proc/sys\"")
        }
        let parent = try directory(components.dropLast().joined(separator: "/"))
        indexByPath[path] = drafts.count
        drafts[parent].children!.append(drafts.count)
        drafts.append(Draft(name: String(components.last!), parent: parent, mode: 0o555, children: [], path: "",
                            kind: .snapshot, fullPath: join(root, path)))
        return drafts.count - 1
    }

    /// `path` relative to the tree's root, checked for empty, "." and ".." components.
    private func relativePath(_ path: String) throws -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw FuseError("invalid file path \"\(path)\": use a relative path like \"proc/buddyinfo\"")
        }
        guard root.isEmpty || path.hasPrefix(root + "/") else {
            throw FuseError("\"\(path)\" is outside \"\(root)\"")
        }
        return root.isEmpty ? path : String(path.dropFirst(root.count + 1))
    }

    func finish() -> [FileTree.Node] {
        drafts.map { draft in
            let flavour = Flavour(path: draft.fullPath)
            let children = draft.children?.sorted { drafts[$0].name < drafts[$1].name }
            let subdirectories = children?.filter { drafts[$0].children != nil }.count
            return FileTree.Node(
                name: Array(draft.name.utf8CString),
                parent: fuse_ino_t(draft.parent + 1),
                mode: draft.mode,
                children: children?.map { fuse_ino_t($0 + 1) },
                linkCount: subdirectories.map { flavour.directoriesCountLinks ? 2 + $0 : 1 } ?? 1,
                path: draft.path,
                kind: draft.kind,
                flavour: flavour
            )
        }
    }
}

/// Two relative paths joined ("" is the top).
func join(_ parent: String, _ child: String) -> String {
    parent.isEmpty ? child : child.isEmpty ? parent : parent + "/" + child
}
