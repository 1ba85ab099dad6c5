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


/// Everything a renderer shows for one input: the engine's result, where the
/// rows came from, and the gates. Built once; renderers only read it.
public struct Report: Sendable {
    /// Bumped on every breaking change of the JSON layout.
    public static let schemaVersion = 1

    public let tool: ToolInfo
    public let input: InputSummary
    public let result: AuditResult
    public let gates: [GateOutcome]
    /// Per segment (`--group`), worst headline ECE first.
    public let segments: [SegmentReport]
    /// Segments with fewer rows are listed but neither gated nor flagged.
    public let minSegmentRows: Int
    /// What a reviewer should notice, derived once for every renderer.
    public let findings: ReportFindings
    /// `--recalibrate`: each method's fit and cross-fitted metrics ("What would fix it"); `nil` without the flag.
    public let recalibration: RecalibrationSummary?
    /// `--train-prior`/`--deploy-prior`/`--negative-sampling`: how the scores
    /// were adjusted before the audit, in words every report's header shows
    /// ("deploy prior fraud=0.02, …"); `nil` when the scores are audited as read.
    public let scoreAdjustment: String?
    /// The soft-target decomposition in words (SPEC section 13); `nil` without soft targets.
    public let softTargets: SoftTargetFindings?

    public init(tool: ToolInfo = ToolInfo(), input: InputSummary, result: AuditResult, segments: [SegmentAudit] = [], minSegmentRows: Int = 100, gates: [GateOutcome] = [],
                recalibration: RecalibrationSummary? = nil, scoreAdjustment: String? = nil) {
        self.recalibration = recalibration
        self.scoreAdjustment = scoreAdjustment
        self.tool = tool
        self.input = input
        self.result = result
        self.gates = gates
        self.minSegmentRows = minSegmentRows
        self.segments = segments
            .map { SegmentReport(name: $0.name, result: $0.result, gated: $0.result.rows >= minSegmentRows, positiveClass: input.positiveClass) }
            .sorted { a, b in
                let x = a.result.metrics.ece, y = b.result.metrics.ece
                return x != y ? (x.isNaN ? false : y.isNaN ? true : x > y) : a.name < b.name
            }
        findings = ReportFindings(result: result, positiveClass: input.positiveClass)
        softTargets = result.softTargets.map(SoftTargetFindings.init)
    }

    /// The positive class's name (binary tasks).
    public var positiveClass: String? { input.positiveClass }
    /// The index of the rarest class (smallest weighted support), ties to the lowest index.
    public var rarestClass: Int { findings.rarestClass }
    /// A short name for the input: its file name without folders.
    public var shortName: String { String(input.source.split(separator: "/").last ?? Substring(input.source)) }
}

/// One segment's results and its overconfidence flag.
public struct SegmentReport: Sendable {
    public let name: String
    public let result: AuditResult
    /// Whether the segment has enough rows to be gated and flagged.
    public let gated: Bool
    /// A sentence when the segment is significantly overconfident (or over-predicts the positive class).
    public let flag: String?

    init(name: String, result: AuditResult, gated: Bool, positiveClass: String?) {
        self.name = name
        self.result = result
        self.gated = gated
        flag = gated ? OverconfidenceFlags.segmentFlag(name: name, result: result, positiveClass: positiveClass) : nil
    }
}
