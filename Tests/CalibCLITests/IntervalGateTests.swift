import CalibTestSupport
import Foundation
import Testing

/// Gates on interval bounds (SPEC section 10): `KEY.lower` and `KEY.upper`
/// for every key with an interval, undefined with a reason when there are no
/// intervals, usage errors that name the valid forms, and messages that
/// print the key's `value [lower, upper]`.
@Suite("Gates on interval bounds")
struct IntervalGateTests {
    /// A binary file of 10 score levels 0.05, 0.15, …, 0.95 with 200 rows each,
    /// exactly round(200·p) of them positive, the scores raised by `shift`
    /// (clipped to 0.99): calibrated (ECE 0) for shift 0, off by about `shift` otherwise.
    static func levels(shift: Double) throws -> String {
        var text = "label,p\n"
        for level in 0..<10 {
            let p = 0.05 + 0.1 * Double(level)
            let positives = Int((200 * p).rounded())
            for row in 0..<200 { text += "\(row < positives ? 1 : 0),\(min(0.99, p + shift))\n" }
        }
        let path = try temporaryFolder() + "/levels-\(shift).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shift: Double
        let gate: String
        let fails: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "calibrated: ECE 0, its interval's lower bound 0 is not above 0.02", shift: 0, gate: "ece.lower>0.02", fails: false),
        Case(name: "off by 0.2: the ECE is above 0.02 with 95% confidence", shift: 0.2, gate: "ece.lower>0.02", fails: true),
        Case(name: "off by 0.2: the upper bound is above 0.1", shift: 0.2, gate: "ece.upper>0.1", fails: true),
        Case(name: "calibrated: the upper bound stays below 0.1", shift: 0, gate: "ece.upper>0.1", fails: false),
    ]

    @Test("a gate on ece.lower / ece.upper compares that bound of the JSON interval", arguments: cases)
    func boundGate(_ c: Case) throws {
        let run = try CalibRun(["audit", try Self.levels(shift: c.shift), "--fail-on", c.gate, "--format", "json"])
        #expect(run.status == (c.fails ? 1 : 0), "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let gate = try #require((object["gates"] as? [[String: Any]])?.first)
        let intervals = try #require(object["intervals"] as? [String: Any])
        let ece = try #require((intervals["metrics"] as? [String: Any])?["ece"] as? [String: Double])
        let bound = c.gate.hasPrefix("ece.lower") ? "lower" : "upper"
        #expect(gate["value"] as? Double == ece[bound])
        #expect(gate["passed"] as? Bool == !c.fails)
    }

    @Test("with --bootstrap 0 a gate on a bound is undefined, fails and says why", arguments: [
        "ece.lower>0.02", "ranking.rocAUC.lower<0.9", "precision[fraud].lower<0.2", "crossEntropy.upper>1",
    ])
    func withoutBootstrap(gate: String) throws {
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--bootstrap", "0", "--fail-on", gate])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("FAIL  \(gate)  (value undefined, threshold"), "\(run.stdout)")
        #expect(run.stdout.contains("undefined: no intervals: the audit ran with --bootstrap 0"))
        let json = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--bootstrap", "0", "--fail-on", gate, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let outcome = try #require((object["gates"] as? [[String: Any]])?.first)
        #expect(outcome["value"] is NSNull && outcome["passed"] as? Bool == false)
    }

    @Test("a bound of an unknown key, of a key without an interval, or of a segment is a usage error naming the valid forms", arguments: [
        ("eec.lower>0.1", false, "unknown metric 'eec'"),
        ("eec.lower>0.1", false, "or KEY.lower / KEY.upper (the bounds of KEY's interval) with KEY one of crossEntropy, priorCrossEntropy"),
        ("spiegelhalterP.lower<0.05", false, "spiegelhalterP has no interval; KEY.lower and KEY.upper take KEY one of crossEntropy"),
        ("crossEntropyBits.upper>1", false, "crossEntropyBits has no interval"),
        ("ranking.positiveRate.lower<0.01", false, "ranking.positiveRate has no interval"),
        ("precision[fruad].lower<0.2", false, "no class 'fruad'; classes: legit, fraud"),
        ("ece.lower@DE>0.1", true, "intervals are computed for the whole input only, not per segment"),
        ("max-segment-ece.upper>0.1", true, "intervals are computed for the whole input only, not per segment"),
    ])
    func usageErrors(gate: String, segmented: Bool, message: String) throws {
        let file = segmented ? try segmentedFile() : "SampleData/fraud_transactions.csv"
        let run = try CalibRun(["audit", file, "--bootstrap", "0", "--fail-on", gate] + (segmented ? ["--group", "country"] : []))
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("a failed gate on a bound prints its key's value [lower, upper] in the report and the annotation")
    func messages() throws {
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--fail-on", "ece.lower>0.01", "--fail-on", "precision[fraud].upper<0.5"],
                               environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": try temporaryFolder() + "/summary.md"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("  FAIL  ece.lower>0.01  (value 0.0130, threshold 0.0100; ece\n    0.0148 [0.0130, 0.0166])"), "\(run.stdout)")
        #expect(run.stdout.contains("precision[fraud] 0.2363 [0.1801, 0.2871])"))
        #expect(run.stdout.contains("ece.lower = 0.012980, gate 'ece.lower>0.01' failed (ece 0.014754 [0.012980, 0.016615])"))
    }
}
