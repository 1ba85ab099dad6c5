import CalibCore
import CalibInput
@testable import CalibReport
import CalibTestSupport
import Foundation
import Testing

/// Structure of the Markdown and HTML reports.
@Suite("Markdown and HTML reports")
struct DocumentTests {
    static let hostile = "<script>alert(1)</script>"

    static func hostileReport() throws -> Report {
        let text = "label,p_\(hostile),p_b|c,p_ok\n\(hostile),0.7,0.2,0.1\nb|c,0.1,0.8,0.1\nok,0.2,0.2,0.6\nok,0.5,0.3,0.2\n"
        return try TerminalRendererTests.report(text, name: "<b>evil&amp;\"x.csv")
    }

    static func sampleReport(_ name: String) throws -> Report {
        let (result, input) = try InputAudit.run(.file(TestPaths.sampleData + "/" + name))
        return Report(input: input, result: result)
    }

    static func count(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }

    @Test("the HTML escapes every string from the input: a class named <script> shows as text")
    func htmlEscapes() throws {
        let html = HTMLRenderer.render(try Self.hostileReport())
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>evil") && html.contains("&lt;b&gt;evil&amp;amp;&quot;x.csv"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test("the Markdown escapes HTML and table pipes from the input")
    func markdownEscapes() throws {
        let md = MarkdownRenderer.render(try Self.hostileReport())
        #expect(!md.contains("<script"))
        #expect(md.contains("&lt;script&gt;"))
        #expect(md.contains("b\\|c"))
        // Every table row has as many cells as its header.
        for block in md.components(separatedBy: "\n\n") where block.hasPrefix("|") {
            let rows = block.split(separator: "\n").map { String($0) }
            let cells = rows.map { row in Self.count("|", in: row) - Self.count("\\|", in: row) }
            #expect(Set(cells).count == 1, "\(rows[0])")
        }
    }

    @Test("the HTML refers to nothing outside itself", arguments: ["fraud_transactions.csv", "news_topics_logits.jsonl"])
    func selfContained(sample: String) throws {
        let html = HTMLRenderer.render(try Self.sampleReport(sample))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("<img") && !html.contains("@import") && !html.contains("url("))
    }

    @Test("each reliability diagram has one mark per non-empty bin", arguments: ["fraud_transactions.csv", "news_topics_logits.jsonl"])
    func marksPerBin(sample: String) throws {
        let report = try Self.sampleReport(sample)
        let html = HTMLRenderer.render(report)
        var expected = report.result.reliability.bins.filter { !$0.isEmpty }.count
        if let positive = report.result.positiveReliability { expected += positive.bins.filter { !$0.isEmpty }.count }
        #expect(Self.count("data-bin=", in: html) == expected)
        #expect(Self.count("<svg", in: html) == (report.result.positiveReliability == nil ? 5 : 6))
        #expect(Self.count("<title id=", in: html) == Self.count("<svg", in: html))
        #expect(Self.count("<desc id=", in: html) == Self.count("<svg", in: html))
    }

    @Test("the tables carry the report's numbers")
    func numbersInTables() throws {
        let report = try Self.sampleReport("fraud_transactions.csv")
        let md = MarkdownRenderer.render(report)
        let html = HTMLRenderer.render(report)
        let ce = NumberText.fixed(report.result.metrics.crossEntropy, 4)
        #expect(md.contains("| Cross-entropy | \(ce) |"))
        #expect(html.contains("<div class=\"card-value\">\(ce)</div>"))
        let fraud = report.result.perClass[1]
        #expect(md.contains("| fraud | \(NumberText.count(fraud.rows)) |"))
        #expect(md.contains(report.findings.imbalanceSentence))
        let worst = report.result.worstRows[0]
        #expect(md.contains("| \(worst.line) | \(worst.id!) | fraud | legit |"))
        #expect(Self.count("| ⚠ |", in: md) == report.findings.worstBins.count)
    }

    @Test("the imbalance sentence names the rare class, its share and the three losses")
    func imbalanceSentence() throws {
        let report = try Self.sampleReport("fraud_transactions.csv")
        let sentence = report.findings.imbalanceSentence
        #expect(sentence.hasPrefix("fraud is 1.2% of rows and gets "))
        #expect(sentence.contains("under cross-entropy") && sentence.contains("under inverse-frequency weighting") && sentence.contains("under focal loss (γ = 2, α = 0.25)"))
    }

    @Test("nice tick steps", arguments: [(0.7, 1.0), (406.5, 500.0), (1200.0, 2000.0), (3.0, 5.0), (0.04, 0.05)])
    func ticks(raw: Double, step: Double) {
        #expect(isClose(Charts.niceStep(raw), step, relative: 1e-12))
    }
}
