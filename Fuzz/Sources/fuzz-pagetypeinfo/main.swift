import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.pagetypeinfo(UnsafeBufferPointer(start: data, count: size)); return 0 }
