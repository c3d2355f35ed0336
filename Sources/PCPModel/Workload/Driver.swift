/// Runs a workload for a number of operations, advancing simulated time and, when asked,
/// checking every invariant after each operation.
public struct Driver {
    /// Simulated CPU time one allocator operation takes. A stand-in until the lock-cost engine
    /// prices each operation; it only paces stat_interval work (decay, counter folds).
    public static let nsPerOperation: Int64 = 1000

    public var checkEvery: Int
    public init(checkEvery: Int = 0) { self.checkEvery = checkEvery }

    public enum Failure: Error, CustomStringConvertible {
        case invariant(InvariantViolation)
        case free(FreeError)
        public var description: String {
            switch self {
            case .invariant(let v): v.description
            case .free(let f): f.description
            }
        }
    }

    /// The counts of what ran.
    public struct Summary: Sendable { public var allocs = 0, failedAllocs = 0, frees = 0 }

    public func run(_ w: inout Workload, on m: Machine, ops: Int, seed: UInt64) throws(Failure) -> Summary {
        var rng = SplitMix64(seed: seed)
        let checker = InvariantChecker()
        var summary = Summary()
        // CPUs run side by side: the machine clock advances by one CPU's operation time
        // divided over the CPUs.
        let step = max(1, Driver.nsPerOperation / Int64(m.nrCPUs))
        for n in 0..<ops {
            let op: Operation
            do { op = try w.step(m, &rng) } catch { throw .free(error) }
            switch op.kind {
            case .alloc: summary.allocs += 1
            case .allocFailed: summary.failedAllocs += 1
            case .free: summary.frees += 1
            }
            m.advanceTime(to: m.now + step)
            if checkEvery > 0 && (n + 1) % checkEvery == 0 {
                do { try checker.check(m, after: "operation \(n + 1) (\(op))") } catch { throw .invariant(error) }
            }
        }
        if checkEvery > 0 {
            do { try checker.check(m, after: "the last operation") } catch { throw .invariant(error) }
        }
        return summary
    }
}
