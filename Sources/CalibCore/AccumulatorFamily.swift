/// One row as the audit's families see it, derived once per row by the fused
/// loop of ``AuditAccumulator`` and shared by every family: the label `y`, the
/// weight `w`, the class probabilities `p_k` and log-probabilities `ln p_k`
/// (valid for this row only), the top label (argmax, ties to the lowest index)
/// and its probability, and the positive score `s = p_1` (binary tasks; 0 otherwise).
///
/// `classCount` is the loop's `k`: a compile-time 2 in the binary
/// specialisation, so a family's per-class loops unroll there too.
struct RowContext {
    let label: Int
    let weight: Double
    let classCount: Int
    let probabilities: UnsafeMutablePointer<Double>
    let logProbabilities: UnsafeMutablePointer<Double>
    let top: Int
    let topProbability: Double
    let positiveScore: Double
    /// True on the probability path (scores clipped to `[ε, 1]` before the logarithm).
    let clipped: Bool
}

/// The room one family takes in a chunk's scratch: `doubles` plain sums
/// (and any per-row working room the family documents) and `counts` integers.
struct ScratchLayout: Hashable {
    var doubles = 0
    var counts = 0

    /// Reserves room for `other` after what is already reserved; returns where it starts.
    @inline(__always)
    mutating func reserve(_ other: ScratchLayout) -> (sums: Int, counts: Int) {
        defer { doubles += other.doubles; counts += other.counts }
        return (doubles, counts)
    }
}

/// A family's totals as plain numbers, in the order its type documents: the
/// stable form a state leaves the process in (merge shards, resume later).
/// A ``CompensatedSum`` is stored as its two parts, running sum then compensation.
public struct FamilyState: Sendable, Hashable {
    public var doubles: [Double] = []
    public var counts: [Int] = []

    mutating func append(_ sum: CompensatedSum) { doubles.append(sum.sum); doubles.append(sum.compensation) }

    /// Why a state cannot be read back into a family: it holds fewer or more
    /// numbers than the family's layout (other class count, bins or losses).
    public enum Malformed: Error, Sendable, Hashable {
        case tooShort
        case tooLong
    }

    /// Reads a state back in its documented order.
    struct Reader {
        let state: FamilyState
        var doubleAt = 0
        var countAt = 0

        mutating func sum() throws(Malformed) -> CompensatedSum {
            guard doubleAt + 2 <= state.doubles.count else { throw .tooShort }
            var sum = CompensatedSum()
            sum.sum = state.doubles[doubleAt]
            sum.compensation = state.doubles[doubleAt + 1]
            doubleAt += 2
            return sum
        }

        mutating func count() throws(Malformed) -> Int {
            guard countAt < state.counts.count else { throw .tooShort }
            defer { countAt += 1 }
            return state.counts[countAt]
        }

        mutating func sums(_ n: Int) throws(Malformed) -> [CompensatedSum] {
            var sums: [CompensatedSum] = []
            sums.reserveCapacity(n)
            for _ in 0..<n { sums.append(try sum()) }
            return sums
        }

        mutating func counts(_ n: Int) throws(Malformed) -> [Int] {
            var counts: [Int] = []
            counts.reserveCapacity(n)
            for _ in 0..<n { counts.append(try count()) }
            return counts
        }
    }
}

/// Context a family's result may need beyond its own sums.
struct FamilyResultContext {
    /// `W`, the weight of all rows.
    let totalWeight: Double
    /// `W_k` per class.
    let classWeights: [Double]
    let classNames: [String]
}

/// A mergeable family of sums of the audit's single pass (SPEC section 3).
///
/// Per chunk the fused loop gives each family its slice of a flat scratch
/// (``scratchLayout``, zeroed), calls ``accumulate(_:sums:counts:)`` once per row
/// with the shared ``RowContext``, then ``fold(sums:counts:)`` adds the plain
/// sums into compensated totals. ``merge(_:)`` adds another chunk's totals (in
/// chunk order, so results do not depend on the worker count); ``result(_:)``
/// finishes. The loop calls concrete families, so `accumulate` is inlined and
/// statically dispatched: no existential per row.
protocol AccumulatorFamily: Sendable {
    associatedtype Result
    /// Room this family needs in a chunk's scratch.
    var scratchLayout: ScratchLayout { get }
    /// Adds one row to the chunk's plain sums (this family's slice of the scratch).
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>)
    /// Adds a chunk's plain sums into the compensated totals.
    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>)
    /// The first way `other` sums something else, or `nil` when the two merge.
    func mismatch(with other: Self) -> MergeMismatch?
    /// Adds another family's totals; callers check `mismatch(with:)` first.
    mutating func merge(_ other: Self)
    /// The totals as plain numbers (layout documented by each family).
    var state: FamilyState { get }
    /// Replaces the totals with the next ones of `reader`, in ``state``'s layout.
    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed)
    func result(_ context: FamilyResultContext) -> Result
}

extension AccumulatorFamily {
    /// This family (its settings and layout) with the totals of `state`, which
    /// must hold exactly this layout's numbers.
    func restoring(_ state: FamilyState) throws(FamilyState.Malformed) -> Self {
        var family = self
        var reader = FamilyState.Reader(state: state)
        try family.read(&reader)
        guard reader.doubleAt == state.doubles.count && reader.countAt == state.counts.count else { throw .tooLong }
        return family
    }
}

extension ReliabilityBins {
    /// Adds one row to a bin table's plain sums (`counts[b]`, and at `4b` the
    /// weight, weighted value, weighted outcome and squared weight).
    @inline(__always)
    static func accumulate(value: Double, outcome: Double, weight w: Double, binCount: Int,
                           sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        let b = binIndex(of: value, binCount: binCount)
        counts[b] &+= 1
        let s = sums + 4 * b
        s[0] += w
        s[1] += w * value
        s[2] += w * outcome
        s[3] += w * w
    }

    /// The table's totals: `counts` per bin; `doubles` per bin the weight,
    /// weighted value, weighted outcome and squared weight, each as two parts.
    var state: FamilyState {
        var state = FamilyState(counts: counts)
        for b in 0..<binCount {
            state.append(weights[b]); state.append(predicted[b]); state.append(observed[b]); state.append(weightSquares[b])
        }
        return state
    }

    var scratchLayout: ScratchLayout { ScratchLayout(doubles: 4 * binCount, counts: binCount) }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        counts = try reader.counts(binCount)
        for b in 0..<binCount {
            weights[b] = try reader.sum(); predicted[b] = try reader.sum()
            observed[b] = try reader.sum(); weightSquares[b] = try reader.sum()
        }
    }
}

/// The top-label reliability table: each row's top probability binned against
/// whether the top label is right (Guo et al. 2017's confidence/accuracy diagram).
struct TopLabelFamily: AccumulatorFamily {
    var bins: ReliabilityBins

    init(binCount: Int) { bins = ReliabilityBins(binCount: binCount) }

    var scratchLayout: ScratchLayout { bins.scratchLayout }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        ReliabilityBins.accumulate(value: row.topProbability, outcome: row.top == row.label ? 1 : 0, weight: row.weight,
                                   binCount: bins.binCount, sums: sums, counts: counts)
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) { bins.fold(counts: counts, sums: sums) }

    func mismatch(with other: TopLabelFamily) -> MergeMismatch? {
        other.bins.binCount == bins.binCount ? nil : .setting(name: "bins", expected: "\(bins.binCount)", found: "\(other.bins.binCount)")
    }

    mutating func merge(_ other: TopLabelFamily) { bins.merge(other.bins) }

    /// ``ReliabilityBins``' state.
    var state: FamilyState { bins.state }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) { try bins.read(&reader) }

    func result(_ context: FamilyResultContext) -> ReliabilityTable { bins.table(totalWeight: context.totalWeight) }
}

/// One reliability table per class: `p_k` binned against `1[y = k]`. For a
/// binary task class 1's table is the positive-class table.
struct ClasswiseFamily: AccumulatorFamily {
    let binCount: Int
    var classes: [ReliabilityBins]

    init(classCount: Int, binCount: Int) {
        self.binCount = binCount
        classes = Array(repeating: ReliabilityBins(binCount: binCount), count: classCount)
    }

    /// Class `c`'s bins start at `4·B·c` (sums) and `B·c` (counts).
    var scratchLayout: ScratchLayout { ScratchLayout(doubles: 4 * binCount * classes.count, counts: binCount * classes.count) }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        let bins = binCount
        let p = row.probabilities
        for c in 0..<row.classCount {
            ReliabilityBins.accumulate(value: p[c], outcome: c == row.label ? 1 : 0, weight: row.weight, binCount: bins,
                                       sums: sums + 4 * bins * c, counts: counts + bins * c)
        }
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) {
        for c in classes.indices {
            classes[c].fold(counts: counts + binCount * c, sums: sums + 4 * binCount * c)
        }
    }

    func mismatch(with other: ClasswiseFamily) -> MergeMismatch? {
        if other.classes.count != classes.count { return .classCount(expected: classes.count, found: other.classes.count) }
        return other.binCount == binCount ? nil : .setting(name: "bins", expected: "\(binCount)", found: "\(other.binCount)")
    }

    mutating func merge(_ other: ClasswiseFamily) {
        for c in classes.indices { classes[c].merge(other.classes[c]) }
    }

    /// Each class's ``ReliabilityBins`` state, class after class.
    var state: FamilyState {
        var state = FamilyState()
        for table in classes {
            let s = table.state
            state.doubles += s.doubles
            state.counts += s.counts
        }
        return state
    }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        for c in classes.indices { try classes[c].read(&reader) }
    }

    func result(_ context: FamilyResultContext) -> [ReliabilityTable] {
        classes.map { $0.table(totalWeight: context.totalWeight) }
    }
}

/// Per class `k`: the rows `n_k`, the weight `W_k = Σ_{y_i=k} w_i` and the
/// weighted cross-entropy `Σ_{y_i=k} w_i (−ln p_i[k])` (SPEC section 3's per-class table).
struct ClassTotalsFamily: AccumulatorFamily {
    var rows: [Int]
    var weights: [CompensatedSum]
    var crossEntropy: [CompensatedSum]

    init(classCount: Int) {
        rows = Array(repeating: 0, count: classCount)
        weights = Array(repeating: CompensatedSum(), count: classCount)
        crossEntropy = weights
    }

    /// Sums: `W_k` at `k`, then the cross-entropy at `K + k`; counts: `n_k` at `k`.
    var scratchLayout: ScratchLayout { ScratchLayout(doubles: 2 * rows.count, counts: rows.count) }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        let y = row.label, w = row.weight
        counts[y] &+= 1
        sums[y] += w
        sums[row.classCount + y] += w * -row.logProbabilities[y]
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) {
        let k = rows.count
        for c in 0..<k {
            rows[c] += counts[c]
            weights[c].add(sums[c])
            crossEntropy[c].add(sums[k + c])
        }
    }

    func mismatch(with other: ClassTotalsFamily) -> MergeMismatch? {
        other.rows.count == rows.count ? nil : .classCount(expected: rows.count, found: other.rows.count)
    }

    mutating func merge(_ other: ClassTotalsFamily) {
        for c in rows.indices {
            weights[c].merge(other.weights[c])
            rows[c] += other.rows[c]
            crossEntropy[c].merge(other.crossEntropy[c])
        }
    }

    /// `counts`: `n_k`; `doubles`: the `W_k`, then the cross-entropy sums, each as two parts.
    var state: FamilyState {
        var state = FamilyState(counts: rows)
        for sum in weights { state.append(sum) }
        for sum in crossEntropy { state.append(sum) }
        return state
    }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        rows = try reader.counts(rows.count)
        weights = try reader.sums(rows.count)
        crossEntropy = try reader.sums(rows.count)
    }

    /// `W_k` per class, `n_k` per class, the summed cross-entropy per class.
    func result(_ context: FamilyResultContext) -> (weights: [Double], rows: [Int], crossEntropy: [Double]) {
        (weights.map(\.value), rows, crossEntropy.map(\.value))
    }
}

/// The weighted confusion matrix: row `y_i`, column the decision (binary:
/// `1[s ≥ threshold]`; otherwise the top label).
struct ConfusionFamily: AccumulatorFamily {
    let classCount: Int
    let threshold: Double
    var cells: [CompensatedSum]

    init(classCount: Int, threshold: Double) {
        self.classCount = classCount
        self.threshold = threshold
        cells = Array(repeating: CompensatedSum(), count: classCount * classCount)
    }

    /// Sums: cell `(y, ŷ)` at `y·K + ŷ`; no counts.
    var scratchLayout: ScratchLayout { ScratchLayout(doubles: classCount * classCount, counts: 0) }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        let k = row.classCount
        let decided = k == 2 ? (row.positiveScore >= threshold ? 1 : 0) : row.top
        sums[row.label * k + decided] += row.weight
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) {
        for j in cells.indices { cells[j].add(sums[j]) }
    }

    func mismatch(with other: ConfusionFamily) -> MergeMismatch? {
        if other.classCount != classCount { return .classCount(expected: classCount, found: other.classCount) }
        return other.threshold == threshold ? nil : .setting(name: "threshold", expected: "\(threshold)", found: "\(other.threshold)")
    }

    mutating func merge(_ other: ConfusionFamily) {
        for j in cells.indices { cells[j].merge(other.cells[j]) }
    }

    /// `doubles`: the cells row by row, each as two parts; no counts.
    var state: FamilyState {
        var state = FamilyState()
        for sum in cells { state.append(sum) }
        return state
    }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        cells = try reader.sums(cells.count)
    }

    func result(_ context: FamilyResultContext) -> ConfusionMatrix {
        ConfusionMatrix(classCount: classCount, counts: cells.map(\.value))
    }
}
