import Foundation
import XCTest

/// `--save-scenario` writes what a command line describes; `--scenario` runs it again.
final class ScenarioCommandTests: XCTestCase {
    func temp(_ name: String) -> String {
        let d = NSTemporaryDirectory() + "pcpsim-sc-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: d)
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func run(_ args: [String]) throws -> Harness.Result {
        let r = try Harness.run([Harness.binary] + args, timeout: 120, in: Harness.root.path)
        XCTAssertEqual(r.status, 0, "\(args): \(r.err)")
        return r
    }

    /// A saved scenario (TOML, JSON), in another directory than the files it names, gives
    /// byte-identical --json output.
    func testSavedScenarioReproducesTheJSON() throws {
        let dir = temp("reproduce")
        let conf = dir + "/knobs.conf"
        try "vm.watermark_scale_factor = 30\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let variants: [[String]] = [
            ["--policy", "pcp-buddy", "--workload", "jemalloc-purge", "--memory", "1G", "--cpus", "4", "--ops", "20000", "--seed", "3",
             "--remote-free-lock", "trylock", "--sysctl-file", conf, "--sysctl", "vm.percpu_pagelist_high_fraction=8", "--check", "--check-every", "500"],
            ["--workload", "trace:fixtures/kmem-trace-excerpt.txt", "--like-zoneinfo", "fixtures/zoneinfo.txt", "--pcp-state-from-zoneinfo",
             "--sysctl", "vm.min_free_kbytes=67584", "--policy", "block-economy"],
        ]
        for (k, args) in variants.enumerated() {
            let scenario = dir + "/plans/s\(k)" + (k == 0 ? ".toml" : ".json")
            try FileManager.default.createDirectory(atPath: dir + "/plans", withIntermediateDirectories: true)
            let direct = try run(["run"] + args + ["--json", "-", "--save-scenario", scenario]).out
            let again = try run(["run", "--scenario", scenario, "--json", "-"]).out
            XCTAssertFalse(direct.isEmpty)
            XCTAssertEqual(again, direct, "run \(args.joined(separator: " "))")
        }
        let saved = try String(contentsOfFile: dir + "/plans/s1.json", encoding: .utf8)
        XCTAssertTrue(saved.contains("\"zoneinfo\" : \""), saved)
        XCTAssertFalse(saved.contains("\"zoneinfo\" : \"fixtures"), "paths are relative to the scenario file")
    }

    /// Options given with --scenario change it.
    func testOptionsChangeALoadedScenario() throws {
        let dir = temp("override")
        let base = ["--workload", "random", "--memory", "512M", "--cpus", "2", "--ops", "5000"]
        _ = try run(["run"] + base + ["--save-scenario", dir + "/s.json"])
        let changed = try run(["run", "--scenario", dir + "/s.json", "--seed", "9", "--policy", "pcp-merge", "--json", "-"]).out
        let direct = try run(["run"] + base + ["--seed", "9", "--policy", "pcp-merge", "--json", "-"]).out
        XCTAssertEqual(changed, direct)
        let render = try run(["render", "proc/buddyinfo", "--scenario", dir + "/s.json"]).out
        XCTAssertEqual(render, try run(["render", "proc/buddyinfo"] + base).out)
    }
}
