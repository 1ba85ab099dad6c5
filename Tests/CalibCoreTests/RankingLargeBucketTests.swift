import CalibCore
import CalibTestSupport
import Testing

/// Scores piled into one narrow range fill a single bucket of the store's
/// grid; beyond `gatherLimit` keys the ranking walks such a bucket in parts
/// rather than copying it whole. The result must not change.
@Suite("Ranking: a grid bucket beyond the gather limit")
struct RankingLargeBucketTests {
    /// AUC and average precision by the textbook walk over sorted rows (ties grouped).
    static func reference(_ scores: [Double], _ labels: [Int], _ weights: [Double]) -> (auc: Double, ap: Double) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let p = zip(labels, weights).reduce(0.0) { $0 + ($1.0 == 1 ? $1.1 : 0) }
        let n = weights.reduce(0, +) - p
        var tp = 0.0, fp = 0.0, auc = 0.0, ap = 0.0, i = 0
        while i < order.count {
            let (tp0, fp0) = (tp, fp)
            let score = scores[order[i]]
            while i < order.count && scores[order[i]] == score {
                if labels[order[i]] == 1 { tp += weights[order[i]] } else { fp += weights[order[i]] }
                i += 1
            }
            auc += (fp - fp0) * (tp + tp0) / 2
            ap += (tp - tp0) * tp / (tp + fp)
        }
        return (auc / (p * n), ap / p)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let score: @Sendable (Int) -> Double
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "1.2M distinct scores within 0.5 + 1e-9·i (one bucket, in parts)") { 0.5 + 1e-9 * Double($0) },
        Case(name: "1.2M rows, 1.08M of them scored exactly 0 (one score beyond the limit)") { $0 % 10 == 0 ? Double($0 % 997) / 1000 : 0 },
        Case(name: "1.2M scores on 40 values near 0.5 (parts of few distinct scores)") { 0.5 + 1e-12 * Double($0 % 40) },
    ]

    @Test("the ranking of a bucket beyond the gather limit equals the textbook walk", arguments: cases)
    func largeBucket(_ c: Case) {
        let rows = 1_200_000
        var g = SeededGenerator(seed: 77)
        var scores = [Double](), labels = [Int](), weights = [Double]()
        scores.reserveCapacity(rows); labels.reserveCapacity(rows); weights.reserveCapacity(rows)
        for i in 0..<rows {
            let s = c.score(i)
            scores.append(s)
            labels.append(Double.random(in: 0..<1, using: &g) < 0.2 + 0.6 * Double(i) / Double(rows) ? 1 : 0)
            weights.append(i % 3 == 0 ? 2 : 1)
        }
        let settings = RankingSettings(memoryBudget: 1 << 30)
        var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: settings)
        store.append(scores: scores, labels: labels, weights: weights)
        let ranking = store.ranking(settings: settings)
        let expected = Self.reference(scores, labels, weights)
        #expect(ranking.exact)
        #expect(isClose(ranking.rocAUC, expected.auc, relative: 1e-12, absolute: 0), "\(c.name): AUC \(ranking.rocAUC) vs \(expected.auc)")
        #expect(isClose(ranking.averagePrecision, expected.ap, relative: 1e-12, absolute: 0), "\(c.name): AP \(ranking.averagePrecision) vs \(expected.ap)")
        // The point that flags every row is reached: an alert budget of 1 flags it, at recall 1.
        var everything = settings
        everything.topFractions = [1]
        var again = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: everything)
        again.append(scores: scores, labels: labels, weights: weights)
        let top = again.ranking(settings: everything).recallAtTop[0]
        #expect(top.recall == 1 && top.flaggedFraction == 1 && top.threshold == scores.min(), "\(c.name): \(top)")
    }
}
