import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.trace(UnsafeBufferPointer(start: data, count: size)); return 0 }
