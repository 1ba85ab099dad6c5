/// Platt and beta calibration: weighted maximum-likelihood logistic
/// regressions on features of the binary score, with an intercept.
///
/// - Platt: `P(y = 1) = σ(a·logit(s) + b)`, parameters `[a, b]` (plain MLE on
///   0/1 targets; scikit-learn's `_sigmoid_calibration` smooths the targets
///   and differs; this is `LogisticRegression(penalty=None)` on `logit(s)`).
/// - Beta (Kull, Silva Filho & Flach 2017): `σ(a·ln s − b·ln(1 − s) + c)`,
///   parameters `[a, b, c]`, unconstrained (`LogisticRegression(penalty=None)`
///   on `[ln s, −ln(1 − s)]`; the paper's variant that clamps `a, b ≥ 0` is not used).
///
/// How: Newton's method on `L(θ) = Σ w·(softplus(η) − y·η)` from `θ = 0`
/// (every row at ½), each step halved while the loss would rise by more than
/// its rounding (1e-12 relative; a step whose predicted decrease `−gᵀδ` is
/// below that is taken whole), until every parameter moves by at most 1e-12
/// relative (1e-12 absolute near 0): the quadratic convergence then leaves
/// the gradient at its rounding level. At most 200 steps. The sums run in 64
/// fixed chunks added in order (`ChunkedSum`), so threads do not change the bits.
///
/// Refused (the maximum does not exist or is not unique): fewer distinct
/// scores than parameters (Platt 2, beta 3); complete or quasi-complete
/// separation, where the likelihood keeps rising as the parameters grow.
/// For Platt that is one class's scores all at or above the other's (a
/// threshold on `s`); for beta, whose `a·ln s − b·ln(1 − s) + c` can change
/// sign twice, also one class's scores all inside an interval whose outside
/// holds only the other class (ties allowed at the ends). Reference: Albert
/// & Anderson (1984) on the existence of logistic MLEs; McCullagh & Nelder (1989), ch. 4.
enum LogisticFit {
    static func platt(_ data: FitData, runner: RankingRunner? = nil) throws(RecalibrationError) -> [Double] {
        let kind = data.shape.scoreKind
        let x = data.rows.map { Calibrator.logit(data.scores[$0], kind: kind) }
        let y = data.positives
        try checkSeparation(x, y, twoSided: false, method: "Platt", parameters: 2)
        return try newton(features: [x], y: y, w: data.rowWeights, start: [0, 0], method: "Platt", runner: runner)
    }

    static func beta(_ data: FitData, runner: RankingRunner? = nil) throws(RecalibrationError) -> [Double] {
        let kind = data.shape.scoreKind
        var lnS: [Double] = [], minusLnComplement: [Double] = [], order: [Double] = []
        lnS.reserveCapacity(data.rows.count)
        minusLnComplement.reserveCapacity(data.rows.count)
        for i in data.rows {
            let (a, b) = Calibrator.logs(data.scores[i], kind: kind)
            lnS.append(a)
            minusLnComplement.append(-b)
            order.append(Calibrator.logit(data.scores[i], kind: kind))
        }
        let y = data.positives
        try checkSeparation(order, y, twoSided: true, method: "beta", parameters: 3)
        return try newton(features: [lnS, minusLnComplement], y: y, w: data.rowWeights, start: [0, 0, 0], method: "beta", runner: runner)
    }

    /// Refuses too few distinct scores and (quasi-)separated classes along
    /// the ordered feature `x` (see the type's notes).
    static func checkSeparation(_ x: [Double], _ y: [Bool], twoSided: Bool, method: String, parameters: Int) throws(RecalibrationError) {
        // Distinct values (up to `parameters` of them), and each class's range.
        var distinct: [Double] = []
        var lowPositive = Double.infinity, highPositive = -Double.infinity
        var lowNegative = Double.infinity, highNegative = -Double.infinity
        for i in x.indices {
            let v = x[i]
            if distinct.count < parameters && !distinct.contains(v) { distinct.append(v) }
            if y[i] {
                lowPositive = Swift.min(lowPositive, v); highPositive = Swift.max(highPositive, v)
            } else {
                lowNegative = Swift.min(lowNegative, v); highNegative = Swift.max(highNegative, v)
            }
        }
        if distinct.count < parameters {
            throw RecalibrationError("\(method) calibration needs at least \(parameters) distinct scores; these rows have \(distinct.count)")
        }
        guard lowPositive <= highPositive && lowNegative <= highNegative else { return }
        if highNegative <= lowPositive || highPositive <= lowNegative {
            throw RecalibrationError("separable data: one class's scores are all at or above the other's, so the \(method) likelihood has no maximum (its parameters grow without bound); use isotonic or histogram calibration, or fit on rows where the classes overlap")
        }
        guard twoSided else { return }
        // One class inside an interval: no row of the other class strictly between its lowest and highest score.
        var negativeInside = false, positiveInside = false
        for i in x.indices {
            let v = x[i]
            if y[i] { if v > lowNegative && v < highNegative { positiveInside = true } } else if v > lowPositive && v < highPositive { negativeInside = true }
            if negativeInside && positiveInside { return }
        }
        let name = negativeInside ? "negative" : "positive"
        throw RecalibrationError("separable data: the \(name) rows' scores all lie in an interval whose outside holds only the other class, so the \(method) likelihood has no maximum (its parameters grow without bound); use isotonic or histogram calibration, or fit on rows where the classes overlap")
    }

    /// Damped Newton for `σ(θ₀·f₀ + … + θ_intercept)`; `features` are the
    /// columns without the intercept (the intercept is the last parameter).
    static func newton(features: [[Double]], y: [Bool], w: [Double], start: [Double], method: String,
                       runner: RankingRunner? = nil) throws(RecalibrationError) -> [Double] {
        let d = features.count + 1
        let n = y.count
        var theta = start
        func loss(_ t: [Double]) -> Double {
            ChunkedSum.sum(n, width: 1, runner: runner) { range, out in
                var total = 0.0
                for i in range {
                    var e = t[d - 1]
                    for j in 0..<(d - 1) { e += t[j] * features[j][i] }
                    total += w[i] * (StableMath.softplus(e) - (y[i] ? e : 0))
                }
                out[0] = total
            }[0]
        }
        var current = loss(theta)
        for _ in 0..<200 {
            // Gradient (d values) and the Hessian's lower triangle, row-major (d·d values).
            let t = theta
            let sums = ChunkedSum.sum(n, width: d + d * d, runner: runner) { range, out in
                var row = [Double](repeating: 1, count: d)
                for i in range {
                    var e = t[d - 1]
                    for j in 0..<(d - 1) { row[j] = features[j][i]; e += t[j] * row[j] }
                    let (p, q) = CalibrationFits.sigmoids(e)
                    let r = w[i] * (y[i] ? -q : p)
                    let v = w[i] * p * q
                    for a in 0..<d {
                        out[a] += r * row[a]
                        for b in 0...a { out[d + a * d + b] += v * row[a] * row[b] }
                    }
                }
            }
            let gradient = Array(sums[0..<d])
            var hessian = Array(sums[d...])
            for a in 0..<d { for b in (a + 1)..<d { hessian[a * d + b] = hessian[b * d + a] } }
            guard let step = solve(hessian, gradient.map { -$0 }, d) else {
                throw RecalibrationError("the \(method) fit is singular (the scores do not identify its parameters)")
            }
            // Near the optimum the predicted decrease is below the loss's rounding: take the full step.
            let decrease = -zip(gradient, step).reduce(0) { $0 + $1.0 * $1.1 }
            var candidate = theta
            if decrease <= 1e-12 * Swift.max(1, Swift.abs(current)) {
                for j in 0..<d { candidate[j] = theta[j] + step[j] }
            } else {
                var scale = 1.0
                while true {
                    for j in 0..<d { candidate[j] = theta[j] + scale * step[j] }
                    let value = loss(candidate)
                    if value <= current + 1e-12 * Swift.abs(current) || scale < 0x1p-30 {
                        current = Swift.min(current, value)
                        break
                    }
                    scale *= 0.5
                }
            }
            let moved = (0..<d).allSatisfy { Swift.abs(candidate[$0] - theta[$0]) <= 1e-12 * Swift.max(1, Swift.abs(candidate[$0])) }
            theta = candidate
            if !theta.allSatisfy(\.isFinite) { break }
            if moved { return theta }
        }
        throw RecalibrationError("the \(method) fit does not converge in 200 Newton steps (the classes are nearly separable)")
    }

    /// Solves `A·x = b` (`d × d`, row-major) by Gaussian elimination with
    /// partial pivoting; `nil` when a pivot is 0 or not finite.
    static func solve(_ matrix: [Double], _ rhs: [Double], _ d: Int) -> [Double]? {
        var a = matrix, b = rhs
        let scale = (0..<d).map { Swift.abs(matrix[$0 * d + $0]) }.max() ?? 0
        for c in 0..<d {
            var pivot = c
            for r in (c + 1)..<d where Swift.abs(a[r * d + c]) > Swift.abs(a[pivot * d + c]) { pivot = r }
            guard a[pivot * d + c].isFinite, Swift.abs(a[pivot * d + c]) > 1e-300, Swift.abs(a[pivot * d + c]) > 1e-14 * scale else { return nil }
            if pivot != c {
                for j in 0..<d { a.swapAt(c * d + j, pivot * d + j) }
                b.swapAt(c, pivot)
            }
            for r in (c + 1)..<d {
                let f = a[r * d + c] / a[c * d + c]
                for j in c..<d { a[r * d + j] -= f * a[c * d + j] }
                b[r] -= f * b[c]
            }
        }
        var x = [Double](repeating: 0, count: d)
        for c in stride(from: d - 1, through: 0, by: -1) {
            var s = b[c]
            for j in (c + 1)..<d { s -= a[c * d + j] * x[j] }
            x[c] = s / a[c * d + c]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
