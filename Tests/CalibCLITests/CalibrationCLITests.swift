import CalibTestSupport
import Foundation
import Testing

/// SPEC section 9 on the command line: the keys in the JSON `metrics`
/// object (the decompositions nested), gates on every kind of key, and which
/// estimators move with `--bins`.
@Suite("calib audit: calibration estimators, tests and decompositions")
struct CalibrationCLITests {
    static let fraud = "SampleData/fraud_transactions.csv"

    static func metrics(_ arguments: [String], file: String = fraud) throws -> [String: Any] {
        let run = try CalibRun(["audit", file, "--format", "json"] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        return try #require(object["metrics"] as? [String: Any])
    }

    struct GateCase: CustomTestStringConvertible, Sendable {
        let gate: String
        let status: Int32
        var testDescription: String { gate }
    }

    /// The fraud sample: Hosmer–Lemeshow p 7.7e-50, Spiegelhalter z −6.73, smooth ECE 0.0167,
    /// equal-mass ECE 0.0163, Brier miscalibration 0.0034, cross-entropy discrimination 0.0156.
    static let gates: [GateCase] = [
        GateCase(gate: "hosmerLemeshowP<0.05", status: 1),
        GateCase(gate: "hosmerLemeshowP<1e-60", status: 0),
        GateCase(gate: "hosmerLemeshowStatistic>100", status: 1),
        GateCase(gate: "spiegelhalterZ<-3", status: 1),
        GateCase(gate: "spiegelhalterP<1e-20", status: 0),
        GateCase(gate: "smoothECE>0.01", status: 1),
        GateCase(gate: "smoothECE>0.02", status: 0),
        GateCase(gate: "equalMassECE>0.01", status: 1),
        GateCase(gate: "debiasedL2ECE>0.1", status: 0),
        GateCase(gate: "decomposition.brier.miscalibration>0.003", status: 1),
        GateCase(gate: "decomposition.brier.miscalibration>0.01", status: 0),
        GateCase(gate: "decomposition.crossEntropy.discrimination<0.01", status: 0),
    ]

    @Test("a gate on a section 9 key passes or fails on its value", arguments: gates)
    func gate(_ c: GateCase) throws {
        let run = try CalibRun(["audit", Self.fraud, "--format", "json", "--fail-on", c.gate])
        #expect(run.status == c.status, "\(c.gate): \(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let gates = try #require(object["gates"] as? [[String: Any]])
        #expect(gates.first?["value"] is NSNumber, "\(c.gate) has a value")
    }

    struct UsageCase: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let gate: String
        let message: String
        var testDescription: String { name }
    }

    static let usage: [UsageCase] = [
        UsageCase(name: "a decomposition is an object, not a value: its keys are listed", file: fraud, gate: "decomposition.brier>0.1",
                  message: "unknown metric 'decomposition.brier'; use one of decomposition.brier.score, decomposition.brier.miscalibration"),
        UsageCase(name: "a misspelt member: its group's keys are listed", file: fraud, gate: "decomposition.brier.mcb>0.1",
                  message: "use one of decomposition.brier.score, decomposition.brier.miscalibration, decomposition.brier.discrimination, decomposition.brier.uncertainty"),
        UsageCase(name: "a group alone", file: fraud, gate: "decomposition>0.1",
                  message: "use one of decomposition.brier.score"),
        UsageCase(name: "binary-only tests on a multiclass input", file: "SampleData/news_topics_logits.jsonl",
                  gate: "hosmerLemeshowP<0.05", message: "hosmerLemeshowP is defined for binary tasks only"),
    ]

    @Test("gates on names that are not section 9 keys are usage errors that say what is valid", arguments: usage)
    func usageError(_ c: UsageCase) throws {
        let run = try CalibRun(["audit", c.file, "--fail-on", c.gate])
        #expect(run.status == 64)
        #expect(run.stderr.contains(c.message), "\(run.stderr)")
    }

    @Test("the decompositions nest in metrics, score = miscalibration − discrimination + uncertainty, score = brier")
    func decomposition() throws {
        let metrics = try Self.metrics([])
        let decomposition = try #require(metrics["decomposition"] as? [String: [String: Double]])
        #expect(decomposition.keys.sorted() == ["brier", "crossEntropy"])
        for (name, parts) in decomposition {
            #expect(parts.keys.sorted() == ["discrimination", "miscalibration", "score", "uncertainty"])
            let (s, m, d, u) = (parts["score"]!, parts["miscalibration"]!, parts["discrimination"]!, parts["uncertainty"]!)
            #expect(Swift.abs(s - (m - d + u)) <= 1e-12, "\(name)")
        }
        #expect(decomposition["brier"]?["score"] == metrics["brier"] as? Double)
        #expect(decomposition["crossEntropy"]?["score"] == metrics["crossEntropy"] as? Double)
    }

    @Test("--bins moves the binned estimators, not the smooth ECE or the Hosmer–Lemeshow groups")
    func bins() throws {
        let five = try Self.metrics(["--bins", "5"]), fifty = try Self.metrics(["--bins", "50"])
        #expect(five["equalMassECE"] as? Double != fifty["equalMassECE"] as? Double)
        #expect(five["debiasedL2ECE"] as? Double != fifty["debiasedL2ECE"] as? Double)
        for key in ["smoothECE", "smoothECEBandwidth", "hosmerLemeshowStatistic", "hosmerLemeshowP", "spiegelhalterZ"] {
            #expect(five[key] as? Double == fifty[key] as? Double, "\(key)")
        }
        #expect(five["hosmerLemeshowGroups"] as? Int == 10)
    }

    @Test("a multiclass input has the estimators over its top-label confidence, and null binary-only keys")
    func multiclass() throws {
        let metrics = try Self.metrics([], file: "SampleData/news_topics_logits.jsonl")
        for key in ["equalMassECE", "debiasedL2ECE", "smoothECE", "smoothECEBandwidth"] {
            #expect(metrics[key] is Double, "\(key)")
        }
        for key in ["spiegelhalterZ", "hosmerLemeshowP", "calibrationSlope", "calibrationIntercept"] {
            #expect(metrics[key] is NSNull, "\(key)")
        }
    }
}
