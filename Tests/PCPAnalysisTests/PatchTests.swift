import Foundation
import XCTest
@testable import PCPAnalysis

final class PatchTests: XCTestCase {
    /// The package root, from this file's path (Tests/PCPAnalysisTests/PatchTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("fixtures/patches/\(name)"), encoding: .utf8)
    }

    // MARK: the registry

    /// Kernel names at the start of a `///` line: `name()`, then `+ other()` or `-> other()`.
    static func kernelNames(_ docLine: Substring) -> [String] {
        var s = docLine.drop { $0 == " " || $0 == "\t" }.dropFirst(3).drop { $0 == " " }
        var names: [String] = []
        while true {
            let name = s.prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            guard let c = name.first, !c.isNumber, s.dropFirst(name.count).hasPrefix("()") else { break }
            names.append(String(name))
            s = s.dropFirst(name.count + 2).drop { $0 == " " }
            if s.hasPrefix("+") { s = s.dropFirst() } else if s.hasPrefix("->") { s = s.dropFirst(2) } else { break }
            s = s.drop { $0 == " " }
        }
        return names
    }

    /// `@inline(__always) public func rmqueue(order:` → "rmqueue".
    static func funcName(_ line: Substring) -> String? {
        let words = line.split { $0 == " " || $0 == "\t" }
        guard let k = words.firstIndex(of: "func"), k + 1 < words.count else { return nil }
        let name = words[k + 1].prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        return name.isEmpty ? nil : String(name)
    }

    /// What the doc lines of Sources/PCPModel say: for the first line of every `///` block right
    /// above a `func` (attribute lines such as `@inline(__always)` in between are skipped), the
    /// kernel names it starts with → that Swift function; with where each pairing was found.
    static func docLineRegistry() throws -> (registry: [String: [String]], sources: [String: [String]]) {
        let model = root.appendingPathComponent("Sources/PCPModel")
        guard let walk = FileManager.default.enumerator(at: model, includingPropertiesForKeys: nil) else {
            throw XCTSkip("cannot list \(model.path)")
        }
        let files = walk.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
        var registry: [String: Set<String>] = [:], sources: [String: [String]] = [:]
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            func isDoc(_ i: Int) -> Bool { lines[i].drop { $0 == " " || $0 == "\t" }.hasPrefix("///") }
            var i = 0
            while i < lines.count {
                guard isDoc(i) else { i += 1; continue }
                var j = i
                while j < lines.count, isDoc(j) { j += 1 }
                var k = j
                while k < lines.count, lines[k].drop(while: { $0 == " " }).hasPrefix("@"), funcName(lines[k]) == nil { k += 1 }
                if k < lines.count, let swift = funcName(lines[k]) {
                    for name in kernelNames(lines[i]) {
                        registry[name, default: []].insert(swift)
                        sources[name, default: []].append("\(file.path.dropFirst(root.path.count + 1)):\(i + 1)")
                    }
                }
                i = j
            }
        }
        return (registry.mapValues { $0.sorted() }, sources)
    }

    func testRegistryMatchesTheDocLines() throws {
        let (fromSources, whereFound) = try Self.docLineRegistry()
        XCTAssertGreaterThan(fromSources.count, 20, "found too few doc lines: is the root right? \(Self.root.path)")
        let registry = ModelledFunctions.all.mapValues { $0.sorted() }
        var problems: [String] = []
        for (name, swift) in fromSources.sorted(by: { $0.key < $1.key }) where registry[name] != swift {
            problems.append("doc lines (\(whereFound[name]!.joined(separator: ", "))) say \(name) → \(swift), the registry says \(registry[name].map { "\($0)" } ?? "nothing"): put   \"\(name)\": [\(swift.map { "\"\($0)\"" }.joined(separator: ", "))],")
        }
        for name in registry.keys.sorted() where fromSources[name] == nil {
            problems.append("the registry has \(name) but no doc line above a func names it any more: remove it")
        }
        XCTAssertTrue(problems.isEmpty, "ModelledFunctions.all is stale (Sources/PCPAnalysis/Patch/ModelledFunctions.swift):\n" + problems.joined(separator: "\n"))
    }

    func testRenamedFunctionsPointIntoTheRegistry() {
        for (old, new) in ModelledFunctions.renamed {
            XCTAssertNotNil(ModelledFunctions.all[new], "\(old) is renamed to \(new), which the registry does not have")
            XCTAssertNil(ModelledFunctions.all[old], "\(old) is both a current and an old name")
        }
        XCTAssertEqual(ModelledFunctions.lookup("free_unref_page_commit")?.modelledAs, "free_frozen_page_commit")
        XCTAssertNil(ModelledFunctions.lookup("pcp_rmqueue_smallest"))
    }

    // MARK: the synthetic RFC 2/2-shaped fixture

    func testFixtureHeaders() throws {
        let messages = try PatchParser.parse(try Self.fixture("synthetic-pcp-buddy-2.mbox"))
        XCTAssertEqual(messages.count, 1)
        let m = messages[0]
        // The subject is folded over two lines in the file.
        XCTAssertEqual(m.subject, "synthetic: PCP buddy refill, owned blocks and PCP merging, shaped like an RFC 2/2")
        XCTAssertEqual(m.tag, "RFC 2/2")
        XCTAssertEqual(m.messageId, "synthetic-pcp-buddy-2@pcpsim.invalid")
        XCTAssertEqual(m.date, "Thu, 1 Jan 2026 12:00:00 +0000")
        XCTAssertEqual(m.from, "Synthetic Author <synthetic@pcpsim.invalid>")
        XCTAssertEqual(m.line, 1)
    }

    func testFixtureDiffstatCountedFromHunks() throws {
        let m = try PatchParser.parse(try Self.fixture("synthetic-pcp-buddy-2.mbox"))[0]
        // Counted by hand from the hunks.
        XCTAssertEqual(m.files.map(\.path), ["include/linux/mmzone.h", "mm/internal.h", "mm/page_alloc.c"])
        XCTAssertEqual(m.files.map(\.insertions), [2, 1, 26])
        XCTAssertEqual(m.files.map(\.deletions), [0, 0, 9])
        XCTAssertEqual(m.insertions, 29)
        XCTAssertEqual(m.deletions, 9)
        let pageAlloc = m.files[2]
        XCTAssertEqual(pageAlloc.hunks.map(\.insertions), [2, 2, 2, 13, 4, 3])
        XCTAssertEqual(pageAlloc.hunks.map(\.deletions), [0, 0, 0, 0, 9, 0])
        XCTAssertEqual(pageAlloc.hunks.map(\.line), [51, 60, 69, 78, 98, 120])
        XCTAssertEqual(pageAlloc.hunks[3].oldStart, 60)
        XCTAssertEqual(pageAlloc.hunks[3].newCount, 19)
    }

    /// The stat pcpsim computes is the one git format-patch wrote into the mail.
    func testDiffstatMatchesGitsOwn() throws {
        for name in ["synthetic-pcp-buddy-2.mbox", "synthetic-diffstat.mbox"] {
            let text = try Self.fixture(name)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let start = lines.firstIndex(of: "---")! + 1
            let end = lines[start...].firstIndex { $0.contains(" changed, ") }!
            let gits = Array(lines[start...end])
            XCTAssertEqual(Diffstat.lines(try PatchParser.parse(text)[0].files), gits, name)
        }
    }

    /// git diff --stat=W of the same change (git 2.39), narrow and wide.
    func testDiffstatWidthsMatchGit() throws {
        let files = try PatchParser.parse(try Self.fixture("synthetic-diffstat.mbox"))[0].files
        XCTAssertEqual(files.map(\.oldPath), ["Documentation/admin-guide/mm/some/deeper/directory/a-very-long-file-name-for-the-width-test.rst", nil, "mm/gone.c", "mm/old_name.c", "mm/page_alloc.c"])
        XCTAssertEqual(files.map(\.newPath), ["Documentation/admin-guide/mm/some/deeper/directory/a-very-long-file-name-for-the-width-test.rst", "mm/fresh.c", nil, "mm/new_name.c", "mm/page_alloc.c"])
        XCTAssertEqual(Diffstat.lines(files, width: 30), [
            " ...dth-test.rst |   1 -",
            " mm/fresh.c      |   7 +",
            " mm/gone.c       |  30 --",
            " ... new_name.c} |   2 +-",
            " mm/page_alloc.c | 120 +++++-",
            " 5 files changed, 108 insertions(+), 52 deletions(-)",
        ])
        XCTAssertEqual(Diffstat.lines(files, width: 40), [
            " ...for-the-width-test.rst |   1 -",
            " mm/fresh.c                |   7 +",
            " mm/gone.c                 |  30 --",
            " ..._name.c => new_name.c} |   2 +-",
            " mm/page_alloc.c           | 120 +++++-",
            " 5 files changed, 108 insertions(+), 52 deletions(-)",
        ])
        XCTAssertEqual(Diffstat.lines(files, width: 120), [
            " .../mm/some/deeper/directory/a-very-long-file-name-for-the-width-test.rst   |   1 -",
            " mm/fresh.c                                                                  |   7 +++",
            " mm/gone.c                                                                   |  30 ---------",
            " mm/{old_name.c => new_name.c}                                               |   2 +-",
            " mm/page_alloc.c                                                             | 120 ++++++++++++++++++++++++++++++------",
            " 5 files changed, 108 insertions(+), 52 deletions(-)",
        ])
        XCTAssertEqual(Diffstat.summary(files: 1, insertions: 1, deletions: 0), " 1 file changed, 1 insertion(+)")
        XCTAssertEqual(Diffstat.summary(files: 2, insertions: 0, deletions: 0), " 2 files changed, 0 insertions(+), 0 deletions(-)")
    }

    func testFixtureFunctionsPerHunk() throws {
        let m = try PatchParser.parse(try Self.fixture("synthetic-pcp-buddy-2.mbox"))[0]
        // A field added to a struct, a prototype added to a header: no function.
        XCTAssertEqual(m.files[0].hunks.map(\.functions), [[]])
        XCTAssertEqual(m.files[0].hunks[0].context, "struct per_cpu_pages {")
        XCTAssertEqual(m.files[1].hunks.map(\.functions), [[]])
        let hunks = m.files[2].hunks
        XCTAssertEqual(hunks.map(\.functions), [
            ["__free_one_page"],
            ["free_pcppages_bulk"],
            ["free_pcppages_bulk"],
            ["pcp_rmqueue_smallest"],  // git's header names __rmqueue, whose `}` comes before the change
            ["rmqueue_bulk"],
            ["free_frozen_page_commit"],
        ])
        XCTAssertEqual(hunks.map(\.headerFunction), ["__free_one_page", "free_pcppages_bulk", "free_pcppages_bulk", "__rmqueue", "rmqueue_bulk", "free_frozen_page_commit"])
        XCTAssertEqual(hunks[3].definitionsAdded, ["pcp_rmqueue_smallest"])
        XCTAssertEqual(hunks.flatMap(\.definitionsRemoved), [])
        // Calls in changed lines are not functions the patch touches.
        for call in ["pcp_merge_pass", "pcp_owned_block_add", "refill_phase", "page_is_pcp_buddy", "pageblock_owner", "pcp_expand"] {
            XCTAssertFalse(hunks.contains { $0.functions.contains(call) }, call)
        }
    }

    func testFixtureModelledAndNot() throws {
        let inspection = try PatchInspection(parsing: try Self.fixture("synthetic-pcp-buddy-2.mbox"))
        let fs = inspection.functions
        XCTAssertEqual(fs.map(\.name), ["__free_one_page", "free_pcppages_bulk", "pcp_rmqueue_smallest", "rmqueue_bulk", "free_frozen_page_commit"])
        XCTAssertEqual(fs.map(\.file), Array(repeating: "mm/page_alloc.c", count: 5))
        XCTAssertEqual(fs.map(\.hunks), [[0], [1, 2], [3], [4], [5]])
        XCTAssertEqual(fs.map(\.modelled), [true, true, false, true, true])
        XCTAssertEqual(fs.map(\.change), [.modified, .modified, .added, .modified, .modified])
        for f in fs where f.modelled {
            XCTAssertEqual(f.modelledBy, ModelledFunctions.all[f.name], f.name)
        }
        XCTAssertEqual(fs[2].modelledBy, [])
        XCTAssertTrue(inspection.coverage() == (4, 5))

        let report = inspection.render()
        XCTAssertTrue(report.contains("Subject:    synthetic: PCP buddy refill, owned blocks and PCP merging, shaped like an RFC 2/2\n"), report)
        XCTAssertTrue(report.contains("Tag:        RFC 2/2\n"), report)
        XCTAssertTrue(report.contains("Message-Id: <synthetic-pcp-buddy-2@pcpsim.invalid>\n"), report)
        XCTAssertTrue(report.contains(" mm/page_alloc.c        | 35 ++++++++++++++++++++++++++---------\n"), report)
        XCTAssertTrue(report.contains(" 3 files changed, 29 insertions(+), 9 deletions(-)\n"), report)
        XCTAssertTrue(report.contains("include/linux/mmzone.h: no function touched\n"), report)
        XCTAssertTrue(report.contains("  pcp_rmqueue_smallest     hunk 4      NOT MODELLED (new in this patch)\n"), report)
        XCTAssertTrue(report.contains("  free_pcppages_bulk       hunks 2, 3  modelled by " + ModelledFunctions.all["free_pcppages_bulk"]!.joined(separator: ", ") + "\n"), report)
        XCTAssertTrue(report.contains("  rmqueue_bulk             hunk 5      modelled by " + ModelledFunctions.all["rmqueue_bulk"]!.joined(separator: ", ") + "\n"), report)
        XCTAssertTrue(report.hasSuffix("\ncoverage: 4 of 5 touched functions modelled (80%)\n"), report)
    }

    // MARK: mboxes and headers

    static let twoMessages = """
    From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
    From: A Developer <dev@example.invalid>
    Date: Mon, 5 Jan 2026 10:00:00 +0000
    Subject: [PATCH v2 1/2] mm: first
    Message-ID: <one@example.invalid>

    From the first line of this body on, nothing here starts a message.
    ---
     mm/page_alloc.c | 3 ++-
     1 file changed, 2 insertions(+), 1 deletion(-)

    diff --git a/mm/page_alloc.c b/mm/page_alloc.c
    index 1111111..2222222 100644
    --- a/mm/page_alloc.c
    +++ b/mm/page_alloc.c
    @@ -10,4 +10,5 @@ static int rmqueue_bulk(struct zone *zone, unsigned int order,
     \tint i, allocated = 0;
    -\tspin_lock(&zone->lock);
    +\tspin_lock_irqsave(&zone->lock, flags);
    +\tnote_refill(zone);
     \tfor (i = 0; i < count; ++i) {
     \t\tstruct page *page;
    --\u{20}
    2.43.0

    From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001
    From: A Developer <dev@example.invalid>
    Date: Mon, 5 Jan 2026 10:00:01 +0000
    Subject: [PATCH v2 2/2] mm: second
    Message-ID: <two@example.invalid>

    ---
    diff --git a/mm/vmstat.c b/mm/vmstat.c
    --- a/mm/vmstat.c
    +++ b/mm/vmstat.c
    @@ -1,3 +1,3 @@ static void refresh_cpu_vm_stats(bool do_pagesets)
     {
    -\tint x;
    +\tlong x;
     }
    @@ -40,2 +40,3 @@ void drain_zone_pages(struct zone *zone, struct per_cpu_pages *pcp)
     {
    +\tcount_drain(zone);
     }
    --\u{20}
    2.43.0
    """

    func testTwoMessageMbox() throws {
        let messages = try PatchParser.parse(Self.twoMessages)
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages.map(\.subject), ["mm: first", "mm: second"])
        XCTAssertEqual(messages.map(\.tag), ["PATCH v2 1/2", "PATCH v2 2/2"])
        XCTAssertEqual(messages.map(\.messageId), ["one@example.invalid", "two@example.invalid"])
        XCTAssertEqual(messages.map(\.line), [1, 26])
        XCTAssertEqual(messages[0].files.first?.hunks.first?.line, 16)
        XCTAssertEqual(messages[0].files.map(\.insertions), [2])
        XCTAssertEqual(messages[0].files.map(\.deletions), [1])
        XCTAssertEqual(messages[0].files[0].hunks[0].functions, ["rmqueue_bulk"])
        XCTAssertEqual(messages[1].files[0].hunks.map(\.functions), [["refresh_cpu_vm_stats"], ["drain_zone_pages"]])

        let inspection = PatchInspection(messages: messages)
        XCTAssertTrue(inspection.coverage(message: 0) == (1, 1))
        XCTAssertTrue(inspection.coverage(message: 1) == (1, 2))
        let report = inspection.render()
        XCTAssertTrue(report.contains("=== message 2 of 2 (line 26) ==="), report)
        XCTAssertTrue(report.contains("  refresh_cpu_vm_stats  hunk 1  NOT MODELLED\n"), report)
        XCTAssertTrue(report.contains("coverage: 1 of 2 touched functions modelled (50%)\n"), report)
        XCTAssertTrue(report.hasSuffix("overall coverage: 2 of 3 touched functions modelled (67%) over 2 patches\n"), report)
    }

    /// A lore thread mbox: mboxrd `From ` lines, a reply quoting the patch, an in-body From:,
    /// CRLF line ends, a MIME boundary after the last hunk.
    func testLoreStyleThread() throws {
        let thread = [
            "From mboxrd@z Thu Jan  1 00:00:00 1970",
            "From: Sender <sender@example.invalid>",
            "Subject: [PATCH] mm: tweak",
            "Message-ID: <patch@example.invalid>",
            "",
            "From: Real Author <author@example.invalid>",
            "",
            "From the first day this was wrong at 10:00:00 in 2026.",
            "---",
            "diff --git a/mm/page_alloc.c b/mm/page_alloc.c",
            "--- a/mm/page_alloc.c",
            "+++ b/mm/page_alloc.c",
            "@@ -1,2 +1,2 @@ static void free_one_page(struct zone *zone, struct page *page,",
            " {",
            "-\tx = 1;",
            "+\tx = 2;",
            "--0000000000001234abcd--",
            "",
            "From mboxrd@z Thu Jan  1 00:00:00 1970",
            "From: Reviewer <reviewer@example.invalid>",
            "Subject: Re: [PATCH] mm: tweak",
            "Message-ID: <reply@example.invalid>",
            "",
            "> @@ -1,2 +1,2 @@ static void free_one_page(struct zone *zone, struct page *page,",
            "> -\tx = 1;",
            "Looks fine.",
        ].joined(separator: "\r\n")
        let messages = try PatchParser.parse(thread)
        XCTAssertEqual(messages.map(\.messageId), ["patch@example.invalid", "reply@example.invalid"])
        XCTAssertEqual(messages.map(\.from), ["Real Author <author@example.invalid>", "Reviewer <reviewer@example.invalid>"])
        XCTAssertEqual(messages.map(\.subject), ["mm: tweak", "Re: [PATCH] mm: tweak"])
        XCTAssertEqual(messages.map(\.files.count), [1, 0])
        XCTAssertEqual(messages[0].files[0].hunks[0].functions, ["free_one_page"])
        let inspection = PatchInspection(messages: messages)
        XCTAssertEqual(inspection.functions.map(\.modelledBy), [ModelledFunctions.all["free_one_page"] ?? []])

        let qp = "From: a@example.invalid\nSubject: x\nContent-Transfer-Encoding: quoted-printable\n\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a=3D1;\n+a=3D2;\n"
        XCTAssertThrowsError(try PatchParser.parse(qp)) { error in
            XCTAssertTrue((error as? PatchError)?.message.contains("quoted-printable") == true)
        }
    }

    func testRFC2047Subject() throws {
        let mail = """
        From: =?UTF-8?q?Ren=C3=A9_D=C3=BCrr?= <rene@example.invalid>
        Subject: =?UTF-8?q?=5BRFC=20PATCH=5D=20mm:=20caf=C3=A9?=
         =?UTF-8?b?IGFuZCBuYcOvdmUg4oCU?= pages
        Message-Id: <2047@example.invalid>

        diff --git a/mm/a.c b/mm/a.c
        --- a/mm/a.c
        +++ b/mm/a.c
        @@ -1 +1 @@
        -a
        +b
        """
        let m = try PatchParser.parse(mail)[0]
        XCTAssertEqual(m.tag, "RFC PATCH")
        XCTAssertEqual(m.subject, "mm: café and naïve — pages")
        XCTAssertEqual(m.from, "René Dürr <rene@example.invalid>")
        XCTAssertEqual(RFC2047.decode("=?utf-8?B?w6k=?= =?utf-8?Q?=C3=A9?= x"), "éé x")
        XCTAssertEqual(RFC2047.decode("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard")
        XCTAssertEqual(RFC2047.decode("plain =?x-unknown?Q?abc?= text"), "plain =?x-unknown?Q?abc?= text")
        XCTAssertEqual(RFC2047.decode("a =?UTF-8?q?bad=ZZ?= b"), "a =?UTF-8?q?bad=ZZ?= b")
    }

    // MARK: bad input

    func testMalformedHunkHeaderThrowsWithItsLine() {
        let patch = """
        diff --git a/mm/page_alloc.c b/mm/page_alloc.c
        --- a/mm/page_alloc.c
        +++ b/mm/page_alloc.c
        @@ -10,2 +10,2 @@ static void foo(void)
         a
        -b
        +c
        @@ -20,2 +20 3 @@ static void bar(void)
         d
        """
        XCTAssertThrowsError(try PatchParser.parse(patch)) { error in
            let e = error as? PatchError
            XCTAssertEqual(e?.line, 8)
            XCTAssertTrue(e?.message.hasPrefix("malformed hunk header '@@ -20,2 +20 3 @@") == true, "\(String(describing: e))")
            XCTAssertFalse(e?.description.contains("\n") ?? true)
        }
    }

    func testHunkThatEndsEarlyOrRunsOverThrows() {
        let short = "--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n-b\n+c\ndiff --git a/y b/y\n"
        XCTAssertThrowsError(try PatchParser.parse(short)) { error in
            XCTAssertEqual((error as? PatchError)?.line, 7)
            XCTAssertTrue((error as? PatchError)?.message.contains("hunk at line 3 ends early") == true)
        }
        let truncated = "--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n-b\n"
        XCTAssertThrowsError(try PatchParser.parse(truncated)) { error in
            XCTAssertEqual((error as? PatchError)?.line, 6)
        }
        let long = "--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-b\n+c\n+d\n"
        XCTAssertThrowsError(try PatchParser.parse(long)) { error in
            XCTAssertEqual((error as? PatchError)?.line, 6)
            XCTAssertTrue((error as? PatchError)?.message.contains("more lines than its header counts") == true)
        }
        let noHunk = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\nhello\n"
        XCTAssertThrowsError(try PatchParser.parse(noHunk)) { error in
            XCTAssertEqual((error as? PatchError)?.line, 4)
        }
    }

    func testNotAPatchThrows() throws {
        for text in [
            "import Foundation\n\nprint(\"hello\")\n",
            "From: someone@example.invalid\nSubject: hello\n\nJust a mail, no diff.\n",
            "",
        ] {
            XCTAssertThrowsError(try PatchParser.parse(text), text) { error in
                XCTAssertEqual((error as? PatchError)?.line, 1)
                XCTAssertTrue((error as? PatchError)?.message.hasPrefix("not a patch") == true)
            }
        }
        XCTAssertThrowsError(try PatchParser.parse("abc\n\u{0}\u{1}")) { error in
            XCTAssertEqual((error as? PatchError)?.line, 2)
        }
        // The fixtures' README is not a patch either.
        XCTAssertThrowsError(try PatchParser.parse(try Self.fixture("README.md")))
    }

    // MARK: recognising functions

    func testDefinitionsDeclarationsAndCalls() throws {
        let patch = """
        --- a/mm/page_alloc.c
        +++ b/mm/page_alloc.c
        @@ -100,12 +100,13 @@ struct page *foo(void)
         \treturn NULL;
         }
        \u{20}
        -static void old_helper(struct zone *zone)
        -{
        -\tzone->x = 0;
        -}
        +void new_decl(struct zone *zone);
        +static DEFINE_PER_CPU(struct pcp_stats, pcp_stats);
         static int signature_changes(struct zone *zone,
        -\t\tint order)
        +\t\tint order, int cpu)
         {
         \treturn 0;
         }
        +static void
        +kr_style(struct zone *zone) __must_hold(&zone->lock)
        +{
        @@ -300,3 +300,3 @@
         int caller(void)
         {
        -\tcallee(1);
        +\tcallee(2);
        """
        let files = try PatchParser.parse(patch)
        XCTAssertEqual(files.count, 1)
        let hunks = files[0].files[0].hunks
        XCTAssertNil(files[0].subject)
        XCTAssertEqual(hunks[0].functions, ["old_helper", "signature_changes", "kr_style"])
        XCTAssertEqual(hunks[0].definitionsRemoved, ["old_helper"])
        XCTAssertEqual(hunks[0].definitionsAdded, ["kr_style"])
        XCTAssertEqual(hunks[1].context, "")
        XCTAssertEqual(hunks[1].functions, ["caller"])
        let inspection = PatchInspection(messages: files, registry: ["caller": ["callerSwift"]])
        XCTAssertEqual(inspection.functions.map(\.change), [.removed, .modified, .added, .modified])
        XCTAssertEqual(inspection.functions.map(\.modelledBy), [[], [], [], ["callerSwift"]])
        XCTAssertTrue(inspection.render().hasPrefix("(a bare diff: no mail headers)\n"))

        XCTAssertEqual(CFunctions.headerFunction("static inline struct page *__rmqueue(struct zone *zone, unsigned int order,"), "__rmqueue")
        XCTAssertEqual(CFunctions.headerFunction("static int __init init_per_zone_wmark_min(void)"), "init_per_zone_wmark_min")
        for notADefinition in ["struct per_cpu_pages {", "EXPORT_SYMBOL(free_pages);", "out:", "void foo(int a);",
                               "static DEFINE_MUTEX(pcp_batch_high_lock);", "typedef int (*fn)(void);", "\tfoo(zone);", ""] {
            XCTAssertNil(CFunctions.headerFunction(notADefinition), notADefinition)
        }
    }

    /// Shapes real mm/ patches have: a type on its own line (git then names the line below it),
    /// a kerneldoc comment above the next function, a `}` git slides onto an added function, a
    /// label as the header (git without the kernel's diff=cpp attribute).
    func testKernelStyleHunks() throws {
        XCTAssertEqual(CFunctions.headerFunction("__rmqueue(struct zone *zone, unsigned int order, int migratetype,"), "__rmqueue")
        XCTAssertNil(CFunctions.headerFunction("SYSCALL_DEFINE3(mbind, unsigned long, start,"))
        XCTAssertNil(CFunctions.headerFunction("static inline unsigned long"))
        let patch = """
        --- a/mm/compaction.c
        +++ b/mm/compaction.c
        @@ -10,3 +10,3 @@ static inline unsigned long
         reinit_migrate_pfn(struct compact_control *cc)
         {
        -\treturn cc->migrate_pfn;
        +\treturn cc->fast_start_pfn;
        @@ -30,4 +30,4 @@ static void foo(void)
         /**
        - * bar() - old words
        + * bar() - new words
          */
         static void bar(void)
        @@ -50,4 +50,9 @@ static void foo(void)
         \tfoo_tail();
        +}
        +
        +static void new_fn(struct zone *zone)
        +{
        +\tx();
         }
        \u{20}
         static void baz(void)
        @@ -90,2 +95,2 @@ retry:
         \tif (x)
        -\t\tgoto retry;
        +\t\tgoto out;
        """
        let m = try PatchParser.parse(patch)[0]
        let hunks = m.files[0].hunks
        XCTAssertEqual(hunks.map(\.functions), [["reinit_migrate_pfn"], [], ["new_fn"], []])
        XCTAssertEqual(hunks.map(\.changesUnnamedFunction), [false, false, false, true])
        let report = PatchInspection(messages: [m]).render()
        XCTAssertTrue(report.contains("  (hunk 4: inside a function the header does not name: 'retry:')\n"), report)
        XCTAssertTrue(report.contains("\nnote: 1 hunk changes a function whose name the hunk header does not give"), report)
    }

    func testOlderKernelNameIsModelledUnderItsNewName() throws {
        let patch = """
        --- a/mm/page_alloc.c
        +++ b/mm/page_alloc.c
        @@ -1,2 +1,2 @@ static void free_unref_page_commit(struct zone *zone, struct per_cpu_pages *pcp,
         {
        -\ta();
        +\tb();
        """
        let inspection = try PatchInspection(parsing: patch)
        XCTAssertEqual(inspection.functions.map(\.name), ["free_unref_page_commit"])
        XCTAssertEqual(inspection.functions[0].modelledAs, "free_frozen_page_commit")
        XCTAssertEqual(inspection.functions[0].modelledBy, ModelledFunctions.all["free_frozen_page_commit"])
        XCTAssertTrue(inspection.render().contains("(as free_frozen_page_commit)"))
    }

    func testNonCFilesAndCoverLetters() throws {
        let mbox = """
        From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
        Subject: [RFC 0/1] cover

        Words only.

        From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
        Subject: [RFC 1/1] docs

        ---
        diff --git a/Documentation/mm/a.rst b/Documentation/mm/a.rst
        --- a/Documentation/mm/a.rst
        +++ b/Documentation/mm/a.rst
        @@ -1 +1 @@
        -Static void text(like this) {
        +New text
        """
        let messages = try PatchParser.parse(mbox)
        XCTAssertEqual(messages.map(\.files.count), [0, 1])
        XCTAssertEqual(messages[1].files[0].hunks[0].functions, [])
        let report = PatchInspection(messages: messages).render()
        XCTAssertTrue(report.contains("no diff (a cover letter or a reply)"), report)
        XCTAssertTrue(report.contains("Documentation/mm/a.rst: not C source"), report)
        XCTAssertTrue(report.contains("coverage: 0 of 0 touched functions modelled (n/a)"), report)
    }

    /// Mangled fixtures (lines dropped, doubled, cut, characters inserted, the text truncated):
    /// every one parses or throws a one-line PatchError, and renders; none traps.
    func testMangledInputNeverCrashes() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {  // splitmix64, deterministic
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(max(n, 1)))
        }
        let bases = [try Self.fixture("synthetic-pcp-buddy-2.mbox"), try Self.fixture("synthetic-diffstat.mbox"), Self.twoMessages]
        let alphabet: [Character] = ["@", "-", "+", " ", "\\", "\n", "(", ")", "{", "}", ";", "=", "?", "a", "_", "1", ",", "/", "\t", "*", ":"]
        var parsed = 0, refused = 0
        for _ in 0..<2000 {
            var lines = bases[next(bases.count)].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for _ in 0...next(4) {
                let k = next(lines.count)
                switch next(5) {
                case 0: lines.remove(at: k)
                case 1: lines.insert(lines[k], at: k)
                case 2: lines[k] = String(lines[k].prefix(next(lines[k].count + 1)))
                case 3:
                    var l = Array(lines[k])
                    l.insert(alphabet[next(alphabet.count)], at: next(l.count + 1))
                    lines[k] = String(l)
                default: lines = Array(lines.prefix(k))
                }
                if lines.isEmpty { lines = [""] }
            }
            do throws(PatchError) {
                let inspection = try PatchInspection(parsing: lines.joined(separator: "\n"))
                XCTAssertFalse(inspection.render().isEmpty)
                XCTAssertFalse(inspection.render(statWidth: 1).isEmpty)
                parsed += 1
            } catch {
                XCTAssertFalse(error.description.contains("\n"), error.description)
                XCTAssertGreaterThanOrEqual(error.line, 1)
                refused += 1
            }
        }
        XCTAssertGreaterThan(parsed, 100)
        XCTAssertGreaterThan(refused, 100)
    }
}
