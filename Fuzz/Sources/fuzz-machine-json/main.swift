import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.machineJson(UnsafeBufferPointer(start: data, count: size)); return 0 }
