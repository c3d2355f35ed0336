import ArgumentParser
import Foundation
import PCPScenario

/// pcpsim: a simulated Linux 6.18 page allocator you can read like /proc and mount.
struct PCPSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcpsim",
        abstract: "A simulated Linux 6.18 page allocator (buddy + per-CPU page lists) you can mount.",
        subcommands: [MountCommand.self, ShellCommand.self, RunCommand.self, CompareCommand.self, AnalyzeCommand.self, SweepCommand.self, PatchCommand.self, RenderCommand.self, SnapshotCommand.self, ReplayCheckCommand.self, MachineCommand.self, WorkloadsCommand.self, BenchCommand.self]
    )
}

/// Bad input is a one-line error and exit status 2; help and version still exit 0.
@main
enum Main {
    static func main() {
        do {
            var command = try PCPSim.parseAsRoot(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let e as OutputError {
            // Not the user's input: the output could not be written (exit 1, as cp does).
            FileHandle.standardError.write(Data("pcpsim: error: \(e)\n".utf8))
            Foundation.exit(1)
        } catch {
            if PCPSim.exitCode(for: error) == .success { PCPSim.exit(withError: error) }
            FileHandle.standardError.write(Data("pcpsim: error: \(oneLine(PCPSim.message(for: error)))\n".utf8))
            Foundation.exit(2)
        }
    }
}

/// `--cpus -1` as `--cpus=-1`: the parser would take `-1` for an option and say the value is
/// missing; joined, the option's own check names what is wrong with it.
func joiningNegativeValues(_ args: [String]) -> [String] {
    var out: [String] = []
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "--" { out += args[i...]; break }
        if a.hasPrefix("--"), !a.contains("="), i + 1 < args.count, args[i + 1].hasPrefix("-"),
           args[i + 1].dropFirst().first.map({ $0.isNumber || $0 == "." }) == true {
            out.append(a + "=" + args[i + 1])
            i += 2
            continue
        }
        out.append(a)
        i += 1
    }
    return out
}

/// An error message as one line: a parser's list of valid values ("Please provide one of the
/// following:" then one "  - value" line each) folds into the line; anything else after the
/// first line is dropped.
func oneLine(_ message: String) -> String {
    let lines = message.split(separator: "\n")
    guard let first = lines.first else { return message }
    let items = lines.dropFirst().filter { $0.hasPrefix("  - ") }.map { $0.dropFirst(4) }
    guard first.hasSuffix(" of the following:"), !items.isEmpty else { return String(first) }
    return first.dropLast(" the following:".count) + ": " + items.joined(separator: ", ")
}
