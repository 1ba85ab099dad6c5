import CalibCore
import CalibInput
@testable import CalibReport
import Testing

/// A section is one format-neutral table; each format writes it its own way.
@Suite("Report sections")
struct ReportSectionTests {
    static let table = ReportTable(
        columns: [.init(title: .value("name"), numeric: false, width: 8), .init(title: .value("value"), numeric: true, width: 8),
                  .init(title: .value(""), numeric: false, width: nil)],
        rows: [[.text("a|<b>"), .value("0.5000"), .status(.smallSegment)]],
        notes: ["… 1 more"])

    @Test("Markdown escapes text from the input, not calib's own, and writes an empty heading as | |")
    func markdown() {
        #expect(Self.table.markdown() == ["| name | value | |", "|---|---:|---|", "| a\\|&lt;b&gt; | 0.5000 | too small to gate |"])
    }

    @Test("HTML escapes text from the input and right-aligns numeric columns")
    func html() {
        let html = Self.table.html()
        #expect(html.contains("<td>a|&lt;b&gt;</td><td class=\"num\">0.5000</td><td>too small to gate</td>"))
        #expect(html.contains("<th class=\"num\">value</th>"))
    }

    @Test("the terminal pads to the column widths, writes a free column after two spaces, and adds the notes")
    func terminal() {
        var lines = TerminalLines()
        Self.table.terminalLines(into: &lines)
        #expect(lines.rendered(colour: false) == "  name       value  \n  a|<b>     0.5000  small\n  … 1 more\n")
    }

    @Test("the 80-column per-class table shows the 12 rarest of 14 classes and says how many more there are")
    func compactClasses() throws {
        let names = (0..<14).map { "k\($0)" }
        var csv = "label," + names.map { "p_" + $0 }.joined(separator: ",") + "\n"
        for (c, name) in names.enumerated() {
            for _ in 0...c { csv += name + "," + names.indices.map { $0 == c ? "0.87" : "0.01" }.joined(separator: ",") + "\n" }
        }
        let report = try TerminalRendererTests.report(csv)
        let compact = ReportSections.perClass(report, compact: true)
        #expect(compact.rows.map { $0[0].input } == Array(names.prefix(12)))
        #expect(compact.notes == ["… 2 more classes in the JSON report"])
        #expect(ReportSections.perClass(report, compact: false).rows.count == 14)
    }
}

/// The sections that list things (gates, worst rows, skipped rows, undefined
/// values, worst bins) and the headline metrics: what each holds, and how each
/// format writes it. Sections hold raw text from the input; only the writers escape.
@Suite("Report sections: gates, rows, headline, undefined values, reliability")
struct ListedSectionTests {
    /// Three classes, two named with Markdown and HTML syntax, ids, one
    /// confidently wrong row (`w|1`, line 23) and three invalid rows (skipped).
    static let csv = "key,label,p_<a>,p_b*,p_c\n"
        + (0..<10).map { "a\($0),<a>,0.8,0.1,0.1\n" }.joined()
        + (0..<8).map { "b\($0),b*,0.2,0.7,0.1\n" }.joined()
        + (0..<3).map { "c\($0),c,0.1,0.1,0.8\n" }.joined()
        + "w|1,b*,0.95,0.03,0.02\nbad1,<a>,x,0.5,0\nbad2,<a>,y,0.5,0\nbad3,<a>,z,0.5,0\n"

    static func report(_ csv: String = csv, id: String? = "key", gates: [GateOutcome] = []) throws -> Report {
        var options = ReadOptions()
        options.id = id
        options.onInvalid = .skip
        options.format = .csv
        let outcome = try InputAudit.audit(.bytes(Array(csv.utf8), name: "t.csv"), options: options)
        return Report(input: outcome.input, result: outcome.result, gates: gates)
    }

    /// Every weight zero: every weighted headline metric is undefined.
    static let zeroWeights = "label,prob,weight\n1,0.7,0\n0,0.2,0\n1,0.4,0\n"

    static let failed = GateOutcome(expression: "recall[<a>]<0.9", metric: "recall[<a>]", value: 0.71894, threshold: 0.9, passed: false)
    static let passed = GateOutcome(expression: "ece>0.5", metric: "ece", value: 0.1, threshold: 0.5, passed: true)
    static let warned = GateOutcome(expression: "mce>0.3", metric: "mce", value: 0.4, threshold: 0.3, passed: false, severity: .warning)
    static let undefined = GateOutcome(expression: "accuracy@x|y>0", metric: "accuracy@x|y", value: nil, threshold: 0, passed: false,
                                       undefinedReason: "'x|y' has no weight")

    // MARK: Gates

    @Test("a gate's row holds the raw expression, its value or why it is undefined, the threshold and the verdict", arguments: [
        ("failed", failed, [ReportCell.text("recall[<a>]<0.9"), .value("0.7189"), .value("0.9000"), .status(.gateFailed)]),
        ("passed", passed, [.text("ece>0.5"), .value("0.1000"), .value("0.5000"), .status(.gatePassed)]),
        ("warning", warned, [.text("mce>0.3"), .value("0.4000"), .value("0.3000"), .status(.gateWarned)]),
        ("undefined", undefined, [.text("accuracy@x|y>0"), .status(.undefined(reason: "'x|y' has no weight")), .value("0.0000"), .status(.gateFailed)]),
    ])
    func gateRow(name: String, gate: GateOutcome, cells: [ReportCell]) throws {
        #expect(ReportSections.gates(try Self.report(gates: [gate])).rows == [cells], "\(name)")
    }

    @Test("a gate reads in the terminal as verdict, expression, value and threshold", arguments: [
        ("failed", failed, "  FAIL  recall[<a>]<0.9  (value 0.7189, threshold 0.9000)"),
        ("passed", passed, "  pass  ece>0.5  (value 0.1000, threshold 0.5000)"),
        ("warning", warned, "  WARN  mce>0.3  (value 0.4000, threshold 0.3000)"),
        ("undefined", undefined, "  FAIL  accuracy@x|y>0  (value undefined: 'x|y' has no weight, threshold 0.0000)"),
    ])
    func gateSentence(name: String, gate: GateOutcome, line: String) throws {
        var lines = TerminalLines()
        ReportSections.gates(try Self.report(gates: [gate])).terminalLines(into: &lines)
        #expect(lines.rendered(colour: false) == line + "\n", "\(name)")
    }

    @Test("an undefined gate too long for 80 columns gives its reason on wrapped lines of its own")
    func gateReasonWraps() throws {
        let reason = "the labels have a single class (prior cross-entropy 0), so there is no base rate to beat"
        let gate = GateOutcome(expression: "logLossSkill<0", metric: "logLossSkill", value: nil, threshold: 0, passed: false, undefinedReason: reason)
        var lines = TerminalLines()
        ReportSections.gates(try Self.report(gates: [gate])).terminalLines(into: &lines)
        #expect(lines.rendered(colour: false) == """
              FAIL  logLossSkill<0  (value undefined, threshold 0.0000)
                    undefined: the labels have a single class (prior cross-entropy 0), so
                    there is no base rate to beat

            """)
    }

    @Test("gate values keep 4 digits, even for a key whose own column shows 3")
    func gateDigits() throws {
        #expect(ClassMetricKey.recall.display.digits == 3)
        #expect(ReportSections.gates(try Self.report(gates: [Self.failed])).rows[0][1] == .value("0.7189"))
    }

    @Test("Markdown and HTML escape a gate's expression and undefined reason, HTML in <code>")
    func gateEscaping() throws {
        let table = ReportSections.gates(try Self.report(gates: [Self.undefined]))
        #expect(table.markdown()[2] == "| accuracy@x\\|y&gt;0 | undefined: 'x\\|y' has no weight | 0.0000 | ❌ **fail** |")
        #expect(table.html().contains("<td><code>accuracy@x|y&gt;0</code></td><td class=\"num\">undefined: &#39;x|y&#39; has no weight</td>"))
    }

    // MARK: Worst rows

    @Test("a worst row's id is absent without an id column, and the terminal sentence then leaves it out", arguments: [
        ("with ids", "key", ReportCell.text("w|1"), "  line 23 (id w|1): label b*, predicted <a> at 0.9500, CE 3.51"),
        ("without ids", nil, ReportCell.status(.absent), "  line 23: label b*, predicted <a> at 0.9500, CE 3.51"),
    ])
    func worstRowId(name: String, id: String?, cell: ReportCell, line: String) throws {
        let report = try Self.report(id: id)
        let table = ReportSections.worstRows(report, compact: true)
        #expect(table.rows[0][1] == cell, "\(name)")
        #expect(table.terminalSentenceTexts()[0] == line.dropFirst(2).description, "\(name)")
    }

    @Test("a worst row's cross-entropy has 3 digits in the tables and 2 in the terminal", arguments: [(false, "3.507"), (true, "3.51")])
    func worstRowDigits(compact: Bool, text: String) throws {
        #expect(ReportSections.worstRows(try Self.report(), compact: compact).rows[0][5] == .value(text))
    }

    // MARK: Skipped rows

    @Test("skipped rows keep their first 3 messages raw, the terminal's form 2", arguments: [(false, 3), (true, 2)])
    func skippedExamples(compact: Bool, count: Int) throws {
        let report = try Self.report()
        let row = ReportSections.skippedRows(report, compact: compact).rows[0]
        #expect(row[0] == .text("not-a-number") && row[1] == .value("3"))
        #expect(row[2].list == report.input.skipped.reasons[0].examples.prefix(count).map(\.message))
    }

    @Test("skipped rows' messages are joined by <br> in Markdown, and listed under their reason in the terminal")
    func skippedLayout() throws {
        let report = try Self.report()
        let messages = report.input.skipped.reasons[0].examples.map(\.message)
        #expect(ReportSections.skippedRows(report, compact: false).markdown()[2]
            == "| not-a-number | 3 | " + messages.prefix(3).map(TextEscaping.markdown).joined(separator: "<br>") + " |")
        var lines = TerminalLines()
        ReportSections.skippedRows(report, compact: true).terminalLines(into: &lines)
        #expect(lines.rendered(colour: false) == (["  not-a-number: 3"] + messages.prefix(2).map { "    " + $0 }).joined(separator: "\n") + "\n")
    }

    // MARK: Headline, undefined values, reliability

    @Test("the headline section holds each reading's label, value with its key's digits, and raw reading, in order")
    func headlineRows() throws {
        let report = try Self.report()
        let rows = ReportSections.headline(report).rows
        #expect(rows == report.findings.readings.map { [.value($0.label), .value(ReportVocabulary.formatted($0)), .text($0.reading)] })
        #expect(rows.first?[1] == .value(ReportVocabulary.formatted(.crossEntropy, in: report.result.metrics)))
    }

    enum Format: String, CaseIterable { case terminal, markdown, html }

    @Test("the headline's note gives the macro averages and the other ECEs; Markdown writes it after the table, HTML has no room for it")
    func headlineNote() throws {
        let report = try Self.report()
        let m = report.result.metrics
        let note = try #require(ReportSections.headline(report).notes.first)
        #expect(note.hasPrefix("Macro precision / recall / F1: \(ReportVocabulary.formatted(.average("macro", .precision), in: m)) / "))
        #expect(note.hasSuffix("; class-wise ECE \(ReportVocabulary.formatted(.classwiseECE, in: m))."))
        let table = ReportSections.headline(report).markdown().joined(separator: "\n")
        #expect(MarkdownRenderer.render(report).contains(table + "\n\n" + note + "\n"))
        #expect(!HTMLRenderer.render(report).contains("Macro precision"))
    }

    @Test("the terminal's headline groups are loss, decisions and calibration, the verdict held raw as text from the input")
    func headlineGroups() throws {
        let report = try Self.report()
        let groups = ReportSections.headlineGroups(report)
        #expect(groups.map(\.title) == ["Loss", "Decisions", "Calibration"])
        #expect(groups[0].rows[0][0] == .value("cross-entropy   \(ReportVocabulary.formatted(.crossEntropy, in: report.result.metrics)) nats  ("
            + "\(ReportVocabulary.formatted(.crossEntropyBits, in: report.result.metrics)) bits, perplexity \(ReportVocabulary.formatted(.perplexity, in: report.result.metrics)))"))
        #expect(groups[2].rows.last == [.value("verdict: "), .text(report.findings.verdict)])
    }

    @Test("the decisions group names the threshold of a binary task and argmax otherwise", arguments: [
        ("binary", "label,prob\n1,0.9\n0,0.2\n1,0.6\n", "threshold 0.50"),
        ("multiclass", csv, "argmax"),
    ])
    func decisionsDetail(name: String, csv: String, detail: String) throws {
        #expect(ReportSections.headlineGroups(try Self.report(csv, id: nil))[1].detail == detail, "\(name)")
    }

    @Test("the terminal report writes the headline groups, each title with its detail in parentheses")
    func headlineInTerminal() throws {
        let report = try Self.report()
        var lines = TerminalLines()
        for group in ReportSections.headlineGroups(report) { TerminalRenderer.section(group, into: &lines) }
        let written = lines.rendered(colour: false)
        #expect(written.contains("\nDecisions (argmax)\n  accuracy "))
        #expect(TerminalRenderer.render(report).contains(written))
    }

    @Test("undefined values read as their keys and reason, keys in <code> in HTML", arguments: [
        (Format.terminal, "ece, mce: total weight is 0"),
        (.markdown, "ece, mce: total weight is 0"),
        (.html, "<code>ece</code>, <code>mce</code>: total weight is 0"),
    ])
    func undefinedSentence(format: Format, sentence: String) throws {
        var table = ReportSections.undefinedValues(try Self.report(Self.zeroWeights, id: nil))
        #expect(table.rows.count == 1)
        // The same reason for two keys, to see how each format lists them.
        table.rows = [[.list(["ece", "mce"], .names), .text("total weight is 0")]]
        let written = switch format {
        case .terminal: table.terminalSentenceTexts()
        case .markdown: table.markdownSentences()
        case .html: table.htmlSentences()
        }
        #expect(written == [sentence])
    }

    @Test("the terminal's reliability section lists the worst bins in bin order; the full one marks them in every bin")
    func reliabilityWorstBins() throws {
        let report = try Self.report()
        let r = report.result
        let worst = report.findings.worstBins
        let compact = ReportSections.reliability(r.headlineReliability, mode: r.eceMode, worst: worst, compact: true)
        #expect(compact.rows.map { $0[0] } == worst.sorted().map { b in
            .value(NumberText.fixed(r.headlineReliability.bins[b].lower, 2) + "–" + NumberText.fixed(r.headlineReliability.bins[b].upper, 2))
        })
        let full = ReportSections.reliability(r.headlineReliability, mode: r.eceMode, worst: worst, compact: false)
        #expect(full.rows.count == r.headlineReliability.bins.count)
        #expect(full.rows.indices.filter { full.rows[$0].last?.status == .worstBin } == worst.sorted())
    }

    // MARK: Writers and renderers

    @Test("each format escapes a cell's input and list for its context, never calib's own text", arguments: [
        ("terminal", ReportTable.terminalText(.text("a|<b>", "!*")), "a|<b>!*"),
        ("Markdown", ReportTable.markdownText(.text("a|<b>", "!*")), "a\\|&lt;b&gt;!*"),
        ("HTML", ReportTable.htmlText(.text("a|<b>", "!*")), "a|&lt;b&gt;!*"),
        ("Markdown lines", ReportTable.markdownText(.list(["*x*", "<y>"], .lines)), "\\*x\\*<br>&lt;y&gt;"),
        ("HTML lines", ReportTable.htmlText(.list(["*x*", "<y>"], .lines)), "*x*<br>&lt;y&gt;"),
        ("HTML names", ReportTable.htmlText(.list(["a&b"], .names)), "<code>a&amp;b</code>"),
        ("Markdown undefined", ReportTable.markdownText(.status(.undefined(reason: "class 'x_y' has no rows"))), "undefined: class 'x\\_y' has no rows"),
    ])
    func cellEscaping(name: String, written: String, expected: String) {
        #expect(written == expected, "\(name)")
    }

    /// The sections every report below writes.
    enum Section: String, CaseIterable {
        case gates, worstRows, skippedRows, headline

        func table(_ report: Report, compact: Bool) -> ReportTable {
            switch self {
            case .gates: ReportSections.gates(report)
            case .worstRows: ReportSections.worstRows(report, compact: compact)
            case .skippedRows: ReportSections.skippedRows(report, compact: compact)
            case .headline: ReportSections.headline(report)
            }
        }
    }

    static func gated() throws -> Report { try report(gates: [failed, passed, warned, undefined]) }

    @Test("the Markdown report writes each section's table under its title", arguments: Section.allCases)
    func markdownReport(section: Section) throws {
        let report = try Self.gated()
        let table = section.table(report, compact: false)
        #expect(MarkdownRenderer.render(report).contains((["## " + table.title, ""] + table.markdown()).joined(separator: "\n")))
    }

    @Test("the HTML report writes each section's table, the headline as cards", arguments: Section.allCases)
    func htmlReport(section: Section) throws {
        let report = try Self.gated()
        let table = section.table(report, compact: false)
        let written = section == .headline ? table.htmlCards().joined(separator: "\n") : "<section><h2>\(table.title)</h2>\n" + table.html()
        #expect(HTMLRenderer.render(report).contains(written))
    }

    @Test("the terminal report writes the gates, worst rows and skipped rows as sentences", arguments: [Section.gates, .worstRows, .skippedRows])
    func terminalReport(section: Section) throws {
        let report = try Self.gated()
        var lines = TerminalLines()
        section.table(report, compact: true).terminalSentences(into: &lines)
        #expect(TerminalRenderer.render(report).contains(lines.rendered(colour: false)))
    }

    @Test("every report writes the undefined values, each format in its own way")
    func undefinedInReports() throws {
        let report = try Self.report(Self.zeroWeights, id: nil)
        let table = ReportSections.undefinedValues(report)
        let terminal = TextWrap.wrap("undefined: " + table.terminalSentenceTexts()[0], width: TerminalRenderer.width).joined(separator: "\n")
        #expect(TerminalRenderer.render(report).contains(terminal))
        #expect(MarkdownRenderer.render(report).contains("> **Undefined for this input** (null in the JSON report):\n> - " + table.markdownSentences()[0]))
        #expect(HTMLRenderer.render(report).contains("<ul><li>" + table.htmlSentences()[0] + "</li></ul>"))
    }
}
