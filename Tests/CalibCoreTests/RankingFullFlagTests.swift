@testable import CalibCore
import Testing

/// Flagging every row is a point of the curves: its recall is 1 and its
/// false-positive rate is 1, whatever the weights (scikit-learn's last point
/// of `roc_curve` divides the final cumulative sum by itself).
@Suite("Ranking: operating points where weighted sums meet a target")
struct RankingFullFlagTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let scores: [Double]
        let labels: [Int]
        let weights: [Double]
        /// The lowest score with the largest recall (scikit-learn `roc_curve(drop_intermediate=False)`).
        let fprOneThreshold: Double
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "12 weighted rows, scores on a 0.01 grid",
             scores: [0.38, 1.0, 0.88, 0.38, 0.95, 0.98, 0.47, 0.6, 0.48, 0.55, 0.78, 0.73],
             labels: [0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0],
             weights: [0.7, 0.1, 6.1, 2.9, 7.8, 0.3, 2.6, 5.9, 7.5, 3.8, 5.2, 3.7],
             fprOneThreshold: 0.38),
        Case(name: "10 weighted rows, scores on a 0.01 grid",
             scores: [0.19, 0.06, 0.27, 0.66, 0.56, 0.15, 0.43, 0.67, 0.42, 0.63],
             labels: [0, 0, 0, 0, 1, 0, 0, 0, 1, 1],
             weights: [9.7, 6.8, 3.9, 1.9, 3.5, 5.1, 8.9, 7.8, 3.2, 9.2],
             fprOneThreshold: 0.42),
    ]

    static func ranking(_ c: Case) -> RankingMetrics {
        let settings = RankingSettings(fprTargets: [1], topFractions: [1])
        var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: settings)
        store.append(scores: c.scores, labels: c.labels, weights: c.weights)
        return store.ranking(settings: settings)
    }

    @Test("--fpr-at 1 reaches recall 1", arguments: cases)
    func fprOne(_ c: Case) {
        let point = Self.ranking(c).recallAtFPR[0]
        #expect(point.recall == 1)
        #expect(point.threshold == c.fprOneThreshold)
    }

    @Test("--top 1 flags every row", arguments: cases)
    func topOne(_ c: Case) {
        let point = Self.ranking(c).recallAtTop[0]
        #expect(point.threshold == c.scores.min())
        #expect(point.recall == 1)
    }

    /// Eight rows of weight 0.1: the six scored 0.3 or above weigh 0.6, 75% of the total,
    /// exactly as with weight 1 (where calib finds 0.3); a budget at a grid bucket's edge must not go missing.
    @Test("--top 0.75 on rows of weight 0.1 finds the threshold weight 1 finds")
    func budgetAtBucketEdge() {
        let scores = [1.0, 0.1, 0.4, 0.6, 0.7, 1.0, 0.2, 0.3], labels = [0, 1, 0, 0, 0, 0, 1, 0]
        let settings = RankingSettings(topFractions: [0.75])
        for weight in [1.0, 0.1] {
            var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: settings)
            store.append(scores: scores, labels: labels, weights: Array(repeating: weight, count: scores.count))
            #expect(store.ranking(settings: settings).recallAtTop[0].threshold == 0.3, "weight \(weight)")
        }
    }
}
