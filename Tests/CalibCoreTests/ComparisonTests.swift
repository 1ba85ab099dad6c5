import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 11's engine: verdicts, the delta's range, paired intervals
/// and McNemar's exact test.
@Suite("Baseline versus candidate")
struct ComparisonTests {
    struct VerdictCase: CustomStringConvertible, Sendable {
        let description: String
        let lower: Double
        let upper: Double
        let polarity: MetricPolarity
        let verdict: DeltaVerdict
    }

    static let verdicts = [
        VerdictCase(description: "higher is better, interval above 0", lower: 0.01, upper: 0.03, polarity: .higherIsBetter, verdict: .better),
        VerdictCase(description: "higher is better, interval below 0", lower: -0.03, upper: -0.01, polarity: .higherIsBetter, verdict: .worse),
        VerdictCase(description: "lower is better, interval below 0", lower: -0.03, upper: -0.01, polarity: .lowerIsBetter, verdict: .better),
        VerdictCase(description: "lower is better, interval above 0", lower: 0.01, upper: 0.03, polarity: .lowerIsBetter, verdict: .worse),
        VerdictCase(description: "interval contains 0", lower: -0.01, upper: 0.03, polarity: .lowerIsBetter, verdict: .noDetectableDifference),
        VerdictCase(description: "interval ends at 0", lower: 0, upper: 0.03, polarity: .higherIsBetter, verdict: .noDetectableDifference),
        VerdictCase(description: "no direction, interval above 0", lower: 0.01, upper: 0.03, polarity: .neither, verdict: .differs),
        VerdictCase(description: "no direction, interval contains 0", lower: -0.01, upper: 0.03, polarity: .neither, verdict: .noDetectableDifference),
    ]

    @Test("the verdict follows the interval and the key's polarity", arguments: verdicts)
    func verdict(_ c: VerdictCase) {
        #expect(DeltaVerdict.of(MetricInterval(lower: c.lower, upper: c.upper), polarity: c.polarity) == c.verdict)
    }

    @Test("a delta's range is [a − b, b − a] for a key of range [a, b]", arguments: [
        (0.0...1.0, -1.0...1.0), (0.0...Double.infinity, -Double.infinity...Double.infinity),
        (-1.0...1.0, -2.0...2.0), (-Double.infinity...Double.infinity, -Double.infinity...Double.infinity),
    ])
    func deltaRange(key: ClosedRange<Double>, delta: ClosedRange<Double>) {
        #expect(PairedDelta.deltaRange(key) == delta)
    }

    /// Two models scored on the same rows: the baseline with extra noise, the candidate sharper and overconfident.
    static func pair(rows: Int, seed: UInt64) -> (PredictionTable, PredictionTable) {
        var g = SeededGenerator(seed: seed)
        var labels: [Int] = [], a: [Double] = [], b: [Double] = []
        for _ in 0..<rows {
            let y = Double.random(in: 0..<1, using: &g) < 0.3 ? 1 : 0
            let signal = Double(y) * 1.2 + g.normal()
            let noise = g.normal()
            labels.append(y)
            a.append(1 / (1 + Foundation.exp(-(0.8 * (signal + noise) - 0.9))))
            b.append(1 / (1 + Foundation.exp(-(2.0 * signal - 1.2))))
        }
        return (.binary(labels: labels, scores: a), .binary(labels: labels, scores: b))
    }

    static func finish(_ table: PredictionTable, bootstrap: BootstrapSettings) -> AuditResult {
        var accumulator = AuditAccumulator(shape: table.shape, ranking: RankingSettings(), bootstrap: bootstrap)
        accumulator.add(table)
        return accumulator.finish(classNames: ["legit", "fraud"])
    }

    @Test("each delta's interval is the basic interval of the paired replicate deltas")
    func pairedInterval() throws {
        let (a, b) = Self.pair(rows: 2_000, seed: 3)
        let settings = BootstrapSettings(replicates: 100, confidence: 0.9, seed: 5)
        let base = Self.finish(a, bootstrap: settings), cand = Self.finish(b, bootstrap: settings)
        var rows = PairedRows(shape: a.shape)
        rows.add(baseline: a, candidate: b, threshold: 0.5)
        let comparison = ComparisonResult(baseline: base, candidate: cand, rows: rows)
        #expect(comparison.deltas.count == base.bootstrap!.entries.count)
        for name in ["ece", "brier", "accuracy", "ranking.rocAUC", "recall[fraud]"] {
            let delta = try #require(comparison.delta(name), "\(name)")
            let eb = try #require(base.bootstrap!.entry(name)), ec = try #require(cand.bootstrap!.entry(name))
            #expect(delta.delta == ec.estimate - eb.estimate)
            let deltas = zip(ec.replicates, eb.replicates).map { $0 - $1 }
            let expected = BasicBootstrapInterval.interval(estimate: delta.delta, replicates: deltas, confidence: 0.9,
                                                           range: PairedDelta.deltaRange(delta.key.range))
            #expect(delta.interval == expected, "\(name)")
        }
        // The sharper candidate ranks better, detectably, and DeLong agrees.
        #expect(comparison.delta("ranking.rocAUC")?.verdict == .better)
        let deLong = try #require(comparison.deLong)
        #expect(deLong.z > 2 && deLong.p < 0.05)
    }

    @Test("paired rows added in parts and appended in order give the tests of the rows added at once", arguments: [1, 7, 500, 1_999])
    func pairedRowsInParts(cut: Int) throws {
        let (a, b) = Self.pair(rows: 2_000, seed: 6)
        var whole = PairedRows(shape: a.shape)
        whole.add(baseline: a, candidate: b, threshold: 0.5)
        var first = PairedRows(shape: a.shape), second = PairedRows(shape: a.shape)
        first.add(baseline: Self.rows(a, 0..<cut), candidate: Self.rows(b, 0..<cut), threshold: 0.5)
        second.add(baseline: Self.rows(a, cut..<2_000), candidate: Self.rows(b, cut..<2_000), threshold: 0.5)
        var joined = PairedRows(shape: a.shape)
        joined.reserve(positives: first.positives + second.positives, negatives: first.negatives + second.negatives)
        joined.append(first)
        joined.append(second)
        #expect(joined.positives == whole.positives && joined.negatives == whole.negatives)
        #expect(joined.mcNemar == whole.mcNemar)
        let deLong = try #require(whole.deLong())
        let taken = joined.takeDeLong()
        #expect(taken == deLong)
        #expect(joined.positives == 0 && whole.deLong() == deLong)
    }

    /// The rows `range` of a binary table of probabilities.
    static func rows(_ table: PredictionTable, _ range: Range<Int>) -> PredictionTable {
        .binary(labels: range.map { Int(table.labels[$0]) }, scores: range.map { table.scores[$0] })
    }

    @Test("the paired interval is narrower than one from unpaired replicates")
    func pairingNarrows() throws {
        let (a, b) = Self.pair(rows: 2_000, seed: 4)
        let settings = BootstrapSettings(replicates: 200, confidence: 0.95, seed: 1)
        let base = Self.finish(a, bootstrap: settings), cand = Self.finish(b, bootstrap: settings)
        let other = Self.finish(a, bootstrap: BootstrapSettings(replicates: 200, confidence: 0.95, seed: 2))
        let rows = PairedRows(shape: a.shape)
        let paired = try #require(ComparisonResult(baseline: base, candidate: cand, rows: rows).delta("ranking.rocAUC")?.interval)
        let ea = try #require(other.bootstrap!.entry("ranking.rocAUC")), ec = try #require(cand.bootstrap!.entry("ranking.rocAUC"))
        let unpaired = try #require(BasicBootstrapInterval.interval(estimate: ec.estimate - ea.estimate, replicates: zip(ec.replicates, ea.replicates).map { $0 - $1 }, confidence: 0.95))
        #expect(paired.upper - paired.lower < unpaired.upper - unpaired.lower)
    }

    @Test("a model compared with itself: every delta 0 and no detectable difference, McNemar p = 1")
    func selfComparison() throws {
        let (a, _) = Self.pair(rows: 500, seed: 9)
        let settings = BootstrapSettings(replicates: 50, confidence: 0.95, seed: 0)
        let base = Self.finish(a, bootstrap: settings)
        var rows = PairedRows(shape: a.shape)
        rows.add(baseline: a, candidate: a, threshold: 0.5)
        let comparison = ComparisonResult(baseline: base, candidate: base, rows: rows)
        for delta in comparison.deltas where delta.interval != nil {
            #expect(delta.delta == 0 && delta.verdict == .noDetectableDifference, "\(delta.key.name)")
        }
        #expect(comparison.mcNemar == McNemarTest(b: 0, c: 0))
        #expect(comparison.mcNemar.p == 1)
        #expect(comparison.deLong?.z == 0)
    }

    struct McNemarCase: CustomStringConvertible, Sendable {
        let description: String
        let b, c: Int
        let p: Double
    }

    static func scipyCases() throws -> [McNemarCase] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/comparison_expected.json"))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let table = try #require(all["mcnemar"] as? [[String: Any]])
        return try table.map { row in
            let b = try #require(row["b"] as? Int), c = try #require(row["c"] as? Int)
            return McNemarCase(description: "b \(b), c \(c)", b: b, c: c, p: try #require((row["p"] as? NSNumber)?.doubleValue))
        }
    }

    @Test("McNemar's exact p equals scipy.stats.binomtest's two-sided p")
    func mcNemar() throws {
        for c in try Self.scipyCases() {
            let test = McNemarTest(b: c.b, c: c.c)
            #expect(isClose(test.p, c.p, relative: 1e-10, absolute: 1e-300), "\(c): calib \(test.p), scipy \(c.p)")
        }
    }

    @Test("McNemar counts rows one model gets right and the other wrong, unweighted, skipping weight 0")
    func mcNemarCounts() {
        // Rows: both right, baseline only (×2, one of weight 5), candidate only, both wrong, weight 0 (candidate only).
        let labels = [1, 1, 0, 1, 0, 1]
        let a = [0.9, 0.8, 0.2, 0.3, 0.7, 0.1], b = [0.7, 0.4, 0.6, 0.6, 0.9, 0.9]
        let weights = [1.0, 1, 5, 1, 1, 0]
        var rows = PairedRows(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities))
        rows.add(baseline: .binary(labels: labels, scores: a, weights: weights), candidate: .binary(labels: labels, scores: b, weights: weights), threshold: 0.5)
        #expect(rows.mcNemar.b == 2 && rows.mcNemar.c == 1)
        #expect(rows.positives + rows.negatives == 5)
    }
}
