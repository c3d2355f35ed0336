// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets, one per parser pcpsim reads. A package of its own, so the main build never
// compiles them; `scripts/fuzz` builds it with -sanitize=fuzzer,address and runs each target.
let names = ["zoneinfo", "pagetypeinfo", "trace", "trace-gz", "machine-json", "sysctl-file", "cost-model", "card", "patch", "knob-text", "state-file"]

let package = Package(
    name: "pcpsim-fuzz",
    dependencies: [.package(name: "pcpsim", path: "..")],
    targets: [
        // What each target does with its input: parse it, and boot or run what parsed.
        .target(name: "FuzzTargets", dependencies: [.product(name: "PCPParsers", package: "pcpsim")]),
    ] + names.map { .executableTarget(name: "fuzz-\($0)", dependencies: ["FuzzTargets"]) }
)
