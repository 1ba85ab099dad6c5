/// The headline metrics of SPEC section 3. Every mean is weighted by the
/// sample weights; a value that is undefined for the input (a skill score
/// with a single class, say) is NaN and reported as `null`. The formulas,
/// edge cases and references are in the <doc:Loss>, <doc:Decisions> and
/// <doc:Calibration> articles; ``MetricKey`` names each value and its polarity.
public struct Metrics: Sendable, Hashable {
    /// Mean `−ln p_i[y_i]` (nats); scikit-learn's `log_loss`.
    public let crossEntropy: Double
    /// `crossEntropy / ln 2`.
    public let crossEntropyBits: Double
    /// `e^crossEntropy`: the effective number of equally likely classes.
    public let perplexity: Double
    /// Entropy of the weighted label distribution: the CE of always predicting the prior.
    public let priorCrossEntropy: Double
    /// `1 − CE / priorCE`; scikit-learn's `d2_log_loss_score`. Higher is better.
    public let logLossSkill: Double
    /// Weighted share of rows whose predicted class (binary `s ≥ threshold`,
    /// multiclass argmax with ties to the lowest index) equals the label.
    public let accuracy: Double
    /// Mean of the per-class recalls (scikit-learn's `balanced_accuracy_score`).
    public let balancedAccuracy: Double
    /// Binary: mean `(s − y)²`; multiclass: mean `Σ_k (p_k − 1[y = k])²`.
    public let brier: Double
    /// Matthews correlation coefficient in its multiclass form (Gorodkin 2004), as scikit-learn's `matthews_corrcoef`.
    public let mcc: Double
    /// Unweighted mean over classes of precision, recall and F1 (zero division → 0).
    public let macro: PrecisionRecallF1
    /// Mean over classes weighted by support.
    public let weighted: PrecisionRecallF1
    /// From the summed confusion counts: all three equal accuracy for single-label tasks.
    public let micro: PrecisionRecallF1
    /// Mean top-label confidence `c_i = max_k p_ik`.
    public let meanConfidence: Double
    /// `Σ_b (W_b / W) · |acc_b − conf_b|` over equal-width bins of `c_i` (Guo et al. 2017).
    public let topLabelECE: Double
    /// Binary tasks only.
    public let positiveClassECE: Double?
    /// Mean over classes of `ECE_k`, each binning `p_ik` against `1[y_i = k]`
    /// (Nixon et al. 2019's static calibration error).
    public let classwiseECE: Double
    /// The headline: `positiveClassECE` for binary tasks, `topLabelECE` otherwise.
    public let ece: Double
    /// `max_b |gap_b|` over the non-empty bins of the headline table.
    public let mce: Double
    /// `Σ_b (W_b / W) · max(conf_b − acc_b, 0)`, top-label.
    public let overconfidence: Double
    /// `Σ_b (W_b / W) · max(acc_b − conf_b, 0)`, top-label; `overconfidence + underconfidence == topLabelECE`.
    public let underconfidence: Double
    /// `Σ_b (W_b / W) · conf_b · max(conf_b − acc_b, 0)` (Thulasidasan et al. 2019).
    public let overconfidenceError: Double
    /// Binary tasks only: mean `s` minus the observed positive rate.
    public let calibrationInTheLarge: Double?
    /// Weighted share of wrong predictions among rows with `c_i ≥ confidentAt`
    /// (default 0.9); 0 when there are none.
    public let confidentErrorRate: Double
    /// The estimators, tests and decompositions of SPEC section 9 (NaN, with
    /// their reasons, where they could not be computed).
    public let calibration: CalibrationEstimates

    /// Every scalar metric by its JSON key, in SPEC order (``MetricKey/all``);
    /// the nested averages appear as `macro.precision` and so on. Keys not
    /// defined for the task (the binary-only ones on multiclass) are absent.
    public var namedValues: [(key: String, value: Double)] {
        MetricKey.all.compactMap { key in key.value(in: self).map { (key.name, $0) } }
    }
}

/// Per-class values (`perClass[]`).
public struct ClassMetrics: Sendable, Hashable {
    /// The class name, as the reports print it.
    public let name: String
    /// Rows whose label is this class.
    public let rows: Int
    /// Weighted count of rows whose label is this class.
    public let support: Double
    /// `support / W`.
    public let prior: Double
    /// Weighted share of the rows predicted as this class that have it (0 when none is predicted).
    public let precision: Double
    /// Weighted share of this class's rows predicted as it (0 when it has no weight).
    public let recall: Double
    /// Harmonic mean of precision and recall (0 when both are 0).
    public let f1: Double
    /// `ECE_k`: bins over `p_k` against the observed rate of the class.
    public let ece: Double
    /// Mean `−ln p_i[k]` over the rows of this class; `nil` when it has none.
    public let crossEntropy: Double?
}

/// Everything the engine computes for one input: one complete value (every
/// bin, every class) that renderers choose from and never add to.
public struct AuditResult: Sendable {
    /// Class names in class-index order (binary: `[negative, positive]`).
    public let classNames: [String]
    /// The number of classes and whether scores were probabilities or logits.
    public let shape: ClassificationShape
    /// Bins, threshold and confidence level the metrics were computed with.
    public let settings: AuditSettings
    /// Rows read (weight 0 included).
    public let rows: Int
    /// `W = Σ w_i`; every mean divides by it, and is NaN when it is 0 or not finite.
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
    /// How each imbalance loss spreads loss and gradient over the classes (<doc:ImbalanceLosses>).
    public let imbalance: ImbalanceSummary
    /// Ranking and operating points (SPEC section 8), when the accumulator
    /// kept a score store (``AuditAccumulator/init(shape:settings:losses:ranking:bootstrap:)``).
    public let ranking: RankingMetrics?
    /// The intervals of SPEC section 10, when the accumulator kept bootstrap replicates.
    public internal(set) var bootstrap: BootstrapResult? = nil
    /// The soft-target decomposition of SPEC section 13, when the rows carry soft targets.
    public internal(set) var softTargets: SoftTargetSummary? = nil

    /// Binary or multiclass.
    public var task: TaskKind { shape.task }
    /// Which ECE is the headline: positive-class for binary tasks, top-label otherwise.
    public var eceMode: ECEMode { shape.eceMode }
    /// Index of the positive class for binary tasks (always 1: classes are `[negative, positive]`).
    public var positiveClassIndex: Int? { shape.task == .binary ? 1 : nil }
    /// The reliability table the headline ECE comes from.
    public var headlineReliability: ReliabilityTable { positiveReliability ?? reliability }
}

extension AuditAccumulator {
    /// Finishes the metrics. `classNames` are in class-index order (binary: `[negative, positive]`).
    /// The ranking sorts a copy of the score store; ``finish(classNames:runner:)`` sorts it in place.
    public func result(classNames: [String]) -> AuditResult {
        var copy = self
        return copy.finish(classNames: classNames)
    }

    /// Finishes the metrics, ranking from the score store's own pieces (a
    /// task gathers at most one grid bucket, or 1M keys of one, at a time);
    /// the accumulator keeps every sum but no longer its scores.
    /// `runner` may run the ranking's tasks on several threads (the result is
    /// the same for any).
    public mutating func finish(classNames: [String], runner: RankingRunner? = nil) -> AuditResult {
        // Not `scores.map`: its copy of the store would make the sort copy every score.
        var ranking: RankingMetrics?
        var sorted: ScoreStore.SortedCalibration?
        if scores != nil {
            let taken = scores!.takeRankingAndCalibration(settings: rankingSettings!, binCount: settings.bins, runner: runner)
            ranking = taken.0
            sorted = taken.1
        }
        var finished = result(classNames: classNames, ranking: ranking, sorted: sorted)
        if let bootstrap { finished.bootstrap = bootstrap.finish(base: self, estimate: finished, runner: runner) }
        return finished
    }

    func result(classNames: [String], ranking: RankingMetrics?, sorted: ScoreStore.SortedCalibration?) -> AuditResult {
        precondition(classNames.count == shape.classCount, "one name per class")
        let k = shape.classCount
        // The scalar totals need no context (they give `W` to the others).
        let scalarTotals = scalars.result(FamilyResultContext(totalWeight: .nan, classWeights: [], classNames: classNames))
        let w = scalarTotals.totalWeight
        let classW = families.classTotals.weights.map(\.value)
        let context = FamilyResultContext(totalWeight: w, classWeights: classW, classNames: classNames)
        let finished = families.result(context)
        let totals = finished.classTotals
        let confusionMatrix = finished.confusion
        let topTable = finished.topLabel
        let classTables = finished.classwise
        // Binary: the positive-class table is class 1's class-wise table (bins over s against 1[y = positive]).
        let positiveTable = k == 2 ? classTables[1] : nil
        let headline = positiveTable ?? topTable

        let ce = scalarTotals.crossEntropy / w
        var prior = 0.0
        for wk in classW where wk > 0 {
            let pi = wk / w
            prior -= pi * StableMath.ln(pi)
        }
        let classwiseECEs = classTables.map(\.expectedCalibrationError)
        let brier = scalarTotals.brier / w
        let calibration: CalibrationEstimates
        switch sorted {
        case .walked(let totals, let smooth, let fits)?:
            calibration = CalibrationEstimates(totals, binary: k == 2, smooth: smooth, fits: fits,
                                               brier: brier, crossEntropy: ce)
        case .sketch?:
            calibration = .unavailable("the score store passed its memory budget and keeps a sketch, not every score (raise --memory-budget)", binary: k == 2)
        case nil:
            calibration = .unavailable("computed for the whole input only: segments keep no score store", binary: k == 2)
        }

        let metrics = Metrics(
            crossEntropy: ce,
            crossEntropyBits: ce / StableMath.ln(2),
            perplexity: StableMath.exponential(ce),
            priorCrossEntropy: prior,
            logLossSkill: prior > 0 ? 1 - ce / prior : .nan,
            accuracy: confusionMatrix.correct / w,
            balancedAccuracy: confusionMatrix.balancedAccuracy,
            brier: brier,
            mcc: confusionMatrix.matthewsCorrelation,
            macro: confusionMatrix.macroAverage,
            weighted: confusionMatrix.weightedAverage,
            micro: confusionMatrix.microAverage,
            meanConfidence: scalarTotals.confidence / w,
            topLabelECE: topTable.expectedCalibrationError,
            positiveClassECE: positiveTable?.expectedCalibrationError,
            classwiseECE: classwiseECEs.reduce(0, +) / Double(k),
            ece: headline.expectedCalibrationError,
            mce: headline.maximumCalibrationError,
            overconfidence: topTable.overconfidence,
            underconfidence: topTable.underconfidence,
            overconfidenceError: topTable.overconfidenceError,
            calibrationInTheLarge: k == 2 ? (scalarTotals.positiveScore - classW[1]) / w : nil,
            confidentErrorRate: scalarTotals.confidentWeight > 0 ? scalarTotals.confidentWrongWeight / scalarTotals.confidentWeight : 0,
            calibration: calibration
        )

        let perClass = (0..<k).map { c in
            let scores = confusionMatrix.scores(of: c)
            return ClassMetrics(
                name: classNames[c], rows: totals.rows[c], support: classW[c],
                prior: classW[c] / w,
                precision: scores.precision, recall: scores.recall, f1: scores.f1,
                ece: classwiseECEs[c],
                crossEntropy: classW[c] > 0 ? totals.crossEntropy[c] / classW[c] : nil)
        }

        return AuditResult(
            classNames: classNames, shape: shape, settings: settings,
            rows: scalarTotals.rows, totalWeight: w, clippedProbabilities: scalarTotals.clippedRows,
            metrics: metrics, perClass: perClass, confusion: confusionMatrix,
            reliability: topTable, positiveReliability: positiveTable,
            classwiseReliability: classTables, worstRows: worst.result(context),
            imbalance: finished.imbalance, ranking: ranking, softTargets: softTargets?.result(context))
    }
}
