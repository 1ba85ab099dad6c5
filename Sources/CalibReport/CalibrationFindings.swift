public import CalibCore

/// One calibration test or logistic fit (SPEC section 9) as the reports word
/// it: the statistic, the p-value and one plain sentence. Built by
/// `CalibrationFindings`; the renderers only place these texts.
public struct CalibrationCheck: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case hosmerLemeshow, spiegelhalter, slope, intercept }

    public let kind: Kind
    /// The metric key whose value decides the sentence (`hosmerLemeshowP`, `spiegelhalterP`, `calibrationSlope`, `calibrationIntercept`).
    public let key: String
    /// "Hosmer–Lemeshow", "Spiegelhalter", "calibration slope", "calibration intercept".
    public let label: String
    /// The statistic with its symbol ("χ² 251.65 (10 groups)", "z -6.73"), or the fitted value ("0.520"); "—" when undefined.
    public let statistic: String
    /// The p-value ("p < 0.001", "p = 0.41", "p —"); `nil` for the fits, which have none.
    public let p: String?
    /// The reading alone: "the scores are miscalibrated beyond chance", "the scores are too extreme — overconfident".
    public let verdict: String
    /// The sentence of the Markdown and HTML tables: "the scores are miscalibrated beyond
    /// chance (Hosmer–Lemeshow p < 0.001)", "slope 0.520 < 1: the scores are too extreme — overconfident",
    /// or "undefined: REASON". May quote the positive class (escape it as input text).
    public let sentence: String
    /// The terminal's line: "Hosmer–Lemeshow χ² 251.65 (10 groups), p < 0.001: the scores are
    /// miscalibrated beyond chance", "calibration slope 0.520 < 1: …", "calibration slope —: undefined: REASON".
    public let line: String
    /// Why the value is undefined; `nil` when it is defined.
    public let undefinedReason: String?
}

/// One estimator of the headline calibration error (equal-width, equal-mass,
/// debiased L2, smooth), side by side so that binning noise shows.
public struct EstimatorReading: Sendable, Hashable {
    /// The metric key (`positiveClassECE` or `topLabelECE`, `equalMassECE`, `debiasedL2ECE`, `smoothECE`).
    public let key: String
    /// "ECE, equal-width (15 bins)", "smooth ECE (σ* 0.0176)".
    public let label: String
    public let value: Double
    /// The value with the key's digits, "—" when undefined.
    public let text: String
    /// Its interval with the same digits, `[0.0131, 0.0167]`; `nil` without one.
    public let interval: String?
    /// The value and its interval, `0.0148 [0.0131, 0.0167]` (``text`` alone without one).
    public var textWithInterval: String { text + (interval.map { " " + $0 } ?? "") }
    /// What the estimator is, in a few words.
    public let detail: String
    public let undefinedReason: String?
}

/// One CORP decomposition as the reports show it: the values and the identity
/// "Brier 0.0141 = MCB 0.0034 − DSC 0.0010 + UNC 0.0117".
public struct DecompositionReading: Sendable, Hashable {
    /// `brier` or `crossEntropy` (the JSON key under `decomposition`).
    public let key: String
    /// "Brier", "cross-entropy".
    public let label: String
    public let values: ScoreDecomposition
    /// `S(s_iso) = UNC − DSC`: the score of the isotonically recalibrated scores.
    public var recalibrated: Double { values.uncertainty - values.discrimination }
    /// The identity with the values rounded to 4 places, or "Brier —: undefined: REASON".
    public let identity: String
    public let undefinedReason: String?
    /// Whether every value is a finite number (the bar is drawn).
    public var isDefined: Bool { undefinedReason == nil }
}

/// What the reports show of SPEC section 9, derived once from
/// `Metrics.calibration`: the tests and fits (binary), the four estimators of
/// the headline calibration error, the decompositions (binary), the
/// positive-class direction (calibration in the large) and the isotonic curve.
///
/// A test is "beyond chance" when its p-value is below `significanceLevel`
/// (0.05). The slope and intercept are read by their sign, as printed: a slope
/// below 1 means the scores are too extreme (overconfident), above 1 too
/// moderate; a negative intercept (`P(y = 1) = σ(a₀ + logit s)`, `a₀ < 0`)
/// means the predicted chance is too high on the whole.
public struct CalibrationFindings: Sendable {
    /// The level below which a p-value counts as miscalibration beyond chance.
    public static let significanceLevel = 0.05

    /// Binary: Hosmer–Lemeshow, Spiegelhalter, slope, intercept; empty for multiclass.
    public let checks: [CalibrationCheck]
    /// The equal-width, equal-mass, debiased L2 and smooth ECE of the headline mode.
    public let estimators: [EstimatorReading]
    /// Binary: Brier and cross-entropy; empty for multiclass.
    public let decompositions: [DecompositionReading]
    /// Binary: the isotonic (CORP) curve of the reliability diagram; empty otherwise.
    public let isotonicCurve: [IsotonicStep]
    /// Binary: "scores too high on average", "scores too low on average" or "scores right on average"; `nil` for multiclass or undefined.
    public let inTheLargeShort: String?
    /// Binary: the calibration-in-the-large card's reading, quoting the positive class.
    public let inTheLargeReading: String?
    /// Whether the task is binary (tests and decompositions shown).
    public let isBinary: Bool
    /// The one reason when every value of section 9 is undefined for it (no
    /// score store: a segment, or an audit without ranking), so that the
    /// terminal says it once a block; `nil` otherwise.
    public let unavailableReason: String?

    /// From the estimates; `positiveClass` is quoted in sentences (binary),
    /// `headlineECE` is the equal-width ECE of the headline mode with `bins`
    /// bins, `inTheLarge` the calibration in the large, and `reason` gives
    /// the reason of an undefined key (`UndefinedReasons`) and `bracket` the
    /// interval of a key's value as text with the key's digits (`nil` without one).
    init(_ c: CalibrationEstimates, positiveClass: String?, headlineECE: (key: MetricKey, value: Double?), bins: Int,
         inTheLarge: Double?, reason: (MetricKey) -> String, bracket: (MetricKey, Double) -> String? = { _, _ in nil }) {
        isBinary = c.isBinary
        func why(_ key: MetricKey, _ value: Double) -> String? { value.isFinite ? nil : reason(key) }

        // Estimators.
        func estimator(_ key: MetricKey, _ value: Double, _ label: String, _ detail: String) -> EstimatorReading {
            EstimatorReading(key: key.name, label: label, value: value, text: ReportVocabulary.formatted(key, value), interval: bracket(key, value),
                             detail: detail, undefinedReason: why(key, value))
        }
        let bandwidth = c.smoothECEBandwidth.isFinite ? " (σ* \(ReportVocabulary.formatted(.smoothECEBandwidth, c.smoothECEBandwidth)))" : ""
        estimators = [
            estimator(headlineECE.key, headlineECE.value ?? .nan, "ECE, equal-width (\(bins) bins)", "the headline; moves when the bins move"),
            estimator(.equalMassECE, c.equalMassECE, "ECE, equal-mass (\(bins) bins)", "bins of equal weight, none nearly empty"),
            estimator(.debiasedL2ECE, c.debiasedL2ECE, "debiased L2 ECE (\(bins) equal-mass bins)",
                      "root-mean-square gap less its finite-sample bias (Kumar, Liang & Ma 2019); an L2 measure, not on the scale of the others"),
            estimator(.smoothECE, c.smoothECE, "smooth ECE" + bandwidth, "kernel-smoothed, no bins (Błasiok & Nakkiran 2023)"),
        ]

        let sectionReasons = MetricKey.sortedScoreKeys.filter { c.isBinary || $0.applies(to: .multiclass) }.map { c.undefinedReasons[$0.name] }
        let distinct = Set(sectionReasons.compactMap { $0 })
        unavailableReason = sectionReasons.allSatisfy { $0 != nil } && distinct.count == 1 ? distinct.first : nil
        guard c.isBinary else {
            checks = []; decompositions = []; isotonicCurve = []; inTheLargeShort = nil; inTheLargeReading = nil
            return
        }
        let positive = positiveClass ?? ""
        checks = [
            Self.test(.hosmerLemeshow, p: c.hosmerLemeshowP, statistic: c.hosmerLemeshowStatistic, groups: c.hosmerLemeshowGroups,
                      reason: why(.hosmerLemeshowP, c.hosmerLemeshowP), statisticReason: why(.hosmerLemeshowStatistic, c.hosmerLemeshowStatistic)),
            Self.test(.spiegelhalter, p: c.spiegelhalterP, statistic: c.spiegelhalterZ, groups: .nan,
                      reason: why(.spiegelhalterP, c.spiegelhalterP), statisticReason: why(.spiegelhalterZ, c.spiegelhalterZ)),
            Self.slope(c.calibrationSlope, reason: why(.calibrationSlope, c.calibrationSlope), interval: bracket(.calibrationSlope, c.calibrationSlope)),
            Self.intercept(c.calibrationIntercept, positiveClass: positive, reason: why(.calibrationIntercept, c.calibrationIntercept),
                           interval: bracket(.calibrationIntercept, c.calibrationIntercept)),
        ]
        decompositions = [("brier", "Brier", c.brierDecomposition), ("crossEntropy", "cross-entropy", c.crossEntropyDecomposition)].map { key, label, d in
            let parts = [d.score, d.miscalibration, d.discrimination, d.uncertainty]
            let names = ["score", "miscalibration", "discrimination", "uncertainty"]
            let undefined = zip(parts, names).first { !$0.0.isFinite }.map { _, name in
                reason(MetricKey.named("decomposition.\(key).\(name)") ?? .brier)
            }
            let f = { (x: Double) in NumberText.fixed(x, 4) }
            let identity = undefined.map { "\(label) —: undefined: \($0)" }
                ?? "\(label) \(f(d.score)) = MCB \(f(d.miscalibration)) − DSC \(f(d.discrimination)) + UNC \(f(d.uncertainty))"
            return DecompositionReading(key: key, label: label, values: d, identity: identity, undefinedReason: undefined)
        }
        isotonicCurve = c.isotonicCurve.filter { $0.lowest.isFinite && $0.highest.isFinite && $0.value.isFinite }
        if let citl = inTheLarge, citl.isFinite {
            let shown = NumberText.fixed(citl, MetricKey.calibrationInTheLarge.display.digits)
            let zero = Double(shown) == 0
            inTheLargeShort = zero ? "scores right on average" : citl > 0 ? "scores too high on average" : "scores too low on average"
            let points = NumberText.fixed(Swift.abs(citl) * 100, 1) + " points"
            inTheLargeReading = inTheLargeShort! + ": the mean predicted chance of '\(positive)' is "
                + (zero ? "its observed rate" : "\(points) \(citl > 0 ? "above" : "below") its observed rate")
        } else {
            inTheLargeShort = nil
            inTheLargeReading = nil
        }
    }

    /// A p-value as the reports print it: "p < 0.001" below 0.001, three
    /// decimals below 0.1 ("p = 0.041"), two above ("p = 0.41"), "p —" when undefined.
    public static func pText(_ p: Double) -> String {
        guard p.isFinite else { return "p " + ReportVocabulary.undefined }
        if p < 0.001 { return "p < 0.001" }
        return "p = " + NumberText.fixed(p, p < 0.1 ? 3 : 2)
    }

    /// A test's reading of its p-value, at ``significanceLevel``.
    static func testVerdict(_ p: Double) -> String {
        p < significanceLevel ? "the scores are miscalibrated beyond chance" : "no evidence of miscalibration beyond chance"
    }

    /// Hosmer–Lemeshow (χ² over `groups` groups) or Spiegelhalter (z).
    static func test(_ kind: CalibrationCheck.Kind, p: Double, statistic: Double, groups: Double, reason: String?, statisticReason: String?) -> CalibrationCheck {
        let hl = kind == .hosmerLemeshow
        let label = hl ? "Hosmer–Lemeshow" : "Spiegelhalter"
        let key: MetricKey = hl ? .hosmerLemeshowStatistic : .spiegelhalterZ
        var stat = (hl ? "χ² " : "z ") + ReportVocabulary.formatted(key, statistic)
        if hl && statistic.isFinite && groups.isFinite { stat += " (\(Int(groups)) groups)" }
        if statisticReason != nil { stat = ReportVocabulary.undefined }
        let pText = pText(p)
        let undefined = reason ?? statisticReason
        if let undefined {
            return CalibrationCheck(kind: kind, key: (hl ? MetricKey.hosmerLemeshowP : .spiegelhalterP).name, label: label, statistic: stat, p: pText,
                verdict: "undefined: " + undefined, sentence: "undefined: " + undefined, line: "\(label) \(stat): undefined: \(undefined)", undefinedReason: undefined)
        }
        let verdict = testVerdict(p)
        return CalibrationCheck(kind: kind, key: (hl ? MetricKey.hosmerLemeshowP : .spiegelhalterP).name, label: label, statistic: stat, p: pText,
            verdict: verdict, sentence: "\(verdict) (\(label) \(pText))", line: "\(label) \(stat), \(pText): \(verdict)", undefinedReason: nil)
    }

    /// A fit without a value: "—" and its reason in every text.
    private static func undefinedFit(_ kind: CalibrationCheck.Kind, key: MetricKey, label: String, shown: String, why: String) -> CalibrationCheck {
        CalibrationCheck(kind: kind, key: key.name, label: label, statistic: shown, p: nil, verdict: "undefined: " + why,
                         sentence: "undefined: " + why, line: "\(label) \(shown): undefined: \(why)", undefinedReason: why)
    }

    /// The calibration slope `b` of `σ(a + b·logit s)`, read against 1 as
    /// printed; its statistic and sentence carry its `interval` (text) when given.
    static func slope(_ b: Double, reason: String?, interval: String? = nil) -> CalibrationCheck {
        let label = "calibration slope"
        let value = ReportVocabulary.formatted(.calibrationSlope, b)
        let shown = value + (interval.map { " " + $0 } ?? "")
        guard reason == nil, b.isFinite else {
            return undefinedFit(.slope, key: .calibrationSlope, label: label, shown: shown, why: reason ?? UndefinedReasons.overflow)
        }
        let one = Double(value) == 1
        let relation = one ? "" : b < 1 ? " < 1" : " > 1"
        let verdict = one ? "the spread of the scores is right" : b < 1 ? "the scores are too extreme — overconfident" : "the scores are too moderate — underconfident"
        let sentence = "slope \(shown)\(relation): \(verdict)"
        return CalibrationCheck(kind: .slope, key: MetricKey.calibrationSlope.name, label: label, statistic: shown, p: nil,
            verdict: verdict, sentence: sentence, line: "calibration " + sentence, undefinedReason: nil)
    }

    /// The calibration intercept `a₀` of `σ(a₀ + logit s)`, read by its sign
    /// as printed; its statistic and sentence carry its `interval` (text) when given.
    static func intercept(_ a: Double, positiveClass: String, reason: String?, interval: String? = nil) -> CalibrationCheck {
        let label = "calibration intercept"
        let value = ReportVocabulary.formatted(.calibrationIntercept, a)
        let shown = value + (interval.map { " " + $0 } ?? "")
        guard reason == nil, a.isFinite else {
            return undefinedFit(.intercept, key: .calibrationIntercept, label: label, shown: shown, why: reason ?? UndefinedReasons.overflow)
        }
        let zero = Double(value) == 0
        let relation = zero ? "" : a < 0 ? " < 0" : " > 0"
        let verdict = "the predicted chance of '\(positiveClass)' is " + (zero ? "right on the whole" : a < 0 ? "too high on the whole" : "too low on the whole")
        let sentence = "intercept \(shown)\(relation): \(verdict)"
        return CalibrationCheck(kind: .intercept, key: MetricKey.calibrationIntercept.name, label: label, statistic: shown, p: nil,
            verdict: verdict, sentence: sentence, line: "calibration " + sentence, undefinedReason: nil)
    }

    /// The check of `kind`, when the task has it.
    public func check(_ kind: CalibrationCheck.Kind) -> CalibrationCheck? { checks.first { $0.kind == kind } }
}
