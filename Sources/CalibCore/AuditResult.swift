/// The headline metrics of SPEC section 3. Every mean is weighted by the
/// sample weights; a value that is undefined for the input (a skill score
/// with a single class, say) is NaN and reported as `null`.
public struct Metrics: Sendable, Hashable {
    /// Mean `−ln p_i[y_i]` (nats); scikit-learn's `log_loss`.
    public let crossEntropy: Double
    public let crossEntropyBits: Double
    public let perplexity: Double
    /// Entropy of the weighted label distribution: the CE of always predicting the prior.
    public let priorCrossEntropy: Double
    /// `1 − CE / priorCE`; scikit-learn's `d2_log_loss_score`. Higher is better.
    public let logLossSkill: Double
    public let accuracy: Double
    public let balancedAccuracy: Double
    /// Binary: mean `(s − y)²`; multiclass: mean `Σ_k (p_k − 1[y = k])²`.
    public let brier: Double
    public let mcc: Double
    public let macro: PrecisionRecallF1
    public let weighted: PrecisionRecallF1
    public let micro: PrecisionRecallF1
    public let meanConfidence: Double
    public let topLabelECE: Double
    /// Binary tasks only.
    public let positiveClassECE: Double?
    public let classwiseECE: Double
    /// The headline: `positiveClassECE` for binary tasks, `topLabelECE` otherwise.
    public let ece: Double
    public let mce: Double
    public let overconfidence: Double
    public let underconfidence: Double
    public let overconfidenceError: Double
    /// Binary tasks only: mean `s` minus the observed positive rate.
    public let calibrationInTheLarge: Double?
    public let confidentErrorRate: Double

    /// Every scalar metric by its JSON key, in SPEC order (``MetricKey/all``);
    /// the nested averages appear as `macro.precision` and so on. Keys not
    /// defined for the task (the binary-only ones on multiclass) are absent.
    public var namedValues: [(key: String, value: Double)] {
        MetricKey.all.compactMap { key in key.value(in: self).map { (key.name, $0) } }
    }
}

/// Per-class values (`perClass[]`).
public struct ClassMetrics: Sendable, Hashable {
    public let name: String
    /// Rows whose label is this class.
    public let rows: Int
    /// Weighted count of rows whose label is this class.
    public let support: Double
    /// `support / W`.
    public let prior: Double
    public let precision: Double
    public let recall: Double
    public let f1: Double
    /// `ECE_k`: bins over `p_k` against the observed rate of the class.
    public let ece: Double
    /// Mean `−ln p_i[k]` over the rows of this class; `nil` when it has none.
    public let crossEntropy: Double?
}

/// Everything the engine computes for one input: one complete value (every
/// bin, every class) that renderers choose from and never add to.
public struct AuditResult: Sendable {
    public let classNames: [String]
    public let shape: ClassificationShape
    public let settings: AuditSettings
    public let rows: Int
    public let totalWeight: Double
    /// Rows whose true-class probability was below ε and was clipped (probability path only).
    public let clippedProbabilities: Int
    public let metrics: Metrics
    public let perClass: [ClassMetrics]
    public let confusion: ConfusionMatrix
    /// Top-label reliability table (every task).
    public let reliability: ReliabilityTable
    /// Positive-class reliability table (binary tasks only).
    public let positiveReliability: ReliabilityTable?
    /// One reliability table per class (`p_k` against `1[y = k]`).
    public let classwiseReliability: [ReliabilityTable]
    /// The most confidently wrong rows, worst first.
    public let worstRows: [WorstRow]
    public let imbalance: ImbalanceSummary

    public var task: TaskKind { shape.task }
    public var eceMode: ECEMode { shape.eceMode }
    /// Index of the positive class for binary tasks (always 1: classes are `[negative, positive]`).
    public var positiveClassIndex: Int? { shape.task == .binary ? 1 : nil }
    /// The reliability table the headline ECE comes from.
    public var headlineReliability: ReliabilityTable { positiveReliability ?? reliability }
}

extension AuditAccumulator {
    /// Finishes the metrics. `classNames` are in class-index order (binary: `[negative, positive]`).
    public func result(classNames: [String]) -> AuditResult {
        precondition(classNames.count == shape.classCount, "one name per class")
        let k = shape.classCount
        let w = totalWeight.value
        let classW = classWeight.map(\.value)
        let confusionMatrix = ConfusionMatrix(classCount: k, counts: confusion.map(\.value))
        let topTable = topLabel.table(totalWeight: w)
        let classTables = classwise.map { $0.table(totalWeight: w) }
        // Binary: the positive-class table is class 1's class-wise table (bins over s against 1[y = positive]).
        let positiveTable = k == 2 ? classTables[1] : nil
        let headline = positiveTable ?? topTable

        let ce = crossEntropy.value / w
        var prior = 0.0
        for wk in classW where wk > 0 {
            let pi = wk / w
            prior -= pi * StableMath.ln(pi)
        }
        let classwiseECEs = classTables.map(\.expectedCalibrationError)

        let metrics = Metrics(
            crossEntropy: ce,
            crossEntropyBits: ce / StableMath.ln(2),
            perplexity: StableMath.exponential(ce),
            priorCrossEntropy: prior,
            logLossSkill: prior > 0 ? 1 - ce / prior : .nan,
            accuracy: confusionMatrix.correct / w,
            balancedAccuracy: confusionMatrix.balancedAccuracy,
            brier: brier.value / w,
            mcc: confusionMatrix.matthewsCorrelation,
            macro: confusionMatrix.macroAverage,
            weighted: confusionMatrix.weightedAverage,
            micro: confusionMatrix.microAverage,
            meanConfidence: confidence.value / w,
            topLabelECE: topTable.expectedCalibrationError,
            positiveClassECE: positiveTable?.expectedCalibrationError,
            classwiseECE: classwiseECEs.reduce(0, +) / Double(k),
            ece: headline.expectedCalibrationError,
            mce: headline.maximumCalibrationError,
            overconfidence: topTable.overconfidence,
            underconfidence: topTable.underconfidence,
            overconfidenceError: topTable.overconfidenceError,
            calibrationInTheLarge: k == 2 ? (positiveScore.value - classW[1]) / w : nil,
            confidentErrorRate: confidentWeight.value > 0 ? confidentWrongWeight.value / confidentWeight.value : 0
        )

        let perClass = (0..<k).map { c in
            let scores = confusionMatrix.scores(of: c)
            return ClassMetrics(
                name: classNames[c], rows: classRows[c], support: classW[c],
                prior: classW[c] / w,
                precision: scores.precision, recall: scores.recall, f1: scores.f1,
                ece: classwiseECEs[c],
                crossEntropy: classW[c] > 0 ? classCrossEntropy[c].value / classW[c] : nil)
        }

        return AuditResult(
            classNames: classNames, shape: shape, settings: settings,
            rows: rowCount, totalWeight: w, clippedProbabilities: clippedRows,
            metrics: metrics, perClass: perClass, confusion: confusionMatrix,
            reliability: topTable, positiveReliability: positiveTable,
            classwiseReliability: classTables, worstRows: worst.rows,
            imbalance: losses.result(classWeights: classW, classNames: classNames))
    }
}
