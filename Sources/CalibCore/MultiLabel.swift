/// A chunk of multi-label rows (SPEC section 13, `--multilabel`): per row one
/// 0/1 target and one score (probability or logit of an independent sigmoid)
/// for each of `labelCount` labels, row-major, with the row's weight, line and id.
public struct MultiLabelTable: Sendable {
    public let labelCount: Int
    public let scoreKind: ScoreKind
    /// `targets[i * labelCount + l]` is row i's 0/1 target for label l.
    public let targets: [Int32]
    /// `scores[i * labelCount + l]` is row i's score for label l.
    public let scores: [Double]
    public let weights: [Double]
    public let lines: [Int]
    /// Empty unless the input names an id column.
    public let ids: [String]

    /// Rows given column by column: `targets` and `scores` row-major with
    /// `labelCount` values per row (targets 0 or 1), `ids` empty or one per row.
    public init(labelCount: Int, scoreKind: ScoreKind, targets: [Int32], scores: [Double], weights: [Double], lines: [Int], ids: [String] = []) {
        precondition(labelCount >= 1, "a multi-label task has at least one label")
        let n = weights.count
        precondition(targets.count == n * labelCount && scores.count == n * labelCount && lines.count == n, "columns of different lengths")
        precondition(ids.isEmpty || ids.count == n, "ids must be empty or one per row")
        precondition(targets.allSatisfy { $0 == 0 || $0 == 1 }, "targets are 0 or 1")
        self.labelCount = labelCount
        self.scoreKind = scoreKind
        self.targets = targets
        self.scores = scores
        self.weights = weights
        self.lines = lines
        self.ids = ids
    }

    public var count: Int { weights.count }
    public var isEmpty: Bool { weights.isEmpty }

    /// Label `l`'s rows as a binary ``PredictionTable`` (classes `[0, 1]`, score = the label's score):
    /// the table a binary audit of that label's two columns reads.
    public func binaryTable(label l: Int) -> PredictionTable {
        let n = count, k = labelCount
        var labels = [Int32](repeating: 0, count: n)
        var column = [Double](repeating: 0, count: n)
        for i in 0..<n {
            labels[i] = targets[i * k + l]
            column[i] = scores[i * k + l]
        }
        var table = PredictionTable(shape: ClassificationShape(classCount: 2, scoreKind: scoreKind), reservingCapacity: n)
        labels.withUnsafeBufferPointer { lb in
            column.withUnsafeBufferPointer { sb in
                weights.withUnsafeBufferPointer { wb in
                    lines.withUnsafeBufferPointer { nb in
                        table.append(validatedLabels: lb, scores: sb, weights: wb, lines: nb, ids: ids, groups: [])
                    }
                }
            }
        }
        return table
    }

    /// Every (row, label) pair as one binary row, row-major (the flattening
    /// scikit-learn's `average="micro"` makes with `ravel()`), each with its row's
    /// weight and line, so that a row's pairs share its bootstrap counts. No ids.
    public func pooledTable() -> PredictionTable {
        let n = count, k = labelCount
        var w = [Double](repeating: 0, count: n * k)
        var l = [Int](repeating: 0, count: n * k)
        for i in 0..<n {
            for j in 0..<k {
                w[i * k + j] = weights[i]
                l[i * k + j] = lines[i]
            }
        }
        var table = PredictionTable(shape: ClassificationShape(classCount: 2, scoreKind: scoreKind), reservingCapacity: n * k)
        targets.withUnsafeBufferPointer { lb in
            scores.withUnsafeBufferPointer { sb in
                w.withUnsafeBufferPointer { wb in
                    l.withUnsafeBufferPointer { nb in
                        table.append(validatedLabels: lb, scores: sb, weights: wb, lines: nb, ids: [], groups: [])
                    }
                }
            }
        }
        return table
    }
}

/// The mergeable state of a multi-label audit: one binary ``AuditAccumulator``
/// per label (each exactly the accumulator a binary audit of that label's
/// columns builds, ranking and bootstrap included), one for the pooled
/// (row, label) pairs (every micro metric is a binary metric of the pairs;
/// ranking, no bootstrap), and the weight of rows whose every label is
/// predicted right (subset accuracy). Merge in input order for results that
/// do not depend on the thread count.
public struct MultiLabelAccumulator: Sendable {
    public let labelCount: Int
    public let settings: AuditSettings
    public private(set) var perLabel: [AuditAccumulator]
    public private(set) var pooled: AuditAccumulator
    var exactWeight = CompensatedSum()
    var totalWeight = CompensatedSum()

    public init(labelCount: Int, scoreKind: ScoreKind, settings: AuditSettings = AuditSettings(),
                losses: [LossSpecification] = LossSpecification.auditDefaults,
                ranking: RankingSettings? = nil, bootstrap: BootstrapSettings? = nil) {
        self.labelCount = labelCount
        self.settings = settings
        let shape = ClassificationShape(classCount: 2, scoreKind: scoreKind)
        let one = AuditAccumulator(shape: shape, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap)
        perLabel = Array(repeating: one, count: labelCount)
        pooled = AuditAccumulator(shape: shape, settings: settings, losses: losses, ranking: ranking ?? RankingSettings())
    }

    /// The accumulator of a partial state (`MultiLabelPartialState.swift`), its parts read back.
    init(settings: AuditSettings, perLabel: [AuditAccumulator], pooled: AuditAccumulator, exactWeight: CompensatedSum, totalWeight: CompensatedSum) {
        labelCount = perLabel.count
        self.settings = settings
        self.perLabel = perLabel
        self.pooled = pooled
        self.exactWeight = exactWeight
        self.totalWeight = totalWeight
    }

    /// Rows added so far.
    public var count: Int { pooled.count / Swift.max(1, labelCount) }

    /// Shifts the key of every row's bootstrap counts by `offset` in each
    /// label's audit (`--row-offset`, as ``AuditAccumulator/bootstrapRowOffset``).
    public var bootstrapRowOffset: Int {
        get { perLabel.first?.bootstrapRowOffset ?? 0 }
        set { for l in perLabel.indices { perLabel[l].bootstrapRowOffset = newValue } }
    }

    /// Names `source` as the input of every label's worst rows that name none.
    public mutating func attributeWorstRows(to source: String) {
        for l in perLabel.indices { perLabel[l].attributeWorstRows(to: source) }
    }

    /// Adds every row of a chunk.
    public mutating func add(_ table: MultiLabelTable) {
        precondition(table.labelCount == labelCount, "one target and score per label")
        for l in 0..<labelCount { perLabel[l].add(table.binaryTable(label: l)) }
        pooled.add(table.pooledTable())
        // Subset accuracy: a row counts when every label's decision `s ≥ threshold` matches its target.
        let k = labelCount, threshold = settings.threshold, logits = table.scoreKind == .logits
        var exact = 0.0, total = 0.0
        for i in 0..<table.count {
            var right = true
            for l in 0..<k {
                let x = table.scores[i * k + l]
                let s = logits ? StableMath.binaryLogit(x).positive : x
                if (s >= threshold ? 1 : 0) != table.targets[i * k + l] { right = false; break }
            }
            if right { exact += table.weights[i] }
            total += table.weights[i]
        }
        exactWeight.add(exact)
        totalWeight.add(total)
    }

    /// Adds `other`'s rows after this one's.
    public mutating func merge(_ other: MultiLabelAccumulator) {
        for l in 0..<labelCount { perLabel[l].merge(other.perLabel[l]) }
        pooled.merge(other.pooled)
        exactWeight.merge(other.exactWeight)
        totalWeight.merge(other.totalWeight)
    }

    /// Finishes every label's audit (classes `[0, 1]`), the pooled audit and the summary.
    public mutating func finish(labelNames: [String], runner: RankingRunner? = nil) -> MultiLabelResult {
        precondition(labelNames.count == labelCount, "one name per label")
        let classes = ["0", "1"]
        var results: [AuditResult] = []
        for l in 0..<labelCount { results.append(perLabel[l].finish(classNames: classes, runner: runner)) }
        let pooledResult = pooled.finish(classNames: classes, runner: runner)
        return MultiLabelResult(labelNames: labelNames, perLabel: results, pooled: pooledResult,
                                subsetAccuracy: exactWeight.value / totalWeight.value)
    }
}

/// A finished multi-label audit: each label's binary audit, the pooled audit and the summary.
public struct MultiLabelResult: Sendable {
    public let labelNames: [String]
    /// Label l's binary audit (classes `[0, 1]`), equal to a binary audit of its two columns.
    public let perLabel: [AuditResult]
    /// The binary audit of every (row, label) pair: the micro metrics' source.
    public let pooled: AuditResult
    public let summary: MultiLabelSummary

    public init(labelNames: [String], perLabel: [AuditResult], pooled: AuditResult, subsetAccuracy: Double) {
        self.labelNames = labelNames
        self.perLabel = perLabel
        self.pooled = pooled
        summary = MultiLabelSummary(perLabel: perLabel, pooled: pooled, subsetAccuracy: subsetAccuracy)
    }

    /// Label indices by headline (positive-class) ECE, worst first; undefined last; ties by name.
    public var labelsByECE: [Int] {
        perLabel.indices.sorted { a, b in
            let x = perLabel[a].metrics.ece, y = perLabel[b].metrics.ece
            return x != y ? (x.isNaN ? false : y.isNaN ? true : x > y) : labelNames[a] < labelNames[b]
        }
    }
}

/// The `multilabel` summary (SPEC section 13) in scikit-learn's multilabel
/// definitions, with sample weights as frequency weights:
/// - `meanBinaryCrossEntropy`: mean of `−[y ln σ + (1 − y) ln(1 − σ)]` over rows
///   and labels (PyTorch's `BCELoss` / `BCEWithLogitsLoss`, `reduction="mean"`),
///   weighted by the row's weight; probabilities clipped to `[ε, 1]` as in
///   section 3 (PyTorch clamps the logarithm at −100 instead; the two differ
///   only for scores within e⁻³⁶ of 0 or 1), logits through a stable log-sigmoid;
/// - `hammingLoss`: weighted share of wrong (row, label) decisions (`hamming_loss`);
/// - `subsetAccuracy`: weighted share of rows with every label right (`accuracy_score`);
/// - `micro.*`: precision, recall, F1, ROC AUC and average precision of the
///   pooled (row, label) pairs (`average="micro"`), `microECE` their positive-class ECE;
/// - `macro.*`, `macroECE`: unweighted means over the labels of each label's value
///   (`average="macro"`); undefined (`null`) when any label's value is (a label
///   with no positive or no negative row has no ROC AUC; scikit-learn raises then).
public struct MultiLabelSummary: Sendable, Hashable {
    /// The summary's keys in report order, dotted as gates and the JSON nest them.
    public static let keys = [
        "meanBinaryCrossEntropy", "hammingLoss", "subsetAccuracy",
        "micro.precision", "micro.recall", "micro.f1", "micro.rocAUC", "micro.averagePrecision",
        "macro.precision", "macro.recall", "macro.f1", "macro.rocAUC", "macro.averagePrecision",
        "microECE", "macroECE",
    ]

    /// Each key's value, in ``keys`` order.
    public let values: [Double]

    public init(perLabel: [AuditResult], pooled: AuditResult, subsetAccuracy: Double) {
        func mean(_ f: (AuditResult) -> Double) -> Double {
            perLabel.isEmpty ? .nan : perLabel.map(f).reduce(0, +) / Double(perLabel.count)
        }
        func positive(_ r: AuditResult) -> ClassMetrics { r.perClass[1] }
        let auc: (AuditResult) -> Double = { $0.ranking?.rocAUC ?? .nan }
        let ap: (AuditResult) -> Double = { $0.ranking?.averagePrecision ?? .nan }
        values = [
            pooled.metrics.crossEntropy, 1 - pooled.metrics.accuracy, subsetAccuracy,
            positive(pooled).precision, positive(pooled).recall, positive(pooled).f1, auc(pooled), ap(pooled),
            mean { positive($0).precision }, mean { positive($0).recall }, mean { positive($0).f1 }, mean(auc), mean(ap),
            pooled.metrics.ece, mean { $0.metrics.ece },
        ]
    }

    /// The value of a summary key (`hammingLoss`, `micro.f1`), or `nil` for an unknown key.
    public func value(_ key: String) -> Double? {
        Self.keys.firstIndex(of: key).map { values[$0] }
    }

    public var meanBinaryCrossEntropy: Double { values[0] }
    public var hammingLoss: Double { values[1] }
    public var subsetAccuracy: Double { values[2] }
    public var microECE: Double { values[13] }
    public var macroECE: Double { values[14] }
}
