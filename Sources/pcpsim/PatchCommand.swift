import ArgumentParser
import PCPAnalysis
import PCPScenario

struct PatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Read kernel patches against the model.",
        discussion: "Example: pcpsim patch inspect fixtures/patches/synthetic-pcp-buddy-2.mbox",
        subcommands: [PatchInspectCommand.self]
    )
}

struct PatchInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show which kernel functions a patch touches and which of them pcpsim models.",
        discussion: """
        FILE is a patch, a mail, or an mbox of several (git format-patch output, a lore.kernel.org
        raw message or thread mbox, or a bare unified diff). Prints per message its subject,
        Message-Id and date, a diffstat counted from the hunks, the functions each hunk touches with
        the model functions that mirror them (or NOT MODELLED), and the coverage.
        Example: pcpsim patch inspect fixtures/patches/synthetic-pcp-buddy-2.mbox
        """
    )
    @Argument(help: "The patch or mbox file.")
    var file: String
    @Option(help: "Width of the diffstat, as git's --stat-width (format-patch uses 72).")
    var statWidth: Int = 72

    func run() throws {
        guard statWidth >= 1 else { throw UsageError("--stat-width must be at least 1") }
        let text = try TextFile.read(file)
        do throws(PatchError) {
            print(try PatchInspection(parsing: text).render(statWidth: statWidth), terminator: "")
        } catch {
            throw UsageError("\(file):\(error.line): \(error.message)")
        }
    }
}
