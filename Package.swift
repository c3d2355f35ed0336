// swift-tools-version:6.1
import PackageDescription

/// Profile-guided optimisation (the README's *Speed and size*): a release build of the modules
/// `scripts/pgo-train` exercises uses the profile it wrote to pgo/pcpsim.profdata (LLVM's
/// IR-level PGO: block layout, inlining and register allocation along the counted paths), and
/// `PCPSIM_PGO_GENERATE=DIR` builds them instrumented instead, writing raw profiles to DIR.
/// `scripts/build-release` adds whole-program LTO, which only a SwiftPM option can ask for.
/// The mount's modules (PCPLive, PCPFuse) are left out: no training run mounts. Static
/// functions are named in the profile by file name without directories, so that one
/// checkout's profile fits another's.
let pgoProfile = Context.packageDirectory + "/pgo/pcpsim.profdata"
let pgoGenerate = Context.environment["PCPSIM_PGO_GENERATE"]
let pgoNames = ["-Xllvm", "-static-func-full-module-prefix=false"]
#if compiler(>=6.3)
let pgoSettings: [SwiftSetting] =
    if let dir = pgoGenerate { [.unsafeFlags(pgoNames + ["-Xfrontend", "-ir-profile-generate=" + dir])] }
    else { [.unsafeFlags(pgoNames + ["-Xfrontend", "-ir-profile-use=" + pgoProfile], .when(configuration: .release))] }
#else
// The profile's format is the one Swift 6.3's LLVM writes, which an older one cannot read.
let pgoSettings: [SwiftSetting] = []
#endif

let package = Package(
    name: "pcpsim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pcpsim", targets: ["pcpsim"]),
        .library(name: "PCPModel", targets: ["PCPModel"]),
        // Every parser pcpsim has, for the fuzz targets of Fuzz/ (a package of its own).
        .library(name: "PCPParsers", targets: ["PCPModel", "PCPRender", "PCPScenario", "PCPAnalysis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // The allocator model: zones, buddy, PCP, knobs' recomputations. No text, no FUSE.
        // Swift's function merging off: it folded designs' specialisations of the allocation
        // path into one body reached through a thunk, their callees passed as function
        // pointers (the README's *Speed and size*).
        .target(name: "PCPModel", dependencies: ["CPrefetch"],
                swiftSettings: [.unsafeFlags(["-Xllvm", "-swiftmergefunc-threshold=0"])] + pgoSettings),
        // __builtin_prefetch for the model's hot paths (a header only).
        .systemLibrary(name: "CPrefetch"),
        // Kernel-format renderers, the knob table (paths, formats, setters), zoneinfo import.
        .target(name: "PCPRender", dependencies: ["PCPModel"], swiftSettings: pgoSettings),
        // The running simulation behind the mount: a background sim thread, knob writes
        // applied at operation boundaries, snapshots published to readers.
        .target(name: "PCPLive", dependencies: ["PCPModel", "PCPRender"]),
        // One run as a value: the machine and how it boots, knobs, policy, workload, seed,
        // duration, cost model, tracing and checking; boot, run, and scenario files (JSON, TOML).
        .target(name: "PCPScenario", dependencies: ["PCPModel", "PCPRender", .product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: pgoSettings),
        // Comparisons across policies, patch cards and their claims, reports, patch inspection.
        .target(name: "PCPAnalysis", dependencies: ["PCPModel", "PCPScenario"], swiftSettings: pgoSettings),
        // libfuse3 through pkg-config.
        .systemLibrary(name: "CFuse3", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        // A thin FUSE adapter over a path → file table.
        .target(name: "PCPFuse", dependencies: ["CFuse3"]),
        .executableTarget(
            name: "pcpsim",
            dependencies: [
                "PCPModel", "PCPRender", "PCPScenario", "PCPLive", "PCPFuse", "PCPAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: pgoSettings,
            // The instrumented build's counters are written out by the profile runtime.
            linkerSettings: pgoGenerate == nil ? [] : [.unsafeFlags(["-Xclang-linker", "-fprofile-generate"])]
        ),
        .testTarget(name: "PCPModelTests", dependencies: ["PCPModel", "PCPRender"]),
        .testTarget(name: "PCPRenderTests", dependencies: ["PCPModel", "PCPRender", "PCPLive"]),
        .testTarget(name: "PCPFuseTests", dependencies: ["PCPFuse", "PCPLive", "PCPModel", "PCPRender"]),
        .testTarget(name: "PCPScenarioTests", dependencies: ["PCPScenario", "PCPModel", "PCPRender"]),
        .testTarget(name: "PCPAnalysisTests", dependencies: ["PCPAnalysis", "PCPScenario", "PCPModel"]),
        // The command line's option parsing, in process.
        .testTarget(name: "CommandLineTests", dependencies: ["pcpsim", "PCPScenario", "PCPModel",
                                                            .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Mounts the built pcpsim and reads it with real clients.
        .testTarget(name: "IntegrationTests", dependencies: ["pcpsim"]),
    ]
)
