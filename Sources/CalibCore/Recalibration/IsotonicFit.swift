/// Isotonic calibration, step for step as scikit-learn 1.9's
/// `IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)` with
/// `sample_weight`:
/// 1. rows of weight 0 are dropped; the rest are sorted by score, then label
///    (`np.lexsort((y, X))`);
/// 2. scores less than `1e-15` (`np.finfo(float64).resolution`) above the first
///    score of their group are pooled into it (`_make_unique`: the group keeps
///    its first score, the weighted mean label and the summed weight);
/// 3. pool adjacent violators on those means (`_inplace_contiguous_isotonic_regression`,
///    transcribed: the same pooling order, so the same rounding), clipped to [0, 1];
/// 4. interior points equal in value to both neighbours are dropped
///    (`trim_duplicates`), leaving `X_thresholds_` and `y_thresholds_`.
/// A new score is clipped to `[first, last]` threshold and interpolated linearly
/// (scipy's `interp1d`: `slope·(x − x_lo) + y_lo`); one threshold is a constant.
/// Ties: exactly tied scores are one point (their mean label), as scikit-learn.
/// Probability scores are used unclipped; logits through `σ(z)`.
enum IsotonicFit {
    static let resolution = 1e-15

    static func fit(_ data: FitData) -> (thresholds: [Double], values: [Double]) {
        let sorted = data.table.sorted!
        // _make_unique, over the included rows in score order (read in place: no copy per fold).
        var ux: [Double] = [], uy: [Double] = [], uw: [Double] = []
        ux.reserveCapacity(sorted.scores.count); uy.reserveCapacity(sorted.scores.count); uw.reserveCapacity(sorted.scores.count)
        var currentX = Double.nan, currentY = 0.0, currentW = 0.0
        for j in sorted.scores.indices where sorted.includes(j, excludedFold: data.excludedFold) {
            let x = sorted.scores[j], w = sorted.weights[j]
            let y: Double = sorted.positive[j] ? 1 : 0
            if currentX.isNaN { currentX = x }
            if x - currentX >= resolution {
                ux.append(currentX); uw.append(currentW); uy.append(currentY / currentW)
                currentX = x
                currentW = w
                currentY = y * w
            } else {
                currentW += w
                currentY += y * w
            }
        }
        ux.append(currentX); uw.append(currentW); uy.append(currentY / currentW)
        pav(&uy, &uw)
        for i in uy.indices { uy[i] = Swift.min(Swift.max(uy[i], 0), 1) }
        // trim_duplicates
        var thresholds: [Double] = [], values: [Double] = []
        for i in uy.indices {
            let keep = i == 0 || i == uy.count - 1 || uy[i] != uy[i - 1] || uy[i] != uy[i + 1]
            if keep { thresholds.append(ux[i]); values.append(uy[i]) }
        }
        return (thresholds, values)
    }

    /// scikit-learn's `_inplace_contiguous_isotonic_regression`: `y[i]` becomes
    /// the fitted value of point `i` (non-decreasing), pooling with weights `w`.
    static func pav(_ y: inout [Double], _ w: inout [Double]) {
        let n = y.count
        var target = Array(0..<n)
        var i = 0
        while i < n {
            var k = target[i] + 1
            if k == n { break }
            if y[i] < y[k] {
                i = k
                continue
            }
            var sumWY = w[i] * y[i]
            var sumW = w[i]
            while true {
                let previous = y[k]
                sumWY += w[k] * y[k]
                sumW += w[k]
                k = target[k] + 1
                if k == n || previous < y[k] {
                    y[i] = sumWY / sumW
                    w[i] = sumW
                    target[i] = k - 1
                    target[k - 1] = i
                    if i > 0 { i = target[i - 1] }
                    break
                }
            }
        }
        // Fill in the pooled blocks.
        i = 0
        while i < n {
            let k = target[i] + 1
            if k > i + 1 { for j in (i + 1)..<k { y[j] = y[i] } }
            i = k
        }
    }

    /// The fitted function at `x`: clipped to the thresholds' range, then linear interpolation.
    static func interpolate(_ x: Double, thresholds: [Double], values: [Double]) -> Double {
        let n = thresholds.count
        if n == 1 { return values[0] }
        let t = Swift.min(Swift.max(x, thresholds[0]), thresholds[n - 1])
        // The first threshold ≥ t (numpy's searchsorted, side "left"), at least 1.
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if thresholds[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        let above = Swift.max(1, Swift.min(lo, n - 1))
        let below = above - 1
        let slope = (values[above] - values[below]) / (thresholds[above] - thresholds[below])
        return slope * (t - thresholds[below]) + values[below]
    }
}
