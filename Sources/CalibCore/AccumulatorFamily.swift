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
    /// The row's soft targets (`classCount` values in class order), or `nil`
    /// when the input has none (SPEC section 13; `SoftTargetFamily`).
    var targets: UnsafePointer<Double>? = nil
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
/// A ``CompensatedSum`` is stored as its two parts, running sum then
/// compensation; every double is kept as its exact value, and two states are
/// equal when their doubles have the same bit patterns (so a state with a NaN
/// or a −0 equals itself and only itself). `texts` holds the few strings a
/// family keeps (the worst rows' ids; `nil` for a row without one).
public struct FamilyState: Sendable, Hashable {
    public var doubles: [Double]
    public var counts: [Int]
    public var texts: [String?]

    public init(doubles: [Double] = [], counts: [Int] = [], texts: [String?] = []) {
        self.doubles = doubles
        self.counts = counts
        self.texts = texts
    }

    mutating func append(_ sum: CompensatedSum) { doubles.append(sum.sum); doubles.append(sum.compensation) }

    /// Appends `other`'s numbers after this state's (a family made of families).
    mutating func append(_ other: FamilyState) {
        doubles += other.doubles
        counts += other.counts
        texts += other.texts
    }

    public static func == (a: FamilyState, b: FamilyState) -> Bool {
        a.counts == b.counts && a.texts == b.texts && a.doubles.count == b.doubles.count
            && zip(a.doubles, b.doubles).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(counts)
        hasher.combine(texts)
        hasher.combine(doubles.count)
        for x in doubles { hasher.combine(x.bitPattern) }
    }

    /// Why a state cannot be read back into a family: it holds fewer or more
    /// numbers than the family's layout (other class count, bins or losses),
    /// or a number the family can never hold (a negative count, more worst
    /// rows than the limit, worst rows out of rank order).
    public enum Malformed: Error, Sendable, Hashable {
        case tooShort
        case tooLong
        case outOfRange
    }

    /// Reads a state back in its documented order.
    struct Reader {
        let state: FamilyState
        var doubleAt = 0
        var countAt = 0
        var textAt = 0

        /// Whether every number and text has been read.
        var isAtEnd: Bool { doubleAt == state.doubles.count && countAt == state.counts.count && textAt == state.texts.count }

        mutating func sum() throws(Malformed) -> CompensatedSum {
            guard doubleAt + 2 <= state.doubles.count else { throw .tooShort }
            var sum = CompensatedSum()
            sum.sum = state.doubles[doubleAt]
            sum.compensation = state.doubles[doubleAt + 1]
            doubleAt += 2
            return sum
        }

        mutating func double() throws(Malformed) -> Double {
            guard doubleAt < state.doubles.count else { throw .tooShort }
            defer { doubleAt += 1 }
            return state.doubles[doubleAt]
        }

        /// The next count; every count a family keeps is at least 0.
        mutating func count() throws(Malformed) -> Int {
            guard countAt < state.counts.count else { throw .tooShort }
            guard state.counts[countAt] >= 0 else { throw .outOfRange }
            defer { countAt += 1 }
            return state.counts[countAt]
        }

        mutating func text() throws(Malformed) -> String? {
            guard textAt < state.texts.count else { throw .tooShort }
            defer { textAt += 1 }
            return state.texts[textAt]
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

/// Where a family's per-row formulas put a row's terms: the chunk's scratch
/// (`ScratchSink`: `sums[slot] += value`), or the bootstrap's log of the row's
/// nonzero terms (`TermLog`), which the replicates scale by the row's Poisson
/// counts. One formula per term, whichever the sink: the estimate and the
/// replicates cannot disagree on what a row adds. Slots are the scratch's;
/// a family adds its `SlotBase` to its own.
protocol TermSink {
    /// Adds `value` to the sum at `slot`.
    mutating func addSum(_ value: Double, at slot: Int)
    /// Adds `value` to the count at `slot`.
    mutating func addCount(_ value: Int, at slot: Int)
}

/// Where a family's slice of a scratch starts.
struct SlotBase {
    var sums: Int
    var counts: Int

    static let zero = SlotBase(sums: 0, counts: 0)

    @inline(__always)
    func advanced(by offset: (sums: Int, counts: Int)) -> SlotBase { SlotBase(sums: sums &+ offset.sums, counts: counts &+ offset.counts) }
}

/// The chunk's scratch as a `TermSink`: plain `+=` into its slots.
struct ScratchSink: TermSink {
    let sums: UnsafeMutablePointer<Double>
    let counts: UnsafeMutablePointer<Int>

    @inline(__always) mutating func addSum(_ value: Double, at slot: Int) { sums[slot] += value }
    @inline(__always) mutating func addCount(_ value: Int, at slot: Int) { counts[slot] &+= value }
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
        guard reader.isAtEnd else { throw .tooLong }
        return family
    }
}

extension ReliabilityBins {
    /// Adds one row to a bin table's plain sums (`counts[b]`, and at `4b` the
    /// weight, weighted value, weighted outcome and squared weight).
    @inline(__always)
    static func addTerms<Sink: TermSink>(value: Double, outcome: Double, weight w: Double, binCount: Int,
                                         to sink: inout Sink, at base: SlotBase) {
        // Slots are small offsets into a scratch: wrapping arithmetic, no overflow checks per row.
        let b = binIndex(of: value, binCount: binCount)
        sink.addCount(1, at: base.counts &+ b)
        let s = base.sums &+ 4 &* b
        sink.addSum(w, at: s)
        sink.addSum(w * value, at: s &+ 1)
        sink.addSum(w * outcome, at: s &+ 2)
        sink.addSum(w * w, at: s &+ 3)
    }

    /// The slots of a bin table's scratch that sum the squared weight `w²`
    /// (`4b + 3`): the only ones not linear in a row's weight.
    static func squaredWeightSlots(binCount: Int) -> [Int] { (0..<binCount).map { 4 * $0 + 3 } }

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
        var sink = ScratchSink(sums: sums, counts: counts)
        addTerms(row, to: &sink, at: .zero)
    }

    @inline(__always)
    func addTerms<Sink: TermSink>(_ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        ReliabilityBins.addTerms(value: row.topProbability, outcome: row.top == row.label ? 1 : 0, weight: row.weight,
                                 binCount: bins.binCount, to: &sink, at: base)
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
        var sink = ScratchSink(sums: sums, counts: counts)
        addTerms(row, to: &sink, at: .zero)
    }

    @inline(__always)
    func addTerms<Sink: TermSink>(_ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        for c in 0..<row.classCount { addTerms(ofClass: c, row, to: &sink, at: base) }
    }

    /// Class `c`'s table's terms of the row: `p_c` binned against `1[y = c]`.
    @inline(__always)
    func addTerms<Sink: TermSink>(ofClass c: Int, _ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        let bins = binCount
        ReliabilityBins.addTerms(value: row.probabilities[c], outcome: c == row.label ? 1 : 0, weight: row.weight, binCount: bins,
                                 to: &sink, at: base.advanced(by: (4 &* bins &* c, bins &* c)))
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
        for table in classes { state.append(table.state) }
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
        var sink = ScratchSink(sums: sums, counts: counts)
        addTerms(row, to: &sink, at: .zero)
    }

    @inline(__always)
    func addTerms<Sink: TermSink>(_ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        let y = row.label, w = row.weight
        sink.addCount(1, at: base.counts &+ y)
        sink.addSum(w, at: base.sums &+ y)
        sink.addSum(w * -row.logProbabilities[y], at: base.sums &+ row.classCount &+ y)
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
        var sink = ScratchSink(sums: sums, counts: counts)
        addTerms(row, to: &sink, at: .zero)
    }

    @inline(__always)
    func addTerms<Sink: TermSink>(_ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        sink.addSum(row.weight, at: base.sums &+ row.label &* row.classCount &+ decision(row))
    }

    /// The row's decided class: its column.
    @inline(__always)
    func decision(_ row: RowContext) -> Int {
        row.classCount == 2 ? (row.positiveScore >= threshold ? 1 : 0) : row.top
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

/// The audit's scalar sums (SPEC section 3): the rows `n`, the clipped rows,
/// and the weighted sums
/// ```
/// W = Σ w_i        CE = Σ w_i (−ln p_i[y_i])        Brier = Σ w_i b_i
/// conf = Σ w_i c_i        Wc = Σ_{c_i ≥ t} w_i        Wcw = Σ_{c_i ≥ t, top_i ≠ y_i} w_i        S = Σ w_i s_i
/// ```
/// with `c_i` the top probability, `t` = `confidentAt`, `b_i = (s_i − y_i)²`
/// (binary) or `Σ_k (p_ik − 1[y_i = k])²`, and `s_i` the positive score (binary only).
/// A row counts as clipped on the probability path when `p_i[y_i] < ε`.
///
/// The fused loop keeps a `Running` copy in registers and stores it into
/// this family's scratch slots once per chunk; `accumulate(_:sums:counts:)`
/// is the same per-row step on the scratch, for callers without registers to spare.
struct ScalarTotalsFamily: AccumulatorFamily {
    let confidentAt: Double
    var rows = 0
    var clippedRows = 0
    var totalWeight = CompensatedSum()
    var crossEntropy = CompensatedSum()
    var brier = CompensatedSum()
    var confidence = CompensatedSum()
    var confidentWeight = CompensatedSum()
    var confidentWrongWeight = CompensatedSum()
    var positiveScore = CompensatedSum()

    init(confidentAt: Double) { self.confidentAt = confidentAt }

    /// The inline bytes of the totals (2 counts, 7 sums), leaving out the `confidentAt` copy.
    static var totalsBytes: Int { 2 * MemoryLayout<Int>.stride + 7 * MemoryLayout<CompensatedSum>.stride }

    /// One chunk's plain sums, held as local values by the fused loop.
    struct Running {
        var rows = 0, clipped = 0
        var weight = 0.0, crossEntropy = 0.0, brier = 0.0, confidence = 0.0
        var confident = 0.0, confidentWrong = 0.0, positive = 0.0

        init() {}

        /// Adds one row's terms.
        @inline(__always)
        mutating func add(_ row: RowContext, confidentAt: Double) {
            let y = row.label, w = row.weight, p = row.probabilities
            if row.clipped && p[y] < probabilityFloor { clipped &+= 1 }
            let ce = -row.logProbabilities[y]
            rows &+= 1
            weight += w
            crossEntropy += w * ce
            if row.classCount == 2 {
                let d = row.positiveScore - (y == 1 ? 1.0 : 0.0)
                brier += w * d * d
                positive += w * row.positiveScore
            } else {
                var b = 0.0
                for c in 0..<row.classCount {
                    let d = p[c] - (c == y ? 1.0 : 0.0)
                    b += d * d
                }
                brier += w * b
            }
            confidence += w * row.topProbability
            if row.topProbability >= confidentAt {
                confident += w
                if row.top != y { confidentWrong += w }
            }
        }

        /// Writes the sums into a scratch slice.
        @inline(__always)
        func store(sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
            counts[0] = rows; counts[1] = clipped
            sums[0] = weight; sums[1] = crossEntropy; sums[2] = brier; sums[3] = confidence
            sums[4] = confident; sums[5] = confidentWrong; sums[6] = positive
        }
    }

    /// Sums: `W`, CE, Brier, conf, `Wc`, `Wcw`, `S` at 0…6; counts: `n`, clipped.
    var scratchLayout: ScratchLayout { ScratchLayout(doubles: 7, counts: 2) }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        var sink = ScratchSink(sums: sums, counts: counts)
        addTerms(row, to: &sink, at: .zero)
    }

    /// One row's terms, found by `Running`'s step from zero (so each is exactly the term).
    @inline(__always)
    func addTerms<Sink: TermSink>(_ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        var running = Running()
        running.add(row, confidentAt: confidentAt)
        let c = base.counts, s = base.sums
        sink.addCount(running.rows, at: c); sink.addCount(running.clipped, at: c + 1)
        sink.addSum(running.weight, at: s); sink.addSum(running.crossEntropy, at: s + 1); sink.addSum(running.brier, at: s + 2)
        sink.addSum(running.confidence, at: s + 3); sink.addSum(running.confident, at: s + 4)
        sink.addSum(running.confidentWrong, at: s + 5); sink.addSum(running.positive, at: s + 6)
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) {
        rows += counts[0]
        clippedRows += counts[1]
        totalWeight.add(sums[0])
        crossEntropy.add(sums[1])
        brier.add(sums[2])
        confidence.add(sums[3])
        confidentWeight.add(sums[4])
        confidentWrongWeight.add(sums[5])
        positiveScore.add(sums[6])
    }

    func mismatch(with other: ScalarTotalsFamily) -> MergeMismatch? {
        other.confidentAt == confidentAt ? nil
            : .setting(name: "confidentAt", expected: "\(confidentAt)", found: "\(other.confidentAt)")
    }

    mutating func merge(_ other: ScalarTotalsFamily) {
        rows += other.rows
        clippedRows += other.clippedRows
        totalWeight.merge(other.totalWeight)
        crossEntropy.merge(other.crossEntropy)
        brier.merge(other.brier)
        confidence.merge(other.confidence)
        confidentWeight.merge(other.confidentWeight)
        confidentWrongWeight.merge(other.confidentWrongWeight)
        positiveScore.merge(other.positiveScore)
    }

    /// `counts`: `n`, clipped; `doubles`: `W`, CE, Brier, conf, `Wc`, `Wcw`, `S`, each as two parts.
    var state: FamilyState {
        var state = FamilyState(counts: [rows, clippedRows])
        for sum in [totalWeight, crossEntropy, brier, confidence, confidentWeight, confidentWrongWeight, positiveScore] {
            state.append(sum)
        }
        return state
    }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        rows = try reader.count()
        clippedRows = try reader.count()
        guard clippedRows <= rows else { throw .outOfRange }
        totalWeight = try reader.sum()
        crossEntropy = try reader.sum()
        brier = try reader.sum()
        confidence = try reader.sum()
        confidentWeight = try reader.sum()
        confidentWrongWeight = try reader.sum()
        positiveScore = try reader.sum()
    }

    /// The compensated values, for ``AuditAccumulator/result(classNames:)``.
    struct Totals {
        let rows: Int
        let clippedRows: Int
        let totalWeight, crossEntropy, brier, confidence, confidentWeight, confidentWrongWeight, positiveScore: Double
    }

    func result(_ context: FamilyResultContext) -> Totals {
        Totals(rows: rows, clippedRows: clippedRows, totalWeight: totalWeight.value, crossEntropy: crossEntropy.value,
               brier: brier.value, confidence: confidence.value, confidentWeight: confidentWeight.value,
               confidentWrongWeight: confidentWrongWeight.value, positiveScore: positiveScore.value)
    }
}
