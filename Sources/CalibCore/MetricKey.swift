/// Which way a metric's value is better: what verdicts, intervals and gates
/// need to know about a key besides its name.
public enum MetricPolarity: String, Sendable, Hashable, CaseIterable {
    /// Accuracy, skill scores, F1: larger values are better.
    case higherIsBetter
    /// Losses and calibration errors: smaller values are better.
    case lowerIsBetter
    /// Descriptions of the data or signed quantities, e.g. `priorCrossEntropy`
    /// (a property of the labels alone) or `calibrationInTheLarge` (best at 0,
    /// its sign is the direction of the error).
    case neither

    /// The range a key of this polarity takes unless it says otherwise:
    /// `[0, ∞)` (losses, errors), `[0, 1]` (rates, AUCs) or the whole line.
    var defaultRange: ClosedRange<Double> {
        switch self {
        case .lowerIsBetter: 0...Double.infinity
        case .higherIsBetter: 0...1
        case .neither: -Double.infinity...Double.infinity
        }
    }
}

/// One key of the JSON `metrics` object (SPEC section 3): its name, which
/// way is better, the tasks it is defined for, whether it gets a bootstrap
/// interval (SPEC section 10), and how to read it from ``Metrics``.
///
/// ``all`` is the catalogue, in JSON order; every reader of metric names
/// (``Metrics/namedValues``, the JSON report, gates, findings) goes through
/// it, so a key is spelled once. The nested averages have a ``group``
/// (`macro`, `weighted`, `micro`) and a ``member`` (`precision`, …); their
/// ``name`` is `group.member`, as gates and ``Metrics/namedValues`` write
/// them, and the JSON report nests them as `{"macro": {"precision": …}}`.
/// Formulas, edge cases and references are in the article ``article`` names
/// (<doc:Loss>, <doc:Decisions>, <doc:Calibration>).
///
/// Two keys are equal when their names are.
public struct MetricKey: Sendable, Hashable, CustomStringConvertible {
    /// The enclosing JSON object of a nested average (`macro`), else `nil`.
    public let group: String?
    /// The key inside its JSON object: `crossEntropy`, or `f1` for `macro.f1`.
    public let member: String
    public let polarity: MetricPolarity
    /// The tasks the metric is defined for; on other tasks ``value(in:)`` is
    /// `nil`, ``Metrics/namedValues`` leaves the key out and JSON writes `null`.
    public let tasks: Set<TaskKind>
    /// Whether `intervals.metrics` carries a `{lower, upper}` for this key
    /// (SPEC section 10: every scalar except values derived from others).
    public let hasInterval: Bool
    /// The values the key can take, to which its interval is clipped (SPEC
    /// section 10): by default `[0, ∞)` for errors and losses, `[0, 1]` for
    /// rates and scores where higher is better, and the whole line otherwise.
    public let range: ClosedRange<Double>
    /// One line on what the value is, for help texts and tables.
    public let summary: String
    /// The DocC article of CalibCore that defines it (`Loss`, `Decisions`, `Calibration`).
    public let article: String
    private let read: @Sendable (Metrics) -> Double?

    init(_ member: String, group: String? = nil, _ polarity: MetricPolarity, tasks: Set<TaskKind> = [.binary, .multiclass],
         hasInterval: Bool = true, range: ClosedRange<Double>? = nil, article: String, _ summary: String,
         read: @escaping @Sendable (Metrics) -> Double?) {
        self.group = group
        self.member = member
        self.polarity = polarity
        self.tasks = tasks
        self.hasInterval = hasInterval
        self.range = range ?? polarity.defaultRange
        self.article = article
        self.summary = summary
        self.read = read
    }

    /// The name gates and ``Metrics/namedValues`` use: `crossEntropy`, `macro.f1`.
    public var name: String { group.map { $0 + "." + member } ?? member }
    public var description: String { name }

    /// The value in `metrics`; `nil` when the key is not defined for the task
    /// (a non-finite value is returned as it is).
    public func value(in metrics: Metrics) -> Double? { read(metrics) }

    /// Whether the key is defined for `task`.
    public func applies(to task: TaskKind) -> Bool { tasks.contains(task) }

    public static func == (a: MetricKey, b: MetricKey) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The key called `name` (`ece`, `macro.f1`), or `nil` when there is none.
    public static func named(_ name: String) -> MetricKey? { byName[name] }
    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}

extension MetricKey {
    /// Every key of the JSON `metrics` object, in SPEC section 3 order, which
    /// is the order of the JSON report and of ``Metrics/namedValues``.
    public static let all: [MetricKey] = [
        crossEntropy, crossEntropyBits, perplexity, priorCrossEntropy, logLossSkill,
        accuracy, balancedAccuracy, brier, mcc,
    ] + macro + weighted + micro + [
        meanConfidence, topLabelECE, positiveClassECE, classwiseECE, ece, mce,
        overconfidence, underconfidence, overconfidenceError, calibrationInTheLarge, confidentErrorRate,
    ] + sortedScoreKeys

    /// The keys of SPEC section 9, in its order: the estimators that need the
    /// scores sorted (or every row, for the fits) come from the exact score store.
    public static let sortedScoreKeys: [MetricKey] = [
        equalMassECE, debiasedL2ECE, smoothECE, smoothECEBandwidth, spiegelhalterZ, spiegelhalterP,
        hosmerLemeshowStatistic, hosmerLemeshowP, hosmerLemeshowGroups, calibrationSlope, calibrationIntercept,
    ] + decomposition("brier", "the Brier score") { $0.brierDecomposition }
      + decomposition("crossEntropy", "cross-entropy") { $0.crossEntropyDecomposition }

    // Loss: <doc:Loss>.
    public static let crossEntropy = MetricKey("crossEntropy", .lowerIsBetter, article: "Loss",
        "mean negative log-probability of the true class, in nats") { $0.crossEntropy }
    public static let crossEntropyBits = MetricKey("crossEntropyBits", .lowerIsBetter, hasInterval: false, article: "Loss",
        "the cross-entropy in bits") { $0.crossEntropyBits }
    public static let perplexity = MetricKey("perplexity", .lowerIsBetter, hasInterval: false, article: "Loss",
        "e to the cross-entropy: the effective number of classes the model hesitates between") { $0.perplexity }
    public static let priorCrossEntropy = MetricKey("priorCrossEntropy", .neither, range: 0...Double.infinity, article: "Loss",
        "the cross-entropy of always predicting the class shares (a property of the labels)") { $0.priorCrossEntropy }
    public static let logLossSkill = MetricKey("logLossSkill", .higherIsBetter, range: -Double.infinity...1, article: "Loss",
        "the share of the prior cross-entropy the model removes") { $0.logLossSkill }
    public static let brier = MetricKey("brier", .lowerIsBetter, article: "Loss",
        "mean squared error of the predicted probabilities") { $0.brier }

    // Decisions: <doc:Decisions>.
    public static let accuracy = MetricKey("accuracy", .higherIsBetter, article: "Decisions",
        "weighted share of rows whose predicted class is the label") { $0.accuracy }
    public static let balancedAccuracy = MetricKey("balancedAccuracy", .higherIsBetter, article: "Decisions",
        "mean recall over the classes") { $0.balancedAccuracy }
    public static let mcc = MetricKey("mcc", .higherIsBetter, range: -1...1, article: "Decisions",
        "Matthews correlation of predicted and true class") { $0.mcc }
    /// `macro.precision`, `macro.recall`, `macro.f1`: unweighted means over the classes.
    public static let macro = averages("macro", "unweighted mean over the classes") { $0.macro }
    /// `weighted.precision`, …: means over the classes weighted by their support.
    public static let weighted = averages("weighted", "mean over the classes weighted by support") { $0.weighted }
    /// `micro.precision`, …: from the pooled counts.
    public static let micro = averages("micro", "from the counts pooled over the classes") { $0.micro }

    // Calibration: <doc:Calibration>.
    public static let meanConfidence = MetricKey("meanConfidence", .neither, range: 0...1, article: "Calibration",
        "mean top-label confidence") { $0.meanConfidence }
    public static let topLabelECE = MetricKey("topLabelECE", .lowerIsBetter, article: "Calibration",
        "expected calibration error of the top-label confidence") { $0.topLabelECE }
    public static let positiveClassECE = MetricKey("positiveClassECE", .lowerIsBetter, tasks: [.binary], article: "Calibration",
        "expected calibration error of the positive score") { $0.positiveClassECE }
    public static let classwiseECE = MetricKey("classwiseECE", .lowerIsBetter, article: "Calibration",
        "mean over the classes of each class's calibration error") { $0.classwiseECE }
    public static let ece = MetricKey("ece", .lowerIsBetter, article: "Calibration",
        "the headline ECE: positive-class for binary tasks, top-label otherwise") { $0.ece }
    public static let mce = MetricKey("mce", .lowerIsBetter, article: "Calibration",
        "the largest gap of a non-empty bin of the headline table") { $0.mce }
    public static let overconfidence = MetricKey("overconfidence", .lowerIsBetter, article: "Calibration",
        "the part of the top-label ECE where confidence exceeds accuracy") { $0.overconfidence }
    public static let underconfidence = MetricKey("underconfidence", .lowerIsBetter, article: "Calibration",
        "the part of the top-label ECE where accuracy exceeds confidence") { $0.underconfidence }
    public static let overconfidenceError = MetricKey("overconfidenceError", .lowerIsBetter, article: "Calibration",
        "over-confidence weighted by the confidence of each bin") { $0.overconfidenceError }
    public static let calibrationInTheLarge = MetricKey("calibrationInTheLarge", .neither, tasks: [.binary], range: -1...1, article: "Calibration",
        "mean positive score minus the observed positive rate (best at 0)") { $0.calibrationInTheLarge }
    public static let confidentErrorRate = MetricKey("confidentErrorRate", .lowerIsBetter, article: "Calibration",
        "share of wrong predictions among the confident ones") { $0.confidentErrorRate }

    // More calibration estimators, tests and decompositions (SPEC section 9): <doc:Calibration>.
    public static let equalMassECE = MetricKey("equalMassECE", .lowerIsBetter, article: "Calibration",
        "headline ECE over equal-mass bins (as many as --bins)") { $0.calibration.equalMassECE }
    public static let debiasedL2ECE = MetricKey("debiasedL2ECE", .lowerIsBetter, article: "Calibration",
        "root of the squared calibration error over the equal-mass bins, minus its sampling bias") { $0.calibration.debiasedL2ECE }
    public static let smoothECE = MetricKey("smoothECE", .lowerIsBetter, article: "Calibration",
        "kernel-smoothed calibration error with no bins (relplot's smECE)") { $0.calibration.smoothECE }
    public static let smoothECEBandwidth = MetricKey("smoothECEBandwidth", .neither, hasInterval: false, article: "Calibration",
        "the kernel width the smooth ECE chose") { $0.calibration.smoothECEBandwidth }
    public static let spiegelhalterZ = MetricKey("spiegelhalterZ", .neither, tasks: [.binary], hasInterval: false, article: "Calibration",
        "Spiegelhalter's test statistic (standard normal when the scores are calibrated)") { $0.calibration.binaryOnly($0.calibration.spiegelhalterZ) }
    public static let spiegelhalterP = MetricKey("spiegelhalterP", .neither, tasks: [.binary], hasInterval: false, article: "Calibration",
        "two-sided p-value of Spiegelhalter's test") { $0.calibration.binaryOnly($0.calibration.spiegelhalterP) }
    public static let hosmerLemeshowStatistic = MetricKey("hosmerLemeshowStatistic", .neither, tasks: [.binary], hasInterval: false, article: "Calibration",
        "Hosmer–Lemeshow χ² statistic over 10 equal-mass groups") { $0.calibration.binaryOnly($0.calibration.hosmerLemeshowStatistic) }
    public static let hosmerLemeshowP = MetricKey("hosmerLemeshowP", .neither, tasks: [.binary], hasInterval: false, article: "Calibration",
        "p-value of the Hosmer–Lemeshow test (χ² with groups − 2 degrees of freedom)") { $0.calibration.binaryOnly($0.calibration.hosmerLemeshowP) }
    public static let hosmerLemeshowGroups = MetricKey("hosmerLemeshowGroups", .neither, tasks: [.binary], hasInterval: false, article: "Calibration",
        "non-empty Hosmer–Lemeshow groups") { $0.calibration.binaryOnly($0.calibration.hosmerLemeshowGroups) }
    public static let calibrationSlope = MetricKey("calibrationSlope", .neither, tasks: [.binary], article: "Calibration",
        "slope of the logistic recalibration on logit(s) (1 is ideal; below 1: overconfident)") { $0.calibration.binaryOnly($0.calibration.calibrationSlope) }
    public static let calibrationIntercept = MetricKey("calibrationIntercept", .neither, tasks: [.binary], article: "Calibration",
        "intercept of the logistic recalibration with the slope fixed at 1 (0 is ideal; below 0: scores too high)") { $0.calibration.binaryOnly($0.calibration.calibrationIntercept) }

    /// `decomposition.SCORE.{score, miscalibration, discrimination, uncertainty}` (binary): the CORP decomposition.
    private static func decomposition(_ score: String, _ what: String,
                                      _ read: @escaping @Sendable (CalibrationEstimates) -> ScoreDecomposition) -> [MetricKey] {
        let group = "decomposition." + score
        return [
            MetricKey("score", group: group, .lowerIsBetter, tasks: [.binary], article: "Calibration",
                      "\(what) of the scores") { $0.calibration.binaryOnly(read($0.calibration).score) },
            MetricKey("miscalibration", group: group, .lowerIsBetter, tasks: [.binary], article: "Calibration",
                      "the part of \(what) that isotonic recalibration removes") { $0.calibration.binaryOnly(read($0.calibration).miscalibration) },
            MetricKey("discrimination", group: group, .higherIsBetter, tasks: [.binary], range: 0...Double.infinity, article: "Calibration",
                      "how much the recalibrated scores beat the base rate on \(what)") { $0.calibration.binaryOnly(read($0.calibration).discrimination) },
            MetricKey("uncertainty", group: group, .neither, tasks: [.binary], range: 0...Double.infinity, article: "Calibration",
                      "\(what) of always predicting the positive rate") { $0.calibration.binaryOnly(read($0.calibration).uncertainty) },
        ]
    }

    /// The three keys of one nested average, named by the per-class keys they average.
    private static func averages(_ group: String, _ how: String, _ average: @escaping @Sendable (Metrics) -> PrecisionRecallF1) -> [MetricKey] {
        let members: [(ClassMetricKey, @Sendable (PrecisionRecallF1) -> Double)] = [
            (.precision, { $0.precision }), (.recall, { $0.recall }), (.f1, { $0.f1 }),
        ]
        return members.map { key, read in
            MetricKey(key.name, group: group, .higherIsBetter, article: "Decisions", "\(key.name), \(how)") { read(average($0)) }
        }
    }
}

/// One per-class value (`perClass[]` in JSON, `KEY[CLASS]` in gates): its
/// name, which way is better, whether it gets an interval (SPEC section 10:
/// `precision`, `recall` and `ece`), and how to read it from ``ClassMetrics``.
///
/// Two keys are equal when their names are.
public struct ClassMetricKey: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let polarity: MetricPolarity
    public let hasInterval: Bool
    /// The values it can take (its interval is clipped to them): `[0, 1]`
    /// for the rates, `[0, ∞)` for the cross-entropy and the support.
    public var range: ClosedRange<Double> { self == .crossEntropy || self == .support ? 0...Double.infinity : 0...1 }
    /// One line on what the value is.
    public let summary: String
    /// The DocC article of CalibCore that defines it.
    public let article: String
    private let read: @Sendable (ClassMetrics) -> Double?

    init(_ name: String, _ polarity: MetricPolarity, hasInterval: Bool = false, article: String, _ summary: String,
         read: @escaping @Sendable (ClassMetrics) -> Double?) {
        self.name = name
        self.polarity = polarity
        self.hasInterval = hasInterval
        self.article = article
        self.summary = summary
        self.read = read
    }

    public var description: String { name }

    /// The value for one class; `nil` for a cross-entropy of a class with no rows.
    public func value(in metrics: ClassMetrics) -> Double? { read(metrics) }

    public static func == (a: ClassMetricKey, b: ClassMetricKey) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The key called `name`, or `nil` when there is none.
    public static func named(_ name: String) -> ClassMetricKey? { all.first { $0.name == name } }

    /// How the model does on the class, in the order gate messages list them.
    public static let scores: [ClassMetricKey] = [precision, recall, f1, ece, crossEntropy]
    /// What the labels hold of the class, whatever the model.
    public static let counts: [ClassMetricKey] = [support, prior]
    /// Every per-class key, as gate messages list them: ``scores`` then ``counts``.
    /// The JSON report writes ``counts`` first, as SPEC section 3 does.
    public static let all: [ClassMetricKey] = scores + counts

    public static let precision = ClassMetricKey("precision", .higherIsBetter, hasInterval: true, article: "Decisions",
        "share of the rows predicted as the class that have it") { $0.precision }
    public static let recall = ClassMetricKey("recall", .higherIsBetter, hasInterval: true, article: "Decisions",
        "share of the rows of the class predicted as it") { $0.recall }
    public static let f1 = ClassMetricKey("f1", .higherIsBetter, article: "Decisions",
        "harmonic mean of precision and recall") { $0.f1 }
    public static let ece = ClassMetricKey("ece", .lowerIsBetter, hasInterval: true, article: "Calibration",
        "calibration error of the class's probability against its observed rate") { $0.ece }
    public static let crossEntropy = ClassMetricKey("crossEntropy", .lowerIsBetter, article: "Loss",
        "mean cross-entropy over the rows of the class") { $0.crossEntropy }
    public static let support = ClassMetricKey("support", .neither, article: "Decisions",
        "weighted count of the rows of the class") { $0.support }
    public static let prior = ClassMetricKey("prior", .neither, article: "Decisions",
        "the class's share of the total weight") { $0.prior }
}
