@testable import CalibCore
import CalibTestSupport
import Dispatch
import Foundation
import Testing

/// The sorted calibration walk (SPEC section 9): one sort shared with the
/// ranking gives what the walk's own sort gives, the result never depends on
/// the thread count, and the estimators behave as the issue asks on
/// simulated data (calibrated scores look calibrated; the decomposition is
/// an identity; segments and sketches say why they have no values).
@Suite("Calibration walk: shared sort, threads, properties")
struct CalibrationWalkTests {
    /// A runner on `threads` threads (Dispatch's concurrent loop), as the CLI's.
    static func runner(threads: Int) -> RankingRunner {
        { count, body in
            if threads == 1 { for task in 0..<count { body(task) }; return }
            DispatchQueue.concurrentPerform(iterations: count) { body($0) }
        }
    }

    /// Binary rows: scores drawn by `draw`, labels Bernoulli of `truth(s)`, optional weights.
    static func binaryRows(_ n: Int, seed: UInt64, weighted: Bool = false, draw: (inout SeededGenerator) -> Double,
                           truth: (Double) -> Double = { $0 }) -> (scores: [Double], labels: [Int], weights: [Double]?) {
        var g = SeededGenerator(seed: seed)
        var scores: [Double] = [], labels: [Int] = [], weights: [Double] = []
        for _ in 0..<n {
            let s = draw(&g)
            scores.append(s)
            labels.append(Double.random(in: 0..<1, using: &g) < truth(s) ? 1 : 0)
            weights.append(Double.random(in: 0.2..<3, using: &g))
        }
        return (scores, labels, weighted ? weights : nil)
    }

    static func logistic(_ g: inout SeededGenerator) -> Double {
        let z = Double.random(in: -4..<2, using: &g)
        return 1 / (1 + exp(-z))
    }

    /// The estimators of a store's column through the ranking's shared sort (as the audit runs them).
    static func shared(_ store: ScoreStore, bins: Int = 15, threads: Int = 1) -> CalibrationEstimates {
        var copy = store
        let (_, sorted) = copy.takeRankingAndCalibration(settings: RankingSettings(), binCount: bins, runner: runner(threads: threads))
        guard case let .walked(totals, smooth, _) = sorted else { Issue.record("no walk"); return .unavailable("", binary: true) }
        return CalibrationEstimates(totals, binary: true, smooth: smooth, fits: nil, brier: 0, crossEntropy: 0)
    }

    /// The same through the walk's own sort of every bucket.
    static func ownSort(_ store: ScoreStore, bins: Int = 15) -> CalibrationEstimates {
        guard case let .exact(exact) = store.storage else { Issue.record("not exact"); return .unavailable("", binary: true) }
        let walk = CalibrationWalk(exact.columns[0], binCount: bins, binary: true)
        let totals = walk.totals(walk.walk(exact.columns[0], runner: nil))
        return CalibrationEstimates(totals, binary: true, smooth: totals.smooth.estimate(), fits: nil, brier: 0, crossEntropy: 0)
    }

    /// The smooth ECE's grid of a store's column, deposited row by row in store order (no sort, no runs).
    static func gridByRow(_ store: ScoreStore) -> SmoothECEGrid {
        var grid = SmoothECEGrid()
        guard case let .exact(exact) = store.storage else { Issue.record("not exact"); return grid }
        for piece in exact.columns[0] {
            for (i, key) in piece.keys.enumerated() {
                let w = piece.weights?[i] ?? 1
                grid.add(score: Double(bitPattern: key >> 1), weight: w, positiveWeight: key & 1 == 1 ? w : 0)
            }
        }
        return grid
    }

    static func values(_ c: CalibrationEstimates) -> [(String, Double)] {
        [("equalMassECE", c.equalMassECE), ("debiasedL2ECE", c.debiasedL2ECE), ("smoothECE", c.smoothECE),
         ("spiegelhalterZ", c.spiegelhalterZ), ("hosmerLemeshowStatistic", c.hosmerLemeshowStatistic),
         ("S(s_iso) Brier", c.brierDecomposition.miscalibration), ("S(s_iso) CE", c.crossEntropyDecomposition.miscalibration)]
    }

    struct Sample: CustomTestStringConvertible, Sendable {
        let name: String
        let rows: Int
        let weighted: Bool
        /// Scores piled into one grid bucket (above the ranking's 1M-key gathering limit, so it is walked in parts).
        let piled: Bool
        var testDescription: String { name }
    }

    static let samples = [
        Sample(name: "20k unweighted", rows: 20_000, weighted: false, piled: false),
        Sample(name: "20k weighted", rows: 20_000, weighted: true, piled: false),
        Sample(name: "1.1M in one bucket", rows: 1_100_000, weighted: false, piled: true),
    ]

    @Test("the ranking's sorted buckets give the estimates of the walk's own sort", arguments: samples)
    func sharedSort(sample: Sample) {
        let rows = Self.binaryRows(sample.rows, seed: 7, weighted: sample.weighted) { g in
            sample.piled ? 0.5 + Double.random(in: 0..<0.0039, using: &g) : Self.logistic(&g)
        }
        var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: RankingSettings())
        store.append(scores: rows.scores, labels: rows.labels, weights: rows.weights)
        if sample.piled { #expect(ScoreStore.gatherLimit < sample.rows, "one bucket above the gathering limit") }
        let shared = Self.shared(store), own = Self.ownSort(store)
        for ((name, a), (_, b)) in zip(Self.values(shared), Self.values(own)) {
            #expect(isClose(a, b, relative: 1e-12, absolute: 1e-15), "\(name): \(a) vs \(b)")
        }
        #expect(shared.hosmerLemeshowTable.map(\.rows) == own.hosmerLemeshowTable.map(\.rows))
        #expect(shared.equalMassBins.map(\.rows) == own.equalMassBins.map(\.rows))
    }

    @Test("the walk's smooth ECE grid (sorted runs, node sums in registers) is the row-by-row grid", arguments: samples)
    func smoothGrid(sample: Sample) throws {
        let rows = Self.binaryRows(sample.rows, seed: 13, weighted: sample.weighted) { g in
            sample.piled ? 0.5 + Double.random(in: 0..<0.0039, using: &g) : Self.logistic(&g)
        }
        var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: RankingSettings())
        store.append(scores: rows.scores, labels: rows.labels, weights: rows.weights)
        let byRow = Self.gridByRow(store)
        var copy = store
        let (_, sorted) = copy.takeRankingAndCalibration(settings: RankingSettings(), binCount: 15, runner: Self.runner(threads: 2))
        guard case let .walked(totals, estimate, _) = sorted else { Issue.record("no walk"); return }
        let walked = totals.smooth
        #expect(estimate == walked.estimate(), "the estimate is the walked grid's")
        #expect(isClose(walked.totalWeight, byRow.totalWeight, relative: 1e-13, absolute: 0))
        let scale = byRow.weight.map(Swift.abs).max() ?? 0
        #expect(zip(walked.weight, byRow.weight).allSatisfy { Swift.abs($0 - $1) <= 1e-13 * scale }, "node weights")
        #expect(zip(walked.residual, byRow.residual).allSatisfy { Swift.abs($0 - $1) <= 1e-13 * scale }, "node residuals")
        let a = try #require(walked.estimate()), b = try #require(byRow.estimate())
        #expect(a.bandwidth == b.bandwidth)
        #expect(isClose(a.value, b.value, relative: 1e-12, absolute: 1e-15), "\(a.value) vs \(b.value)")
    }

    @Test("any thread count gives the same estimates, bit for bit", arguments: [2, 3])
    func threads(threads: Int) {
        let rows = Self.binaryRows(50_000, seed: 11, weighted: true) { Self.logistic(&$0) }
        var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: RankingSettings())
        store.append(scores: rows.scores, labels: rows.labels, weights: rows.weights)
        #expect(Self.shared(store, threads: 1) == Self.shared(store, threads: threads))
    }

    @Test("calibrated scores: debiased and smooth ECE near 0, the tests see no miscalibration", arguments: [1, 2, 3] as [UInt64])
    func calibrated(seed: UInt64) throws {
        let rows = Self.binaryRows(20_000, seed: seed) { Self.logistic(&$0) }
        let result = audit(rows, store: true)
        let c = result.metrics.calibration
        #expect(c.debiasedL2ECE < 0.02, "debiased L2 ECE \(c.debiasedL2ECE)")
        #expect(c.smoothECE < 0.02, "smooth ECE \(c.smoothECE)")
        #expect(c.equalMassECE < 0.03, "equal-mass ECE \(c.equalMassECE)")
        #expect(Swift.abs(c.spiegelhalterZ) < 4, "Spiegelhalter z \(c.spiegelhalterZ)")
        #expect(c.brierDecomposition.miscalibration < 0.002)
    }

    @Test("miscalibrated scores: the tests reject calibration, the estimators see the gap")
    func miscalibrated() {
        // The truth is s² (the scores overstate every probability).
        let rows = Self.binaryRows(20_000, seed: 5, draw: { Self.logistic(&$0) }, truth: { $0 * $0 })
        let c = audit(rows, store: true).metrics.calibration
        #expect(c.hosmerLemeshowP < 1e-6 && c.spiegelhalterP < 1e-6)
        #expect(c.debiasedL2ECE > 0.05 && c.smoothECE > 0.03)
    }

    @Test("the Hosmer–Lemeshow p is roughly uniform over seeds on calibrated data")
    func hosmerLemeshowUniform() {
        let ps = (0..<40).map { seed in
            audit(Self.binaryRows(2_000, seed: UInt64(100 + seed)) { Self.logistic(&$0) }, store: true).metrics.calibration.hosmerLemeshowP
        }
        let below5 = ps.filter { $0 < 0.05 }.count
        let mean = ps.reduce(0, +) / Double(ps.count)
        #expect(below5 <= 7, "\(below5) of 40 below 0.05 (2 expected)")
        #expect(mean > 0.3 && mean < 0.7, "mean p \(mean)")
    }

    @Test("the decomposition is an identity to 1e-12, its parts are not negative", arguments: [false, true])
    func identity(weighted: Bool) {
        let rows = Self.binaryRows(30_000, seed: 3, weighted: weighted, draw: { Self.logistic(&$0) }, truth: { 0.1 + 0.8 * $0 })
        let c = audit(rows, store: true).metrics.calibration
        for d in [c.brierDecomposition, c.crossEntropyDecomposition] {
            #expect(Swift.abs(d.score - (d.miscalibration - d.discrimination + d.uncertainty)) <= 1e-12)
            #expect(d.miscalibration >= -1e-15 && d.discrimination >= -1e-15)
        }
        #expect(c.isotonicCurve.count <= CalibrationEstimates.isotonicCurveLimit)
        #expect(zip(c.isotonicCurve, c.isotonicCurve.dropFirst()).allSatisfy { $0.value <= $1.value && $0.highest < $1.lowest },
                "the curve rises and its steps do not overlap")
    }

    @Test("a segment (no store) and a sketch (past the budget) have no section 9 values, and say why")
    func unavailable() {
        let rows = Self.binaryRows(5_000, seed: 9) { Self.logistic(&$0) }
        let segment = audit(rows, store: false).metrics.calibration
        let sketch = audit(rows, store: true, budget: 1 << 12).metrics.calibration
        for (c, words) in [(segment, "segments keep no score store"), (sketch, "--memory-budget")] {
            for key in MetricKey.sortedScoreKeys {
                #expect(key.value(in: c).isNaN, "\(key)")
                #expect(c.undefinedReasons[key.name]?.contains(words) == true, "\(key): \(c.undefinedReasons[key.name] ?? "no reason")")
            }
        }
    }

    /// Audits rows as the CLI does (with the score store), or as a segment (without).
    func audit(_ rows: (scores: [Double], labels: [Int], weights: [Double]?), store: Bool, budget: Int? = nil) -> AuditResult {
        let table = PredictionTable.binary(labels: rows.labels, scores: rows.scores, weights: rows.weights)
        var settings = RankingSettings()
        if let budget { settings.memoryBudget = budget }
        var accumulator = AuditAccumulator(shape: table.shape, ranking: store ? settings : nil)
        accumulator.add(table)
        return accumulator.finish(classNames: ["n", "p"])
    }
}

private extension MetricKey {
    func value(in c: CalibrationEstimates) -> Double {
        let scalars: [String: Double] = [
            "equalMassECE": c.equalMassECE, "debiasedL2ECE": c.debiasedL2ECE, "smoothECE": c.smoothECE,
            "smoothECEBandwidth": c.smoothECEBandwidth, "spiegelhalterZ": c.spiegelhalterZ, "spiegelhalterP": c.spiegelhalterP,
            "hosmerLemeshowStatistic": c.hosmerLemeshowStatistic, "hosmerLemeshowP": c.hosmerLemeshowP,
            "hosmerLemeshowGroups": c.hosmerLemeshowGroups, "calibrationSlope": c.calibrationSlope,
            "calibrationIntercept": c.calibrationIntercept,
        ]
        if let value = scalars[name] { return value }
        let d = name.hasPrefix("decomposition.brier") ? c.brierDecomposition : c.crossEntropyDecomposition
        return ["score": d.score, "miscalibration": d.miscalibration, "discrimination": d.discrimination,
                "uncertainty": d.uncertainty][member]!
    }
}
