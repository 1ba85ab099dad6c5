/// Why a calibrator could not be fitted: a sentence for the user (the data
/// has no maximum-likelihood fit, or too little to fit on).
public struct RecalibrationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Fitting calibrators (SPEC section 12) from labels, scores and weights, and
/// the 5-fold cross-fitted scores that judge them honestly.
///
/// Every fit is deterministic (rows are read in order, sums in row order)
/// and refuses, with a `RecalibrationError`, the data on which it has no
/// answer: fewer than two classes with weight, a binary method on a
/// multiclass task, and the method's own cases (separable data for Platt and
/// beta, whose likelihood then has no maximum; all scores equal; a
/// temperature that would go to 0 or to infinity). Rows of weight 0 take no
/// part in a fit.
public enum Recalibration {
    /// The number of folds of the cross-fit: row `i` (0-based, in input order) is in fold `i mod 5`.
    public static let folds = 5

    /// Fits `method` on every row of `table`; `classes` names the table's
    /// classes in order (binary: `[negative, positive]`); `bins` is the
    /// histogram's number of equal-mass bins.
    public static func fit(_ method: RecalibrationMethod, table: PredictionTable, classes: [String], bins: Int = 15) throws(RecalibrationError) -> Calibrator {
        precondition(classes.count == table.shape.classCount, "one name per class")
        let data = FitData(table: table, excludedFold: nil)
        return Calibrator(classes: classes, parameters: try fit(method, data: data, bins: bins))
    }

    /// Fits `method` on arrays: `scores` holds `shape.scoresPerRow` values per
    /// row, `labels` class indices, `weights` one per row (all 1 when empty).
    public static func fit(_ method: RecalibrationMethod, labels: [Int32], scores: [Double], weights: [Double],
                           shape: ClassificationShape, classes: [String], bins: Int = 15) throws(RecalibrationError) -> Calibrator {
        var table = PredictionTable(shape: shape, reservingCapacity: labels.count)
        let per = shape.scoresPerRow
        for i in labels.indices {
            table.append(label: Int(labels[i]), scores: scores[(i * per)..<((i + 1) * per)], weight: weights.isEmpty ? 1 : weights[i], line: i + 2)
        }
        return try fit(method, table: table, classes: classes, bins: bins)
    }

    /// The 5-fold cross-fitted scores of `method` (SPEC 12): for each fold
    /// `f`, the calibrator fitted on the rows `i mod 5 ≠ f` rescores the rows
    /// `i mod 5 = f`. The result has the table's rows, labels, weights and
    /// lines in order, with recalibrated probabilities. A fold that cannot be
    /// fitted is an error naming it.
    public static func crossFitted(_ method: RecalibrationMethod, table: PredictionTable, bins: Int = 15) throws(RecalibrationError) -> PredictionTable {
        let shape = ClassificationShape(classCount: table.shape.classCount, scoreKind: .probabilities)
        let per = shape.scoresPerRow
        var rescored = [Double](repeating: 0, count: table.scores.count)
        let names = (0..<shape.classCount).map { "\($0)" }
        for fold in 0..<folds {
            let parameters: Calibrator.Parameters
            do {
                parameters = try fit(method, data: FitData(table: table, excludedFold: fold), bins: bins)
            } catch {
                throw RecalibrationError("cross-fitting fold \(fold + 1) of \(folds) (rows whose index mod \(folds) is \(fold) left out): \(error.reason)")
            }
            let calibrator = Calibrator(classes: names, parameters: parameters)
            table.scores.withUnsafeBufferPointer { scores in
                rescored.withUnsafeMutableBufferPointer { out in
                    for i in Swift.stride(from: fold, to: table.count, by: folds) {
                        calibrator.apply(UnsafeBufferPointer(rebasing: scores[(i * per)..<((i + 1) * per)]), kind: table.shape.scoreKind,
                                         into: UnsafeMutableBufferPointer(rebasing: out[(i * per)..<((i + 1) * per)]), as: .probabilities)
                    }
                }
            }
        }
        var result = PredictionTable(shape: shape, reservingCapacity: table.count)
        let ids = table.ids
        let groups = table.groups
        table.labels.withUnsafeBufferPointer { labels in
            rescored.withUnsafeBufferPointer { scores in
                table.weights.withUnsafeBufferPointer { weights in
                    table.lines.withUnsafeBufferPointer { lines in
                        result.append(validatedLabels: labels, scores: scores, weights: weights, lines: lines,
                                      ids: ids.count == table.count ? ids : [], groups: groups)
                    }
                }
            }
        }
        return result
    }

    static func fit(_ method: RecalibrationMethod, data: FitData, bins: Int) throws(RecalibrationError) -> Calibrator.Parameters {
        if data.shape.task == .multiclass && !method.handlesMulticlass {
            throw RecalibrationError("\(method.rawValue) calibration is for binary tasks; this one has \(data.shape.classCount) classes (use temperature)")
        }
        try data.requireTwoClasses()
        switch method {
        case .temperature: return .temperature(try TemperatureFit.fit(data))
        case .platt:
            let theta = try LogisticFit.platt(data)
            return .platt(a: theta[0], b: theta[1])
        case .beta:
            let theta = try LogisticFit.beta(data)
            return .beta(a: theta[0], b: theta[1], c: theta[2])
        case .isotonic:
            let (thresholds, values) = IsotonicFit.fit(data)
            return .isotonic(thresholds: thresholds, values: values)
        case .histogram:
            let (edges, values) = HistogramFit.fit(data, bins: bins)
            return .histogram(edges: edges, values: values)
        }
    }
}

/// The rows a fit reads: a table's rows of positive weight, leaving out one
/// cross-fitting fold (`excludedFold`) when set.
struct FitData {
    let shape: ClassificationShape
    /// Row indices into the table, ascending.
    let rows: [Int]
    let labels: [Int32]
    let scores: [Double]
    let weights: [Double]

    init(table: PredictionTable, excludedFold: Int?) {
        shape = table.shape
        labels = table.labels
        scores = table.scores
        weights = table.weights
        var rows: [Int] = []
        rows.reserveCapacity(table.count)
        for i in 0..<table.count where table.weights[i] > 0 && (excludedFold == nil || i % Recalibration.folds != excludedFold!) {
            rows.append(i)
        }
        self.rows = rows
    }

    /// Refuses data with fewer than two classes of positive weight.
    func requireTwoClasses() throws(RecalibrationError) {
        var present = Set<Int32>()
        for i in rows {
            present.insert(labels[i])
            if present.count > 1 { return }
        }
        if rows.isEmpty { throw RecalibrationError("no rows of positive weight to fit on") }
        throw RecalibrationError("only one class is present (every row of positive weight has the same label); a calibrator needs rows of both outcomes")
    }

    /// Binary rows: whether each is positive, in `rows` order.
    var positives: [Bool] { rows.map { labels[$0] == 1 } }
    var rowWeights: [Double] { rows.map { weights[$0] } }
}
