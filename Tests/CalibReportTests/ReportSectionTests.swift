import CalibCore
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
