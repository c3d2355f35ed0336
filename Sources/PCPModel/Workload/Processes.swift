/// Workloads made of processes that come and go.

/// One process's memory: its anonymous pages, page-table pages, the order-1 PGD (PTI) and
/// the order-2 kernel stack.
struct ProcessMemory {
    var anon = HeldBlocks()
    var tables = HeldBlocks()
    var pgd = HeldBlocks()
    var stack = HeldBlocks()
    /// The previous process's stack: the kernel frees a dead task's stack later
    /// (delayed_put_task_struct, after an RCU grace period), not in exit_mmap().
    var deadStack = HeldBlocks()
    var started = false
    var pages: Int { anon.count }

    /// Starts the process: kernel stack, PGD, then the previous process's stack goes.
    mutating func start(_ m: Machine, cpu: Int) throws(FreeError) -> Operation {
        if stack.count == 0 { return m.allocOp(cpu: cpu, order: 2, kind: .kernelStack, into: &stack) }
        if pgd.count == 0 { return m.allocOp(cpu: cpu, order: 1, kind: .pageTable, into: &pgd) }
        started = true
        if deadStack.count > 0 {
            let (r, o) = deadStack.removeLast()
            return try m.freeOp(cpu: cpu, r, order: o)
        }
        return .idle(cpu)
    }

    /// One fault: a page-table page every 512 anonymous pages, else an anonymous page.
    mutating func fault(_ m: Machine, cpu: Int) -> Operation {
        if anon.count % K.pageblockNrPages == 0 && tables.count * K.pageblockNrPages <= anon.count {
            return m.allocOp(cpu: cpu, order: 0, kind: .pageTable, into: &tables)
        }
        return m.allocOp(cpu: cpu, order: 0, kind: .anon, into: &anon)
    }

    /// One step of exit_mmap(): anonymous pages, then page tables, then the PGD; the stack
    /// stays until the next process starts. Returns nil when nothing is left.
    mutating func exitStep(_ m: Machine, cpu: Int) throws(FreeError) -> Operation? {
        if anon.count > 0 { let (r, o) = anon.removeLast(); return try m.freeOp(cpu: cpu, r, order: o) }
        if tables.count > 0 { let (r, o) = tables.removeLast(); return try m.freeOp(cpu: cpu, r, order: o) }
        if pgd.count > 0 { let (r, o) = pgd.removeLast(); return try m.freeOp(cpu: cpu, r, order: o) }
        deadStack.absorb(&stack, m)
        started = false
        return nil
    }
}

/// `exit-avalanche`: the `exiters` CPUs each build a process of `pages` anonymous pages, wait
/// for each other, then all exit at once, freeing pages nobody reuses, the order-1 PGD last
/// (the free that triggers PCPF_PREV_FREE_HIGH_ORDER drains). The other CPUs run a fault
/// loop when `background`.
struct ExitAvalanche: Workload {
    let name = "exit-avalanche"
    let isExiter: [Bool]
    let exiters: Int
    let pages: Int
    var procs: [ProcessMemory]
    var ready: [Bool]
    var exiting = false
    var built = 0
    var background: FaultLoop?
    let inSet: [Bool]

    init(_ m: Machine, _ cpus: CPUSet, exiters: Int, pages: Int, background: Bool) {
        let e = Set(cpus.cpus.prefix(exiters))
        isExiter = (0..<m.nrCPUs).map { e.contains($0) }
        inSet = (0..<m.nrCPUs).map { cpus.cpus.contains($0) }
        self.exiters = e.count
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        self.pages = max(1, min(pages, managed / 2 / max(1, e.count)))
        procs = Array(repeating: ProcessMemory(), count: m.nrCPUs)
        ready = Array(repeating: false, count: m.nrCPUs)
        self.background = background ? FaultLoop(machine: m, pagesPerCPU: 4096) : nil
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard inSet[cpu] else { return .idle(cpu) }
        guard isExiter[cpu] else {
            guard var bg = background else { return .idle(cpu) }
            background = nil
            defer { background = bg }
            return try bg.step(m, cpu: cpu, &rng)
        }
        if exiting {
            if let op = try procs[cpu].exitStep(m, cpu: cpu) { return op }
            if ready[cpu] {
                ready[cpu] = false
                built -= 1
                if built == 0 { exiting = false }
            }
            return .idle(cpu)
        }
        if ready[cpu] { return .idle(cpu) }  // built: waiting for the others
        let op = procs[cpu].started ? procs[cpu].fault(m, cpu: cpu) : try procs[cpu].start(m, cpu: cpu)
        if procs[cpu].pages >= pages || op.kind == .allocFailed {
            ready[cpu] = true
            built += 1
            if built == exiters { exiting = true }
        }
        return op.kind == .allocFailed ? .idle(cpu) : op
    }
}

/// `kbuild`: each CPU runs short-lived processes (a compiler job): kernel stack, PGD, page
/// tables and `pages` anonymous pages, freed at exit; on the way it reads files (page cache
/// pages that outlive the process, trimmed oldest first beyond `cache` percent of memory) and
/// allocates slab (`slab` per mille of operations: dentries and inodes, reclaimable, and
/// unmovable objects, long-lived and freed at random).
struct KernelBuild: Workload {
    let name = "kbuild"
    let pages: Int, cacheCap: Int, slabPermille: Int
    let inSet: [Bool]
    var procs: [ProcessMemory]
    var exiting: [Bool]
    var cache = HeldBlocks()
    var slab = HeldBlocks()
    let slabCap: Int

    init(_ m: Machine, _ cpus: CPUSet, pages: Int, cachePercent: Int, slabPermille: Int) {
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        self.pages = max(1, min(pages, managed / 4 / max(1, cpus.count)))
        cacheCap = managed * cachePercent / 100
        slabCap = managed / 20
        self.slabPermille = slabPermille
        inSet = (0..<m.nrCPUs).map { cpus.cpus.contains($0) }
        procs = Array(repeating: ProcessMemory(), count: m.nrCPUs)
        exiting = Array(repeating: false, count: m.nrCPUs)
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard inSet[cpu] else { return .idle(cpu) }
        if exiting[cpu] {
            if let op = try procs[cpu].exitStep(m, cpu: cpu) { return op }
            exiting[cpu] = false
        }
        if !procs[cpu].started { return try procs[cpu].start(m, cpu: cpu) }
        let r = rng.below(1000)
        if r < slabPermille {
            if slab.count >= slabCap || (slab.count > 0 && rng.below(4) == 0) {
                let (p, o) = slab.swapRemove(rng.below(slab.count))
                return try m.freeOp(cpu: cpu, p, order: o)
            }
            let kind: AllocKind = rng.below(3) == 0 ? .slabUnreclaimable : .slabReclaimable
            return m.allocOp(cpu: cpu, order: 0, kind: kind, into: &slab)
        }
        if r < slabPermille + 100 {
            if cache.count >= cacheCap && cache.count > 0 {
                let (p, o) = cache.removeFirstish()
                return try m.freeOp(cpu: cpu, p, order: o)
            }
            return m.allocOp(cpu: cpu, order: 0, kind: .file, into: &cache)
        }
        let op = procs[cpu].fault(m, cpu: cpu)
        if procs[cpu].pages >= pages || op.kind == .allocFailed { exiting[cpu] = true }
        return op
    }
}
