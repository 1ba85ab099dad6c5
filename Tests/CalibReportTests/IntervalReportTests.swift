import CalibCore
import CalibInput
@testable import CalibReport
import CalibTestSupport
import Foundation
import Testing

/// Intervals (SPEC section 10) in the human reports: every renderer prints
/// `value [lower, upper]` where a value has an interval, says once how they
/// were made, draws each bin's interval on the reliability diagram and lists
/// it in the bin table; without the bootstrap every value stands alone.
@Suite("Intervals in the reports")
struct IntervalReportTests {
    /// A binary audit of CSV text with `replicates` bootstrap replicates (none for 0), ranked, gated by `gates`.
    static func report(_ text: String, replicates: Int = 50, ranking: RankingSettings = RankingSettings(), gates: [String] = [],
                       positive: String? = nil) throws -> Report {
        var options = ReadOptions()
        options.positive = positive
        let outcome = try InputAudit.audit(.bytes(Array(text.utf8), name: "i.csv"), options: options, ranking: ranking,
                                           bootstrap: replicates == 0 ? nil : BootstrapSettings(replicates: replicates))
        let evaluated = try GateEvaluator.evaluate(try gates.map { try GateExpression($0) }, result: outcome.result, input: outcome.input,
                                                   segments: [], minSegmentRows: 100)
        return Report(input: outcome.input, result: outcome.result, gates: evaluated)
    }

    /// 2,000 rows of an overconfident binary model: score s, label 1 with chance 0.6·s (seeded).
    static func overconfident(positive: String = "1", negative: String = "0") -> String {
        var rng = SeededGenerator(seed: 15)
        var text = "label,p\n"
        for _ in 0..<2000 {
            let s = Double.random(in: 0..<1, using: &rng)
            text += "\(Double.random(in: 0..<1, using: &rng) < 0.6 * s ? positive : negative),\(s)\n"
        }
        return text
    }

    struct Renderer: CustomTestStringConvertible, Sendable {
        let name: String
        let render: @Sendable (Report) -> String
        /// How the renderer writes a value `v` and its interval `[a, b]`.
        let shown: @Sendable (String, String) -> String
        var testDescription: String { name }
    }

    static let renderers: [Renderer] = [
        Renderer(name: "terminal", render: { TerminalRenderer.render($0) }, shown: { "\($0) \($1)" }),
        Renderer(name: "Markdown", render: { MarkdownRenderer.render($0) }, shown: { "\($0) \($1)" }),
        Renderer(name: "HTML", render: { HTMLRenderer.render($0) }, shown: { "\($0) <span class=\"interval\">\($1)</span>" }),
    ]

    @Test("every renderer prints value [lower, upper] for the ECE, the cross-entropy and the ROC AUC", arguments: renderers)
    func valuesWithIntervals(_ renderer: Renderer) throws {
        let report = try Self.report(Self.overconfident())
        let r = report.result
        let text = renderer.render(report)
        for (name, value, digits) in [("ece", r.metrics.ece, 4), ("crossEntropy", r.metrics.crossEntropy, 4), ("ranking.rocAUC", r.ranking!.rocAUC, 4)] {
            let interval = try #require(r.bootstrap?.interval(name), "\(name)")
            let bracket = "[\(NumberText.fixed(interval.lower, digits)), \(NumberText.fixed(interval.upper, digits))]"
            #expect(text.contains(renderer.shown(NumberText.fixed(value, digits), bracket)), "\(renderer.name): \(name) \(bracket)")
        }
    }

    @Test("the Markdown and HTML index of several inputs prints each input's ECE with its interval", arguments: [
        ("Markdown", false), ("HTML", true),
    ])
    func index(name: String, html: Bool) throws {
        let report = try Self.report(Self.overconfident())
        let text = html ? HTMLRenderer.renderIndex([(report, "i.html")]) : MarkdownRenderer.renderIndex([(report, "i.md")])
        let interval = try #require(report.result.bootstrap?.interval("ece"))
        #expect(text.contains("\(NumberText.fixed(report.result.metrics.ece, 4)) [\(NumberText.fixed(interval.lower, 4)), \(NumberText.fixed(interval.upper, 4))]"), "\(name)")
    }

    @Test("every renderer says once how the intervals were made", arguments: renderers)
    func method(_ renderer: Renderer) throws {
        let text = renderer.render(try Self.report(Self.overconfident(), replicates: 40))
        #expect(text.contains("95% intervals: Poisson bootstrap, 40 replicates, seed 0"))
    }

    @Test("without the bootstrap every renderer prints the values alone", arguments: renderers)
    func withoutBootstrap(_ renderer: Renderer) throws {
        let report = try Self.report(Self.overconfident(), replicates: 0)
        let text = renderer.render(report)
        #expect(!text.contains("Poisson bootstrap"))
        #expect(!text.contains("class=\"interval\"") && !text.contains("class=\"whisker\""))
        #expect(!text.contains(NumberText.fixed(report.result.metrics.ece, 4) + " ["))
    }

    @Test("the per-class table gives precision, recall and ECE their intervals")
    func perClass() throws {
        let report = try Self.report(Self.overconfident())
        let markdown = MarkdownRenderer.render(report)
        let terminal = TerminalRenderer.render(report)
        for c in report.result.perClass {
            for (key, digits) in [("precision", 3), ("recall", 3), ("ece", 4)] {
                let interval = try #require(report.result.bootstrap?.interval("\(key)[\(c.name)]"))
                let bracket = "[\(NumberText.fixed(interval.lower, digits)), \(NumberText.fixed(interval.upper, digits))]"
                #expect(markdown.contains(bracket), "\(key)[\(c.name)]")
                #expect(terminal.contains(bracket), "\(key)[\(c.name)]")
            }
        }
    }

    @Test("the HTML reliability diagrams draw one whisker per bin with an interval, and every non-empty bin has one")
    func whiskers() throws {
        let report = try Self.report(Self.overconfident())
        let html = HTMLRenderer.render(report)
        let bootstrap = try #require(report.result.bootstrap)
        for (id, table, intervals) in [("reliability-positive", report.result.headlineReliability, bootstrap.headlineBins),
                                       ("reliability-top", report.result.reliability, bootstrap.reliabilityBins)] {
            let svg = try #require(html.components(separatedBy: "id=\"\(id)\"").dropFirst().first?.components(separatedBy: "</svg>").first)
            let nonEmpty = table.bins.filter { !$0.isEmpty }.count
            #expect(intervals.compactMap { $0 }.count == nonEmpty, "\(id)")
            #expect(svg.components(separatedBy: "class=\"whisker\"").count - 1 == nonEmpty, "\(id)")
            #expect(svg.contains("class=\"whisker-swatch\""))
        }
    }

    @Test("the reliability table has the interval of each bin's observed rate")
    func binTable() throws {
        let report = try Self.report(Self.overconfident())
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("| bin | rows | weight | mean predicted | observed rate | 95% interval | gap | |"))
        let bins = report.result.headlineReliability.bins
        for (b, interval) in try #require(report.result.bootstrap?.headlineBins).enumerated() {
            guard let interval, let rate = bins[b].observedRate else { continue }
            #expect(markdown.contains("| \(NumberText.fixed(rate, 4)) | [\(NumberText.fixed(interval.lower, 4)), \(NumberText.fixed(interval.upper, 4))] |"))
        }
    }

    @Test("the verdict quotes the headline ECE with its interval")
    func verdict() throws {
        let report = try Self.report(Self.overconfident())
        let m = report.result.metrics
        let interval = try #require(report.result.bootstrap?.interval("ece"))
        #expect(report.findings.verdict == "scores overstate the chance of '1' (predicted above observed; ECE \(NumberText.fixed(m.ece, 4)) "
            + "[\(NumberText.fixed(interval.lower, 4)), \(NumberText.fixed(interval.upper, 4))])")
    }

    @Test("a value whose interval the bootstrap could not give prints alone, and the report says why")
    func missingInterval() throws {
        // A score store of one byte keeps a sketch: the ranking has no interval.
        let report = try Self.report(Self.overconfident(), ranking: RankingSettings(memoryBudget: 1))
        let r = report.result
        #expect(r.bootstrap?.interval("ranking.rocAUC") == nil && r.ranking!.rocAUC.isFinite)
        let reason = try #require(UndefinedReasons.intervalReason("ranking.rocAUC", result: r))
        #expect(reason.hasPrefix("no interval: the score store passed its memory budget"))
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("| ROC AUC | \(NumberText.fixed(r.ranking!.rocAUC, 4)) |"))
        #expect(markdown.contains("ranking.rocAUC interval"))
        #expect(markdown.contains(TextEscaping.markdown(reason)))
    }

    @Test("class names inside gate names and interval keys are escaped in every format")
    func escaping() throws {
        let name = "<b>x&y</b>|*"
        let report = try Self.report(Self.overconfident(positive: name, negative: "ok"), gates: ["precision[\(name)].lower<0.99"], positive: name)
        let gate = try #require(report.gates.first)
        #expect(gate.bound?.key == "precision[\(name)]" && gate.value != nil && !gate.passed)
        let html = HTMLRenderer.render(report)
        #expect(!html.contains(name))
        #expect(html.contains("<code>precision[\(TextEscaping.html(name))].lower&lt;0.99</code>"))
        #expect(html.contains("precision[\(TextEscaping.html(name))] \(NumberText.interval(gate.bound!.estimate, gate.bound!.interval, 4))"))
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("\(TextEscaping.markdown("precision[\(name)]")) \(NumberText.interval(gate.bound!.estimate, gate.bound!.interval, 4))"))
        #expect(!markdown.contains("<b>"))
    }
}
