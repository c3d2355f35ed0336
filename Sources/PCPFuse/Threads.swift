import Glibc

/// Runs `body` on a new POSIX thread and returns it for pthread_join. The FUSE loop and its stop
/// waiter block in system calls, so they get threads of their own outside Swift concurrency.
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let result = pthread_create(&thread, nil, { context in
        Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
        return nil
    }, box)
    precondition(result == 0, "pthread_create failed: \(String(cString: strerror(result)))")
    return thread
}
