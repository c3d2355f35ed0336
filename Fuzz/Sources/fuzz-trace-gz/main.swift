import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.traceGz(UnsafeBufferPointer(start: data, count: size)); return 0 }
