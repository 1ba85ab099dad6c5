/// Whether the task has two classes (one positive score) or more.
public enum TaskKind: String, Sendable, Hashable {
    case binary
    case multiclass
}

/// What the score columns hold.
public enum ScoreKind: String, Sendable, Hashable {
    /// Probabilities in [0, 1]; logarithms are taken after clipping to `[ε, 1]`.
    case probabilities
    /// Unnormalised log-odds; turned into log-probabilities by a stable
    /// log-sigmoid (binary) or log-softmax (multiclass). Never clipped.
    case logits
}

/// Which reliability table the headline `ece` and `mce` come from.
public enum ECEMode: String, Sendable, Hashable {
    /// Binary tasks: bins over the positive score, compared with the observed positive rate.
    case positiveClass = "positive-class"
    /// Multiclass tasks: bins over the top-label confidence, compared with accuracy.
    case topLabel = "top-label"
}

/// The settings a metric depends on (SPEC section 3), with the documented defaults.
public struct AuditSettings: Sendable, Hashable {
    /// Number of equal-width bins over [0, 1] for every reliability table.
    public var bins: Int
    /// Binary decision threshold: `s ≥ threshold` predicts the positive class.
    public var threshold: Double
    /// Top-label confidence at or above which a wrong prediction counts as a confident error.
    public var confidentAt: Double
    /// How many of the most confidently wrong rows to keep.
    public var worstRowLimit: Int

    public init(bins: Int = 15, threshold: Double = 0.5, confidentAt: Double = 0.9, worstRowLimit: Int = 10) {
        self.bins = bins
        self.threshold = threshold
        self.confidentAt = confidentAt
        self.worstRowLimit = worstRowLimit
    }
}

/// The shape of the scores a ``PredictionTable`` holds.
///
/// Binary tasks store one score per row (the positive class's probability or
/// logit) and order their classes `[negative, positive]`; multiclass tasks
/// store one score per class.
public struct ClassificationShape: Sendable, Hashable {
    /// Number of classes, at least 2.
    public let classCount: Int
    /// Probabilities or logits.
    public let scoreKind: ScoreKind
    /// Whether every row also carries a soft target distribution (SPEC section
    /// 13): ``PredictionTable/targets`` then holds `classCount` values per row
    /// and the audit has a ``SoftTargetSummary``.
    public let hasSoftTargets: Bool

    public init(classCount: Int, scoreKind: ScoreKind, softTargets: Bool = false) {
        precondition(classCount >= 2, "a classification task has at least two classes")
        self.classCount = classCount
        self.scoreKind = scoreKind
        hasSoftTargets = softTargets
    }

    public var task: TaskKind { classCount == 2 ? .binary : .multiclass }
    /// Scores stored per row: 1 for binary tasks, `classCount` otherwise.
    public var scoresPerRow: Int { classCount == 2 ? 1 : classCount }
    /// The headline ECE mode for this task.
    public var eceMode: ECEMode { task == .binary ? .positiveClass : .topLabel }
}
