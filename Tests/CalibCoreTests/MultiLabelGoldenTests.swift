import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 13's `multilabel` summary against scikit-learn 1.9.1's
/// multilabel metrics (`hamming_loss`, `accuracy_score`,
/// `precision_recall_fscore_support`, `roc_auc_score`, `average_precision_score`,
/// micro and macro) and PyTorch's BCE formula in numpy, on the fixtures
/// `Golden/make_multilabel_golden.py` writes (probabilities, weighted, logits).
@Suite("Multi-label summary golden values")
struct MultiLabelGoldenTests {
    static let tolerance = 1e-12

    static var reference: [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/multilabel_expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
    static var fixtures: [String] { ((reference["fixtures"] as! [String: Any]).keys).sorted() }
    static func fixture(_ name: String) -> [String: Any] { (reference["fixtures"] as! [String: Any])[name] as! [String: Any] }

    static func audited(_ name: String) throws -> MultiLabelAudit.Outcome {
        let file = try #require(fixture(name)["file"] as? String)
        return try MultiLabelAudit.audit(.file(TestPaths.golden + "/" + file))
    }

    @Test("every summary key equals scikit-learn's (numpy's for BCE and ECE) within 1e-12", arguments: fixtures)
    func summary(fixture: String) throws {
        let outcome = try Self.audited(fixture)
        let expected = try #require(Self.fixture(fixture)["multilabel"] as? [String: Any])
        #expect(Set(expected.keys) == Set(MultiLabelSummary.keys), "the fixture covers every key")
        for key in MultiLabelSummary.keys {
            let ours = try #require(outcome.result.summary.value(key))
            let theirs = try #require((expected[key] as? NSNumber)?.doubleValue)
            #expect(isClose(ours, theirs, relative: Self.tolerance, absolute: 1e-15), "\(fixture) \(key): calib \(ours), reference \(theirs)")
        }
    }

    @Test("labels are read in the order of their y_ columns", arguments: fixtures)
    func labels(fixture: String) throws {
        let outcome = try Self.audited(fixture)
        #expect(outcome.input.labels == Self.fixture(fixture)["labels"] as? [String])
        #expect(outcome.result.perLabel.count == outcome.input.labels.count)
    }
}
