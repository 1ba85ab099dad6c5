public import CalibCore

/// How a report shows one metric: the words for it in a table and the
/// number of decimals it is printed with.
public struct MetricDisplay: Sendable, Hashable {
    /// The label in tables and lines, e.g. "cross-entropy", "MCE".
    public let label: String
    /// A shorter label for 80-column tables, e.g. "CE", "prec".
    public let shortLabel: String
    /// Decimal places, e.g. 4 for a cross-entropy, 3 for an F1.
    public let digits: Int

    init(_ label: String, short: String? = nil, digits: Int) {
        self.label = label
        self.shortLabel = short ?? label
        self.digits = digits
    }
}

/// The vocabulary every report shares, so that the terminal, Markdown and HTML
/// reports say the same thing the same way: the label and digits of each
/// catalogue key (``MetricKey/all``, ``ClassMetricKey/all``), the labels of
/// the imbalance losses, the words of the two ECE modes, and the one function
/// that turns a metric value into text (``formatted(_:_:)``; "—" when undefined).
///
/// A new metric key needs an entry in ``metrics`` or ``classMetrics``: the
/// vocabulary test fails for a key without one.
public enum ReportVocabulary {
    /// Label and digits of every headline key, by ``MetricKey/name``.
    static let metrics: [String: MetricDisplay] = {
        var table: [String: MetricDisplay] = [
            "crossEntropy": MetricDisplay("cross-entropy", short: "CE", digits: 4),
            "crossEntropyBits": MetricDisplay("cross-entropy (bits)", short: "bits", digits: 4),
            "perplexity": MetricDisplay("perplexity", digits: 3),
            "priorCrossEntropy": MetricDisplay("prior CE", digits: 4),
            "logLossSkill": MetricDisplay("log-loss skill", short: "skill", digits: 4),
            "accuracy": MetricDisplay("accuracy", digits: 4),
            "balancedAccuracy": MetricDisplay("balanced accuracy", short: "balanced", digits: 4),
            "brier": MetricDisplay("Brier", digits: 4),
            "mcc": MetricDisplay("MCC", digits: 4),
            "meanConfidence": MetricDisplay("mean confidence", digits: 3),
            "topLabelECE": MetricDisplay("top-label ECE", digits: 4),
            "positiveClassECE": MetricDisplay("positive-class ECE", digits: 4),
            "classwiseECE": MetricDisplay("class-wise ECE", short: "classwise", digits: 4),
            "ece": MetricDisplay("ECE", digits: 4),
            "mce": MetricDisplay("MCE", digits: 4),
            "overconfidence": MetricDisplay("over-confidence", digits: 4),
            "underconfidence": MetricDisplay("under-confidence", short: "under", digits: 4),
            "overconfidenceError": MetricDisplay("over-confidence error", short: "OE", digits: 4),
            "calibrationInTheLarge": MetricDisplay("calibration in the large", short: "mean score − positive rate", digits: 4),
            "confidentErrorRate": MetricDisplay("confident errors", digits: 4),
            "equalMassECE": MetricDisplay("equal-mass ECE", short: "EM-ECE", digits: 4),
            "debiasedL2ECE": MetricDisplay("debiased L2 ECE", short: "dL2-ECE", digits: 4),
            "smoothECE": MetricDisplay("smooth ECE", short: "smECE", digits: 4),
            "smoothECEBandwidth": MetricDisplay("smooth ECE bandwidth", short: "σ*", digits: 4),
            "spiegelhalterZ": MetricDisplay("Spiegelhalter z", digits: 2),
            "spiegelhalterP": MetricDisplay("Spiegelhalter p", digits: 4),
            "hosmerLemeshowStatistic": MetricDisplay("Hosmer–Lemeshow χ²", short: "HL χ²", digits: 2),
            "hosmerLemeshowP": MetricDisplay("Hosmer–Lemeshow p", short: "HL p", digits: 4),
            "hosmerLemeshowGroups": MetricDisplay("Hosmer–Lemeshow groups", short: "HL groups", digits: 0),
            "calibrationSlope": MetricDisplay("calibration slope", short: "slope", digits: 3),
            "calibrationIntercept": MetricDisplay("calibration intercept", short: "intercept", digits: 3),
        ]
        for (score, words) in [("brier", "Brier"), ("crossEntropy", "cross-entropy")] {
            table["decomposition.\(score).score"] = MetricDisplay(words, digits: 4)
            table["decomposition.\(score).miscalibration"] = MetricDisplay("\(words) miscalibration", short: "MCB", digits: 4)
            table["decomposition.\(score).discrimination"] = MetricDisplay("\(words) discrimination", short: "DSC", digits: 4)
            table["decomposition.\(score).uncertainty"] = MetricDisplay("\(words) uncertainty", short: "UNC", digits: 4)
        }
        for group in ["macro", "weighted", "micro"] {
            table[group + ".precision"] = MetricDisplay("\(group) precision", digits: 3)
            table[group + ".recall"] = MetricDisplay("\(group) recall", digits: 3)
            table[group + ".f1"] = MetricDisplay("\(group) F1", digits: 3)
        }
        return table
    }()

    /// Label and digits of every per-class key, by ``ClassMetricKey/name``.
    /// `support` is a weighted count and `prior` a percentage: their digits
    /// are those of the percentage (``NumberText/percent(_:_:)``).
    static let classMetrics: [String: MetricDisplay] = [
        "precision": MetricDisplay("precision", short: "prec", digits: 3),
        "recall": MetricDisplay("recall", digits: 3),
        "f1": MetricDisplay("F1", digits: 3),
        "ece": MetricDisplay("ECE", digits: 4),
        "crossEntropy": MetricDisplay("cross-entropy", short: "CE", digits: 4),
        "support": MetricDisplay("support", digits: 0),
        "prior": MetricDisplay("prior", digits: 2),
    ]

    /// Text for an undefined value (not finite, `null` in JSON).
    public static let undefined = "—"

    /// The one place a metric value becomes text: `value` with the key's
    /// digits ("0.0148"), or ``undefined`` when it is `nil` or not finite.
    /// `digits` overrides the key's, for the 80-column terminal tables.
    public static func formatted(_ key: MetricKey, _ value: Double?, digits: Int? = nil) -> String {
        NumberText.fixed(value, digits ?? key.display.digits)
    }

    /// `key`'s value in `metrics` as text (``formatted(_:_:digits:)``).
    public static func formatted(_ key: MetricKey, in metrics: Metrics) -> String {
        formatted(key, key.value(in: metrics))
    }

    /// A headline reading's value as text, with its key's digits; the values
    /// read by their sign (``signedKeys``) with an explicit "+".
    public static func formatted(_ reading: MetricReading) -> String {
        let digits = MetricKey.named(reading.key)?.display.digits ?? 4
        return signedKeys.contains(reading.key) ? NumberText.signed(reading.value, digits) : NumberText.fixed(reading.value, digits)
    }

    /// The interval (SPEC section 10) of the key called `name` (`ece`,
    /// `ranking.rocAUC`, `precision[fraud]`) in `result`; `nil` without the
    /// bootstrap, or when the key has none for this input (`UndefinedReasons.intervalReason(_:result:)` says why).
    public static func interval(_ name: String, in result: AuditResult) -> MetricInterval? {
        result.bootstrap?.interval(name)
    }

    /// The interval of `name` as text, `[0.0131, 0.0167]`, with `digits` and
    /// signed bounds when `signed`; `nil` without one or when `value` is not
    /// finite (an undefined value prints "—" alone).
    static func bracket(_ name: String, _ value: Double?, in result: AuditResult, digits: Int, signed: Bool = false) -> String? {
        guard let value, value.isFinite else { return nil }
        return NumberText.bracket(interval(name, in: result)) { signed ? NumberText.signed($0, digits) : NumberText.fixed($0, digits) }
    }

    /// A headline key's value and interval: `0.0148 [0.0131, 0.0167]`
    /// (``NumberText/interval(_:_:_:)``, the key's digits unless `digits`
    /// says otherwise); the value alone without an interval.
    public static func formatted(_ key: MetricKey, in result: AuditResult, digits: Int? = nil) -> String {
        let d = digits ?? key.display.digits
        let value = key.value(in: result.metrics)
        let text = signedKeys.contains(key.name) ? NumberText.signed(value, d) : NumberText.fixed(value, d)
        return text + (bracket(key.name, value, in: result, digits: d, signed: signedKeys.contains(key.name)).map { " " + $0 } ?? "")
    }

    /// A headline key's value and interval as percentages: `7.2% [0.3%, 13.2%]`.
    static func percent(_ key: MetricKey, in result: AuditResult) -> String {
        let value = key.value(in: result.metrics)
        return NumberText.withInterval(NumberText.percent(value), value, interval(key.name, in: result)) { NumberText.percent($0) }
    }

    /// A headline reading's interval as text (its key's digits, signed as its value); `nil` without one.
    static func bracket(_ reading: MetricReading, in result: AuditResult) -> String? {
        let digits = MetricKey.named(reading.key)?.display.digits ?? ranking(String(reading.key.dropFirst(RankingKey.prefix.count))).digits
        return bracket(reading.key, reading.value, in: result, digits: digits, signed: signedKeys.contains(reading.key))
    }

    /// A per-class value's interval as text (`precision[fraud]`), with the key's digits unless `digits` says otherwise.
    static func bracket(_ key: ClassMetricKey, of c: ClassMetrics, in result: AuditResult, digits: Int? = nil) -> String? {
        bracket("\(key.name)[\(c.name)]", key.value(in: c), in: result, digits: digits ?? key.display.digits)
    }

    /// How the intervals were made, said once a report: "95% intervals:
    /// Poisson bootstrap, 200 replicates, seed 0"; `nil` without the bootstrap.
    public static func intervalMethod(_ result: AuditResult) -> String? {
        result.bootstrap.map { b in
            "\(share(b.settings.confidence)) intervals: Poisson bootstrap, \(NumberText.count(b.settings.replicates)) replicates, seed \(b.settings.seed)"
        }
    }

    /// The headline keys whose sign is the finding (above or below the ideal 0):
    /// their cards print "+0.0148", not "0.0148".
    static let signedKeys: Set<String> = [MetricKey.calibrationInTheLarge.name, MetricKey.calibrationIntercept.name]

    /// A per-class value as text: `support` as a weighted count, `prior` as a
    /// percentage, the others with the key's digits; `undefined` when not finite.
    public static func formatted(_ key: ClassMetricKey, _ value: Double?, digits: Int? = nil) -> String {
        let places = digits ?? key.display.digits
        switch key {
        case .support: return value.map(NumberText.weight) ?? undefined
        case .prior: return NumberText.percent(value, places)
        default: return NumberText.fixed(value, places)
        }
    }

    /// Decimal places of a loss value in the imbalance tables.
    static let lossDigits = 4

    /// Decimal places of a gate's value and threshold, whatever the key: the
    /// key's own digits (``MetricDisplay/digits``) would print `recall[fraud]`
    /// with 3 where reports have always printed 4, so they are not used here.
    static let gateDigits = 4

    /// Decimal places of a worst row's confidence, and of its cross-entropy
    /// in the full tables and in the 80-column terminal.
    static let worstRowConfidenceDigits = 4
    static let worstRowLossDigits = 3
    static let worstRowLossDigitsCompact = 2

    /// The label of an evaluated loss: "cross-entropy", "weighted CE (inverse
    /// frequency)", "focal (γ=2, α=0.25)", "label smoothing (ε=0.1)".
    public static func lossLabel(_ loss: LossEvaluation) -> String {
        switch loss.specification {
        case .crossEntropy: "cross-entropy"
        case let .weightedCrossEntropy(w):
            switch w {
            case .inverseFrequency: "weighted CE (inverse frequency)"
            case let .effectiveNumber(beta): "weighted CE (effective number, β=\(beta))"
            case .given: "weighted CE (given weights)"
            }
        case .focal:
            "focal (γ=\(ReportFindings.parameterText(loss.parameters.first { $0.key == "gamma" }))"
                + ", α=\(ReportFindings.parameterText(loss.parameters.first { $0.key == "alpha" })))"
        case let .labelSmoothing(epsilon): "label smoothing (ε=\(epsilon))"
        }
    }

    /// A weighted cross-entropy in a sentence or a chart legend:
    /// "inverse-frequency weighted CE", "effective-number weighted CE (β = 0.9999)".
    public static func weightedLossPhrase(_ weighting: ClassWeighting) -> String {
        switch weighting {
        case .inverseFrequency: "inverse-frequency weighted CE"
        case let .effectiveNumber(beta): "effective-number weighted CE (β = \(beta))"
        case .given: "weighted CE (given weights)"
        }
    }

    /// A focal loss in a sentence: "focal loss (γ = 2, α = 0.25)".
    public static func focalLossPhrase(_ loss: LossEvaluation) -> String {
        "focal loss (γ = \(ReportFindings.parameterText(loss.parameters.first { $0.key == "gamma" }))"
            + ", α = \(ReportFindings.parameterText(loss.parameters.first { $0.key == "alpha" })))"
    }

    /// The words of a reliability table's two sides in one ECE mode: the
    /// positive-class table compares the predicted chance with the observed
    /// rate, the top-label table the confidence with the accuracy.
    public struct ModeWords: Sendable {
        /// "predicted" / "confidence"
        public let predicted: String
        /// "observed" / "accuracy"
        public let observed: String
        /// "mean predicted" / "mean confidence"
        public let meanPredicted: String
        /// "observed rate" / "accuracy"
        public let observedRate: String
    }

    /// The words of `mode`'s reliability table.
    public static func words(_ mode: ECEMode) -> ModeWords {
        switch mode {
        case .positiveClass: ModeWords(predicted: "predicted", observed: "observed", meanPredicted: "mean predicted", observedRate: "observed rate")
        case .topLabel: ModeWords(predicted: "confidence", observed: "accuracy", meanPredicted: "mean confidence", observedRate: "accuracy")
        }
    }
}

extension MetricKey {
    /// How reports show the key (``ReportVocabulary``); the key's name and 4
    /// digits if the vocabulary has no entry (a test makes sure every key has one).
    public var display: MetricDisplay { ReportVocabulary.metrics[name] ?? MetricDisplay(name, digits: 4) }
}

extension MetricKey {
    /// The nested average `group.member`, e.g. `average("macro", .f1)` is `macro.f1`.
    static func average(_ group: String, _ member: ClassMetricKey) -> MetricKey {
        guard let key = named(group + "." + member.name) else { preconditionFailure("no average key \(group).\(member)") }
        return key
    }
}

extension ClassMetricKey {
    /// How reports show the key (``ReportVocabulary``); the key's name and 4
    /// digits if the vocabulary has no entry (a test makes sure every key has one).
    public var display: MetricDisplay { ReportVocabulary.classMetrics[name] ?? MetricDisplay(name, digits: 4) }
}

/// The words and digits of the ranking section (SPEC section 8), shared by
/// the terminal, Markdown and HTML reports.
extension ReportVocabulary {
    /// Label and digits of the ranking section's headline values, by their
    /// JSON key under `ranking` (`rocAUC`, `weightedROCAUC`, `averagePrecision`, `positiveRate`).
    static let rankingMetrics: [String: MetricDisplay] = [
        "rocAUC": MetricDisplay("ROC AUC", short: "AUC", digits: 4),
        "weightedROCAUC": MetricDisplay("weighted ROC AUC", short: "weighted AUC", digits: 4),
        "averagePrecision": MetricDisplay("average precision", short: "AP", digits: 4),
        "positiveRate": MetricDisplay("positive rate", digits: 4),
    ]

    /// The display of the ranking value called `key` (`rocAUC`, …); the key and 4 digits when unknown.
    static func ranking(_ key: String) -> MetricDisplay { rankingMetrics[key] ?? MetricDisplay(key, digits: 4) }

    /// A ranking value as text with its key's digits (`undefined` when not finite).
    static func formattedRanking(_ key: String, _ value: Double, digits: Int? = nil) -> String {
        NumberText.fixed(value, digits ?? ranking(key).digits)
    }

    /// Decimal places of an operating point's recall, precision and
    /// false-positive rate: in the tables, and in the 80-column terminal.
    static let operatingPointDigits = 3
    static let operatingPointDigitsCompact = 2
    /// Decimal places of a score threshold: in the tables, and in the terminal
    /// (3, so that the top budgets' thresholds near 1 stay apart).
    static let thresholdDigits = 4
    static let thresholdDigitsCompact = 3
    /// Decimal places of a cost per unit weight.
    static let costDigits = 4

    /// A share as the shortest percentage that keeps its digits (up to 4
    /// decimals): 0.005 is "0.5%", 0.01 "1%", 0.0005 "0.05%"; `undefined` when not finite.
    static func share(_ x: Double) -> String {
        guard x.isFinite else { return undefined }
        var text = NumberText.fixed(x * 100, 4)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text + "%"
    }

    /// A small positive bound with two significant digits and no exponent:
    /// 0.1355 is "0.14", 0.000123 "0.00012"; "0" for 0; `undefined` when not finite.
    static func bound(_ x: Double) -> String {
        guard x.isFinite else { return undefined }
        guard x > 0 else { return "0" }
        var decimals = 1
        var scaled = x * 10
        while scaled < 10 && decimals < 17 {
            scaled *= 10
            decimals += 1
        }
        return NumberText.fixed(x, decimals)
    }

    /// A score threshold as text; +∞ (flag nothing) reads "+∞ (flag nothing)".
    static func threshold(_ t: Double, digits: Int) -> String {
        t == .infinity ? "+∞ (flag nothing)" : NumberText.fixed(t, digits)
    }
}

extension ReportVocabulary {
    /// A number the user gave (a cost): whole numbers without a fraction, others as Swift prints them.
    static func plain(_ x: Double) -> String {
        x.isFinite && x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : x.description
    }
}
