import CalibCore
import CalibInput
@testable import CalibReport
import CalibTestSupport
import Foundation
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("non-finite numbers become null", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(x: Double) {
        #expect(JSONValue.finite(x) == .null)
        #expect(JSONValue.number(x).serialized() == "null\n")
    }

    @Test("numbers print as the shortest text that reads back the same", arguments: [0.1, 1e-300, 0.30000000000000004, 123456.789, -2.5e-8, .leastNonzeroMagnitude])
    func roundTrip(x: Double) {
        let text = JSONValue.number(x).serialized().trimmingCharacters(in: .newlines)
        #expect(Double(text) == x, "\(text)")
    }

    @Test("integral values print without a fraction")
    func integral() {
        #expect(JSONValue.number(3).serialized() == "3\n")
        #expect(JSONValue.number(-0.0).serialized() == "0\n")
    }

    @Test("strings are escaped so any input round-trips through a JSON parser")
    func escaping() throws {
        let hostile = "a\"b\\c\nd\u{01}é</script>"
        let text = JSONValue.object([("k", .string(hostile))]).serialized()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(parsed["k"] == hostile)
    }

    @Test("a string with one character to escape is escaped, alone or among plain ones",
          arguments: [("plain text, kept as it is", "plain text, kept as it is"), ("a\\b", #"a\\b"#), ("a\"b", #"a\"b"#),
                      ("tab\there", #"tab\there"#), ("del\u{7F}", #"del\u007f"#), ("é", "é"),
                      ("line\u{2028}separator", #"line\u2028separator"#), ("\u{1F600}", "\u{1F600}"), ("", "")])
    func singleEscape(raw: String, literal: String) throws {
        #expect(JSONValue.string(raw).serialized() == "\"\(literal)\"\n")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(JSONValue.array([.string(raw)]).serialized().utf8)) as? [String])
        #expect(parsed == [raw])
    }

    @Test("object keys keep the order they were written in")
    func keyOrder() {
        let text = JSONValue.object([("z", .integer(1)), ("a", .integer(2))]).serialized()
        #expect(text == "{\n  \"z\": 1,\n  \"a\": 2\n}\n")
    }
}

@Suite("Terminal renderer")
struct TerminalRendererTests {
    static func report(_ text: String, name: String = "t.csv") throws -> Report {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("calib-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let (result, input) = try InputAudit.run(.file(path))
        return Report(input: input, result: result)
    }

    @Test("long class names and file names are cut to keep 80 columns")
    func width() throws {
        let long = String(repeating: "verylongclassname", count: 6)
        let text = "label,p_\(long)a,p_\(long)b,p_c\n\(long)a,0.5,0.3,0.2\nc,0.1,0.1,0.8\n"
        let rendered = TerminalRenderer.render(try Self.report(text, name: String(repeating: "f", count: 120) + ".csv"))
        for line in rendered.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
    }

    @Test("colour codes appear only when asked for")
    func colour() throws {
        let report = try Self.report("label,prob\n1,0.9\n0,0.2\n")
        #expect(!TerminalRenderer.render(report).contains("\u{1B}["))
        #expect(TerminalRenderer.render(report, colour: true).contains("\u{1B}[1m"))
    }

    @Test("the binary verdict speaks of the positive class; multiclass of confidence")
    func verdict() throws {
        let over = try Self.report("label,prob\n" + String(repeating: "0,0.6\n1,0.9\n0,0.7\n", count: 20))
        #expect(TerminalRenderer.render(over).contains("overstate the chance of '1'"))
        let multi = try Self.report("label,p_a,p_b,p_c\n" + String(repeating: "a,0.9,0.05,0.05\nb,0.9,0.05,0.05\n", count: 20))
        #expect(TerminalRenderer.render(multi).contains("overconfident"))
    }
}

@Suite("Number text")
struct NumberTextTests {
    @Test("fixed, percent, signed and counts", arguments: [
        (NumberText.fixed(0.12345, 3), "0.123"), (NumberText.fixed(-0.0004, 3), "0.000"), (NumberText.fixed(2.5, 0), "3"),
        (NumberText.fixed(.nan, 2), "—"), (NumberText.percent(0.0123), "1.2%"), (NumberText.signed(0.1, 2), "+0.10"),
        (NumberText.count(1_234_567), "1,234,567"), (NumberText.weight(12.5), "12.50"),
    ])
    func formats(pair: (String, String)) {
        #expect(pair.0 == pair.1)
    }
}
