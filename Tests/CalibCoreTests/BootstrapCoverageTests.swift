import CalibCore
import CalibTestSupport
import Dispatch
import Foundation
import Testing

/// How often the 95% intervals of SPEC section 10 cover the truth, on
/// simulated datasets from a model whose population values are known:
/// logits `z ~ N(μ, σ²)`, scores `s = σ(z)`, labels `y ~ Bernoulli(σ(β·z + α))`
/// (calibrated when `β = 1, α = 0`; `β < 1` makes the scores overconfident).
/// The truths are integrals over `z` (trapezoid rule on 40,001 points over
/// μ ± 10σ): cross-entropy `E[−g ln s − (1 − g) ln(1 − s)]`, Brier
/// `E[s² − 2sg + g]`, accuracy `E[1[s ≥ ½]g + 1[s < ½](1 − g)]`, the
/// population's 15-bin ECE `Σ_b |E[(s − g)·1[s ∈ b]]|` and the AUC
/// `∫ F₋ dF₊`, with `g = σ(βz + α)`.
///
/// `swift test` runs a small version (50 datasets of 500 rows, 100
/// replicates) and asks for at least 80% coverage, which a correct 95%
/// interval misses with probability below 10⁻⁵. The exception is the ECE of
/// a calibrated model: its truth, 0, lies on the edge of the values an ECE
/// takes, where the bootstrap is not consistent (see `coverage(model:)`). The full simulation of the
/// issue (400 datasets of 1,000 rows, 200 replicates, coverage within
/// 92–98%) runs with `CALIB_COVERAGE_FULL=1 swift test --filter BootstrapCoverage`
/// and prints its figures.
@Suite("Bootstrap intervals: coverage on simulated data")
struct BootstrapCoverageTests {
    struct Model: CustomTestStringConvertible, Sendable {
        let name: String
        let mu: Double, sigma: Double, beta: Double, alpha: Double
        var testDescription: String { name }

        func g(_ z: Double) -> Double { 1 / (1 + exp(-(beta * z + alpha))) }

        /// The population values of the keys the simulation checks.
        var truths: [String: Double] {
            let points = 40_001
            let lo = mu - 10 * sigma, hi = mu + 10 * sigma, h = (hi - lo) / Double(points - 1)
            var ce = 0.0, brier = 0.0, accuracy = 0.0, positives = 0.0
            var binGaps = [Double](repeating: 0, count: 15)
            var density = [Double](), positive = [Double](), negative = [Double]()
            for i in 0..<points {
                let z = lo + Double(i) * h
                let f = exp(-0.5 * ((z - mu) / sigma) * ((z - mu) / sigma)) / (sigma * (2 * Double.pi).squareRoot())
                let trapezoid = (i == 0 || i == points - 1) ? 0.5 : 1.0
                let weight = f * h * trapezoid
                let s = 1 / (1 + exp(-z)), gz = g(z)
                let lnS = -log1p(exp(-z)), lnNotS = -log1p(exp(z))
                ce += weight * (-gz * lnS - (1 - gz) * lnNotS)
                brier += weight * (s * s - 2 * s * gz + gz)
                accuracy += weight * (s >= 0.5 ? gz : 1 - gz)
                positives += weight * gz
                binGaps[Swift.min(14, Int(s * 15))] += weight * (s - gz)
                density.append(weight); positive.append(weight * gz); negative.append(weight * (1 - gz))
            }
            // AUC = P(s₊ > s₋): scores increase with z, so a negative below a positive's z counts.
            var negativesBelow = 0.0, auc = 0.0
            for i in 0..<points {
                auc += positive[i] * (negativesBelow + 0.5 * negative[i])
                negativesBelow += negative[i]
            }
            auc /= positives * negativesBelow
            return ["crossEntropy": ce, "brier": brier, "accuracy": accuracy,
                    "ece": binGaps.reduce(0) { $0 + Swift.abs($1) }, "ranking.rocAUC": auc]
        }

        /// One dataset of `rows` rows, the rows at lines 2, 3, … as a file's would be.
        func dataset(rows: Int, seed: UInt64) -> PredictionTable {
            var generator = SeededGenerator(seed: seed)
            var table = PredictionTable(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), reservingCapacity: rows)
            for i in 0..<rows {
                // Box–Muller from two uniforms in (0, 1].
                let u1 = 1 - Double.random(in: 0..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
                let z = mu + sigma * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
                let y = Double.random(in: 0..<1, using: &generator) < g(z) ? 1 : 0
                table.append(label: y, scores: [1 / (1 + exp(-z))], weight: 1, line: i + 2)
            }
            return table
        }
    }

    static let models = [
        Model(name: "calibrated", mu: -1, sigma: 1.5, beta: 1, alpha: 0),
        Model(name: "overconfident", mu: -1, sigma: 2, beta: 0.6, alpha: -0.3),
    ]
    static let keys = ["crossEntropy", "brier", "accuracy", "ece", "ranking.rocAUC"]
    static let full = ProcessInfo.processInfo.environment["CALIB_COVERAGE_FULL"] == "1"

    /// The share of `datasets` simulated datasets whose interval of each key covers the truth.
    static func coverage(_ model: Model, datasets: Int, rows: Int, replicates: Int) -> [String: Double] {
        let truths = model.truths
        let covered = UnsafeMutableBufferPointer<Bool>.allocate(capacity: datasets * keys.count)
        defer { covered.deallocate() }
        covered.initialize(repeating: false)
        let shared = UncheckedPointer(covered.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: datasets) { d in
            var accumulator = AuditAccumulator(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities),
                                               ranking: RankingSettings(), bootstrap: BootstrapSettings(replicates: replicates, seed: UInt64(d)))
            accumulator.add(model.dataset(rows: rows, seed: 1_000 + UInt64(d)))
            let bootstrap = accumulator.finish(classNames: ["0", "1"]).bootstrap
            for (k, key) in keys.enumerated() {
                if let interval = bootstrap?.interval(key), let truth = truths[key] {
                    shared.pointer[d * keys.count + k] = interval.lower <= truth && truth <= interval.upper
                }
            }
        }
        var shares: [String: Double] = [:]
        for (k, key) in keys.enumerated() {
            shares[key] = Double((0..<datasets).filter { covered[$0 * keys.count + k] }.count) / Double(datasets)
        }
        return shares
    }

    @Test("the truths are the population values: a 400,000-row sample's estimates agree", arguments: models)
    func truths(model: Model) {
        let truths = model.truths
        var accumulator = AuditAccumulator(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), ranking: RankingSettings())
        accumulator.add(model.dataset(rows: 400_000, seed: 99))
        let result = accumulator.finish(classNames: ["0", "1"])
        let estimates: [String: Double] = ["crossEntropy": result.metrics.crossEntropy, "brier": result.metrics.brier,
                                           "accuracy": result.metrics.accuracy, "ece": result.metrics.ece,
                                           "ranking.rocAUC": result.ranking!.rocAUC]
        for key in Self.keys {
            // Sampling error at 400,000 rows is a few 1e-3 at most (the binned ECE's upward bias about 1e-3).
            #expect(Swift.abs(estimates[key]! - truths[key]!) < 5e-3, "\(model.name) \(key): \(estimates[key]!) vs truth \(truths[key]!)")
        }
    }

    @Test("95% intervals cover the truth in most simulated datasets", arguments: models)
    func coverage(model: Model) {
        let (datasets, rows, replicates) = Self.full ? (400, 1_000, 200) : (50, 500, 100)
        let shares = Self.coverage(model, datasets: datasets, rows: rows, replicates: replicates)
        let range = Self.full ? 0.92...0.98 : 0.80...1.0
        for key in Self.keys {
            let share = shares[key]!
            if model.beta == 1 && model.alpha == 0 && key == "ece" {
                // A calibrated model's ECE is 0, on the edge of what |·| can take: there the bootstrap
                // is not consistent and no basic (or percentile) interval is nominal. The basic one
                // still reaches 0 in about a third of the datasets (measured: 34% small, see the note),
                // where a percentile interval, above θ̂'s upward bias, never would.
                #expect(share >= 0.2, "\(model.name) \(key): covered in \(share) of \(datasets) datasets")
                continue
            }
            if Self.full { print("coverage \(model.name) \(key): \(share) (\(datasets) datasets of \(rows) rows, \(replicates) replicates)") }
            #expect(range.contains(share), "\(model.name) \(key): covered in \(share) of \(datasets) datasets")
        }
    }
}

/// A pointer that concurrent tasks write at disjoint indices.
private struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Bool>
    init(_ pointer: UnsafeMutablePointer<Bool>) { self.pointer = pointer }
}
