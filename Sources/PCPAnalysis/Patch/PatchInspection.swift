/// What a kernel patch (or a series in one mbox) touches, and how much of it pcpsim models:
/// what `pcpsim patch inspect FILE` prints.
public struct PatchInspection: Sendable {
    /// One kernel function one message's diff touches in one file.
    public struct Function: Equatable, Sendable {
        public enum Change: String, Equatable, Sendable {
            /// Its body or signature changes.
            case modified
            /// The patch adds its definition (a new function).
            case added
            /// The patch removes its definition.
            case removed
        }
        public var name: String
        /// The file's path after the patch.
        public var file: String
        /// Index into `messages`.
        public var message: Int
        /// Indices into the file's `hunks` of the hunks that touch it (0-based; printed 1-based).
        public var hunks: [Int]
        public var change: Change
        /// The PCPModel Swift functions that mirror it (`ModelledFunctions`); empty: not modelled.
        public var modelledBy: [String]
        /// The kernel name the registry knows it by, when that differs (a renamed function).
        public var modelledAs: String?
        public var modelled: Bool { !modelledBy.isEmpty }
    }

    public var messages: [PatchMessage]
    /// Per message, per file in diff order, per function in the order its hunks first touch it.
    public var functions: [Function]

    public init(messages: [PatchMessage], registry: [String: [String]] = ModelledFunctions.all,
                renamed: [String: String] = ModelledFunctions.renamed) {
        self.messages = messages
        var out: [Function] = []
        for (m, message) in messages.enumerated() {
            for file in message.files {
                var order: [String] = []
                var hunksOf: [String: [Int]] = [:]
                var added = Set<String>(), removed = Set<String>()
                for (h, hunk) in file.hunks.enumerated() {
                    for name in hunk.functions {
                        if hunksOf[name] == nil { order.append(name) }
                        hunksOf[name, default: []].append(h)
                    }
                    added.formUnion(hunk.definitionsAdded)
                    removed.formUnion(hunk.definitionsRemoved)
                }
                for name in order {
                    let change: Function.Change = added.contains(name) && !removed.contains(name) ? .added
                        : removed.contains(name) && !added.contains(name) ? .removed : .modified
                    var by = registry[name] ?? [], modelledAs: String?
                    if by.isEmpty, let newer = renamed[name], let s = registry[newer] {
                        by = s
                        modelledAs = newer
                    }
                    out.append(Function(name: name, file: file.path, message: m, hunks: hunksOf[name]!, change: change,
                                        modelledBy: by, modelledAs: modelledAs))
                }
            }
        }
        functions = out
    }

    /// Parses `text` (a patch, a mail or an mbox) and inspects it.
    public init(parsing text: String) throws(PatchError) {
        self.init(messages: try PatchParser.parse(text))
    }

    /// (modelled, touched) over the functions of one message, or of all messages.
    public func coverage(message: Int? = nil) -> (modelled: Int, touched: Int) {
        let fs = functions.filter { message == nil || $0.message == message }
        return (fs.filter(\.modelled).count, fs.count)
    }

    /// `coverage: 4 of 5 touched functions modelled (80%)`.
    public static func coverageLine(_ c: (modelled: Int, touched: Int), label: String = "coverage") -> String {
        let percent = c.touched == 0 ? "n/a" : "\(Int((100.0 * Double(c.modelled) / Double(c.touched)).rounded()))%"
        return "\(label): \(c.modelled) of \(c.touched) touched function\(c.touched == 1 ? "" : "s") modelled (\(percent))"
    }

    /// The report: per message its headers, git's diffstat (counted from the hunks), the
    /// functions each file's hunks touch with the model functions that mirror them, and the
    /// coverage; for a series, the coverage over all of it at the end.
    public func render(statWidth: Int = 72) -> String {
        var out: [String] = []
        let withDiff = messages.indices.filter { !messages[$0].files.isEmpty }
        for (m, message) in messages.enumerated() {
            if m > 0 { out.append("") }
            if messages.count > 1 { out.append("=== message \(m + 1) of \(messages.count) (line \(message.line)) ===") }
            var headers: [(String, String)] = []
            if let s = message.subject { headers.append(("Subject", s)) }
            if let t = message.tag { headers.append(("Tag", t)) }
            if let id = message.messageId { headers.append(("Message-Id", "<\(id)>")) }
            if let f = message.from { headers.append(("From", f)) }
            if let d = message.date { headers.append(("Date", d)) }
            if headers.isEmpty { out.append("(a bare diff: no mail headers)") }
            let keyWidth = headers.map(\.0.count).max() ?? 0
            for (k, v) in headers { out.append("\(k):" + String(repeating: " ", count: keyWidth - k.count + 1) + v) }
            guard !message.files.isEmpty else {
                out.append("")
                out.append("no diff (a cover letter or a reply)")
                continue
            }
            out.append("")
            out += Diffstat.lines(message.files, width: statWidth)
            out.append("")
            let fs = functions.filter { $0.message == m }
            let nameWidth = fs.map(\.name.count).max() ?? 0
            let hunkTexts = fs.map { f in "hunk\(f.hunks.count == 1 ? "" : "s") " + f.hunks.map { String($0 + 1) }.joined(separator: ", ") }
            let hunkWidth = hunkTexts.map(\.count).max() ?? 0
            for file in message.files {
                let mine = fs.indices.filter { fs[$0].file == file.path }
                let unnamed = file.hunks.indices.filter { file.hunks[$0].changesUnnamedFunction }
                if mine.isEmpty && unnamed.isEmpty {
                    let why = file.isBinary ? "binary"
                        : !PatchParser.isCSource(file.path) ? "not C source"
                        : file.hunks.isEmpty ? "no hunks" : "no function touched"
                    out.append("\(file.path): \(why)")
                    continue
                }
                out.append("\(file.path):")
                for i in mine {
                    let f = fs[i]
                    var verdict = f.modelled ? "modelled by " + f.modelledBy.joined(separator: ", ") : "NOT MODELLED"
                    if let a = f.modelledAs { verdict += " (as \(a))" }
                    if f.change != .modified { verdict += f.change == .added ? " (new in this patch)" : " (removed by this patch)" }
                    out.append("  " + f.name.padded(to: nameWidth) + "  " + hunkTexts[i].padded(to: hunkWidth) + "  " + verdict)
                }
                if !unnamed.isEmpty {
                    out.append("  (hunk\(unnamed.count == 1 ? "" : "s") \(unnamed.map { String($0 + 1) }.joined(separator: ", ")): inside a function the header does not name: "
                               + unnamed.map { "'\(file.hunks[$0].context)'" }.joined(separator: ", ") + ")")
                }
            }
            out.append("")
            out.append(Self.coverageLine(coverage(message: m)))
            let unnamedCount = message.files.reduce(0) { $0 + $1.hunks.filter(\.changesUnnamedFunction).count }
            if unnamedCount > 0 {
                out.append("note: \(unnamedCount) hunk\(unnamedCount == 1 ? "" : "s") change\(unnamedCount == 1 ? "s" : "") a function whose name the hunk header does not give (a label: git's default funcname); not counted above. The kernel's .gitattributes (*.c diff=cpp) makes git name them.")
            }
        }
        if withDiff.count > 1 {
            out.append("")
            out.append(Self.coverageLine(coverage(), label: "overall coverage") + " over \(withDiff.count) patches")
        }
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func padded(to width: Int) -> String { self + String(repeating: " ", count: max(width - count, 0)) }
}
