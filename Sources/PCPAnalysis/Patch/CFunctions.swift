/// Which C functions a hunk touches, read from the hunk alone (no source tree), in kernel style:
/// a definition starts at column 0 with its return type (`static void foo(struct zone *zone,`,
/// or the type alone on the line before `foo(`), its body opens with `{` after the parameter
/// list, and its closing `}` is at column 0. Indented lines (calls, statements) never start a
/// definition; a parameter list followed by `;`, `,` or `=` is a declaration, not a definition.
public enum CFunctions {
    /// One line of a hunk's body, without its ` `/`+`/`-` column.
    public struct Line: Equatable, Sendable {
        public enum Kind: Equatable, Sendable { case context, added, removed }
        public var kind: Kind
        public var text: Substring
        public init(kind: Kind, text: Substring) {
            self.kind = kind
            self.text = text
        }
    }

    /// The function git's hunk-header context names (`static int foo(struct zone *zone,`), or nil
    /// for a struct, a label, a prototype or anything else that is not a definition's first line.
    public static func headerFunction(_ context: String) -> String? {
        let line = Substring(context)
        // git names the line with the function's name, which is the type's line for a type on a
        // line of its own (`static inline struct page *` / `__rmqueue(struct zone *zone, ...`):
        // a name-only line is taken if it has a lower-case letter (not EXPORT_SYMBOL(x) or a
        // DEFINE_...() macro).
        let start = definitionStart(line, previous: nil)
            ?? definitionStart(line, previous: nil, nameOnly: true).flatMap { $0.name.contains(where: \.isLowercase) ? $0 : nil }
        guard let start, definitionEnd([line], from: 0, paren: start.paren) != nil else { return nil }
        return start.name
    }

    /// The functions the hunk changes, in the order of their first changed line, and the
    /// functions whose definition line the hunk adds or removes.
    ///
    /// Each side of the hunk (context + `+` lines: the new text; context + `-` lines: the old
    /// text) is walked from the function the header names: a definition start switches to that
    /// function; a column-0 `}`, a column-0 comment or a column-0 declaration leaves it (labels
    /// and `#if` lines do not); a changed line counts for the function it is in, unless it is
    /// blank or a lone `}`.
    /// A changed line anywhere in a definition's signature (from its first line to its `{`)
    /// counts for that function. Changes outside any function (after a `}`, in a struct at file
    /// scope) count for none, so a hunk that only adds a new function after `foo`'s end does not
    /// touch `foo` even when git's header names it. Linear in the hunk's lines for kernel-style code.
    public static func touched(header: String, body: [Line]) -> Touched {
        let start = headerFunction(header)
        // A label in the header (git's default funcname picks `out:`, the kernel's diff=cpp does
        // not): inside a function, but which one the hunk does not say.
        let unnamed = start == nil && isLabel(Substring(header)) ? "" : nil
        var result = Touched()
        var first: [String: Int] = [:]
        func touch(_ name: String?, _ at: Int) {
            guard let name else { return }
            if name.isEmpty { result.changesUnnamedFunction = true; return }
            if let old = first[name], old <= at { return }
            first[name] = at
        }
        for side in [Line.Kind.added, .removed] {
            let view = body.indices.filter { body[$0].kind == .context || body[$0].kind == side }
            let texts = view.map { body[$0].text }
            var current = start ?? unnamed
            var k = 0
            while k < view.count {
                let changed = body[view[k]].kind != .context
                let text = texts[k]
                // Before the first line: the header, which may be a type on a line of its own.
                if let def = definitionStart(text, previous: k > 0 ? texts[k - 1] : Substring(header)),
                   let end = definitionEnd(texts, from: k, paren: def.paren) {
                    let typeChanged = def.typeOnPreviousLine && k > 0 && body[view[k - 1]].kind != .context
                    current = def.name
                    if typeChanged {
                        touch(def.name, view[k - 1])
                    } else if let c = (k...end).first(where: { body[view[$0]].kind != .context }) {
                        touch(def.name, view[c])
                    }
                    if changed || typeChanged {
                        if side == .added { if !result.added.contains(def.name) { result.added.append(def.name) } }
                        else if !result.removed.contains(def.name) { result.removed.append(def.name) }
                    }
                    k = end + 1
                    continue
                }
                if isFileScope(text) { current = nil }
                // A blank line or a lone `}` says nothing of its own: git often slides an added
                // function's `}` and blank line onto the previous function's end.
                if changed, text != "}", !text.allSatisfy(\.isWhitespace) { touch(current, view[k]) }
                if text.hasPrefix("}") { current = nil }
                k += 1
            }
        }
        result.functions = first.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
        return result
    }

    /// What `touched(header:body:)` found in one hunk.
    public struct Touched: Equatable, Sendable {
        /// Functions with a changed line, in the order of their first changed line.
        public var functions: [String] = []
        /// Functions whose definition line the hunk adds / removes.
        public var added: [String] = []
        public var removed: [String] = []
        /// Lines change inside a function the hunk does not name (its header is a label).
        public var changesUnnamedFunction = false
    }

    /// `out:` / `retry: /* comment */`: a goto label at column 0.
    static func isLabel(_ t: Substring) -> Bool {
        let word = t.prefix(while: isIdentifierCharacter)
        guard let c = word.first, !c.isNumber else { return false }
        let after = t.dropFirst(word.count)
        guard after.hasPrefix(":"), !after.hasPrefix("::") else { return false }
        let rest = after.dropFirst().drop { $0 == " " || $0 == "\t" }
        return rest.isEmpty || rest.hasPrefix("/*") || rest.hasPrefix("//")
    }

    // MARK: recognising definitions

    static let notNames: Set<Substring> = [
        "if", "else", "for", "while", "do", "switch", "case", "default", "return", "goto", "break",
        "continue", "sizeof", "typeof", "__typeof__", "typeof_unqual", "alignof", "_Alignof",
        "__alignof__", "asm", "__asm__", "typedef", "defined", "_Static_assert", "static_assert",
        "__attribute__", "__attribute", "void", "char", "short", "int", "long", "float", "double",
        "signed", "unsigned", "bool", "_Bool", "struct", "union", "enum", "const", "volatile",
        "static", "inline", "extern", "register", "auto", "restrict", "__restrict",
    ]
    /// Words that make a column-0 line a statement or a typedef, not a definition's type.
    static let notTypeWords: Set<Substring> = [
        "return", "else", "goto", "case", "typedef", "if", "while", "for", "do", "switch", "sizeof", "default",
    ]

    static func isIdentifierCharacter(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }

    /// `static inline struct page *foo(`: the name before the first `(`, preceded by type words
    /// (or, with nothing before the name, a previous line made of type words only).
    /// `nameOnly`: take `foo(` with nothing before it as well (a header whose type line git skipped).
    static func definitionStart(_ t: Substring, previous: Substring?, nameOnly: Bool = false) -> (name: String, paren: Substring.Index, typeOnPreviousLine: Bool)? {
        guard let c = t.first, c == "_" || (c.isASCII && c.isLetter), let paren = t.firstIndex(of: "(") else { return nil }
        let before = t[..<paren].trimmingTrailingSpaces()
        let nameLength = before.reversed().prefix(while: isIdentifierCharacter).count
        guard nameLength > 0 else { return nil }
        let name = before.suffix(nameLength)
        guard let n0 = name.first, !n0.isNumber, !notNames.contains(name) else { return nil }
        let typePart = before.dropLast(nameLength)
        guard typePart.allSatisfy({ isIdentifierCharacter($0) || $0 == "*" || $0 == " " || $0 == "\t" }) else { return nil }
        let typeWords = typePart.split { $0 == " " || $0 == "\t" || $0 == "*" }
        if typeWords.isEmpty {
            guard typePart.isEmpty else { return nil }
            if nameOnly { return (String(name), paren, false) }
            guard let p = previous, isTypeOnly(p) else { return nil }
            return (String(name), paren, true)
        }
        guard !typeWords.contains(where: { notTypeWords.contains($0) }) else { return nil }
        return (String(name), paren, false)
    }

    /// A line that can only be outside a function in kernel style: a comment starting at column
    /// 0 (`/*`, ` *` of a block comment above a function) or a column-0 statement that is not a
    /// label (`static DEFINE_MUTEX(x);`, `struct foo {`, `EXPORT_SYMBOL(bar);`).
    static func isFileScope(_ t: Substring) -> Bool {
        if t.hasPrefix("/*") || t.hasPrefix(" *") { return true }
        guard let c = t.first, c == "_" || (c.isASCII && c.isLetter) else { return false }
        let word = t.prefix(while: isIdentifierCharacter)
        let after = t.dropFirst(word.count)
        return !(after.hasPrefix(":") && !after.hasPrefix("::"))
    }

    /// `static void` / `static inline struct page *`: a column-0 line of type words only.
    static func isTypeOnly(_ t: Substring) -> Bool {
        guard let c = t.first, c == "_" || (c.isASCII && c.isLetter) else { return false }
        guard t.allSatisfy({ isIdentifierCharacter($0) || $0 == "*" || $0 == " " || $0 == "\t" }) else { return false }
        let words = t.split { $0 == " " || $0 == "\t" || $0 == "*" }
        return !words.isEmpty && !words.contains { notTypeWords.contains($0) }
    }

    /// Where the definition starting at `lines[from]` opens its body: the index of the line with
    /// the `{` after the parameter list (annotations such as `__must_hold(&zone->lock)` between
    /// are skipped), the last index if the lines run out first (a hunk can end mid-signature),
    /// or nil if something else follows the list (`;` of a prototype, `,` or `=`).
    static func definitionEnd(_ lines: [Substring], from: Int, paren: Substring.Index) -> Int? {
        var depth = 0
        var inParams = true
        var inComment = false
        var k = from
        var text = lines[from][paren...]
        while true {
            var i = text.startIndex
            while i < text.endIndex {
                let c = text[i]
                let next = text.index(after: i)
                if inComment {
                    if c == "*", next < text.endIndex, text[next] == "/" { inComment = false; i = text.index(after: next) } else { i = next }
                    continue
                }
                if c == "/", next < text.endIndex, text[next] == "*" { inComment = true; i = text.index(after: next); continue }
                if c == "/", next < text.endIndex, text[next] == "/" { break }
                if inParams {
                    if c == "(" { depth += 1 } else if c == ")" { depth -= 1; if depth == 0 { inParams = false } }
                    i = next
                    continue
                }
                if c == " " || c == "\t" || isIdentifierCharacter(c) { i = next; continue }
                if c == "(" { inParams = true; depth = 1; i = next; continue }
                return c == "{" ? k : nil
            }
            k += 1
            guard k < lines.count else { return lines.count - 1 }
            text = lines[k][...]
        }
    }
}
