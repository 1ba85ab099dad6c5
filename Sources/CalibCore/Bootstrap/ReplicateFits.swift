#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The logistic calibration fits of SPEC 9 (`calibrationSlope`,
/// `calibrationIntercept`, as `CalibrationFits`) on the bootstrap grid's
/// pseudo-rows of a binary task (`BootstrapReplicates.pseudoStore`): the
/// same maximum-likelihood estimates, by damped Newton on exact sums over
/// the pseudo-rows instead of `FitCells`' Taylor moments.
///
/// **Why.** Every replicate's grid holds the same pseudo-rows (one per
/// non-empty cell and label, at the full sample's mean score there), only
/// their weights differ. So each row's `x = logit(s')` is found once, and a
/// Newton evaluation is one `exp` and one `log1p` per row (about 1,800 rows
/// for the benchmark's scores). `FitCells` sums moments of rows that share a
/// store bucket, but pseudo-rows rarely do: its 9-term series per cell cost
/// some ten times more than the rows' own terms (the replicates' fits were
/// half of the bootstrap's finish).
///
/// **How.** The sums are `FitCells.exactSums`' (gradient by `CompensatedSum`,
/// Hessian and log-likelihood plain, rows in slot order), and the iteration
/// is `FitCells.newton` to a step below 1e-9 relative, which its quadratic
/// convergence puts within ~1e-16 of the maximum, as the exact passes of
/// `FitCells.solve` are. The full sample's grid is fitted from `(0, 1)`;
/// each replicate starts from that solution (a warm start: replicates lie
/// within a few standard errors of it, so two to four steps suffice). The
/// undefined cases are `CalibrationFits.fitted`'s: a class without weight,
/// all clipped scores equal, complete or quasi-complete separation.
struct ReplicateFits: Sendable {
    /// Each pseudo-row's grid slot (of column 0), `x = side·logit(v)`, clipped score and label, in slot order.
    let slots: [Int]
    let logits: [Double]
    let clipped: [Double]
    let positive: [Bool]
    /// The largest `|x|` (bounds a step's move of `η`, as `FitCells.solve`'s `reach`).
    let reach: Double

    /// The fits of the full sample's grid: the warm start of every replicate's.
    private(set) var start: (intercept: Double, slope: (a: Double, b: Double))?

    /// The pseudo-rows of column 0 of `bootstrap`'s grid (the slots with weight in the full sample).
    init(_ bootstrap: BootstrapReplicates) {
        var slots: [Int] = [], logits: [Double] = [], clipped: [Double] = [], positive: [Bool] = []
        var reach = 0.0
        let epsilon = CalibrationFits.epsilon
        for slot in 0..<(2 * bootstrap.cellCount) {
            // The pseudo-row's score, as `pseudoStore` keys it (−0 read as +0).
            guard let score = bootstrap.pseudoScore(slot: slot) else { continue }
            let s = score + 0
            // As `FitCells.exactSums`: v = s' or 1 − s', at least ε; x = side·logit(v).
            let upperSide = s >= 0.5
            let v = Swift.max(upperSide ? 1 - s : s, epsilon)
            let logit = log(v) - log1p(-v)
            let x = upperSide ? -logit : logit
            slots.append(slot)
            logits.append(x)
            clipped.append(Swift.min(Swift.max(s, epsilon), 1 - epsilon))
            positive.append(slot % 2 == 1)
            reach = Swift.max(reach, Swift.abs(x))
        }
        self.slots = slots
        self.logits = logits
        self.clipped = clipped
        self.positive = positive
        self.reach = reach
    }

    /// Fits the full sample's grid (weights `bootstrap.fullWeights`) and keeps its solution as the replicates' start.
    mutating func fitFullSample(_ bootstrap: BootstrapReplicates) -> CalibrationFits {
        let weights = slots.map { bootstrap.fullWeights[$0] }
        let (fits, intercept, slope) = fit(weights: weights, start: nil)
        if let intercept, let slope { start = (intercept, slope) }
        else if let intercept { start = (intercept, (0, 1)) }
        return fits
    }

    /// Replicate `replicate`'s fits, from the full sample's solution.
    func fit(_ bootstrap: BootstrapReplicates, replicate: Int) -> CalibrationFits {
        let weights = slots.map { bootstrap.cells.weight(slot: $0, replicate: replicate) }
        return fit(weights: weights, start: start).fits
    }

    /// The two fits on the rows' `weights` (a row of weight 0 is absent), as `CalibrationFits.fitted`,
    /// with the intercept fit's `a₀` and the slope fit's `(a, b)` when they converge.
    func fit(weights: [Double], start: (intercept: Double, slope: (a: Double, b: Double))?)
        -> (fits: CalibrationFits, intercept: Double?, slope: (a: Double, b: Double)?) {
        var fits = CalibrationFits()
        var lowest = (positive: Double.infinity, negative: Double.infinity)
        var highest = (positive: -Double.infinity, negative: -Double.infinity)
        for i in weights.indices where weights[i] > 0 {
            if positive[i] {
                lowest.positive = Swift.min(lowest.positive, clipped[i])
                highest.positive = Swift.max(highest.positive, clipped[i])
            } else {
                lowest.negative = Swift.min(lowest.negative, clipped[i])
                highest.negative = Swift.max(highest.negative, clipped[i])
            }
        }
        guard lowest.positive.isFinite && lowest.negative.isFinite else {
            fits.slopeUndefinedReason = CalibrationFits.oneClassAbsent
            fits.interceptUndefinedReason = CalibrationFits.oneClassAbsent
            return (fits, nil, nil)
        }
        let intercept = solve(slope: false, weights: weights, start: (start?.intercept ?? 0, 1))
        if let intercept {
            fits.intercept = intercept.a
        } else {
            fits.interceptUndefinedReason = CalibrationFits.notConverged
        }
        var slope: (a: Double, b: Double)?
        if lowest.positive == highest.positive && lowest.negative == highest.negative && lowest.positive == lowest.negative {
            fits.slopeUndefinedReason = CalibrationFits.allScoresEqual
        } else if highest.negative <= lowest.positive || highest.positive <= lowest.negative {
            fits.slopeUndefinedReason = CalibrationFits.separable
        } else if let fit = solve(slope: true, weights: weights, start: start?.slope ?? (0, 1)) {
            fits.slope = fit.b
            slope = fit
        } else {
            fits.slopeUndefinedReason = CalibrationFits.notConverged
        }
        return (fits, intercept?.a, slope)
    }

    /// One fit (the slope fit with `a` and `b`, or the intercept fit with `b = 1`) by `FitCells.newton` on the rows' exact sums.
    private func solve(slope: Bool, weights: [Double], start: (a: Double, b: Double)) -> (a: Double, b: Double)? {
        var evaluations = 0
        return weights.withUnsafeBufferPointer { w in
            FitCells.newton(slope: slope, start: start, tolerance: 1e-9, iterations: 100, reach: reach,
                            evaluations: &evaluations) { a, b in
                sums(a: a, b: b, slope: slope, weights: w.baseAddress!)
            }
        }.map { ($0.a, $0.b) }
    }

    /// The gradient, Hessian and log-likelihood at `(a, b)` over the rows of positive weight (`FitCells.exactSums`' terms).
    func sums(a: Double, b: Double, slope: Bool, weights: UnsafePointer<Double>) -> FitSums {
        var sums = FitSums()
        var ga = CompensatedSum(), gb = CompensatedSum()
        logits.withUnsafeBufferPointer { xs in
            positive.withUnsafeBufferPointer { labels in
                for i in 0..<xs.count where weights[i] > 0 {
                    let x = xs[i], w = weights[i]
                    let eta = a + b * x
                    // `CalibrationFits.sigmoids` and `softplus`, sharing the one `exp`.
                    let e = exp(-Swift.abs(eta))
                    let near = 1 / (1 + e), far = e / (1 + e)
                    let (mu, nu) = eta >= 0 ? (near, far) : (far, near)
                    let isPositive = labels[i]
                    let g = w * (isPositive ? nu : -mu)
                    let q = w * mu * nu
                    ga.add(g)
                    sums.haa += q
                    sums.ll -= w * (Swift.max(isPositive ? -eta : eta, 0) + log1p(e))
                    if slope {
                        gb.add(g * x)
                        sums.hab += q * x
                        sums.hbb += q * x * x
                    }
                }
            }
        }
        sums.ga = ga.value
        sums.gb = gb.value
        return sums
    }
}
