import Foundation
import Testing

/// `--bootstrap`, `--confidence` and `--seed` (SPEC section 10): bad values
/// are usage errors (exit 64) that name the flag and the value as typed;
/// good ones reach the JSON's `intervals`.
@Suite("Interval options")
struct IntervalOptionTests {
    struct Case: CustomTestStringConvertible {
        let arguments: [String]
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let bad: [Case] = [
        Case(arguments: ["--bootstrap", "-1"], message: "--bootstrap \"-1\": must be a whole number from 0 to 10000"),
        Case(arguments: ["--bootstrap", "20000"], message: "--bootstrap \"20000\": must be a whole number from 0 to 10000"),
        Case(arguments: ["--confidence", "1"], message: "--confidence \"1\": must be a number strictly between 0 and 1"),
        Case(arguments: ["--confidence", "abc"], message: "--confidence \"abc\": must be a number strictly between 0 and 1"),
        Case(arguments: ["--seed", "-3"], message: "--seed \"-3\": must be a whole number from 0 to 9223372036854775807"),
        Case(arguments: ["--bootstrap", "0", "--seed", "3"], message: "--confidence and --seed need intervals: drop --bootstrap 0"),
    ]

    @Test("a bad value is a usage error naming the flag and the value", arguments: bad)
    func usage(c: Case) throws {
        let run = try CalibRun(["audit", "SampleData/spam_messages.tsv"] + c.arguments)
        #expect(run.status == 64)
        #expect(run.stderr.contains("calib: error: " + c.message), "\(run.stderr)")
    }

    @Test("the settings reach the JSON, and --bootstrap 0 writes no intervals")
    func settings() throws {
        let run = try CalibRun(["audit", "SampleData/spam_messages.tsv", "--format", "json", "--bootstrap", "40", "--confidence", "0.9", "--seed", "12"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let intervals = try #require(object["intervals"] as? [String: Any])
        #expect(intervals["method"] as? String == "poisson-bootstrap")
        #expect(intervals["replicates"] as? Int == 40)
        #expect(intervals["confidence"] as? Double == 0.9)
        #expect(intervals["seed"] as? Int == 12)
        let off = try CalibRun(["audit", "SampleData/spam_messages.tsv", "--format", "json", "--bootstrap", "0"])
        let offObject = try #require(try JSONSerialization.jsonObject(with: Data(off.stdout.utf8)) as? [String: Any])
        #expect(offObject["intervals"] is NSNull)
    }
}
