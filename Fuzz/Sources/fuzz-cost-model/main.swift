import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.costModel(UnsafeBufferPointer(start: data, count: size)); return 0 }
