import Foundation
import FuzzTargets

// PCPSIM_FUZZ_STATE_SEEDS=DIR: write the seed corpus (this build's state files) and stop.
if let dir = ProcessInfo.processInfo.environment["PCPSIM_FUZZ_STATE_SEEDS"] {
    do { try FuzzTargets.writeStateSeeds(to: dir) } catch {
        FileHandle.standardError.write(Data("fuzz-state-file: cannot write the seeds: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
FuzzTargets.fuzz { data, size in FuzzTargets.stateFile(UnsafeBufferPointer(start: data, count: size)); return 0 }
