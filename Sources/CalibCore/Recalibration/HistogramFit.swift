/// Histogram binning (Zadrozny & Elkan 2001) on the equal-mass bins of SPEC
/// section 9: with rows sorted by score `x` and `C(x)` the weight of rows
/// scored at most `x`, the edges are `t_j = min{x_i : C(x_i) ≥ j·W/B}`
/// (`j = 1…B−1`, the comparison exact, as the audit's `equalMassECE`), a row
/// falls in bin `#{j : t_j < x}`, and each bin maps to its weighted observed
/// positive rate `Σ w·y / Σ w`.
///
/// Stored as the distinct edges `u_1 < … < u_m` and one value per interval
/// `(−∞, u_1], (u_1, u_2], …, (u_m, ∞)`: tied edges are one edge, so every
/// interval but the last holds its upper edge's rows; when the last holds
/// none (the top score carries a whole bin's weight) its edge is dropped, and
/// scores above the top edge take the top bin's value. New scores use the
/// same rule (`values[#{j : u_j < x}]`). Probability scores unclipped;
/// logits through `σ(z)`. Rows of weight 0 take no part.
enum HistogramFit {
    static func fit(_ data: FitData, bins: Int) -> (edges: [Double], values: [Double]) {
        let sorted = data.table.sorted!
        var total = CompensatedSum()
        for j in sorted.scores.indices where sorted.includes(j, excludedFold: data.excludedFold) { total += sorted.weights[j] }
        let totalWeight = total.value
        // Distinct scores with their weights and positive weights (rows read in place, in score order).
        var scores: [Double] = [], weights: [CompensatedSum] = [], positives: [CompensatedSum] = []
        scores.reserveCapacity(sorted.scores.count); weights.reserveCapacity(sorted.scores.count); positives.reserveCapacity(sorted.scores.count)
        for j in sorted.scores.indices where sorted.includes(j, excludedFold: data.excludedFold) {
            let x = sorted.scores[j], w = sorted.weights[j]
            if scores.last != x {
                scores.append(x); weights.append(CompensatedSum()); positives.append(CompensatedSum())
            }
            weights[weights.count - 1] += w
            if sorted.positive[j] { positives[positives.count - 1] += w }
        }
        // Bin of each distinct score: the edges below it, from the weight below it.
        var edges: [Double] = [], values: [Double] = []
        var below = CompensatedSum()
        var currentBin = -1
        var binWeight = CompensatedSum(), binPositive = CompensatedSum()
        for g in scores.indices {
            let bin = CalibrationPartial.equalMassIndex(below: below.value, total: totalWeight, count: bins)
            if bin != currentBin {
                if currentBin >= 0 {
                    edges.append(scores[g - 1])
                    values.append(binPositive.value / binWeight.value)
                }
                currentBin = bin
                binWeight = CompensatedSum()
                binPositive = CompensatedSum()
            }
            binWeight.merge(weights[g])
            binPositive.merge(positives[g])
            below.merge(weights[g])
        }
        values.append(binPositive.value / binWeight.value)
        return (edges, values)
    }

    /// The value of score `x`: `values[#{j : edges_j < x}]`.
    static func value(_ x: Double, edges: [Double], values: [Double]) -> Double {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if edges[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return values[lo]
    }
}
