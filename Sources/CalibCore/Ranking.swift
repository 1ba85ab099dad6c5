/// What the ranking section (SPEC section 8) is asked for: the operating
/// points' targets, the misclassification costs and the score store's budget.
public struct RankingSettings: Sendable, Hashable {
    /// `--precision-at`: the precisions at which to report the best recall.
    public var precisionTargets: [Double]
    /// `--fpr-at`: the false-positive rates at which to report the best recall.
    public var fprTargets: [Double]
    /// `--top`: alert budgets, as shares of the total weight.
    public var topFractions: [Double]
    /// `--cost-fp` / `--cost-fn`, when both are given.
    public var costs: MisclassificationCosts?
    /// `--memory-budget`: the bytes the exact score store may take before it
    /// becomes a fixed-size sketch.
    public var memoryBudget: Int

    public static let defaultPrecisionTargets = [0.5, 0.8, 0.9, 0.95, 0.99]
    public static let defaultFPRTargets = [0.001, 0.01, 0.05]
    public static let defaultTopFractions = [0.001, 0.005, 0.01, 0.05]
    public static let defaultMemoryBudget = 256 << 20

    public init(precisionTargets: [Double] = defaultPrecisionTargets, fprTargets: [Double] = defaultFPRTargets,
                topFractions: [Double] = defaultTopFractions, costs: MisclassificationCosts? = nil,
                memoryBudget: Int = defaultMemoryBudget) {
        self.precisionTargets = precisionTargets
        self.fprTargets = fprTargets
        self.topFractions = topFractions
        self.costs = costs
        self.memoryBudget = memoryBudget
    }

    /// The thresholds of `ranking.sweep`: `k / 100` for `k = 1…99`, in Double division.
    public static let sweepThresholds: [Double] = (1...99).map { Double($0) / 100 }
}

/// The price of a false positive (`A`, an analyst's review of a legitimate
/// transaction) and of a false negative (`B`, a missed fraud), in any unit.
public struct MisclassificationCosts: Sendable, Hashable {
    public let falsePositive: Double
    public let falseNegative: Double

    /// Both costs must be finite and positive.
    public init?(falsePositive: Double, falseNegative: Double) {
        guard falsePositive.isFinite, falseNegative.isFinite, falsePositive > 0, falseNegative > 0 else { return nil }
        self.falsePositive = falsePositive
        self.falseNegative = falseNegative
    }

    /// `A / (A + B)`: the threshold a calibrated model minimises the expected cost at.
    public var bayesThreshold: Double { falsePositive / (falsePositive + falseNegative) }
}

/// The ranking section of an audit (SPEC section 8). Undefined values are
/// NaN (a class with no rows, or no rows outside it); values of binary-only
/// keys are NaN, empty or `nil` on multiclass tasks.
///
/// Exactness: while the scores fit ``RankingSettings/memoryBudget`` every
/// value equals scikit-learn's within 1e-12 relative and ``exact`` is true.
/// Beyond it the store is a fixed-size sketch: AUC and average precision are
/// then within ``maxAUCError`` of the exact values (a proven bound), each
/// operating point is a real point of the curve (its counts are exact) but
/// the best among a subset of thresholds, and the sweep and the cost at the
/// Bayes threshold stay exact.
public struct RankingMetrics: Sendable, Hashable {
    /// Binary: the ROC AUC of the positive score, tied scores counted half
    /// (scikit-learn `roc_auc_score`). Multiclass: the macro mean of the
    /// one-vs-rest AUCs over the classes where it is defined.
    public let rocAUC: Double
    /// Multiclass: the support-weighted mean of the one-vs-rest AUCs. NaN for binary tasks.
    public let weightedROCAUC: Double
    /// Binary: `Σ_n (R_n − R_{n−1}) P_n` over the distinct thresholds
    /// (scikit-learn `average_precision_score`). Multiclass: the macro mean.
    public let averagePrecision: Double
    /// Binary: the weighted share of positives, the average precision of a random ranking.
    public let positiveRate: Double
    public let recallAtPrecision: [RecallAtPrecision]
    public let recallAtFPR: [RecallAtFPR]
    public let recallAtTop: [RecallAtTop]
    /// Binary: the counts at thresholds 0.01…0.99.
    public let sweep: [ThresholdCounts]
    /// Binary, with costs: what the Bayes threshold and the best threshold cost.
    public let cost: CostAnalysis?
    /// One-vs-rest AUC and average precision per class, in class order
    /// (binary tasks too: the negative class is ranked by `1 − s`).
    public let perClass: [ClassRanking]
    /// Whether every value is exact.
    public let exact: Bool
    /// 0 when exact; otherwise a proven bound on the absolute error of every AUC and average precision.
    public let maxAUCError: Double
    /// Binary: up to a few hundred points of the ROC curve (false-positive rate, true-positive rate), for charts.
    public let rocCurve: [CurvePoint]
    /// Binary: up to a few hundred points of the precision–recall curve (recall, precision), for charts.
    public let precisionRecallCurve: [CurvePoint]
}

/// One-vs-rest ranking of one class. NaN when the class has no rows (or only its rows).
public struct ClassRanking: Sendable, Hashable {
    public let rocAUC: Double
    public let averagePrecision: Double
}

/// A point of a curve, `(x, y)`, for charts.
public struct CurvePoint: Sendable, Hashable {
    public let x: Double
    public let y: Double
}

/// The largest recall among the points of the precision–recall curve whose
/// precision reaches `target` (ties: the highest threshold). NaN fields when
/// no point reaches it.
public struct RecallAtPrecision: Sendable, Hashable {
    public let target: Double
    public let recall: Double
    public let precision: Double
    public let threshold: Double
    /// The point's false-positive rate and the share of the weight it flags (not in the JSON list; for reports).
    public let fpr: Double
    public let flaggedFraction: Double
}

/// The largest true-positive rate among the points of the ROC curve whose
/// false-positive rate is at most `target` (ties: the highest threshold). NaN
/// fields when none is.
public struct RecallAtFPR: Sendable, Hashable {
    public let target: Double
    public let recall: Double
    public let fpr: Double
    public let threshold: Double
    /// The point's precision and the share of the weight it flags (not in the JSON list; for reports).
    public let precision: Double
    public let flaggedFraction: Double
}

/// Flagging `s ≥ threshold`, where `threshold` is the largest score whose
/// rows at or above it weigh at least `fraction` of the total (ties at the
/// threshold are all flagged, so `flaggedFraction` may exceed `fraction`).
public struct RecallAtTop: Sendable, Hashable {
    public let fraction: Double
    public let flaggedFraction: Double
    public let recall: Double
    public let precision: Double
    public let threshold: Double
    /// The point's false-positive rate (not in the JSON list; for reports).
    public let fpr: Double
}

/// The weighted confusion counts of flagging `s ≥ threshold`, with
/// precision, recall, false-positive rate and F1 (zero division → 0).
public struct ThresholdCounts: Sendable, Hashable {
    public let threshold: Double
    public let tp: Double
    public let fp: Double
    public let fn: Double
    public let tn: Double

    public var precision: Double { tp + fp > 0 ? tp / (tp + fp) : 0 }
    public var recall: Double { tp + fn > 0 ? tp / (tp + fn) : 0 }
    public var fpr: Double { fp + tn > 0 ? fp / (fp + tn) : 0 }
    /// The cost per unit weight of flagging here, `(A·fp + B·fn) / W` with
    /// `W = tp + fp + fn + tn` (NaN when `W` is 0).
    public func cost(_ costs: CostAnalysis) -> Double {
        let w = tp + fp + fn + tn
        return w > 0 ? (costs.costFP * fp + costs.costFN * fn) / w : .nan
    }

    /// `2·tp / (2·tp + fp + fn)`, equal to the harmonic mean of precision and recall.
    public var f1: Double { 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0 }
}

/// Costs per unit weight, `(A·FP + B·FN) / W`, at the Bayes threshold
/// `A / (A + B)` (where a calibrated model is best) and at the best of the
/// distinct scores and +∞ (flag nothing; ties: the highest threshold).
/// `regret = costAtBayesThreshold − bestCost ≥ 0` is what miscalibration
/// costs at the threshold a calibrated model would use.
public struct CostAnalysis: Sendable, Hashable {
    public let costFP: Double
    public let costFN: Double
    public let bayesThreshold: Double
    public let costAtBayesThreshold: Double
    /// +∞ when flagging nothing is cheapest.
    public let bestThreshold: Double
    public let bestCost: Double
    public var regret: Double { costAtBayesThreshold - bestCost }
}
