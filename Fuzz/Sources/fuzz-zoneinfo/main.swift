import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.zoneinfo(UnsafeBufferPointer(start: data, count: size)); return 0 }
