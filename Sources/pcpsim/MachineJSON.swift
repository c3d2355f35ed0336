import Foundation
import PCPModel

enum MachineJSON {
    static func encode(_ s: MachineSpec) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(s)
    }
}
