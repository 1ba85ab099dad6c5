import CalibKernels
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
/// the level of its rounding. The start is the fit to about 32,768 rows
/// spread evenly through the input, so the whole input takes two or three passes
/// (a cross-fit's binary folds start from `foldStarts`, within about 1e-7).
///
/// Refused: every row's true class has the highest score (ties allowed):
/// `L' < 0` for every β, the loss falls as `T → 0`; `L'(0) ≥ 0`: the scores
/// are no better than a uniform guess, and the best `T` is infinite.
/// Reference: Guo, Pleiss, Sun & Weinberger (2017), "On calibration of modern neural networks".
enum TemperatureFit {
    /// `start` (a fold's `T` from `foldStarts`) replaces the sample's fit as Newton's start.
    static func fit(_ data: FitData, runner: RankingRunner? = nil, start close: Double? = nil) throws(RecalibrationError) -> Double {
        let design = data.table.temperature!
        let k = design.classCount
        let labels = data.table.labels
        var everyTrueIsTop = true
        var anySpread = false
        for i in labels.indices where data.includes(i) {
            let y = Int(labels[i])
            if k == 2 {
                let l = design.z[i]
                if l != 0 { anySpread = true }
                if y == 1 ? l < 0 : l > 0 { everyTrueIsTop = false }
            } else {
                var top = -Double.infinity, bottom = Double.infinity
                for j in 0..<k {
                    top = Swift.max(top, design.z[i * k + j])
                    bottom = Swift.min(bottom, design.z[i * k + j])
                }
                if bottom < top { anySpread = true }
                if design.z[i * k + y] < top { everyTrueIsTop = false }
            }
            if anySpread && !everyTrueIsTop { break }
        }
        if !anySpread {
            throw RecalibrationError("every row scores all classes equally: there is nothing for a temperature to scale")
        }
        if everyTrueIsTop {
            throw RecalibrationError("every row's true class has the highest score (the classes are separated): the cross-entropy falls as T goes to 0, so there is no best temperature")
        }
        let rows = TemperatureRows(classCount: k, z: design.z, labels: labels, weights: data.table.weights, excludedFold: data.excludedFold)
        // Binary rows: `L'(0)` is summed in the first pass of `solve` (the same bits, one pass fewer).
        if k != 2 && !(rows.slopeAtZero(runner: runner) < 0) { throw infiniteTemperature }
        // Start from the fit to a small sample of the rows (within about 1e-3), then polish on all of them.
        var start = 1.0
        if let close, close > 0, close.isFinite {
            start = 1 / close
        } else if let sample = rows.sample(), let beta = try? solve(sample, start: 1, runner: nil) {
            start = beta
        }
        return 1 / (try solve(rows, start: start, runner: runner, checkingSlopeAtZero: k == 2))
    }

    /// The refusal when `L'(0) ≥ 0` (or is NaN).
    static let infiniteTemperature = RecalibrationError("the scores are no better than a uniform guess on these rows: the best temperature is infinite")

    /// Each cross-fitting fold's start `T` for a binary table (`nil` where
    /// its cells' fit fails), or `nil` for multiclass tables and tables too
    /// small for `FoldCells`: fold `f`'s start is the fit to the cells of
    /// `logit(s')` of the other folds, each cell's rows at their mean logit.
    /// It lands within about 1e-7 of the fold's answer (where the sample's
    /// fit lands within about 1e-3), so the fold's fit takes two or three
    /// passes over the rows instead of four. No fold's start reads its own rows.
    static func foldStarts(_ table: FitTable, runner: RankingRunner?) -> [Double?]? {
        guard let design = table.temperature, design.classCount == 2,
              let cells = FoldCells(features: design.z, featureCount: 1, labels: table.labels, weights: table.weights,
                                    runner: runner) else { return nil }
        return cells.eachFold(runner: runner) { z, labels, weights in
            let rows = TemperatureRows(classCount: 2, z: z, labels: labels, weights: weights, excludedFold: nil)
            guard rows.slopeAtZero(runner: nil) < 0, let beta = try? solve(rows, start: 1, runner: nil) else { return nil }
            return 1 / beta
        }
    }

    /// The `β > 0` with `L'(β) = 0` over `rows`, from `start`: safeguarded
    /// Newton steps inside the bracket known so far (`L'(0) < 0` is the
    /// caller's; the upper end is found by doubling), bisection when a step
    /// leaves it, until a step is below 1e-14·β (a Newton step that small is
    /// taken without evaluating the derivatives again).
    /// With `checkingSlopeAtZero` (binary rows), the first pass also sums
    /// `L'(0)` (`slopeAtZero`'s bits) and refuses the rows unless it is below 0.
    static func solve(_ rows: TemperatureRows, start: Double, runner: RankingRunner?,
                      checkingSlopeAtZero: Bool = false) throws(RecalibrationError) -> Double {
        var lo = 0.0, hi = Double.infinity
        var beta = start
        let first = rows.derivatives(beta, runner: runner, slopeAtZero: checkingSlopeAtZero)
        if checkingSlopeAtZero && !(first.slopeAtZero < 0) { throw infiniteTemperature }
        var (g, h) = (first.first, first.second)
        for _ in 0..<500 {
            if g < 0 { lo = beta } else if g > 0 { hi = beta } else { return beta }
            if lo > 0x1p60 { throw RecalibrationError("the temperature fit does not converge (T below 2⁻⁶⁰)") }
            var next = h > 0 ? beta - g / h : .nan
            // A Newton step below the tolerance (or the rounding of β): take it and stop.
            if Swift.abs(next - beta) <= 1e-14 * beta { return next > lo && next < hi ? next : beta }
            if !(next > lo && next < hi) { next = hi.isFinite ? 0.5 * (lo + hi) : 2 * Swift.max(lo, beta) }
            let step = Swift.abs(next - beta)
            beta = next
            (g, h) = rows.derivatives(beta, runner: runner)
            if step <= 1e-14 * beta || hi - lo <= 1e-15 * beta {
                return beta
            }
        }
        throw RecalibrationError("the temperature fit does not converge")
    }
}

/// The logits of a temperature fit for every row of a table, built once and
/// shared by the fit on all rows and the folds' fits: binary `logit(s')`
/// (the vector is `(0, logit(s'))`); multiclass the logits, or `ln p` with `p`
/// clipped to `[ε, 1]`, `classCount` a row.
struct TemperatureDesign: Sendable {
    let classCount: Int
    let z: [Double]

    init(_ table: PredictionTable, runner: RankingRunner?) {
        let k = table.shape.classCount, kind = table.shape.scoreKind
        classCount = k
        if k > 2 && kind == .logits {
            z = table.scores
            return
        }
        let scores = table.scores
        z = ChunkedFill.rows(scores.count, width: 1, runner: runner) { i, out in
            out[0] = k == 2 ? Calibrator.logit(scores[i], kind: kind) : log(Swift.max(scores[i], Calibrator.epsilon))
        }
    }
}

/// The rows a temperature fit sums over: logits (binary one a row, else
/// `classCount`), labels, weights, and the fold left out (rows `i` with
/// `i mod 5` equal to it, and rows of weight 0, take no part).
struct TemperatureRows: Sendable {
    let classCount: Int
    let z: [Double]
    let labels: [Int32]
    let weights: [Double]
    let excludedFold: Int?

    /// Every `stride`-th included row, `stride` chosen for about 32,768 of them;
    /// `nil` when the rows are too few for a sample to save time.
    func sample() -> TemperatureRows? {
        let n = labels.count
        let stride = n / 32_768
        guard stride >= 4 else { return nil }
        let per = classCount == 2 ? 1 : classCount
        var z: [Double] = [], labels: [Int32] = [], weights: [Double] = []
        for i in Swift.stride(from: 0, to: n, by: stride) where weights.count < 40_000 {
            guard self.weights[i] > 0 && (excludedFold == nil || i % Recalibration.folds != excludedFold!) else { continue }
            z.append(contentsOf: self.z[(i * per)..<((i + 1) * per)])
            labels.append(self.labels[i])
            weights.append(self.weights[i])
        }
        return TemperatureRows(classCount: classCount, z: z, labels: labels, weights: weights, excludedFold: nil)
    }

    /// `L'(0)`, the bits of `derivatives(0).first`: binary rows need no
    /// `exp` there (`σ(0·ℓ)` is `1 / (1 + exp(−0))`, exactly 0.5, for finite
    /// `ℓ`), so the pass only reads memory.
    func slopeAtZero(runner: RankingRunner?) -> Double {
        guard classCount == 2 else { return derivatives(0, runner: runner).first }
        let rows = self
        return ChunkedSum.sum(labels.count, width: 1, runner: runner) { range, out in
            var g = 0.0
            rows.z.withUnsafeBufferPointer { zs in
                rows.weights.withUnsafeBufferPointer { ws in
                    rows.labels.withUnsafeBufferPointer { ys in
                        Recalibration.forEachIncluded(range, weights: ws, excludedFold: rows.excludedFold) { r, w in
                            let l = zs[r]
                            // 0·ℓ is NaN for an infinite ℓ, and so is its σ.
                            let p = l.isFinite ? 0.5 : Double.nan
                            g += w * (p * l - (ys[r] == 1 ? l : 0))
                        }
                    }
                }
            }
            out[0] = g
        }[0]
    }

    /// One chunk of binary rows' sums: `L'(β)`, `L''(β)` into `out[0]`,
    /// `out[1]`, and with `slopeAtZero` `L'(0)` into `out[2]`, the terms of
    /// `slopeAtZero(runner:)`: `calib_temperature_pass`
    /// (Sources/CalibKernels/FitKernels.c), the operations of the
    /// multiclass loop below for `z = (0, ℓ)`, with the sums in registers
    /// across a block's `exp` calls.
    static func binaryPass(_ range: Range<Int>, beta: Double, z zs: UnsafeBufferPointer<Double>, weights ws: UnsafeBufferPointer<Double>,
                           labels ys: UnsafeBufferPointer<Int32>, excluded: Int, slopeAtZero: Bool, into out: UnsafeMutablePointer<Double>) {
        calib_temperature_pass(zs.baseAddress, ys.baseAddress, ws.baseAddress, range.lowerBound, range.upperBound, excluded, beta,
                               slopeAtZero ? 1 : 0, out)
    }

    /// `(L'(β), L''(β))` in one pass (binary: one `exp` a row).
    func derivatives(_ beta: Double, runner: RankingRunner?) -> (first: Double, second: Double) {
        let d = derivatives(beta, runner: runner, slopeAtZero: false)
        return (d.first, d.second)
    }

    /// `(L'(β), L''(β))` in one pass and, with `slopeAtZero` on binary rows,
    /// `L'(0)` from the same pass, the bits of `slopeAtZero(runner:)` (the
    /// same rows, terms and chunks); NaN otherwise.
    func derivatives(_ beta: Double, runner: RankingRunner?, slopeAtZero withSlope: Bool) -> (first: Double, second: Double, slopeAtZero: Double) {
        let k = classCount
        let n = labels.count
        let rows = self
        let zeroSlope = withSlope && k == 2
        let sums = ChunkedSum.sum(n, width: zeroSlope ? 3 : 2, runner: runner) { range, out in
            var g = 0.0, h = 0.0
            if k == 2 {
                // Binary rows in the C kernel (the sums in registers), the same operations as below.
                let excluded = rows.excludedFold ?? -1
                rows.z.withUnsafeBufferPointer { zs in
                    rows.weights.withUnsafeBufferPointer { ws in
                        rows.labels.withUnsafeBufferPointer { ys in
                            Self.binaryPass(range, beta: beta, z: zs, weights: ws, labels: ys, excluded: excluded, slopeAtZero: zeroSlope, into: out)
                        }
                    }
                }
                return
            }
            rows.z.withUnsafeBufferPointer { zs in
                rows.weights.withUnsafeBufferPointer { ws in
                    rows.labels.withUnsafeBufferPointer { ys in
                        Recalibration.forEachIncluded(range, weights: ws, excludedFold: rows.excludedFold) { r, w in
                            if k == 2 {
                                // z = (0, ℓ): E[z] = σ(βℓ)·ℓ, Var(z) = σ(βℓ)σ(−βℓ)·ℓ², one exp per row.
                                let l = zs[r]
                                let (p, q) = CalibrationFits.sigmoids(beta * l)
                                g += w * (p * l - (ys[r] == 1 ? l : 0))
                                h += w * p * q * l * l
                            } else {
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
                                g += w * (mean - zs[base + Int(ys[r])])
                                h += w * Swift.max(0, square - mean * mean)
                            }
                        }
                    }
                }
            }
            out[0] = g
            out[1] = h
        }
        return (sums[0], sums[1], zeroSlope ? sums[2] : .nan)
    }

}
