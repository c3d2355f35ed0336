import ArgumentParser
import Foundation

/// pcpsim: a simulated Linux 6.18 page allocator you can read like /proc and mount.
struct PCPSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcpsim",
        abstract: "A simulated Linux 6.18 page allocator (buddy + per-CPU page lists) you can mount.",
        subcommands: [MountCommand.self, ShellCommand.self, RunCommand.self, CompareCommand.self, AnalyzeCommand.self, PatchCommand.self, RenderCommand.self, MachineCommand.self, WorkloadsCommand.self, BenchCommand.self]
    )
}

/// Bad input is a one-line error and exit status 2; help and version still exit 0.
@main
enum Main {
    static func main() {
        do {
            var command = try PCPSim.parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if PCPSim.exitCode(for: error) == .success { PCPSim.exit(withError: error) }
            let message = PCPSim.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("pcpsim: error: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}

/// An error the user can fix: printed as one line.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}
