import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 9 against `Golden/calibration_expected.json`, made by
/// `Golden/make_calibration_golden.py`: equal-mass bins, `equalMassECE` and
/// `debiasedL2ECE` against an exact-rational numpy transcription (and
/// uncertainty-calibration 0.1.4 where SPEC says the binnings coincide),
/// Spiegelhalter and Hosmer–Lemeshow against numpy + scipy, and the CORP
/// decomposition against scikit-learn 1.9.1's `IsotonicRegression`. Every
/// fixture, weighted and unweighted, through the audit as the CLI runs it
/// (with the score store).
@Suite("Calibration estimators: golden values")
struct CalibrationGoldenTests {
    static let tolerance = 1e-12

    static var reference: [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/calibration_expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
    static var fixtures: [String] { (reference["fixtures"] as! [String: Any]).keys.sorted() }
    static func fixture(_ name: String) -> [String: Any] { (reference["fixtures"] as! [String: Any])[name] as! [String: Any] }
    static let binCounts = [5, 10, 15, 30, 50]

    static func audited(_ name: String, bins: Int = 15) throws -> AuditResult {
        let input = try #require(fixture(name)["input"] as? [String: Any])
        let file = try #require(input["file"] as? String)
        let (result, summary) = try InputAudit.run(.file(TestPaths.golden + "/" + file), settings: AuditSettings(bins: bins),
                                                   ranking: RankingSettings())
        #expect(summary.classes == input["classes"] as? [String], "\(name): the fixture's classes, in its order")
        return result
    }

    static func number(_ any: Any?) -> Double? {
        if any == nil || any is NSNull { return nil }
        return (any as? NSNumber)?.doubleValue
    }

    /// JSON null stands for NaN here (an undefined value).
    static func expectClose(_ actual: Double, _ expected: Any?, _ what: String, relative: Double = tolerance) {
        let reference = number(expected)
        #expect(isClose(actual.isNaN ? nil : actual, reference, relative: relative, absolute: 1e-15),
                "\(what): \(actual) vs \(String(describing: reference))")
    }

    @Test("equal-mass bins, equalMassECE and debiasedL2ECE at B = 5, 10, 15, 30, 50", arguments: fixtures)
    func equalMass(name: String) throws {
        let metrics = try #require(Self.fixture(name)["metrics"] as? [String: Any])
        let byBins = try #require(metrics["bins"] as? [String: Any])
        for bins in Self.binCounts {
            let expected = try #require(byBins[String(bins)] as? [String: Any])
            let c = try Self.audited(name, bins: bins).metrics.calibration
            Self.expectClose(c.equalMassECE, expected["equalMassECE"], "\(name) B=\(bins) equalMassECE")
            Self.expectClose(c.debiasedL2ECE, expected["debiasedL2ECE"], "\(name) B=\(bins) debiasedL2ECE")
            let table = try #require(expected["bins"] as? [[String: Any]])
            try #require(c.equalMassBins.count == table.count, "\(name) B=\(bins): \(c.equalMassBins.count) non-empty bins, expected \(table.count)")
            for (ours, ref) in zip(c.equalMassBins, table) {
                #expect(ours.rows == ref["count"] as? Int, "\(name) B=\(bins) bin \(ref["bin"]!) rows")
                Self.expectClose(ours.weight, ref["weight"], "\(name) B=\(bins) bin weight")
                Self.expectClose(ours.meanScore, ref["meanScore"], "\(name) B=\(bins) bin mean score")
                Self.expectClose(ours.observedRate, ref["observedRate"], "\(name) B=\(bins) bin observed rate")
                // The bin's own scores, read back from JSON (Foundation's reader can be one ulp off on 17 digits).
                Self.expectClose(ours.lowest, ref["lower"], "\(name) B=\(bins) bin lowest score", relative: 1e-15)
                Self.expectClose(ours.highest, ref["upper"], "\(name) B=\(bins) bin highest score", relative: 1e-15)
            }
        }
    }

    @Test("smooth ECE through the audit: within 1e-4 of relplot 1.0.3 (weighted: its transcription), the same bandwidth", arguments: fixtures)
    func smooth(name: String) throws {
        let expected = try #require(Self.fixture(name)["metrics"] as? [String: Any])
        let c = try Self.audited(name).metrics.calibration
        let value = try #require(Self.number(expected["smoothECE"]))
        #expect(Swift.abs(c.smoothECE - value) <= 1e-4, "\(name): \(c.smoothECE) vs relplot \(value)")
        #expect(c.smoothECEBandwidth == Self.number(expected["smoothECEBandwidth"]), "\(name): σ*")
    }

    @Test("Spiegelhalter, Hosmer–Lemeshow and the CORP decompositions (binary)", arguments: fixtures)
    func binaryTests(name: String) throws {
        let result = try Self.audited(name)
        let c = result.metrics.calibration
        guard let expected = Self.fixture(name)["binary"] as? [String: Any] else {
            #expect(result.task == .multiclass)
            for key in MetricKey.sortedScoreKeys where !key.applies(to: .multiclass) {
                #expect(key.value(in: result.metrics) == nil, "\(name): \(key) is binary only")
            }
            return
        }
        Self.expectClose(c.spiegelhalterZ, expected["spiegelhalterZ"], "\(name) spiegelhalterZ")
        Self.expectClose(c.spiegelhalterP, expected["spiegelhalterP"], "\(name) spiegelhalterP", relative: 1e-11)
        Self.expectClose(c.hosmerLemeshowStatistic, expected["hosmerLemeshowStatistic"], "\(name) hosmerLemeshowStatistic")
        Self.expectClose(c.hosmerLemeshowP, expected["hosmerLemeshowP"], "\(name) hosmerLemeshowP", relative: 1e-11)
        #expect(c.hosmerLemeshowGroups == Self.number(expected["hosmerLemeshowGroups"]), "\(name) hosmerLemeshowGroups")
        let table = try #require(expected["hosmerLemeshowTable"] as? [[String: Any]])
        #expect(c.hosmerLemeshowTable.count == table.count)
        for (ours, ref) in zip(c.hosmerLemeshowTable, table) {
            #expect(ours.rows == ref["count"] as? Int)
            Self.expectClose(ours.observed, ref["observed"], "\(name) HL observed")
            Self.expectClose(ours.expected, ref["expected"], "\(name) HL expected")
            Self.expectClose(ours.expectedNegative, ref["expectedNegative"], "\(name) HL expected negatives")
        }
        let decompositions = try #require(expected["decomposition"] as? [String: [String: Any]])
        for (key, ours) in [("brier", c.brierDecomposition), ("crossEntropy", c.crossEntropyDecomposition)] {
            let ref = try #require(decompositions[key])
            Self.expectClose(ours.score, ref["score"], "\(name) \(key) score")
            Self.expectClose(ours.miscalibration, ref["miscalibration"], "\(name) \(key) miscalibration", relative: 1e-10)
            Self.expectClose(ours.discrimination, ref["discrimination"], "\(name) \(key) discrimination", relative: 1e-10)
            Self.expectClose(ours.uncertainty, ref["uncertainty"], "\(name) \(key) uncertainty")
        }
    }

    @Test("every undefined value has its reason, and only those", arguments: fixtures)
    func reasons(name: String) throws {
        let result = try Self.audited(name)
        for key in MetricKey.sortedScoreKeys where key.applies(to: result.task) {
            let value = try #require(key.value(in: result.metrics))
            if value.isNaN {
                #expect(result.metrics.calibration.undefinedReasons[key.name] != nil, "\(name): \(key) is null without a reason")
            } else {
                #expect(result.metrics.calibration.undefinedReasons[key.name] == nil, "\(name): \(key) has a value and a reason")
            }
        }
    }
}
