import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.patch(UnsafeBufferPointer(start: data, count: size)); return 0 }
