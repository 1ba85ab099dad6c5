/// DeLong's test for the difference of two correlated ROC AUCs (SPEC section 11).
///
/// For `m` positive rows with scores `X` and `n` negative rows with scores
/// `Y`, each model's placement values are
/// `V10_i = (#{Y < X_i} + ½#{Y = X_i}) / n` (one per positive) and
/// `V01_j = (#{X > Y_j} + ½#{X = Y_j}) / m` (one per negative), so
/// `AUC = mean V10 = mean V01` with ties counted half. With `S10`, `S01` the
/// 2×2 sample covariance matrices (divisor `m − 1`, `n − 1`) of the two
/// models' placements,
/// `Var(AUC_c − AUC_b) = (S10_bb + S10_cc − 2 S10_bc)/m + (S01_bb + S01_cc − 2 S01_bc)/n`,
/// `z = (AUC_c − AUC_b)/√Var` and `p = 2Φ(−|z|)`.
///
/// Placements come from each class's sorted scores by one merge walk
/// (Sun & Xu 2014's O(n log n) form of DeLong's midranks), not the O(m·n) pairs.
///
/// Weights: DeLong's variance is that of an unweighted U-statistic, so the test
/// counts every row once, whatever its weight; rows of weight 0 are left out
/// (they are no part of the sample, as for the audit's curves). With weights the
/// test's AUCs are the unweighted ones and may differ from the report's.
///
/// Edge cases: fewer than two positive or two negative rows gives no test
/// (`nil`); a zero variance gives `z = 0, p = 1` when the AUCs are equal
/// (identical rankings) and no test otherwise.
/// Reference: DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44(3):837–845;
/// Sun & Xu (2014), IEEE Signal Processing Letters 21(11); pROC's `roc.test(method = "delong")`.
public struct DeLongTest: Sendable, Hashable {
    public let baselineAUC: Double
    public let candidateAUC: Double
    /// Positive and negative rows the test counted.
    public let positives: Int
    public let negatives: Int
    /// `(AUC_c − AUC_b)/√Var`.
    public let z: Double
    /// Two-sided normal p-value.
    public let p: Double

    /// The test for rows with `positive[i]` and the two models' scores (rows of weight 0 already left out).
    public static func test(positive: [Bool], baseline: [Double], candidate: [Double]) -> DeLongTest? {
        precondition(positive.count == baseline.count && positive.count == candidate.count, "one label and two scores per row")
        var keys = Keys()
        for i in positive.indices {
            if positive[i] {
                keys.baselinePositive.append(orderKey(baseline[i]))
                keys.candidatePositive.append(orderKey(candidate[i]))
            } else {
                keys.baselineNegative.append(orderKey(baseline[i]))
                keys.candidateNegative.append(orderKey(candidate[i]))
            }
        }
        return test(&keys)
    }

    /// Both models' scores as `orderKey`s, the positive rows' and the negative
    /// rows' apart, each in row order (the same rows for both models).
    public struct Keys: Sendable {
        public var baselinePositive: [UInt64] = [], baselineNegative: [UInt64] = []
        public var candidatePositive: [UInt64] = [], candidateNegative: [UInt64] = []
        public init() {}
        public init(baselinePositive: [UInt64], baselineNegative: [UInt64], candidatePositive: [UInt64], candidateNegative: [UInt64]) {
            self.baselinePositive = baselinePositive
            self.baselineNegative = baselineNegative
            self.candidatePositive = candidatePositive
            self.candidateNegative = candidateNegative
        }
    }

    /// The test from the models' keys, which are sorted in place (their order
    /// is lost); each model's placements are a task of `runner` (the same test
    /// without one).
    public static func test(_ keys: inout Keys, runner: RankingRunner? = nil) -> DeLongTest? {
        let m = keys.baselinePositive.count
        let n = keys.baselineNegative.count
        precondition(keys.candidatePositive.count == m && keys.candidateNegative.count == n, "both models score the same rows")
        guard m >= 2 && n >= 2 else { return nil }
        let b: (positive: [Double], negative: [Double]), c: (positive: [Double], negative: [Double])
        if let runner {
            // Moved into the tasks' slots, so that each sorts its keys in place.
            let models = ModelSlots(baseline: (keys.baselinePositive, keys.baselineNegative),
                                    candidate: (keys.candidatePositive, keys.candidateNegative))
            keys = Keys()
            runner(2) { model in models.run(model) }
            b = models.placements(0)
            c = models.placements(1)
        } else {
            b = placements(positive: &keys.baselinePositive, negative: &keys.baselineNegative)
            c = placements(positive: &keys.candidatePositive, negative: &keys.candidateNegative)
        }
        let aucB = mean(b.positive), aucC = mean(c.positive)
        let s10 = covariance(b.positive, c.positive), s01 = covariance(b.negative, c.negative)
        let variance = (s10.xx + s10.yy - 2 * s10.xy) / Double(m) + (s01.xx + s01.yy - 2 * s01.xy) / Double(n)
        let delta = aucC - aucB
        if !(variance > 0) {
            guard delta == 0 else { return nil }
            return DeLongTest(baselineAUC: aucB, candidateAUC: aucC, positives: m, negatives: n, z: 0, p: 1)
        }
        let z = delta / variance.squareRoot()
        return DeLongTest(baselineAUC: aucB, candidateAUC: aucC, positives: m, negatives: n, z: z, p: SpecialFunctions.normalTwoSidedP(z: z))
    }

    /// `V10` (in the positives' row order) and `V01` (in the negatives'):
    /// each class's keys radix-sorted in place with their row (`RadixSort`),
    /// then one merge walk over both sorted lists counts, for each run of
    /// equal scores, the other class's scores below and equal to it. O(m + n) after the sorts.
    static func placements(positive xKeys: inout [UInt64], negative yKeys: inout [UInt64]) -> (positive: [Double], negative: [Double]) {
        let m = xKeys.count, n = yKeys.count
        var xRows = (0..<m).map(Double.init), yRows = (0..<n).map(Double.init)
        xKeys.withUnsafeMutableBufferPointer { k in xRows.withUnsafeMutableBufferPointer { RadixSort.sort(k.baseAddress!, payload: $0.baseAddress!, count: m, runner: nil) } }
        yKeys.withUnsafeMutableBufferPointer { k in yRows.withUnsafeMutableBufferPointer { RadixSort.sort(k.baseAddress!, payload: $0.baseAddress!, count: n, runner: nil) } }
        var v10 = [Double](repeating: 0, count: m), v01 = [Double](repeating: 0, count: n)
        // Each positive: the negatives below it and equal to it.
        walk(xKeys, xRows, against: yKeys) { row, below, equal in v10[row] = (Double(below) + 0.5 * Double(equal)) / Double(n) }
        // Each negative: the positives above it and equal to it.
        walk(yKeys, yRows, against: xKeys) { row, below, equal in v01[row] = (Double(m - below - equal) + 0.5 * Double(equal)) / Double(m) }
        return (v10, v01)
    }

    /// A key that orders as the double does (sign bit flipped for positive
    /// values, every bit for negative ones); −0 is keyed as +0, which it equals.
    public static func orderKey(_ x: Double) -> UInt64 {
        let bits = (x + 0.0).bitPattern
        return bits >> 63 == 1 ? ~bits : bits | (1 << 63)
    }

    /// For each run of equal keys of `sorted` (ascending, rows in `rows`),
    /// how many of `others` (ascending) are below the run's key and equal to it.
    private static func walk(_ sorted: [UInt64], _ rows: [Double], against others: [UInt64],
                             _ place: (_ row: Int, _ below: Int, _ equal: Int) -> Void) {
        var below = 0
        var i = 0
        while i < sorted.count {
            let key = sorted[i]
            while below < others.count && others[below] < key { below += 1 }
            var end = below
            while end < others.count && others[end] == key { end += 1 }
            var j = i
            while j < sorted.count && sorted[j] == key {
                place(Int(rows[j]), below, end - below)
                j += 1
            }
            i = j
        }
    }

    static func mean(_ x: [Double]) -> Double {
        var sum = CompensatedSum()
        for v in x { sum.add(v) }
        return sum.value / Double(x.count)
    }

    /// Sample variances and covariance (divisor `count − 1`) of paired values.
    static func covariance(_ x: [Double], _ y: [Double]) -> (xx: Double, yy: Double, xy: Double) {
        let mx = mean(x), my = mean(y)
        var xx = CompensatedSum(), yy = CompensatedSum(), xy = CompensatedSum()
        for i in x.indices {
            let dx = x[i] - mx, dy = y[i] - my
            xx.add(dx * dx)
            yy.add(dy * dy)
            xy.add(dx * dy)
        }
        let d = Double(x.count - 1)
        return (xx.value / d, yy.value / d, xy.value / d)
    }
}

/// The two models' keys and placements while `DeLongTest.test(_:runner:)`
/// runs them as two tasks: task `i` takes keys `i` (leaving them empty, so
/// that it sorts them in place) and writes placements `i`; neither is touched
/// by the other task, and the caller reads the placements after both.
private final class ModelSlots: @unchecked Sendable {
    typealias Placements = (positive: [Double], negative: [Double])
    private let keys = UnsafeMutablePointer<(positive: [UInt64], negative: [UInt64])>.allocate(capacity: 2)
    private let results = UnsafeMutablePointer<Placements?>.allocate(capacity: 2)

    init(baseline: (positive: [UInt64], negative: [UInt64]), candidate: (positive: [UInt64], negative: [UInt64])) {
        keys.initialize(to: baseline)
        (keys + 1).initialize(to: candidate)
        results.initialize(repeating: nil, count: 2)
    }
    deinit {
        keys.deinitialize(count: 2)
        keys.deallocate()
        results.deinitialize(count: 2)
        results.deallocate()
    }

    func run(_ model: Int) {
        var side = (positive: [UInt64](), negative: [UInt64]())
        swap(&side, &keys[model])
        results[model] = DeLongTest.placements(positive: &side.positive, negative: &side.negative)
    }

    func placements(_ model: Int) -> Placements { results[model]! }
}
