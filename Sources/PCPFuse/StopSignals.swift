import Glibc
import Synchronization

/// Write end of the stop pipe of the innermost running server, or -1. An atomic because the
/// signal handler reads it; `run()` stores it before installing the handler.
private let signalWakeFD = Atomic<Int32>(-1)

/// Routes SIGINT, SIGTERM and SIGHUP to a running server's stop pipe, restoring the previous
/// handlers afterwards. Not libfuse's fuse_set_signal_handlers: it only sets the session's exit
/// flag, which leaves the loop blocked in read(/dev/fuse) when the signal lands on another
/// thread, as it may in a multi-threaded Swift process.
struct StopSignals {
    static let numbers = [SIGINT, SIGTERM, SIGHUP]

    private let previousActions: [sigaction]
    private let previousFD: Int32

    init(wakeFD: Int32) {
        previousFD = signalWakeFD.exchange(wakeFD, ordering: .sequentiallyConsistent)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = onStopSignal
        sigemptyset(&action.sa_mask)
        previousActions = Self.numbers.map { number in
            var previous = sigaction()
            sigaction(number, &action, &previous)
            return previous
        }
    }

    func restore() {
        for (number, action) in zip(Self.numbers, previousActions) {
            var action = action
            sigaction(number, &action, nil)
        }
        signalWakeFD.store(previousFD, ordering: .sequentiallyConsistent)
    }
}

/// Async-signal-safe: one atomic load and one write(2), errno preserved.
private func onStopSignal(_: Int32) {
    let savedErrno = errno
    let fd = signalWakeFD.load(ordering: .relaxed)
    if fd >= 0 {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }
    errno = savedErrno
}
