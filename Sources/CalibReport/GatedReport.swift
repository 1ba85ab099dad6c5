import CalibInput

/// What JUnit XML and GitHub annotations read of a report, whatever the
/// subcommand: its source (a test suite's name, an annotation's prefix), a
/// short name and its gates. ``Report`` (`calib audit`) and
/// ``ComparisonReport`` (`calib compare`) conform.
public protocol GatedReport: Sendable {
    /// The input as named on the command line (`scores.csv`, or `base.csv vs cand.csv`).
    var source: String { get }
    /// The source without folders.
    var shortName: String { get }
    var gates: [GateOutcome] { get }
}

extension GatedReport {
    /// Whether any error-severity gate failed.
    public var failsGates: Bool { gates.contains { $0.fails } }
}

extension Report: GatedReport {
    public var source: String { input.source }
}
