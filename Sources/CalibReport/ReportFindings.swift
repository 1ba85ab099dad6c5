import CalibCore

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

        // Verdict.
        let over = table.overconfidence, under = table.underconfidence
        undefined = UndefinedReasons.undefinedValues(r)
        if let weightReason = UndefinedReasons.weightReason(r) {
            verdict = "undefined: \(weightReason)"
        } else if m.ece < 0.01 {
            verdict = "well calibrated: the \(r.eceMode.rawValue) ECE is below 0.01"
        } else if let positiveClass {
            verdict = over > 2 * under ? "scores overstate the chance of '\(positiveClass)' (predicted above observed)"
                : under > 2 * over ? "scores understate the chance of '\(positiveClass)' (predicted below observed)"
                : "miscalibrated in both directions"
        } else {
            verdict = over > 2 * under ? "overconfident: confidence exceeds accuracy"
                : under > 2 * over ? "underconfident: accuracy exceeds confidence"
                : "miscalibrated in both directions"
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
        if let citl = m.calibrationInTheLarge, let positiveClass {
            readings.append(reading(.calibrationInTheLarge, "Calibration in the large",
                "the mean score is \(points(Swift.abs(citl))) \(citl >= 0 ? "above" : "below") the observed rate of '\(positiveClass)'"))
        }
        // An undefined value's reading is its reason.
        let undefined = self.undefined
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
