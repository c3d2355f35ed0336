import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.card(UnsafeBufferPointer(start: data, count: size)); return 0 }
