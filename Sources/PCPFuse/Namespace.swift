import CFuse3
import Glibc

/// Feeding tools that hardcode /proc: run them where our files are bind-mounted over the real ones.
public enum Namespace {
    /// Runs `command` (looked up in PATH) in a private mount namespace in which each tree of
    /// `readOnly` is made read-only (EROFS to any write) and then each `source` (a file or a
    /// directory with everything mounted under it) is bind-mounted over its `target`, and
    /// returns its exit status (128 + signal if killed). Targets that do not exist are skipped
    /// with a note on stderr. Mounts are made private first, so nothing propagates to the host,
    /// and they vanish with the command.
    /// As root this needs only a new mount namespace; otherwise a user namespace mapping the
    /// caller to root comes first, as `unshare -Urm` does.
    ///
    /// The namespace is made in a forked child rather than with posix_spawn of util-linux's
    /// unshare: no dependence on `unshare`, `mount` and a shell, and each failing step becomes
    /// a precise error. It has to be a child: unshare(2) of a user namespace fails with EINVAL
    /// in a multi-threaded process like this one, and our own namespace must stay untouched.
    public static func runInPrivateNamespace(
        binds: [(source: String, target: String)], readOnly: [String] = [], command: [String]
    ) throws -> Int32 {
        guard !command.isEmpty else {
            throw FuseError("no command to run in the private namespace: pass one, e.g. [\"cat\", \"/proc/buddyinfo\"]")
        }
        var mounted: [(source: String, target: String)] = []
        for bind in binds {
            guard access(bind.target, F_OK) == 0 else {
                let note = "pcpsim: not binding \(bind.source): \(bind.target) does not exist here\n"
                _ = note.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                continue
            }
            guard access(bind.source, F_OK) == 0 else {
                throw FuseError("bind source \(bind.source) does not exist: mount the simulated files first")
            }
            mounted.append(bind)
        }
        let plan = ChildPlan(binds: mounted, readOnly: readOnly.filter { access($0, F_OK) == 0 }, command: command)
        var report: [Int32] = [-1, -1]
        guard pipe2(&report, O_CLOEXEC) == 0 else {
            throw FuseError.system("cannot create a pipe", errno, fix: "raise the open-file limit (ulimit -n)")
        }
        let pid = fork()
        if pid == 0 {
            plan.execute(reportingTo: report[1])
        }
        close(report[1])
        defer { close(report[0]) }
        guard pid > 0 else {
            throw FuseError.system("cannot fork", errno, fix: "free some memory or raise the process limit")
        }
        var failure: (step: Int32, code: Int32) = (0, 0)
        var got = 0
        repeat {
            got = read(report[0], &failure, MemoryLayout.size(ofValue: failure))
        } while got < 0 && errno == EINTR
        let status = waitForExit(pid)
        guard got != MemoryLayout.size(ofValue: failure) else { // exec closed the pipe empty-handed
            let step = plan.steps[Int(failure.step)]
            throw FuseError.system(step.what, failure.code, fix: step.fix)
        }
        return status
    }
}

/// What the child does, reduced before the fork to system calls on C strings: after fork() in a
/// multi-threaded process the child must not allocate or take locks until it execs.
private final class ChildPlan {
    enum Action {
        case unshare(Int32)
        case writeFile(path: UnsafeMutablePointer<CChar>, text: UnsafeMutablePointer<CChar>)
        case mount(source: UnsafeMutablePointer<CChar>?, target: UnsafeMutablePointer<CChar>, flags: UInt)
        case readOnly(UnsafeMutablePointer<CChar>)
        case exec
    }

    /// An action, and for a failure of it what went wrong and how to fix it.
    struct Step {
        let action: Action
        let what: String
        let fix: String
    }

    private(set) var steps: [Step] = []
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private let argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(binds: [(source: String, target: String)], readOnly: [String], command: [String]) {
        argv = .allocate(capacity: command.count + 1)
        for (index, argument) in command.enumerated() {
            argv[index] = cString(argument)
        }
        argv[command.count] = nil
        if geteuid() == 0 {
            add(.unshare(CLONE_NEWNS), "cannot create a private mount namespace",
                "run with CAP_SYS_ADMIN (e.g. docker run --cap-add SYS_ADMIN)")
        } else {
            add(.unshare(CLONE_NEWUSER | CLONE_NEWNS), "cannot create a user and mount namespace",
                "run as root or enable unprivileged user namespaces (sysctl user.max_user_namespaces)")
            for (file, text) in [("setgroups", "deny"), ("uid_map", "0 \(geteuid()) 1"), ("gid_map", "0 \(getegid()) 1")] {
                add(.writeFile(path: cString("/proc/self/" + file), text: cString(text)),
                    "cannot write /proc/self/\(file) in the new user namespace", "run as root")
            }
        }
        add(.mount(source: nil, target: cString("/"), flags: UInt(MS_REC | MS_PRIVATE)),
            "cannot make mounts private in the new namespace", "run as root")
        for tree in readOnly {
            let path = cString(tree)
            add(.mount(source: path, target: path, flags: UInt(MS_BIND | MS_REC)), "cannot bind \(tree) over itself", "run as root")
            add(.readOnly(path), "cannot make \(tree) read-only", "needs Linux 5.12 or later (mount_setattr)")
        }
        for bind in binds {
            add(.mount(source: cString(bind.source), target: cString(bind.target), flags: UInt(MS_BIND | MS_REC)),
                "cannot bind-mount \(bind.source) over \(bind.target)",
                "check both are files, and that the FUSE mount allows this user")
        }
        add(.exec, "cannot run \(command[0])", "install it or add it to PATH")
    }

    deinit {
        strings.forEach { free($0) }
        argv.deallocate()
    }

    /// Runs in the forked child: performs each step, the last of which becomes the command.
    /// On a failure, writes (step, errno) to `fd` and exits 127.
    func execute(reportingTo fd: Int32) -> Never {
        var index = 0
        while perform(steps[index].action) {
            index += 1
        }
        var failure: (step: Int32, code: Int32) = (Int32(index), errno)
        _ = write(fd, &failure, MemoryLayout.size(ofValue: failure))
        _exit(127)
    }

    /// Whether `action` succeeded; exec returns only on failure.
    private func perform(_ action: Action) -> Bool {
        switch action {
        case .unshare(let flags):
            return unshare(flags) == 0
        case .writeFile(let path, let text):
            let file = open(path, O_WRONLY | O_CLOEXEC)
            return file >= 0 && write(file, text, strlen(text)) >= 0
        case .mount(let source, let target, let flags):
            return mount(source, target, nil, flags, nil) == 0
        case .readOnly(let path):
            return cfuse3_make_tree_readonly(path) == 0
        case .exec:
            execvp(argv[0]!, argv)
            return false
        }
    }

    private func add(_ action: Action, _ what: String, _ fix: String) {
        steps.append(Step(action: action, what: what, fix: fix))
    }

    private func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(string)!
        strings.append(copy)
        return copy
    }
}
