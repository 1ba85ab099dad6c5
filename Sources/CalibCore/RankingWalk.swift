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
    private var auc = BlockSum(), ap = BlockSum()
    private var aucSlack = CompensatedSum(), apSlack = CompensatedSum()
    /// Operating points with their recall rank (see `visit`).
    private var precisionPoints: [(tp: Double, fp: Double, threshold: Double, rank: Int)?]
    private var fprPoints: [(tp: Double, fp: Double, threshold: Double, rank: Int)?]
    private var topPoints: [(tp: Double, fp: Double, threshold: Double)?]
    private let topOrder: [Int]
    private var nextTop = 0
    private let cutsDescending: [Double]
    private var passedCuts = 0
    private var cutCounts: [Double: (tp: Double, fp: Double)] = [:]
    private var bestCost: (value: Double, threshold: Double)
    private var roc: [CurvePoint] = []
    private var pr: [CurvePoint] = []
    // Cheap guards, so that most points skip the operating points' loops.
    private let highestFPRWeight: Double
    private var nextTopWeight = Double.infinity
    private var nextCut = -Double.infinity
    private let curveStepTP: Double, curveStepFP: Double
    private var nextCurveTP = Double.infinity, nextCurveFP = Double.infinity
    private let precisionFilter: Double
    private let precisionTargetValues: [Double]
    /// The rank of each precision target's best point so far (`Int.min`: none).
    private var precisionRanks: [Int]
    private let hasCosts: Bool
    /// Whether the sums are counts (unit weights, exact integers): then a
    /// point of the same `rank` as the point before it (a negative row) can
    /// change no precision or FPR target, and skips their tests (see `visit`).
    var unitCounts = false
    /// The rank of the last point visited with `unitCounts` (`Int.min`: none).
    private var checkedRank = Int.min

    /// A walk whose first point comes after `start` (the weights of the rows
    /// above it: a bucket's walk starts where the buckets above end).
    init(positives: Double, negatives: Double, settings: RankingSettings, cuts: [Double], full: Bool,
         start: (tp: Double, fp: Double) = (0, 0)) {
        self.positives = positives
        self.negatives = negatives
        self.settings = settings
        self.full = full
        tp = start.tp
        fp = start.fp
        precisionPoints = Array(repeating: nil, count: full ? settings.precisionTargets.count : 0)
        fprPoints = Array(repeating: nil, count: full ? settings.fprTargets.count : 0)
        topPoints = Array(repeating: nil, count: full ? settings.topFractions.count : 0)
        topOrder = full ? settings.topFractions.indices.sorted { settings.topFractions[$0] < settings.topFractions[$1] } : []
        cutsDescending = full ? cuts.sorted(by: >) : []
        // Flagging nothing (threshold +∞) costs B·P.
        bestCost = (settings.costs.map { $0.falseNegative * positives } ?? 0, .infinity)
        // A prefilter only (the test itself divides, as scikit-learn does): a little above the largest target's weight.
        // Without positives every TPR is undefined, so no point is the best: the entries stay undefined.
        highestFPRWeight = full && negatives > 0 && positives > 0 ? (settings.fprTargets.max() ?? -1) * negatives * (1 + 1e-9) : -1
        // Every walk looks for every budget from its own first point: a later bucket's walk records a
        // budget its rows above already fill, and joining keeps the earliest record, so a budget is met
        // where this walk's own sums first reach it, never skipped between two buckets' roundings.
        let total = positives + negatives
        if let first = topOrder.first { nextTopWeight = RankingWalk.budgetWeight(settings.topFractions[first], of: total) }
        if let first = cutsDescending.first { nextCut = first }
        curveStepTP = positives > 0 ? positives / RankingWalk.curveResolution : .infinity
        curveStepFP = negatives > 0 ? negatives / RankingWalk.curveResolution : .infinity
        if full { (nextCurveTP, nextCurveFP) = RankingWalk.nextCurveLines(tp: start.tp, fp: start.fp, stepTP: curveStepTP, stepFP: curveStepFP) }
        precisionFilter = full ? (settings.precisionTargets.min() ?? .infinity) * (1 - 1e-9) : .infinity
        precisionTargetValues = full ? settings.precisionTargets : []
        precisionRanks = Array(repeating: Int.min, count: precisionTargetValues.count)
        hasCosts = settings.costs != nil
    }

    /// A chart point is kept where the true- or false-positive rate crosses a
    /// multiple of `1 / curveResolution` above the last point kept (or the
    /// walk's start), a rule that depends on the points only, never on how the
    /// walk was split into buckets' walks.
    static let curveResolution = 400.0

    /// The next distinct threshold, below every one visited, with the cumulative weights at or above it.
    ///
    /// `rank` counts the positive rows (or sketch buckets with positive
    /// weight) at or above the threshold: it grows exactly when the recall
    /// does, so equal recalls compare equal even where the weights' sums
    /// round differently.
    @inline(__always)
    mutating func visit(threshold: Double, tp newTP: Double, fp newFP: Double, spread: Bool, rank: Int) {
        let dTP = newTP - tp, dFP = newFP - fp
        auc.add(dFP * (newTP + tp))
        let flagged = newTP + newFP
        if spread {
            visitSpread(dTP: dTP, dFP: dFP)
        } else if dTP != 0 {
            // A point with new positives has rows, so `flagged > 0` there.
            ap.add(dTP * newTP / flagged)
        }
        // With counts, the precision and FPR targets need the first point of each rank only: later points
        // of that rank have the same TP and more FP (exact integers), so a lower precision and a higher FPR,
        // and the first point already took (or failed) every target they could meet at that rank.
        let freshRank = rank != checkedRank
        if unitCounts { checkedRank = rank }
        // One test for the rare cases (prefilters by multiplication; the targets' own tests divide, as scikit-learn does).
        if full && (threshold < nextCut || (freshRank && (newTP >= precisionFilter * flagged || newFP <= highestFPRWeight))
                    || flagged >= nextTopWeight || hasCosts || newTP >= nextCurveTP || newFP >= nextCurveFP) {
            visitOperatingPoints(threshold: threshold, tp: newTP, fp: newFP, rank: rank)
        }
        tp = newTP
        fp = newFP
    }

    @inline(never)
    private mutating func visitSpread(dTP: Double, dFP: Double) {
        aucSlack.add(dTP * dFP)
        if dTP != 0 {
            let contribution = spreadPrecisionContribution(dTP: dTP, dFP: dFP)
            ap.add(contribution.estimate)
            apSlack.add(contribution.slack)
        }
    }

    @inline(never)
    private mutating func visitOperatingPoints(threshold: Double, tp newTP: Double, fp newFP: Double, rank: Int) {
        let flagged = newTP + newFP
        if threshold < nextCut { passCuts(below: threshold) }
        if newTP >= precisionFilter * flagged && flagged > 0 {
            visitPrecisionTargets(threshold: threshold, tp: newTP, fp: newFP, precision: newTP / flagged, rank: rank)
        }
        if newFP <= highestFPRWeight { visitFPRTargets(threshold: threshold, tp: newTP, fp: newFP, rank: rank) }
        if flagged >= nextTopWeight { visitTop(threshold: threshold, tp: newTP, fp: newFP) }
        if let costs = settings.costs {
            let cost = costs.falsePositive * newFP + costs.falseNegative * (positives - newTP)
            if cost < bestCost.value { bestCost = (cost, threshold) }
        }
        if newTP >= nextCurveTP || newFP >= nextCurveFP { keepCurvePoint(tp: newTP, fp: newFP) }
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
        while passedCuts < cutsDescending.count && cutsDescending[passedCuts] > threshold {
            cutCounts[cutsDescending[passedCuts]] = (tp, fp)
            passedCuts += 1
        }
        nextCut = passedCuts < cutsDescending.count ? cutsDescending[passedCuts] : -.infinity
    }

    /// Cuts below every visited point flag everything visited.
    mutating func closeCuts() {
        while passedCuts < cutsDescending.count {
            cutCounts[cutsDescending[passedCuts]] = (tp, fp)
            passedCuts += 1
        }
        nextCut = -.infinity
    }

    /// Continues this walk with a later one (the next bucket's, which started
    /// where this one ends): sums add, each target keeps the better point
    /// (the earlier one on a tie), curves and cuts join.
    mutating func append(_ later: RankingWalk) {
        auc.merge(later.auc)
        ap.merge(later.ap)
        aucSlack.merge(later.aucSlack)
        apSlack.merge(later.apSlack)
        for i in precisionPoints.indices {
            if let point = later.precisionPoints[i], precisionPoints[i].map({ point.rank > $0.rank }) ?? true {
                precisionPoints[i] = point
                precisionRanks[i] = point.rank
            }
        }
        for i in fprPoints.indices {
            if let point = later.fprPoints[i], fprPoints[i].map({ point.rank > $0.rank }) ?? true { fprPoints[i] = point }
        }
        for i in topPoints.indices where topPoints[i] == nil { topPoints[i] = later.topPoints[i] }
        cutCounts.merge(later.cutCounts) { mine, _ in mine }
        if later.bestCost.value < bestCost.value { bestCost = later.bestCost }
        roc += later.roc
        pr += later.pr
        tp = later.tp
        fp = later.fp
    }

    /// Recall only grows down the walk, so the best point for a target is
    /// the last one reaching it, except that equal recalls keep the first
    /// (highest) threshold.
    private mutating func visitPrecisionTargets(threshold: Double, tp newTP: Double, fp newFP: Double, precision: Double, rank: Int) {
        // Most points (negatives) leave the rank where a target's best point already has it: one compare each.
        for i in precisionRanks.indices where rank > precisionRanks[i] && precision >= precisionTargetValues[i] {
            precisionRanks[i] = rank
            precisionPoints[i] = (newTP, newFP, threshold, rank)
        }
    }

    private mutating func visitFPRTargets(threshold: Double, tp newTP: Double, fp newFP: Double, rank: Int) {
        let rate = newFP / negatives
        for (i, target) in settings.fprTargets.enumerated() where rate <= target {
            if fprPoints[i].map({ rank > $0.rank }) ?? true { fprPoints[i] = (newTP, newFP, threshold, rank) }
        }
    }

    private mutating func visitTop(threshold: Double, tp newTP: Double, fp newFP: Double) {
        let total = positives + negatives
        while nextTop < topOrder.count && newTP + newFP >= RankingWalk.budgetWeight(settings.topFractions[topOrder[nextTop]], of: total) {
            topPoints[topOrder[nextTop]] = (newTP, newFP, threshold)
            nextTop += 1
        }
        nextTopWeight = nextTop < topOrder.count ? RankingWalk.budgetWeight(settings.topFractions[topOrder[nextTop]], of: total) : .infinity
    }

    /// The weight an alert budget asks for, `fraction · W`, less one part in
    /// 10¹²: sums of weights such as 0.1 land an ulp either side of the
    /// product, and a budget met exactly in decimals (6 rows of weight 0.1
    /// are 75% of 8) must be met as it is with weights of 1. Counts below
    /// 10¹² rows are not affected.
    static func budgetWeight(_ fraction: Double, of total: Double) -> Double {
        fraction * total * (1 - 1e-12)
    }

    private mutating func keepCurvePoint(tp newTP: Double, fp newFP: Double) {
        let x = negatives > 0 ? newFP / negatives : 0, y = positives > 0 ? newTP / positives : 0
        roc.append(CurvePoint(x: x, y: y))
        pr.append(CurvePoint(x: y, y: newTP + newFP > 0 ? newTP / (newTP + newFP) : 0))
        (nextCurveTP, nextCurveFP) = RankingWalk.nextCurveLines(tp: newTP, fp: newFP, stepTP: curveStepTP, stepFP: curveStepFP)
    }

    /// The next multiples of the steps above a point: crossing one keeps a chart point.
    static func nextCurveLines(tp: Double, fp: Double, stepTP: Double, stepFP: Double) -> (Double, Double) {
        (((tp / stepTP).rounded(.down) + 1) * stepTP, ((fp / stepFP).rounded(.down) + 1) * stepFP)
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
        closeCuts()
        let p = positives, n = negatives, total = p + n
        /// Recall, precision, false-positive rate and flagged share of a point, from its exact counts.
        func rates(_ point: (tp: Double, fp: Double)?) -> (recall: Double, precision: Double, fpr: Double, flagged: Double) {
            guard let point else { return (.nan, .nan, .nan, .nan) }
            return (p > 0 ? point.tp / p : .nan, point.tp / (point.tp + point.fp), n > 0 ? point.fp / n : .nan, (point.tp + point.fp) / total)
        }
        let precision = settings.precisionTargets.enumerated().map { i, target in
            let point = precisionPoints.indices.contains(i) ? precisionPoints[i] : nil
            let r = rates(point.map { ($0.tp, $0.fp) })
            return RecallAtPrecision(target: target, recall: r.recall, precision: r.precision, threshold: point?.threshold ?? .nan,
                                     fpr: r.fpr, flaggedFraction: r.flagged)
        }
        let fpr = settings.fprTargets.enumerated().map { i, target in
            let point = fprPoints.indices.contains(i) ? fprPoints[i] : nil
            let r = rates(point.map { ($0.tp, $0.fp) })
            return RecallAtFPR(target: target, recall: r.recall, fpr: r.fpr, threshold: point?.threshold ?? .nan,
                               precision: r.precision, flaggedFraction: r.flagged)
        }
        let top = settings.topFractions.enumerated().map { i, fraction in
            let point = topPoints.indices.contains(i) ? topPoints[i] : nil
            let r = rates(point.map { ($0.tp, $0.fp) })
            return RecallAtTop(fraction: fraction, flaggedFraction: r.flagged, recall: r.recall, precision: r.precision,
                               threshold: point?.threshold ?? .nan, fpr: r.fpr)
        }
        let cuts = cutCounts
        var roc = (full ? [CurvePoint(x: 0, y: 0)] : []) + self.roc, pr = self.pr
        if full, let last = roc.last, last.x != 1 || last.y != 1, total > 0 {
            roc.append(CurvePoint(x: n > 0 ? fp / n : 0, y: p > 0 ? tp / p : 0))
        }
        if full { pr.append(CurvePoint(x: 0, y: 1)) }
        return (precision, fpr, top, cuts, bestCost, roc, pr)
    }
}

extension RankingWalk {
    /// Visits the points of `count` sorted keys of unit weight, highest
    /// score first (each distinct score one point, `rank` the positive
    /// count), with `tp` and `fp` the counts above them on entry and below
    /// them on return, and feeds `complement` the same points: the same
    /// sums, in the same order, as `visit` and `ComplementWalk.visit` per
    /// point. The state a point touches (counts, both areas' sums, the
    /// operating points' guards) is held in locals, written back only around
    /// the rare points that reach `visitOperatingPoints`, so that the loop
    /// runs in registers; the complement's state too (its last point is
    /// this walk's). A point that only meets precision (FPR) targets is
    /// recorded once the next such point has a lower precision (meets fewer
    /// FPR targets): the next one with at least its precision (meeting as
    /// many) would replace it as the best of every target it meets; pending
    /// points are recorded before any other operating point and at the end.
    @inline(never)
    mutating func visitUnitCounts(keys: UnsafePointer<UInt64>, count: Int, tp itp: inout Int, fp ifp: inout Int,
                                  complement: inout ComplementWalk?) {
        if var walk = complement {
            complement = nil
            visitUnitCounts(keys: keys, count: count, tp: &itp, fp: &ifp, complement: &walk, ranksComplement: true)
            complement = walk
        } else if !full {
            visitAreasOnly(keys: keys, count: count, tp: &itp, fp: &ifp)
        } else {
            var unused = ComplementWalk(positives: 0, negatives: 0)
            visitUnitCounts(keys: keys, count: count, tp: &itp, fp: &ifp, complement: &unused, ranksComplement: false)
        }
    }

    /// `visitUnitCounts` of a walk that only sums its areas (no operating
    /// points, no complement: a multiclass task's columns), the same steps
    /// with the rest left out: a quarter of a 10-class audit's keys went
    /// through a loop that kept every operating point's state. The run of
    /// equal scores is counted as `visitUnitCounts` counts it, written out in
    /// both: taken from one `@inline(__always)` function, the larger loop's
    /// registers were allocated otherwise and it ran 132.7M → 158.0M
    /// instructions on 1M binary rows (callgrind).
    private mutating func visitAreasOnly(keys: UnsafePointer<UInt64>, count: Int, tp itp: inout Int, fp ifp: inout Int) {
        precondition(unitCounts && !full, "a walk of counts, areas only")
        var tp = self.tp, fp = self.fp, auc = self.auc, ap = self.ap
        var positives = itp, negatives = ifp
        var i = count
        while i > 0 {
            let score = keys[i - 1] >> 1
            repeat {
                i -= 1
                let positive = Int(truncatingIfNeeded: keys[i] & 1)
                positives &+= positive
                negatives &+= 1 &- positive
            } while i > 0 && keys[i - 1] >> 1 == score
            let newTP = Double(positives), newFP = Double(negatives)
            let dTP = newTP - tp, dFP = newFP - fp
            auc.add(dFP * (newTP + tp))
            if dTP != 0 { ap.add(dTP * newTP / (newTP + newFP)) }
            tp = newTP
            fp = newFP
        }
        self.tp = tp; self.fp = fp; self.auc = auc; self.ap = ap
        if count > 0 { checkedRank = positives }
        itp = positives
        ifp = negatives
    }

    @inline(__always)
    private mutating func visitUnitCounts(keys: UnsafePointer<UInt64>, count: Int, tp itp: inout Int, fp ifp: inout Int,
                                          complement: inout ComplementWalk, ranksComplement: Bool) {
        precondition(unitCounts, "a walk of counts")
        var tp = self.tp, fp = self.fp, auc = self.auc, ap = self.ap, checkedRank = self.checkedRank
        var nextCut = self.nextCut, nextTopWeight = self.nextTopWeight, nextCurveTP = self.nextCurveTP, nextCurveFP = self.nextCurveFP
        let full = self.full, hasCosts = self.hasCosts
        let precisionFilter = self.precisionFilter, highestFPRWeight = self.highestFPRWeight
        var positives = itp, negatives = ifp
        // The complement's state (`ComplementWalk.visit`), in locals as well; its last point is always this
        // walk's (`tp`, `fp`).
        precondition(!ranksComplement || (complement.last.tp == tp && complement.last.fp == fp), "the complement walks the same points")
        var runValue = complement.runValue, before = complement.before, closedRuns = complement.closedRuns
        var complementAUC = complement.auc, complementAP = complement.ap
        let n = complement.negatives, w = complement.positives + complement.negatives
        // The last point that may be some precision target's best, not yet recorded (see below).
        var pending = false
        var pendingThreshold = 0.0, pendingTP = 0.0, pendingFP = 0.0, pendingPrecision = 0.0, pendingRank = 0
        // The same for the FPR targets, with the lowest target the point meets (∞: none).
        var fprPending = false
        var fprThreshold = 0.0, fprTP = 0.0, fprFP = 0.0, fprRank = 0, fprBoundary = Double.infinity
        let negativeWeight = self.negatives, fprTargets = settings.fprTargets
        var i = count
        while i > 0 {
            let score = keys[i - 1] >> 1
            repeat {
                i -= 1
                let positive = Int(truncatingIfNeeded: keys[i] & 1)
                positives &+= positive
                negatives &+= 1 &- positive
            } while i > 0 && keys[i - 1] >> 1 == score
            let threshold = Double(bitPattern: score)
            let newTP = Double(positives), newFP = Double(negatives)
            // `visit` with `spread: false` and `unitCounts`, line by line.
            let dTP = newTP - tp, dFP = newFP - fp
            auc.add(dFP * (newTP + tp))
            let flagged = newTP + newFP
            if dTP != 0 { ap.add(dTP * newTP / flagged) }
            let freshRank = positives != checkedRank
            checkedRank = positives
            if full && (threshold < nextCut || flagged >= nextTopWeight || hasCosts || newTP >= nextCurveTP || newFP >= nextCurveFP) {
                if pending {
                    visitPrecisionTargets(threshold: pendingThreshold, tp: pendingTP, fp: pendingFP, precision: pendingPrecision, rank: pendingRank)
                    pending = false
                }
                if fprPending {
                    visitFPRTargets(threshold: fprThreshold, tp: fprTP, fp: fprFP, rank: fprRank)
                    fprPending = false
                }
                self.tp = tp; self.fp = fp; self.auc = auc; self.ap = ap; self.checkedRank = checkedRank
                visitOperatingPoints(threshold: threshold, tp: newTP, fp: newFP, rank: positives)
                nextCut = self.nextCut; nextTopWeight = self.nextTopWeight
                nextCurveTP = self.nextCurveTP; nextCurveFP = self.nextCurveFP
            } else if full && freshRank && (newTP >= precisionFilter * flagged || newFP <= highestFPRWeight) {
                // A point reaching precision targets (the first of its rank) is recorded only once the next
                // such point has a lower precision: a point of a higher rank and at least its precision meets
                // every target it meets and would replace it as their best (see `visitPrecisionTargets`).
                if newTP >= precisionFilter * flagged {
                    let precision = newTP / flagged
                    if pending && precision < pendingPrecision {
                        visitPrecisionTargets(threshold: pendingThreshold, tp: pendingTP, fp: pendingFP, precision: pendingPrecision, rank: pendingRank)
                    }
                    pending = true
                    pendingThreshold = threshold; pendingTP = newTP; pendingFP = newFP; pendingPrecision = precision; pendingRank = positives
                }
                // Likewise for the FPR targets: down the walk a point meets fewer of them, and one of a higher
                // rank that meets as many (its rate at most the lowest target the pending one meets) replaces it.
                if newFP <= highestFPRWeight {
                    let rate = newFP / negativeWeight
                    if fprPending && rate > fprBoundary {
                        visitFPRTargets(threshold: fprThreshold, tp: fprTP, fp: fprFP, rank: fprRank)
                        fprPending = false
                    }
                    if !fprPending {
                        fprBoundary = fprTargets.lazy.filter { rate <= $0 }.min() ?? .infinity
                    }
                    fprPending = true
                    fprThreshold = threshold; fprTP = newTP; fprFP = newFP; fprRank = positives
                }
            }
            if ranksComplement {
                // `ComplementWalk.visit(score: threshold, tp: newTP, fp: newFP)` with `last` = (`tp`, `fp`), line by line.
                let value = 1 - threshold
                if value != runValue {
                    if closedRuns > 0 {
                        // `add(before:end:)` of the run closed, ending at (`tp`, `fp`).
                        complementAUC.add((tp - before.tp) * (2 * n - before.fp - fp))
                        let flagged = w - before.tp - before.fp
                        if fp != before.fp, flagged > 0 { complementAP.add((fp - before.fp) * (n - before.fp) / flagged) }
                        closedRuns &+= 1
                    } else if !runValue.isNaN {
                        complement.firstRun = (runValue, (tp, fp))
                        closedRuns = 1
                    }
                    runValue = value
                    before = (tp, fp)
                }
            }
            tp = newTP
            fp = newFP
        }
        if ranksComplement {
            complement.runValue = runValue; complement.before = before; complement.last = (tp, fp)
            complement.closedRuns = closedRuns; complement.auc = complementAUC; complement.ap = complementAP
        }
        if pending {
            visitPrecisionTargets(threshold: pendingThreshold, tp: pendingTP, fp: pendingFP, precision: pendingPrecision, rank: pendingRank)
        }
        if fprPending { visitFPRTargets(threshold: fprThreshold, tp: fprTP, fp: fprFP, rank: fprRank) }
        self.tp = tp; self.fp = fp; self.auc = auc; self.ap = ap; self.checkedRank = checkedRank
        itp = positives
        ifp = negatives
    }
}

extension ScoreStore {
    /// The ranking section of SPEC section 8 (a copy of the store is sorted;
    /// ``takeRanking(settings:runner:)`` sorts the store's own columns).
    ///
    /// An exact column is walked from the highest score down, grid bucket by
    /// grid bucket (each radix-sorted in cache, as tasks of `runner`); a
    /// sketch walks its buckets. Both give the same result for any chunking
    /// and thread count, because the keys (and sketch sums) are in merge
    /// order and every sum depends on the buckets alone.
    public func ranking(settings: RankingSettings) -> RankingMetrics {
        var copy = self
        return copy.takeRanking(settings: settings)
    }

    /// The ranking, from the exact store's own pieces (each task gathers at
    /// most `gatherLimit` keys at a time, never a second copy of the store);
    /// the store is left empty.
    public mutating func takeRanking(settings: RankingSettings, runner: RankingRunner? = nil) -> RankingMetrics {
        let taken = storage
        storage = .exact(ExactScores(columnCount: 0))
        switch taken {
        case .exact(var exact): return ScoreStore.rankExact(&exact, columnCount: rankedColumnCount, settings: settings, cuts: cuts, runner: runner)
        case .sketch(let sketch): return ScoreStore.rankSketch(sketch, columnCount: rankedColumnCount, settings: settings)
        }
    }

    /// A grid bucket's rows of each class (unit weights).
    typealias BucketCounts = (positives: Int, negatives: Int)

    /// What one column's walk gives.
    struct ColumnRanking {
        var rocAUC: Double
        var averagePrecision: Double
        var slack: Double
        var positives: Double
        var negatives: Double
    }

    /// With `sortedBucket`, a binary column's walk hands each bucket it sorts whole to it first; with
    /// `bucketCounts` (a binary column of unit weights), its buckets' positive and negative rows are
    /// not counted again (`walkExact`).
    static func rankExact(_ exact: inout ExactScores, columnCount: Int, settings: RankingSettings, cuts: [Double],
                          runner: RankingRunner?, sortedBucket: SortedBucketHook? = nil,
                          bucketCounts: [BucketCounts]? = nil) -> RankingMetrics {
        var perClass: [ClassRanking] = []
        var columns: [ColumnRanking] = []
        var binary: (walk: RankingWalk, positives: Double, negatives: Double)?
        for c in 0..<columnCount {
            // Moved out, not copied; each column's pieces are released once walked.
            var pieces: [ExactScores.Piece] = []
            swap(&pieces, &exact.columns[c])
            let walked = walkExact(pieces, settings: settings, cuts: cuts, full: columnCount == 1, runner: runner,
                                   sortedBucket: columnCount == 1 ? sortedBucket : nil, bucketCounts: columnCount == 1 ? bucketCounts : nil)
            columns.append(walked.column)
            if let complement = walked.complement {
                binary = (walked.walk, walked.column.positives, walked.column.negatives)
                perClass = [ClassRanking(rocAUC: complement.rocAUC, averagePrecision: complement.averagePrecision),
                            ClassRanking(rocAUC: walked.column.rocAUC, averagePrecision: walked.column.averagePrecision)]
                columns.append(complement)
            } else {
                perClass.append(ClassRanking(rocAUC: walked.column.rocAUC, averagePrecision: walked.column.averagePrecision))
            }
        }
        return assemble(perClass: perClass, columns: columns, binary: binary, exactCuts: nil, settings: settings, exact: true)
    }

    /// Walks one column from its highest score down, bucket by bucket of
    /// the store's grid: each bucket's rows are gathered from the pieces (in
    /// merge order), radix-sorted in cache and walked from the weights of
    /// the buckets above (exact prefix sums of per-bucket totals), so that
    /// buckets can be walked by separate tasks; the buckets' walks then join
    /// in order. Every value depends on the buckets only, never on how they
    /// were split into tasks or how many threads ran them. With `full` (a
    /// binary task's positive column) the same pass ranks the negative class
    /// by `1 − s` (`ComplementWalk`). `bucketCounts` (unit weights only)
    /// are each bucket's positive and negative rows, counted by the caller's
    /// own pass over the keys (the fits' moments), so that this walk does not count them again.
    private static func walkExact(_ pieces: [ExactScores.Piece], settings: RankingSettings, cuts: [Double], full: Bool,
                                  runner: RankingRunner?, sortedBucket: SortedBucketHook? = nil, bucketCounts: [BucketCounts]? = nil)
        -> (column: ColumnRanking, walk: RankingWalk, complement: ColumnRanking?) {
        let grid = ExactScores.grid
        let buckets = grid.bucketCount
        let weighted = pieces.contains { $0.weights != nil }
        let sizes = ExactScores.bucketSizes(pieces)
        // Tasks: runs of buckets of about equal rows (a fixed split: results do not depend on it).
        var ranges: [Range<Int>] = []
        let rows = sizes.reduce(0, +)
        let share = Swift.max(1, rows / 64)
        var upper = buckets, filled = 0
        for b in stride(from: buckets - 1, through: 0, by: -1) {
            filled += sizes[b]
            if filled >= share || b == 0 { ranges.append(b..<upper); upper = b; filled = 0 }
        }
        let bucketSizes = sizes, taskRanges = ranges
        // The tasks read the pieces through plain pointers: no reference counting on shared arrays
        // (which two cores would fight over). `pieces` is neither mutated nor released before the tasks end.
        let views = PieceView.views(of: pieces)
        defer { withExtendedLifetime(pieces) {} }
        // 1. Each bucket's positive and negative weight, then the weight above each bucket.
        var totals = [(p: CompensatedSum, n: CompensatedSum, positiveRows: Int)](repeating: (CompensatedSum(), CompensatedSum(), 0), count: buckets)
        if let counts = bucketCounts, !weighted {
            // The same sums as the pass below makes of unit weights: each count added once to an empty sum.
            precondition(counts.count == buckets, "one count per bucket")
            for b in 0..<buckets where bucketSizes[b] > 0 {
                let ones = counts[b].positives
                precondition(ones >= 0 && ones + counts[b].negatives == bucketSizes[b], "a bucket's counts and its rows disagree")
                var p = CompensatedSum(), n = CompensatedSum()
                p.add(Double(ones))
                n.add(Double(bucketSizes[b] - ones))
                totals[b] = (p, n, ones)
            }
        } else {
            totals.withUnsafeMutableBufferPointer { out in
                let shared = SendablePointer(out.baseAddress!)
                run(taskRanges.count, runner) { task in
                    for b in taskRanges[task] where bucketSizes[b] > 0 {
                        var p = CompensatedSum(), n = CompensatedSum()
                        var ones = 0, unitRows = 0, weightedOnes = 0
                        for piece in views {
                            let lower = Int(piece.starts[b]), upper = Int(piece.starts[b + 1])
                            guard lower < upper else { continue }
                            let keys = piece.keys
                            if let weights = piece.weights {
                                for i in lower..<upper {
                                    if keys[i] & 1 == 1 { p.add(weights[i]); weightedOnes &+= 1 } else { n.add(weights[i]) }
                                }
                            } else {
                                unitRows += upper - lower
                                for i in lower..<upper { ones &+= Int(truncatingIfNeeded: keys[i] & 1) }
                            }
                        }
                        if unitRows > 0 {
                            p.add(Double(ones))
                            n.add(Double(unitRows - ones))
                        }
                        shared.pointer[b] = (p, n, ones + weightedOnes)
                    }
                }
            }
        }
        var above = [(tp: Double, fp: Double)](repeating: (0, 0), count: buckets)
        var positiveRowsAbove = [Int](repeating: 0, count: buckets)
        var p = CompensatedSum(), n = CompensatedSum()
        var positiveRows = 0
        for b in stride(from: buckets - 1, through: 0, by: -1) {
            above[b] = (p.value, n.value)
            positiveRowsAbove[b] = positiveRows
            p.merge(totals[b].p)
            n.merge(totals[b].n)
            positiveRows += totals[b].positiveRows
        }
        let positives = p.value, negatives = n.value
        // The cuts each bucket holds (a cut in an empty bucket flags the rows above it).
        var cutsOfBucket: [Int: [Double]] = [:]
        for cut in cuts { cutsOfBucket[grid.bucket(cut), default: []].append(cut) }
        let aboveBucket = above, cutsByBucket = cutsOfBucket, rowsAbove = positiveRowsAbove
        let lowestBucket = sizes.firstIndex { $0 > 0 } ?? 0
        // 2. Each bucket's walk, by tasks.
        var walks = [RankingWalk?](repeating: nil, count: buckets)
        var complements = [ComplementWalk?](repeating: nil, count: buckets)
        walks.withUnsafeMutableBufferPointer { walkOut in
        complements.withUnsafeMutableBufferPointer { complementOut in
            let sharedWalks = SendablePointer(walkOut.baseAddress!), sharedComplements = SendablePointer(complementOut.baseAddress!)
            run(taskRanges.count, runner) { task in
                let range = taskRanges[task]
                // A bucket's keys and the sort's scratch (at most `RadixSort.inPlaceAbove` keys), then the same for
                // weights; a bucket above `gatherLimit` keys is walked in parts of at most that many (see `parts`).
                let largest = Swift.min(range.map { bucketSizes[$0] }.max() ?? 0, gatherLimit)
                let scratchCount = Swift.min(largest, RadixSort.inPlaceAbove)
                let words = Swift.max(1, (largest + scratchCount) * (weighted ? 2 : 1))
                // Unit weights: runs of the range's buckets are copied out piece by piece (`BucketWindow`).
                let room = weighted ? 0 : range.reduce(0) { $0 + bucketSizes[$1] }
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { memory in
                BucketWindow.with(keys: room) { window in
                    let keys = memory.baseAddress!, scratch = keys + largest
                    let weights = weighted ? UnsafeMutableRawPointer(scratch + scratchCount).assumingMemoryBound(to: Double.self) : nil
                    let weightScratch = weights.map { $0 + largest }
                    for b in range.reversed() where bucketSizes[b] > 0 || cutsByBucket[b] != nil {
                        var walk = RankingWalk(positives: positives, negatives: negatives, settings: settings,
                                               cuts: cutsByBucket[b] ?? [], full: full, start: aboveBucket[b])
                        walk.unitCounts = !weighted
                        var complement = full ? ComplementWalk(positives: positives, negatives: negatives, start: aboveBucket[b]) : nil
                        var wtp = CompensatedSum(aboveBucket[b].tp), wfp = CompensatedSum(aboveBucket[b].fp)
                        var rank = rowsAbove[b]
                        // Counts of rows above (unit weights only: weighted sums may be any size, even infinite).
                        var itp = weighted ? 0 : Int(aboveBucket[b].tp), ifp = weighted ? 0 : Int(aboveBucket[b].fp)
                        let bucketParts = bucketSizes[b] > gatherLimit ? parts(of: b, views) : [BucketPart(digits: nil, count: bucketSizes[b])]
                        /// Gathers, sorts and walks one part of the bucket (in descending order of parts).
                        func walkPart(_ part: BucketPart, last: Bool, keys: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>,
                                      weights: UnsafeMutablePointer<Double>?, weightScratch: UnsafeMutablePointer<Double>?) {
                            let count: Int
                            if weights == nil, part.digits == nil, window.fits(part.count) {
                                count = window.sorted(bucket: b, count: part.count, toward: range.lowerBound, sizes: bucketSizes, views,
                                                      keys: keys, scratch: scratch)
                            } else {
                                count = gatherSorted(part, bucket: b, views, keys: keys, scratch: scratch, weights: weights,
                                                     weightScratch: weightScratch)
                            }
                            if part.digits == nil, let sortedBucket { sortedBucket(b, keys, weights, count) }
                            var i = count
                            if let weights {
                                while i > 0 {
                                    let score = keys[i - 1] >> 1
                                    repeat {
                                        i -= 1
                                        if keys[i] & 1 == 1 { wtp.add(weights[i]); rank &+= 1 } else { wfp.add(weights[i]) }
                                    } while i > 0 && keys[i - 1] >> 1 == score
                                    // The lowest score flags every row: exactly (P, N), whatever order the sums took
                                    // (the totals summed the same weights bucket by bucket), so that FPR and recall
                                    // reach 1 and an alert budget of 1 is met, as scikit-learn's last point does.
                                    let lowest = last && i == 0 && b == lowestBucket
                                    let (pointTP, pointFP) = lowest ? (positives, negatives) : (wtp.value, wfp.value)
                                    walk.visit(threshold: Double(bitPattern: score), tp: pointTP, fp: pointFP, spread: false, rank: rank)
                                    complement?.visit(score: Double(bitPattern: score), tp: pointTP, fp: pointFP)
                                }
                            } else {
                                // Unit weights: counts, exact in integers.
                                walk.visitUnitCounts(keys: keys, count: count, tp: &itp, fp: &ifp, complement: &complement)
                            }
                        }
                        for (index, part) in bucketParts.enumerated() {
                            let last = index == bucketParts.count - 1
                            if part.count <= largest {
                                walkPart(part, last: last, keys: keys, scratch: scratch, weights: weights, weightScratch: weightScratch)
                            } else if part.digits == nil {
                                // A large bucket of one score (all 0, say): one point, summed where the keys lie.
                                var positiveRows = 0, rows = 0
                                for piece in views {
                                    for i in Int(piece.starts[b])..<Int(piece.starts[b + 1]) {
                                        let positive = piece.keys[i] & 1 == 1
                                        if positive { positiveRows += 1 }
                                        rows += 1
                                        if weighted {
                                            let w = piece.weights?[i] ?? 1
                                            if positive { wtp.add(w) } else { wfp.add(w) }
                                        }
                                    }
                                }
                                rank += positiveRows
                                itp += positiveRows
                                ifp += rows - positiveRows
                                let score = Double(bitPattern: views.lazy.compactMap { v in v.starts[b] < v.starts[b + 1] ? v.keys[Int(v.starts[b])] >> 1 : nil }.first!)
                                let lowest = last && b == lowestBucket
                                let (pointTP, pointFP) = lowest ? (positives, negatives) : weighted ? (wtp.value, wfp.value) : (Double(itp), Double(ifp))
                                walk.visit(threshold: score, tp: pointTP, fp: pointFP, spread: false, rank: weighted ? rank : itp)
                                complement?.visit(score: score, tp: pointTP, fp: pointFP)
                            } else {
                                // One score value's run longer than the limit (or a part of few distinct scores): its own buffer.
                                let size = part.count, scratchSize = Swift.min(size, RadixSort.inPlaceAbove)
                                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: (size + scratchSize) * (weighted ? 2 : 1)) { big in
                                    let k = big.baseAddress!, ks = k + size
                                    let w = weighted ? UnsafeMutableRawPointer(ks + scratchSize).assumingMemoryBound(to: Double.self) : nil
                                    walkPart(part, last: last, keys: k, scratch: ks, weights: w, weightScratch: w.map { $0 + size })
                                }
                            }
                        }
                        walk.closeCuts()
                        sharedWalks.pointer[b] = walk
                        sharedComplements.pointer[b] = complement
                    }
                }
                }
            }
        }
        }
        // 3. The buckets' walks joined, highest bucket first.
        var walk = RankingWalk(positives: positives, negatives: negatives, settings: settings, cuts: [], full: full)
        for b in stride(from: buckets - 1, through: 0, by: -1) {
            if let bucketWalk = walks[b] { walk.append(bucketWalk) }
        }
        let areas = walk.areas()
        let column = ColumnRanking(rocAUC: areas.rocAUC, averagePrecision: areas.averagePrecision, slack: areas.slack,
                                   positives: positives, negatives: negatives)
        let complement = full ? ComplementWalk.joined(complements.reversed().compactMap { $0 }, positives: positives, negatives: negatives) : nil
        return (column, walk, complement)
    }

    /// The most keys a task gathers at once: a larger grid bucket (scores
    /// piled into one narrow range) is walked in parts, so that ranking never
    /// holds a second copy of the store.
    static let gatherLimit = 1 << 20

    /// Copies one part of bucket `b` out of the pieces (in merge order) to
    /// `keys`, and its weights to `weights` when given (1 for a piece without
    /// weights); returns how many. The ranking and calibration walks share it.
    static func gather(_ part: BucketPart, bucket b: Int, _ views: [PieceView],
                       keys: UnsafeMutablePointer<UInt64>, weights: UnsafeMutablePointer<Double>?) -> Int {
        var count = 0
        for piece in views {
            let lower = Int(piece.starts[b]), upper = Int(piece.starts[b + 1])
            guard lower < upper else { continue }
            if let digits = part.digits {
                for i in lower..<upper where digits.range.contains(digits.digit(piece.keys[i])) {
                    keys[count] = piece.keys[i]
                    weights?[count] = piece.weights?[i] ?? 1
                    count += 1
                }
                continue
            }
            (keys + count).update(from: piece.keys + lower, count: upper - lower)
            if let weights {
                if let w = piece.weights {
                    (weights + count).update(from: w + lower, count: upper - lower)
                } else {
                    (weights + count).update(repeating: 1, count: upper - lower)
                }
            }
            count += upper - lower
        }
        return count
    }

    /// Bucket `b`'s part `part` gathered from the pieces into `keys` and
    /// sorted ascending (`scratch`, and `weights`/`weightScratch` when given,
    /// as `RadixSort.sort` takes them); returns how many keys. Unit weights
    /// in a whole bucket of at most `RadixSort.inPlaceAbove` keys are
    /// gathered into the scratch and sorted by ``sortedBucket(from:count:bucket:keys:scratch:)``.
    /// With weights the order of equal keys (and so of their weights' sums)
    /// must not move, so those gather and sort with `RadixSort.sort`.
    static func gatherSorted(_ part: BucketPart, bucket b: Int, _ views: [PieceView],
                             keys: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>,
                             weights: UnsafeMutablePointer<Double>?, weightScratch: UnsafeMutablePointer<Double>?) -> Int {
        guard weights == nil, part.digits == nil, part.count <= RadixSort.inPlaceAbove else {
            let count = gather(part, bucket: b, views, keys: keys, weights: weights)
            RadixSort.sort(keys, scratch: scratch, payload: weights, payloadScratch: weightScratch, count: count)
            return count
        }
        let count = gather(part, bucket: b, views, keys: scratch, weights: nil)
        precondition(count == part.count, "a bucket's size and its keys disagree")
        return sortedBucket(from: scratch, count: count, bucket: b, keys: keys, scratch: scratch)
    }

    /// Bucket `b`'s `n` keys (at most `RadixSort.inPlaceAbove`, unit
    /// weights) from `source` to `keys`, sorted ascending; returns `n`.
    /// `scratch` holds `n` keys and may be `source` itself, which is read
    /// before the scratch is used.
    ///
    /// The keys of a bucket above 0 share their top `64 − freeBits` bits (the
    /// exponent and the grid's mantissa bits), so they are counted by the
    /// next `d` bits in one pass and scattered to `keys` by them (one
    /// counting sort, no pass to find the differing bits, `d` the bit length
    /// of n), and the digit's runs are finished by one insertion sort (a run
    /// longer than 48 keys, from scores piled up in a narrow range, by
    /// `RadixSort.sort`, looked for only when the counts show one). Bucket 0
    /// and buckets of at most 48 keys are copied and sorted by
    /// `RadixSort.sort`. The keys come out the same either way: a sorted list
    /// of integers is unique.
    static func sortedBucket(from source: UnsafePointer<UInt64>, count n: Int, bucket b: Int,
                             keys: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>) -> Int {
        precondition(n <= RadixSort.inPlaceAbove, "a bucket sorted in cache")
        guard b > 0, n > 48 else {
            keys.update(from: source, count: n)
            RadixSort.sort(keys, scratch: scratch, payload: nil, payloadScratch: nil, count: n)
            return n
        }
        let freeBits = 53 - ExactScores.grid.mantissaBits
        // Half a key to one a digit (`d` the bit length of n; at most 2¹⁶ digits, 256 KiB of counts): most digits
        // hold one key or none, so the insertion sort rarely moves one (with 4 keys a digit its mispredicted
        // branches cost more than the scatter), and twice the digits cost more in the prefix sums below than
        // they save in moves (callgrind, 1M-row binary audit: 55.0M → 46.3M instructions here).
        let digitBits = Swift.min(16, Int.bitWidth - n.leadingZeroBitCount)
        let radix = 1 << digitBits
        let shift = UInt64(freeBits - digitBits), mask = UInt64(radix - 1)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: radix) { buffer in
            let next = buffer.baseAddress!
            next.initialize(repeating: 0, count: radix)
            for i in 0..<n {
                next[Int(truncatingIfNeeded: (source[i] >> shift) & mask)] &+= 1
            }
            var sum: UInt32 = 0, longest: UInt32 = 0
            for d in 0..<radix {
                let size = next[d]
                next[d] = sum
                sum &+= size
                longest = Swift.max(longest, size)
            }
            for i in 0..<n {
                let key = source[i]
                let d = Int(truncatingIfNeeded: (key >> shift) & mask)
                let j = next[d]
                keys[Int(j)] = key
                next[d] = j &+ 1
            }
            // `next[d]` is now digit d's end. Long runs first (the scratch is free again), then one insertion sort over
            // all (it moves keys within their digit's run only: every run is above the ones before it).
            if longest > 48 {
                var start = 0
                for d in 0..<radix {
                    let end = Int(next[d])
                    if end - start > 48 {
                        RadixSort.sort(keys + start, scratch: scratch, payload: nil, payloadScratch: nil, count: end - start)
                    }
                    start = end
                }
            }
        }
        RadixSort.insertionSort(keys, nil, n)
        return n
    }

    /// A part of a grid bucket: the keys whose next 16 score bits (below
    /// those all its scores share) fall in `digits.range`, or all of them.
    struct BucketPart {
        struct Digits {
            let shift: UInt64
            let range: ClosedRange<Int>
            @inline(__always) func digit(_ key: UInt64) -> Int { Int(truncatingIfNeeded: ((key >> 1) >> shift) & 0xFFFF) }
        }
        let digits: Digits?
        let count: Int
    }

    /// A large bucket's parts, highest scores first: one histogram of the
    /// next 16 bits its scores differ in, cut into runs of digits of at most
    /// `gatherLimit` keys (a single digit may hold more; equal scores never
    /// straddle two parts, since the label bit is not a digit bit).
    static func parts(of b: Int, _ views: [PieceView]) -> [BucketPart] {
        var first: UInt64?, differing: UInt64 = 0, total = 0
        for piece in views {
            let lower = Int(piece.starts[b]), upper = Int(piece.starts[b + 1])
            for i in lower..<upper {
                let score = piece.keys[i] >> 1
                if first == nil { first = score }
                differing |= score ^ first!
            }
            total += upper - lower
        }
        guard differing != 0 else { return [BucketPart(digits: nil, count: total)] }
        let shift = UInt64(Swift.max(0, (63 - differing.leadingZeroBitCount) - 15))
        var histogram = [Int](repeating: 0, count: 1 << 16)
        for piece in views {
            for i in Int(piece.starts[b])..<Int(piece.starts[b + 1]) {
                histogram[Int(truncatingIfNeeded: ((piece.keys[i] >> 1) >> shift) & 0xFFFF)] += 1
            }
        }
        var result: [BucketPart] = []
        var upper = (1 << 16) - 1, count = 0
        for digit in stride(from: (1 << 16) - 1, through: 0, by: -1) {
            if count > 0 && count + histogram[digit] > gatherLimit {
                result.append(BucketPart(digits: .init(shift: shift, range: (digit + 1)...upper), count: count))
                upper = digit
                count = 0
            }
            count += histogram[digit]
        }
        if count > 0 { result.append(BucketPart(digits: .init(shift: shift, range: 0...upper), count: count)) }
        return result
    }

    /// Runs `body(0..<count)` with the runner, or one after another without one.
    private static func run(_ count: Int, _ runner: RankingRunner?, _ body: @escaping @Sendable (Int) -> Void) {
        if let runner { runner(count, body) } else { for task in 0..<count { body(task) } }
    }

    private static func rankSketch(_ sketch: ScoreSketch, columnCount: Int, settings: RankingSettings) -> RankingMetrics {
        var perClass: [ClassRanking] = []
        var columns: [ColumnRanking] = []
        var binary: (walk: RankingWalk, positives: Double, negatives: Double)?
        var exact = true
        for c in 0..<columnCount {
            let positive = sketch.positive[c], negative = sketch.negative[c]
            let lowest = sketch.lowest[c], highest = sketch.highest[c]
            var p = CompensatedSum(), n = CompensatedSum()
            for b in stride(from: sketch.bucketCount - 1, through: 0, by: -1) { p.add(positive[b]); n.add(negative[b]) }
            var walk = RankingWalk(positives: p.value, negatives: n.value, settings: settings, cuts: [], full: columnCount == 1)
            var tp = CompensatedSum(), fp = CompensatedSum()
            var rank = 0
            for b in stride(from: sketch.bucketCount - 1, through: 0, by: -1) where lowest[b] <= highest[b] {
                tp.add(positive[b]); fp.add(negative[b])
                if positive[b] > 0 { rank += 1 }
                let spread = lowest[b] < highest[b]
                if spread { exact = false }
                walk.visit(threshold: lowest[b], tp: tp.value, fp: fp.value, spread: spread, rank: rank)
            }
            let areas = walk.areas()
            let column = ColumnRanking(rocAUC: areas.rocAUC, averagePrecision: areas.averagePrecision, slack: areas.slack,
                                       positives: p.value, negatives: n.value)
            columns.append(column)
            if columnCount == 1 {
                binary = (walk, p.value, n.value)
                // The negative class: buckets upwards, each a tie in 1 − s unless it spans several scores.
                var negativeWalk = RankingWalk(positives: n.value, negatives: p.value, settings: settings, cuts: [], full: false)
                // Buckets upwards, each a tie in 1 − s unless it spans several values of 1 − s. Neighbouring
                // buckets whose scores differ but round to one 1 − s (the highest score of one, the lowest of
                // the next) tie as well, as in the exact store: they form one point.
                var ntp = CompensatedSum(), nfp = CompensatedSum()
                var negativeRank = 0
                var group: (top: Double, bottom: Double)? // 1 − s of the pending point's lowest and highest score
                for b in 0..<sketch.bucketCount where lowest[b] <= highest[b] {
                    let top = 1 - lowest[b], bottom = 1 - highest[b]
                    if let pending = group, pending.bottom != top {
                        negativeWalk.visit(threshold: pending.bottom, tp: ntp.value, fp: nfp.value, spread: pending.top != pending.bottom,
                                           rank: negativeRank)
                        group = nil
                    }
                    ntp.add(negative[b]); nfp.add(positive[b])
                    if negative[b] > 0 { negativeRank += 1 }
                    group = (group?.top ?? top, bottom)
                }
                if let pending = group {
                    negativeWalk.visit(threshold: pending.bottom, tp: ntp.value, fp: nfp.value, spread: pending.top != pending.bottom,
                                       rank: negativeRank)
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

/// The negative class of a binary task, ranked by `1 − s`, read off the
/// positive column's walk (highest `s` first) without a second sort or pass.
///
/// Consecutive distinct `s` whose `1 − s` round to one value form one
/// threshold of the complement (as scikit-learn sees `1 − s`). For such a
/// run, with `(TP_B, FP_B)` the cumulative weights above it and
/// `(TP_A, FP_A)` those down to its end, the complement's point flags the
/// run and everything below: `N − FP_B` of its positives (the negatives)
/// and `P − TP_B` of its negatives, after `N − FP_A`, `P − TP_A` at the
/// previous point. So the run adds `(TP_A − TP_B)(2N − FP_B − FP_A)` to
/// twice the AUC's numerator and `(FP_A − FP_B)(N − FP_B) / (W − TP_B − FP_B)`
/// to `N` times the average precision.
///
/// A bucket's walk keeps its first run (which may continue the bucket
/// above's last) and its last run open; `ComplementWalk.joined` stitches the
/// buckets' walks in order.
struct ComplementWalk {
    typealias Counts = (tp: Double, fp: Double)
    let positives: Double
    let negatives: Double
    let start: Counts
    // File-private: `RankingWalk.visitUnitCounts` walks them in locals.
    fileprivate var auc = BlockSum(), ap = BlockSum()
    fileprivate var runValue = Double.nan
    fileprivate var before: Counts
    fileprivate var last: Counts
    fileprivate var closedRuns = 0
    /// The walk's first run, closed but not added (it may continue the walk before's last run).
    fileprivate var firstRun: (value: Double, end: Counts)?

    init(positives: Double, negatives: Double, start: Counts = (0, 0)) {
        self.positives = positives
        self.negatives = negatives
        self.start = start
        before = start
        last = start
    }

    /// The next distinct score, below every one visited, with the cumulative weights at or above it.
    @inline(__always)
    mutating func visit(score: Double, tp: Double, fp: Double) {
        let value = 1 - score
        if value != runValue {
            if !runValue.isNaN { closeRun() }
            runValue = value
            before = last
        }
        last = (tp, fp)
    }

    @inline(__always)
    private mutating func closeRun() {
        if closedRuns == 0 { firstRun = (runValue, last) } else { add(before: before, end: last) }
        closedRuns += 1
    }

    /// Adds a run from `before` to `end` (see the type's formulas).
    @inline(__always)
    private mutating func add(before: Counts, end: Counts) {
        let n = negatives, w = positives + negatives
        auc.add((end.tp - before.tp) * (2 * n - before.fp - end.fp))
        let flagged = w - before.tp - before.fp
        if end.fp != before.fp, flagged > 0 { ap.add((end.fp - before.fp) * (n - before.fp) / flagged) }
    }

    /// The walks of consecutive buckets (highest first) as one, runs that
    /// span a bucket boundary joined: AUC and average precision of the
    /// negative class (NaN when undefined).
    static func joined(_ walks: [ComplementWalk], positives: Double, negatives: Double) -> ScoreStore.ColumnRanking {
        var total = ComplementWalk(positives: positives, negatives: negatives)
        var pending: (value: Double, before: Counts, end: Counts)?
        for walk in walks where !walk.runValue.isNaN {
            let open = (value: walk.runValue, before: walk.before, end: walk.last)
            if let first = walk.firstRun {
                if let run = pending, run.value == first.value {
                    total.add(before: run.before, end: first.end)
                } else {
                    if let run = pending { total.add(before: run.before, end: run.end) }
                    total.add(before: walk.start, end: first.end)
                }
                total.auc.merge(walk.auc)
                total.ap.merge(walk.ap)
                pending = open
            } else if let run = pending, run.value == open.value {
                pending = (run.value, run.before, open.end)
            } else {
                if let run = pending { total.add(before: run.before, end: run.end) }
                pending = open
            }
        }
        if let run = pending { total.add(before: run.before, end: run.end) }
        let pairs = positives * negatives
        return ScoreStore.ColumnRanking(rocAUC: pairs > 0 ? total.auc.value / 2 / pairs : .nan,
                                        averagePrecision: negatives > 0 ? total.ap.value / negatives : .nan,
                                        slack: 0, positives: negatives, negatives: positives)
    }
}

/// Runs `body(task)` for every task in `0..<count`, on as many threads as
/// it likes, and returns when all have run. Ranking's results do not depend
/// on how the tasks are scheduled.
public typealias RankingRunner = @Sendable (_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> Void

/// A sum of many terms, added plainly in blocks of 64 that are folded into a
/// compensated total: nearly the cost of a plain sum, with an error of about
/// 64 ulps of the largest block (integer terms below 2⁵³ stay exact).
struct BlockSum {
    private var block = 0.0
    private var terms = 0
    private var total = CompensatedSum()

    @inline(__always)
    mutating func add(_ x: Double) {
        block += x
        terms &+= 1
        if terms == 64 {
            total.add(block)
            block = 0
            terms = 0
        }
    }

    /// Adds another sum after this one's terms.
    mutating func merge(_ other: BlockSum) {
        total.add(block)
        total.merge(other.total)
        total.add(other.block)
        block = 0
        terms = 0
    }

    var value: Double { total.value + block }
}

/// A piece of an exact column, read through pointers by the ranking's,
/// calibration's and fits' tasks.
struct PieceView: @unchecked Sendable {
    let keys: UnsafePointer<UInt64>
    let weights: UnsafePointer<Double>?
    let starts: UnsafePointer<UInt32>

    /// Views of `pieces`' storage; valid while `pieces` is neither mutated nor released.
    static func views(of pieces: [ExactScores.Piece]) -> [PieceView] {
        pieces.map { piece in
            PieceView(keys: piece.keys.withUnsafeBufferPointer { $0.baseAddress! },
                      weights: piece.weights?.withUnsafeBufferPointer { $0.baseAddress! },
                      starts: piece.starts.withUnsafeBufferPointer { $0.baseAddress! })
        }
    }
}

/// A pointer handed to tasks that write disjoint elements.
/// One slot per task of a runner: slot `i` is written by task `i` alone and
/// read only after the runner has finished every task (fold fits, chunk audits).
package final class TaskSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Value?>
    private let count: Int
    package init(count: Int) {
        self.count = count
        slots = .allocate(capacity: Swift.max(1, count))
        slots.initialize(repeating: nil, count: count)
    }
    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }
    package func set(_ i: Int, _ value: Value) { slots[i] = value }
    package func take(_ i: Int) -> Value { slots[i]! }
}

struct SendablePointer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
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

