#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One walk down a ranking, from the highest threshold to the lowest,
/// visiting each distinct threshold once with the cumulative weights of the
/// positive (`tp`) and negative (`fp`) rows at or above it; everything of
/// SPEC section 8 is read off on the way, in O(1) per point:
///
/// - ROC AUC as the trapezoids between consecutive points (tied scores thus
///   count half), `Σ (FP_j − FP_{j−1})(TP_j + TP_{j−1}) / 2 / (P·N)`;
/// - average precision `Σ (TP_j − TP_{j−1}) · TP_j / (TP_j + FP_j) / P`;
/// - the operating points (first point reaching each target, or the best so
///   far with strict improvement, so ties keep the highest threshold);
/// - the counts at the sweep's and the Bayes threshold (`cuts`);
/// - the cheapest threshold and a decimated copy of both curves.
///
/// A point that stands for several distinct scores (a sketch's bucket,
/// `spread`) counts its pairs half in the AUC, which the unknown order
/// inside it can change by at most `ΔTP·ΔFP / 2` pairs; its average
/// precision term is estimated by the rows mixed evenly and bounded by the
/// orders that put its positives first or last (`spreadPrecisionContribution`).
struct RankingWalk {
    let positives: Double
    let negatives: Double
    let settings: RankingSettings
    /// Whether to find operating points, cuts, costs and curves (binary positive column) or AUC and AP only.
    let full: Bool

    private var tp = 0.0, fp = 0.0
    private var auc = CompensatedSum(), ap = CompensatedSum()
    private var aucSlack = CompensatedSum(), apSlack = CompensatedSum()
    private var precisionPoints: [(tp: Double, fp: Double, threshold: Double)?]
    private var fprPoints: [(tp: Double, fp: Double, threshold: Double)?]
    private var topPoints: [(tp: Double, fp: Double, threshold: Double)?]
    private let topOrder: [Int]
    private var nextTop = 0
    private let cutsDescending: [Double]
    private var cutCounts: [(tp: Double, fp: Double)] = []
    private var bestCost: (value: Double, threshold: Double)
    private var roc: [CurvePoint] = []
    private var pr: [CurvePoint] = []
    // Cheap guards, so that most points skip the operating points' loops.
    private let lowestPrecisionTarget: Double
    private let highestFPRWeight: Double
    private var nextTopWeight = Double.infinity
    private var nextCut = -Double.infinity
    private var nextCurveTP = 0.0, nextCurveFP = 0.0
    private let curveStepTP: Double, curveStepFP: Double

    init(positives: Double, negatives: Double, settings: RankingSettings, cuts: [Double], full: Bool) {
        self.positives = positives
        self.negatives = negatives
        self.settings = settings
        self.full = full
        precisionPoints = Array(repeating: nil, count: full ? settings.precisionTargets.count : 0)
        fprPoints = Array(repeating: nil, count: full ? settings.fprTargets.count : 0)
        topPoints = Array(repeating: nil, count: full ? settings.topFractions.count : 0)
        topOrder = full ? settings.topFractions.indices.sorted { settings.topFractions[$0] < settings.topFractions[$1] } : []
        cutsDescending = full ? cuts.sorted(by: >) : []
        // Flagging nothing (threshold +∞) costs B·P.
        bestCost = (settings.costs.map { $0.falseNegative * positives } ?? 0, .infinity)
        lowestPrecisionTarget = full ? settings.precisionTargets.min() ?? .infinity : .infinity
        // A prefilter only (the test itself divides, as scikit-learn does): a little above the largest target's weight.
        // Without positives every TPR is undefined, so no point is the best: the entries stay undefined.
        highestFPRWeight = full && negatives > 0 && positives > 0 ? (settings.fprTargets.max() ?? -1) * negatives * (1 + 1e-9) : -1
        if let first = topOrder.first { nextTopWeight = settings.topFractions[first] * (positives + negatives) }
        if let first = cutsDescending.first { nextCut = first }
        curveStepTP = positives / curveResolution
        curveStepFP = negatives / curveResolution
        if full { roc.append(CurvePoint(x: 0, y: 0)) }
    }

    /// Chart points are kept when the true- or false-positive rate moved by at least `1 / curveResolution`.
    private let curveResolution = 400.0

    /// The next distinct threshold, below every one visited, with the cumulative weights at or above it.
    @inline(__always)
    mutating func visit(threshold: Double, tp newTP: Double, fp newFP: Double, spread: Bool) {
        let dTP = newTP - tp, dFP = newFP - fp
        if dFP != 0 { auc.add(dFP * (newTP + tp)) }
        let flagged = newTP + newFP
        let precision = flagged > 0 ? newTP / flagged : 0
        if spread {
            aucSlack.add(dTP * dFP)
            if dTP != 0 {
                let contribution = spreadPrecisionContribution(dTP: dTP, dFP: dFP)
                ap.add(contribution.estimate)
                apSlack.add(contribution.slack)
            }
        } else if dTP != 0 {
            ap.add(dTP * precision)
        }
        if full {
            if threshold < nextCut { passCuts(below: threshold) }
            if precision >= lowestPrecisionTarget { visitPrecisionTargets(threshold: threshold, tp: newTP, fp: newFP, precision: precision) }
            if newFP <= highestFPRWeight { visitFPRTargets(threshold: threshold, tp: newTP, fp: newFP) }
            if flagged >= nextTopWeight { visitTop(threshold: threshold, tp: newTP, fp: newFP) }
            if let costs = settings.costs {
                let cost = costs.falsePositive * newFP + costs.falseNegative * (positives - newTP)
                if cost < bestCost.value { bestCost = (cost, threshold) }
            }
            if newTP >= nextCurveTP || newFP >= nextCurveFP { keepCurvePoint(tp: newTP, fp: newFP, precision: precision) }
        }
        tp = newTP
        fp = newFP
    }

    /// What a point standing for several scores (a sketch's bucket, adding
    /// `dTP` and `dFP` after `tp`, `fp`) adds to `Σ ΔTP · precision`, and how
    /// far the truth can lie from it. Whatever the order inside the bucket,
    /// each positive step ends at some `t ∈ (tp, tp + dTP]` with between `fp`
    /// and `fp + dFP` negatives flagged, so the contribution lies between the
    /// integral `∫ t/(t + fp + dFP) dt` over `[tp, tp + dTP]` (a right sum of
    /// an increasing function is at least its integral) and
    /// `dTP · (tp + dTP)/(tp + dTP + fp)` (every precision at most that). The
    /// estimate is the integral along the straight path (rows mixed evenly),
    /// `dTP · (r + (p₀ − r) · ln(1 + x)/x)` with `p₀ = tp/(tp + fp)`,
    /// `r = dTP/(dTP + dFP)` and `x = (dTP + dFP)/(tp + fp)`; the slack is its
    /// larger distance to the two ends.
    private func spreadPrecisionContribution(dTP: Double, dFP: Double) -> (estimate: Double, slack: Double) {
        let start = tp + fp, step = dTP + dFP
        let r = dTP / step
        var estimate = dTP * r
        if start > 0 {
            let x = step / start
            estimate = dTP * (r + (tp / start - r) * (log1p(x) / x))
        }
        let upper = dTP * ((tp + dTP) / (tp + dTP + fp))
        let negatives = fp + dFP
        let lower = negatives > 0 ? dTP - negatives * log1p(dTP / (tp + negatives)) : dTP
        estimate = Swift.min(Swift.max(estimate, lower), upper) // rounding only
        return (estimate, Swift.max(upper - estimate, estimate - lower, 0))
    }

    /// Cuts above this threshold flag what the previous points flagged.
    private mutating func passCuts(below threshold: Double) {
        while cutCounts.count < cutsDescending.count && cutsDescending[cutCounts.count] > threshold {
            cutCounts.append((tp, fp))
        }
        nextCut = cutCounts.count < cutsDescending.count ? cutsDescending[cutCounts.count] : -.infinity
    }

    /// Recall only grows down the walk, so the best point for a target is
    /// the last one reaching it, except that equal recalls keep the first
    /// (highest) threshold.
    private mutating func visitPrecisionTargets(threshold: Double, tp newTP: Double, fp newFP: Double, precision: Double) {
        for (i, target) in settings.precisionTargets.enumerated() where precision >= target {
            if precisionPoints[i].map({ newTP > $0.tp }) ?? true { precisionPoints[i] = (newTP, newFP, threshold) }
        }
    }

    private mutating func visitFPRTargets(threshold: Double, tp newTP: Double, fp newFP: Double) {
        let rate = newFP / negatives
        for (i, target) in settings.fprTargets.enumerated() where rate <= target {
            if fprPoints[i].map({ newTP > $0.tp }) ?? true { fprPoints[i] = (newTP, newFP, threshold) }
        }
    }

    private mutating func visitTop(threshold: Double, tp newTP: Double, fp newFP: Double) {
        let total = positives + negatives
        while nextTop < topOrder.count && newTP + newFP >= settings.topFractions[topOrder[nextTop]] * total {
            topPoints[topOrder[nextTop]] = (newTP, newFP, threshold)
            nextTop += 1
        }
        nextTopWeight = nextTop < topOrder.count ? settings.topFractions[topOrder[nextTop]] * total : .infinity
    }

    private mutating func keepCurvePoint(tp newTP: Double, fp newFP: Double, precision: Double) {
        let x = negatives > 0 ? newFP / negatives : 0, y = positives > 0 ? newTP / positives : 0
        roc.append(CurvePoint(x: x, y: y))
        pr.append(CurvePoint(x: y, y: precision))
        nextCurveTP = curveStepTP > 0 ? newTP + curveStepTP : .infinity
        nextCurveFP = curveStepFP > 0 ? newFP + curveStepFP : .infinity
    }

    /// AUC and average precision (NaN when undefined) and their error bounds.
    func areas() -> (rocAUC: Double, averagePrecision: Double, slack: Double) {
        let pairs = positives * negatives
        let rocAUC = pairs > 0 ? auc.value / 2 / pairs : .nan
        let averagePrecision = positives > 0 ? ap.value / positives : .nan
        let aucError = pairs > 0 ? aucSlack.value / 2 / pairs : 0
        let apError = positives > 0 ? apSlack.value / positives : 0
        return (rocAUC, averagePrecision, Swift.max(aucError, apError))
    }

    /// The operating points, counts at each cut (descending order of `cuts`), cost and curves, once every point is visited.
    mutating func finish() -> (precision: [RecallAtPrecision], fpr: [RecallAtFPR], top: [RecallAtTop],
                               cuts: [Double: (tp: Double, fp: Double)], cost: (value: Double, threshold: Double),
                               roc: [CurvePoint], pr: [CurvePoint]) {
        while cutCounts.count < cutsDescending.count { cutCounts.append((tp, fp)) }
        let p = positives, n = negatives, total = p + n
        let precision = settings.precisionTargets.enumerated().map { i, target in
            precisionPoints.indices.contains(i) ? precisionPoints[i].map {
                RecallAtPrecision(target: target, recall: p > 0 ? $0.tp / p : .nan, precision: $0.tp / ($0.tp + $0.fp), threshold: $0.threshold)
            } ?? RecallAtPrecision(target: target, recall: .nan, precision: .nan, threshold: .nan) : RecallAtPrecision(target: target, recall: .nan, precision: .nan, threshold: .nan)
        }
        let fpr = settings.fprTargets.enumerated().map { i, target in
            (fprPoints.indices.contains(i) ? fprPoints[i] : nil).map {
                RecallAtFPR(target: target, recall: p > 0 ? $0.tp / p : .nan, fpr: $0.fp / n, threshold: $0.threshold)
            } ?? RecallAtFPR(target: target, recall: .nan, fpr: .nan, threshold: .nan)
        }
        let top = settings.topFractions.enumerated().map { i, fraction in
            (topPoints.indices.contains(i) ? topPoints[i] : nil).map {
                RecallAtTop(fraction: fraction, flaggedFraction: ($0.tp + $0.fp) / total, recall: p > 0 ? $0.tp / p : .nan,
                            precision: $0.tp / ($0.tp + $0.fp), threshold: $0.threshold)
            } ?? RecallAtTop(fraction: fraction, flaggedFraction: .nan, recall: .nan, precision: .nan, threshold: .nan)
        }
        var cuts: [Double: (tp: Double, fp: Double)] = [:]
        for (cut, counts) in zip(cutsDescending, cutCounts) { cuts[cut] = counts }
        var roc = self.roc, pr = self.pr
        if full, let last = roc.last, last.x != 1 || last.y != 1, total > 0 {
            roc.append(CurvePoint(x: n > 0 ? fp / n : 0, y: p > 0 ? tp / p : 0))
        }
        if full { pr.append(CurvePoint(x: 0, y: 1)) }
        return (precision, fpr, top, cuts, bestCost, roc, pr)
    }
}

extension ScoreStore {
    /// The ranking section of SPEC section 8 for `classCount` classes.
    ///
    /// Sorts each exact column (MSD radix sort, O(N) passes) and walks it
    /// once from the highest score down; a sketch walks its buckets instead.
    /// Both give the same result for any chunking and thread count, because
    /// the keys (and sketch sums) are in merge order and equal keys are
    /// summed in sorted order.
    public func ranking(settings: RankingSettings) -> RankingMetrics {
        var copy = self
        return copy.takeRanking(settings: settings)
    }

    /// The ranking, sorting the exact store's columns in place: no copy of
    /// the scores is made, and the store is left empty.
    public mutating func takeRanking(settings: RankingSettings) -> RankingMetrics {
        switch storage {
        case .exact(var exact):
            // Released from the store first, so that the sort permutes the columns without copying them.
            storage = .exact(ExactScores(columnCount: 0))
            return ScoreStore.rankExact(&exact, columnCount: columnCount, settings: settings, cuts: cuts)
        case .sketch(let sketch):
            storage = .exact(ExactScores(columnCount: 0))
            return ScoreStore.rankSketch(sketch, columnCount: columnCount, settings: settings)
        }
    }

    /// What one column's walk gives.
    struct ColumnRanking {
        var rocAUC: Double
        var averagePrecision: Double
        var slack: Double
        var positives: Double
        var negatives: Double
    }

    private static func rankExact(_ exact: inout ExactScores, columnCount: Int, settings: RankingSettings, cuts: [Double]) -> RankingMetrics {
        var perClass: [ClassRanking] = []
        var columns: [ColumnRanking] = []
        var binary: (walk: RankingWalk, positives: Double, negatives: Double)?
        for c in 0..<columnCount {
            // Moved out, not copied: the sort permutes the store's own column (and a copy of the weights while other columns need them).
            var keys: [UInt64] = []
            swap(&keys, &exact.columns[c])
            var weights = exact.weights
            if c == columnCount - 1 { exact.weights = nil }
            RadixSort.sort(&keys, payload: &weights)
            let walked = keys.withUnsafeBufferPointer { k in
                weights.withUnsafeBufferPointerIfPresent { w in
                    walkExact(keys: k, weights: w, settings: settings, cuts: cuts, full: columnCount == 1)
                }
            }
            columns.append(walked.column)
            if columnCount == 1 {
                binary = (walked.walk, walked.column.positives, walked.column.negatives)
                // The negative class, ranked by 1 − s: the same keys read upwards.
                let negative = keys.withUnsafeBufferPointer { k in
                    weights.withUnsafeBufferPointerIfPresent { w in walkComplement(keys: k, weights: w, settings: settings) }
                }
                perClass = [ClassRanking(rocAUC: negative.rocAUC, averagePrecision: negative.averagePrecision),
                            ClassRanking(rocAUC: walked.column.rocAUC, averagePrecision: walked.column.averagePrecision)]
                columns.append(negative)
            } else {
                perClass.append(ClassRanking(rocAUC: walked.column.rocAUC, averagePrecision: walked.column.averagePrecision))
            }
        }
        return assemble(perClass: perClass, columns: columns, binary: binary, exactCuts: nil, settings: settings, exact: true)
    }

    /// Walks one sorted column from its highest key down.
    private static func walkExact(keys: UnsafeBufferPointer<UInt64>, weights: UnsafeBufferPointer<Double>?, settings: RankingSettings,
                                  cuts: [Double], full: Bool) -> (column: ColumnRanking, walk: RankingWalk) {
        let (p, n) = totals(keys: keys, weights: weights, positiveBit: 1)
        var walk = RankingWalk(positives: p, negatives: n, settings: settings, cuts: cuts, full: full)
        var i = keys.count
        if let weights {
            // Totals were summed in this same order, so the last point is exactly (P, N).
            var tp = CompensatedSum(), fp = CompensatedSum()
            while i > 0 {
                let score = keys[i - 1] >> 1
                repeat {
                    i -= 1
                    if keys[i] & 1 == 1 { tp.add(weights[i]) } else { fp.add(weights[i]) }
                } while i > 0 && keys[i - 1] >> 1 == score
                walk.visit(threshold: Double(bitPattern: score), tp: tp.value, fp: fp.value, spread: false)
            }
        } else {
            // Unit weights: counts, exact in integers.
            var tp = 0, fp = 0
            while i > 0 {
                let score = keys[i - 1] >> 1
                repeat {
                    i -= 1
                    let positive = Int(truncatingIfNeeded: keys[i] & 1)
                    tp &+= positive
                    fp &+= 1 &- positive
                } while i > 0 && keys[i - 1] >> 1 == score
                walk.visit(threshold: Double(bitPattern: score), tp: Double(tp), fp: Double(fp), spread: false)
            }
        }
        let areas = walk.areas()
        return (ColumnRanking(rocAUC: areas.rocAUC, averagePrecision: areas.averagePrecision, slack: areas.slack,
                              positives: p, negatives: n), walk)
    }

    /// The positive and negative weight of a sorted column, summed from the
    /// highest key down (`positiveBit`: the label bit of a positive row) or,
    /// for the complement, upwards.
    private static func totals(keys: UnsafeBufferPointer<UInt64>, weights: UnsafeBufferPointer<Double>?, positiveBit: UInt64) -> (Double, Double) {
        guard let weights else {
            var ones = 0
            for key in keys { ones &+= Int(truncatingIfNeeded: key & 1) }
            let positives = positiveBit == 1 ? ones : keys.count - ones
            return (Double(positives), Double(keys.count - positives))
        }
        var p = CompensatedSum(), n = CompensatedSum()
        if positiveBit == 1 {
            for i in stride(from: keys.count - 1, through: 0, by: -1) {
                if keys[i] & 1 == 1 { p.add(weights[i]) } else { n.add(weights[i]) }
            }
        } else {
            for i in 0..<keys.count {
                if keys[i] & 1 == 0 { p.add(weights[i]) } else { n.add(weights[i]) }
            }
        }
        return (p.value, n.value)
    }

    /// The binary negative class: rows ranked by `1 − s` (ascending `s`,
    /// ties in `1 − s` grouped even where distinct `s` round to one value),
    /// a row being positive when its label bit is 0.
    private static func walkComplement(keys: UnsafeBufferPointer<UInt64>, weights: UnsafeBufferPointer<Double>?, settings: RankingSettings) -> ColumnRanking {
        let (p, n) = totals(keys: keys, weights: weights, positiveBit: 0)
        var walk = RankingWalk(positives: p, negatives: n, settings: settings, cuts: [], full: false)
        var i = 0
        if let weights {
            var tp = CompensatedSum(), fp = CompensatedSum()
            while i < keys.count {
                let complement = 1 - Double(bitPattern: keys[i] >> 1)
                repeat {
                    if keys[i] & 1 == 0 { tp.add(weights[i]) } else { fp.add(weights[i]) }
                    i += 1
                } while i < keys.count && 1 - Double(bitPattern: keys[i] >> 1) == complement
                walk.visit(threshold: complement, tp: tp.value, fp: fp.value, spread: false)
            }
        } else {
            var tp = 0, fp = 0
            while i < keys.count {
                let complement = 1 - Double(bitPattern: keys[i] >> 1)
                repeat {
                    let negative = Int(truncatingIfNeeded: keys[i] & 1)
                    fp &+= negative
                    tp &+= 1 &- negative
                    i += 1
                } while i < keys.count && 1 - Double(bitPattern: keys[i] >> 1) == complement
                walk.visit(threshold: complement, tp: Double(tp), fp: Double(fp), spread: false)
            }
        }
        let areas = walk.areas()
        return ColumnRanking(rocAUC: areas.rocAUC, averagePrecision: areas.averagePrecision, slack: areas.slack,
                             positives: p, negatives: n)
    }

    private static func rankSketch(_ sketch: ScoreSketch, columnCount: Int, settings: RankingSettings) -> RankingMetrics {
        var perClass: [ClassRanking] = []
        var columns: [ColumnRanking] = []
        var binary: (walk: RankingWalk, positives: Double, negatives: Double)?
        var exact = true
        for c in 0..<columnCount {
            let count = sketch.bucketCount
            var positive = [Double](repeating: 0, count: count), negative = positive, lowest = positive, highest = positive
            let values = sketch.buckets[c]
            for b in 0..<count {
                positive[b] = values[4 * b]; negative[b] = values[4 * b + 1]
                lowest[b] = values[4 * b + 2]; highest[b] = values[4 * b + 3]
            }
            var p = CompensatedSum(), n = CompensatedSum()
            for b in stride(from: sketch.bucketCount - 1, through: 0, by: -1) { p.add(positive[b]); n.add(negative[b]) }
            var walk = RankingWalk(positives: p.value, negatives: n.value, settings: settings, cuts: [], full: columnCount == 1)
            var tp = CompensatedSum(), fp = CompensatedSum()
            for b in stride(from: sketch.bucketCount - 1, through: 0, by: -1) where lowest[b] <= highest[b] {
                tp.add(positive[b]); fp.add(negative[b])
                let spread = lowest[b] < highest[b]
                if spread { exact = false }
                walk.visit(threshold: lowest[b], tp: tp.value, fp: fp.value, spread: spread)
            }
            let areas = walk.areas()
            let column = ColumnRanking(rocAUC: areas.rocAUC, averagePrecision: areas.averagePrecision, slack: areas.slack,
                                       positives: p.value, negatives: n.value)
            columns.append(column)
            if columnCount == 1 {
                binary = (walk, p.value, n.value)
                // The negative class: buckets upwards, each a tie in 1 − s unless it spans several values of
                // 1 − s. Neighbouring buckets whose scores differ but round to one 1 − s (the highest score
                // of one, the lowest of the next) tie as well, as in the exact store: they form one point.
                var negativeWalk = RankingWalk(positives: n.value, negatives: p.value, settings: settings, cuts: [], full: false)
                var ntp = CompensatedSum(), nfp = CompensatedSum()
                var group: (top: Double, bottom: Double)? // 1 − s of the pending point's lowest and highest score
                for b in 0..<sketch.bucketCount where lowest[b] <= highest[b] {
                    let top = 1 - lowest[b], bottom = 1 - highest[b]
                    if let pending = group, pending.bottom != top {
                        negativeWalk.visit(threshold: pending.bottom, tp: ntp.value, fp: nfp.value, spread: pending.top != pending.bottom)
                        group = nil
                    }
                    ntp.add(negative[b]); nfp.add(positive[b])
                    group = (group?.top ?? top, bottom)
                }
                if let pending = group {
                    negativeWalk.visit(threshold: pending.bottom, tp: ntp.value, fp: nfp.value, spread: pending.top != pending.bottom)
                }
                let negativeAreas = negativeWalk.areas()
                let negativeColumn = ColumnRanking(rocAUC: negativeAreas.rocAUC, averagePrecision: negativeAreas.averagePrecision,
                                                   slack: negativeAreas.slack, positives: n.value, negatives: p.value)
                columns.append(negativeColumn)
                perClass = [ClassRanking(rocAUC: negativeColumn.rocAUC, averagePrecision: negativeColumn.averagePrecision),
                            ClassRanking(rocAUC: column.rocAUC, averagePrecision: column.averagePrecision)]
            } else {
                perClass.append(ClassRanking(rocAUC: column.rocAUC, averagePrecision: column.averagePrecision))
            }
        }
        // The cuts' counts come from the exact cells: flagging s ≥ cuts[i] flags cells i+1…. The totals
        // the unflagged counts are taken from continue the same sums (cell 0 last), so that no count is
        // negative by rounding (the buckets' totals sum the same weights in another order).
        var exactCuts: CutCounts?
        if !sketch.cuts.isEmpty {
            var counts: [Double: (tp: Double, fp: Double)] = [:]
            var tp = CompensatedSum(), fp = CompensatedSum()
            for i in stride(from: sketch.cuts.count - 1, through: 0, by: -1) {
                tp.add(sketch.cellPositive[i + 1]); fp.add(sketch.cellNegative[i + 1])
                counts[sketch.cuts[i]] = (tp.value, fp.value)
            }
            tp.add(sketch.cellPositive[0]); fp.add(sketch.cellNegative[0])
            exactCuts = CutCounts(counts: counts, positives: tp.value, negatives: fp.value)
        }
        return assemble(perClass: perClass, columns: columns, binary: binary, exactCuts: exactCuts, settings: settings, exact: exact)
    }

    /// The weights flagged at each cut (`s ≥ cut`), with the totals the unflagged weights are counted from.
    struct CutCounts {
        var counts: [Double: (tp: Double, fp: Double)]
        var positives: Double
        var negatives: Double
    }

    /// The result from the columns' walks: macro and weighted means over the
    /// classes where they are defined; binary operating points from the
    /// positive column's walk; cut counts from the walk (exact store) or the
    /// sketch's exact cells.
    private static func assemble(perClass: [ClassRanking], columns: [ColumnRanking],
                                 binary: (walk: RankingWalk, positives: Double, negatives: Double)?,
                                 exactCuts: CutCounts?, settings: RankingSettings, exact: Bool) -> RankingMetrics {
        let slack = exact ? 0 : columns.map(\.slack).max() ?? 0
        guard let binary else {
            let aucs = perClass.map(\.rocAUC).filter { !$0.isNaN }
            let aps = perClass.map(\.averagePrecision).filter { !$0.isNaN }
            var weightedSum = 0.0, weightSum = 0.0
            for (c, column) in zip(perClass, columns) where !c.rocAUC.isNaN {
                weightedSum += column.positives * c.rocAUC
                weightSum += column.positives
            }
            return RankingMetrics(
                rocAUC: aucs.isEmpty ? .nan : aucs.reduce(0, +) / Double(aucs.count),
                weightedROCAUC: weightSum > 0 ? weightedSum / weightSum : .nan,
                averagePrecision: aps.isEmpty ? .nan : aps.reduce(0, +) / Double(aps.count),
                positiveRate: .nan, recallAtPrecision: [], recallAtFPR: [], recallAtTop: [], sweep: [], cost: nil,
                perClass: perClass, exact: exact, maxAUCError: slack, rocCurve: [], precisionRecallCurve: [])
        }
        var walk = binary.walk
        let p = binary.positives, n = binary.negatives
        let finished = walk.finish()
        let cuts = exactCuts ?? CutCounts(counts: finished.cuts, positives: p, negatives: n)
        let cutCounts = cuts.counts
        let sweep = RankingSettings.sweepThresholds.map { t in
            let counts = cutCounts[t] ?? (0, 0)
            return ThresholdCounts(threshold: t, tp: counts.tp, fp: counts.fp, fn: cuts.positives - counts.tp, tn: cuts.negatives - counts.fp)
        }
        let total = p + n
        let cost = settings.costs.map { costs -> CostAnalysis in
            let bayes = costs.bayesThreshold
            let atBayes = cutCounts[bayes] ?? (0, 0)
            let costAtBayes = (costs.falsePositive * atBayes.fp + costs.falseNegative * (cuts.positives - atBayes.tp)) / total
            return CostAnalysis(costFP: costs.falsePositive, costFN: costs.falseNegative, bayesThreshold: bayes,
                                costAtBayesThreshold: costAtBayes, bestThreshold: finished.cost.threshold,
                                bestCost: finished.cost.value / total)
        }
        return RankingMetrics(
            rocAUC: perClass[1].rocAUC, weightedROCAUC: .nan, averagePrecision: perClass[1].averagePrecision,
            positiveRate: total > 0 ? p / total : .nan,
            recallAtPrecision: finished.precision, recallAtFPR: finished.fpr, recallAtTop: finished.top,
            sweep: sweep, cost: cost, perClass: perClass, exact: exact, maxAUCError: slack,
            rocCurve: finished.roc, precisionRecallCurve: finished.pr)
    }
}

extension Optional where Wrapped == [Double] {
    /// Calls `body` with the array's buffer, or with `nil` when there is no array.
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafeBufferPointer<Double>?) -> R) -> R {
        switch self {
        case .some(let array): array.withUnsafeBufferPointer { body($0) }
        case .none: body(nil)
        }
    }
}
