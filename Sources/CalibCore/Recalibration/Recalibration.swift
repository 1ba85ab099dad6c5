import CalibKernels

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
    /// The number of folds of the cross-fit: row `i` (0-based, in input order) is in fold `i mod 5`
    /// (defined once, beside the C passes that step through the folds).
    public static let folds = Int(calib_fit_folds)

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
    ///
    /// On many rows, temperature (binary), Platt and beta folds start
    /// Newton's method from `TemperatureFit.foldStarts` or
    /// `LogisticFit.foldStarts` (each fold's fit to fine cells of its own
    /// rows, every fold's cells summed in one pass over the rows) rather
    /// than from a sample or coarse cells of their own: a start that close
    /// ends in about two passes over the rows (Platt and beta without
    /// summing the loss). A fold's start, like its fit, reads no row of the
    /// fold it leaves out. Platt's and beta's whole fit is handed the start
    /// `fit` would find on its own from the same cells (`LogisticFit.wholeStart`),
    /// so `calib fit --no-cross-fit` writes the same file; temperature's starts as `fit`'s does.
    private static func crossFit(_ method: RecalibrationMethod, table: PredictionTable, includingFull: Bool, bins: Int,
                                 runner: RankingRunner?) throws(RecalibrationError) -> (full: Calibrator.Parameters?, crossFitted: PredictionTable) {
        let shape = ClassificationShape(classCount: table.shape.classCount, scoreKind: .probabilities)
        let per = shape.scoresPerRow
        let names = (0..<shape.classCount).map { "\($0)" }
        // One preparation of the whole table (its sort, its features) serves every fit.
        let prepared = FitTable(method, table, runner: runner)
        // The folds' Newton starts (temperature on binary rows, Platt, beta; many rows only).
        var starts: [Calibrator.Parameters?]?
        var wholeStart: Calibrator.Parameters?
        if prepared.logistic != nil, let cellStarts = LogisticFit.foldStarts(prepared, runner: runner) {
            let parameters = { (theta: [Double]) -> Calibrator.Parameters in
                theta.count == 2 ? .platt(a: theta[0], b: theta[1]) : .beta(a: theta[0], b: theta[1], c: theta[2])
            }
            starts = cellStarts.folds.map { $0.map(parameters) }
            // The start `fit` would find on its own, from the same cells.
            wholeStart = cellStarts.whole.map(parameters)
        } else if prepared.temperature != nil {
            starts = TemperatureFit.foldStarts(prepared, runner: runner)?.map { t in t.map { .temperature($0) } }
        }
        let foldStarts = starts, fullStart = wholeStart
        let first = includingFull ? -1 : 0
        let outcomes = TaskSlots<Result<Calibrator.Parameters, RecalibrationError>>(count: folds - first)
        CalibrationFits.run(folds - first, runner) { task in
            let fold = task + first
            let start = fold >= 0 ? foldStarts?[fold] : fullStart
            let result = Result { () throws(RecalibrationError) -> Calibrator.Parameters in
                try fit(method, data: FitData(table: prepared, excludedFold: fold < 0 ? nil : fold), bins: bins, start: start)
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
        // Many rows: each isotonic fold's thresholds indexed once (2¹⁶ cells, 0.5 MB) for their lookups.
        var indexes: [ThresholdIndex]?
        if table.count >= 1 << 18 && table.shape.classCount == 2 {
            let built = calibrators.compactMap { c -> ThresholdIndex? in
                guard case let .isotonic(thresholds, values) = c.parameters else { return nil }
                return ThresholdIndex(thresholds: thresholds, values: values)
            }
            if built.count == folds { indexes = built }
        }
        let isotonicIndexes = indexes
        let rescored = ChunkedFill.ranges(table.count, width: per, runner: runner) { range, out in
            prepared.rescore(range, by: calibratorOfFold, isotonicIndexes: isotonicIndexes, into: out)
        }
        let ids = table.ids
        let groups = table.groups
        if groups.isEmpty {
            // The table's labels, weights, lines and ids shared as they are (no copy), with the new scores.
            return (full, PredictionTable(shape: shape, validatedLabels: table.labels, scores: rescored, weights: table.weights,
                                          lines: table.lines, ids: ids.count == table.count ? ids : [], targets: []))
        }
        var result = PredictionTable(shape: shape, reservingCapacity: table.count)
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

    /// `method` fitted on `data`'s rows. `start`, temperature, Platt or
    /// beta parameters close to the answer (a fold's from
    /// `TemperatureFit.foldStarts` or `LogisticFit.foldStarts`), starts
    /// Newton's method there instead of at the fit to a sample or to
    /// compressed cells (Platt and beta then sum the loss only where a
    /// decision reads it); isotonic and histogram ignore it.
    static func fit(_ method: RecalibrationMethod, data: FitData, bins: Int, runner: RankingRunner? = nil,
                    start: Calibrator.Parameters? = nil) throws(RecalibrationError) -> Calibrator.Parameters {
        if data.shape.task == .multiclass && !method.handlesMulticlass {
            throw RecalibrationError("\(method.rawValue) calibration is for binary tasks; this one has \(data.shape.classCount) classes (use temperature)")
        }
        try data.requireTwoClasses()
        guard data.table.weightSumIsFinite else {
            throw RecalibrationError("the weights' sum overflows (it is not finite); divide every weight by the same large factor: a calibrator depends only on the weights' ratios")
        }
        switch method {
        case .temperature:
            var t: Double?
            if case let .temperature(value) = start { t = value }
            return .temperature(try TemperatureFit.fit(data, runner: runner, start: t))
        case .platt:
            var theta: [Double]?
            if case let .platt(a, b) = start { theta = [a, b] }
            theta = try LogisticFit.fit(data, method: .platt, runner: runner, start: theta)
            return .platt(a: theta![0], b: theta![1])
        case .beta:
            var theta: [Double]?
            if case let .beta(a, b, c) = start { theta = [a, b, c] }
            theta = try LogisticFit.fit(data, method: .beta, runner: runner, start: theta)
            return .beta(a: theta![0], b: theta![1], c: theta![2])
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

/// Every cross-fitting fold's rows of positive weight compressed into fine
/// cells of the ordering feature `logit(s)` (for beta, the sum of its two
/// features), for the folds' Newton starts (`LogisticFit.foldStarts`,
/// `TemperatureFit.foldStarts`): `cellCount` equal cells on `[−40, 40]`
/// (values beyond go to the end cells), per fold and label the summed
/// weight and weighted features, summed in one pass in 4 fixed chunks (the
/// same bits on any number of threads).
struct FoldCells: Sendable {
    static let cellCount = 32_768
    let featureCount: Int
    /// `[chunk][fold][cell][label][weight, features…]`.
    let sums: [Double]
    static let chunks = 4

    /// `nil` for tables of at most `4 · cellCount` rows, too few for the cells to save time.
    init?(features: [Double], featureCount m: Int, labels: [Int32], weights: [Double], runner: RankingRunner?) {
        let n = labels.count, folds = Recalibration.folds, cells = Self.cellCount, chunks = Self.chunks
        guard n > 4 * cells else { return nil }
        featureCount = m
        let width = 1 + m, perFold = cells * 2 * width, slots = folds * perFold
        var sums = [Double](repeating: 0, count: chunks * slots)
        let scale = Double(cells) / 80
        sums.withUnsafeMutableBufferPointer { buffer in
            let shared = SendablePointer(buffer.baseAddress!)
            CalibrationFits.run(chunks, runner) { c in
                let out = shared.pointer + c * slots
                let range = (c * n / chunks)..<((c + 1) * n / chunks)
                features.withUnsafeBufferPointer { f in
                    weights.withUnsafeBufferPointer { w in
                        labels.withUnsafeBufferPointer { y in
                            var fold = range.lowerBound % folds
                            for i in range {
                                let weight = w[i]
                                let base = out + fold * perFold
                                fold = fold == folds - 1 ? 0 : fold + 1
                                guard weight > 0 else { continue }
                                let o = m == 1 ? f[i] : f[2 * i] + f[2 * i + 1]
                                let cell = Int(Swift.min(Swift.max((o + 40) * scale, 0), Double(cells - 1)))
                                let at = base + (cell * 2 + (y[i] == 1 ? 1 : 0)) * width
                                at[0] += weight
                                if m == 1 {
                                    at[1] += weight * f[i]
                                } else {
                                    at[1] += weight * f[2 * i]
                                    at[2] += weight * f[2 * i + 1]
                                }
                            }
                        }
                    }
                }
            }
        }
        self.sums = sums
    }

    /// `fit` of each fold's pseudo-rows (`rows(excluding:)`), the folds as tasks of `runner`.
    func eachFold<T>(runner: RankingRunner?,
                     _ fit: @escaping @Sendable (_ features: [Double], _ labels: [Int32], _ weights: [Double]) -> T?) -> [T?] {
        let folds = Recalibration.folds
        let slots = TaskSlots<T?>(count: folds)
        let cells = self
        CalibrationFits.run(folds, runner) { fold in
            let (features, labels, weights) = cells.rows(excluding: fold)
            slots.set(fold, fit(features, labels, weights))
        }
        return (0..<folds).map { slots.take($0) }
    }

    /// The cells of every fold but `excluded` (every fold for −1) as pseudo-rows: one per cell
    /// and label with rows, at their weighted mean features, of their summed
    /// weight (the folds' sums added in fold, then chunk order).
    func rows(excluding excluded: Int) -> (features: [Double], labels: [Int32], weights: [Double]) {
        let m = featureCount, width = 1 + m, folds = Recalibration.folds, cells = Self.cellCount
        let perFold = cells * 2 * width, slots = folds * perFold
        var features: [Double] = [], labels: [Int32] = [], weights: [Double] = []
        var total = [Double](repeating: 0, count: width)
        sums.withUnsafeBufferPointer { s in
            for slot in 0..<(cells * 2) {
                for j in 0..<width { total[j] = 0 }
                for fold in 0..<folds where fold != excluded {
                    for c in 0..<Self.chunks {
                        let at = c * slots + fold * perFold + slot * width
                        for j in 0..<width { total[j] += s[at + j] }
                    }
                }
                guard total[0] > 0 else { continue }
                for j in 0..<m { features.append(total[1 + j] / total[0]) }
                labels.append(Int32(slot % 2))
                weights.append(total[0])
            }
        }
        return (features, labels, weights)
    }
}

/// Per-row values computed once for every fit of a table: `body(i, out)`
/// writes row `i`'s `width` values at `out`, rows split into the same fixed
/// chunks as `ChunkedSum` (each row written by one task, so threads do not matter).
/// The array is not zeroed first: `body` writes every value of its rows, so
/// its memory is first touched (and its pages faulted in) by the tasks, in parallel.
enum ChunkedFill {
    /// The same fill a chunk at a time: `body(range, out)` writes each row
    /// `i` of `range` at `out + i·width` (`out` is row 0's place), so that a
    /// chunk's loop reads its columns and settings once rather than per row.
    static func ranges(_ n: Int, width: Int, runner: RankingRunner?,
                       _ body: @escaping @Sendable (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        guard n > 0 && width > 0 else { return [] }
        return [Double](unsafeUninitializedCapacity: n * width) { buffer, initialized in
            let out = SendablePointer(buffer.baseAddress!)
            let count = Swift.min(ChunkedSum.chunks, n)
            CalibrationFits.run(count, runner) { c in
                body((c * n / count)..<((c + 1) * n / count), out.pointer)
            }
            initialized = n * width
        }
    }

    /// The same fill a row at a time: `body(i, out)` writes row `i` at `out`.
    static func rows(_ n: Int, width: Int, runner: RankingRunner?,
                     _ body: @escaping @Sendable (Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        ranges(n, width: width, runner: runner) { range, out in
            for i in range { body(i, out + i * width) }
        }
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
    /// The weights' sum is finite. Weights are finite and not negative, so
    /// then every sum of some of them is finite too (a fold's, a bin's, a
    /// class's); when it is not, the rates of isotonic and histogram would be
    /// `inf / inf`.
    let weightSumIsFinite: Bool

    init(_ method: RecalibrationMethod, _ table: PredictionTable, runner: RankingRunner?) {
        shape = table.shape
        labels = table.labels
        scores = table.scores
        weights = table.weights
        weightSumIsFinite = table.weights.reduce(0, +).isFinite
        let binary = table.shape.task == .binary
        sorted = (method == .isotonic || method == .histogram) && binary ? SortedRows(table, runner: runner) : nil
        logistic = binary && (method == .platt || method == .beta) ? LogisticDesign(method, table, runner: runner) : nil
        temperature = method == .temperature ? TemperatureDesign(table, runner: runner) : nil
    }
}

extension FitTable {
    /// The rows of `range` recalibrated, each by its fold's calibrator
    /// (`calibrators[i mod 5]`), into `out + i·scoresPerRow` (probabilities),
    /// as `Calibrator.apply` gives them, bit for bit: a binary Platt, beta or
    /// temperature map reads the row's prepared `logit(s')` or `ln s'`,
    /// `−ln(1 − s')` (the values `apply` would compute again) instead of its
    /// score. The columns and the folds' parameters are read once a range.
    /// `isotonicIndexes`, the isotonic calibrators' thresholds indexed
    /// (`ThresholdIndex`, the same bits), replaces their binary searches.
    func rescore(_ range: Range<Int>, by calibrators: [Calibrator], isotonicIndexes: [ThresholdIndex]? = nil,
                 into out: UnsafeMutablePointer<Double>) {
        precondition(calibrators.count == Recalibration.folds, "one calibrator a fold")
        let folds = Recalibration.folds
        var fold = range.lowerBound % folds
        func parameters<T>(_ read: (Calibrator.Parameters) -> T?) -> [T]? {
            let values = calibrators.compactMap { read($0.parameters) }
            return values.count == folds ? values : nil
        }
        if let logistic, logistic.featureCount == 1,
           let ab = parameters({ if case let .platt(a, b) = $0 { (a, b) } else { nil } }) {
            logistic.features.withUnsafeBufferPointer { f in
                for i in range {
                    out[i] = StableMath.sigmoid(ab[fold].0 * f[i] + ab[fold].1)
                    fold = fold == folds - 1 ? 0 : fold + 1
                }
            }
            return
        }
        if let logistic, logistic.featureCount == 2,
           let abc = parameters({ if case let .beta(a, b, c) = $0 { (a, b, c) } else { nil } }) {
            // `ln(1 − s')` is minus the second feature (negation is exact).
            logistic.features.withUnsafeBufferPointer { f in
                for i in range {
                    let (a, b, c) = abc[fold]
                    out[i] = StableMath.sigmoid(a * f[2 * i] - b * -f[2 * i + 1] + c)
                    fold = fold == folds - 1 ? 0 : fold + 1
                }
            }
            return
        }
        if let temperature, shape.classCount == 2,
           let ts = parameters({ if case let .temperature(t) = $0 { t } else { nil } }) {
            let identity = shape.scoreKind == .probabilities
            temperature.z.withUnsafeBufferPointer { z in
                scores.withUnsafeBufferPointer { s in
                    for i in range {
                        let t = ts[fold]
                        out[i] = t == 1 && identity ? s[i] : StableMath.sigmoid(z[i] / t)
                        fold = fold == folds - 1 ? 0 : fold + 1
                    }
                }
            }
            return
        }
        if shape.classCount == 2,
           let steps = parameters({ p -> (isotonic: Bool, x: [Double], y: [Double])? in
               switch p {
               case let .isotonic(thresholds, values): (true, thresholds, values)
               case let .histogram(edges, values): (false, edges, values)
               default: nil
               }
           }) {
            let kind = shape.scoreKind
            if let indexes = isotonicIndexes, indexes.count == folds {
                let lookups = indexes.map(\.lookup)
                withExtendedLifetime(indexes) {
                    lookups.withUnsafeBufferPointer { lookup in
                        scores.withUnsafeBufferPointer { s in
                            for i in range {
                                out[i] = lookup[fold].interpolate(Calibrator.probability(s[i], kind: kind))
                                fold = fold == folds - 1 ? 0 : fold + 1
                            }
                        }
                    }
                }
                return
            }
            if steps.allSatisfy({ !$0.isotonic }) {
                // Histograms: every fold's edges and values laid end to end, searched in place
                // (`HistogramFit.value`'s search, with no copy of a fold's arrays per row).
                var edges: [Double] = [], values: [Double] = [], starts: [Int] = []
                for step in steps {
                    starts.append(edges.count)
                    edges += step.x
                    values += step.y
                }
                starts.append(edges.count)
                edges.append(0) // never read: so that the buffer has an address when no fold has an edge
                edges.withUnsafeBufferPointer { e in
                    values.withUnsafeBufferPointer { v in
                        starts.withUnsafeBufferPointer { start in
                            scores.withUnsafeBufferPointer { s in
                                for i in range {
                                    let x = Calibrator.probability(s[i], kind: kind)
                                    let first = start[fold]
                                    // `values` holds one more per fold than `edges`: fold f's start there is first + f.
                                    out[i] = v[first + fold + HistogramFit.index(x, edges: e.baseAddress! + first, count: start[fold + 1] - first)]
                                    fold = fold == folds - 1 ? 0 : fold + 1
                                }
                            }
                        }
                    }
                }
                return
            }
            // Isotonic folds on fewer rows than the index pays for (histograms returned above).
            scores.withUnsafeBufferPointer { s in
                for i in range {
                    let step = steps[fold]
                    out[i] = IsotonicFit.interpolate(Calibrator.probability(s[i], kind: kind), thresholds: step.x, values: step.y)
                    fold = fold == folds - 1 ? 0 : fold + 1
                }
            }
            return
        }
        let per = shape.scoresPerRow
        scores.withUnsafeBufferPointer { s in
            for i in range {
                calibrators[fold].apply(UnsafeBufferPointer(rebasing: s[(i * per)..<((i + 1) * per)]), kind: shape.scoreKind,
                                        into: UnsafeMutableBufferPointer(start: out + i * per, count: per), as: .probabilities)
                fold = fold == folds - 1 ? 0 : fold + 1
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
