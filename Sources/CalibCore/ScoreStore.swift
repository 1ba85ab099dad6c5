/// A compact, mergeable copy of every row's score(s), label and weight: what
/// ranking needs (SPEC section 8) and what no running sum can hold.
///
/// A binary task keeps one column (the positive score `s`); a multiclass
/// task one column per class (`p_k`, one-vs-rest). Each entry is one 64-bit
/// key, `bits(score) << 1 | isPositive`: scores lie in [0, 1], whose bit
/// patterns order as the scores do, so sorting keys sorts scores. Weights
/// are kept (in row order) only once a row weighs other than 1; rows of
/// weight 0 are left out, as scikit-learn's `_binary_clf_curve` drops them.
///
/// **Exact** while its bytes stay within the budget: 8 bytes per row and
/// column (+8 with weights). Merging appends in merge order, so a file
/// audited in chunks on any number of threads holds the same keys in the
/// same order. **Beyond the budget** it turns (once, at the append or merge
/// that crosses it, which depends on the input's chunking only) into a
/// `ScoreSketch` of fixed size: memory stays bounded at any row count. The
/// spill comes before the rows that would cross the budget are copied in, so
/// the exact form never holds more than the budget.
/// Merging a sketch is exact bucket by bucket (sums in merge order).
public struct ScoreStore: Sendable {
    /// Columns per row: 1 for binary tasks, the class count otherwise.
    public let columnCount: Int
    /// Bytes the exact form may take before it becomes a sketch.
    public let budget: Int
    /// Thresholds whose flagged counts a sketch keeps exactly (binary: the
    /// sweep's and the Bayes threshold), ascending.
    let cuts: [Double]

    enum Storage: Sendable {
        case exact(ExactScores)
        case sketch(ScoreSketch)
    }
    var storage: Storage

    /// A store for `shape`'s scores; `cuts` are kept exact by the sketch (binary tasks).
    public init(shape: ClassificationShape, settings: RankingSettings) {
        columnCount = shape.scoresPerRow
        budget = settings.memoryBudget
        if shape.task == .binary {
            var cuts = RankingSettings.sweepThresholds
            if let costs = settings.costs { cuts.append(costs.bayesThreshold) }
            self.cuts = Array(Set(cuts)).sorted()
        } else {
            cuts = []
        }
        storage = .exact(ExactScores(columnCount: columnCount))
    }

    /// Whether the store still holds every row (and ranking is exact).
    public var isExact: Bool {
        if case .exact = storage { return true }
        return false
    }

    /// Rows held (or summarised).
    public var rowCount: Int {
        switch storage {
        case .exact(let e): e.rowCount
        case .sketch(let s): s.rowCount
        }
    }

    /// The bytes the store's contents occupy (element strides; array headers left out).
    public var bytes: Int {
        switch storage {
        case .exact(let e): e.bytes
        case .sketch(let s): s.bytes
        }
    }

    /// The key of one score in a column: `bits(score) << 1 | isPositive`
    /// (`score + 0` turns −0 into +0).
    @inline(__always)
    static func key(score: Double, positive: Bool) -> UInt64 {
        ((score + 0).bitPattern << 1) | (positive ? 1 : 0)
    }

    /// Appends `rows` rows given column by column (`keys[c * stride + i]` is
    /// row i's key in column c) with their weights (`nil`: all 1).
    mutating func append(keys: UnsafePointer<UInt64>, stride: Int, weights: UnsafePointer<Double>?, rows: Int) {
        guard rows > 0 else { return }
        switch storage {
        case .exact(var e):
            storage = .exact(ExactScores(columnCount: columnCount)) // release the reference before mutating
            if e.bytes(adding: rows, weights: weights) > budget {
                // Spill before growing: the exact form never holds (or copies) more than the budget.
                var sketch = sketchOf(e)
                e = ExactScores(columnCount: 0)
                sketch.add(keys: keys, stride: stride, weights: weights, rows: rows)
                storage = .sketch(sketch)
            } else {
                e.append(keys: keys, stride: stride, weights: weights, rows: rows, budget: budget)
                storage = .exact(e)
            }
        case .sketch(var s):
            storage = .exact(ExactScores(columnCount: 0))
            s.add(keys: keys, stride: stride, weights: weights, rows: rows)
            storage = .sketch(s)
        }
    }

    /// Appends rows given as probabilities: `scores` holds `columnCount`
    /// values per row (binary: the positive score; multiclass: `p_k` for each
    /// class), each in [0, 1]; `labels` the class indices (binary: 1 is the
    /// positive class); `weights` one per row (`nil`: all 1). Rows of weight
    /// 0 are left out.
    public mutating func append(scores: [Double], labels: [Int], weights: [Double]? = nil) {
        precondition(scores.count == labels.count * columnCount && (weights?.count ?? labels.count) == labels.count,
                     "one label, one weight and \(columnCount) scores per row")
        let rows = labels.count
        var keys = [UInt64](repeating: 0, count: rows * columnCount)
        var kept: [Double] = []
        var n = 0
        for i in 0..<rows {
            let w = weights?[i] ?? 1
            if w == 0 { continue }
            for c in 0..<columnCount {
                let positive = columnCount == 1 ? labels[i] == 1 : labels[i] == c
                keys[c * rows + n] = ScoreStore.key(score: scores[i * columnCount + c], positive: positive)
            }
            kept.append(w)
            n += 1
        }
        keys.withUnsafeBufferPointer { k in
            kept.withUnsafeBufferPointer { w in
                append(keys: k.baseAddress!, stride: rows, weights: weights == nil ? nil : w.baseAddress, rows: n)
            }
        }
    }

    /// Adds another store's rows after this one's.
    public mutating func merge(_ other: ScoreStore) {
        precondition(other.columnCount == columnCount && other.cuts == cuts && other.budget == budget,
                     "merging score stores of different shapes")
        switch (storage, other.storage) {
        case (.exact(var mine), .exact(let theirs)):
            storage = .exact(ExactScores(columnCount: 0))
            if mine.bytes(merging: theirs) > budget {
                var sketch = sketchOf(mine)
                mine = ExactScores(columnCount: 0)
                theirs.forEachColumnRun { keys, stride, weights, rows in
                    sketch.add(keys: keys, stride: stride, weights: weights, rows: rows)
                }
                storage = .sketch(sketch)
            } else {
                mine.append(theirs, budget: budget)
                storage = .exact(mine)
            }
        case (.sketch(var mine), .exact(let theirs)):
            storage = .exact(ExactScores(columnCount: 0))
            theirs.forEachColumnRun { keys, stride, weights, rows in
                mine.add(keys: keys, stride: stride, weights: weights, rows: rows)
            }
            storage = .sketch(mine)
        case (.exact(let mine), .sketch(let theirs)):
            var sketch = ScoreSketch(columnCount: columnCount, budget: budget, cuts: cuts)
            mine.forEachColumnRun { keys, stride, weights, rows in
                sketch.add(keys: keys, stride: stride, weights: weights, rows: rows)
            }
            sketch.merge(theirs)
            storage = .sketch(sketch)
        case (.sketch(var mine), .sketch(let theirs)):
            storage = .exact(ExactScores(columnCount: 0))
            mine.merge(theirs)
            storage = .sketch(mine)
        }
    }

    /// A sketch of the exact form's rows, in their order.
    private func sketchOf(_ exact: ExactScores) -> ScoreSketch {
        var sketch = ScoreSketch(columnCount: columnCount, budget: budget, cuts: cuts)
        exact.forEachColumnRun { keys, stride, weights, rows in
            sketch.add(keys: keys, stride: stride, weights: weights, rows: rows)
        }
        return sketch
    }
}

/// Every row's keys, column by column, in merge order; weights in row order
/// once a row weighs other than 1.
struct ExactScores: Sendable {
    var columns: [[UInt64]]
    /// `nil` while every row weighs 1.
    var weights: [Double]?

    init(columnCount: Int) {
        columns = Array(repeating: [], count: columnCount)
    }

    var rowCount: Int { columns.first?.count ?? 0 }
    var bytes: Int { rowCount * 8 * (columns.count + (weights == nil ? 0 : 1)) }

    /// The bytes once `rows` more rows with `newWeights` are appended (weights are kept once any row weighs other than 1).
    func bytes(adding rows: Int, weights newWeights: UnsafePointer<Double>?) -> Int {
        let weighted = weights != nil || (newWeights.map { w in (0..<rows).contains { w[$0] != 1 } } ?? false)
        return (rowCount + rows) * 8 * (columns.count + (weighted ? 1 : 0))
    }

    /// The bytes once `other`'s rows are appended.
    func bytes(merging other: ExactScores) -> Int {
        (rowCount + other.rowCount) * 8 * (columns.count + (weights == nil && other.weights == nil ? 0 : 1))
    }

    /// Appends rows (within `budget`, which the caller has checked); arrays
    /// grow by doubling while small and straight to the budget's size once
    /// past an eighth of it, so that no copy near the budget doubles the memory.
    mutating func append(keys: UnsafePointer<UInt64>, stride: Int, weights newWeights: UnsafePointer<Double>?, rows: Int, budget: Int) {
        let before = rowCount
        let unit = newWeights.map { w in (0..<rows).allSatisfy { w[$0] == 1 } } ?? true
        let budgetRows = budget / 8 / (columns.count + (weights == nil && unit ? 0 : 1))
        for c in columns.indices {
            ExactScores.grow(&columns[c], to: before + rows, budgetRows: budgetRows)
            columns[c].append(contentsOf: UnsafeBufferPointer(start: keys + c * stride, count: rows))
        }
        if weights == nil && !unit {
            weights = []
            ExactScores.grow(&weights!, to: before + rows, budgetRows: budgetRows)
            weights!.append(contentsOf: repeatElement(1, count: before))
        }
        if weights != nil {
            ExactScores.grow(&weights!, to: before + rows, budgetRows: budgetRows)
            if let newWeights {
                weights!.append(contentsOf: UnsafeBufferPointer(start: newWeights, count: rows))
            } else {
                weights!.append(contentsOf: repeatElement(1, count: rows))
            }
        }
    }

    mutating func append(_ other: ExactScores, budget: Int) {
        other.forEachColumnRun { keys, stride, weights, rows in
            append(keys: keys, stride: stride, weights: weights, rows: rows, budget: budget)
        }
    }

    private static func grow<T>(_ array: inout [T], to needed: Int, budgetRows: Int) {
        guard needed > array.capacity else { return }
        array.reserveCapacity(needed > budgetRows / 8 ? Swift.max(needed, budgetRows) : Swift.max(needed, 2 * array.capacity))
    }

    /// Calls `body` with the rows as one column-major run (copying only when there are several columns).
    func forEachColumnRun(_ body: (UnsafePointer<UInt64>, Int, UnsafePointer<Double>?, Int) -> Void) {
        let rows = rowCount
        guard rows > 0 else { return }
        let joined: [UInt64] = columns.count == 1 ? columns[0] : columns.flatMap { $0 }
        joined.withUnsafeBufferPointer { keys in
            if let weights {
                weights.withUnsafeBufferPointer { body(keys.baseAddress!, rows, $0.baseAddress!, rows) }
            } else {
                body(keys.baseAddress!, rows, nil, rows)
            }
        }
    }
}

/// A fixed-size summary of a column's scores: a grid of buckets over [0, 1]
/// that follows the floating-point exponent (so that scores near 0, where a
/// rare class's rows live, get as fine a grid as scores near 1), each with
/// its positive and negative weight and its lowest and highest score.
///
/// A score below `2⁻⁴⁰` falls in bucket 0; otherwise its bucket is its
/// exponent (40 binades) and the top `m` bits of its mantissa, so buckets
/// are at most `2⁻ᵐ` of their score wide, relatively. `m` is the largest in
/// 4…14 that keeps the sketch within a quarter of the budget. A bucket's four
/// values lie side by side (one cache line per row added). Cut cells
/// (binary tasks) keep the weights between consecutive `cuts` exactly.
struct ScoreSketch: Sendable {
    static let binades = 40
    let mantissaBits: Int
    let bucketCount: Int
    let cuts: [Double]
    /// Per column, four values per bucket: positive weight, negative weight, lowest and highest score.
    var buckets: [[Double]]
    /// Per cut cell (`cuts.count + 1` cells, cell i holding `cuts[i−1] ≤ s < cuts[i]`), positive and negative weight.
    var cellPositive: [Double]
    var cellNegative: [Double]
    var rowCount = 0
    /// Where the search for a score's cut cell starts: entry i counts the cuts at or below `i / cellSteps`.
    private let cellStart: [Int]
    private static let cellSteps = 1024

    init(columnCount: Int, budget: Int, cuts: [Double]) {
        var m = 14
        while m > 4 && columnCount * ScoreSketch.bucketCount(m) * 32 > budget / 4 { m -= 1 }
        mantissaBits = m
        bucketCount = ScoreSketch.bucketCount(m)
        self.cuts = cuts
        var empty = [Double](repeating: 0, count: 4 * bucketCount)
        for b in 0..<bucketCount { empty[4 * b + 2] = .infinity; empty[4 * b + 3] = -.infinity }
        buckets = Array(repeating: empty, count: columnCount)
        cellPositive = Array(repeating: 0, count: cuts.isEmpty ? 0 : cuts.count + 1)
        cellNegative = cellPositive
        cellStart = (0...ScoreSketch.cellSteps).map { i in cuts.count { $0 <= Double(i) / Double(ScoreSketch.cellSteps) } }
    }

    static func bucketCount(_ m: Int) -> Int { 2 + (binades << m) }

    var bytes: Int { buckets.count * bucketCount * 32 + cellPositive.count * 16 }

    /// The bucket of a score in [0, 1] on a grid of `mantissaBits`; monotone in the score.
    @inline(__always)
    static func bucket(_ score: Double, mantissaBits: Int) -> Int {
        let bits = score.bitPattern
        let exponent = Int(truncatingIfNeeded: bits >> 52)
        let first = 1023 - ScoreSketch.binades
        guard exponent >= first else { return 0 }
        let mantissa = Int(truncatingIfNeeded: (bits & 0x000F_FFFF_FFFF_FFFF) >> UInt64(52 - mantissaBits))
        return 1 + ((exponent - first) << mantissaBits) + mantissa
    }

    mutating func add(keys: UnsafePointer<UInt64>, stride: Int, weights: UnsafePointer<Double>?, rows: Int) {
        rowCount += rows
        let m = mantissaBits
        for c in buckets.indices {
            let column = keys + c * stride
            buckets[c].withUnsafeMutableBufferPointer { values in
                for i in 0..<rows {
                    let key = column[i]
                    let score = Double(bitPattern: key >> 1)
                    let at = 4 * ScoreSketch.bucket(score, mantissaBits: m)
                    // Index 0 holds the positive weight, 1 the negative.
                    values[at + 1 - Int(truncatingIfNeeded: key & 1)] += weights?[i] ?? 1
                    if score < values[at + 2] { values[at + 2] = score }
                    if score > values[at + 3] { values[at + 3] = score }
                }
            }
        }
        guard !cuts.isEmpty else { return }
        let steps = Double(ScoreSketch.cellSteps)
        cuts.withUnsafeBufferPointer { cuts in
        cellStart.withUnsafeBufferPointer { start in
        cellPositive.withUnsafeMutableBufferPointer { cellPositive in
        cellNegative.withUnsafeMutableBufferPointer { cellNegative in
            for i in 0..<rows {
                let key = keys[i]
                let score = Double(bitPattern: key >> 1)
                // The number of cuts at or below the score: from the table's count at the step below, onwards.
                var k = start[score < 1 ? Int(score * steps) : ScoreSketch.cellSteps]
                while k < cuts.count && cuts[k] <= score { k += 1 }
                if key & 1 == 1 { cellPositive[k] += weights?[i] ?? 1 } else { cellNegative[k] += weights?[i] ?? 1 }
            }
        }}}}
    }

    mutating func merge(_ other: ScoreSketch) {
        precondition(other.mantissaBits == mantissaBits && other.buckets.count == buckets.count && other.cuts == cuts,
                     "merging sketches of different shapes")
        rowCount += other.rowCount
        for c in buckets.indices {
            other.buckets[c].withUnsafeBufferPointer { theirs in
                buckets[c].withUnsafeMutableBufferPointer { mine in
                    for at in Swift.stride(from: 0, to: mine.count, by: 4) {
                        mine[at] += theirs[at]
                        mine[at + 1] += theirs[at + 1]
                        mine[at + 2] = Swift.min(mine[at + 2], theirs[at + 2])
                        mine[at + 3] = Swift.max(mine[at + 3], theirs[at + 3])
                    }
                }
            }
        }
        for k in cellPositive.indices {
            cellPositive[k] += other.cellPositive[k]
            cellNegative[k] += other.cellNegative[k]
        }
    }
}
