import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// The metric key catalogue (`MetricKey`, `ClassMetricKey`) against the
/// SPEC's keys, the golden reference values and the DocC articles.
@Suite("Metric key catalogue")
struct MetricCatalogueTests {
    /// The rows of the table in SPEC section 3 ("Metrics"), in order; the
    /// `macro` / `weighted` / `micro` row expands to its `{precision, recall, f1}`.
    static let specKeys = [
        "crossEntropy", "crossEntropyBits", "perplexity", "priorCrossEntropy", "logLossSkill",
        "accuracy", "balancedAccuracy", "brier", "mcc",
        "macro.precision", "macro.recall", "macro.f1",
        "weighted.precision", "weighted.recall", "weighted.f1",
        "micro.precision", "micro.recall", "micro.f1",
        "meanConfidence", "topLabelECE", "positiveClassECE", "classwiseECE", "ece", "mce",
        "overconfidence", "underconfidence", "overconfidenceError", "calibrationInTheLarge", "confidentErrorRate",
    ]
    /// SPEC section 3, "Per class (`perClass[]`)", without `class` (the name, not a value).
    static let specPerClassKeys = ["support", "prior", "precision", "recall", "f1", "ece", "crossEntropy"]

    static func golden() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    }

    static func number(_ any: Any?) -> Double? {
        if any is NSNull { return nil }
        return (any as? NSNumber)?.doubleValue
    }

    /// SPEC section 9's keys, in its order; each decomposition expands to `{score, miscalibration, discrimination, uncertainty}`.
    static let specSection9Keys = [
        "equalMassECE", "debiasedL2ECE", "smoothECE", "smoothECEBandwidth", "spiegelhalterZ", "spiegelhalterP",
        "hosmerLemeshowStatistic", "hosmerLemeshowP", "hosmerLemeshowGroups", "calibrationSlope", "calibrationIntercept",
    ] + ["brier", "crossEntropy"].flatMap { score in
        ["score", "miscalibration", "discrimination", "uncertainty"].map { "decomposition.\(score).\($0)" }
    }

    @Test("the catalogue names are SPEC section 3's metrics keys, then section 9's, in order")
    func specOrder() {
        #expect(MetricKey.all.map(\.name) == Self.specKeys + Self.specSection9Keys)
        #expect(MetricKey.sortedScoreKeys.map(\.name) == Self.specSection9Keys)
    }

    @Test("no key name appears twice, and every name finds its key")
    func unique() {
        let names = MetricKey.all.map(\.name)
        #expect(Set(names).count == names.count)
        for key in MetricKey.all { #expect(MetricKey.named(key.name) == key) }
        #expect(MetricKey.named("eec") == nil && MetricKey.named("macro") == nil && MetricKey.named("f1") == nil)
        let perClass = ClassMetricKey.all.map(\.name)
        #expect(Set(perClass).count == perClass.count)
        for key in ClassMetricKey.all { #expect(ClassMetricKey.named(key.name) == key) }
    }

    @Test("the per-class keys are SPEC section 3's perClass values; gate messages list scores then counts")
    func perClassKeys() {
        #expect((ClassMetricKey.counts + ClassMetricKey.scores).map(\.name) == Self.specPerClassKeys)
        #expect(ClassMetricKey.all.map(\.name) == ["precision", "recall", "f1", "ece", "crossEntropy", "support", "prior"])
    }

    @Test("a nested average's keys are adjacent, so the JSON report can nest them in one object")
    func groupsAreContiguous() {
        var closed = Set<String>()
        var current: String?
        for key in MetricKey.all {
            if key.group != current {
                if let current { closed.insert(current) }
                current = key.group
                if let group = key.group { #expect(!closed.contains(group), "\(group) appears in two runs") }
            }
            #expect(key.name == (key.group.map { $0 + "." } ?? "") + key.member)
        }
        #expect(MetricKey.all.compactMap(\.group) == ["macro", "macro", "macro", "weighted", "weighted", "weighted", "micro", "micro", "micro"]
                + Array(repeating: "decomposition.brier", count: 4) + Array(repeating: "decomposition.crossEntropy", count: 4))
    }

    @Test("the golden fixtures' metrics are the catalogue's keys for their task", arguments: GoldenTests.fixtures)
    func goldenKeys(fixture: String) throws {
        let expected = try #require(try Self.golden()[fixture])
        let classes = try #require(expected["classes"] as? [String])
        let task: TaskKind = classes.count == 2 ? .binary : .multiclass
        let metrics = try #require(expected["metrics"] as? [String: Any])
        // expected.json holds SPEC section 3; section 9's keys have their own golden file.
        let section3 = MetricKey.all.filter { !MetricKey.sortedScoreKeys.contains($0) }
        #expect(Set(metrics.keys) == Set(section3.filter { $0.applies(to: task) }.map(\.name)))
    }

    @Test("the key checks cover every golden fixture")
    func everyFixture() throws {
        #expect(Set(try Self.golden().keys) == Set(GoldenTests.fixtures))
    }

    @Test("binary-only keys are positiveClassECE, calibrationInTheLarge, and section 9's tests, fits and decompositions")
    func binaryOnly() {
        let binaryOnly = MetricKey.all.filter { !$0.applies(to: .multiclass) }
        let decompositions = ["brier", "crossEntropy"].flatMap { score in
            ["score", "miscalibration", "discrimination", "uncertainty"].map { "decomposition.\(score).\($0)" }
        }
        #expect(binaryOnly.map(\.name) == ["positiveClassECE", "calibrationInTheLarge", "spiegelhalterZ", "spiegelhalterP",
                                            "hosmerLemeshowStatistic", "hosmerLemeshowP", "hosmerLemeshowGroups",
                                            "calibrationSlope", "calibrationIntercept"] + decompositions)
        #expect(MetricKey.all.allSatisfy { $0.applies(to: .binary) })
        for key in binaryOnly { #expect(key.tasks == [.binary]) }
    }

    /// Named polarity cases: errors and losses are better low, rates better high,
    /// and the values that describe the data or carry a sign are neither.
    static let polarities: [(String, MetricPolarity)] = [
        ("crossEntropy", .lowerIsBetter), ("crossEntropyBits", .lowerIsBetter), ("perplexity", .lowerIsBetter),
        ("priorCrossEntropy", .neither), ("logLossSkill", .higherIsBetter), ("accuracy", .higherIsBetter),
        ("balancedAccuracy", .higherIsBetter), ("brier", .lowerIsBetter), ("mcc", .higherIsBetter),
        ("macro.f1", .higherIsBetter), ("weighted.recall", .higherIsBetter), ("micro.precision", .higherIsBetter),
        ("meanConfidence", .neither), ("topLabelECE", .lowerIsBetter), ("positiveClassECE", .lowerIsBetter),
        ("classwiseECE", .lowerIsBetter), ("ece", .lowerIsBetter), ("mce", .lowerIsBetter),
        ("overconfidence", .lowerIsBetter), ("underconfidence", .lowerIsBetter), ("overconfidenceError", .lowerIsBetter),
        ("calibrationInTheLarge", .neither), ("confidentErrorRate", .lowerIsBetter),
        ("equalMassECE", .lowerIsBetter), ("debiasedL2ECE", .lowerIsBetter), ("smoothECE", .lowerIsBetter),
        ("smoothECEBandwidth", .neither), ("spiegelhalterZ", .neither), ("spiegelhalterP", .neither),
        ("hosmerLemeshowStatistic", .neither), ("hosmerLemeshowP", .neither), ("hosmerLemeshowGroups", .neither),
        ("calibrationSlope", .neither), ("calibrationIntercept", .neither),
        ("decomposition.brier.score", .lowerIsBetter), ("decomposition.brier.miscalibration", .lowerIsBetter),
        ("decomposition.crossEntropy.discrimination", .higherIsBetter), ("decomposition.crossEntropy.uncertainty", .neither),
    ]

    @Test("each key's polarity", arguments: polarities)
    func polarity(name: String, polarity: MetricPolarity) throws {
        #expect(try #require(MetricKey.named(name)).polarity == polarity)
    }

    @Test("every nested average is better high, and every per-class score has a direction")
    func averagesAndScores() {
        #expect(MetricKey.all.filter { ["macro", "weighted", "micro"].contains($0.group) }.allSatisfy { $0.polarity == .higherIsBetter })
        #expect(ClassMetricKey.scores.allSatisfy { $0.polarity != .neither })
        #expect(ClassMetricKey.counts.allSatisfy { $0.polarity == .neither })
    }

    @Test("intervals (SPEC section 10): every metric but crossEntropyBits, perplexity, the smooth ECE's bandwidth and the tests; per class precision, recall and ece")
    func intervals() {
        #expect(MetricKey.all.filter { !$0.hasInterval }.map(\.name) == ["crossEntropyBits", "perplexity", "smoothECEBandwidth", "spiegelhalterZ", "spiegelhalterP",
                                                                          "hosmerLemeshowStatistic", "hosmerLemeshowP", "hosmerLemeshowGroups"])
        #expect(ClassMetricKey.all.filter(\.hasInterval).map(\.name) == ["precision", "recall", "ece"])
    }

    @Test("value(in:) reads the golden reference value of every key, and nil where the task has none", arguments: GoldenTests.fixtures)
    func values(fixture: String) throws {
        let expected = try #require(try Self.golden()[fixture])
        let file = try #require(expected["file"] as? String)
        let (result, _) = try InputAudit.run(.file(TestPaths.golden + "/" + file))
        let reference = try #require(expected["metrics"] as? [String: Any])
        // Section 9's keys are checked against their own golden file (CalibrationGoldenTests).
        for key in MetricKey.all where !MetricKey.sortedScoreKeys.contains(key) {
            let value = key.value(in: result.metrics)
            if key.applies(to: result.task) {
                #expect(isClose(value, Self.number(reference[key.name]), relative: 1e-9, absolute: 1e-13), "\(fixture) \(key)")
            } else {
                #expect(value == nil, "\(fixture) \(key) is not defined for \(result.task) tasks")
            }
        }
        #expect(result.metrics.namedValues.map(\.key) == MetricKey.all.filter { $0.applies(to: result.task) }.map(\.name))
        let rows = try #require(expected["perClass"] as? [[String: Any]])
        for (ours, ref) in zip(result.perClass, rows) {
            for key in ClassMetricKey.all {
                #expect(isClose(key.value(in: ours), Self.number(ref[key.name]), relative: 1e-9, absolute: 1e-13), "\(fixture) \(ours.name) \(key)")
            }
        }
    }

    @Test("every key is named as code in the DocC article it points to")
    func articles() throws {
        let catalogue = TestPaths.packageRoot + "/Sources/CalibCore/CalibCore.docc/"
        for key in MetricKey.all {
            let text = try String(contentsOfFile: catalogue + key.article + ".md", encoding: .utf8)
            #expect(text.contains("`\(key.name)`"), "\(key.article).md does not name `\(key.name)`")
            #expect(!key.summary.isEmpty && !key.summary.contains("\n"), "\(key) has a one-line summary")
        }
        for key in ClassMetricKey.all {
            #expect(FileManager.default.fileExists(atPath: catalogue + key.article + ".md"), "\(key) points to an article")
        }
    }
}
