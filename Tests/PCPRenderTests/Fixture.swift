import Foundation
import PCPModel
import PCPRender

/// The real 6.18 captures in fixtures/, and the machine imported from them.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A gzipped fixture's text (gzip -dc), by its path under the checkout.
    static func gunzip(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", root.appendingPathComponent(path).path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: root.appendingPathComponent("fixtures/\(name)").path)!, as: UTF8.self)
    }

    /// The fixture VM: geometry and 2 CPUs from its zoneinfo, then the given boot knobs.
    static func machine(_ knobs: [(String, String)] = [("min_free_kbytes", "67584")]) throws -> Machine {
        let m = try Machine(spec: ZoneinfoImport.parse(text("zoneinfo.txt")))
        for (name, value) in knobs { try write(m, "proc/sys/vm/" + name, value) }
        return m
    }

    static func write(_ m: Machine, _ path: String, _ value: String) throws {
        try KnobTable.byPath[path]!.parse(Array(value.utf8)).apply(to: m)
    }

    /// Lines of a zone's block in a zoneinfo text, keyed "zone/field" (first occurrence) plus
    /// every pageset line as "zone/cpuN/field".
    static func zoneinfoFields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var zone = "", cpu = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Node ") { zone = String(line.split(separator: " ").last!); cpu = ""; continue }
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("cpu: ") { cpu = "cpu" + t.dropFirst(5); continue }
            if t.hasPrefix("protection:") { out["\(zone)/protection"] = t; continue }
            guard let sep = t.firstIndex(where: { $0 == " " || $0 == ":" }) else { continue }
            let key = String(t[..<sep]), value = t[sep...].trimmingCharacters(in: CharacterSet(charactersIn: ": "))
            let perCPU = ["count", "high", "batch", "high_min", "high_max"].contains(key)
            let k = cpu.isEmpty || !perCPU ? "\(zone)/\(key)" : "\(zone)/\(cpu)/\(key)"
            if out[k] == nil { out[k] = value }
        }
        return out
    }
}
