/// git's `--stat` lines for a message's files, computed from the hunks (git 2.39's diff.c
/// show_stats(): name column, change count, a +/- graph scaled to fit `width`; format-patch
/// uses a width of 72). Binary files show `Bin` without byte counts (a patch does not carry them).
public enum Diffstat {
    /// One line per file, then the summary line.
    public static func lines(_ files: [PatchFile], width: Int = 72) -> [String] {
        let names = files.map(displayName)
        let maxLen = names.map(\.count).max() ?? 0
        var maxChange = 0, numberWidth = 0
        for f in files {
            if f.isBinary { numberWidth = 3 } else { maxChange = max(maxChange, f.insertions + f.deletions) }
        }
        numberWidth = max(numberWidth, String(maxChange).count)
        let w = max(width, 16 + 6 + numberWidth)
        var graphWidth = maxChange, nameWidth = maxLen
        if nameWidth + numberWidth + 6 + graphWidth > w {
            if graphWidth > w * 3 / 8 - numberWidth - 6 {
                graphWidth = max(w * 3 / 8 - numberWidth - 6, 6)
            }
            if nameWidth > w - numberWidth - 6 - graphWidth {
                nameWidth = w - numberWidth - 6 - graphWidth
            } else {
                graphWidth = w - numberWidth - 6 - nameWidth
            }
        }
        var out: [String] = []
        for (f, full) in zip(files, names) {
            var name = Substring(full), prefix = ""
            if nameWidth < name.count {
                prefix = "..."
                name = name.suffix(max(nameWidth - 3, 0))
                if let slash = name.firstIndex(of: "/") { name = name[slash...] }
            }
            let pad = String(repeating: " ", count: max(nameWidth - prefix.count - name.count, 0))
            let head = " \(prefix)\(name)\(pad) | "
            if f.isBinary {
                out.append(head + rightAligned("Bin", numberWidth))
                continue
            }
            let added = f.insertions, deleted = f.deletions
            var add = added, del = deleted
            if graphWidth <= maxChange {
                var total = scaleLinear(add + del, graphWidth, maxChange)
                if total < 2 && add > 0 && del > 0 { total = 2 }
                if add < del {
                    add = scaleLinear(add, graphWidth, maxChange)
                    del = total - add
                } else {
                    del = scaleLinear(del, graphWidth, maxChange)
                    add = total - del
                }
            }
            out.append(head + rightAligned(String(added + deleted), numberWidth) + (added + deleted > 0 ? " " : "")
                       + String(repeating: "+", count: add) + String(repeating: "-", count: del))
        }
        out.append(summary(files: files.count, insertions: files.reduce(0) { $0 + $1.insertions },
                           deletions: files.reduce(0) { $0 + $1.deletions }))
        return out
    }

    /// ` 3 files changed, 29 insertions(+), 9 deletions(-)`, worded as git words it.
    public static func summary(files: Int, insertions: Int, deletions: Int) -> String {
        if files == 0 { return " 0 files changed" }
        var s = " \(files) file\(files == 1 ? "" : "s") changed"
        if insertions > 0 || deletions == 0 { s += ", \(insertions) insertion\(insertions == 1 ? "" : "s")(+)" }
        if deletions > 0 || insertions == 0 { s += ", \(deletions) deletion\(deletions == 1 ? "" : "s")(-)" }
        return s
    }

    /// The file's name in the stat: its path, or `mm/{old.c => new.c}` for a rename.
    static func displayName(_ f: PatchFile) -> String {
        guard f.isRename, let a = f.oldPath, let b = f.newPath else { return f.path }
        return renameName(a, b)
    }

    /// git's pprint_rename(): the common directory prefix and suffix outside braces.
    static func renameName(_ a: String, _ b: String) -> String {
        let x = Array(a.utf8), y = Array(b.utf8)
        var pfx = 0, i = 0
        while i < x.count, i < y.count, x[i] == y[i] {
            if x[i] == UInt8(ascii: "/") { pfx = i + 1 }
            i += 1
        }
        var sfx = 0
        var p = x.count - 1, q = y.count - 1
        let adjust = pfx > 0 ? 1 : 0
        while p >= pfx - adjust, q >= pfx - adjust, p >= 0, q >= 0, x[p] == y[q] {
            if x[p] == UInt8(ascii: "/") { sfx = x.count - p }
            p -= 1; q -= 1
        }
        guard pfx + sfx > 0 else { return "\(a) => \(b)" }
        let aMid = max(x.count - pfx - sfx, 0), bMid = max(y.count - pfx - sfx, 0)
        func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        return text(x[0..<pfx]) + "{" + text(x[pfx..<pfx + aMid]) + " => " + text(y[pfx..<pfx + bMid]) + "}"
            + text(x[(x.count - sfx)...])
    }

    /// scale_linear(): at least one column for a non-zero count.
    static func scaleLinear(_ it: Int, _ width: Int, _ maxChange: Int) -> Int {
        it == 0 ? 0 : 1 + it * (width - 1) / maxChange
    }

    static func rightAligned(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(width - s.count, 0)) + s
    }
}
