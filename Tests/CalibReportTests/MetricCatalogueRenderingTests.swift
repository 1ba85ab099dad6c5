import CalibCore
import CalibInput
@testable import CalibReport
import CalibTestSupport
import Testing

/// The JSON report's `metrics` and `perClass[]` objects are the catalogue
/// (`MetricKey.all`, `ClassMetricKey`) read from the result, in its order.
@Suite("Metric key catalogue in the JSON report")
struct MetricCatalogueRenderingTests {
    static let fixtures = ["binary_01.csv", "string_labels.csv", "weighted_binary.csv",
                           "multiclass_probs.csv", "multiclass_logits.csv", "weighted_multiclass.csv"]

    static func report(_ file: String) throws -> Report {
        // With the score store, as the CLI audits (section 9's estimators need it).
        let (result, input) = try InputAudit.run(.file(TestPaths.golden + "/" + file), ranking: RankingSettings())
        return Report(input: input, result: result)
    }

    static func member(_ value: JSONValue, _ name: String) -> JSONValue? {
        guard case let .object(entries) = value else { return nil }
        return entries.first { $0.0 == name }?.1
    }

    /// `metrics` flattened as gates name its keys: `{"macro": {"f1": x}}` becomes `("macro.f1", x)`.
    /// Every leaf of the metrics object, named by its path (`macro.f1`, `decomposition.brier.score`).
    static func flattened(_ metrics: JSONValue) -> [(String, JSONValue)] {
        guard case let .object(entries) = metrics else { return [] }
        return entries.flatMap { name, value -> [(String, JSONValue)] in
            guard case .object = value else { return [(name, value)] }
            return flattened(value).map { (name + "." + $0.0, $0.1) }
        }
    }

    @Test("the metrics object holds every catalogue key in order, each the value value(in:) reads (null where undefined)", arguments: fixtures)
    func metrics(file: String) throws {
        let report = try Self.report(file)
        let metrics = try #require(Self.member(JSONReportRenderer.document(report), "metrics"))
        let entries = Self.flattened(metrics)
        #expect(entries.map(\.0) == MetricKey.all.map(\.name))
        for (key, (_, json)) in zip(MetricKey.all, entries) {
            #expect(json == JSONValue.finite(key.value(in: report.result.metrics)), "\(file) \(key)")
            if key.applies(to: report.result.task) { #expect(json != .null, "\(file) \(key) is defined") }
        }
    }

    @Test("each perClass entry is the class, its rows, then the per-class keys in SPEC order", arguments: fixtures)
    func perClass(file: String) throws {
        let report = try Self.report(file)
        guard case let .array(rows)? = Self.member(JSONReportRenderer.document(report), "perClass") else {
            Issue.record("perClass is not an array"); return
        }
        #expect(rows.count == report.result.perClass.count)
        for (json, c) in zip(rows, report.result.perClass) {
            guard case let .object(entries) = json else { Issue.record("not an object"); continue }
            // Then, with the score store, the ranking's per-class keys.
            #expect(entries.map(\.0) == ["class", "rows", "support", "prior", "precision", "recall", "f1", "ece", "crossEntropy", "rocAUC", "averagePrecision"])
            for key in ClassMetricKey.all {
                #expect(Self.member(json, key.name) == JSONValue.finite(key.value(in: c)), "\(file) \(c.name) \(key)")
            }
        }
    }
}
