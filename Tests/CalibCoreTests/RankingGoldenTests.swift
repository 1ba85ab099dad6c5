import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 8 against scikit-learn 1.9.1 (`roc_auc_score`,
/// `average_precision_score`, `precision_recall_curve`,
/// `roc_curve(drop_intermediate=False)`), with the operating points, sweep
/// and costs transcribed from the SPEC by `Golden/make_ranking_golden.py`,
/// which checks AUC and AP a second way (Mann–Whitney over rank groups).
@Suite("Ranking golden values from scikit-learn")
struct RankingGoldenTests {
    static let tolerance = 1e-12

    static var reference: [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/ranking_expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
    static var fixtures: [String] { ((reference["fixtures"] as! [String: Any]).keys).sorted() }
    static func fixture(_ name: String) -> [String: Any] { (reference["fixtures"] as! [String: Any])[name] as! [String: Any] }

    static func ranked(_ name: String, costs: MisclassificationCosts? = nil) throws -> (RankingMetrics, InputSummary) {
        let input = try #require(fixture(name)["input"] as? [String: Any])
        let file = try #require(input["file"] as? String)
        let (result, summary) = try InputAudit.run(.file(TestPaths.golden + "/" + file), ranking: RankingSettings(costs: costs))
        #expect(summary.classes == input["classes"] as? [String], "\(name): the fixture's classes, in its order")
        return (try #require(result.ranking), summary)
    }

    static func number(_ any: Any?) -> Double? {
        if any == nil || any is NSNull { return nil }
        return (any as? NSNumber)?.doubleValue
    }

    /// `nil` in the reference (JSON null) stands for NaN or +∞ here, as the JSON report writes them.
    func expectClose(_ actual: Double, _ expected: Any?, _ what: String) {
        let reference = Self.number(expected)
        let ours: Double? = actual.isFinite ? actual : nil
        #expect(isClose(ours, reference, relative: Self.tolerance, absolute: 1e-15),
                "\(what): calib \(actual), scikit-learn \(String(describing: reference))")
    }

    @Test("ROC AUC, average precision and the positive rate", arguments: fixtures)
    func areas(fixture: String) throws {
        let (ranking, _) = try Self.ranked(fixture)
        let expected = try #require(Self.fixture(fixture)["ranking"] as? [String: Any])
        expectClose(ranking.rocAUC, expected["rocAUC"], "\(fixture) rocAUC")
        expectClose(ranking.weightedROCAUC, expected["weightedROCAUC"], "\(fixture) weightedROCAUC")
        expectClose(ranking.averagePrecision, expected["averagePrecision"], "\(fixture) averagePrecision")
        expectClose(ranking.positiveRate, expected["positiveRate"], "\(fixture) positiveRate")
        #expect(ranking.exact && ranking.maxAUCError == 0)
    }

    @Test("one-vs-rest AUC and average precision per class", arguments: fixtures)
    func perClass(fixture: String) throws {
        let (ranking, _) = try Self.ranked(fixture)
        let expected = try #require(Self.fixture(fixture)["perClass"] as? [[String: Any]])
        #expect(ranking.perClass.count == expected.count)
        for (ours, reference) in zip(ranking.perClass, expected) {
            let name = reference["class"] as? String ?? "?"
            expectClose(ours.rocAUC, reference["rocAUC"], "\(fixture) \(name) rocAUC")
            expectClose(ours.averagePrecision, reference["averagePrecision"], "\(fixture) \(name) averagePrecision")
        }
    }

    @Test("recall at a precision, at a false-positive rate and at an alert budget", arguments: fixtures)
    func operatingPoints(fixture: String) throws {
        let (ranking, _) = try Self.ranked(fixture)
        let expected = try #require(Self.fixture(fixture)["ranking"] as? [String: Any])
        let precision = try #require(expected["recallAtPrecision"] as? [[String: Any]])
        #expect(ranking.recallAtPrecision.count == precision.count)
        for (ours, reference) in zip(ranking.recallAtPrecision, precision) {
            let what = "\(fixture) recallAtPrecision[\(ours.target)]"
            expectClose(ours.target, reference["target"], what + " target")
            expectClose(ours.recall, reference["recall"], what + " recall")
            expectClose(ours.precision, reference["precision"], what + " precision")
            expectClose(ours.threshold, reference["threshold"], what + " threshold")
        }
        let fpr = try #require(expected["recallAtFPR"] as? [[String: Any]])
        #expect(ranking.recallAtFPR.count == fpr.count)
        for (ours, reference) in zip(ranking.recallAtFPR, fpr) {
            let what = "\(fixture) recallAtFPR[\(ours.target)]"
            expectClose(ours.recall, reference["recall"], what + " recall")
            expectClose(ours.fpr, reference["fpr"], what + " fpr")
            expectClose(ours.threshold, reference["threshold"], what + " threshold")
        }
        let top = try #require(expected["recallAtTop"] as? [[String: Any]])
        #expect(ranking.recallAtTop.count == top.count)
        for (ours, reference) in zip(ranking.recallAtTop, top) {
            let what = "\(fixture) recallAtTop[\(ours.fraction)]"
            expectClose(ours.flaggedFraction, reference["flaggedFraction"], what + " flaggedFraction")
            expectClose(ours.recall, reference["recall"], what + " recall")
            expectClose(ours.precision, reference["precision"], what + " precision")
            expectClose(ours.threshold, reference["threshold"], what + " threshold")
        }
    }

    @Test("the 99-threshold sweep, count for count", arguments: fixtures)
    func sweep(fixture: String) throws {
        let (ranking, _) = try Self.ranked(fixture)
        let expected = try #require(Self.fixture(fixture)["ranking"] as? [String: Any])
        let sweep = try #require(expected["sweep"] as? [[String: Any]])
        #expect(ranking.sweep.count == sweep.count)
        for (ours, reference) in zip(ranking.sweep, sweep) {
            let what = "\(fixture) sweep[\(ours.threshold)]"
            expectClose(ours.threshold, reference["threshold"], what)
            expectClose(ours.tp, reference["tp"], what + " tp")
            expectClose(ours.fp, reference["fp"], what + " fp")
            expectClose(ours.fn, reference["fn"], what + " fn")
            expectClose(ours.tn, reference["tn"], what + " tn")
            expectClose(ours.precision, reference["precision"], what + " precision")
            expectClose(ours.recall, reference["recall"], what + " recall")
            expectClose(ours.fpr, reference["fpr"], what + " fpr")
            expectClose(ours.f1, reference["f1"], what + " f1")
        }
    }

    @Test("costs: the Bayes threshold, the best threshold and the regret", arguments: fixtures)
    func costs(fixture: String) throws {
        let expected = try #require(Self.fixture(fixture)["costs"] as? [[String: Any]])
        for reference in expected {
            let costs = try #require(MisclassificationCosts(falsePositive: Self.number(reference["costFP"])!, falseNegative: Self.number(reference["costFN"])!))
            let (ranking, _) = try Self.ranked(fixture, costs: costs)
            let what = "\(fixture) costs \(costs.falsePositive)/\(costs.falseNegative)"
            guard let cost = ranking.cost else {
                #expect(reference["bayesThreshold"] == nil || reference["bayesThreshold"] is NSNull, "\(what): no cost section")
                continue
            }
            expectClose(cost.bayesThreshold, reference["bayesThreshold"], what + " bayesThreshold")
            expectClose(cost.costAtBayesThreshold, reference["costAtBayesThreshold"], what + " costAtBayesThreshold")
            expectClose(cost.bestThreshold, reference["bestThreshold"], what + " bestThreshold")
            expectClose(cost.bestCost, reference["bestCost"], what + " bestCost")
            expectClose(cost.regret, reference["regret"], what + " regret")
        }
    }
}
