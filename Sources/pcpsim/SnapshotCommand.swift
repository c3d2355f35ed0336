import ArgumentParser
import Foundation
import PCPLive
import PCPScenario

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Save a running mount's whole machine to a file.",
        subcommands: [Save.self]
    )

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "save",
            abstract: "Save the machine of the mount at MOUNTDIR to FILE (continue it with run/render --from-state or mount --state).",
            discussion: "Example: pcpsim snapshot save /tmp/pcpsim fragmented.state; pcpsim render proc/buddyinfo --from-state fragmented.state"
        )
        @Argument(help: "The mount point of a running `pcpsim mount`.")
        var mountDir: String
        @Argument(help: "The state file to write (replaced atomically).")
        var file: String

        func run() throws {
            let target = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
            let dir = (target as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw UsageError("cannot save to '\(file)': no directory '\(dir)'")
            }
            guard access(dir, W_OK) == 0 else { throw UsageError("cannot save to '\(file)': '\(dir)' is not writable") }
            let control = mountDir + "/" + LiveMachine.saveStatePath
            let fd = open(control, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw UsageError("'\(mountDir)' is not a running pcpsim mount (\(control): \(String(cString: strerror(errno))))")
            }
            defer { close(fd) }
            let line = Array((target + "\n").utf8)
            let n = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            guard n == line.count else {
                throw UsageError("the mount at '\(mountDir)' could not save to '\(file)': \(String(cString: strerror(errno))) (its standard error says why)")
            }
            print("pcpsim: saved the machine of \(mountDir) to \(file)")
        }
    }
}
