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
        let data = FitData(table: FitTable(method, table, runner: runner), excludedFold: nil)
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
        try crossFit(method, table: table, includingFull: false, bins: bins, runner: runner).crossFitted
    }

    /// `fit` and `crossFitted` in one: the calibrator fitted on every row
    /// and the 5-fold cross-fitted scores, the same bits as the two calls
    /// (and the same errors, the whole fit's first), from one preparation of
    /// the table (its sort or its features) shared by the six fits, which
    /// `runner` may run side by side.
    public static func fitAndCrossFit(_ method: RecalibrationMethod, table: PredictionTable, classes: [String], bins: Int = 15,
                                      runner: RankingRunner? = nil) throws(RecalibrationError) -> (calibrator: Calibrator, crossFitted: PredictionTable) {
        precondition(classes.count == table.shape.classCount, "one name per class")
        let (full, crossFitted) = try crossFit(method, table: table, includingFull: true, bins: bins, runner: runner)
        return (Calibrator(classes: classes, parameters: full!), crossFitted)
    }

    /// The folds' fits (and the whole fit first when `includingFull`) as
    /// tasks of `runner`, each fit reading the shared `FitTable` with no
    /// threads of its own (its sums are the same bits either way); then the
    /// rows rescored in fixed chunks of rows, each by its fold's calibrator.
    private static func crossFit(_ method: RecalibrationMethod, table: PredictionTable, includingFull: Bool, bins: Int,
                                 runner: RankingRunner?) throws(RecalibrationError) -> (full: Calibrator.Parameters?, crossFitted: PredictionTable) {
        let shape = ClassificationShape(classCount: table.shape.classCount, scoreKind: .probabilities)
        let per = shape.scoresPerRow
        let names = (0..<shape.classCount).map { "\($0)" }
        // One preparation of the whole table (its sort, its features) serves every fit.
        let prepared = FitTable(method, table, runner: runner)
        let first = includingFull ? -1 : 0
        let outcomes = TaskSlots<Result<Calibrator.Parameters, RecalibrationError>>(count: folds - first)
        CalibrationFits.run(folds - first, runner) { task in
            let fold = task + first
            let result = Result { () throws(RecalibrationError) -> Calibrator.Parameters in
                try fit(method, data: FitData(table: prepared, excludedFold: fold < 0 ? nil : fold), bins: bins)
            }
            outcomes.set(task, result)
        }
        var full: Calibrator.Parameters?
        if includingFull {
            switch outcomes.take(0) {
            case let .success(p): full = p
            case let .failure(error): throw error
            }
        }
        var calibrators: [Calibrator] = []
        for fold in 0..<folds {
            switch outcomes.take(fold - first) {
            case let .success(p): calibrators.append(Calibrator(classes: names, parameters: p))
            case let .failure(error):
                throw RecalibrationError("cross-fitting fold \(fold + 1) of \(folds) (rows whose index mod \(folds) is \(fold) left out): \(error.reason)")
            }
        }
        let calibratorOfFold = calibrators
        let rescored = ChunkedFill.rows(table.count, width: per, runner: runner) { i, out in
            prepared.rescore(i, by: calibratorOfFold[i % folds], into: out)
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
        return (full, result)
    }

    static func fit(_ method: RecalibrationMethod, data: FitData, bins: Int, runner: RankingRunner? = nil) throws(RecalibrationError) -> Calibrator.Parameters {
        if data.shape.task == .multiclass && !method.handlesMulticlass {
            throw RecalibrationError("\(method.rawValue) calibration is for binary tasks; this one has \(data.shape.classCount) classes (use temperature)")
        }
        try data.requireTwoClasses()
        switch method {
        case .temperature: return .temperature(try TemperatureFit.fit(data, runner: runner))
        case .platt:
            let theta = try LogisticFit.fit(data, method: .platt, runner: runner)
            return .platt(a: theta[0], b: theta[1])
        case .beta:
            let theta = try LogisticFit.fit(data, method: .beta, runner: runner)
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

/// Per-row values computed once for every fit of a table: `body(i, out)`
/// writes row `i`'s `width` values at `out`, rows split into the same fixed
/// chunks as `ChunkedSum` (each row written by one task, so threads do not matter).
enum ChunkedFill {
    static func rows(_ n: Int, width: Int, runner: RankingRunner?,
                     _ body: @escaping @Sendable (Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        var values = [Double](repeating: 0, count: n * width)
        guard n > 0 else { return values }
        values.withUnsafeMutableBufferPointer { buffer in
            let out = SendablePointer(buffer.baseAddress!)
            let count = Swift.min(ChunkedSum.chunks, n)
            CalibrationFits.run(count, runner) { c in
                for i in (c * n / count)..<((c + 1) * n / count) { body(i, out.pointer + i * width) }
            }
        }
        return values
    }
}

extension Recalibration {
    /// Calls `body(i, w)` for each row `i` of `range` that takes part in a
    /// fit leaving out `excludedFold` (rows `i mod 5` equal to it) with its
    /// weight `w > 0`, keeping the fold in a counter rather than dividing each row.
    @inline(__always)
    static func forEachIncluded(_ range: Range<Int>, weights: UnsafeBufferPointer<Double>, excludedFold: Int?,
                                _ body: (Int, Double) -> Void) {
        let excluded = excludedFold ?? -1
        var fold = range.lowerBound % folds
        for i in range {
            let w = weights[i]
            if fold != excluded && w > 0 { body(i, w) }
            fold = fold == folds - 1 ? 0 : fold + 1
        }
    }
}

/// One table prepared for the fits of one method, once, and shared by the fit
/// on every row and the five folds' fits: the columns, and what the method
/// reads of every row — its features (Platt, beta), its logits (temperature)
/// or the rows in score order (isotonic, histogram).
struct FitTable: Sendable {
    let shape: ClassificationShape
    let labels: [Int32]
    let scores: [Double]
    let weights: [Double]
    /// Isotonic and histogram: every row in score order.
    let sorted: SortedRows?
    let logistic: LogisticDesign?
    let temperature: TemperatureDesign?

    init(_ method: RecalibrationMethod, _ table: PredictionTable, runner: RankingRunner?) {
        shape = table.shape
        labels = table.labels
        scores = table.scores
        weights = table.weights
        let binary = table.shape.task == .binary
        sorted = (method == .isotonic || method == .histogram) && binary ? SortedRows(table, runner: runner) : nil
        logistic = binary && (method == .platt || method == .beta) ? LogisticDesign(method, table, runner: runner) : nil
        temperature = method == .temperature ? TemperatureDesign(table, runner: runner) : nil
    }
}

extension FitTable {
    /// Row `i`'s scores recalibrated by `calibrator` (probabilities), as
    /// `Calibrator.apply` gives them, bit for bit: a binary Platt, beta or
    /// temperature map reads the row's prepared `logit(s')` or `ln s'`,
    /// `−ln(1 − s')` (the values `apply` would compute again) instead of its score.
    @inline(__always)
    func rescore(_ i: Int, by calibrator: Calibrator, into out: UnsafeMutablePointer<Double>) {
        switch calibrator.parameters {
        case let .platt(a, b) where logistic?.featureCount == 1:
            out[0] = StableMath.sigmoid(a * logistic!.features[i] + b)
            return
        case let .beta(a, b, c) where logistic?.featureCount == 2:
            // `ln(1 − s')` is minus the second feature (negation is exact).
            let f = logistic!.features
            out[0] = StableMath.sigmoid(a * f[2 * i] - b * -f[2 * i + 1] + c)
            return
        case let .temperature(t) where shape.classCount == 2 && temperature != nil:
            out[0] = t == 1 && shape.scoreKind == .probabilities ? scores[i] : StableMath.sigmoid(temperature!.z[i] / t)
            return
        default:
            let per = shape.scoresPerRow
            scores.withUnsafeBufferPointer { s in
                calibrator.apply(UnsafeBufferPointer(rebasing: s[(i * per)..<((i + 1) * per)]), kind: shape.scoreKind,
                                 into: UnsafeMutableBufferPointer(start: out, count: per), as: .probabilities)
            }
        }
    }
}

/// Every row of a binary table in order of its probability score, then
/// label, then index (`np.lexsort((y, X))`, which is stable), laid out
/// contiguously so that each fold's isotonic or histogram fit reads them in
/// one sequential pass: the key `score bits << 1 | positive` (the score is
/// `σ(z)` for logits, −0 read as +0), the weight, and the row's
/// cross-fitting fold (`index mod 5`) — 17 bytes a row.
struct SortedRows: Sendable {
    let keys: [UInt64]
    let weights: [Double]
    let folds: [UInt8]

    /// One radix sort of the keys carrying the row index (as a `Double`,
    /// exact below 2⁵³), its buckets sorted on `runner`'s threads; each run
    /// of equal keys put back in index order (the radix sort keeps no order
    /// among equal keys); then, in place of each index, the row's weight.
    init(_ table: PredictionTable, runner: RankingRunner?) {
        let n = table.count
        let kind = table.shape.scoreKind
        let scores = table.scores, labels = table.labels, tableWeights = table.weights
        var keys = [UInt64](repeating: 0, count: n)
        var payload = [Double](repeating: 0, count: n)
        var folds = [UInt8](repeating: 0, count: n)
        guard n > 0 else {
            (self.keys, weights, self.folds) = (keys, payload, folds)
            return
        }
        keys.withUnsafeMutableBufferPointer { k in
            payload.withUnsafeMutableBufferPointer { v in
                let sharedKeys = SendablePointer(k.baseAddress!), sharedPayload = SendablePointer(v.baseAddress!)
                let chunks = Swift.min(ChunkedSum.chunks, n)
                CalibrationFits.run(chunks, runner) { c in
                    for i in (c * n / chunks)..<((c + 1) * n / chunks) {
                        // A probability's key orders as its value (−0 keyed as +0).
                        sharedKeys.pointer[i] = ScoreStore.key(score: Calibrator.probability(scores[i], kind: kind), positive: labels[i] == 1)
                        sharedPayload.pointer[i] = Double(i)
                    }
                }
                RadixSort.sort(k.baseAddress!, payload: v.baseAddress!, count: n, runner: runner)
                var start = 0
                while start < n {
                    var end = start + 1
                    while end < n && k[end] == k[start] { end += 1 }
                    if end - start > 1 { v[start..<end].sort() }
                    start = end
                }
                folds.withUnsafeMutableBufferPointer { f in
                    let sharedFolds = SendablePointer(f.baseAddress!)
                    CalibrationFits.run(chunks, runner) { c in
                        for j in (c * n / chunks)..<((c + 1) * n / chunks) {
                            let index = Int(sharedPayload.pointer[j])
                            sharedFolds.pointer[j] = UInt8(index % Recalibration.folds)
                            sharedPayload.pointer[j] = tableWeights[index]
                        }
                    }
                }
            }
        }
        (self.keys, weights, self.folds) = (keys, payload, folds)
    }

    var count: Int { keys.count }

    /// Sorted row `j`'s probability score.
    @inline(__always)
    func score(_ j: Int) -> Double { Double(bitPattern: keys[j] >> 1) }

    /// Whether sorted row `j` is positive.
    @inline(__always)
    func positive(_ j: Int) -> Bool { keys[j] & 1 == 1 }

    /// Whether sorted row `j` takes part in a fit leaving out `excludedFold`: positive weight, another fold.
    @inline(__always)
    func includes(_ j: Int, excludedFold: Int?) -> Bool {
        weights[j] > 0 && (excludedFold == nil || Int(folds[j]) != excludedFold!)
    }
}

/// The rows one fit reads: a prepared table's rows of positive weight,
/// leaving out one cross-fitting fold (`excludedFold`) when set.
struct FitData {
    let table: FitTable
    let excludedFold: Int?

    var shape: ClassificationShape { table.shape }

    /// Whether row `i` takes part: positive weight, and not in the excluded fold.
    @inline(__always)
    func includes(_ i: Int) -> Bool {
        table.weights[i] > 0 && (excludedFold == nil || i % Recalibration.folds != excludedFold!)
    }

    /// Refuses data with fewer than two classes of positive weight.
    func requireTwoClasses() throws(RecalibrationError) {
        var first: Int32?
        for i in table.labels.indices where includes(i) {
            if let first, table.labels[i] != first { return }
            first = table.labels[i]
        }
        if first == nil { throw RecalibrationError("no rows of positive weight to fit on") }
        throw RecalibrationError("only one class is present (every row of positive weight has the same label); a calibrator needs rows of both outcomes")
    }
}
