import FuzzTargets

FuzzTargets.fuzz { data, size in FuzzTargets.knobText(UnsafeBufferPointer(start: data, count: size)); return 0 }
