public import CalibCore

/// One metric of the recalibration comparison (SPEC 12: `crossEntropy`,
/// `brier`, `ece`, `equalMassECE`, `smoothECE`, `rocAUC`): its JSON key
/// (the name of the engine's `MetricKey` or `RankingKey` it reads), its words
/// in the reports, which way is better, and how it is read from an audit.
public struct RecalibrationMetric: Sendable {
    /// The key in `recalibration[].metrics`, the engine key's `member`.
    public let key: String
    /// The row label in the before/after tables (`ece` depends on the task).
    public let label: @Sendable (TaskKind) -> String
    /// The column heading in the before/after tables, at most 10 characters.
    public let heading: String
    public let lowerIsBetter: Bool
    private let read: @Sendable (AuditResult) -> Double

    /// The value in an audit of scores (NaN when undefined).
    public func value(in result: AuditResult) -> Double { read(result) }

    static func metric(_ key: MetricKey, _ heading: String, _ label: @escaping @Sendable (TaskKind) -> String) -> RecalibrationMetric {
        RecalibrationMetric(key: key.member, label: label, heading: heading, lowerIsBetter: key.polarity == .lowerIsBetter,
                            read: { key.value(in: $0.metrics) ?? .nan })
    }

    /// The six metrics, in the order of the JSON and every table.
    public static let all: [RecalibrationMetric] = [
        metric(.crossEntropy, "cross-ent.") { _ in "cross-entropy" },
        metric(.brier, "Brier") { _ in "Brier score" },
        metric(.ece, "ECE") { $0 == .binary ? "ECE (positive class)" : "ECE (top label)" },
        metric(.equalMassECE, "mass ECE") { _ in "equal-mass ECE" },
        metric(.smoothECE, "smooth ECE") { _ in "smooth ECE" },
        RecalibrationMetric(key: RankingKey.rocAUC.member, label: { _ in "ROC AUC" }, heading: "ROC AUC", lowerIsBetter: false,
                            read: { r in r.ranking.flatMap { RankingKey.rocAUC.value(in: $0, task: r.task) } ?? .nan }),
    ]
}

/// What `calib audit --recalibrate METHOD,…` adds (SPEC 12): for each method,
/// the calibrator fitted on every row and the engine's audit of its 5-fold
/// cross-fitted scores (`Recalibration.crossFitted`), or the reason the
/// method refuses the data (separable data for Platt and beta, a
/// multiclass task for a binary method); and the audit of the scores as
/// they are, computed the same way, as the "before".
///
/// Both audits are the engine's `AuditAccumulator` with the report's
/// settings, the cross-entropy loss only, ranking on (so the sorted-score
/// estimators and the ROC AUC exist) and no bootstrap — as `calib fit` prints them.
public struct RecalibrationSummary: Sendable {
    public struct Entry: Sendable {
        public let method: RecalibrationMethod
        /// Fitted on every row; `nil` when the method refuses.
        public let calibrator: Calibrator?
        /// The audit of the cross-fitted scores; `nil` when the method refuses.
        public let crossFitted: AuditResult?
        /// Why the method refuses the data (fit or any fold); `nil` when it fits.
        public let refusal: String?
    }

    /// The audit of the scores before recalibration.
    public let before: AuditResult
    public let entries: [Entry]
    /// The histogram method's equal-mass bins (the audit's `--bins`).
    public let bins: Int

    /// Fits and cross-fits every method on `table` (`classes` in order;
    /// `runner` runs folds and passes on threads, the same bits either way).
    public init(methods: [RecalibrationMethod], table: PredictionTable, classes: [String], settings: AuditSettings, runner: RankingRunner?) {
        before = Self.audit(table, classes: classes, settings: settings, runner: runner)
        bins = settings.bins
        entries = methods.map { method in
            do throws(RecalibrationError) {
                // One prepared table for the whole fit and the five folds' (the same bits as apart).
                let (calibrator, scores) = try Recalibration.fitAndCrossFit(method, table: table, classes: classes,
                                                                            bins: settings.bins, runner: runner)
                return Entry(method: method, calibrator: calibrator,
                             crossFitted: Self.audit(scores, classes: classes, settings: settings, runner: runner), refusal: nil)
            } catch {
                return Entry(method: method, calibrator: nil, crossFitted: nil, refusal: error.reason)
            }
        }
    }

    /// The engine's audit of a whole table as the comparison reads it
    /// (`Recalibration.comparisonAudit`: cross-entropy loss only, ranking on,
    /// no bootstrap), computing no more than it reads: no worst rows and no
    /// operating points (recall at a precision, an FPR or an alert budget),
    /// on which neither `RecalibrationMetric.all` nor the reliability bins depend.
    public static func audit(_ table: PredictionTable, classes: [String], settings: AuditSettings, runner: RankingRunner?) -> AuditResult {
        Recalibration.comparisonAudit(table, classes: classes, settings: settings, runner: runner)
    }

    /// Whether a metric's `change` (after − before) is "better" or "worse",
    /// or `""` when there is nothing to say: a change that prints as zero at
    /// `decimals` decimals (a tiny move of ROC AUC across folds, say), or one
    /// that is not finite.
    public static func verdict(change: Double, lowerIsBetter: Bool, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        guard change.isFinite, (Swift.abs(change) * scale).rounded() != 0 else { return "" }
        return (change < 0) == lowerIsBetter ? "better" : "worse"
    }

    /// A calibrator's parameters as named numbers, with the calibrator
    /// file's names: temperature `temperature`; platt `a`, `b`; beta `a`,
    /// `b`, `c`; isotonic `thresholds`, `values`; histogram `bins`, `edges`, `values`.
    public static func parameters(_ p: Calibrator.Parameters, bins: Int) -> [(String, ParameterValue)] {
        switch p {
        case let .temperature(t): [("temperature", .number(t))]
        case let .platt(a, b): [("a", .number(a)), ("b", .number(b))]
        case let .beta(a, b, c): [("a", .number(a)), ("b", .number(b)), ("c", .number(c))]
        case let .isotonic(thresholds, values): [("thresholds", .numbers(thresholds)), ("values", .numbers(values))]
        case let .histogram(edges, values): [("bins", .count(bins)), ("edges", .numbers(edges)), ("values", .numbers(values))]
        }
    }

    /// One named parameter: a number, a list of numbers, or a count.
    public enum ParameterValue: Sendable, Hashable {
        case number(Double)
        case numbers([Double])
        case count(Int)
    }
}
