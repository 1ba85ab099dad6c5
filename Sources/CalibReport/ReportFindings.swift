public import CalibCore

/// One headline metric with a plain-language reading of its value.
public struct MetricReading: Sendable, Hashable {
    /// The JSON key (`crossEntropy`, `ece`, …).
    public let key: String
    /// A short label for tables.
    public let label: String
    public let value: Double?
    /// What the value means for this input, in one sentence.
    public let reading: String
}

/// What a reviewer should notice, derived once from the engine's result so
/// that every renderer shows the same findings and none computes its own.
public struct ReportFindings: Sendable {
    /// The headline metrics with their readings, in display order.
    public let readings: [MetricReading]
    /// One line on the direction of the headline miscalibration.
    public let verdict: String
    /// Indices of the headline table's bins that contribute most to its ECE (at most 3), worst first.
    public let worstBins: [Int]
    /// The class with the smallest weighted support (ties to the lowest index).
    public let rarestClass: Int
    /// The imbalance finding in one sentence.
    public let imbalanceSentence: String
    /// Per top-label bin: the weight of right and of wrong predictions.
    public let confidenceHistogram: [(correct: Double, wrong: Double)]
    /// The rarest class's gradient share under cross-entropy (γ = 0) and each focal γ evaluated, by γ.
    public let rareGradientShareByGamma: [(gamma: Double, share: Double)]
    /// Reference gradient shares of the rarest class under the weighted cross-entropies, by label.
    public let rareGradientShareReferences: [(label: String, share: Double)]
    /// Bins where the model claims significantly more than happens, in words
    /// (the headline table, and for binary tasks the top-label table too).
    public let overconfidentBins: [String]
    /// Headline metrics that are undefined for this input, each with its reason (SPEC order).
    public let undefined: [UndefinedValue]
    /// The ranking section as the reports show it; `nil` when the audit was not asked for ranking.
    public let ranking: RankingFindings?
    /// SPEC section 9 as the reports show it: tests, fits, estimators, decompositions.
    public let calibration: CalibrationFindings

    init(result r: AuditResult, positiveClass: String?) {
        let m = r.metrics
        let names = r.classNames

        // Rarest class.
        var rare = 0
        for (i, c) in r.perClass.enumerated() where c.support < r.perClass[rare].support { rare = i }
        rarestClass = rare

        // Worst bins of the headline table by their share of the ECE.
        let table = r.headlineReliability
        worstBins = table.bins.indices
            .filter { table.bins[$0].gap.map { $0 != 0 } ?? false }
            .sorted { a, b in
                let x = table.bins[a].weight * Swift.abs(table.bins[a].gap!)
                let y = table.bins[b].weight * Swift.abs(table.bins[b].gap!)
                return x != y ? x > y : a < b
            }
            .prefix(3).map { $0 }

        // Verdict; with intervals it quotes the headline ECE's: "… (predicted above observed; ECE 0.0148 [0.0131, 0.0167])".
        let over = table.overconfidence, under = table.underconfidence
        undefined = UndefinedReasons.undefinedValues(r)
        let eceInterval = ReportVocabulary.bracket(MetricKey.ece.name, m.ece, in: r, digits: MetricKey.ece.display.digits)
            .map { "ECE \(ReportVocabulary.formatted(MetricKey.ece, m.ece)) \($0)" }
        if let weightReason = UndefinedReasons.weightReason(r) {
            verdict = "undefined: \(weightReason)"
        } else if m.ece < 0.01 {
            verdict = "well calibrated: the \(r.eceMode.rawValue) ECE is below 0.01" + (eceInterval.map { " (\($0))" } ?? "")
        } else {
            let direction: String
            if let positiveClass {
                direction = over > 2 * under ? "scores overstate the chance of '\(positiveClass)' (predicted above observed"
                    : under > 2 * over ? "scores understate the chance of '\(positiveClass)' (predicted below observed" : "miscalibrated in both directions"
            } else {
                direction = over > 2 * under ? "overconfident: confidence exceeds accuracy"
                    : under > 2 * over ? "underconfident: accuracy exceeds confidence" : "miscalibrated in both directions"
            }
            // The positive-class readings close their parenthesis after the interval.
            let open = direction.hasSuffix("observed")
            verdict = direction + (eceInterval.map { (open ? "; " : " (") + $0 + ")" } ?? (open ? ")" : ""))
        }

        overconfidentBins = OverconfidenceFlags.bins(table, positiveClass: positiveClass)
            + (positiveClass != nil ? OverconfidenceFlags.bins(r.reliability, positiveClass: nil) : [])

        // Readings.
        func points(_ x: Double) -> String { NumberText.fixed(x * 100, 1) + " points" }
        let skill = m.logLossSkill
        func reading(_ key: MetricKey, _ label: String, _ text: String) -> MetricReading {
            MetricReading(key: key.name, label: label, value: key.value(in: m), reading: text)
        }
        var readings: [MetricReading] = [
            reading(.crossEntropy, "Cross-entropy",
                "\(ReportVocabulary.formatted(.crossEntropy, in: m)) nats (\(ReportVocabulary.formatted(.crossEntropyBits, in: m)) bits) per row; perplexity \(ReportVocabulary.formatted(.perplexity, in: m))"),
            reading(.logLossSkill, "Log-loss skill",
                skill >= 0 ? "the model beats the base rate (always predicting the class shares) by \(NumberText.percent(skill))"
                    : "the model is \(NumberText.percent(-skill)) worse than always predicting the class shares"),
            reading(.accuracy, "Accuracy",
                "\(NumberText.percent(m.accuracy)) of rows get the right class" + (r.task == .binary ? " at threshold \(NumberText.fixed(r.settings.threshold, 2))" : "")),
            reading(.balancedAccuracy, "Balanced accuracy",
                "mean recall over the classes: \(NumberText.percent(m.balancedAccuracy))"),
            reading(.mcc, "MCC",
                "correlation of predicted and true class, from −1 to 1 (0 is chance)"),
            reading(.brier, "Brier score",
                "mean squared error of the predicted probabilities (0 is perfect)"),
            reading(.ece, "ECE (\(r.eceMode.rawValue))",
                positiveClass.map { "the predicted chance of '\($0)' is off from the observed rate by \(points(m.ece)) on average" }
                    ?? "confidence is off from accuracy by \(points(m.ece)) on average"),
            reading(.mce, "MCE",
                "the worst bin is off by \(points(m.mce))"),
            reading(.overconfidence, "Over-confidence",
                "the part of the top-label ECE where confidence exceeds accuracy; under-confidence is \(ReportVocabulary.formatted(.underconfidence, in: m))"),
            reading(.confidentErrorRate, "Confident errors",
                "\(NumberText.percent(m.confidentErrorRate)) of predictions made with ≥ \(NumberText.percent(r.settings.confidentAt, 0)) confidence are wrong"),
        ]
        let binary = r.task == .binary
        let calibration = CalibrationFindings(m.calibration, positiveClass: positiveClass,
            headlineECE: binary ? (MetricKey.positiveClassECE, m.positiveClassECE) : (MetricKey.topLabelECE, m.topLabelECE),
            bins: r.settings.bins, inTheLarge: m.calibrationInTheLarge, reason: { UndefinedReasons.reason(for: $0, result: r) },
            bracket: { key, value in ReportVocabulary.bracket(key.name, value, in: r, digits: key.display.digits) })
        self.calibration = calibration
        if binary {
            // The positive-class direction replaces the top-label over-confidence
            // (which measures the predicted class, either one) among the headline values.
            readings.removeAll { $0.key == MetricKey.overconfidence.name }
            let after = (readings.firstIndex { $0.key == MetricKey.ece.name } ?? readings.count - 1) + 1
            var direction: [MetricReading] = []
            if m.calibrationInTheLarge != nil {
                direction.append(reading(.calibrationInTheLarge, "Calibration in the large", calibration.inTheLargeReading ?? ""))
            }
            for (key, kind, label) in [(MetricKey.calibrationSlope, CalibrationCheck.Kind.slope, "Calibration slope"), (.calibrationIntercept, .intercept, "Calibration intercept")] {
                let check = calibration.check(kind)
                direction.append(reading(key, label, check.map { $0.undefinedReason == nil ? $0.verdict + (kind == .slope ? " (1 is ideal)" : " (0 is ideal)") : $0.verdict } ?? ""))
            }
            readings.insert(contentsOf: direction, at: after)
        }
        // The ranking's headline values, when asked for.
        let ranking = r.ranking.map { RankingFindings(result: r, ranking: $0, positiveClass: positiveClass) }
        self.ranking = ranking
        if let ranking { readings += ReportFindings.rankingReadings(ranking) }
        // An undefined value's reading is its reason.
        let undefined = self.undefined + (ranking?.undefined ?? [])
        self.readings = readings.map { reading in
            guard !(reading.value?.isFinite ?? false), let hit = undefined.first(where: { $0.key == reading.key }) else { return reading }
            return MetricReading(key: reading.key, label: reading.label, value: reading.value, reading: "undefined: \(hit.reason)")
        }

        // Confidence histogram from the top-label table.
        confidenceHistogram = r.reliability.bins.map { bin in
            let correct = bin.weight * (bin.observedRate ?? 0)
            return (correct, bin.weight - correct)
        }

        // Imbalance: the rare class's gradient share under each loss.
        var byGamma: [(Double, Double)] = []
        var references: [(String, Double)] = []
        var focalForSentence: LossEvaluation?
        for loss in r.imbalance.losses {
            let share = loss.perClass[rare].gradientShare
            switch loss.specification {
            case .crossEntropy: byGamma.append((0, share))
            case let .focal(gamma, _):
                if !byGamma.contains(where: { $0.0 == gamma }) { byGamma.append((gamma, share)) }
                // The sentence quotes γ = 2 (RetinaNet's choice) when evaluated, else the largest γ.
                if case let .focal(current, _)? = focalForSentence?.specification, current == 2 || (gamma != 2 && gamma <= current) {
                } else {
                    focalForSentence = loss
                }
            case let .weightedCrossEntropy(w):
                references.append((ReportVocabulary.weightedLossPhrase(w), share))
            case .labelSmoothing: break
            }
        }
        rareGradientShareByGamma = byGamma.sorted { $0.0 < $1.0 }
        rareGradientShareReferences = references

        var parts: [String] = []
        if let ce = r.imbalance.losses.first(where: { $0.specification == .crossEntropy }) {
            parts.append("\(NumberText.percent(ce.perClass[rare].gradientShare, 0)) of the gradient under cross-entropy")
        }
        if let inverse = r.imbalance.losses.first(where: { $0.specification == .weightedCrossEntropy(.inverseFrequency) }) {
            parts.append("\(NumberText.percent(inverse.perClass[rare].gradientShare, 0)) under inverse-frequency weighting")
        }
        if let focal = focalForSentence {
            parts.append("\(NumberText.percent(focal.perClass[rare].gradientShare, 0)) under \(ReportVocabulary.focalLossPhrase(focal))")
        }
        let head = "\(names[rare]) is \(NumberText.percent(r.perClass[rare].prior)) of rows"
        imbalanceSentence = parts.isEmpty ? head + "." : head + " and gets " + ReportFindings.joinedList(parts) + "."
    }

    /// The readings of the ROC AUC and the average precision (their cards in
    /// HTML, their rows in the Markdown headline table), with the sketch's
    /// bound when the values are not exact.
    static func rankingReadings(_ ranking: RankingFindings) -> [MetricReading] {
        let k = ranking.metrics
        let sketch = ranking.sketchNote.map { "; " + $0 } ?? ""
        let auc: String, ap: String
        if let positive = ranking.positiveClass {
            auc = "the chance that a random '\(positive)' row scores above a random other row (0.5 is chance)"
            ap = "precision averaged over recall; a random ranking scores \(ReportVocabulary.formattedRanking("positiveRate", k.positiveRate)), the share of '\(positive)'"
        } else {
            auc = "macro mean of the one-vs-rest AUCs (0.5 is chance); weighted by support \(ReportVocabulary.formattedRanking("weightedROCAUC", k.weightedROCAUC))"
            ap = "macro mean of the one-vs-rest average precisions"
        }
        return [
            MetricReading(key: "ranking.rocAUC", label: ReportVocabulary.ranking("rocAUC").label, value: k.rocAUC, reading: auc + sketch),
            MetricReading(key: "ranking.averagePrecision", label: "Average precision", value: k.averagePrecision, reading: ap + sketch),
        ]
    }

    static func parameterText(_ p: LossParameter?) -> String {
        switch p?.value {
        case let .number(x)?: x == x.rounded() && Swift.abs(x) < 1e6 ? String(Int(x)) : x.description
        case let .text(t)?: t
        default: "?"
        }
    }

    static func joinedList(_ parts: [String]) -> String {
        switch parts.count {
        case 0: ""
        case 1: parts[0]
        default: parts.dropLast().joined(separator: ", ") + " and " + parts.last!
        }
    }
}

/// One operating point of a binary ranking, as the reports show it: what was
/// asked for (a precision, a false-positive rate or an alert budget), the
/// engine's recall, precision or FPR and threshold there, and the values it
/// leaves out, derived from the positive rate `p` (the shares of the total
/// weight): `flagged = recall·p + fpr·(1 − p)`, `precision = recall·p / flagged`.
public struct OperatingPoint: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// `recallAtPrecision`: the largest recall at precision ≥ target.
        case precision
        /// `recallAtFPR`: the largest recall at false-positive rate ≤ target.
        case fpr
        /// `recallAtTop`: flagging the top `target` share of the weight.
        case top
    }

    public let kind: Kind
    public let target: Double
    public let recall: Double
    public let precision: Double
    /// The false-positive rate, from the point's exact counts.
    public let fpr: Double
    /// The share of the total weight flagged, from the point's exact counts.
    public let flagged: Double
    public let threshold: Double
    /// Why the point is undefined (NaN recall), in words that may quote the positive class.
    public let undefinedReason: String?

    /// "precision ≥ 90%", "FPR ≤ 1%", "top 0.5%".
    public var label: String {
        switch kind {
        case .precision: "precision ≥ \(ReportVocabulary.share(target))"
        case .fpr: "FPR ≤ \(ReportVocabulary.share(target))"
        case .top: "top \(ReportVocabulary.share(target))"
        }
    }
}

/// What the reports show of the ranking section (SPEC section 8), derived
/// once from `AuditResult.ranking`: the operating points with their derived
/// values, the cost at each sweep threshold, and why undefined values are
/// undefined. `nil` in `ReportFindings.ranking` when the audit was not asked for ranking.
public struct RankingFindings: Sendable {
    public let metrics: RankingMetrics
    /// The positive class of a binary task; `nil` for multiclass tasks.
    public let positiveClass: String?
    /// Binary: the precision targets, then the FPR targets, then the alert budgets, each in the order asked
    /// (every value from the engine's exact counts at the point).
    public let operatingPoints: [OperatingPoint]
    /// Binary, with costs: `(threshold, cost)` at each of the 99 sweep
    /// thresholds (`ThresholdCounts.cost`). At the Bayes threshold `A / (A + B)`,
    /// when it is a sweep threshold, this equals `CostAnalysis.costAtBayesThreshold`.
    public let costCurve: [(threshold: Double, cost: Double)]
    /// The headline ranking values that are undefined (`ranking.rocAUC`,
    /// `ranking.weightedROCAUC`, `ranking.averagePrecision`), each with its reason.
    public let undefined: [UndefinedValue]
    /// Per class (multiclass tasks): why its AUC and its average precision are undefined, `nil` when defined.
    public let perClassReasons: [(rocAUC: String?, averagePrecision: String?)]

    init(result r: AuditResult, ranking k: RankingMetrics, positiveClass: String?) {
        metrics = k
        let binary = r.task == .binary
        self.positiveClass = binary ? positiveClass : nil
        let p = k.positiveRate
        let weightReason = UndefinedReasons.weightReason(r)
        let name = positiveClass ?? ""
        let noPositives = weightReason ?? "no row is '\(name)' (the positive class)"
        let noNegatives = weightReason ?? "every row is '\(name)' (the positive class)"

        /// Why a binary value that needs positives (and, for `bothClasses`, negatives too) is undefined.
        func binaryReason(bothClasses: Bool, otherwise: String) -> String {
            if weightReason != nil || p == 0 { return noPositives }
            if bothClasses && p == 1 { return noNegatives }
            return p.isFinite ? otherwise : UndefinedReasons.overflow
        }

        var points: [OperatingPoint] = []
        if binary {
            for a in k.recallAtPrecision {
                points.append(OperatingPoint(kind: .precision, target: a.target, recall: a.recall, precision: a.precision,
                    fpr: a.fpr, flagged: a.flaggedFraction, threshold: a.threshold,
                    undefinedReason: a.recall.isFinite ? nil : binaryReason(bothClasses: false, otherwise: "no threshold reaches this precision")))
            }
            for a in k.recallAtFPR {
                points.append(OperatingPoint(kind: .fpr, target: a.target, recall: a.recall, precision: a.precision,
                    fpr: a.fpr, flagged: a.flaggedFraction, threshold: a.threshold,
                    undefinedReason: a.recall.isFinite ? nil : binaryReason(bothClasses: true,
                        otherwise: "no threshold keeps the false-positive rate this low")))
            }
            for a in k.recallAtTop {
                points.append(OperatingPoint(kind: .top, target: a.fraction, recall: a.recall, precision: a.precision,
                    fpr: a.fpr, flagged: a.flaggedFraction, threshold: a.threshold,
                    undefinedReason: a.recall.isFinite ? nil : binaryReason(bothClasses: false, otherwise: UndefinedReasons.overflow)))
            }
        }
        operatingPoints = points

        costCurve = binary ? k.cost.map { cost in k.sweep.map { ($0.threshold, $0.cost(cost)) } } ?? [] : []

        // Reasons, per class and for the headline values.
        let total = r.totalWeight
        perClassReasons = r.perClass.indices.map { c in
            let support = r.perClass[c].support
            let className = r.perClass[c].name
            func reason(_ value: Double, needsOthers: Bool) -> String? {
                guard !value.isFinite else { return nil }
                if let weightReason { return weightReason }
                if support == 0 { return "no row is '\(className)'" }
                if needsOthers && support == total { return "every row is '\(className)'" }
                return UndefinedReasons.overflow
            }
            let auc = c < k.perClass.count ? k.perClass[c].rocAUC : .nan
            let ap = c < k.perClass.count ? k.perClass[c].averagePrecision : .nan
            return (reason(auc, needsOthers: true), reason(ap, needsOthers: false))
        }
        var undefined: [UndefinedValue] = []
        if binary {
            if !k.rocAUC.isFinite { undefined.append(UndefinedValue(key: "ranking.rocAUC", reason: binaryReason(bothClasses: true, otherwise: UndefinedReasons.overflow))) }
            if !k.averagePrecision.isFinite { undefined.append(UndefinedValue(key: "ranking.averagePrecision", reason: binaryReason(bothClasses: false, otherwise: UndefinedReasons.overflow))) }
        } else {
            let none = weightReason ?? "no class has rows both in it and outside it"
            if !k.rocAUC.isFinite { undefined.append(UndefinedValue(key: "ranking.rocAUC", reason: none)) }
            if !k.weightedROCAUC.isFinite { undefined.append(UndefinedValue(key: "ranking.weightedROCAUC", reason: none)) }
            if !k.averagePrecision.isFinite { undefined.append(UndefinedValue(key: "ranking.averagePrecision", reason: weightReason ?? "no class has rows")) }
        }
        self.undefined = undefined
    }

    /// The sketch note, when the values are not exact: "ranking from a sketch: AUC/AP within ±0.00012".
    public var sketchNote: String? {
        metrics.exact ? nil : "ranking from a sketch: AUC/AP within ±\(ReportVocabulary.bound(metrics.maxAUCError))"
    }

    /// The reason the ranking value `key` (`ranking.rocAUC`, …) is undefined, `nil` when it is defined.
    public func reason(_ key: String) -> String? { undefined.first { $0.key == key }?.reason }
}
