public import CalibCore
public import CalibInput

/// The tool's name and version, as every report states them.
public struct ToolInfo: Sendable, Hashable {
    public let name: String
    public let version: String
    public init(name: String = "calib", version: String = ToolInfo.currentVersion) {
        self.name = name
        self.version = version
    }
    public static let currentVersion = "0.1.0"
}

/// The outcome of one `--fail-on` gate.
public struct GateOutcome: Sendable, Hashable {
    public let expression: String
    public let metric: String
    public let value: Double?
    public let threshold: Double
    public let passed: Bool
    public init(expression: String, metric: String, value: Double?, threshold: Double, passed: Bool) {
        self.expression = expression; self.metric = metric; self.value = value
        self.threshold = threshold; self.passed = passed
    }
}

/// Everything a renderer shows for one input: the engine's result, where the
/// rows came from, and the gates. Built once; renderers only read it.
public struct Report: Sendable {
    /// Bumped on every breaking change of the JSON layout.
    public static let schemaVersion = 1

    public let tool: ToolInfo
    public let input: InputSummary
    public let result: AuditResult
    public let gates: [GateOutcome]
    /// What a reviewer should notice, derived once for every renderer.
    public let findings: ReportFindings

    public init(tool: ToolInfo = ToolInfo(), input: InputSummary, result: AuditResult, gates: [GateOutcome] = []) {
        self.tool = tool
        self.input = input
        self.result = result
        self.gates = gates
        findings = ReportFindings(result: result, positiveClass: input.positiveClass)
    }

    /// The positive class's name (binary tasks).
    public var positiveClass: String? { input.positiveClass }
    /// The index of the rarest class (smallest weighted support), ties to the lowest index.
    public var rarestClass: Int { findings.rarestClass }
    /// A short name for the input: its file name without folders.
    public var shortName: String { String(input.source.split(separator: "/").last ?? Substring(input.source)) }
}
