import XCTest
import PCPModel
import PCPRender
import PCPScenario

/// Scenario files: every field survives a save and a load, the bytes are stable, paths follow
/// the file, and a bad file is a one-line error.
final class ScenarioFileTests: XCTestCase {
    func testEveryFieldSurvivesSaveAndLoad() throws {
        let dir = Support.tempDir("roundtrip")
        for s in [Support.everything(), Scenario(), Support.small("mix:random+kbuild")] {
            let path = dir + "/s.json"
            try ScenarioFile.save(s, to: path)
            XCTAssertEqual(try ScenarioFile.load(path), s)
            let first = FileManager.default.contents(atPath: path)
            try ScenarioFile.save(try ScenarioFile.load(path), to: path)
            XCTAssertEqual(FileManager.default.contents(atPath: path), first, "saving a loaded scenario writes the same bytes")
        }
    }

    func testKeysAreSortedAndComplete() throws {
        let dir = Support.tempDir("keys")
        try ScenarioFile.save(Scenario(), to: dir + "/s.json")
        let text = try String(contentsOfFile: dir + "/s.json", encoding: .utf8)
        let top = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        XCTAssertEqual(top, ["check_every", "cost", "duration", "knobs", "machine", "params", "policy", "policy_options", "seed", "workload"])
        XCTAssertTrue(text.contains("\"duration\" : \"whole\""), text)
        XCTAssertTrue(text.contains("\"memory\" : \"16G\""), text)
    }

    /// Paths in the file are relative to it; in the loaded value, relative to the working
    /// directory again (absolute ones stay absolute).
    func testPathsAreRelativeToTheFile() throws {
        let dir = Support.tempDir("paths")
        let cwd = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
        try FileManager.default.createDirectory(atPath: "plans/a", withIntermediateDirectories: true)
        var s = Support.everything()
        s.traceOut = "/tmp/absolute.txt"
        try ScenarioFile.save(s, to: "plans/a/s.json")
        let text = try String(contentsOfFile: "plans/a/s.json", encoding: .utf8)
        XCTAssertTrue(text.contains("\"zoneinfo\" : \"..\\/..\\/fixtures\\/zoneinfo.txt\""), text)
        XCTAssertTrue(text.contains("\"workload\" : \"trace:..\\/..\\/fixtures\\/kmem-trace-excerpt.txt\""), text)
        XCTAssertTrue(text.contains("\"trace_out\" : \"\\/tmp\\/absolute.txt\""), text)
        XCTAssertEqual(try ScenarioFile.load("plans/a/s.json"), s)
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath("plans"))
        XCTAssertEqual(try ScenarioFile.load("a/s.json").workload, .trace("../fixtures/kmem-trace-excerpt.txt"), "relative to the working directory")
    }

    func testMissingKeysTakeTheirDefaults() throws {
        let dir = Support.tempDir("defaults")
        try #"{"workload": "kbuild", "machine": {"cpus": 4}, "policy": "pcp-merge", "cost": {"bounce_ns": 90}}"#
            .write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        var want = Scenario()
        want.workload = .builtin("kbuild")
        want.machine = .x86(X86Machine(cpus: 4))
        want.policy = .pcpMerge
        want.cost.bounceNs = 90
        XCTAssertEqual(try ScenarioFile.load(dir + "/s.json"), want)
    }

    func testBadFilesAreOneLineErrors() throws {
        let dir = Support.tempDir("bad")
        let cases: [(String, String)] = [
            (#"{"workload": "kbuild", "sed": 3}"#, "unknown key"),
            (#"{"workload": "nope"}"#, "workload: 'nope' is not a workload"),
            (#"{"policy": "slab"}"#, "policy: 'slab' is not one of baseline, pcp-buddy, pcp-merge, block-economy"),
            (#"{"machine": {"memory": "lots"}}"#, "machine.memory: 'lots': expected a size"),
            (#"{"machine": {"cpus": 4, "zoneinfo": "z"}}"#, "an imported machine takes only"),
            (#"{"machine": {"pcp_state": "movable"}}"#, "need zoneinfo"),
            (#"{"duration": "10 seconds"}"#, "'10 seconds' is not 'N ops', 'T s' or 'whole'"),
            (#"{"cost": {"warp_ns": 1}}"#, "unknown cost 'warp_ns'"),
            (#"{"seed": "one"}"#, "seed: expected"),
            (#"{"knobs": [{"value": "1"}]}"#, "knobs.[0].name: missing or of the wrong type"),
            ("{", "not valid JSON"),
        ]
        for (text, mentions) in cases {
            try text.write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ScenarioFile.load(dir + "/s.json"), text) { e in
                let message = "\(e)"
                XCTAssertTrue(message.hasPrefix(dir + "/s.json: "), message)
                XCTAssertTrue(message.contains(mentions), "\(message) should mention \(mentions)")
                XCTAssertFalse(message.contains("\n"), message)
            }
        }
    }
}

/// The same scenarios as TOML.
final class ScenarioTOMLTests: XCTestCase {
    func testEveryFieldSurvivesSaveAndLoad() throws {
        let dir = Support.tempDir("toml")
        for s in [Support.everything(), Scenario(), Support.small("mix:random+kbuild")] {
            try ScenarioFile.save(s, to: dir + "/s.toml")
            XCTAssertEqual(try ScenarioFile.load(dir + "/s.toml"), s)
            let first = FileManager.default.contents(atPath: dir + "/s.toml")
            try ScenarioFile.save(try ScenarioFile.load(dir + "/s.toml"), to: dir + "/s.toml")
            XCTAssertEqual(FileManager.default.contents(atPath: dir + "/s.toml"), first, "saving a loaded scenario writes the same bytes")
        }
    }

    func testHandWrittenTOML() throws {
        let dir = Support.tempDir("toml-hand")
        try """
        workload = "jemalloc-purge"
        policy = "pcp-buddy"
        duration = "5000 ops"

        [machine]
        memory = "512M"
        cpus = 4

        [params]
        purgers = "2"

        [[knobs]]
        name = "vm.percpu_pagelist_high_fraction"
        value = "8"
        """.write(toFile: dir + "/s.toml", atomically: true, encoding: .utf8)
        var want = Support.small()
        want.params = ["purgers": "2"]
        want.knobs = [KnobSetting(name: "vm.percpu_pagelist_high_fraction", value: "8", origin: "scenario")]
        XCTAssertEqual(try ScenarioFile.load(dir + "/s.toml"), want)
    }

    func testBadTOMLIsAOneLineError() throws {
        let dir = Support.tempDir("toml-bad")
        for (text, mentions) in [("workload = \n", "line 1"), ("seed = \"x\"\n", "seed: missing or of the wrong type"), ("sed = 1\n", "sed: unknown key")] {
            try text.write(toFile: dir + "/s.toml", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ScenarioFile.load(dir + "/s.toml"), text) { e in
                XCTAssertTrue("\(e)".contains(mentions), "\(e) should mention \(mentions)")
                XCTAssertFalse("\(e)".contains("\n"), "\(e)")
            }
        }
        var s = Scenario()
        s.seed = .max
        XCTAssertThrowsError(try ScenarioFile.save(s, to: dir + "/big.toml")) { XCTAssertTrue("\($0)".contains("does not fit a TOML integer")) }
    }
}
