import CalibKernels

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
/// How: Newton's method on `L(θ) = Σ w·(softplus(η) − y·η)`, each step
/// halved while the loss would rise by more than its rounding (1e-12
/// relative; a step whose predicted decrease `−gᵀδ` is below that is taken
/// whole), until every parameter moves by at most 1e-12 relative (1e-12
/// absolute near 0): the quadratic convergence then leaves the gradient at its
/// rounding level. At most 200 steps. One pass over the rows gives the loss,
/// gradient and Hessian at a point together (one `exp` and one `log1p` a row).
/// The start is the fit to the rows compressed into 4,096 cells of
/// `logit(s)` on `[−40, 40]` per label (each cell's rows at their mean
/// features), which lands within about 1e-5 of the answer, so the full data
/// takes about three passes; on more than 131,072 rows the whole fit and a
/// cross-fit's folds start closer still, from 32,768 finer cells (`fit`,
/// `foldStarts`), and take two. The sums run in 64 fixed chunks added in order
/// (`ChunkedSum`), so threads do not change the bits.
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
    /// Platt (`[a, b]`) or beta (`[a, b, c]`) on the included rows of `data`.
    /// `start` (a fold's start from `foldStarts`) replaces the compressed
    /// cells' fit as Newton's start, and the loss at it is summed only if a
    /// decision reads it (a start that close needs none).
    /// The whole fit (no fold left out) on many rows starts from the fit to
    /// every fold's fine cells (`FoldCells`, within about 1e-7 of the answer)
    /// and, like a fold, ends in about two passes without the loss at its
    /// start; `fineStart: false` keeps the compressed cells' start (tests).
    static func fit(_ data: FitData, method: RecalibrationMethod, runner: RankingRunner? = nil,
                    start close: [Double]? = nil, fineStart: Bool = true) throws(RecalibrationError) -> [Double] {
        let design = data.table.logistic!
        let name = method == .platt ? "Platt" : "beta"
        let d = design.featureCount + 1
        try checkSeparation(data, design, twoSided: method == .beta, method: name, parameters: d)
        let rows = LogisticRows(features: design.features, featureCount: design.featureCount, labels: data.table.labels,
                                weights: data.table.weights, excludedFold: data.excludedFold)
        if let close, close.count == d, close.allSatisfy(\.isFinite) {
            return try newton(rows, start: close, method: name, runner: runner, startLoss: false)
        }
        if fineStart && data.excludedFold == nil,
           let cells = FoldCells(features: design.features, featureCount: design.featureCount, labels: data.table.labels,
                                 weights: data.table.weights, runner: runner),
           let near = wholeStart(cells, method: name) {
            return try newton(rows, start: near, method: name, runner: runner, startLoss: false)
        }
        var start = [Double](repeating: 0, count: d)
        if let compressed = compress(rows, runner: runner),
           let fitted = try? newton(compressed, start: start, method: name, runner: nil) {
            start = fitted
        }
        return try newton(rows, start: start, method: name, runner: runner)
    }

    /// Each cross-fitting fold's Newton start (`nil` where its cells' fit
    /// fails), or `nil` for tables too small for `FoldCells`, whose folds
    /// start as `fit` does: fold `f`'s start is the fit to the cells of
    /// the other folds, each cell's rows at their mean features. Cells 8
    /// times finer than `compress`'s land within about 1e-7 of the fold's
    /// answer, so its fit ends in two passes over the rows, without the
    /// loss. No fold's start reads its own rows. `whole` is the whole fit's
    /// start from the same cells (`wholeStart`, the start `fit` takes on its
    /// own), so that a cross-fit sums the cells once.
    static func foldStarts(_ table: FitTable, runner: RankingRunner?) -> (whole: [Double]?, folds: [[Double]?])? {
        let design = table.logistic!
        let m = design.featureCount
        guard let cells = FoldCells(features: design.features, featureCount: m, labels: table.labels, weights: table.weights,
                                    runner: runner) else { return nil }
        let name = m == 1 ? "Platt" : "beta"
        let folds = cells.eachFold(runner: runner) { features, labels, weights in
            let rows = LogisticRows(features: features, featureCount: m, labels: labels, weights: weights, excludedFold: nil)
            return try? newton(rows, start: [Double](repeating: 0, count: m + 1), method: name, runner: nil)
        }
        return (wholeStart(cells, method: name), folds)
    }

    /// The whole fit's start: the fit to every fold's cells (`nil` if it fails).
    static func wholeStart(_ cells: FoldCells, method name: String) -> [Double]? {
        let m = cells.featureCount
        let (features, labels, weights) = cells.rows(excluding: -1)
        let rows = LogisticRows(features: features, featureCount: m, labels: labels, weights: weights, excludedFold: nil)
        return try? newton(rows, start: [Double](repeating: 0, count: m + 1), method: name, runner: nil)
    }

    /// Refuses too few distinct scores and (quasi-)separated classes along
    /// the ordering feature `logit(s)` (see the type's notes), over the included rows.
    static func checkSeparation(_ data: FitData, _ design: LogisticDesign, twoSided: Bool, method: String, parameters: Int) throws(RecalibrationError) {
        // Distinct values (up to `parameters` of them), and each class's range: the folds' summaries joined.
        var summary = SeparationSummary()
        for fold in 0..<Recalibration.folds where fold != data.excludedFold { summary.merge(design.folds[fold], cap: parameters) }
        let distinct = summary.distinct
        let (lowPositive, highPositive) = (summary.lowPositive, summary.highPositive)
        let (lowNegative, highNegative) = (summary.lowNegative, summary.highNegative)
        let labels = data.table.labels
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
        for i in labels.indices where data.includes(i) {
            let v = design.order(i)
            if labels[i] == 1 { if v > lowNegative && v < highNegative { positiveInside = true } } else if v > lowPositive && v < highPositive { negativeInside = true }
            if negativeInside && positiveInside { return }
        }
        let name = negativeInside ? "negative" : "positive"
        throw RecalibrationError("separable data: the \(name) rows' scores all lie in an interval whose outside holds only the other class, so the \(method) likelihood has no maximum (its parameters grow without bound); use isotonic or histogram calibration, or fit on rows where the classes overlap")
    }

    /// The cells of the compressed start: `logit(s)` on `[−40, 40]` in equal steps.
    static let startCells = 4096

    /// The included rows compressed into `startCells` cells of the ordering
    /// feature, one pseudo-row per cell and label at the weighted mean
    /// features of its rows with their summed weight (`nil` when that is
    /// no smaller than the rows). Summed in 8 fixed chunks, added in order.
    static func compress(_ rows: LogisticRows, runner: RankingRunner?) -> LogisticRows? {
        let n = rows.labels.count, m = rows.featureCount
        guard n > 4 * startCells else { return nil }
        let width = 1 + m, slots = startCells * 2 * width
        let chunks = 8
        let partial = SendablePointer<Double>(.allocate(capacity: chunks * slots))
        defer { partial.pointer.deallocate() }
        partial.pointer.initialize(repeating: 0, count: chunks * slots)
        let scale = Double(startCells) / 80
        CalibrationFits.run(chunks, runner) { c in
            let out = partial.pointer + c * slots
            let range = (c * n / chunks)..<((c + 1) * n / chunks)
            let excluded = rows.excludedFold ?? -1
            rows.features.withUnsafeBufferPointer { f in
                rows.weights.withUnsafeBufferPointer { weights in
                    rows.labels.withUnsafeBufferPointer { labels in
                        var fold = range.lowerBound % Recalibration.folds
                        for i in range {
                            let w = weights[i]
                            let included = fold != excluded && w > 0
                            fold = fold == Recalibration.folds - 1 ? 0 : fold + 1
                            guard included else { continue }
                            let o = m == 1 ? f[i] : f[2 * i] + f[2 * i + 1]
                            let cell = Int(Swift.min(Swift.max((o + 40) * scale, 0), Double(startCells - 1)))
                            let at = out + (cell * 2 + (labels[i] == 1 ? 1 : 0)) * width
                            at[0] += w
                            if m == 1 {
                                at[1] += w * f[i]
                            } else {
                                at[1] += w * f[2 * i]
                                at[2] += w * f[2 * i + 1]
                            }
                        }
                    }
                }
            }
        }
        var features: [Double] = [], labels: [Int32] = [], weights: [Double] = []
        for slot in 0..<(startCells * 2) {
            var sums = [Double](repeating: 0, count: width)
            for c in 0..<chunks { for j in 0..<width { sums[j] += partial.pointer[c * slots + slot * width + j] } }
            guard sums[0] > 0 else { continue }
            for j in 0..<m { features.append(sums[1 + j] / sums[0]) }
            labels.append(Int32(slot % 2))
            weights.append(sums[0])
        }
        return LogisticRows(features: features, featureCount: m, labels: labels, weights: weights, excludedFold: nil)
    }

    /// Damped Newton for `σ(θ₀·f₀ + … + θ_intercept)` over `rows` from
    /// `start` (the intercept is the last parameter).
    ///
    /// The loss is summed (one `log1p` a row) only where a decision reads
    /// it: the start and the line search's points. A point reached by a full
    /// step carries its `lossFloor` instead, a sum no greater than its loss
    /// bit for bit (see `LogisticRows.evaluate`), which settles the next
    /// full-step test when that test holds by it; else the loss is summed
    /// then. The decisions, and so the bits, are those of summing it every time.
    /// With `startLoss` false the start's loss is summed only when a
    /// decision reads it (as a full step's point's is): the same decisions
    /// and bits, one pass fewer when the floor settles the first step.
    static func newton(_ rows: LogisticRows, start: [Double], method: String, runner: RankingRunner? = nil,
                       startLoss: Bool = true) throws(RecalibrationError) -> [Double] {
        let d = rows.featureCount + 1
        var theta = start
        var at = rows.evaluate(theta, loss: startLoss, runner: runner)
        func unmoved(_ a: [Double], _ b: [Double]) -> Bool {
            (0..<d).allSatisfy { Swift.abs(a[$0] - b[$0]) <= 1e-12 * Swift.max(1, Swift.abs(a[$0])) }
        }
        /// The loss at `theta` (`at`'s, summed now if it was not).
        func loss(_ at: inout LogisticRows.Evaluation, _ theta: [Double]) -> Double {
            if let loss = at.loss { return loss }
            let loss = rows.evaluate(theta, loss: true, runner: runner).loss!
            at.loss = loss
            return loss
        }
        for _ in 0..<200 {
            guard let step = solve(at.hessian, at.gradient.map { -$0 }, d) else {
                throw RecalibrationError("the \(method) fit is singular (the scores do not identify its parameters)")
            }
            // Near the optimum the predicted decrease is below the loss's rounding: take the full step.
            let decrease = -zip(at.gradient, step).reduce(0) { $0 + $1.0 * $1.1 }
            var candidate = theta
            var next: LogisticRows.Evaluation
            // `loss ≥ lossFloor ≥ 0`, so the test holding by the floor holds by the loss.
            let fullStep = decrease <= 1e-12 * Swift.max(1, at.lossFloor)
                || decrease <= 1e-12 * Swift.max(1, Swift.abs(loss(&at, theta)))
            if fullStep {
                for j in 0..<d { candidate[j] = theta[j] + step[j] }
                if unmoved(candidate, theta) { return candidate }
                next = rows.evaluate(candidate, loss: false, runner: runner)
            } else {
                let current = loss(&at, theta)
                var scale = 1.0
                while true {
                    for j in 0..<d { candidate[j] = theta[j] + scale * step[j] }
                    next = rows.evaluate(candidate, loss: true, runner: runner)
                    if next.loss! <= current + 1e-12 * Swift.abs(current) || scale < 0x1p-30 { break }
                    scale *= 0.5
                }
            }
            let done = unmoved(candidate, theta)
            theta = candidate
            at = next
            if !theta.allSatisfy(\.isFinite) { break }
            if done { return theta }
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

/// The features of a Platt or beta fit for every row of a table, built once
/// and shared by the fit on all rows and the folds' fits: Platt `logit(s')`,
/// beta `ln s'` and `−ln(1 − s')` (`s'` clipped to `[ε, 1 − ε]`; logits:
/// `z`, or `ln σ(z)` and `−ln σ(−z)`), row-major, `featureCount` a row.
struct LogisticDesign: Sendable {
    let featureCount: Int
    let features: [Double]
    /// Each cross-fitting fold's rows of positive weight summarised for the
    /// separation check (`order` values), so that a fit joins the folds it reads instead of reading their rows.
    let folds: [SeparationSummary]

    init(_ method: RecalibrationMethod, _ table: PredictionTable, runner: RankingRunner?) {
        let m = method == .platt ? 1 : 2
        featureCount = m
        let kind = table.shape.scoreKind, scores = table.scores
        let features = ChunkedFill.rows(table.count, width: m, runner: runner) { i, out in
            if m == 1 {
                out[0] = Calibrator.logit(scores[i], kind: kind)
            } else {
                let (a, b) = Calibrator.logs(scores[i], kind: kind)
                out[0] = a
                out[1] = -b
            }
        }
        self.features = features
        // Per chunk and fold, then joined in chunk order (minima, maxima and capped sets: order does not matter).
        let n = table.count, folds = Recalibration.folds, cap = m + 1
        let chunks = Swift.max(1, Swift.min(ChunkedSum.chunks, n))
        let parts = TaskSlots<[SeparationSummary]>(count: chunks)
        let labels = table.labels, weights = table.weights
        CalibrationFits.run(chunks, runner) { c in
            var part = [SeparationSummary](repeating: SeparationSummary(), count: folds)
            weights.withUnsafeBufferPointer { w in
                Recalibration.forEachIncluded((c * n / chunks)..<((c + 1) * n / chunks), weights: w, excludedFold: nil) { i, _ in
                    let v = m == 1 ? features[i] : features[2 * i] + features[2 * i + 1]
                    part[i % folds].add(v, positive: labels[i] == 1, cap: cap)
                }
            }
            parts.set(c, part)
        }
        var joined = [SeparationSummary](repeating: SeparationSummary(), count: folds)
        for c in 0..<chunks {
            let part = parts.take(c)
            for f in 0..<folds { joined[f].merge(part[f], cap: cap) }
        }
        self.folds = joined
    }

    /// The feature the classes are ordered by for the separation check:
    /// `logit(s')` (beta's two features summed: the same bits on
    /// probabilities; on logits `ln σ(z) − ln σ(−z)`, `z` up to its rounding).
    @inline(__always)
    func order(_ i: Int) -> Double { featureCount == 1 ? features[i] : features[2 * i] + features[2 * i + 1] }
}

/// Rows summarised for the separation check: up to `cap` distinct values
/// (all of them when fewer), and each class's lowest and highest value.
struct SeparationSummary: Sendable {
    var distinct: [Double] = []
    var lowPositive = Double.infinity, highPositive = -Double.infinity
    var lowNegative = Double.infinity, highNegative = -Double.infinity

    @inline(__always)
    mutating func add(_ v: Double, positive: Bool, cap: Int) {
        if distinct.count < cap && !distinct.contains(v) { distinct.append(v) }
        if positive {
            lowPositive = Swift.min(lowPositive, v); highPositive = Swift.max(highPositive, v)
        } else {
            lowNegative = Swift.min(lowNegative, v); highNegative = Swift.max(highNegative, v)
        }
    }

    /// Joins another summary's rows: the union of the sets (capped), the
    /// extremes of the ranges. A set below the cap is complete, so the
    /// join's count is `min(cap, distinct values of both)`, as if the rows were read together.
    mutating func merge(_ other: SeparationSummary, cap: Int) {
        for v in other.distinct where distinct.count < cap && !distinct.contains(v) { distinct.append(v) }
        lowPositive = Swift.min(lowPositive, other.lowPositive); highPositive = Swift.max(highPositive, other.highPositive)
        lowNegative = Swift.min(lowNegative, other.lowNegative); highNegative = Swift.max(highNegative, other.highNegative)
    }
}

/// The rows a logistic fit sums over: features (row-major), labels (1 is
/// positive), weights, and the cross-fitting fold left out (rows `i` with
/// `i mod 5` equal to it, and rows of weight 0, take no part).
struct LogisticRows: Sendable {
    let features: [Double]
    let featureCount: Int
    let labels: [Int32]
    let weights: [Double]
    let excludedFold: Int?

    /// The loss, its gradient and its Hessian (full, row-major) at one point.
    struct Evaluation {
        /// `nil` when not summed.
        var loss: Double?
        /// `Σ w·max(η, 0)` over the negative rows plus `Σ w·max(−η, 0)` over
        /// the positive ones, summed as the loss is: no greater than the
        /// loss's sum bit for bit (each term is at most its loss term as
        /// rounded, since `log1p ≥ 0`, and rounded addition is monotone).
        var lossFloor: Double
        var gradient: [Double]
        var hessian: [Double]
    }

    /// One pass: `L = Σ w·(softplus(η) − y·η)` (when `loss`), `∇L = Σ w·(σ(η) − y)·x`,
    /// `∇²L = Σ w·σ(η)σ(−η)·x·xᵀ` (`x` the features and 1), from one
    /// `exp(−|η|)` a row, and the loss's floor. Each chunk's sums are
    /// `calib_logistic_pass` (Sources/CalibKernels/FitKernels.c): each sum takes
    /// the same operations in the same order as `x = (f, 1, 0)` or
    /// `(f₁, f₂, 1)` written out (`v·1` and `r·1` are `v` and `r`, bit for
    /// bit), with the sums kept in registers across a block's `exp` calls.
    func evaluate(_ theta: [Double], loss withLoss: Bool, runner: RankingRunner?) -> Evaluation {
        let m = featureCount, d = m + 1
        let n = labels.count
        let width = 2 + d + d * d
        let rows = self
        let sums = ChunkedSum.sum(n, width: width, runner: runner) { range, out in
            let excluded = rows.excludedFold ?? -1
            rows.features.withUnsafeBufferPointer { f in
                rows.weights.withUnsafeBufferPointer { w in
                    rows.labels.withUnsafeBufferPointer { y in
                        theta.withUnsafeBufferPointer { t in
                            calib_logistic_pass(f.baseAddress, m, y.baseAddress, w.baseAddress, range.lowerBound, range.upperBound,
                                                excluded, t.baseAddress, withLoss ? 1 : 0, out)
                        }
                    }
                }
            }
        }
        return Evaluation(loss: withLoss ? sums[0] : nil, lossFloor: sums[1], gradient: Array(sums[2...(1 + d)]), hessian: Array(sums[(2 + d)...]))
    }
}
