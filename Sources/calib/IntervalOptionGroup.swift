import ArgumentParser
import CalibCore

/// Options of the intervals (SPEC section 10): the Poisson bootstrap's
/// replicates, the intervals' confidence and the seed.
struct IntervalOptionGroup: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Bootstrap replicates for the intervals (default 200; 0 turns intervals off).", valueName: "n"))
    var bootstrap: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Coverage of every interval, in (0, 1) (default 0.95).", valueName: "level"))
    var confidence: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the bootstrap's draws (default 0): the same seed gives the same intervals.", valueName: "n"))
    var seed: String?

    func validate() throws {
        _ = try settings()
    }

    /// The bootstrap settings, or `nil` with `--bootstrap 0`; throws the usage error of the first bad value.
    func settings() throws -> BootstrapSettings? {
        let replicates = try bootstrap.map { try OptionValue.wholeNumber($0, flag: "--bootstrap", in: 0...BootstrapSettings.maximumReplicates) }
            ?? BootstrapSettings.defaultReplicates
        let level = confidence.map { Double($0) ?? .nan } ?? 0.95
        guard level > 0 && level < 1 else { throw optionError("--confidence", confidence ?? "", "must be a number strictly between 0 and 1") }
        let seedValue = try seed.map { text -> UInt64 in
            guard let value = UInt64(text), value <= UInt64(Int64.max) else {
                throw optionError("--seed", text, "must be a whole number from 0 to \(Int64.max)")
            }
            return value
        } ?? 0
        guard replicates > 0 else {
            if confidence != nil || seed != nil { throw ValidationError("--confidence and --seed need intervals: drop --bootstrap 0") }
            return nil
        }
        return BootstrapSettings(replicates: replicates, confidence: level, seed: seedValue)
    }
}
