/// Weighted confusion counts: rows are true classes, columns predicted ones
/// (scikit-learn's `confusion_matrix` with `sample_weight`).
public struct ConfusionMatrix: Sendable, Hashable {
    public let classCount: Int
    /// Row-major `classCount × classCount` weighted counts.
    public private(set) var counts: [Double]

    public init(classCount: Int, counts: [Double]? = nil) {
        self.classCount = classCount
        self.counts = counts ?? Array(repeating: 0, count: classCount * classCount)
        precondition(self.counts.count == classCount * classCount)
    }

    public subscript(actual: Int, predicted: Int) -> Double { counts[actual * classCount + predicted] }

    /// Weight of rows whose true class is `k` (the support).
    public func support(_ k: Int) -> Double { rowSum(k) }
    /// Weight of rows predicted as `k`.
    public func predictedTotal(_ k: Int) -> Double {
        var s = 0.0
        for a in 0..<classCount { s += self[a, k] }
        return s
    }
    public var total: Double { counts.reduce(0, +) }
    public var correct: Double { (0..<classCount).reduce(0) { $0 + self[$1, $1] } }

    private func rowSum(_ k: Int) -> Double {
        var s = 0.0
        for p in 0..<classCount { s += self[k, p] }
        return s
    }

    /// Per-class precision, recall and F1 with zero division → 0, as
    /// scikit-learn's `precision_recall_fscore_support(zero_division=0)`:
    /// ```
    /// precision = tp / (tp + fp),  recall = tp / (tp + fn),  F1 = 2 tp / (2 tp + fp + fn)
    /// ```
    public func scores(of k: Int) -> PrecisionRecallF1 {
        let tp = self[k, k]
        let predicted = predictedTotal(k)
        let actual = support(k)
        return PrecisionRecallF1(
            precision: predicted > 0 ? tp / predicted : 0,
            recall: actual > 0 ? tp / actual : 0,
            f1: predicted + actual > 0 ? 2 * tp / (predicted + actual) : 0
        )
    }

    /// Classes scikit-learn would average over: those that occur as a label or as a prediction.
    public var presentClasses: [Int] {
        (0..<classCount).filter { support($0) > 0 || predictedTotal($0) > 0 }
    }

    /// Unweighted mean over ``presentClasses`` (scikit-learn's `average='macro'`).
    public var macroAverage: PrecisionRecallF1 {
        let present = presentClasses
        guard !present.isEmpty else { return .zero }
        let n = Double(present.count)
        let all = present.map(scores(of:))
        return PrecisionRecallF1(
            precision: all.map(\.precision).reduce(0, +) / n,
            recall: all.map(\.recall).reduce(0, +) / n,
            f1: all.map(\.f1).reduce(0, +) / n
        )
    }

    /// Support-weighted mean (scikit-learn's `average='weighted'`).
    public var weightedAverage: PrecisionRecallF1 {
        var p = 0.0, r = 0.0, f = 0.0, s = 0.0
        for k in 0..<classCount {
            let w = support(k)
            let x = scores(of: k)
            p += w * x.precision; r += w * x.recall; f += w * x.f1; s += w
        }
        guard s > 0 else { return .zero }
        return PrecisionRecallF1(precision: p / s, recall: r / s, f1: f / s)
    }

    /// Global counts (scikit-learn's `average='micro'`).
    public var microAverage: PrecisionRecallF1 {
        let tp = correct
        let t = total
        guard t > 0 else { return .zero }
        return PrecisionRecallF1(precision: tp / t, recall: tp / t, f1: tp / t)
    }

    /// Balanced accuracy: mean recall over classes that occur as a label
    /// (scikit-learn's `balanced_accuracy_score`, which drops classes with no true rows).
    public var balancedAccuracy: Double {
        let withSupport = (0..<classCount).filter { support($0) > 0 }
        guard !withSupport.isEmpty else { return .nan }
        return withSupport.map { self[$0, $0] / support($0) }.reduce(0, +) / Double(withSupport.count)
    }

    /// Matthews correlation coefficient, multiclass form (Gorodkin 2004; scikit-learn's `matthews_corrcoef`):
    /// ```
    /// MCC = (c·s − Σ_k p_k t_k) / sqrt((s² − Σ_k p_k²)(s² − Σ_k t_k²))
    /// ```
    /// with `c` correct weight, `s` total, `t_k` true totals and `p_k` predicted totals.
    /// Edge Cases: 0 when either factor of the denominator is 0.
    public var matthewsCorrelation: Double {
        let s = total
        let c = correct
        var pt = 0.0, pp = 0.0, tt = 0.0
        for k in 0..<classCount {
            let t = support(k), p = predictedTotal(k)
            pt += p * t; pp += p * p; tt += t * t
        }
        let covYP = c * s - pt
        let covPP = s * s - pp
        let covTT = s * s - tt
        guard covPP * covTT != 0 else { return 0 }
        return covYP / (covTT * covPP).squareRoot()
    }

}

/// Precision, recall and F1 for one class or one average.
public struct PrecisionRecallF1: Sendable, Hashable {
    public let precision: Double
    public let recall: Double
    public let f1: Double
    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision; self.recall = recall; self.f1 = f1
    }
    public static let zero = PrecisionRecallF1(precision: 0, recall: 0, f1: 0)
}
