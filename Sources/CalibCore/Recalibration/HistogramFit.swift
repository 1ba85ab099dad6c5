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
///
/// How: two passes over the sorted rows (the total weight, then the
/// distinct scores in order, each group's sums closed when the next score
/// starts), with no array the size of the data. The bin of a group is
/// `CalibrationPartial.equalMassIndex` of the weight below it, asked only
/// when that weight is near the current bin's bounds (outside them, by a
/// margin above two roundings, the exact comparison cannot differ).
enum HistogramFit {
    static func fit(_ data: FitData, bins: Int) -> (edges: [Double], values: [Double]) {
        let sorted = data.table.sorted!
        let excluded = data.excludedFold
        var total = CompensatedSum()
        for j in 0..<sorted.count where sorted.includes(j, excludedFold: excluded) { total += sorted.weights[j] }
        let totalWeight = total.value
        var edges: [Double] = [], values: [Double] = []
        var below = CompensatedSum()
        var currentBin = -1
        var binWeight = CompensatedSum(), binPositive = CompensatedSum()
        var bounds = BinBounds(total: totalWeight, count: bins)
        // The open group: its score, its weight and positive weight.
        var groupX = Double.nan, groupWeight = CompensatedSum(), groupPositive = CompensatedSum()
        var previousX = Double.nan
        var open = false
        func close() {
            let bin = bounds.index(below: below.value, current: currentBin)
            if bin != currentBin {
                if currentBin >= 0 {
                    edges.append(previousX)
                    values.append(binPositive.value / binWeight.value)
                }
                currentBin = bin
                bounds.enter(bin)
                binWeight = CompensatedSum()
                binPositive = CompensatedSum()
            }
            binWeight.merge(groupWeight)
            binPositive.merge(groupPositive)
            below.merge(groupWeight)
            previousX = groupX
        }
        for j in 0..<sorted.count where sorted.includes(j, excludedFold: excluded) {
            let x = sorted.score(j), w = sorted.weights[j]
            if !open || groupX != x {
                if open { close() }
                open = true
                groupX = x
                groupWeight = CompensatedSum()
                groupPositive = CompensatedSum()
            }
            groupWeight += w
            if sorted.positive(j) { groupPositive += w }
        }
        if open { close() }
        values.append(binPositive.value / binWeight.value)
        return (edges, values)
    }

    /// `CalibrationPartial.equalMassIndex(below: c, total: W, count: B)` —
    /// the largest `j < B` with `c·B ≥ j·W` exactly — for non-decreasing
    /// `c`, skipping the exact test while `c` is clearly inside the current
    /// bin `j`: at least an upper bound of `j·W/B` and below a lower bound of
    /// `(j + 1)·W/B` (each the rounded quotient moved by 2⁻⁵⁰ relative, more
    /// than its two roundings), so both comparisons hold exactly.
    struct BinBounds {
        let total: Double
        let count: Int
        var low = Double.infinity, high = -Double.infinity

        init(total: Double, count: Int) {
            self.total = total
            self.count = count
        }

        func index(below c: Double, current: Int) -> Int {
            if current >= 0 && c >= low && c < high { return current }
            return CalibrationPartial.equalMassIndex(below: c, total: total, count: count)
        }

        /// Bounds for bin `j` (none, so that every call is exact, when the totals are out of the safe range).
        mutating func enter(_ j: Int) {
            let margin = 0x1p-50
            guard total >= 0x1p-900 && total <= 0x1p900 else {
                (low, high) = (.infinity, -.infinity)
                return
            }
            let b = Double(count)
            low = j == 0 ? 0 : (Double(j) * total / b) * (1 + margin)
            high = j == count - 1 ? .infinity : (Double(j + 1) * total / b) * (1 - margin)
        }
    }

    /// The value of score `x`: `values[#{j : edges_j < x}]`.
    static func value(_ x: Double, edges: [Double], values: [Double]) -> Double {
        values[edges.withUnsafeBufferPointer { index(x, edges: $0.baseAddress, count: $0.count) }]
    }

    /// `#{j : edges_j < x}` for `count` ascending edges at `edges` (a binary
    /// search; 0 for a NaN `x`, which is below no edge).
    @inline(__always)
    static func index(_ x: Double, edges: UnsafePointer<Double>?, count: Int) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if edges![mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
