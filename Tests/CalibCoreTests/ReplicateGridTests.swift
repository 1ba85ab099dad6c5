@testable import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// The bootstrap's replicate-specialised estimators on the grid's pseudo-rows
/// (SPEC section 10) against the general ones they stand in for: the ranking
/// areas (`ReplicateRanking`) and the sorted walk (`AuditAccumulator.resultOnGrid`)
/// bit for bit against `ScoreStore.takeRankingAndCalibration` on the same
/// `pseudoStore` (the smooth ECE by `FixedBandwidthSmoothECE` too), and the logistic fits (`ReplicateFits`) against
/// `CalibrationFits.fit` within the fits' convergence.
struct ReplicateGridTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let classCount: Int
        let rows: Int
        let weighted: Bool
        /// Binary only: every positive scores above every negative.
        var separable = false
        var testDescription: String { name }

        var shape: ClassificationShape { ClassificationShape(classCount: classCount, scoreKind: .probabilities) }

        /// Seeded rows: logits `N(0, 1.5²)` per class, softmax (binary: the sigmoid), labels drawn from the
        /// scores made a little overconfident; weights in [0.25, 3) when weighted.
        func table() -> PredictionTable {
            var generator = SeededGenerator(seed: UInt64(rows * 31 + classCount))
            var table = PredictionTable(shape: shape, reservingCapacity: rows)
            for i in 0..<rows {
                func normal() -> Double {
                    let u1 = 1 - Double.random(in: 0..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
                    return 1.5 * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
                }
                let weight = weighted ? Double.random(in: 0.25..<3, using: &generator) : 1
                if classCount == 2 {
                    let s = 1 / (1 + exp(-normal()))
                    let y = separable ? (s > 0.5 ? 1 : 0) : (Double.random(in: 0..<1, using: &generator) < 0.5 + 0.8 * (s - 0.5) ? 1 : 0)
                    table.append(label: y, scores: [s], weight: weight, line: i + 2)
                } else {
                    let z = (0..<classCount).map { _ in normal() }
                    let top = z.max()!
                    let e = z.map { exp($0 - top) }
                    let total = e.reduce(0, +)
                    let p = e.map { $0 / total }
                    var u = Double.random(in: 0..<1, using: &generator), y = classCount - 1
                    for c in 0..<classCount {
                        u -= 0.2 / Double(classCount) + 0.8 * p[c]
                        if u < 0 { y = c; break }
                    }
                    table.append(label: y, scores: p, weight: weight, line: i + 2)
                }
            }
            return table
        }

        /// The accumulator of the rows, with 24 replicates.
        func accumulator() -> AuditAccumulator {
            var accumulator = AuditAccumulator(shape: shape, ranking: RankingSettings(),
                                               bootstrap: BootstrapSettings(replicates: 24, seed: 5))
            accumulator.add(table())
            return accumulator
        }
    }

    static let cases = [
        Case(name: "binary, unit weights", classCount: 2, rows: 20_000, weighted: false),
        Case(name: "binary, weighted", classCount: 2, rows: 5_000, weighted: true),
        Case(name: "binary, few rows (empty cells in replicates)", classCount: 2, rows: 40, weighted: false),
        Case(name: "binary, separable", classCount: 2, rows: 300, weighted: false, separable: true),
        Case(name: "four classes, unit weights", classCount: 4, rows: 6_000, weighted: false),
        Case(name: "three classes, weighted", classCount: 3, rows: 3_000, weighted: true),
    ]

    /// The replicates checked: the full sample's grid (`nil`) and every replicate.
    static let replicates: [Int?] = [nil] + (0..<24).map { $0 }

    static let areasOnly = RankingSettings(precisionTargets: [], fprTargets: [], topFractions: [], costs: nil)

    static func rankedColumns(_ bootstrap: BootstrapReplicates) -> Int {
        bootstrap.columns == 1 ? 1 : bootstrap.columns - 1
    }

    static func sameBits(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test("the replicate ranking's areas are rankExact's on the pseudo-store, bit for bit", arguments: cases)
    func ranking(_ c: Case) throws {
        let bootstrap = try #require(c.accumulator().bootstrap)
        let ranking = ReplicateRanking(bootstrap, rankedColumns: Self.rankedColumns(bootstrap))
        for replicate in Self.replicates {
            var store = bootstrap.pseudoStore(replicate: replicate, shape: c.shape, settings: Self.areasOnly)
            let expected = store.takeRanking(settings: Self.areasOnly)
            let got = ranking.ranking { slot in
                replicate.map { bootstrap.cells.weight(slot: slot, replicate: $0) } ?? bootstrap.fullWeights[slot]
            }
            let label = "\(c.name), replicate \(replicate.map(String.init) ?? "full")"
            #expect(Self.sameBits(got.rocAUC, expected.rocAUC), "\(label): AUC \(got.rocAUC) vs \(expected.rocAUC)")
            #expect(Self.sameBits(got.averagePrecision, expected.averagePrecision),
                    "\(label): AP \(got.averagePrecision) vs \(expected.averagePrecision)")
            #expect(Self.sameBits(got.weightedROCAUC, expected.weightedROCAUC), "\(label): weighted AUC")
            if c.classCount > 2 {
                #expect(zip(got.perClass, expected.perClass).allSatisfy {
                    Self.sameBits($0.rocAUC, $1.rocAUC) && Self.sameBits($0.averagePrecision, $1.averagePrecision)
                }, "\(label): per-class areas")
            }
        }
    }

    @Test("the grid result's sorted estimators are takeRankingAndCalibration's, bit for bit (the same fits given)", arguments: cases)
    func sortedWalk(_ c: Case) throws {
        let accumulator = c.accumulator()
        let bootstrap = try #require(accumulator.bootstrap)
        var template = accumulator
        template.scores = nil
        template.bootstrap = nil
        let names = (0..<c.classCount).map(String.init)
        let ranking = ReplicateRanking(bootstrap, rankedColumns: Self.rankedColumns(bootstrap))
        for replicate in Self.replicates {
            var store = bootstrap.pseudoStore(replicate: replicate, shape: c.shape, settings: Self.areasOnly)
            let (expectedRanking, sorted) = store.takeRankingAndCalibration(settings: Self.areasOnly, binCount: 15, smoothBandwidth: 0.04)
            let expected = template.result(classNames: names, ranking: expectedRanking, sorted: sorted)
            guard case .walked(_, _, let fits) = sorted else { Issue.record("an exact store walks"); return }
            let got = template.resultOnGrid(bootstrap, replicate: replicate, classNames: names, smoothBandwidth: 0.04,
                                            smoothing: FixedBandwidthSmoothECE(bandwidth: 0.04), ranking: ranking, fits: fits)
            let label = "\(c.name), replicate \(replicate.map(String.init) ?? "full")"
            for key in MetricKey.sortedScoreKeys {
                let a = key.value(in: got.metrics) ?? .nan, b = key.value(in: expected.metrics) ?? .nan
                #expect(Self.sameBits(a, b), "\(label): \(key.name) \(a) vs \(b)")
            }
            #expect(Self.sameBits(got.ranking?.rocAUC ?? .nan, expected.ranking?.rocAUC ?? .nan), "\(label): AUC")
        }
    }

    @Test("the replicate fits agree with CalibrationFits on the pseudo-rows, warm start or not", arguments: cases.filter { $0.classCount == 2 })
    func fits(_ c: Case) throws {
        let bootstrap = try #require(c.accumulator().bootstrap)
        var fits = ReplicateFits(bootstrap)
        let full = fits.fitFullSample(bootstrap)
        for replicate in Self.replicates {
            let expected = CalibrationFits.fit(pieces: bootstrap.pseudoPieces(column: 0, replicate: replicate), runner: nil)
            let warm = replicate.map { fits.fit(bootstrap, replicate: $0) } ?? full
            let weights = fits.slots.map { slot in
                replicate.map { bootstrap.cells.weight(slot: slot, replicate: $0) } ?? bootstrap.fullWeights[slot]
            }
            let cold = fits.fit(weights: weights, start: nil).fits
            let label = "\(c.name), replicate \(replicate.map(String.init) ?? "full")"
            for got in [warm, cold] {
                #expect(got.slopeUndefinedReason == expected.slopeUndefinedReason, "\(label): slope's reason")
                #expect(got.interceptUndefinedReason == expected.interceptUndefinedReason, "\(label): intercept's reason")
                #expect(isClose(got.slope, expected.slope, relative: 1e-11, absolute: 1e-12),
                        "\(label): slope \(String(describing: got.slope)) vs \(String(describing: expected.slope))")
                #expect(isClose(got.intercept, expected.intercept, relative: 1e-11, absolute: 1e-12),
                        "\(label): intercept \(String(describing: got.intercept)) vs \(String(describing: expected.intercept))")
            }
        }
        if c.separable { #expect(full.slopeUndefinedReason == CalibrationFits.separable) }
    }
}
