import ArgumentParser
import PCPScenario

/// A group of options that changes a scenario.
protocol ScenarioPart {
    func apply(to s: inout Scenario) throws
}

/// `--scenario FILE` starts from a saved scenario; `--save-scenario FILE` writes the one the
/// command line describes.
struct ScenarioOptions: ParsableArguments {
    @Option(help: "Start from this scenario file (as --save-scenario writes it); the other options change it.")
    var scenario: String?
    @Option(help: "Write the scenario this command line describes to this file (JSON; TOML if it ends in .toml), then go on.")
    var saveScenario: String?

    /// The scenario: the file's, or `base`, changed by each part's options in turn; saved
    /// when asked.
    func scenario(base: Scenario = Scenario(), _ parts: ScenarioPart...) throws -> Scenario {
        var s = try scenario.map { path throws(UsageError) in try ScenarioFile.load(path) } ?? base
        for p in parts { try p.apply(to: &s) }
        if let path = saveScenario { try ScenarioFile.save(s, to: path) }
        return s
    }
}
