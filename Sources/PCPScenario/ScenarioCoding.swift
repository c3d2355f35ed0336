import PCPModel
import PCPRender

/// Scenario files: every key written, keys sorted by the encoder, a missing key takes its
/// default and an unknown key is an error (a misspelt key must not quietly change the run).
extension Scenario: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case machine, knobs, policy, policyOptions = "policy_options", workload, params, seed, duration, cost
        case vmstatPhaseMs = "vmstat_phase_ms", traceOut = "trace_out", checkEvery = "check_every", seriesPoints = "series_points"
        case untilSeconds = "until_seconds", excludeWarmup = "exclude_warmup", age, swap
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        self.init()
        machine = try c.decodeIfPresent(MachineSource.self, forKey: .machine) ?? machine
        knobs = try c.decodeIfPresent([KnobSetting].self, forKey: .knobs) ?? knobs
        policy = try c.decodeWord(Policy.self, forKey: .policy) ?? policy
        policyOptions = try c.decodeIfPresent(PolicyOptions.self, forKey: .policyOptions) ?? policyOptions
        if let w = try c.decodeIfPresent(String.self, forKey: .workload) {
            guard let name = WorkloadName(w) else { throw c.invalid(.workload, "'\(w)' is not a workload (known: \(WorkloadName.forms.joined(separator: ", ")))") }
            workload = name
        }
        params = try c.decodeIfPresent([String: String].self, forKey: .params) ?? params
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        if let d = try c.decodeIfPresent(String.self, forKey: .duration) {
            guard let v = Duration(d) else { throw c.invalid(.duration, "'\(d)' is not 'N ops', 'T s' or 'whole'") }
            duration = v
        }
        if let values = try c.decodeIfPresent([String: Double].self, forKey: .cost) {
            for (name, v) in values {
                guard let key = CostModel.keys[name] else { throw c.invalid(.cost, "unknown cost '\(name)' (known: \(CostModel.keys.keys.sorted().joined(separator: ", ")))") }
                cost[keyPath: key] = v
            }
        }
        vmstatPhaseMs = try c.decodeIfPresent(Int.self, forKey: .vmstatPhaseMs)
        traceOut = try c.decodeIfPresent(String.self, forKey: .traceOut)
        checkEvery = try c.decodeIfPresent(Int.self, forKey: .checkEvery) ?? checkEvery
        seriesPoints = try c.decodeIfPresent(Int.self, forKey: .seriesPoints)
        untilSeconds = try c.decodeIfPresent(Double.self, forKey: .untilSeconds)
        excludeWarmup = try c.decodeIfPresent(Bool.self, forKey: .excludeWarmup) ?? excludeWarmup
        if let a = try? c.decodeIfPresent(Double.self, forKey: .age) {
            guard let v = Scenario.parseAge(String(a)) else { throw c.invalid(.age, "\(a) is not 0 to 86400 simulated seconds") }
            age = v
        } else if let a = try c.decodeIfPresent(String.self, forKey: .age) {
            guard let v = Scenario.parseAge(a) else { throw c.invalid(.age, "'\(a)' is not an age such as 600s, 10m or 1h (at most a day)") }
            age = v
        }
        if let text = try c.decodeIfPresent(String.self, forKey: .swap) {
            do { swap = try ByteSize(parsing: text) } catch { throw c.invalid(.swap, "'\(text)': \(error.description)") }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(machine, forKey: .machine)
        try c.encode(knobs, forKey: .knobs)
        try c.encode(policy.rawValue, forKey: .policy)
        try c.encode(policyOptions, forKey: .policyOptions)
        try c.encode(workload.description, forKey: .workload)
        try c.encode(params, forKey: .params)
        try c.encode(seed, forKey: .seed)
        try c.encode(duration.description, forKey: .duration)
        try c.encode(Dictionary(uniqueKeysWithValues: CostModel.keys.map { ($0.key, cost[keyPath: $0.value]) }), forKey: .cost)
        try c.encodeIfPresent(vmstatPhaseMs, forKey: .vmstatPhaseMs)
        try c.encodeIfPresent(traceOut, forKey: .traceOut)
        try c.encode(checkEvery, forKey: .checkEvery)
        try c.encodeIfPresent(seriesPoints, forKey: .seriesPoints)
        try c.encodeIfPresent(untilSeconds, forKey: .untilSeconds)
        // Written only when set, so scenarios saved before it existed read back the same.
        if excludeWarmup { try c.encode(true, forKey: .excludeWarmup) }
        try c.encodeIfPresent(age, forKey: .age)
        try c.encodeIfPresent(swap?.text, forKey: .swap)
    }
}

/// `machine`: `memory`, `cpus`, `nodes`, `cpu_data_slice_kb` for the x86 layout; `zoneinfo`
/// (with `pagetypeinfo`, `pcp_state`) for an imported machine; `saved` for a description file.
extension MachineSource: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case memory, cpus, nodes, cpuDataSliceKB = "cpu_data_slice_kb", zoneinfo, pagetypeinfo, pcpState = "pcp_state", saved
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        let x86Keys: [CodingKeys] = [.memory, .cpus, .nodes, .cpuDataSliceKB], importKeys: [CodingKeys] = [.zoneinfo, .pagetypeinfo, .pcpState]
        let given = Set(c.allKeys)
        if let path = try c.decodeIfPresent(String.self, forKey: .saved) {
            guard given == [.saved] else { throw c.invalid(.saved, "a saved machine takes no other machine key") }
            self = .saved(path: path)
        } else if let zoneinfo = try c.decodeIfPresent(String.self, forKey: .zoneinfo) {
            guard given.isSubset(of: importKeys) else { throw c.invalid(.zoneinfo, "an imported machine takes only zoneinfo, pagetypeinfo and pcp_state") }
            self = .imported(ImportedMachine(zoneinfo: zoneinfo, pagetypeinfo: try c.decodeIfPresent(String.self, forKey: .pagetypeinfo),
                                             pcpState: try c.decodeWord(PCPStateList.self, forKey: .pcpState)))
        } else {
            guard given.isSubset(of: x86Keys) else { throw c.invalid(.pagetypeinfo, "pagetypeinfo and pcp_state need zoneinfo") }
            var x = X86Machine()
            if let m = try c.decodeIfPresent(String.self, forKey: .memory) {
                do { x.memory = try ByteSize(parsing: m) } catch { throw c.invalid(.memory, "'\(m)': \(error.description)") }
            }
            x.cpus = try c.decodeIfPresent(Int.self, forKey: .cpus) ?? x.cpus
            x.nodes = try c.decodeIfPresent(Int.self, forKey: .nodes) ?? x.nodes
            x.cpuDataSliceKB = try c.decodeIfPresent(Int.self, forKey: .cpuDataSliceKB) ?? x.cpuDataSliceKB
            self = .x86(x)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .x86(let x):
            try c.encode(x.memory.text, forKey: .memory)
            try c.encode(x.cpus, forKey: .cpus)
            try c.encode(x.nodes, forKey: .nodes)
            try c.encode(x.cpuDataSliceKB, forKey: .cpuDataSliceKB)
        case .imported(let i):
            try c.encode(i.zoneinfo, forKey: .zoneinfo)
            try c.encodeIfPresent(i.pagetypeinfo, forKey: .pagetypeinfo)
            try c.encodeIfPresent(i.pcpState?.rawValue, forKey: .pcpState)
        case .saved(let path):
            try c.encode(path, forKey: .saved)
        }
    }
}

extension PolicyOptions: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case remoteFreeLock = "remote_free_lock", phase2Chunk = "phase2_chunk", contigPCP = "contig_pcp"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        self.init()
        remoteFreeLock = try c.decodeWord(PCPBuddyOptions.RemoteFreeLock.self, forKey: .remoteFreeLock) ?? remoteFreeLock
        phase2Chunk = try c.decodeWord(Phase2Chunk.self, forKey: .phase2Chunk) ?? phase2Chunk
        contigPCP = try c.decodeWord(PCPBuddyOptions.ContigPCP.self, forKey: .contigPCP) ?? contigPCP
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(remoteFreeLock.rawValue, forKey: .remoteFreeLock)
        try c.encode(phase2Chunk.rawValue, forKey: .phase2Chunk)
        try c.encode(contigPCP.rawValue, forKey: .contigPCP)
    }
}

/// Any key, to find the ones a type does not know.
struct AnyKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// The keyed container, after failing on any key `Keys` does not name.
    func strictContainer<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        let all = try container(keyedBy: AnyKey.self)
        let known = Keys.allCases.map(\.stringValue)
        for k in all.allKeys where !known.contains(k.stringValue) {
            throw DecodingError.dataCorruptedError(forKey: k, in: all, debugDescription: "unknown key (known: \(known.joined(separator: ", ")))")
        }
        return try container(keyedBy: Keys.self)
    }
}

extension KeyedDecodingContainer {
    /// A word of a fixed set (a policy, a list name...), nil when the key is absent.
    func decodeWord<W: RawRepresentable & CaseIterable>(_ type: W.Type, forKey key: Key) throws -> W? where W.RawValue == String {
        guard let s = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let w = W(rawValue: s) else { throw invalid(key, "'\(s)' is not one of \(W.allCases.map(\.rawValue).joined(separator: ", "))") }
        return w
    }

    func invalid(_ key: Key, _ message: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: message)
    }
}
