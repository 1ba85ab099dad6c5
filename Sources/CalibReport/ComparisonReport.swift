public import CalibCore
public import CalibInput

/// Everything a renderer shows for `calib compare` (SPEC section 11): both
/// audits (each a ``Report`` of its own file), the ``ComparisonResult``, how
/// the rows paired and what did not, the gates, and the one-line verdict.
public struct ComparisonReport: Sendable, GatedReport {
    public let tool: ToolInfo
    public let baseline: Report
    public let candidate: Report
    public let comparison: ComparisonResult
    /// The id column rows paired by (`--join-on`), or `nil` for pairing by position.
    public let joinColumn: String?
    /// Rows both files hold (the rows both audits and every delta are of).
    public let pairedRows: Int
    public let unmatched: UnmatchedRows
    public let gates: [GateOutcome]
    /// The verdict line every report starts with (``ComparisonReport/verdictLine(_:)``).
    public let verdict: String

    public init(tool: ToolInfo = ToolInfo(), baseline: InputSummary, candidate: InputSummary, comparison: ComparisonResult,
                joinColumn: String?, pairedRows: Int, unmatched: UnmatchedRows, gates: [GateOutcome] = []) {
        self.tool = tool
        self.baseline = Report(tool: tool, input: baseline, result: comparison.baseline)
        self.candidate = Report(tool: tool, input: candidate, result: comparison.candidate)
        self.comparison = comparison
        self.joinColumn = joinColumn
        self.pairedRows = pairedRows
        self.unmatched = unmatched
        self.gates = gates
        verdict = Self.verdictLine(comparison)
    }

    public var source: String { "\(baseline.input.source) vs \(candidate.input.source)" }
    public var shortName: String { "\(baseline.shortName) vs \(candidate.shortName)" }

    /// The keys the terminal report and the verdict read first, when the task has them.
    public static let headlineKeys = ["ece", "smoothECE", "crossEntropy", "brier", "accuracy", "macro.f1", "ranking.rocAUC", "ranking.averagePrecision"]


    /// `value [lower, upper]` of a delta, signed, or the delta alone without an interval.
    public static func deltaText(_ d: PairedDelta, digits: Int = 4) -> String {
        let value = NumberText.signed(d.delta, digits)
        guard let i = d.interval else { return value }
        return "\(value) [\(NumberText.signed(i.lower, digits)), \(NumberText.signed(i.upper, digits))]"
    }

    /// The verdict's word for a delta: `better`, `worse`, `no detectable difference`,
    /// `differs`, or why there is none.
    public static func verdictWord(_ d: PairedDelta) -> String {
        if let v = d.verdict { return v.rawValue }
        return d.delta.isFinite ? "no interval" : "undefined"
    }

    /// The one-line verdict: calibration (the ECE's delta) and ranking (the ROC
    /// AUC's; the accuracy's when the audit has no ranking), each by its
    /// interval: "candidate is better calibrated (ECE -0.0110 [-0.0160, -0.0060])
    /// and ranks no worse (AUC +0.0020 [-0.0010, +0.0050])". "no worse" reads
    /// an interval that contains 0; "but" joins a better and a worse part.
    /// Without intervals (`--bootstrap 0`) it gives the deltas and says there is no verdict.
    public static func verdictLine(_ c: ComparisonResult) -> String {
        typealias Part = (text: String, verdict: DeltaVerdict?)
        func part(_ name: String, label: String, better: String, worse: String, same: String) -> Part? {
            guard let d = c.delta(name) else { return nil }
            guard d.delta.isFinite else { return ("\(label) is undefined", nil) }
            let words: String
            switch d.verdict {
            case .better?: words = better
            case .worse?: words = worse
            case .noDetectableDifference?, .differs?: words = same
            case nil: return ("\(label) \(NumberText.signed(d.delta, 4)) (no interval)", nil)
            }
            return ("\(words) (\(label) \(deltaText(d)))", d.verdict)
        }
        guard c.confidence != nil else {
            let parts = [("ECE", c.baseline.metrics.ece, c.candidate.metrics.ece),
                         ("AUC", c.baseline.ranking?.rocAUC, c.candidate.ranking?.rocAUC),
                         ("accuracy", c.baseline.metrics.accuracy, c.candidate.metrics.accuracy)]
                .compactMap { label, b, a -> String? in
                    guard let b, let a, c.baseline.task == .binary || label != "AUC" else { return nil }
                    return "\(label) \(NumberText.signed(a - b, 4))"
                }
            return "candidate − baseline: \(parts.joined(separator: ", ")); no verdict without intervals (--bootstrap 0)"
        }
        let calibration = part("ece", label: "ECE", better: "is better calibrated", worse: "is worse calibrated", same: "is no worse calibrated")
        let ranking = part("ranking.rocAUC", label: "AUC", better: "ranks better", worse: "ranks worse", same: "ranks no worse")
            ?? part("accuracy", label: "accuracy", better: "is more accurate", worse: "is less accurate", same: "is no less accurate")
        let parts = [calibration, ranking].compactMap { $0 }
        guard !parts.isEmpty else { return "candidate: no headline value to compare" }
        let verdicts = Set(parts.compactMap(\.verdict))
        let conjunction = verdicts.contains(.better) && verdicts.contains(.worse) ? " but " : " and "
        return "candidate " + parts.map(\.text).joined(separator: conjunction)
    }

    /// The pairing as a sentence: "1,000 rows paired by position." or
    /// "980 rows paired by 'id'; 12 only in the baseline, 8 only in the candidate (not compared)."
    public var pairingSentence: String {
        guard let joinColumn else { return "\(NumberText.count(pairedRows)) rows paired by position." }
        var text = "\(NumberText.count(pairedRows)) rows paired by '\(TextEscaping.plain(joinColumn, limit: 60))'"
        if unmatched.total > 0 {
            text += "; \(NumberText.count(unmatched.baseline)) only in the baseline, \(NumberText.count(unmatched.candidate)) only in the candidate (not compared)"
        }
        return text + "."
    }

    /// DeLong's test as a sentence, or why there is none.
    public var deLongSentence: String {
        guard comparison.baseline.task == .binary else { return "DeLong's test: binary tasks only." }
        guard let t = comparison.deLong else { return "DeLong's test: needs at least two positive and two negative rows." }
        return "DeLong's test of the AUC difference: z = \(NumberText.fixed(t.z, 3)), \(ReportVocabulary.pValue(t.p)) (unweighted, \(NumberText.count(t.positives)) positive and \(NumberText.count(t.negatives)) negative rows)."
    }

    /// McNemar's test as a sentence.
    public var mcNemarSentence: String {
        let t = comparison.mcNemar
        return "McNemar's exact test: \(NumberText.count(t.b)) rows only the baseline gets right, \(NumberText.count(t.c)) only the candidate; \(ReportVocabulary.pValue(t.p)) (unweighted)."
    }
}

extension ReportVocabulary {
    /// A p-value as reports print it, with its sign: `p = 0.0442`, `p = 9.75e-10`, `p < 1e-12`.
    static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "p undefined" }
        return p < 1e-12 ? "p < 1e-12" : "p = " + pNumber(p)
    }

    /// The number of ``pValue(_:)``: 4 decimals, or 3 significant digits below 0.001.
    static func pNumber(_ p: Double) -> String {
        if p < 0.001 {
            var exponent = 0
            var m = p
            while m < 1 { m *= 10; exponent += 1 }
            return "\(NumberText.fixed(m, 2))e-\(exponent)"
        }
        return NumberText.fixed(p, 4)
    }
}

/// Evaluates `calib compare`'s gates: `delta.KEY` (candidate − baseline, any
/// gate key of `calib audit`), `delta.KEY.lower` and `delta.KEY.upper` (the
/// paired interval's bounds, interval keys only), `unmatchedRows` (rows of
/// `--join-on` in one file only), and every other key of `calib audit` on the candidate.
public enum ComparisonGateEvaluator {
    public static let deltaPrefix = "delta."

    public static func evaluate(_ gates: [GateExpression], report: ComparisonReport) throws(GateError) -> [GateOutcome] {
        var outcomes: [GateOutcome] = []
        for gate in gates {
            let (value, reason) = try self.value(of: gate.metric, report: report)
            let defined = value.map(\.isFinite) ?? false
            let holds = defined && gate.comparison.holds(value!, gate.threshold)
            outcomes.append(GateOutcome(expression: gate.text, metric: gate.metric, value: defined ? value : nil,
                                        threshold: gate.threshold, passed: defined && !holds, severity: gate.severity,
                                        undefinedReason: defined ? nil : reason))
        }
        return outcomes
    }

    static func value(of metric: String, report: ComparisonReport) throws(GateError) -> (Double?, String?) {
        if metric == "unmatchedRows" { return (Double(report.unmatched.total), nil) }
        let candidate = report.candidate
        // A plain key's bound (`ece.lower`) gates the candidate; its interval shows in the gate's line only in audits.
        var bound: GateOutcome.IntervalBound?
        guard metric.hasPrefix(deltaPrefix) else {
            return try GateEvaluator.value(of: metric, result: candidate.result, input: candidate.input, segments: [], minSegmentRows: 0, bound: &bound)
        }
        let key = String(metric.dropFirst(deltaPrefix.count))
        for (suffix, isLower) in [(".lower", true), (".upper", false)] where key.hasSuffix(suffix) {
            let inner = String(key.dropLast(suffix.count))
            guard report.comparison.confidence != nil else {
                throw GateError("'\(GateEvaluator.shown(metric))' needs intervals: drop --bootstrap 0")
            }
            guard let d = report.comparison.delta(inner) else {
                let names = report.comparison.deltas.map(\.key.name)
                throw GateError("'\(GateEvaluator.shown(metric))': '\(GateEvaluator.shown(inner))' has no interval; delta.KEY.lower and delta.KEY.upper take one of \(GateEvaluator.list(names))")
            }
            let bound = d.interval.map { isLower ? $0.lower : $0.upper }
            return (bound, "the delta of \(inner) has no interval (\(ComparisonReport.verdictWord(d)))")
        }
        let b = try GateEvaluator.value(of: key, result: report.baseline.result, input: report.baseline.input, segments: [], minSegmentRows: 0, bound: &bound)
        let c = try GateEvaluator.value(of: key, result: candidate.result, input: candidate.input, segments: [], minSegmentRows: 0, bound: &bound)
        guard let bv = b.0, let cv = c.0, bv.isFinite, cv.isFinite else {
            return (nil, b.0.map(\.isFinite) == true ? "the candidate's \(key) is undefined: \(c.1 ?? "")" : "the baseline's \(key) is undefined: \(b.1 ?? "")")
        }
        return (cv - bv, nil)
    }
}
