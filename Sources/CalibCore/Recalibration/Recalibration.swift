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
    /// `runner` may run the fit's passes over the rows on several threads (the same bits either way).
    public static func fit(_ method: RecalibrationMethod, table: PredictionTable, classes: [String], bins: Int = 15,
                           runner: RankingRunner? = nil) throws(RecalibrationError) -> Calibrator {
        precondition(classes.count == table.shape.classCount, "one name per class")
        let data = FitData(table: table, excludedFold: nil, order: FitData.sortedOrder(method, table))
        return Calibrator(classes: classes, parameters: try fit(method, data: data, bins: bins, runner: runner))
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
    /// fitted is an error naming it (the first such fold). `runner` may fit
    /// the folds on several threads; the result is the same bits either way.
    public static func crossFitted(_ method: RecalibrationMethod, table: PredictionTable, bins: Int = 15,
                                   runner: RankingRunner? = nil) throws(RecalibrationError) -> PredictionTable {
        let shape = ClassificationShape(classCount: table.shape.classCount, scoreKind: .probabilities)
        let per = shape.scoresPerRow
        var rescored = [Double](repeating: 0, count: table.scores.count)
        let names = (0..<shape.classCount).map { "\($0)" }
        // One sort of the whole table serves every fold (isotonic, histogram).
        let order = FitData.sortedOrder(method, table)
        let outcomes = FoldOutcomes(count: folds)
        CalibrationFits.run(folds, runner) { fold in
            let result = Result { () throws(RecalibrationError) -> Calibrator.Parameters in
                try fit(method, data: FitData(table: table, excludedFold: fold, order: order), bins: bins)
            }
            outcomes.set(fold, result)
        }
        for fold in 0..<folds {
            let parameters: Calibrator.Parameters
            switch outcomes.get(fold) {
            case let .success(p): parameters = p
            case let .failure(error):
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

    static func fit(_ method: RecalibrationMethod, data: FitData, bins: Int, runner: RankingRunner? = nil) throws(RecalibrationError) -> Calibrator.Parameters {
        if data.shape.task == .multiclass && !method.handlesMulticlass {
            throw RecalibrationError("\(method.rawValue) calibration is for binary tasks; this one has \(data.shape.classCount) classes (use temperature)")
        }
        try data.requireTwoClasses()
        switch method {
        case .temperature: return .temperature(try TemperatureFit.fit(data, runner: runner))
        case .platt:
            let theta = try LogisticFit.platt(data, runner: runner)
            return .platt(a: theta[0], b: theta[1])
        case .beta:
            let theta = try LogisticFit.beta(data, runner: runner)
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

/// Sums over rows in fixed chunks: `body` adds a chunk's rows into `width`
/// accumulators, and the chunks' sums are added in chunk order, so the
/// result is the same bits whether `runner` runs the chunks on one thread or several.
enum ChunkedSum {
    static let chunks = 64

    static func sum(_ n: Int, width: Int, runner: RankingRunner?,
                    _ body: @escaping @Sendable (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        let count = Swift.max(1, Swift.min(chunks, n))
        let partial = SendablePointer<Double>(.allocate(capacity: count * width))
        defer { partial.pointer.deallocate() }
        partial.pointer.initialize(repeating: 0, count: count * width)
        CalibrationFits.run(count, runner) { c in
            body((c * n / count)..<((c + 1) * n / count), partial.pointer + c * width)
        }
        var total = [Double](repeating: 0, count: width)
        for c in 0..<count { for j in 0..<width { total[j] += partial.pointer[c * width + j] } }
        return total
    }
}

/// The folds' fits: slot `i` is written by fold `i`'s task alone, and read
/// only after the runner has finished every task.
final class FoldOutcomes: @unchecked Sendable {
    private let slots: SendablePointer<Result<Calibrator.Parameters, RecalibrationError>?>
    private let count: Int
    init(count: Int) {
        self.count = count
        slots = SendablePointer(.allocate(capacity: count))
        slots.pointer.initialize(repeating: nil, count: count)
    }
    deinit { slots.pointer.deinitialize(count: count); slots.pointer.deallocate() }
    func set(_ i: Int, _ r: Result<Calibrator.Parameters, RecalibrationError>) { slots.pointer[i] = r }
    func get(_ i: Int) -> Result<Calibrator.Parameters, RecalibrationError> { slots.pointer[i]! }
}

/// The rows a fit reads: a table's rows of positive weight, leaving out one
/// cross-fitting fold (`excludedFold`) when set.
struct FitData {
    let shape: ClassificationShape
    /// Row indices into the table, ascending.
    let rows: [Int]
    /// For isotonic and histogram: the same rows sorted by score, then label.
    let sortedRows: [Int]?
    let labels: [Int32]
    let scores: [Double]
    let weights: [Double]

    /// The whole table's rows sorted by the probability score, then label (isotonic and histogram only).
    static func sortedOrder(_ method: RecalibrationMethod, _ table: PredictionTable) -> [Int]? {
        guard (method == .isotonic || method == .histogram) && table.shape.task == .binary else { return nil }
        let x = table.scores.map { Calibrator.probability($0, kind: table.shape.scoreKind) }
        let labels = table.labels
        return Array(0..<table.count).sorted { a, b in x[a] != x[b] ? x[a] < x[b] : labels[a] < labels[b] }
    }

    init(table: PredictionTable, excludedFold: Int?, order: [Int]? = nil) {
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
        sortedRows = order?.filter { table.weights[$0] > 0 && (excludedFold == nil || $0 % Recalibration.folds != excludedFold!) }
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
