import Glibc

/// Runs `command` (looked up in PATH) with our stdio and waits for it.
/// Returns its exit status, or 128 + the signal number that killed it, as shells do.
func spawnAndWait(_ command: [String]) throws -> Int32 {
    var argv = command.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    let result = posix_spawnp(&pid, argv[0]!, nil, nil, &argv, environ)
    guard result == 0 else {
        throw FuseError.system("cannot run \(command[0])", result, fix: "install it or add it to PATH")
    }
    return waitForExit(pid)
}

/// Waits for child `pid`; its exit status, or 128 + the number of the signal that killed it.
func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}
