/// A compact, mergeable copy of every row's score(s), label and weight: what
/// ranking needs (SPEC section 8) and what no running sum can hold.
///
/// A binary task keeps one column (the positive score `s`); a multiclass
/// task one column per class (`p_k`, one-vs-rest) and one more for the
/// headline of SPEC section 9 (the top-label confidence `c`, its key's label
/// bit `1[correct]`), which the sorted calibration estimators walk and
/// ranking leaves alone. Each entry is one 64-bit
/// key, `bits(score) << 1 | isPositive`: scores lie in [0, 1], whose bit
/// patterns order as the scores do, so sorting keys sorts scores. Weights
/// ride along with the keys of a chunk that has a row weighing other than
/// 1; rows of weight 0 are left out, as scikit-learn's `_binary_clf_curve`
/// drops them. Each column is a list of pieces grouped by a coarse grid of
/// the score (`ExactScores`), so ranking sorts one small bucket at a time.
///
/// **Exact** while its bytes stay within the budget: 8 bytes per row and
/// column (+8 with weights, +20 KiB per piece of up to 65,536 rows). Merging
/// appends in merge order, so a file audited in chunks on any number of
/// threads holds the same keys in the same order. **Beyond the budget** it turns (once, at the append or merge
/// that crosses it, which depends on the input's chunking only) into a
/// `ScoreSketch` of fixed size: memory stays bounded at any row count. The
/// spill comes before the rows that would cross the budget are copied in, so
/// the exact form never holds more than the budget.
/// Merging a sketch is exact bucket by bucket (sums in merge order).
public struct ScoreStore: Sendable {
    /// Columns per row: 1 for binary tasks, the class count plus the headline column otherwise.
    public let columnCount: Int
    /// The columns ranking walks: the first 1 (binary) or `K` (multiclass).
    public let rankedColumnCount: Int
    /// The column of the headline pairs of SPEC section 9: the positive
    /// score (binary, column 0) or the top-label confidence (multiclass, column `K`).
    public var headlineColumn: Int { columnCount - 1 }
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
        rankedColumnCount = shape.scoresPerRow
        columnCount = shape.scoresPerRow + (shape.task == .binary ? 0 : 1)
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
            let unit = weights.map { w in (0..<rows).allSatisfy { w[$0] == 1 } } ?? true
            if e.bytes + ExactScores.bytes(rows: rows, columns: columnCount, weighted: !unit) > budget {
                // Spill before growing: the exact form never holds (or copies) more than the budget.
                var sketch = ScoreSketch(columnCount: columnCount, budget: budget, cuts: cuts)
                sketch.absorb(e)
                e = ExactScores(columnCount: 0)
                sketch.add(keys: keys, stride: stride, weights: weights, rows: rows)
                storage = .sketch(sketch)
            } else {
                e.append(keys: keys, stride: stride, weights: unit ? nil : weights, rows: rows)
                storage = .exact(e)
            }
        case .sketch(var s):
            storage = .exact(ExactScores(columnCount: 0))
            s.add(keys: keys, stride: stride, weights: weights, rows: rows)
            storage = .sketch(s)
        }
    }

    /// Appends rows given as probabilities: `scores` holds `rankedColumnCount`
    /// values per row (binary: the positive score; multiclass: `p_k` for each
    /// class), each in [0, 1]; `labels` the class indices (binary: 1 is the
    /// positive class); `weights` one per row (`nil`: all 1). Rows of weight
    /// 0 are left out. A multiclass row's headline column is its top-label
    /// confidence (argmax, ties to the lowest index), as the audit keeps it.
    public mutating func append(scores: [Double], labels: [Int], weights: [Double]? = nil) {
        let k = rankedColumnCount
        precondition(scores.count == labels.count * k && (weights?.count ?? labels.count) == labels.count,
                     "one label, one weight and \(k) scores per row")
        let rows = labels.count
        var keys = [UInt64](repeating: 0, count: rows * columnCount)
        var kept: [Double] = []
        var n = 0
        for i in 0..<rows {
            let w = weights?[i] ?? 1
            if w == 0 { continue }
            var top = 0
            for c in 0..<k {
                let positive = k == 1 ? labels[i] == 1 : labels[i] == c
                keys[c * rows + n] = ScoreStore.key(score: scores[i * k + c], positive: positive)
                if scores[i * k + c] > scores[i * k + top] { top = c }
            }
            if columnCount > k { keys[k * rows + n] = ScoreStore.key(score: scores[i * k + top], positive: labels[i] == top) }
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
            if mine.bytes + theirs.bytes > budget {
                var sketch = ScoreSketch(columnCount: columnCount, budget: budget, cuts: cuts)
                sketch.absorb(mine)
                mine = ExactScores(columnCount: 0)
                sketch.absorb(theirs)
                storage = .sketch(sketch)
            } else {
                mine.append(theirs)
                storage = .exact(mine)
            }
        case (.sketch(var mine), .exact(let theirs)):
            storage = .exact(ExactScores(columnCount: 0))
            mine.absorb(theirs)
            storage = .sketch(mine)
        case (.exact(let mine), .sketch(let theirs)):
            var sketch = ScoreSketch(columnCount: columnCount, budget: budget, cuts: cuts)
            sketch.absorb(mine)
            sketch.merge(theirs)
            storage = .sketch(sketch)
        case (.sketch(var mine), .sketch(let theirs)):
            storage = .exact(ExactScores(columnCount: 0))
            mine.merge(theirs)
            storage = .sketch(mine)
        }
    }

}

/// Every row's keys, column by column, each column a list of pieces in
/// merge order; a piece holds its rows grouped by a coarse grid bucket of
/// the score (`ScoreGrid`, 5,122 buckets), rows in merge order within a
/// bucket, so that ranking sorts one small bucket at a time, in cache, and
/// merging never re-sorts: a chunk's piece is made by one counting sort, and
/// small pieces are joined bucket by bucket once they hold 65,536 rows together.
/// Weights ride along in the same order once a row weighs other than 1.
struct ExactScores: Sendable {
    /// One column's rows of one or more chunks, grouped by bucket.
    struct Piece: Sendable {
        var keys: [UInt64]
        /// `nil` while every row weighs 1.
        var weights: [Double]?
        /// Bucket b's rows are `starts[b]..<starts[b + 1]`.
        var starts: [UInt32]
        var count: Int { keys.count }
    }

    static let grid = ScoreGrid(mantissaBits: 7)
    /// Pieces smaller than this are joined with the next one.
    static let pieceRows = 1 << 16

    var columns: [[Piece]]
    var rowCount = 0
    var bytes = 0

    init(columnCount: Int) {
        columns = Array(repeating: [], count: columnCount)
    }

    /// Adds `rows` rows given column by column (`keys[c * stride + i]`).
    mutating func append(keys: UnsafePointer<UInt64>, stride: Int, weights: UnsafePointer<Double>?, rows: Int) {
        guard rows > 0 else { return }
        let unit = weights.map { w in (0..<rows).allSatisfy { w[$0] == 1 } } ?? true
        for c in columns.indices {
            add(ExactScores.piece(keys: keys + c * stride, weights: unit ? nil : weights, rows: rows), to: c)
        }
        rowCount += rows
    }

    mutating func append(_ other: ExactScores) {
        for c in columns.indices {
            for piece in other.columns[c] { add(piece, to: c) }
        }
        rowCount += other.rowCount
    }

    /// Adds rows to column `c` alone (the bootstrap's pseudo-rows, whose
    /// columns differ in length); column 0's rows count as the store's rows.
    mutating func append(column c: Int, keys: UnsafePointer<UInt64>, weights: UnsafePointer<Double>, rows: Int) {
        guard rows > 0 else { return }
        add(ExactScores.piece(keys: keys, weights: weights, rows: rows), to: c)
        if c == 0 { rowCount += rows }
    }

    /// Appends a piece to column c; once the small pieces at the end hold
    /// `pieceRows` rows (or number 16), they are joined into one, so each
    /// row is copied once more at most.
    private mutating func add(_ piece: Piece, to c: Int) {
        bytes += ExactScores.bytes(of: piece)
        columns[c].append(piece)
        var first = columns[c].count, small = 0
        while first > 0 && columns[c][first - 1].count < ExactScores.pieceRows {
            first -= 1
            small += columns[c][first].count
        }
        let run = columns[c].count - first
        guard run > 1 && (small >= ExactScores.pieceRows || run >= 16) else { return }
        let joined = ExactScores.join(columns[c][first...])
        for old in columns[c][first...] { bytes -= ExactScores.bytes(of: old) }
        bytes += ExactScores.bytes(of: joined)
        columns[c].removeSubrange(first...)
        columns[c].append(joined)
    }

    /// Each grid bucket's rows over `pieces` (one column's), summed through
    /// plain pointers so that the loop vectorises: the finish needs them once
    /// per walk, and 150 pieces of 5,122 buckets each, summed through array
    /// subscripts, cost milliseconds on the one thread that runs between reading and walking.
    static func bucketSizes(_ pieces: [Piece]) -> [Int] {
        withExtendedLifetime(pieces) { bucketSizes(PieceView.views(of: pieces)) }
    }

    /// ``bucketSizes(_:)`` of the pieces `views` point into.
    static func bucketSizes(_ views: [PieceView]) -> [Int] {
        let buckets = grid.bucketCount
        var sizes = [Int](repeating: 0, count: buckets)
        sizes.withUnsafeMutableBufferPointer { out in
            let total = out.baseAddress!
            for piece in views {
                let start = piece.starts
                for b in 0..<buckets { total[b] &+= Int(truncatingIfNeeded: start[b &+ 1] &- start[b]) }
            }
        }
        return sizes
    }

    /// The bytes `rows` new rows take as a piece per column.
    static func bytes(rows: Int, columns: Int, weighted: Bool) -> Int {
        columns * (rows * (weighted ? 16 : 8) + (grid.bucketCount + 1) * 4)
    }

    static func bytes(of piece: Piece) -> Int {
        piece.count * (piece.weights == nil ? 8 : 16) + piece.starts.count * 4
    }

    /// A chunk's keys grouped by bucket (a stable counting sort; each key's
    /// bucket found once, kept for the scatter in a `UInt16`, as the grid has
    /// fewer than 2¹⁶ buckets).
    static func piece(keys: UnsafePointer<UInt64>, weights: UnsafePointer<Double>?, rows: Int) -> Piece {
        let buckets = grid.bucketCount
        precondition(buckets <= 1 << 16, "a bucket index fits a UInt16")
        var starts = [UInt32](repeating: 0, count: buckets + 1)
        var sortedKeys = [UInt64](unsafeUninitializedCapacity: rows) { _, count in count = rows }
        var sortedWeights: [Double]? = weights == nil ? nil : [Double](unsafeUninitializedCapacity: rows) { _, count in count = rows }
        starts.withUnsafeMutableBufferPointer { start in
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: rows) { bucketOf in
                for i in 0..<rows {
                    let b = grid.bucket(key: keys[i])
                    bucketOf[i] = UInt16(truncatingIfNeeded: b)
                    start[b + 1] &+= 1
                }
                for b in 0..<buckets { start[b + 1] &+= start[b] }
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: buckets) { next in
                    _ = next.initialize(from: start[0..<buckets])
                    sortedKeys.withUnsafeMutableBufferPointer { out in
                        if let weights {
                            sortedWeights!.withUnsafeMutableBufferPointer { outWeights in
                                for i in 0..<rows {
                                    let b = Int(bucketOf[i])
                                    let j = Int(next[b])
                                    out[j] = keys[i]
                                    outWeights[j] = weights[i]
                                    next[b] = UInt32(j + 1)
                                }
                            }
                        } else {
                            for i in 0..<rows {
                                let b = Int(bucketOf[i])
                                let j = Int(next[b])
                                out[j] = keys[i]
                                next[b] = UInt32(j + 1)
                            }
                        }
                    }
                }
            }
        }
        return Piece(keys: sortedKeys, weights: sortedWeights, starts: starts)
    }

    /// Pieces as one: bucket by bucket, each piece's rows in turn. The
    /// pieces are read through pointers taken once (`PieceView`), so the
    /// loop over buckets and pieces retains and releases nothing, and a
    /// bucket's few rows of a piece are copied in a loop, not a call.
    static func join(_ pieces: ArraySlice<Piece>) -> Piece {
        let buckets = grid.bucketCount
        let total = pieces.reduce(0) { $0 + $1.count }
        let weighted = pieces.contains { $0.weights != nil }
        var keys = [UInt64](unsafeUninitializedCapacity: total) { _, count in count = total }
        var weights: [Double]? = weighted ? [Double](unsafeUninitializedCapacity: total) { _, count in count = total } : nil
        var starts = [UInt32](repeating: 0, count: buckets + 1)
        let views = PieceView.views(of: Array(pieces))
        withExtendedLifetime(pieces) {
            keys.withUnsafeMutableBufferPointer { keyBuffer in
            starts.withUnsafeMutableBufferPointer { startBuffer in
                let out = keyBuffer.baseAddress!, bounds = startBuffer.baseAddress!
                if weighted {
                    weights!.withUnsafeMutableBufferPointer { weightBuffer in
                        let outWeights = weightBuffer.baseAddress!
                        var at = 0
                        for bucket in 0..<buckets {
                            for piece in views {
                                let lower = Int(piece.starts[bucket]), upper = Int(piece.starts[bucket + 1])
                                for i in lower..<upper {
                                    out[at] = piece.keys[i]
                                    outWeights[at] = piece.weights?[i] ?? 1
                                    at &+= 1
                                }
                            }
                            bounds[bucket + 1] = UInt32(at)
                        }
                    }
                } else {
                    var at = 0
                    for bucket in 0..<buckets {
                        for piece in views {
                            let lower = Int(piece.starts[bucket]), upper = Int(piece.starts[bucket + 1])
                            for i in lower..<upper {
                                out[at] = piece.keys[i]
                                at &+= 1
                            }
                        }
                        bounds[bucket + 1] = UInt32(at)
                    }
                }
            }
            }
        }
        return Piece(keys: keys, weights: weights, starts: starts)
    }
}

/// A monotone grid over scores in [0, 1] that follows the floating-point
/// exponent (so that scores near 0, where a rare class's rows live, get as
/// fine a grid as scores near 1): a score below `2⁻⁴⁰` falls in bucket 0;
/// otherwise its bucket is its exponent (40 binades) and the top `m` bits of
/// its mantissa, so a bucket spans at most `2⁻ᵐ` of its scores, relatively.
struct ScoreGrid: Sendable, Hashable {
    static let binades = 40
    let mantissaBits: Int
    var bucketCount: Int { 2 + (ScoreGrid.binades << mantissaBits) }

    /// The bucket of a score in [0, 1]; −0 is +0's (`+ 0`, as `ScoreStore.key`), not a bucket past the grid.
    @inline(__always)
    func bucket(_ score: Double) -> Int {
        bucket(bits: (score + 0).bitPattern)
    }

    /// The bucket of a store key (`bits(score) << 1 | label`).
    @inline(__always)
    func bucket(key: UInt64) -> Int {
        bucket(bits: key >> 1)
    }

    @inline(__always)
    private func bucket(bits: UInt64) -> Int {
        let exponent = Int(truncatingIfNeeded: bits >> 52)
        let first = 1023 - ScoreGrid.binades
        guard exponent >= first else { return 0 }
        let mantissa = Int(truncatingIfNeeded: (bits & 0x000F_FFFF_FFFF_FFFF) >> UInt64(52 - mantissaBits))
        return 1 + ((exponent - first) << mantissaBits) + mantissa
    }
}

/// A fixed-size summary of a column's scores: a `ScoreGrid` of buckets
/// over [0, 1], each with its positive and negative weight and its lowest
/// and highest score. The grid's `m` is the largest in 4…14 that keeps the
/// sketch within a quarter of the budget. Cut cells (binary tasks) keep the
/// weights between consecutive `cuts` exactly.
struct ScoreSketch: Sendable {
    let grid: ScoreGrid
    let bucketCount: Int
    let cuts: [Double]
    /// Per column: positive weight, negative weight, lowest and highest score of each bucket.
    var positive: [[Double]]
    var negative: [[Double]]
    var lowest: [[Double]]
    var highest: [[Double]]
    /// Per cut cell (`cuts.count + 1` cells, cell i holding `cuts[i−1] ≤ s < cuts[i]`), positive and negative weight.
    var cellPositive: [Double]
    var cellNegative: [Double]
    var rowCount = 0

    init(columnCount: Int, budget: Int, cuts: [Double]) {
        var m = 14
        while m > 4 && columnCount * ScoreGrid(mantissaBits: m).bucketCount * 32 > budget / 4 { m -= 1 }
        grid = ScoreGrid(mantissaBits: m)
        bucketCount = grid.bucketCount
        self.cuts = cuts
        positive = Array(repeating: Array(repeating: 0, count: bucketCount), count: columnCount)
        negative = positive
        lowest = Array(repeating: Array(repeating: .infinity, count: bucketCount), count: columnCount)
        highest = Array(repeating: Array(repeating: -.infinity, count: bucketCount), count: columnCount)
        cellPositive = Array(repeating: 0, count: cuts.isEmpty ? 0 : cuts.count + 1)
        cellNegative = cellPositive
    }

    var bytes: Int { positive.count * bucketCount * 32 + cellPositive.count * 16 }

    /// The cut cell of a score: the number of cuts at or below it.
    @inline(__always)
    func cell(_ score: Double) -> Int {
        var low = 0, high = cuts.count
        while low < high {
            let mid = (low + high) / 2
            if cuts[mid] <= score { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Adds rows given column by column (`keys[c * stride + i]`).
    mutating func add(keys: UnsafePointer<UInt64>, stride: Int, weights: UnsafePointer<Double>?, rows: Int) {
        rowCount += rows
        for c in positive.indices { add(column: c, keys: keys + c * stride, weights: weights, rows: rows) }
    }

    /// Adds every row of an exact store.
    mutating func absorb(_ exact: ExactScores) {
        rowCount += exact.rowCount
        for c in exact.columns.indices {
            for piece in exact.columns[c] {
                piece.keys.withUnsafeBufferPointer { keys in
                    piece.weights.withUnsafeBufferPointerIfPresent { weights in
                        add(column: c, keys: keys.baseAddress!, weights: weights?.baseAddress, rows: piece.count)
                    }
                }
            }
        }
    }

    private mutating func add(column c: Int, keys: UnsafePointer<UInt64>, weights: UnsafePointer<Double>?, rows: Int) {
        let grid = grid
        let cutting = c == 0 && !cuts.isEmpty
        for i in 0..<rows {
            let key = keys[i]
            let score = Double(bitPattern: key >> 1)
            let w = weights?[i] ?? 1
            let b = grid.bucket(key: key)
            if key & 1 == 1 { positive[c][b] += w } else { negative[c][b] += w }
            if score < lowest[c][b] { lowest[c][b] = score }
            if score > highest[c][b] { highest[c][b] = score }
            if cutting {
                let k = cell(score)
                if key & 1 == 1 { cellPositive[k] += w } else { cellNegative[k] += w }
            }
        }
    }

    mutating func merge(_ other: ScoreSketch) {
        precondition(other.grid == grid && other.positive.count == positive.count && other.cuts == cuts,
                     "merging sketches of different shapes")
        rowCount += other.rowCount
        for c in positive.indices {
            for b in 0..<bucketCount {
                positive[c][b] += other.positive[c][b]
                negative[c][b] += other.negative[c][b]
                lowest[c][b] = Swift.min(lowest[c][b], other.lowest[c][b])
                highest[c][b] = Swift.max(highest[c][b], other.highest[c][b])
            }
        }
        for k in cellPositive.indices {
            cellPositive[k] += other.cellPositive[k]
            cellNegative[k] += other.cellNegative[k]
        }
    }
}
