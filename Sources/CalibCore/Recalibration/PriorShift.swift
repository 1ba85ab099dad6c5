#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A prior-shift correction (Saerens, Latinne & Decaestecker 2002; Elkan
/// 2001): scores made under training class priors `π` adjusted to
/// deployment priors `π'` by `p'_k ∝ r_k·p_k`, `r_k = π'_k / π_k`.
///
/// Binary rows (positive score `s`, classes `[negative, positive]`) use the
/// odds ratio `r = r_1 / r_0`: `s' = r·s / (r·s + (1 − s))`, on logits
/// `z' = z + ln r`. Negative sampling at rate `β` (negatives kept with
/// probability β in training) is `r = β`: `s' = β s / (β s − s + 1)`
/// (SPEC 12). Multiclass: `p'_k = r_k p_k / Σ_j r_j p_j`, on logits
/// `z'_k = z_k + ln r_k`. When every ratio is equal (train = deploy priors,
/// β = 1) the shift is the identity and returns the scores bit for bit.
public struct PriorShift: Sendable, Hashable {
    /// `r_k = π'_k / π_k`, in class order.
    public let ratios: [Double]

    public init(ratios: [Double]) {
        precondition(ratios.count >= 2 && ratios.allSatisfy { $0 > 0 && $0.isFinite }, "positive finite ratios, one per class")
        self.ratios = ratios
    }

    /// From training and deployment priors in class order (each positive; they need not sum to 1 exactly).
    public init(train: [Double], deploy: [Double]) {
        precondition(train.count == deploy.count)
        self.init(ratios: zip(deploy, train).map { $0 / $1 })
    }

    /// Binary negative sampling at rate `beta` in (0, 1].
    public init(negativeSampling beta: Double) {
        self.init(ratios: [1, beta])
    }

    /// Whether every ratio is the same (the shift changes nothing).
    public var isIdentity: Bool { ratios.allSatisfy { $0 == ratios[0] } }

    /// The adjusted scores of one row (binary: one positive score), in and out of the same kind.
    public func apply(_ scores: UnsafeBufferPointer<Double>, kind: ScoreKind, into output: UnsafeMutableBufferPointer<Double>) {
        precondition(scores.count == output.count)
        if isIdentity {
            for k in scores.indices { output[k] = scores[k] }
            return
        }
        if scores.count == 1 {
            output[0] = applyBinary(scores[0], kind: kind)
            return
        }
        if kind == .logits {
            for k in scores.indices { output[k] = scores[k] + log(ratios[k]) }
            return
        }
        var total = 0.0
        for k in scores.indices {
            output[k] = ratios[k] * scores[k]
            total += output[k]
        }
        if total > 0 { for k in scores.indices { output[k] /= total } }
    }

    /// The adjusted positive score of a binary row.
    public func applyBinary(_ s: Double, kind: ScoreKind) -> Double {
        if isIdentity { return s }
        let r = ratios[1] / ratios[0]
        if kind == .logits { return s + log(r) }
        let numerator = r * s
        let denominator = numerator - s + 1
        return denominator > 0 ? numerator / denominator : s
    }
}

/// The EM estimate of deployment priors from unlabelled scores (Saerens,
/// Latinne & Decaestecker 2002): from `π'⁽⁰⁾ = π`, adjust every row to
/// `p'_ik ∝ (π'_k / π_k)·p_ik` and set `π'_k ← Σ_i w_i p'_ik / Σ_i w_i`, until
/// the largest change of a `π'_k` is below 1e-13, or 10,000 updates.
/// `iterations` counts the updates made. Probabilities are used as given (a
/// zero probability stays zero); logits through the softmax (binary `σ`).
public struct PriorEstimate: Sendable, Hashable {
    public let prior: [Double]
    public let iterations: Int
    public let converged: Bool

    public static let tolerance = 1e-13
    public static let maximumIterations = 10_000

    /// Runs the EM on a table's scores (labels are not read) with training priors `train` in class order.
    public static func estimate(_ table: PredictionTable, train: [Double]) -> PriorEstimate {
        let p = probabilities(table)
        return run(p, weights: table.weights, classes: table.shape.classCount, train: train, start: train)
    }

    /// The basic bootstrap interval of each class's estimate (SPEC 10): in
    /// replicate `r` row `i` weighs `m_ir·w_i`, `m_ir` the Poisson count of
    /// the seed, `r` and the row's line (`PoissonCounts`, as the audit's
    /// intervals), and the EM runs again from the full-sample estimate; the
    /// interval is `BasicBootstrapInterval`'s, clipped to [0, 1]. `runner` may
    /// run the replicates on several threads (the same bits either way).
    /// `nil` for a class when fewer than two replicates give a value.
    public static func intervals(_ table: PredictionTable, train: [Double], estimate: PriorEstimate, settings: BootstrapSettings,
                                 runner: RankingRunner? = nil) -> [MetricInterval?] {
        let k = table.shape.classCount
        let p = probabilities(table)
        let replicates = settings.replicates
        let values = SendablePointer<Double>(.allocate(capacity: replicates * k))
        defer { values.pointer.deallocate() }
        let weights = table.weights, lines = table.lines, seed = settings.seed, start = estimate.prior
        CalibrationFits.run(replicates, runner) { r in
            var w = weights
            for i in w.indices { w[i] *= Double(PoissonCounts.count(seed: seed, replicate: r, row: lines[i])) }
            let replicate = run(p, weights: w, classes: k, train: train, start: start)
            for j in 0..<k { values.pointer[r * k + j] = replicate.prior[j] }
        }
        return (0..<k).map { j in
            let column = (0..<replicates).map { values.pointer[$0 * k + j] }
            return BasicBootstrapInterval.interval(estimate: estimate.prior[j], replicates: column, confidence: settings.confidence, range: 0...1)
        }
    }

    /// Each row's class probabilities, row-major (binary `(1 − s, s)`; logits through the softmax).
    static func probabilities(_ table: PredictionTable) -> [Double] {
        let k = table.shape.classCount
        let n = table.count
        var p = [Double](repeating: 0, count: n * k)
        let per = table.shape.scoresPerRow
        for i in 0..<n {
            if k == 2 {
                let s = Calibrator.probability(table.scores[i], kind: table.shape.scoreKind)
                p[2 * i] = 1 - s
                p[2 * i + 1] = s
            } else if table.shape.scoreKind == .logits {
                var m = -Double.infinity
                for j in 0..<k { m = Swift.max(m, table.scores[i * per + j]) }
                var total = 0.0
                for j in 0..<k { p[i * k + j] = exp(table.scores[i * per + j] - m); total += p[i * k + j] }
                for j in 0..<k { p[i * k + j] /= total }
            } else {
                for j in 0..<k { p[i * k + j] = table.scores[i * per + j] }
            }
        }
        return p
    }

    /// The EM iteration from `start`; NaN priors when the weights sum to 0.
    static func run(_ p: [Double], weights: [Double], classes k: Int, train: [Double], start: [Double]) -> PriorEstimate {
        precondition(train.count == k && train.allSatisfy { $0 > 0 })
        let n = weights.count
        var totalWeight = CompensatedSum()
        for w in weights { totalWeight += w }
        let weight = totalWeight.value
        guard weight > 0 else { return PriorEstimate(prior: Array(repeating: .nan, count: k), iterations: 0, converged: false) }
        var prior = start
        var iterations = 0
        var ratio = [Double](repeating: 1, count: k)
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: k)
        while iterations < maximumIterations {
            for j in 0..<k { ratio[j] = prior[j] / train[j]; sums[j] = CompensatedSum() }
            for i in 0..<n {
                let w = weights[i]
                if w == 0 { continue }
                var total = 0.0
                for j in 0..<k { total += ratio[j] * p[i * k + j] }
                guard total > 0 else { continue }
                for j in 0..<k { sums[j] += w * ratio[j] * p[i * k + j] / total }
            }
            var change = 0.0
            for j in 0..<k {
                let next = sums[j].value / weight
                change = Swift.max(change, Swift.abs(next - prior[j]))
                prior[j] = next
            }
            iterations += 1
            if change < tolerance { return PriorEstimate(prior: prior, iterations: iterations, converged: true) }
        }
        return PriorEstimate(prior: prior, iterations: iterations, converged: false)
    }
}
