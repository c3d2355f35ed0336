/// A patch or mbox that cannot be read: where (1-based line of the input) and what, in one line.
public struct PatchError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }
    public var description: String { "line \(line): \(message)" }
}

/// One mail of a patch series (or the whole input, for a bare diff).
public struct PatchMessage: Equatable, Sendable {
    /// The Subject header, unfolded and RFC 2047-decoded, without its `[PATCH ...]`/`[RFC ...]` tag.
    public var subject: String?
    /// What the leading bracket groups said, e.g. "RFC 2/2" or "PATCH v3 1/4" (brackets removed).
    public var tag: String?
    /// The Message-Id without its angle brackets.
    public var messageId: String?
    public var date: String?
    /// The From header, RFC 2047-decoded.
    public var from: String?
    /// Where the message starts in the input (1-based; the mbox `From ` line if there is one).
    public var line: Int
    /// The files the diff changes, in the diff's order (empty for a cover letter).
    public var files: [PatchFile]

    public init(subject: String? = nil, tag: String? = nil, messageId: String? = nil, date: String? = nil,
                from: String? = nil, line: Int = 1, files: [PatchFile] = []) {
        self.subject = subject
        self.tag = tag
        self.messageId = messageId
        self.date = date
        self.from = from
        self.line = line
        self.files = files
    }

    /// Lines added over every file, counted from the hunks.
    public var insertions: Int { files.reduce(0) { $0 + $1.insertions } }
    /// Lines removed over every file, counted from the hunks.
    public var deletions: Int { files.reduce(0) { $0 + $1.deletions } }
}

/// One file of a diff.
public struct PatchFile: Equatable, Sendable {
    /// The path before (without `a/`); nil for a new file (`/dev/null`).
    public var oldPath: String?
    /// The path after (without `b/`); nil for a deleted file.
    public var newPath: String?
    /// `Binary files ... differ` or `GIT binary patch`: no hunks to count.
    public var isBinary: Bool
    /// Where the file's header starts in the input (1-based).
    public var line: Int
    public var hunks: [PatchHunk]

    public init(oldPath: String?, newPath: String?, isBinary: Bool = false, line: Int, hunks: [PatchHunk] = []) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.isBinary = isBinary
        self.line = line
        self.hunks = hunks
    }

    /// The path the file has after the patch (before it, for a deletion).
    public var path: String { newPath ?? oldPath ?? "" }
    public var insertions: Int { hunks.reduce(0) { $0 + $1.insertions } }
    public var deletions: Int { hunks.reduce(0) { $0 + $1.deletions } }
    public var isRename: Bool { oldPath != nil && newPath != nil && oldPath != newPath }
}

/// One `@@ -a,b +c,d @@ context` hunk and what it touches.
public struct PatchHunk: Equatable, Sendable {
    public var oldStart: Int, oldCount: Int, newStart: Int, newCount: Int
    /// The text after the header's second `@@` (git's function context), trimmed.
    public var context: String
    /// Where the `@@` line is in the input (1-based).
    public var line: Int
    public var insertions: Int
    public var deletions: Int
    /// Kernel functions with a changed line in their body or signature, in the order the hunk
    /// first changes them (C files only; see `CFunctions.touched`).
    public var functions: [String]
    /// Functions whose definition line is a `+` line / a `-` line of this hunk.
    public var definitionsAdded: [String]
    public var definitionsRemoved: [String]
    /// Lines change inside a function the hunk does not name: git's header is a label (`out:`),
    /// as git's default funcname picks; the kernel's .gitattributes (diff=cpp) avoids that.
    public var changesUnnamedFunction: Bool = false

    public init(oldStart: Int, oldCount: Int, newStart: Int, newCount: Int, context: String, line: Int,
                insertions: Int, deletions: Int, functions: [String] = [],
                definitionsAdded: [String] = [], definitionsRemoved: [String] = []) {
        self.oldStart = oldStart
        self.oldCount = oldCount
        self.newStart = newStart
        self.newCount = newCount
        self.context = context
        self.line = line
        self.insertions = insertions
        self.deletions = deletions
        self.functions = functions
        self.definitionsAdded = definitionsAdded
        self.definitionsRemoved = definitionsRemoved
    }

    /// The function git named in the header, if the context is a C function definition.
    public var headerFunction: String? { CFunctions.headerFunction(context) }
}

/// Reads `git format-patch` output, an mbox of several such mails (split at `From <sha> <date>`
/// lines), a single mail, or a bare unified diff.
public enum PatchParser {
    /// Every message of the input. A message without a diff (a cover letter) is kept with no
    /// files; an input without any diff at all is not a patch and throws.
    public static func parse(_ text: String) throws(PatchError) -> [PatchMessage] {
        // ("\r\n" is one Character: CRLF files split on it as well as on "\n".)
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        if lines.last?.isEmpty == true { lines.removeLast() }
        if let n = lines.firstIndex(where: { $0.utf8.contains(0) }) {
            throw PatchError(line: n + 1, "not a patch: binary data")
        }
        var starts = lines.indices.filter { isMboxFromLine(lines[$0]) }
        if starts.first != 0 {
            // Text before the first `From ` line (or an input without one) is a message of its
            // own only if it says something.
            let end = starts.first ?? lines.count
            if lines[0..<end].contains(where: { !$0.allSatisfy(\.isWhitespace) }) { starts.insert(0, at: 0) }
        }
        var messages: [PatchMessage] = []
        for (k, start) in starts.enumerated() {
            let end = k + 1 < starts.count ? starts[k + 1] : lines.count
            messages.append(try parseMessage(lines, start..<end))
        }
        if !messages.contains(where: { !$0.files.isEmpty }) {
            throw PatchError(line: 1, lines.isEmpty ? "not a patch: the input is empty"
                             : "not a patch: no diff found (no 'diff --git' or '--- a/' + '+++ b/' file header)")
        }
        return messages
    }

    /// `From 3e51190a55e4... Mon Sep 17 00:00:00 2001`, `From mboxrd@z Thu Jan  1 00:00:00 1970`:
    /// "From ", a sender or sha, and a date that has a time of day and ends in a 4-digit year.
    static func isMboxFromLine(_ line: Substring) -> Bool {
        guard line.hasPrefix("From ") else { return false }
        let fields = line.split(separator: " ")
        guard fields.count >= 4, let year = fields.last, year.count == 4, year.allSatisfy(\.isASCIIDigitCharacter) else { return false }
        return fields.dropFirst(2).contains { f in
            let parts = f.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 3 && parts.allSatisfy { $0.count >= 1 && $0.count <= 2 && $0.allSatisfy(\.isASCIIDigitCharacter) }
        }
    }

    // MARK: messages

    static func parseMessage(_ lines: [Substring], _ range: Range<Int>) throws(PatchError) -> PatchMessage {
        var message = PatchMessage(line: range.lowerBound + 1)
        var i = range.lowerBound
        if i < range.upperBound, isMboxFromLine(lines[i]) { i += 1 }
        if i < range.upperBound, isHeaderLine(lines[i]) {
            var headers: [(String, String)] = []
            while i < range.upperBound, !lines[i].isEmpty {
                let l = lines[i]
                if l.first == " " || l.first == "\t" {
                    // A folded line continues the previous field: unfold by dropping the line break.
                    if !headers.isEmpty { headers[headers.count - 1].1 += String(l) }
                } else if let colon = l.firstIndex(of: ":"), isHeaderLine(l) {
                    headers.append((l[..<colon].lowercased(), String(l[l.index(after: colon)...])))
                } else {
                    break  // not a header: the body starts without a blank line
                }
                i += 1
            }
            func field(_ name: String) -> String? {
                headers.first { $0.0 == name }.map { $0.1.trimmingSpaces() }
            }
            if let s = field("subject") {
                let (tag, rest) = splitTag(RFC2047.decode(s))
                message.tag = tag
                message.subject = rest
            }
            message.messageId = field("message-id").map { id in
                var t = Substring(id)
                if t.hasPrefix("<") { t = t.dropFirst() }
                if t.hasSuffix(">") { t = t.dropLast() }
                return String(t)
            }
            message.date = field("date")
            message.from = field("from").map { RFC2047.decode($0) }
            if let cte = field("content-transfer-encoding")?.lowercased(), cte == "quoted-printable" || cte == "base64",
               lines[i..<range.upperBound].contains(where: { $0.hasPrefix("diff --git ") || $0.hasPrefix("@@ -") || $0.hasPrefix("+++ ") }) {
                throw PatchError(line: message.line, "the mail's body is \(cte)-encoded; decode it first (e.g. `git mailinfo`, or save the patch as plain text)")
            }
        }
        // In-body headers (git am's): a body that opens with From:/Subject:/Date: lines names the
        // patch's real author, subject or date.
        var j = i
        while j < range.upperBound, lines[j].isEmpty { j += 1 }
        while j < range.upperBound, isHeaderLine(lines[j]), let colon = lines[j].firstIndex(of: ":") {
            let name = lines[j][..<colon].lowercased(), value = lines[j][lines[j].index(after: colon)...].trimmingSpaces()
            if name == "from" { message.from = RFC2047.decode(value) }
            else if name == "date" { message.date = value }
            else if name == "subject" {
                let (tag, rest) = splitTag(RFC2047.decode(value))
                message.tag = tag
                message.subject = rest
            }
            else { break }
            j += 1
        }
        message.files = try parseDiff(lines, i..<range.upperBound)
        return message
    }

    /// `Name: value` with a name of printable ASCII other than ':' (RFC 5322 field-name).
    static func isHeaderLine(_ l: Substring) -> Bool {
        guard let colon = l.firstIndex(of: ":"), colon != l.startIndex else { return false }
        return l[..<colon].utf8.allSatisfy { $0 > 32 && $0 < 127 }
    }

    /// Leading `[PATCH v2 1/3]` / `[RFC 0/2]` / `[RFC PATCH net-next]` groups into a tag.
    static func splitTag(_ subject: String) -> (tag: String?, subject: String) {
        var rest = Substring(subject).drop { $0 == " " || $0 == "\t" }
        var tags: [String] = []
        while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            let upper = inside.uppercased()
            guard upper.contains("PATCH") || upper.contains("RFC") else { break }
            tags.append(inside.trimmingSpaces())
            rest = rest[rest.index(after: close)...].drop { $0 == " " || $0 == "\t" }
        }
        return (tags.isEmpty ? nil : tags.joined(separator: " "), String(rest))
    }

    // MARK: diffs

    static func parseDiff(_ lines: [Substring], _ range: Range<Int>) throws(PatchError) -> [PatchFile] {
        var files: [PatchFile] = []
        var current: PatchFile?
        /// After `diff --git`: its `---`/`+++` pair has not been seen yet.
        var gitHeaderOpen = false
        /// After a `+++` line: the next line must be a hunk header.
        var expectHunk = false
        var i = range.lowerBound
        func finish() {
            if let f = current { files.append(f) }
            current = nil
        }
        while i < range.upperBound {
            let l = lines[i]
            if expectHunk && !l.hasPrefix("@@") {
                throw PatchError(line: i + 1, "expected a hunk header '@@ -a,b +c,d @@' after the file header at line \(i)")
            }
            expectHunk = false
            if l.hasPrefix("diff --git ") {
                finish()
                let (a, b) = gitPaths(l.dropFirst("diff --git ".count))
                current = PatchFile(oldPath: a, newPath: b, line: i + 1)
                gitHeaderOpen = true
                i += 1
                continue
            }
            if l.hasPrefix("--- "), i + 1 < range.upperBound, lines[i + 1].hasPrefix("+++ ") {
                if !gitHeaderOpen || current == nil {
                    finish()
                    current = PatchFile(oldPath: nil, newPath: nil, line: i + 1)
                }
                current!.oldPath = headerPath(l.dropFirst(4))
                current!.newPath = headerPath(lines[i + 1].dropFirst(4))
                gitHeaderOpen = false
                expectHunk = true
                i += 2
                continue
            }
            if gitHeaderOpen, l.hasPrefix("--- ") {
                throw PatchError(line: i + 2, "expected '+++ b/...' after '--- ' at line \(i + 1)")
            }
            if gitHeaderOpen, current != nil {
                if l.hasPrefix("rename from ") || l.hasPrefix("copy from ") {
                    current!.oldPath = String(l.drop { $0 != " " }.dropFirst().drop { $0 != " " }.dropFirst())
                } else if l.hasPrefix("rename to ") || l.hasPrefix("copy to ") {
                    current!.newPath = String(l.drop { $0 != " " }.dropFirst().drop { $0 != " " }.dropFirst())
                } else if l.hasPrefix("new file mode") {
                    current!.oldPath = nil
                } else if l.hasPrefix("deleted file mode") {
                    current!.newPath = nil
                } else if l.hasPrefix("Binary files ") || l == "GIT binary patch" {
                    current!.isBinary = true
                }
            }
            if l.hasPrefix("@@"), current != nil {
                let (hunk, next) = try parseHunk(lines, at: i, end: range.upperBound, cCode: isCSource(current!.path))
                current!.hunks.append(hunk)
                gitHeaderOpen = false
                i = next
                continue
            }
            i += 1  // commit message, diffstat, index lines, signature: not diff content
        }
        if expectHunk {
            throw PatchError(line: range.upperBound + 1, "expected a hunk header '@@ -a,b +c,d @@' after the file header at line \(range.upperBound), found the end of the message")
        }
        finish()
        return files
    }

    /// `a/mm/x.c b/mm/x.c` → ("mm/x.c", "mm/x.c"); the halves are split where the `b/` path starts.
    static func gitPaths(_ s: Substring) -> (String?, String?) {
        let half = (s.count - 1) / 2
        if s.count % 2 == 1, s[s.index(s.startIndex, offsetBy: half)] == " " {
            let a = s.prefix(half), b = s.suffix(half)
            if a.dropFirst(2) == b.dropFirst(2) { return (stripPrefix(a), stripPrefix(b)) }
        }
        if let r = s.firstRange(of: " b/") {
            return (stripPrefix(s[..<r.lowerBound]), stripPrefix(s[s.index(after: r.lowerBound)...]))
        }
        return (nil, nil)
    }

    /// The path of a `---`/`+++` line: a timestamp after a tab dropped, `a/`/`b/` stripped,
    /// `/dev/null` as nil.
    static func headerPath(_ s: Substring) -> String? {
        var p = s.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).first ?? s
        p = p.trimmingTrailingSpaces()
        if p.hasPrefix("\""), p.hasSuffix("\""), p.count >= 2 { p = p.dropFirst().dropLast() }
        if p == "/dev/null" { return nil }
        return stripPrefix(p)
    }

    static func stripPrefix(_ p: Substring) -> String {
        var p = p
        if p.hasPrefix("\""), p.hasSuffix("\""), p.count >= 2 { p = p.dropFirst().dropLast() }
        if p.hasPrefix("a/") || p.hasPrefix("b/") { return String(p.dropFirst(2)) }
        return String(p)
    }

    static func isCSource(_ path: String) -> Bool { path.hasSuffix(".c") || path.hasSuffix(".h") }

    /// `@@ -a[,b] +c[,d] @@[ context]`: the numbers, and the context.
    static func parseHunkHeader(_ l: Substring) -> (Int, Int, Int, Int, String)? {
        guard l.hasPrefix("@@ -"), !l.hasPrefix("@@@") else { return nil }
        var s = l.dropFirst(4)
        func range() -> (Int, Int)? {
            let digits = s.prefix(while: \.isASCIIDigitCharacter)
            guard !digits.isEmpty, let start = Int(digits) else { return nil }
            s = s.dropFirst(digits.count)
            var count = 1
            if s.hasPrefix(",") {
                s = s.dropFirst()
                let d = s.prefix(while: \.isASCIIDigitCharacter)
                guard !d.isEmpty, let c = Int(d) else { return nil }
                count = c
                s = s.dropFirst(d.count)
            }
            return (start, count)
        }
        guard let (a, b) = range(), s.hasPrefix(" +") else { return nil }
        s = s.dropFirst(2)
        guard let (c, d) = range(), s.hasPrefix(" @@") else { return nil }
        s = s.dropFirst(3)
        guard s.isEmpty || s.hasPrefix(" ") || s.hasPrefix("\t") else { return nil }
        return (a, b, c, d, String(s.trimmingSpaces()))
    }

    /// The hunk whose header is at `start`, and the index of the line after its body.
    static func parseHunk(_ lines: [Substring], at start: Int, end: Int, cCode: Bool) throws(PatchError) -> (PatchHunk, Int) {
        let header = lines[start]
        if header.hasPrefix("@@@") {
            throw PatchError(line: start + 1, "combined diff hunk '@@@' is not supported (a merge commit's diff?)")
        }
        guard let (a, b, c, d, context) = parseHunkHeader(header) else {
            let shown = header.count > 60 ? header.prefix(57) + "..." : header
            throw PatchError(line: start + 1, "malformed hunk header '\(shown)' (expected '@@ -a,b +c,d @@')")
        }
        var old = b, new = d, ins = 0, del = 0
        var body: [CFunctions.Line] = []
        var i = start + 1
        while old > 0 || new > 0 {
            guard i < end else {
                throw PatchError(line: i + 1, "hunk at line \(start + 1) ends early: the input stops with \(old) old and \(new) new lines still due")
            }
            let l = lines[i]
            if l.hasPrefix(" ") || (l.isEmpty && old > 0 && new > 0) {
                // (An empty line is a context line whose single space a mailer stripped.)
                old -= 1; new -= 1
                body.append(.init(kind: .context, text: l.dropFirst()))
            } else if l.hasPrefix("-"), old > 0 {
                old -= 1; del += 1
                body.append(.init(kind: .removed, text: l.dropFirst()))
            } else if l.hasPrefix("+"), new > 0 {
                new -= 1; ins += 1
                body.append(.init(kind: .added, text: l.dropFirst()))
            } else if !l.hasPrefix("\\") {  // "\ No newline at end of file" counts for neither side
                throw PatchError(line: i + 1, "hunk at line \(start + 1) ends early: expected \(old) more old and \(new) more new lines, found '\(l.prefix(40))'")
            }
            i += 1
        }
        if i < end, lines[i].hasPrefix("\\") { i += 1 }
        if i < end, let c = lines[i].first, c == " " || c == "+" || c == "-",
           !(lines[i].hasPrefix("--") || lines[i].hasPrefix("+++ ")) {  // a signature `-- `, a MIME boundary, a file header
            throw PatchError(line: i + 1, "hunk at line \(start + 1) has more lines than its header counts (-\(a),\(b) +\(c),\(d))")
        }
        var hunk = PatchHunk(oldStart: a, oldCount: b, newStart: c, newCount: d, context: context,
                             line: start + 1, insertions: ins, deletions: del)
        if cCode {
            let t = CFunctions.touched(header: context, body: body)
            hunk.functions = t.functions
            hunk.definitionsAdded = t.added
            hunk.definitionsRemoved = t.removed
            hunk.changesUnnamedFunction = t.changesUnnamedFunction
        }
        return (hunk, i)
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

extension Substring {
    func trimmingTrailingSpaces() -> Substring {
        var s = self
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
