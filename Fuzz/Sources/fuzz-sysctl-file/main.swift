import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.sysctlFile(UnsafeBufferPointer(start: data, count: size)); return 0 }
