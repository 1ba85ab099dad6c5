public import CalibCore

extension PredictionTable {
    /// A binary table from labels (0/1) and positive scores, for tests.
    public static func binary(labels: [Int], scores: [Double], weights: [Double]? = nil, kind: ScoreKind = .probabilities) -> PredictionTable {
        var table = PredictionTable(shape: ClassificationShape(classCount: 2, scoreKind: kind))
        for i in labels.indices {
            table.append(label: labels[i], scores: CollectionOfOne(scores[i]), weight: weights?[i] ?? 1, line: i + 2)
        }
        return table
    }

    /// A multiclass table from labels and rows of scores, for tests.
    public static func multiclass(labels: [Int], scores: [[Double]], weights: [Double]? = nil, kind: ScoreKind = .probabilities) -> PredictionTable {
        var table = PredictionTable(shape: ClassificationShape(classCount: scores[0].count, scoreKind: kind))
        for i in labels.indices {
            table.append(label: labels[i], scores: scores[i], weight: weights?[i] ?? 1, line: i + 2)
        }
        return table
    }
}

/// Audits one in-memory table with the default losses.
public func audit(_ table: PredictionTable, settings: AuditSettings = AuditSettings(), losses: [LossSpecification] = LossSpecification.auditDefaults) -> AuditResult {
    var accumulator = AuditAccumulator(shape: table.shape, settings: settings, losses: losses)
    accumulator.add(table)
    let names = (0..<table.shape.classCount).map { "c\($0)" }
    return accumulator.result(classNames: names)
}
