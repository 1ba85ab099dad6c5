/// One scalar of the JSON `ranking` object (SPEC section 8): its name
/// (`ranking.rocAUC` in gates, `rocAUC` inside the object), which way is
/// better, the tasks it is defined for, whether it gets an interval, and how
/// to read it from ``RankingMetrics``. The formulas are in <doc:Ranking>.
///
/// ``all`` lists the scalars in JSON order; ``perClass`` the per-class
/// values (`perClass[].rocAUC`, gate `ranking.rocAUC[CLASS]`); ``lists``
/// the operating-point lists and ``cost`` the cost object, each with its
/// fields, so that the JSON report and the gates spell every key here.
public struct RankingKey: Sendable, Hashable, CustomStringConvertible {
    /// The key inside the `ranking` object.
    public let member: String
    public let polarity: MetricPolarity
    public let tasks: Set<TaskKind>
    public let hasInterval: Bool
    public let summary: String
    private let read: @Sendable (RankingMetrics) -> Double

    init(_ member: String, _ polarity: MetricPolarity, tasks: Set<TaskKind> = [.binary, .multiclass], hasInterval: Bool = true,
         _ summary: String, read: @escaping @Sendable (RankingMetrics) -> Double) {
        self.member = member
        self.polarity = polarity
        self.tasks = tasks
        self.hasInterval = hasInterval
        self.summary = summary
        self.read = read
    }

    /// The values it can take (its interval is clipped to them): every ranking scalar is a rate in `[0, 1]`.
    public var range: ClosedRange<Double> { 0...1 }

    /// The name gates use: `ranking.rocAUC`.
    public var name: String { RankingKey.prefix + member }
    public var description: String { name }
    /// `ranking.`, the prefix of every ranking key in gates.
    public static let prefix = "ranking."

    /// The value (NaN when undefined); `nil` when the key is not defined for the task.
    public func value(in ranking: RankingMetrics, task: TaskKind) -> Double? { tasks.contains(task) ? read(ranking) : nil }

    public static func == (a: RankingKey, b: RankingKey) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The scalar called `name` (`ranking.rocAUC`), or `nil`.
    public static func named(_ name: String) -> RankingKey? { all.first { $0.name == name } }

    /// The scalars, in JSON order (the lists and the cost object sit between
    /// `positiveRate` and `exact`, see ``lists`` and ``cost``).
    public static let all: [RankingKey] = [rocAUC, weightedROCAUC, averagePrecision, positiveRate, maxAUCError]

    public static let rocAUC = RankingKey("rocAUC", .higherIsBetter,
        "area under the ROC curve: the chance a random positive outranks a random negative (ties count half)") { $0.rocAUC }
    public static let weightedROCAUC = RankingKey("weightedROCAUC", .higherIsBetter, tasks: [.multiclass],
        "one-vs-rest AUCs averaged with the classes' supports as weights") { $0.weightedROCAUC }
    public static let averagePrecision = RankingKey("averagePrecision", .higherIsBetter,
        "precision averaged over the recall levels, highest score first") { $0.averagePrecision }
    public static let positiveRate = RankingKey("positiveRate", .neither, tasks: [.binary], hasInterval: false,
        "share of positives: the average precision of a random ranking") { $0.positiveRate }
    public static let maxAUCError = RankingKey("maxAUCError", .lowerIsBetter, hasInterval: false,
        "a proven bound on the error of every AUC and average precision (0 when exact)") { $0.maxAUCError }

    /// Per-class values, in `perClass[]` order after the section 3 keys.
    public static let perClass: [ClassRankingKey] = [
        ClassRankingKey("rocAUC", "one-vs-rest ROC AUC of the class") { $0.rocAUC },
        ClassRankingKey("averagePrecision", "one-vs-rest average precision of the class") { $0.averagePrecision },
    ]

    /// The operating-point lists, in JSON order.
    public static let lists: [RankingListKey] = [
        RankingListKey("recallAtPrecision", index: "target", fields: ["recall", "precision", "threshold"], polarity: .higherIsBetter) { r in
            r.recallAtPrecision.map { ($0.target, [$0.recall, $0.precision, $0.threshold]) }
        },
        RankingListKey("recallAtFPR", index: "target", fields: ["recall", "fpr", "threshold"], polarity: .higherIsBetter) { r in
            r.recallAtFPR.map { ($0.target, [$0.recall, $0.fpr, $0.threshold]) }
        },
        RankingListKey("recallAtTop", index: "fraction", fields: ["flaggedFraction", "recall", "precision", "threshold"], gateField: "recall",
                       polarity: .higherIsBetter) { r in
            r.recallAtTop.map { ($0.fraction, [$0.flaggedFraction, $0.recall, $0.precision, $0.threshold]) }
        },
        RankingListKey("sweep", index: "threshold", fields: ["tp", "fp", "fn", "tn", "precision", "recall", "fpr", "f1"], gateField: "f1",
                       polarity: .higherIsBetter) { r in
            r.sweep.map { ($0.threshold, [$0.tp, $0.fp, $0.fn, $0.tn, $0.precision, $0.recall, $0.fpr, $0.f1]) }
        },
    ]

    /// The fields of the `cost` object, in JSON order (gate `ranking.cost.regret`).
    public static let cost: [(name: String, polarity: MetricPolarity, read: @Sendable (CostAnalysis) -> Double)] = [
        ("costFP", .neither, { $0.costFP }), ("costFN", .neither, { $0.costFN }),
        ("bayesThreshold", .neither, { $0.bayesThreshold }), ("costAtBayesThreshold", .lowerIsBetter, { $0.costAtBayesThreshold }),
        ("bestThreshold", .neither, { $0.bestThreshold }), ("bestCost", .lowerIsBetter, { $0.bestCost }),
        ("regret", .lowerIsBetter, { $0.regret }),
    ]
}

/// A per-class ranking value: `perClass[].rocAUC` in JSON, `ranking.rocAUC[CLASS]` in gates.
public struct ClassRankingKey: Sendable {
    public let member: String
    public let summary: String
    private let read: @Sendable (ClassRanking) -> Double

    init(_ member: String, _ summary: String, read: @escaping @Sendable (ClassRanking) -> Double) {
        self.member = member
        self.summary = summary
        self.read = read
    }

    public func value(in ranking: ClassRanking) -> Double { read(ranking) }
}

/// An operating-point list of the `ranking` object: each entry is indexed by
/// a target (`target`, `fraction` or `threshold`) and has ``fields``. Gates
/// name an entry by its target, `ranking.recallAtPrecision[0.9]` (the
/// ``gateField``, recall), or a field of it, `ranking.recallAtTop[0.005].precision`.
public struct RankingListKey: Sendable {
    public let member: String
    /// The name of the entry's index field (`target`, `fraction`, `threshold`).
    public let index: String
    public let fields: [String]
    /// The field a gate without `.FIELD` compares.
    public let gateField: String
    public let polarity: MetricPolarity
    private let read: @Sendable (RankingMetrics) -> [(index: Double, values: [Double])]

    init(_ member: String, index: String, fields: [String], gateField: String = "recall", polarity: MetricPolarity,
         read: @escaping @Sendable (RankingMetrics) -> [(index: Double, values: [Double])]) {
        self.member = member
        self.index = index
        self.fields = fields
        self.gateField = gateField
        self.polarity = polarity
        self.read = read
    }

    /// `ranking.recallAtPrecision`.
    public var name: String { RankingKey.prefix + member }
    /// The entries: each index with its fields' values, in ``fields`` order.
    public func entries(in ranking: RankingMetrics) -> [(index: Double, values: [Double])] { read(ranking) }
}
