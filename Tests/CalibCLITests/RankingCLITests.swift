import CalibTestSupport
import Foundation
import Testing

/// SPEC section 8 on the command line: the options, the JSON `ranking`
/// object, gates on every ranking key, the sketch beyond the memory budget.
@Suite("calib audit: ranking and operating points")
struct RankingCLITests {
    static let fraud = "SampleData/fraud_transactions.csv"

    static func ranking(_ arguments: [String]) throws -> [String: Any] {
        let run = try CalibRun(["audit", fraud, "--format", "json"] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        return try #require(object["ranking"] as? [String: Any])
    }

    struct GateCase: CustomTestStringConvertible, Sendable {
        let gate: String
        let extra: [String]
        let status: Int32
        var testDescription: String { gate }
    }

    /// The fraud sample: ROC AUC 0.8756, average precision 0.1490, recall 0.13 in the top 0.5%.
    static let gates: [GateCase] = [
        GateCase(gate: "ranking.rocAUC<0.9", extra: [], status: 1),
        GateCase(gate: "ranking.rocAUC<0.8", extra: [], status: 0),
        GateCase(gate: "ranking.averagePrecision[fraud]<0.3", extra: [], status: 1),
        GateCase(gate: "ranking.averagePrecision[legit]<0.9", extra: [], status: 0),
        GateCase(gate: "ranking.recallAtPrecision[0.9]<0.4", extra: [], status: 1),
        GateCase(gate: "ranking.recallAtTop[0.005]<0.5", extra: [], status: 1),
        GateCase(gate: "ranking.recallAtTop[0.005]<0.1", extra: [], status: 0),
        GateCase(gate: "ranking.recallAtTop[0.02].precision<0.1", extra: ["--top", "0.02"], status: 0),
        GateCase(gate: "ranking.recallAtFPR[0.05]<0.3", extra: [], status: 0),
        GateCase(gate: "ranking.sweep[0.5].f1<0.1", extra: [], status: 0),
        GateCase(gate: "ranking.cost.regret>0.0001", extra: ["--cost-fp", "1", "--cost-fn", "20"], status: 1),
        GateCase(gate: "ranking.maxAUCError>0", extra: [], status: 0),
    ]

    @Test("a gate on a ranking key passes or fails on its value", arguments: gates)
    func gate(_ c: GateCase) throws {
        let run = try CalibRun(["audit", Self.fraud, "--format", "json", "--fail-on", c.gate] + c.extra)
        #expect(run.status == c.status, "\(c.gate): \(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let gates = try #require(object["gates"] as? [[String: Any]])
        #expect(gates.first?["value"] is NSNumber, "\(c.gate) has a value")
    }

    struct UsageCase: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let message: String
        var testDescription: String { name }
    }

    static let usage: [UsageCase] = [
        UsageCase(name: "unknown ranking key", arguments: ["--fail-on", "ranking.auc<0.9"],
                  message: "'ranking.auc': unknown ranking key; use one of ranking.rocAUC, ranking.weightedROCAUC"),
        UsageCase(name: "target not in the list", arguments: ["--fail-on", "ranking.recallAtPrecision[0.7]<0.5"],
                  message: "ranking.recallAtPrecision has no entry 0.7; entries: 0.5, 0.8, 0.9, 0.95, 0.99 (set them with --precision-at)"),
        UsageCase(name: "no such field", arguments: ["--fail-on", "ranking.recallAtTop[0.005].fpr<0.5"],
                  message: "ranking.recallAtTop entries have the fields flaggedFraction, recall, precision, threshold"),
        UsageCase(name: "cost without costs", arguments: ["--fail-on", "ranking.cost.regret>0"],
                  message: "the cost section needs --cost-fp and --cost-fn"),
        UsageCase(name: "unknown class", arguments: ["--fail-on", "ranking.rocAUC[spam]<0.5"],
                  message: "no class 'spam'; classes: legit, fraud"),
        UsageCase(name: "multiclass-only key", arguments: ["--fail-on", "ranking.weightedROCAUC<0.5"],
                  message: "ranking.weightedROCAUC is defined for multiclass tasks only"),
        UsageCase(name: "one cost alone", arguments: ["--cost-fp", "1"], message: "--cost-fp needs --cost-fn"),
        UsageCase(name: "a zero cost", arguments: ["--cost-fp", "0", "--cost-fn", "1"], message: "both costs must be above 0"),
        UsageCase(name: "precision target out of range", arguments: ["--precision-at", "0.5,1.2"],
                  message: "--precision-at \"0.5,1.2\": \"1.2\" is not a number above 0 to 1"),
        UsageCase(name: "a target twice", arguments: ["--fpr-at", "0.01,0.01"], message: "--fpr-at \"0.01,0.01\": gives \"0.01\" twice"),
        UsageCase(name: "budget of zero", arguments: ["--top", "0"], message: "--top \"0\": \"0\" is not a number above 0 to 1"),
        UsageCase(name: "memory budget not a size", arguments: ["--memory-budget", "lots"],
                  message: "--memory-budget \"lots\": must be a whole number of bytes"),
        UsageCase(name: "memory budget beyond 1024T", arguments: ["--memory-budget", "1025T"],
                  message: "--memory-budget \"1025T\": must be a whole number of bytes"),
        UsageCase(name: "more than 100 targets", arguments: ["--precision-at", (1...101).map { "0.\($0 + 100)" }.joined(separator: ",")],
                  message: "lists 101 values; give at most 100"),
    ]

    @Test("a bad ranking option or gate is a usage error (exit 64) that says what to write", arguments: usage)
    func usageError(_ c: UsageCase) throws {
        let run = try CalibRun(["audit", Self.fraud] + c.arguments)
        #expect(run.status == 64)
        #expect(run.stderr.contains(c.message), "\(c.name): \(run.stderr)")
    }

    @Test("the options set the lists' targets, in the order given")
    func targets() throws {
        let r = try Self.ranking(["--precision-at", "0.6,0.3", "--fpr-at", "0", "--top", "0.1"])
        #expect((r["recallAtPrecision"] as? [[String: Any]])?.map { $0["target"] as? Double } == [0.6, 0.3])
        #expect((r["recallAtFPR"] as? [[String: Any]])?.map { $0["target"] as? Double } == [0])
        #expect((r["recallAtTop"] as? [[String: Any]])?.map { $0["fraction"] as? Double } == [0.1])
        #expect((r["sweep"] as? [Any])?.count == 99)
    }

    @Test("beyond --memory-budget the ranking comes from a sketch, says so, and bounds its error")
    func sketch() throws {
        let exact = try Self.ranking([])
        let sketched = try Self.ranking(["--memory-budget", "64K"])
        #expect(try Self.ranking(["--memory-budget", "1T"])["exact"] as? Bool == true, "T is a suffix too")
        #expect(exact["exact"] as? Bool == true && exact["maxAUCError"] as? Double == 0)
        #expect(sketched["exact"] as? Bool == false)
        let bound = try #require(sketched["maxAUCError"] as? Double)
        #expect(bound > 0 && bound < 0.05)
        for key in ["rocAUC", "averagePrecision"] {
            let a = try #require(exact[key] as? Double), b = try #require(sketched[key] as? Double)
            #expect(abs(a - b) <= bound, "\(key): exact \(a), sketch \(b), bound \(bound)")
        }
        // The sweep stays exact in a sketch.
        #expect((exact["sweep"] as? NSArray) == (sketched["sweep"] as? NSArray))
        let terminal = try CalibRun(["audit", Self.fraud, "--memory-budget", "64K"])
        #expect(terminal.stdout.contains("ranking from a sketch"))
    }

    @Test("the ranking is byte-identical for any number of threads, exact or sketched", arguments: [[String](), ["--memory-budget", "64K"]])
    func threads(extra: [String]) throws {
        let outputs = try [1, 2, 3].map { try CalibRun(["audit", Self.fraud, "--format", "json", "--threads", "\($0)", "--block-bytes", "65536"] + extra).stdout }
        #expect(Set(outputs).count == 1)
    }
}
