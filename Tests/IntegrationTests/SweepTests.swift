import Foundation
import XCTest

/// A sweep plan run by real engines (GNU parallel, xargs -P, a Slurm array's tasks) merges to the
/// same bytes as the single-process command, and survives a kill half-way.
final class SweepTests: XCTestCase {
    static let compareArgs = ["compare", "--workload", "random", "--cpus", "4", "--memory", "256M", "--ops", "3000",
                              "--seeds", "3", "--policies", "baseline,pcp-buddy", "--sweep", "cpus=2,4"]

    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "pcpsim-sweep-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }

    /// Writes the plan of `compareArgs` into DIR/sw and returns the single-process output.
    func plan(_ d: String, _ args: [String] = SweepTests.compareArgs, report: Bool = false) throws -> (single: String, dir: String) {
        let single = try Harness.run([Harness.binary] + args + (report ? ["--report", d + "/single"] : []), timeout: 300)
        XCTAssertEqual(single.status, 0, single.err)
        try args.joined(separator: " ").write(toFile: d + "/spec.txt", atomically: false, encoding: .utf8)
        let p = try Harness.run([Harness.binary, "sweep", "plan", d + "/spec.txt", "--out", d + "/sw", "--slurm"])
        XCTAssertEqual(p.status, 0, p.err)
        return (single.out, d + "/sw")
    }

    /// DIR/NAME.card: baseline against pcp-buddy on 2 CPUs and 128 MiB for 2,000 operations,
    /// `header` more machine lines, then `claims`.
    func writeCard(_ d: String, _ name: String, header: String = "", claims: String) throws -> String {
        let path = d + "/\(name).card"
        try ("title: \(name)\ncpus: 2\nmemory: 128M\nops: 2000\n" + header + "variants: baseline, pcp-buddy\n" + claims)
            .write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func merge(_ dir: String, _ extra: [String] = []) throws -> Harness.Result {
        try Harness.run([Harness.binary, "sweep", "merge", dir] + extra, timeout: 300)
    }

    func testPlanUnderGNUParallelMergesToTheSameBytes() throws {
        let parallel = try Harness.require("parallel")
        let d = try tempDir()
        let (single, dir) = try plan(d, report: true)
        let r = try Harness.sh("\(parallel) --will-cite -j 2 < \(dir)/plan.txt")
        XCTAssertEqual(r.status, 0, r.err)
        let m = try merge(dir, ["--report", d + "/merged"])
        XCTAssertEqual(m.status, 0, m.err)
        XCTAssertEqual(m.out, single)
        XCTAssertEqual(FileManager.default.contents(atPath: d + "/merged/index.html"), FileManager.default.contents(atPath: d + "/single/index.html"))
        XCTAssertEqual(FileManager.default.contents(atPath: d + "/merged/compare.json"), FileManager.default.contents(atPath: d + "/single/compare.json"))
    }

    func testPlanUnderXargsMergesToTheSameBytes() throws {
        let d = try tempDir()
        let (single, dir) = try plan(d)
        let r = try Harness.sh("xargs -P 2 -d '\\n' -n 1 sh -c < \(dir)/plan.txt")
        XCTAssertEqual(r.status, 0, r.err)
        let m = try merge(dir)
        XCTAssertEqual(m.status, 0, m.err)
        XCTAssertEqual(m.out, single)
    }

    /// The generated job array submitted to a real single-node Slurm (munged, slurmctld and
    /// slurmd started by scripts/slurm-local in a temporary directory) and merged.
    func testSlurmJobArrayOnASingleNodeCluster() throws {
        _ = try Harness.require("slurmctld")
        _ = try Harness.require("munged")
        guard getuid() == 0 else { throw XCTSkip("a single-node Slurm runs its daemons as root") }
        let d = try tempDir()
        let (single, dir) = try plan(d)
        let script = Harness.root.appendingPathComponent("scripts/slurm-local").path
        let start = try Harness.run([script, "start", d + "/slurm"], timeout: 60)
        addTeardownBlock { _ = try? Harness.run([script, "stop", d + "/slurm"]) }
        XCTAssertEqual(start.status, 0, start.err)
        let conf = start.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let test = try Harness.run(["/bin/bash", "-c", "SLURM_CONF=\(conf) sbatch --test-only \(dir)/sweep.sbatch"], timeout: 60)
        XCTAssertEqual(test.status, 0, test.err)
        let r = try Harness.run(["/bin/bash", "-c", "SLURM_CONF=\(conf) sbatch --wait \(dir)/sweep.sbatch"], timeout: 600)
        XCTAssertEqual(r.status, 0, r.out + r.err)
        let m = try merge(dir)
        XCTAssertEqual(m.status, 0, m.err)
        XCTAssertEqual(m.out, single)
    }

    /// The job array's script run index by index, as Slurm runs it (SLURM_ARRAY_TASK_ID set),
    /// with fewer tasks than lines: each task takes every Nth line.
    func testSlurmArrayScriptRunsEveryLineOnce() throws {
        let d = try tempDir()
        let (single, dir) = try plan(d)
        let script = try String(contentsOfFile: dir + "/sweep.sbatch", encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --array=0-11\n"), script)
        // Fewer tasks than lines: each task takes every Nth line.
        let p = try Harness.run([Harness.binary, "sweep", "plan", "--missing", dir, "--slurm", "--max-tasks", "5"])
        XCTAssertEqual(p.status, 0, p.err)
        let small = try String(contentsOfFile: dir + "/sweep.sbatch", encoding: .utf8)
        XCTAssertTrue(small.contains("#SBATCH --array=0-4\n"), small)
        let r = try Harness.sh("cd \(dir) && for i in 0 1 2 3 4; do SLURM_ARRAY_TASK_ID=$i bash sweep.sbatch & done; wait")
        XCTAssertEqual(r.status, 0, r.err)
        let m = try merge(dir)
        XCTAssertEqual(m.status, 0, m.err)
        XCTAssertEqual(m.out, single)
        XCTAssertEqual(try Harness.sh("ls \(dir)/runs | grep -c tmp").out.trimmingCharacters(in: .whitespacesAndNewlines), "0")
    }

    func testKilledSweepResumesWithMissingAndMergesTheSame() throws {
        let d = try tempDir()
        let (single, dir) = try plan(d)
        // Half the lines, then a merge that names what is missing.
        let r = try Harness.sh("head -n 6 \(dir)/plan.txt | xargs -P 2 -d '\\n' -n 1 sh -c")
        XCTAssertEqual(r.status, 0, r.err)
        // A killed job's leftover temporary file is not a result.
        try "{\"half\":".write(toFile: dir + "/runs/cpus=4-pcp-buddy-seed3.json.tmp.99999", atomically: false, encoding: .utf8)
        let partial = try merge(dir)
        XCTAssertEqual(partial.status, 2)
        XCTAssertTrue(partial.err.contains("6 of 12 runs have no metrics"), partial.err)
        XCTAssertTrue(partial.err.contains("cpus=4-pcp-buddy-seed3"), partial.err)
        let missing = try Harness.run([Harness.binary, "sweep", "plan", "--missing", dir])
        XCTAssertEqual(missing.out.split(separator: "\n").count, 6, missing.out)
        try missing.out.write(toFile: d + "/rest.txt", atomically: false, encoding: .utf8)
        XCTAssertEqual(try Harness.sh("xargs -P 2 -d '\\n' -n 1 sh -c < \(d)/rest.txt").status, 0)
        XCTAssertEqual(try Harness.run([Harness.binary, "sweep", "plan", "--missing", dir]).out, "")
        let m = try merge(dir)
        XCTAssertEqual(m.status, 0, m.err)
        XCTAssertEqual(m.out, single)
    }

    func testAnalyzeMergesToTheSameVerdicts() throws {
        let d = try tempDir()
        let card = Harness.root.appendingPathComponent("patches/rfc-pcp-buddy-2.card").path
        let args = ["analyze", card, "--small", "--seeds", "3"]
        let (single, dir) = try plan(d, args)
        XCTAssertTrue(single.contains("CONFIRMED"), single)
        XCTAssertEqual(try Harness.sh("xargs -P 2 -d '\\n' -n 1 sh -c < \(dir)/plan.txt").status, 0)
        let m = try merge(dir)
        XCTAssertEqual(m.status, 0, m.err)
        XCTAssertEqual(m.out, single)
    }

    /// Runs on the same aged machine share a `pcpsim sweep run` line, so a cluster ages it once;
    /// each run's metrics are the bytes its own `pcpsim run` writes, and `--missing` gives a lone
    /// run back its own line.
    func testRunsOnOneAgedMachineShareALine() throws {
        let d = try tempDir()
        let card = try writeCard(d, "aged", header: "age: 20s\n", claims: """
            claim: fault-loop
              workload: fault-loop
              params: pages=256
              expect: locks.zone.acquisitions pcp-buddy < baseline
            claim: random
              workload: random
              expect: locks.zone.acquisitions pcp-buddy < baseline

            """)
        let (single, dir) = try plan(d, ["analyze", card, "--seeds", "2"])
        let lines = try String(contentsOfFile: dir + "/plan.txt", encoding: .utf8).split(separator: "\n")
        // Two claims × two policies × two seeds: the claims' runs of one policy and seed share a machine.
        XCTAssertEqual(lines.count, 4, lines.joined(separator: "\n"))
        for l in lines { XCTAssertTrue(l.contains(" sweep run ") && l.contains("-c1-") && l.contains("-c2-"), String(l)) }
        XCTAssertEqual(try Harness.sh("xargs -P 2 -d '\\n' -n 1 sh -c < \(dir)/plan.txt").status, 0)
        XCTAssertEqual(try merge(dir).out, single)
        // The second run of a line ran on the restored machine.
        let alone = try Harness.run([Harness.binary, "run", "--scenario", dir + "/scenarios/aged-c2-pcp-buddy-seed2.json", "--json", d + "/alone.json", "--quiet"], timeout: 120)
        XCTAssertEqual(alone.status, 0, alone.err)
        XCTAssertEqual(FileManager.default.contents(atPath: d + "/alone.json"), FileManager.default.contents(atPath: dir + "/runs/aged-c2-pcp-buddy-seed2.json"))
        try FileManager.default.removeItem(atPath: dir + "/runs/aged-c2-pcp-buddy-seed2.json")
        let missing = try Harness.run([Harness.binary, "sweep", "plan", "--missing", dir])
        XCTAssertEqual(missing.out, "\(Harness.binary) run --scenario \(dir)/scenarios/aged-c2-pcp-buddy-seed2.json --json \(dir)/runs/aged-c2-pcp-buddy-seed2.json --quiet\n")
        XCTAssertEqual(try Harness.sh(missing.out).status, 0)
        XCTAssertEqual(try merge(dir).out, single)
        let wrong = try Harness.run([Harness.binary, "sweep", "run", dir, "aged-c1-baseline-seed1", "no-such-run"])
        XCTAssertEqual(wrong.status, 2, wrong.err)
        XCTAssertTrue(wrong.err.contains("has no run 'no-such-run'"), wrong.err)
    }

    /// The verdict map and the sweep charts, opened in headless Chromium: no console errors, and
    /// a screenshot that is not blank.
    func testReportsRenderInHeadlessChromium() throws {
        let chromium = try Harness.require("chromium")
        let d = try tempDir()
        let card = try writeCard(d, "t", claims: """
            claim: fewer zone->lock acquisitions
              workload: fault-loop
              params: pages=256
              expect: locks.zone.acquisitions pcp-buddy < baseline

            """)
        let a = try Harness.run([Harness.binary, "analyze", card, "--seeds", "2", "--sensitivity", "--report", d + "/analyze"], timeout: 600)
        XCTAssertEqual(a.status, 0, a.err)
        XCTAssertTrue(a.out.contains("sensitivity  fewer zone->lock acquisitions"), a.out)
        XCTAssertTrue(a.out.contains("(each condition on 2 seeds)"), a.out)
        let c = try Harness.run([Harness.binary] + SweepTests.compareArgs + ["--report", d + "/compare"], timeout: 300)
        XCTAssertEqual(c.status, 0, c.err)
        for page in ["analyze", "compare"] {
            let html = d + "/\(page)/index.html"
            let text = try String(contentsOfFile: html, encoding: .utf8)
            XCTAssertTrue(page == "compare" ? text.contains("Scaling: ") : text.contains("id=\"verdict-map\""), page)
            let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(d)/profile-\(page)", "--enable-logging=stderr", "--v=0"]
            let dom = try Harness.run([chromium] + flags + ["--dump-dom", "file://" + html], timeout: 120)
            XCTAssertEqual(dom.status, 0, dom.err)
            XCTAssertTrue(dom.out.contains(page == "compare" ? "<svg" : "data-verdict=\"CONFIRMED\"") || dom.out.contains("data-verdict="), page)
            XCTAssertFalse(dom.err.contains("CONSOLE"), dom.err)
            let shot = d + "/\(page).png"
            let s = try Harness.run([chromium] + flags + ["--screenshot=\(shot)", "--window-size=1200,900", "file://" + html], timeout: 120)
            XCTAssertEqual(s.status, 0, s.err)
            let png = try XCTUnwrap(FileManager.default.contents(atPath: shot))
            // A blank white page compresses to a few kB; the tables and charts do not.
            XCTAssertGreaterThan(png.count, 20_000, "\(page) screenshot looks blank")
        }
    }
}
