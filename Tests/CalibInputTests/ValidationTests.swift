import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// Each malformed input gives the documented message, line, column and exit code.
@Suite("Validation errors")
struct ValidationTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let text: String
        let exitCode: Int32
        let message: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "non-numeric score", text: "label,p_fraud\nfraud,0.5\nlegit,abc\n", exitCode: 65,
             message: "bad.csv:3: column 'p_fraud': \"abc\" is not a number"),
        Case(name: "NaN score", text: "label,prob\n1,NaN\n", exitCode: 65, message: "bad.csv:2: column 'prob': \"NaN\" is not a finite number"),
        Case(name: "infinite logit", text: "label,logit\n1,-inf\n", exitCode: 65, message: "bad.csv:2: column 'logit': \"-inf\" is not a finite number"),
        Case(name: "probability above 1", text: "label,prob\n1,1.5\n", exitCode: 65, message: "bad.csv:2: column 'prob': \"1.5\" is not a probability in [0, 1]"),
        Case(name: "negative probability", text: "label,prob\n1,-0.1\n", exitCode: 65, message: "bad.csv:2: column 'prob': \"-0.1\" is not a probability in [0, 1]"),
        Case(name: "rows not summing to 1", text: "label,p_a,p_b,p_c\na,0.5,0.3,0.1\n", exitCode: 65, message: "bad.csv:2: \"p_a,p_b,p_c\" class probabilities sum to 0.9"),
        Case(name: "unknown label", text: "label,p_a,p_b,p_c\nd,0.5,0.3,0.2\n", exitCode: 65, message: "bad.csv:2: column 'label': \"d\" is not one of the classes ('a', 'b', 'c')"),
        Case(name: "empty label", text: "label,prob\n,0.5\n", exitCode: 65, message: "bad.csv:2: column 'label': \"\" is an empty label"),
        Case(name: "missing score", text: "label,prob\n1,\n", exitCode: 65, message: "bad.csv:2: column 'prob': \"\" is missing"),
        Case(name: "ragged row", text: "label,prob\n1,0.5,extra\n", exitCode: 65, message: "bad.csv:2: row has 3 fields, the header has 2"),
        Case(name: "missing label column", text: "truth,prob\n1,0.5\n", exitCode: 65, message: "no label column"),
        Case(name: "missing score column", text: "label,other\n1,0.5\n", exitCode: 65, message: "no score column"),
        Case(name: "header only", text: "label,prob\n", exitCode: 65, message: "bad.csv: the file has a header but no data rows"),
        Case(name: "empty file", text: "", exitCode: 65, message: "bad.csv: the file is empty"),
        Case(name: "negative weight", text: "label,prob,weight\n1,0.5,-2\n", exitCode: 65, message: "bad.csv:2: column 'weight': \"-2\" is not a weight"),
        Case(name: "unterminated quote", text: "label,prob\n1,0.5\n\"0,0.25\n1,0.5\n", exitCode: 65, message: "bad.csv:3: a quoted field opened on this line is never closed"),
        Case(name: "third binary label", text: "label,prob\n0,0.5\n1,0.4\n2,0.3\n", exitCode: 65, message: "bad.csv:4: column 'label': \"2\" is not one of the classes ('0', '1')"),
        Case(name: "undecidable positive class", text: "label,prob\ncat,0.5\n", exitCode: 64, message: "--positive"),
        Case(name: "duplicate column", text: "label,prob,Prob\n1,0.5,0.5\n", exitCode: 65, message: "bad.csv:1: column 'Prob' appears twice in the header"),
    ]

    @Test("strict mode stops at the first invalid row with file, line, column and value", arguments: cases)
    func strict(c: Case) throws {
        let path = try temporaryFile("bad.csv", c.text)
        let folder = (path as NSString).deletingLastPathComponent + "/"
        let error = try #require(throws: InputError.self) { _ = try InputAudit.run(.file(path)) }
        #expect(error.exitCode == c.exitCode)
        let shown = error.description.replacingOccurrences(of: folder, with: "")
        #expect(shown.contains(c.message), "\(shown)")
    }

    @Test("a missing file is exit 66 naming the path")
    func missingFile() {
        let error = #expect(throws: InputError.self) { _ = try InputAudit.run(.file("/nonexistent/scores.csv")) }
        #expect(error?.exitCode == 66)
        #expect(error?.description.contains("/nonexistent/scores.csv") == true)
    }

    @Test("skip mode counts every skipped row by reason and keeps line numbers")
    func skipMode() throws {
        let text = "label,prob\n1,0.9\n0,abc\n1,1.5\n0,0.2\n0,xyz\n,0.3\n"
        var options = ReadOptions()
        options.onInvalid = .skip
        let (result, input) = try InputAudit.run(.file(try temporaryFile("s.csv", text)), options: options)
        #expect(result.rows == 2)
        #expect(input.skipped.total == 4)
        #expect(input.skipped.reasons.map(\.code) == ["not-a-number", "probability-out-of-range", "empty-label"])
        #expect(input.skipped.reasons[0].count == 2)
        #expect(input.skipped.reasons[0].examples.map(\.line) == [3, 6])
    }

    @Test("when every row is invalid, skip mode still fails with exit 65")
    func allSkipped() throws {
        var options = ReadOptions()
        options.onInvalid = .skip
        let error = try #require(throws: InputError.self) {
            _ = try InputAudit.run(.file(try temporaryFile("n.csv", "label,prob\n1,x\n0,y\n")), options: options)
        }
        #expect(error.exitCode == 65 && error.description.contains("all 2 data rows were skipped"))
    }

    @Test("a huge bad value is cut in the message")
    func longValueIsCut() throws {
        let path = try temporaryFile("l.csv", "label,prob\n1,\(String(repeating: "x", count: 10_000))\n")
        let error = try #require(throws: InputError.self) { _ = try InputAudit.run(.file(path)) }
        #expect(error.description.count < 300 && error.description.contains("…"))
    }
}
