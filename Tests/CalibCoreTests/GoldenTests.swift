import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// Every metric against values computed by scikit-learn (and numpy where
/// scikit-learn has no such metric) by `Golden/make_golden.py`.
@Suite("Golden values from scikit-learn and numpy")
struct GoldenTests {
    static let fixtures = ["binary_01", "string_labels", "weighted_binary", "multiclass_probs", "multiclass_logits", "weighted_multiclass"]
    static let tolerance = 1e-9

    static func expected(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/expected.json"))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(all[name] as? [String: Any], "no expected values for \(name)")
    }

    static func audited(_ expected: [String: Any]) throws -> (AuditResult, InputSummary) {
        let file = try #require(expected["file"] as? String)
        return try InputAudit.run(.file(TestPaths.golden + "/" + file))
    }

    static func number(_ any: Any?) -> Double? {
        if any is NSNull { return nil }
        return (any as? NSNumber)?.doubleValue
    }

    func expectClose(_ actual: Double?, _ expected: Double?, _ what: String) {
        #expect(isClose(actual, expected, relative: Self.tolerance, absolute: 1e-13),
                "\(what): calib \(String(describing: actual)), reference \(String(describing: expected))")
    }

    @Test("headline metrics equal scikit-learn/numpy to 1e-9 relative", arguments: fixtures)
    func metrics(fixture: String) throws {
        let expected = try Self.expected(fixture)
        let (result, input) = try Self.audited(expected)
        #expect(input.classes == expected["classes"] as? [String])
        #expect(result.rows == expected["rows"] as? Int)
        #expect(result.clippedProbabilities == expected["clippedProbabilities"] as? Int)
        let reference = try #require(expected["metrics"] as? [String: Any])
        // expected.json holds SPEC section 3; section 9 is CalibrationGoldenTests'.
        let section9 = Set(MetricKey.sortedScoreKeys.map(\.name))
        let ours = Dictionary(uniqueKeysWithValues: result.metrics.namedValues.filter { !section9.contains($0.key) }.map { ($0.key, $0.value) })
        #expect(Set(reference.keys) == Set(ours.keys), "the same metric keys")
        for (key, value) in reference {
            expectClose(ours[key], Self.number(value), "\(fixture) \(key)")
        }
    }

    @Test("per-class values and the confusion matrix agree", arguments: fixtures)
    func perClass(fixture: String) throws {
        let expected = try Self.expected(fixture)
        let (result, _) = try Self.audited(expected)
        let rows = try #require(expected["perClass"] as? [[String: Any]])
        #expect(rows.count == result.perClass.count)
        for (ours, ref) in zip(result.perClass, rows) {
            expectClose(ours.support, Self.number(ref["support"]), "\(fixture) \(ours.name) support")
            expectClose(ours.prior, Self.number(ref["prior"]), "\(fixture) \(ours.name) prior")
            expectClose(ours.precision, Self.number(ref["precision"]), "\(fixture) \(ours.name) precision")
            expectClose(ours.recall, Self.number(ref["recall"]), "\(fixture) \(ours.name) recall")
            expectClose(ours.f1, Self.number(ref["f1"]), "\(fixture) \(ours.name) f1")
            expectClose(ours.ece, Self.number(ref["ece"]), "\(fixture) \(ours.name) ece")
            expectClose(ours.crossEntropy, Self.number(ref["crossEntropy"]), "\(fixture) \(ours.name) crossEntropy")
        }
        let confusion = try #require(expected["confusion"] as? [[Double]])
        for a in confusion.indices {
            for p in confusion[a].indices {
                expectClose(result.confusion[a, p], confusion[a][p], "\(fixture) confusion[\(a)][\(p)]")
            }
        }
    }

    @Test("reliability tables agree bin for bin, empty bins included", arguments: fixtures)
    func reliability(fixture: String) throws {
        let expected = try Self.expected(fixture)
        let (result, _) = try Self.audited(expected)
        func compare(_ table: ReliabilityTable, _ reference: [[String: Any]], _ name: String) {
            #expect(table.bins.count == reference.count)
            for (b, (ours, ref)) in zip(table.bins, reference).enumerated() {
                #expect(ours.count == ref["count"] as? Int, "\(fixture) \(name) bin \(b) count")
                expectClose(ours.weight, Self.number(ref["weight"]), "\(fixture) \(name) bin \(b) weight")
                expectClose(ours.meanPredicted, Self.number(ref["meanPredicted"]), "\(fixture) \(name) bin \(b) mean")
                expectClose(ours.observedRate, Self.number(ref["observedRate"]), "\(fixture) \(name) bin \(b) rate")
            }
        }
        compare(result.reliability, try #require(expected["reliability"] as? [[String: Any]]), "top-label")
        if let positive = expected["positiveReliability"] as? [[String: Any]] {
            compare(try #require(result.positiveReliability), positive, "positive-class")
        } else {
            #expect(result.positiveReliability == nil)
        }
    }

    @Test("the positive-class table matches scikit-learn's calibration_curve", arguments: ["binary_01", "string_labels"])
    func calibrationCurve(fixture: String) throws {
        let expected = try Self.expected(fixture)
        let (result, _) = try Self.audited(expected)
        let curve = try #require(expected["calibrationCurve"] as? [String: [Double]])
        let nonEmpty = try #require(result.positiveReliability).bins.filter { !$0.isEmpty }
        #expect(nonEmpty.count == curve["probTrue"]?.count)
        for (bin, (truth, predicted)) in zip(nonEmpty, zip(curve["probTrue"]!, curve["probPred"]!)) {
            expectClose(bin.observedRate, truth, "\(fixture) prob_true")
            expectClose(bin.meanPredicted, predicted, "\(fixture) prob_pred")
        }
    }

    @Test("every imbalance loss, loss share and gradient share agrees with numpy", arguments: fixtures)
    func imbalance(fixture: String) throws {
        let expected = try Self.expected(fixture)
        let (result, _) = try Self.audited(expected)
        let reference = try #require(expected["imbalance"] as? [String: Any])
        expectClose(result.imbalance.imbalanceRatio, Self.number(reference["imbalanceRatio"]), "\(fixture) imbalanceRatio")
        let priors = try #require(reference["priors"] as? [Double])
        for (ours, ref) in zip(result.imbalance.priors, priors) { expectClose(ours, ref, "\(fixture) prior") }
        let losses = try #require(reference["losses"] as? [[String: Any]])
        #expect(losses.count == result.imbalance.losses.count)
        for (ours, ref) in zip(result.imbalance.losses, losses) {
            let label = "\(fixture) \(ours.name) \(ours.parameters.map(\.key))"
            #expect(ours.name == ref["name"] as? String)
            expectClose(ours.value, Self.number(ref["value"]), "\(label) value")
            let perClass = try #require(ref["perClass"] as? [[String: Any]])
            for (c, (o, r)) in zip(ours.perClass, perClass).enumerated() {
                expectClose(o.meanLoss, Self.number(r["meanLoss"]), "\(label) class \(c) meanLoss")
                expectClose(o.lossShare, Self.number(r["lossShare"]), "\(label) class \(c) lossShare")
                expectClose(o.gradientShare, Self.number(r["gradientShare"]), "\(label) class \(c) gradientShare")
            }
        }
    }
}
