#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Temperature scaling (Guo et al. 2017): the `T > 0` minimising the
/// weighted cross-entropy of `softmax(z / T)`, with `z` the logits (binary:
/// `(0, logit(s))`, so that `softmax = (1 − σ, σ)(logit(s) / T)`; probability
/// input: `ln p`, `p` clipped to `[ε, 1]`, binary `logit(s')` of `s'` clipped to `[ε, 1 − ε]`).
///
/// How: in `β = 1/T` the loss `L(β) = Σ w·(lse(β·z) − β·z_y)` is convex, with
/// `L'(β) = Σ w·(E_β[z] − z_y)` and `L''(β) = Σ w·Var_β(z) ≥ 0`. Newton steps
/// in `β` inside a bracket `[lo, hi]` with `L'(lo) < 0 < L'(hi)` (bisection when a
/// step leaves it), until a step is below 1e-14·β: the last iterate is then
/// within ~1e-16 relative of the minimum (quadratic convergence), so `|L'|` is at
/// the level of its rounding.
///
/// Refused: every row's true class has the highest score (ties allowed):
/// `L' < 0` for every β, the loss falls as `T → 0`; `L'(0) ≥ 0`: the scores
/// are no better than a uniform guess, and the best `T` is infinite.
/// Reference: Guo, Pleiss, Sun & Weinberger (2017), "On calibration of modern neural networks".
enum TemperatureFit {
    static func fit(_ data: FitData, runner: RankingRunner? = nil) throws(RecalibrationError) -> Double {
        let k = data.shape.classCount
        let n = data.rows.count
        // Logit vectors, flat, and true-class indices.
        var z = [Double](repeating: 0, count: n * k)
        var y = [Int](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: n)
        var everyTrueIsTop = true
        var anySpread = false
        let per = data.shape.scoresPerRow
        for (r, i) in data.rows.enumerated() {
            y[r] = Int(data.labels[i])
            w[r] = data.weights[i]
            if k == 2 {
                z[r * 2 + 1] = Calibrator.logit(data.scores[i], kind: data.shape.scoreKind)
            } else {
                for j in 0..<k {
                    let s = data.scores[i * per + j]
                    z[r * k + j] = data.shape.scoreKind == .logits ? s : log(Swift.max(s, Calibrator.epsilon))
                }
            }
            var top = -Double.infinity, bottom = Double.infinity
            for j in 0..<k {
                top = Swift.max(top, z[r * k + j])
                bottom = Swift.min(bottom, z[r * k + j])
            }
            if bottom < top { anySpread = true }
            if z[r * k + y[r]] < top { everyTrueIsTop = false }
        }
        if !anySpread {
            throw RecalibrationError("every row scores all classes equally: there is nothing for a temperature to scale")
        }
        if everyTrueIsTop {
            throw RecalibrationError("every row's true class has the highest score (the classes are separated): the cross-entropy falls as T goes to 0, so there is no best temperature")
        }
        let zs = z, ys = y, ws = w
        func derivatives(_ beta: Double) -> (first: Double, second: Double) {
            let sums = ChunkedSum.sum(n, width: 2, runner: runner) { range, out in
                var g = 0.0, h = 0.0
                if k == 2 {
                    // z = (0, ℓ): E[z] = σ(βℓ)·ℓ, Var(z) = σ(βℓ)σ(−βℓ)·ℓ², one exp per row.
                    for r in range {
                        let l = zs[2 * r + 1]
                        let (p, q) = CalibrationFits.sigmoids(beta * l)
                        g += ws[r] * (p * l - (ys[r] == 1 ? l : 0))
                        h += ws[r] * p * q * l * l
                    }
                } else {
                    for r in range {
                        let base = r * k
                        var m = -Double.infinity
                        for j in 0..<k where beta * zs[base + j] > m { m = beta * zs[base + j] }
                        var total = 0.0, mean = 0.0, square = 0.0
                        for j in 0..<k {
                            let e = exp(beta * zs[base + j] - m)
                            total += e
                            mean += e * zs[base + j]
                            square += e * zs[base + j] * zs[base + j]
                        }
                        mean /= total
                        square /= total
                        g += ws[r] * (mean - zs[base + ys[r]])
                        h += ws[r] * Swift.max(0, square - mean * mean)
                    }
                }
                out[0] = g
                out[1] = h
            }
            return (sums[0], sums[1])
        }
        let atZero = derivatives(0).first
        if !(atZero < 0) {
            throw RecalibrationError("the scores are no better than a uniform guess on these rows: the best temperature is infinite")
        }
        var lo = 0.0, hi = 1.0
        var beta = 1.0
        var (g, h) = derivatives(beta)
        while g < 0 {
            lo = hi
            hi *= 2
            if hi > 0x1p60 { throw RecalibrationError("the temperature fit does not converge (T below 2⁻⁶⁰)") }
            beta = hi
            (g, h) = derivatives(beta)
        }
        if g == 0 { return 1 / beta }
        // Now L'(lo) < 0 < L'(hi); start from the bracket's upper end.
        beta = hi
        for _ in 0..<500 {
            var next = h > 0 ? beta - g / h : .nan
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            let step = Swift.abs(next - beta)
            beta = next
            (g, h) = derivatives(beta)
            if g < 0 { lo = beta } else if g > 0 { hi = beta } else { return 1 / beta }
            if step <= 1e-14 * beta || hi - lo <= 1e-15 * beta { return 1 / beta }
        }
        throw RecalibrationError("the temperature fit does not converge")
    }
}
