import CalibCore
import CalibInput
@testable import CalibReport
import CalibTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

extension HostileString {
    /// A JSON Lines input whose class names, ids and group values are all the hostile cases,
    /// with one invalid row per class (skipped) so that skipped-row messages carry them too.
    static func input() -> [UInt8] {
        let names = cases.map(\.text)
        var lines: [String] = []
        for (k, name) in names.enumerated() {
            for r in 0..<3 {
                var row: [String: Any] = ["id": name + String(r), "label": name, "grp": name]
                for (j, other) in names.enumerated() {
                    let top = r < 2 ? k : (k + 1) % names.count
                    row["p_" + other] = j == top ? 1 - 0.02 * Double(names.count - 1) : 0.02
                }
                lines.append(String(decoding: try! JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self))
            }
        }
        var bad: [String: Any] = ["id": "bad", "label": names[0], "grp": names[0]]
        for other in names { bad["p_" + other] = other }
        lines.append(String(decoding: try! JSONSerialization.data(withJSONObject: bad, options: [.sortedKeys]), as: UTF8.self))
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// The file name every report shows: every hostile case in one name.
    static let fileName = "dir/" + cases.map(\.text).joined(separator: " ") + ".jsonl"

    /// One report over `input()`, with gates naming hostile classes and segments.
    static func report() throws -> Report {
        var options = ReadOptions()
        options.id = "id"
        options.group = "grp"
        options.onInvalid = .skip
        options.format = .jsonl
        let outcome = try InputAudit.audit(.bytes(input(), name: fileName), options: options)
        // Gates can name classes whose brackets balance, and segments without < or > (the comparison would split there).
        let balanced = cases.filter { c in c.text.filter { $0 == "[" }.count == c.text.filter { $0 == "]" }.count }
        let gates = try balanced.map { try GateExpression("recall[\($0.text)]>0.5") }
            + balanced.filter { !$0.text.contains("<") && !$0.text.contains(">") }.map { try GateExpression("ece@\($0.text)>0.01", severity: .warning) }
        let outcomes = try GateEvaluator.evaluate(gates, result: outcome.result, input: outcome.input, segments: outcome.segments, minSegmentRows: 1)
        return Report(input: outcome.input, result: outcome.result, segments: outcome.segments, minSegmentRows: 1, gates: outcomes)
    }
}

/// Every output format, rendered from the hostile report.
enum RenderedOutputs {
    static func all(_ report: Report) -> [(format: String, text: String)] {
        [
            ("terminal", TerminalRenderer.render(report)),
            ("terminal in colour", TerminalRenderer.render(report, colour: true)),
            ("batch summary", TerminalRenderer.batchSummary([report, report], failedInputs: 1)),
            ("losses terminal", LossReportRenderer.terminal(report)),
            ("Markdown", MarkdownRenderer.render(report)),
            ("losses Markdown", LossReportRenderer.markdown(report)),
            ("Markdown index", MarkdownRenderer.renderIndex([(report, HostileString.cases[6].text + ".md"), (report, "#")])),
            ("HTML", HTMLRenderer.render(report)),
            ("losses HTML", LossReportRenderer.html(report)),
            ("HTML index", HTMLRenderer.renderIndex([(report, HostileString.cases[6].text + ".html"), (report, HostileString.cases[7].text + ".html")])),
            ("JUnit", JUnitRenderer.render([report])),
        ]
    }
}

@Suite("Hostile text in every report")
struct HostileReportTests {
    static let report = Result { try HostileString.report() }

    /// A scalar that may appear raw in a rendered text: none of the hostile ones but the line feed between lines.
    static func hostileScalars(_ text: String, allowingColour: Bool = false) -> [String] {
        var found: [String] = []
        var scalars = Array(text.unicodeScalars)[...]
        while let s = scalars.popFirst() {
            if allowingColour && s == "\u{1B}" {
                // calib's own SGR codes: ESC [ digits m.
                let code = scalars.prefix { $0 != "m" }
                if code.first == "[" && code.dropFirst().allSatisfy({ ("0"..."9").contains($0) }) { scalars = scalars.dropFirst(code.count + 1); continue }
            }
            if s != "\n" && TextEscaping.isHostile(s) { found.append("U+" + String(s.value, radix: 16)) }
        }
        return found
    }

    @Test("no control, bidi or noncharacter scalar from the input reaches any format", arguments: ["terminal", "terminal in colour", "batch summary", "losses terminal", "Markdown", "losses Markdown", "Markdown index", "HTML", "losses HTML", "HTML index", "JUnit"])
    func noHostileScalars(format: String) throws {
        let report = try Self.report.get()
        let text = try #require(RenderedOutputs.all(report).first { $0.format == format }?.text)
        #expect(Self.hostileScalars(text, allowingColour: format == "terminal in colour") == [])
    }

    @Test("no line of any format starts a GitHub workflow command", arguments: HostileString.cases)
    func noWorkflowCommand(hostile: HostileString) throws {
        let report = try Self.report.get()
        for (format, text) in RenderedOutputs.all(report) {
            for line in text.split(separator: "\n") {
                #expect(!line.drop { $0 == " " || $0 == "\t" }.hasPrefix("::"), "\(format): \(line)")
            }
        }
    }

    @Test("the terminal formats show each hostile name escaped in the \\u{…} style", arguments: HostileString.cases)
    func terminalShowsEscaped(hostile: HostileString) throws {
        let text = TerminalRenderer.render(try Self.report.get())
        let escaped = TextEscaping.plain(hostile.text)
        #expect(text.contains(String(escaped.prefix(12))), "\(escaped)")
    }

    @Test("HTML: no element, attribute or URL from the input; every page has the strict CSP", arguments: ["HTML", "losses HTML", "HTML index"])
    func html(format: String) throws {
        let text = try #require(RenderedOutputs.all(try Self.report.get()).first { $0.format == format }?.text)
        #expect(!text.contains("<img") && !text.contains("<script")  && !text.contains("<a href=\"javascript"))
        #expect(text.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"))
        for href in text.components(separatedBy: "href=\"").dropFirst() {
            #expect(href.hasPrefix("./") || href.hasPrefix("#"), "\(href.prefix(60))")
        }
    }

    @Test("the index pages link with ./ and percent-encoding, never a scheme")
    func indexLinks() throws {
        let report = try Self.report.get()
        let html = HTMLRenderer.renderIndex([(report, "javascript:alert(document.domain).html"), (report, "<img src=x onerror=alert(1)>.html")])
        #expect(html.contains("href=\"./javascript%3Aalert%28document.domain%29.html\""))
        #expect(html.contains("href=\"./%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html\""))
        let md = MarkdownRenderer.renderIndex([(report, "javascript:alert(document.domain).md"), (report, "a](b) <c>.md")])
        #expect(md.contains("](./javascript%3Aalert%28document.domain%29.md)"))
        #expect(md.contains("](./a%5D%28b%29%20%3Cc%3E.md)"))
    }

    @Test("Markdown: no raw HTML, and the pipe, backtick and bracket cannot break a table or make a link", arguments: ["Markdown", "losses Markdown", "Markdown index"])
    func markdown(format: String) throws {
        let text = try #require(RenderedOutputs.all(try Self.report.get()).first { $0.format == format }?.text)
        #expect(!text.contains("<img") && !text.contains("e|f"))
        #expect(Self.unescaped("`", in: text) == 0 && Self.unescaped("](", in: text) == 0 && Self.unescaped("[", in: text) == text.components(separatedBy: "\n").filter { $0.hasPrefix("| [") }.count)
        // Every table row has as many cells as its header.
        for block in text.components(separatedBy: "\n\n") where block.hasPrefix("|") {
            let rows = block.split(separator: "\n").map(String.init)
            let cells = rows.map { $0.components(separatedBy: "|").count - $0.components(separatedBy: "\\|").count }
            #expect(Set(cells).count == 1, "\(rows[0])")
        }
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// Occurrences of `needle` not preceded by a backslash, outside calib's own index links (`](./`).
    static func unescaped(_ needle: String, in text: String) -> Int {
        let parts = text.replacingOccurrences(of: "](./", with: "").replacingOccurrences(of: "](#", with: "").components(separatedBy: needle)
        return parts.dropLast().filter { !$0.hasSuffix("\\") }.count
    }

    @Test("JUnit is well-formed XML that keeps the names readable")
    func junit() throws {
        let text = JUnitRenderer.render([try Self.report.get()])
        let parser = XMLParser(data: Data(text.utf8))
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(text.contains("\\u{fffe}j\\u{ffff}"))
    }

    @Test("JSON keeps every hostile name exactly, escaped by the JSON writer")
    func json() throws {
        let report = try Self.report.get()
        let text = JSONReportRenderer.render(report)
        #expect(Self.hostileScalars(text) == [])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let classes = try #require((object["input"] as? [String: Any])?["classes"] as? [String])
        #expect(Set(classes) == Set(HostileString.cases.map(\.text)))
    }
}

/// One input and its expected escaping, named by the input made visible (so the test log stays on one line).
struct EscapeCase: CustomTestStringConvertible, Sendable {
    let input: String
    let expected: String
    var extra = ""
    init(_ input: String, _ expected: String, _ extra: String = "") { self.input = input; self.expected = expected; self.extra = extra }
    var testDescription: String { TextEscaping.plain(input) }
}

@Suite("Text escaping, one function per context")
struct TextEscapingTests {
    @Test("plain text: controls become visible; the text is otherwise kept", arguments: [
        EscapeCase("a\nb", "a\\nb"), EscapeCase("a\r\nb", "a\\r\\nb"), EscapeCase("tab\there", "tab\\there"), EscapeCase("\u{1B}[31mred", "\\u{1b}[31mred"),
        EscapeCase("\u{1B}]0;t\u{07}", "\\u{1b}]0;t\\u{7}"), EscapeCase("\u{9B}1m", "\\u{9b}1m"), EscapeCase("\u{0}", "\\u{0}"), EscapeCase("\u{7F}", "\\u{7f}"),
        EscapeCase("x\u{202E}y", "x\\u{202e}y"), EscapeCase("\u{2066}", "\\u{2066}"), EscapeCase("\u{2028}", "\\u{2028}"), EscapeCase("\u{FFFE}\u{FFFF}", "\\u{fffe}\\u{ffff}"),
        EscapeCase(String(Unicode.Scalar(0xFDD0)!), "\\u{fdd0}"), EscapeCase(String(Unicode.Scalar(0x10FFFF)!), "\\u{10ffff}"), EscapeCase("é 漢字 🙂 a\\b", "é 漢字 🙂 a\\b"),
    ])
    func plain(c: EscapeCase) {
        #expect(TextEscaping.plain(c.input) == c.expected)
        #expect(TextEscaping.plain(c.expected) == c.expected, "idempotent")
    }

    @Test("plain text is cut at the limit with an ellipsis")
    func cut() {
        #expect(TextEscaping.plain(String(repeating: "x", count: 900_000), limit: 60) == String(repeating: "x", count: 60) + "…")
        #expect(TextEscaping.plain("short", limit: 60) == "short")
    }

    @Test("a line that would start a workflow command after blanks is defused", arguments: [
        EscapeCase("::stop-commands::x", "\\u{3a}:stop-commands::x"), EscapeCase("  ::error::pwn", "  \\u{3a}:error::pwn"), EscapeCase("a ::b", "a ::b"), EscapeCase(": :", ": :"),
    ])
    func plainLine(c: EscapeCase) {
        #expect(TextEscaping.plainLine(c.input) == c.expected)
    }

    @Test("HTML: markup characters as entities, controls visible", arguments: [
        EscapeCase("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"), EscapeCase("a\"b'c&d", "a&quot;b&#39;c&amp;d"), EscapeCase("x\u{1B}y", "x\\u{1b}y"),
    ])
    func html(c: EscapeCase) {
        #expect(TextEscaping.html(c.input) == c.expected)
    }

    @Test("links are relative and percent-encoded; only a bare # stays on the page", arguments: [
        EscapeCase("javascript:alert(1).html", "./javascript%3Aalert%281%29.html"), EscapeCase("a b/c?d#e.md", "./a%20b%2Fc%3Fd%23e.md"),
        EscapeCase("é.html", "./%C3%A9.html"), EscapeCase("#", "#"), EscapeCase("#x y.html", "./%23x%20y.html"), EscapeCase("data:text/html,x", "./data%3Atext%2Fhtml%2Cx"),
    ])
    func links(c: EscapeCase) {
        #expect(TextEscaping.relativeLink(c.input) == c.expected)
        #expect(TextEscaping.markdownLinkTarget(c.input) == c.expected)
    }

    @Test("Markdown: no raw HTML, no table or link syntax", arguments: [
        EscapeCase("<b>", "&lt;b&gt;"), EscapeCase("a|b", "a\\|b"), EscapeCase("`x`", "\\`x\\`"), EscapeCase("[a](b)", "\\[a\\](b)"), EscapeCase("![i](j)", "\\!\\[i\\](j)"), EscapeCase("a\nb", "a\\\\nb"), EscapeCase("::x::y", "\\::x::y"),
    ])
    func markdown(c: EscapeCase) {
        #expect(TextEscaping.markdown(c.input) == c.expected)
    }

    @Test("XML: every character XML 1.0 forbids is made visible", arguments: ["\u{0}", "\u{8}", "\u{B}", "\u{1F}", "\u{FFFE}", "\u{FFFF}"].map { EscapeCase($0, "") })
    func xml(bad: EscapeCase) throws {
        let bad = bad.input
        let text = "<a b=\"\(TextEscaping.xml(bad))\">\(TextEscaping.xml(bad))</a>"
        #expect(XMLParser(data: Data(text.utf8)).parse(), "\(text)")
    }

    @Test("GitHub workflow data and properties use the runner's percent encoding", arguments: [
        EscapeCase("50%\r\n::x", "50%25%0D%0A::x", "50%25%0D%0A%3A%3Ax"), EscapeCase("a\nb\rc", "a%0Ab%0Dc", "a%0Ab%0Dc"), EscapeCase("k:v,w", "k:v,w", "k%3Av%2Cw"),
        EscapeCase("\u{1B}[31m", "\\u{1b}[31m", "\\u{1b}[31m"),
    ])
    func github(c: EscapeCase) {
        #expect(TextEscaping.githubData(c.input) == c.expected)
        #expect(TextEscaping.githubProperty(c.input) == c.extra)
    }
}

@Suite("Long names are cut where a line is promised")
struct LongNameTests {
    static let long = String(repeating: "x", count: 900_000)

    static func report() throws -> Report {
        let text = "label,p_\(long),p_b\n\(long),0.7,0.3\nb,0.4,0.6\nb,0.2,0.8\n"
        var options = ReadOptions()
        options.positive = "b"
        let outcome = try InputAudit.audit(.bytes(Array(text.utf8), name: long + ".csv"), options: options)
        let gates = try GateEvaluator.evaluate([try GateExpression("recall[\(long)]>0.5")], result: outcome.result, input: outcome.input, segments: [], minSegmentRows: 1)
        return Report(input: outcome.input, result: outcome.result, gates: gates)
    }

    /// The width of a terminal line as shown: calib's own SGR codes take no room.
    static func visibleWidth(_ line: Substring) -> Int {
        var width = 0
        var inCode = false
        for ch in line {
            if ch == "\u{1B}" { inCode = true } else if inCode { if ch == "m" { inCode = false } } else { width += 1 }
        }
        return width
    }

    @Test("a 900 KB class and file name keep every terminal line within 80 columns, in colour too", arguments: [false, true])
    func terminal(colour: Bool) throws {
        let report = try Self.report()
        for text in [TerminalRenderer.render(report, colour: colour), LossReportRenderer.terminal(report, colour: colour), TerminalRenderer.batchSummary([report], failedInputs: 0)] {
            #expect(text.utf8.count < 20_000)
            for line in text.split(separator: "\n") { #expect(Self.visibleWidth(line) <= 80, "\(line.prefix(100))") }
        }
    }

    @Test("a gate error quotes at most 60 characters of a name and lists at most 20 names")
    func gateErrors() throws {
        let report = try Self.report()
        let error = try #require(throws: GateError.self) {
            _ = try GateEvaluator.evaluate([try GateExpression("recall[\(Self.long)y]>0.5")], result: report.result, input: report.input, segments: [], minSegmentRows: 1)
        }
        #expect(error.description.count < 400, "\(error.description.prefix(200))")
        #expect(error.description.hasPrefix("'recall[\(String(repeating: "x", count: 53))…': no class '\(String(repeating: "x", count: 60))…'; classes: "))
        let many = (0..<50).map { "c\($0)" }
        #expect(GateEvaluator.list(many) == many.prefix(20).joined(separator: ", ") + " and 30 more")
    }

    @Test("a gate on a 900 KB name: JUnit, a document, keeps it whole; a workflow command cuts it to 2,000 characters")
    func junitAndAnnotation() throws {
        let report = try Self.report()
        #expect(JUnitRenderer.render([report]).utf8.count > 900_000)
        #expect(TextEscaping.githubData(report.gates[0].failureMessage) == String(report.gates[0].failureMessage.prefix(2000)) + "…")
        #expect(TextEscaping.githubProperty("calib gate: " + report.gates[0].expression).count == 200 + 2 + 1)
    }
}

@Suite("Undefined values say why")
struct UndefinedValueTests {
    static func report(_ text: String, weight: String? = nil, logits: Bool = false, gates: [String] = []) throws -> Report {
        var options = ReadOptions()
        options.weight = weight
        options.logits = logits
        let outcome = try InputAudit.audit(.bytes(Array(text.utf8), name: "u.csv"), options: options)
        let outcomes = try GateEvaluator.evaluate(try gates.map { try GateExpression($0) }, result: outcome.result, input: outcome.input, segments: [], minSegmentRows: 1)
        return Report(input: outcome.input, result: outcome.result, gates: outcomes)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        var weight: String? = nil
        var logits = false
        let key: String
        let reason: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "all weights zero", text: "label,p,w\n1,0.9,0\n0,0.2,0\n", weight: "w", key: "accuracy", reason: "total weight is 0"),
        Case(name: "weights near 1e308 overflow", text: "label,p,w\n1,0.9,1e308\n0,0.2,1e308\n1,0.6,1e308\n", weight: "w", key: "crossEntropy",
             reason: "total weight is not finite: the weights sum past the largest double (about 1.8e308)"),
        Case(name: "one class, one row", text: "label,p\n1,0.9\n", key: "logLossSkill",
             reason: "the labels have a single class (prior cross-entropy 0), so there is no base rate to beat"),
        Case(name: "binary logits of ±1e308", text: "label,logit\n1,1e308\n0,-1e308\n1,-1e308\n0,2\n", logits: true, key: "perplexity",
             reason: "e^cross-entropy overflows: cross-entropy 2.5e+307 nats is above 709.78"),
        Case(name: "multiclass logits of ±1e308", text: "label,logit_a,logit_b,logit_c\na,-1e308,1e308,0\nb,0,1,2\nc,1,2,3\n", logits: true, key: "crossEntropy",
             reason: "a row's cross-entropy or their weighted sum is infinite (logits or scores near the limits of double precision, e.g. ±1e308)"),
    ]

    @Test("every report lists the undefined metric with its reason", arguments: cases)
    func everyReport(c: Case) throws {
        let report = try Self.report(c.text, weight: c.weight, logits: c.logits)
        #expect(report.findings.undefined.contains(UndefinedValue(key: c.key, reason: c.reason)), "\(report.findings.undefined)")
        let terminal = TerminalRenderer.render(report).replacingOccurrences(of: "\n  ", with: " ")
        #expect(terminal.contains(c.key) && terminal.contains(c.reason), "\(terminal.prefix(600))")
        #expect(MarkdownRenderer.render(report).contains(TextEscaping.markdown(c.reason)))
        #expect(HTMLRenderer.render(report).contains(TextEscaping.html(c.reason)))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReportRenderer.render(report).utf8)) as? [String: Any])
        let undefined = try #require((json["findings"] as? [String: Any])?["undefined"] as? [[String: String]])
        #expect(undefined.contains(["metric": c.key, "reason": c.reason]))
    }

    @Test("a gate on an undefined value fails and says why in every format", arguments: cases)
    func gate(c: Case) throws {
        let report = try Self.report(c.text, weight: c.weight, logits: c.logits, gates: ["\(c.key)>1000"])
        let gate = report.gates[0]
        #expect(gate.fails && gate.value == nil && gate.undefinedReason == c.reason)
        #expect(gate.failureMessage == "\(c.key) = undefined: \(c.reason), gate '\(c.key)>1000' failed")
        let terminal = TerminalRenderer.render(report)
        #expect(terminal.contains("FAIL  \(c.key)>1000  (value undefined"))
        #expect(terminal.replacingOccurrences(of: "\n        ", with: " ").contains(c.reason))
        #expect(JUnitRenderer.render([report]).contains(TextEscaping.xml(gate.failureMessage)))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReportRenderer.render(report).utf8)) as? [String: Any])
        let gates = try #require(json["gates"] as? [[String: Any]])
        #expect(gates[0]["undefinedReason"] as? String == c.reason)
    }

    @Test("an undefined log-loss skill reads 'undefined', never 'worse than the base rate'")
    func skill() throws {
        let report = try Self.report("label,p\n1,0.9\n")
        let terminal = TerminalRenderer.render(report)
        #expect(terminal.contains("log-loss skill undefined") && !terminal.contains("worse than the base rate"))
        let reading = try #require(report.findings.readings.first { $0.key == "logLossSkill" })
        #expect(reading.reading.hasPrefix("undefined: the labels have a single class"))
    }

    @Test("gates on a defined value carry no reason; segment gates without large segments say so")
    func definedAndSegments() throws {
        let report = try Self.report("label,p\n1,0.9\n0,0.2\n", gates: ["ece>1"])
        #expect(report.gates[0].undefinedReason == nil && report.gates[0].passed)
    }
}
