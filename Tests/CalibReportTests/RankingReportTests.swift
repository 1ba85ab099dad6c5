import CalibCore
import CalibInput
@testable import CalibReport
import CalibTestSupport
import Foundation
import Testing

/// The ranking section (SPEC section 8) in the human reports: present in
/// every format when the audit computed it, absent (and every other byte the
/// same) when it did not; undefined values and the sketch said so; text from
/// the input escaped.
@Suite("Ranking in the reports")
struct RankingReportTests {
    /// The report of a golden fixture, with the ranking when `ranking` is given.
    static func golden(_ name: String, _ ranking: RankingSettings? = RankingSettings()) throws -> Report {
        let (result, input) = try InputAudit.run(.file(TestPaths.golden + "/" + name), ranking: ranking)
        return Report(input: input, result: result)
    }

    /// The report of CSV text, with the ranking.
    static func csv(_ text: String, ranking: RankingSettings = RankingSettings()) throws -> Report {
        let outcome = try InputAudit.audit(.bytes(Array(text.utf8), name: "r.csv"), ranking: ranking)
        return Report(input: outcome.input, result: outcome.result)
    }

    static let withCosts = RankingSettings(costs: MisclassificationCosts(falsePositive: 1, falseNegative: 5))

    // MARK: Present and absent

    struct Present: CustomTestStringConvertible, Sendable {
        let fixture: String
        let terminal: [String]
        let markdown: [String]
        let html: [String]
        var testDescription: String { fixture }
    }

    static let presentCases: [Present] = [
        Present(fixture: "binary_01.csv",
                terminal: ["Ranking (by the score of '1'; positive rate 0.2480)", "  ROC AUC 0.8484  average precision 0.6885 (no skill 0.2480)",
                           "  top 0.5%: recall 0.02 at precision 0.80, threshold 0.997", "  precision ≥     50%    80%    90%    95%    99%",
                           "    recall       0.80   0.41   0.23      —      —", "    recall          —   0.23   0.47"],
                markdown: ["## Ranking", "ROC AUC 0.8484 · average precision 0.6885 (no skill 0.2480).",
                           "| operating point | recall | precision | false-positive rate | flagged | threshold |",
                           "| precision ≥ 90% | 0.230 | 0.905 | 0.008 | 6.3% | 0.9380 |", "| top 0.5% | 0.016 | 0.800 | 0.001 | 0.5% | 0.9966 |",
                           "| ROC AUC | 0.8484 |", "| Average precision | 0.6885 |"],
                html: ["<section id=\"ranking\">", "id=\"roc-curve\"", "id=\"pr-curve\"", "<div class=\"card-label\">ROC AUC</div><div class=\"card-value\">0.8484</div>",
                       "<div class=\"card-label\">Average precision</div><div class=\"card-value\">0.6885</div>", "class=\"op op-top\"", "class=\"op op-precision\"",
                       "class=\"op op-fpr\"", "class=\"prior\"", "class=\"diag\""]),
        Present(fixture: "multiclass_probs.csv",
                terminal: ["Ranking (one-vs-rest, 3 classes)", "  ROC AUC macro 0.9575  weighted 0.9575  average precision macro 0.9162",
                           "  weakest class: 'bird' (AUC 0.9570, AP 0.8779)"],
                markdown: ["## Ranking", "ROC AUC macro 0.9575 · weighted 0.9575 · average precision macro 0.9162.",
                           "| class | rows | support | prior | precision | recall | F1 | ECE | cross-entropy | ROC AUC | average precision |",
                           "| bird | 181 | 181 | 22.63% | 0.896 | 0.669 | 0.766 | 0.0553 | 0.7575 | 0.9570 | 0.8779 |"],
                html: ["<section id=\"ranking\">", "<th class=\"num\">ROC AUC</th><th class=\"num\">average precision</th>",
                       "<td class=\"num\">0.9570</td><td class=\"num\">0.8779</td>"]),
    ]

    @Test("each renderer shows the ranking when the audit computed it", arguments: presentCases)
    func present(c: Present) throws {
        let report = try Self.golden(c.fixture)
        let terminal = TerminalRenderer.render(report).split(separator: "\n").map(String.init)
        for line in c.terminal { #expect(terminal.contains(line), "\(line)") }
        let markdown = MarkdownRenderer.render(report)
        for text in c.markdown { #expect(markdown.contains(text), "\(text)") }
        let html = HTMLRenderer.render(report)
        for text in c.html { #expect(html.contains(text), "\(text)") }
    }

    @Test("multiclass audits draw no ranking curve and list no operating points")
    func multiclassWithoutCurves() throws {
        let report = try Self.golden("multiclass_probs.csv", Self.withCosts)
        let html = HTMLRenderer.render(report)
        #expect(!html.contains("id=\"roc-curve\"") && !html.contains("id=\"pr-curve\"") && !html.contains("id=\"cost-curve\""))
        #expect(!MarkdownRenderer.render(report).contains("| operating point |"))
    }

    @Test("without ranking the reports hold nothing of it", arguments: ["binary_01.csv", "multiclass_probs.csv", "weighted_binary.csv"])
    func absent(fixture: String) throws {
        let report = try Self.golden(fixture, nil)
        #expect(report.findings.ranking == nil)
        let terminal = TerminalRenderer.render(report)
        #expect(!terminal.contains("Ranking") && !terminal.contains("ROC AUC"))
        let markdown = MarkdownRenderer.render(report)
        #expect(!markdown.contains("Ranking") && !markdown.contains("ROC AUC") && !markdown.contains("average precision"))
        let html = HTMLRenderer.render(report)
        #expect(!html.contains("id=\"ranking\"") && !html.contains("ROC AUC") && !html.contains("class=\"op ") && !html.contains(HTMLRenderer.rankingStylesheet))
    }

    /// The lines of `text` without those `drop` selects (by index).
    static func lines(_ text: String, dropping drop: (_ lines: [String]) -> Set<Int>) -> [String] {
        let all = text.components(separatedBy: "\n")
        let dropped = drop(all)
        return all.indices.filter { !dropped.contains($0) }.map { all[$0] }
    }

    /// The indices from the first line where `start` holds up to the next line
    /// where `end` holds (that line too when `inclusive`).
    static func block(_ lines: [String], from start: (String) -> Bool, to end: (String) -> Bool, inclusive: Bool = false) -> Set<Int> {
        guard let first = lines.firstIndex(where: start) else { return [] }
        let last = lines[(first + 1)...].firstIndex(where: end) ?? lines.count
        return Set(first..<(inclusive ? Swift.min(last + 1, lines.count) : last))
    }

    /// The lines every report has that need the score store, so that a
    /// report with it and one without differ there (SPEC section 9): the
    /// undefined values listed under the heading, the slope and intercept
    /// cards or rows, the calibration section, and the isotonic overlay of the
    /// reliability diagram (its legend, line and description). `format` is "terminal", "markdown" or "html".
    static func scoreStoreLines(_ lines: [String], format: String) -> Set<Int> {
        switch format {
        case "terminal":
            let header = lines.firstIndex(of: "") ?? lines.count
            return Set((0..<header).filter { lines[$0].hasPrefix("  ") })
                .union(["Calibration tests (", "Calibration estimators (", "Decomposition ("].flatMap { title in
                    block(lines, from: { $0.hasPrefix(title) }, to: { !$0.hasPrefix("  ") }) })
        case "markdown":
            let undefined = lines.indices.filter { lines[$0].hasPrefix("> **Undefined for this input**") }
            return Set(undefined + undefined.map { $0 - 1 } + lines.indices.filter { lines[$0].hasPrefix("> - ") })
                .union(lines.indices.filter { lines[$0].hasPrefix("| Calibration slope |") || lines[$0].hasPrefix("| Calibration intercept |") })
                .union(block(lines, from: { $0.hasPrefix("## Calibration tests and estimators") || $0 == "## Calibration estimators" }, to: { $0.hasPrefix("## ") }))
        default:
            return Set(lines.indices.filter { i in
                ["id=\"undefined\"", "<div class=\"card-label\">Calibration slope</div>", "<div class=\"card-label\">Calibration intercept</div>",
                 "isotonic", "id=\"reliability-positive-desc\""]
                    .contains { lines[i].contains($0) }
            }).union(block(lines, from: { $0.hasPrefix("<section id=\"calibration\">") }, to: { $0 == "</section>" }, inclusive: true))
        }
    }

    @Test("the ranking only adds: without its lines (and those that need the score store) each format is the report without ranking, byte for byte",
          arguments: ["binary_01.csv", "weighted_binary.csv", "multiclass_probs.csv"])
    func onlyAdds(fixture: String) throws {
        let with = try Self.golden(fixture, Self.withCosts)
        let without = try Self.golden(fixture, nil)
        let multiclass = with.result.task != .binary
        // Without ranking there is no score store, so section 9 is undefined: its lines differ, and are left out of both.
        func stored(_ text: String, _ format: String, dropping more: (_ lines: [String]) -> Set<Int> = { _ in [] }) -> [String] {
            Self.lines(text) { Self.scoreStoreLines($0, format: format).union(more($0)) }
        }

        let terminal = stored(TerminalRenderer.render(with), "terminal") { Self.block($0, from: { $0.hasPrefix("Ranking (") }, to: { !$0.hasPrefix("  ") }) }
        #expect(terminal == stored(TerminalRenderer.render(without), "terminal"))

        let markdown = stored(MarkdownRenderer.render(with), "markdown") { lines in
            Self.block(lines, from: { $0 == "## Ranking" }, to: { $0.hasPrefix("## ") })
                .union(lines.indices.filter { lines[$0].hasPrefix("| ROC AUC |") || lines[$0].hasPrefix("| Average precision |") })
        }
        let markdownWithout = stored(MarkdownRenderer.render(without), "markdown")
        // Multiclass: the per-class table also gains two columns (other tests look at them).
        #expect(markdown.filter { !multiclass || !$0.hasPrefix("|") } == markdownWithout.filter { !multiclass || !$0.hasPrefix("|") })

        let html = stored(HTMLRenderer.render(with).replacingOccurrences(of: "\n" + HTMLRenderer.rankingStylesheet, with: ""), "html") { lines in
            Self.block(lines, from: { $0 == "<section id=\"ranking\"><h2>Ranking</h2>" }, to: { $0 == "</section>" }, inclusive: true)
                .union(lines.indices.filter { lines[$0].contains("<div class=\"card-label\">ROC AUC</div>") || lines[$0].contains("<div class=\"card-label\">Average precision</div>") })
        }
        let htmlWithout = stored(HTMLRenderer.render(without), "html")
        #expect(html.filter { !multiclass || !$0.contains("<table>") } == htmlWithout.filter { !multiclass || !$0.contains("<table>") })
        #expect(html.count > 100)
        // What was left out is what section 9 adds, not the whole report.
        #expect(terminal.count > 30 && markdown.count > 60)
    }

    // MARK: Undefined values and the sketch

    struct Undefined: CustomTestStringConvertible, Sendable {
        let fixture: String
        let terminal: [String]
        let reason: String
        /// Whether the ROC and precision–recall curves are drawn.
        let roc: Bool
        let pr: Bool
        var testDescription: String { fixture }
    }

    static let undefinedCases: [Undefined] = [
        Undefined(fixture: "edge_no_positive.csv",
                  terminal: ["  ROC AUC —  average precision — (no skill 0.0000)", "    recall          —      —      —      —      —",
                             "  — ROC AUC, average precision, precision ≥ 50%/80%/90%/95%/99%, FPR ≤", "  0.1%/1%/5%, top 0.1%/0.5%/1%/5%: no row is '1' (the positive class)"],
                  reason: "no row is '1' (the positive class)", roc: false, pr: false),
        Undefined(fixture: "edge_single_row.csv",
                  terminal: ["  ROC AUC —  average precision 1.0000 (no skill 1.0000)", "  — ROC AUC, FPR ≤ 0.1%/1%/5%: every row is '1' (the positive class)"],
                  reason: "every row is '1' (the positive class)", roc: false, pr: true),
    ]

    @Test("an undefined AUC reads as undefined, with its reason, in every format; its curve is left out", arguments: undefinedCases)
    func undefined(c: Undefined) throws {
        let report = try Self.golden(c.fixture)
        #expect(report.findings.ranking?.reason("ranking.rocAUC") == c.reason)
        let terminal = TerminalRenderer.render(report)
        for line in c.terminal { #expect(terminal.split(separator: "\n").map(String.init).contains(line), "\(line)\n\(terminal)") }
        #expect(terminal.contains("undefined: ranking.rocAUC"))
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("| ROC AUC | — | undefined: \(TextEscaping.markdown(c.reason)) |"))
        #expect(markdown.contains("ROC AUC —"))
        let html = HTMLRenderer.render(report)
        #expect(html.contains("<div class=\"card-value\">—</div><div class=\"card-reading\">undefined: \(TextEscaping.html(c.reason))</div>"))
        #expect(html.contains("id=\"roc-curve\"") == c.roc && html.contains("id=\"pr-curve\"") == c.pr)
    }

    @Test("an operating point that no threshold reaches says why in its row")
    func unreachedTarget() throws {
        let report = try Self.golden("binary_01.csv")
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("| precision ≥ 99% | undefined: no threshold reaches this precision | — | — | — | — |"))
        #expect(markdown.contains("| FPR ≤ 0.1% | undefined: no threshold keeps the false-positive rate this low | — | — | — | — |"))
        #expect(HTMLRenderer.render(report).contains("<td>precision ≥ 99%</td><td class=\"num\">undefined: no threshold reaches this precision</td>"))
        #expect(TerminalRenderer.render(report).contains("  — precision ≥ 95%/99%: no threshold reaches this precision\n"))
    }

    @Test("a ranking from a sketch says so, with its bound, in every format; an exact one does not",
          arguments: [(RankingSettings(memoryBudget: 2000), true), (RankingSettings(), false)])
    func sketch(settings: RankingSettings, sketched: Bool) throws {
        let report = try Self.golden("binary_01.csv", settings)
        let ranking = try #require(report.result.ranking)
        #expect(ranking.exact == !sketched)
        let note = "ranking from a sketch: AUC/AP within ±\(ReportVocabulary.bound(ranking.maxAUCError))"
        #expect(TerminalRenderer.render(report).contains("\n  " + note + "\n") == sketched)
        #expect(MarkdownRenderer.render(report).contains("\n> R" + note.dropFirst() + " (the score store exceeded its memory budget).\n") == sketched)
        let html = HTMLRenderer.render(report)
        #expect(html.contains("<p class=\"verdict warn\">R" + note.dropFirst() + " (the score store exceeded its memory budget).</p>") == sketched)
        #expect(html.contains("(0.5 is chance); " + note + "</div>") == sketched)
    }

    @Test("bounds print with two significant digits, shares with the fewest", arguments: [
        (0.1355, "0.14"), (0.000123, "0.00012"), (1.5e-7, "0.00000015"), (0, "0"), (Double.nan, "—"),
    ])
    func bound(x: Double, text: String) {
        #expect(ReportVocabulary.bound(x) == text)
    }

    @Test("alert budgets and targets read as short percentages", arguments: [(0.005, "0.5%"), (0.01, "1%"), (0.001, "0.1%"), (0.0005, "0.05%"), (0.95, "95%"), (1, "100%")])
    func share(x: Double, text: String) {
        #expect(ReportVocabulary.share(x) == text)
    }

    // MARK: Escaping and width

    /// Three classes, one named with HTML and table syntax that has no row, so
    /// that its AUC is undefined and the reason quotes its name.
    static let hostile = "label,p_<b>a|b</b>,p_c*d,p_e\n" + (1...8).map { "c*d,0.1,0.\($0),0.\(9 - $0)\ne,0.1,0.\(9 - $0),0.\($0)\n" }.joined()

    @Test("class names in the per-class AUC/AP columns and their reasons are escaped")
    func escaping() throws {
        let report = try Self.csv(Self.hostile)
        let name = "<b>a|b</b>"
        #expect(report.findings.ranking?.perClassReasons[0].rocAUC == "no row is '\(name)'")
        let markdown = MarkdownRenderer.render(report)
        #expect(!markdown.contains("<b>"))
        #expect(markdown.contains("| \(TextEscaping.markdown(name)) | 0 |"))
        #expect(markdown.contains("| undefined: \(TextEscaping.markdown("no row is '\(name)'")) | undefined: \(TextEscaping.markdown("no row is '\(name)'")) |"))
        for block in markdown.components(separatedBy: "\n\n") where block.hasPrefix("|") {
            let rows = block.split(separator: "\n").map { String($0) }
            let cells = rows.map { $0.components(separatedBy: "|").count - $0.components(separatedBy: "\\|").count }
            #expect(Set(cells).count == 1, "\(rows[0])")
        }
        let html = HTMLRenderer.render(report)
        #expect(!html.contains("<b>"))
        #expect(html.contains("<td class=\"num\">undefined: \(TextEscaping.html("no row is '\(name)'"))</td>"))
    }

    @Test("the ranking block keeps 80 columns, a long class name and long targets included")
    func width() throws {
        let long = String(repeating: "verylongclassname", count: 6)
        let report = try Self.csv("label,p_\(long),p_b,p_c\n" + (1...8).map { "\(long),0.\($0),0.\(9 - $0),0.1\nb,0.\(9 - $0),0.\($0),0.1\nc,0.1,0.\(9 - $0),0.\($0)\n" }.joined())
        let binary = try Self.golden("binary_01.csv", RankingSettings(precisionTargets: (1...19).map { Double($0) / 20 }, topFractions: [0.001, 0.0123456, 0.5],
                                                                      costs: MisclassificationCosts(falsePositive: 123.5, falseNegative: 1e6)))
        for rendered in [TerminalRenderer.render(report), TerminalRenderer.render(binary)] {
            #expect(rendered.contains("Ranking ("))
            for line in rendered.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
        }
        #expect(TerminalRenderer.render(binary).contains("  precision ≥     50%    55%"))
    }

    // MARK: Derived values

    @Test("the cost at a sweep threshold is (A·FP + B·FN) / W and equals the engine's cost at the Bayes threshold when that is a sweep threshold",
          arguments: [(1.0, 1.0, 49), (1.0, 3.0, 24), (3.0, 1.0, 74)])
    func costCurve(a: Double, b: Double, index: Int) throws {
        let report = try Self.golden("weighted_binary.csv", RankingSettings(costs: MisclassificationCosts(falsePositive: a, falseNegative: b)))
        let ranking = try #require(report.findings.ranking)
        let cost = try #require(ranking.metrics.cost)
        #expect(ranking.costCurve.count == 99)
        #expect(ranking.costCurve[index].threshold == cost.bayesThreshold)
        #expect(abs(ranking.costCurve[index].cost - cost.costAtBayesThreshold) <= 1e-12 * Swift.max(1, cost.costAtBayesThreshold))
        #expect(ranking.costCurve.allSatisfy { $0.cost >= cost.bestCost - 1e-12 })
        let html = HTMLRenderer.render(report)
        #expect(html.contains("id=\"cost-curve\"") && html.contains("class=\"op op-bayes\"") && html.contains("class=\"op op-best\""))
    }

    @Test("no cost chart or cost lines without costs")
    func noCosts() throws {
        let report = try Self.golden("binary_01.csv")
        #expect(report.findings.ranking?.costCurve.isEmpty == true)
        #expect(!HTMLRenderer.render(report).contains("id=\"cost-curve\""))
        #expect(!TerminalRenderer.render(report).contains("cost per unit weight"))
        #expect(!MarkdownRenderer.render(report).contains("A false positive costs"))
    }

    @Test("each operating point's derived values agree: flagged = recall·p + FPR·(1 − p), precision = recall·p / flagged",
          arguments: ["binary_01.csv", "weighted_binary.csv", "ties_rounded_weighted.csv"])
    func derived(fixture: String) throws {
        let ranking = try #require(try Self.golden(fixture).findings.ranking)
        let p = ranking.metrics.positiveRate
        #expect(ranking.operatingPoints.count == 12)
        for point in ranking.operatingPoints where point.recall.isFinite {
            #expect(abs(point.flagged - (point.recall * p + point.fpr * (1 - p))) <= 1e-12, "\(point)")
            #expect(abs(point.precision - point.recall * p / point.flagged) <= 1e-12, "\(point)")
        }
        for (point, top) in zip(ranking.operatingPoints.filter { $0.kind == .top }, ranking.metrics.recallAtTop) {
            #expect(point.flagged == top.flaggedFraction && point.recall == top.recall && point.threshold == top.threshold)
        }
    }
}
