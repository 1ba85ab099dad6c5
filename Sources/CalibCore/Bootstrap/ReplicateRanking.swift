/// The ranking areas of SPEC 8 (`rocAUC`, `averagePrecision`, and the
/// multiclass `weightedROCAUC`) of the bootstrap grid's pseudo-rows
/// (`BootstrapReplicates.pseudoStore`), bit for bit what
/// `ScoreStore.rankExact` finds on them, for one replicate at a time.
///
/// **Why.** Every replicate's grid holds the same pseudo-rows (one per
/// non-empty cell and label of a column), only their weights differ, so their
/// order is found once. `rankExact` sorts each grid bucket again for every
/// replicate and starts a `RankingWalk` per bucket (operating points, cuts,
/// curves): for the ~1,800 pseudo-rows of the benchmark's binary grid that
/// was some 14M instructions a replicate, for two numbers.
///
/// **Bit for bit.** The walk's sums are reproduced in its order: each
/// bucket's class weights by `CompensatedSum` in the store's order (the
/// slots', ascending), the weights above each bucket as their compensated
/// running sums from the top, then per bucket, from its highest score down,
/// the cumulative weights (`CompensatedSum` from the weight above), one point
/// per distinct score (the lowest point of the column at the exact totals),
/// and the trapezoids `ΔFP·(TP + TP′)` and precision terms `ΔTP·TP/(TP + FP)`
/// in a `BlockSum` per bucket, appended bucket after bucket as
/// `RankingWalk.append` does. A pseudo-row of weight 0 is absent, as in the
/// store. Keys within a column are distinct (cells do not overlap), so the
/// order is the keys'. Checked against `rankExact` in `ReplicateRankingTests`.
struct ReplicateRanking: Sendable {
    /// One ranked column's pseudo-rows, highest key first, in groups of one grid bucket.
    struct Column: Sendable {
        /// Each row's slot (of the whole grid) and store key.
        let slots: [Int]
        let keys: [UInt64]
        /// Where each bucket's rows start in `slots`, highest bucket first, then `slots.count`.
        let groupStarts: [Int]
    }

    let columns: [Column]

    /// The ranked columns of `bootstrap`'s grid (`K` of them; 1 for a binary task), from the slots with weight in the full sample.
    init(_ bootstrap: BootstrapReplicates, rankedColumns: Int) {
        let cells = 2 * bootstrap.cellCount
        columns = (0..<rankedColumns).map { j in
            var rows: [(key: UInt64, slot: Int)] = []
            for slot in (j * cells)..<((j + 1) * cells) {
                guard let score = bootstrap.pseudoScore(slot: slot) else { continue }
                rows.append((ScoreStore.key(score: score, positive: slot % 2 == 1), slot))
            }
            rows.sort { $0.key > $1.key }
            var starts: [Int] = []
            var last = -1
            for (i, row) in rows.enumerated() {
                let bucket = ExactScores.grid.bucket(key: row.key)
                if bucket != last { starts.append(i); last = bucket }
            }
            starts.append(rows.count)
            return Column(slots: rows.map(\.slot), keys: rows.map(\.key), groupStarts: starts)
        }
    }

    /// The ranking of the grid's pseudo-rows weighing `weight(slot)`: the areas, and for a binary task
    /// the positive rate; the other fields (operating points, curves, sweep, the negative class) empty or NaN.
    func ranking(weight: (Int) -> Double) -> RankingMetrics {
        let areas = columns.map { Self.areas($0, weight: weight) }
        if areas.count == 1 {
            let a = areas[0], total = a.positives + a.negatives
            return RankingMetrics(
                rocAUC: a.rocAUC, weightedROCAUC: .nan, averagePrecision: a.averagePrecision,
                positiveRate: total > 0 ? a.positives / total : .nan, recallAtPrecision: [], recallAtFPR: [], recallAtTop: [],
                sweep: [], cost: nil, perClass: [ClassRanking(rocAUC: .nan, averagePrecision: .nan),
                                                 ClassRanking(rocAUC: a.rocAUC, averagePrecision: a.averagePrecision)],
                exact: true, maxAUCError: 0, rocCurve: [], precisionRecallCurve: [])
        }
        // `ScoreStore.assemble`'s means over the classes where they are defined.
        let aucs = areas.map(\.rocAUC).filter { !$0.isNaN }
        let aps = areas.map(\.averagePrecision).filter { !$0.isNaN }
        var weightedSum = 0.0, weightSum = 0.0
        for a in areas where !a.rocAUC.isNaN {
            weightedSum += a.positives * a.rocAUC
            weightSum += a.positives
        }
        return RankingMetrics(
            rocAUC: aucs.isEmpty ? .nan : aucs.reduce(0, +) / Double(aucs.count),
            weightedROCAUC: weightSum > 0 ? weightedSum / weightSum : .nan,
            averagePrecision: aps.isEmpty ? .nan : aps.reduce(0, +) / Double(aps.count),
            positiveRate: .nan, recallAtPrecision: [], recallAtFPR: [], recallAtTop: [], sweep: [], cost: nil,
            perClass: areas.map { ClassRanking(rocAUC: $0.rocAUC, averagePrecision: $0.averagePrecision) },
            exact: true, maxAUCError: 0, rocCurve: [], precisionRecallCurve: [])
    }

    /// One column's AUC and average precision, and its class weights, as `ScoreStore.walkExact` and `RankingWalk.areas`.
    static func areas(_ column: Column, weight: (Int) -> Double)
        -> (rocAUC: Double, averagePrecision: Double, positives: Double, negatives: Double) {
        let count = column.slots.count
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(1, count)) { w in
            for i in 0..<count { w[i] = weight(column.slots[i]) }
            let keys = column.keys, starts = column.groupStarts
            let groups = starts.count - 1
            return withUnsafeTemporaryAllocation(of: (tp: Double, fp: Double).self, capacity: Swift.max(1, groups)) { above in
                // 1. Each bucket's class weights (its rows in store order: ascending), and the weights above each bucket.
                var p = CompensatedSum(), n = CompensatedSum()
                var lowestGroup = -1
                for g in 0..<groups {
                    above[g] = (p.value, n.value)
                    var bp = CompensatedSum(), bn = CompensatedSum()
                    var present = false
                    var i = starts[g + 1]
                    while i > starts[g] {
                        i -= 1
                        guard w[i] > 0 else { continue }
                        present = true
                        if keys[i] & 1 == 1 { bp.add(w[i]) } else { bn.add(w[i]) }
                    }
                    guard present else { continue }
                    p.merge(bp)
                    n.merge(bn)
                    lowestGroup = g
                }
                let positives = p.value, negatives = n.value
                // 2. Each bucket's walk from its highest score down, appended in turn (`RankingWalk.append`).
                var auc = BlockSum(), ap = BlockSum()
                for g in 0...Swift.max(0, lowestGroup) where lowestGroup >= 0 {
                    var bucketAUC = BlockSum(), bucketAP = BlockSum()
                    var tp = above[g].tp, fp = above[g].fp
                    var wtp = CompensatedSum(tp), wfp = CompensatedSum(fp)
                    var visited = false
                    var i = starts[g]
                    let end = starts[g + 1]
                    while i < end {
                        guard w[i] > 0 else { i += 1; continue }
                        let score = keys[i] >> 1
                        repeat {
                            if w[i] > 0 {
                                if keys[i] & 1 == 1 { wtp.add(w[i]) } else { wfp.add(w[i]) }
                            }
                            i += 1
                        } while i < end && keys[i] >> 1 == score
                        visited = true
                        // The column's lowest point flags every row: exactly (P, N).
                        var lowest = g == lowestGroup
                        if lowest {
                            var j = i
                            while j < end && !(w[j] > 0) { j += 1 }
                            lowest = j == end
                        }
                        let (newTP, newFP) = lowest ? (positives, negatives) : (wtp.value, wfp.value)
                        let dTP = newTP - tp, dFP = newFP - fp
                        bucketAUC.add(dFP * (newTP + tp))
                        if dTP != 0 { bucketAP.add(dTP * newTP / (newTP + newFP)) }
                        tp = newTP
                        fp = newFP
                    }
                    guard visited else { continue }
                    auc.merge(bucketAUC)
                    ap.merge(bucketAP)
                }
                let pairs = positives * negatives
                return (pairs > 0 ? auc.value / 2 / pairs : .nan, positives > 0 ? ap.value / positives : .nan, positives, negatives)
            }
        }
    }
}
