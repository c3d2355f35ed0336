import Foundation
import PCPModel
import PCPRender

/// Where a scenario's machine comes from.
public enum MachineSource: Equatable, Sendable {
    /// The reference guest's x86 layout at this size (`--memory`, `--cpus`, ...).
    case x86(X86Machine)
    /// A real machine's /proc files (`--like-zoneinfo`, ...).
    case imported(ImportedMachine)
    /// A saved machine description (`--machine FILE`, as `pcpsim machine` prints it).
    case saved(path: String)

    /// The machine description it names.
    public func spec() throws(UsageError) -> MachineSpec {
        switch self {
        case .x86(let x):
            do { return try MachineSpec.x86(memory: x.memory.bytes, cpus: x.cpus, nodes: x.nodes, cpuDataSliceKB: x.cpuDataSliceKB) } catch {
                throw UsageError(error.description)
            }
        case .imported(let i):
            let text = try TextFile.read(i.zoneinfo)
            do { return try ZoneinfoImport.parse(text) } catch { throw UsageError("\(i.zoneinfo): \(error.description)") }
        case .saved(let path):
            let text = try TextFile.read(path)
            do { return try JSONDecoder().decode(MachineSpec.self, from: Data(text.utf8)) } catch {
                throw UsageError("\(path): not a machine description (\(error)); `pcpsim machine` prints one")
            }
        }
    }
}

/// `--memory M --cpus C --nodes N --cpu-data-slice-kb K`.
public struct X86Machine: Equatable, Sendable {
    public var memory: ByteSize
    public var cpus: Int
    public var nodes: Int
    /// Per-CPU last-level cache slice in KiB (0: not reported).
    public var cpuDataSliceKB: Int

    public static let defaultMemory = try! ByteSize(parsing: "16G")

    public init(memory: ByteSize = X86Machine.defaultMemory, cpus: Int = 8, nodes: Int = 1, cpuDataSliceKB: Int = 0) {
        self.memory = memory; self.cpus = cpus; self.nodes = nodes; self.cpuDataSliceKB = cpuDataSliceKB
    }
}

/// A real machine: its /proc/zoneinfo sizes the zones, watermarks and PCPs; its
/// /proc/pagetypeinfo, if given, shapes the free lists; its PCPs' counts, if asked for,
/// start on the PCP lists.
public struct ImportedMachine: Equatable, Sendable {
    public var zoneinfo: String
    public var pagetypeinfo: String?
    /// Start each CPU's PCPs at zoneinfo's count and high, on this list (nil: empty PCPs).
    public var pcpState: PCPStateList?

    public init(zoneinfo: String, pagetypeinfo: String? = nil, pcpState: PCPStateList? = nil) {
        self.zoneinfo = zoneinfo; self.pagetypeinfo = pagetypeinfo; self.pcpState = pcpState
    }
}

/// The order-0 list an imported PCP's pages go to: zoneinfo does not say, so it is chosen, or
/// with `trace` read off the trace being replayed.
public enum PCPStateList: String, CaseIterable, Sendable, Codable {
    case unmovable, movable, reclaimable, trace

    /// The migratetype the pages start on (`trace` spreads them later, from movable).
    var migrateType: Int {
        switch self {
        case .unmovable: MigrateType.unmovable.rawValue
        case .movable, .trace: MigrateType.movable.rawValue
        case .reclaimable: MigrateType.reclaimable.rawValue
        }
    }
}
