import CalibCore
import CalibInput

/// The format-neutral sections of a ``ComparisonReport`` (as `ReportSections`
/// builds an audit's): the delta table, the tests, the unmatched rows and the gates.
enum ComparisonSections {
    /// The delta table: per key, both values, the delta with its paired
    /// interval and the verdict. `keys` limits it to those names (the terminal's headline).
    static func deltas(_ report: ComparisonReport, keys: [String]? = nil) -> ReportTable {
        let c = report.comparison
        let rows = (keys.map { names in names.compactMap { c.delta($0) } } ?? c.deltas).map { d -> [ReportCell] in
            [.text(d.key.name), .value(NumberText.fixed(d.baseline, 4)), .value(NumberText.fixed(d.candidate, 4)),
             .value(ComparisonReport.deltaText(d)), .value(ComparisonReport.verdictWord(d))]
        }
        let level = c.confidence.map { NumberText.fixed($0 * 100, $0 * 100 == ($0 * 100).rounded() ? 0 : 1) + "% interval" } ?? "no interval"
        return ReportTable(title: "Deltas (candidate − baseline)",
            detail: c.confidence == nil ? "no intervals: --bootstrap 0" : "paired Poisson bootstrap, \(c.baseline.bootstrap?.settings.replicates ?? 0) replicates",
            columns: [.init(title: .value("key"), numeric: false, width: nil, code: true), .init(title: .value("baseline"), numeric: true, width: nil),
                      .init(title: .value("candidate"), numeric: true, width: nil), .init(title: .value("delta [\(level)]"), numeric: true, width: nil),
                      .init(title: .value("verdict"), numeric: false, width: nil)],
            rows: rows,
            sentence: ReportSentence([.cell(0), .words(" "), .cell(3), .words(" ("), .cell(4), .words(")")]))
    }

    /// The rows of `--join-on` in one file only: side, line and id of the first listed.
    static func unmatched(_ report: ComparisonReport) -> ReportTable {
        let u = report.unmatched
        return ReportTable(title: "Unmatched rows",
            detail: "\(NumberText.count(u.baseline)) only in the baseline, \(NumberText.count(u.candidate)) only in the candidate; not compared" + (u.rows.count < u.total ? "; the first \(u.rows.count) listed" : ""),
            columns: [.init(title: .value("file"), numeric: false, width: nil), .init(title: .value("line"), numeric: true, width: nil),
                      .init(title: .value("id"), numeric: false, width: nil, code: true)],
            rows: u.rows.map { row in
                [.text(row.side == .baseline ? report.baseline.input.source : report.candidate.input.source), .value(String(row.line)), .text(row.id)]
            },
            sentence: ReportSentence([.cell(0), .words(":"), .cell(1), .words("  id "), .cell(2)]))
    }

    /// Both files as sentences: source, rows, task.
    static func inputs(_ report: ComparisonReport) -> [(label: String, source: String, facts: String)] {
        [("baseline", report.baseline), ("candidate", report.candidate)].map { label, r in
            (label, r.input.source, "\(NumberText.count(r.input.rows)) rows, \(r.input.shape.task.rawValue), \(r.input.shape.scoreKind.rawValue)")
        }
    }
}

/// `calib compare`'s reports in every format (SPEC section 11): each starts
/// with the one-line verdict, then the delta table; then the tests, the
/// unmatched rows and the gates. Every string from the input is escaped as
/// the audit's renderers escape it (`ReportTable` writers, ``TextEscaping``).
public enum ComparisonRenderer {
    // MARK: Terminal

    /// A compact summary in 80 columns: verdict, headline deltas, tests, unmatched, gates.
    public static func terminal(_ report: ComparisonReport, colour: Bool = false) -> String {
        var lines = TerminalLines()
        lines.append(bold: "calib compare", " \(report.shortName)")
        lines.append(wrapped: report.verdict)
        lines.append("")
        for input in ComparisonSections.inputs(report) {
            lines.append("\(input.label): \(TextEscaping.plain(input.source.split(separator: "/").last.map(String.init) ?? input.source, limit: 40)) (\(input.facts))")
        }
        lines.append(wrapped: report.pairingSentence, warning: report.unmatched.total > 0)
        lines.append("")
        let table = ComparisonSections.deltas(report, keys: ComparisonReport.headlineKeys)
        TerminalRenderer.section(table, into: &lines)
        let more = report.comparison.deltas.count - table.rows.count
        if more > 0 { lines.append("  \(more) more keys in --format markdown, html or json") }
        lines.append("")
        lines.append(wrapped: report.deLongSentence)
        lines.append(wrapped: report.mcNemarSentence)
        if report.unmatched.total > 0 {
            lines.append("")
            let u = ComparisonSections.unmatched(report)
            lines.append(warning: "\(u.title): \(NumberText.count(report.unmatched.total))")
            u.terminalSentences(into: &lines)
        }
        if !report.gates.isEmpty {
            lines.append("")
            TerminalRenderer.section(ReportSections.gates(report.gates), into: &lines)
        }
        return lines.rendered(colour: colour)
    }

    // MARK: Markdown

    public static func markdown(_ report: ComparisonReport) -> String {
        func text(_ s: String) -> String { TextEscaping.markdown(s) }
        var out = ["# calib compare: \(text(report.baseline.input.source)) vs \(text(report.candidate.input.source))", ""]
        out.append("**\(text(report.verdict))**")
        out.append("")
        for input in ComparisonSections.inputs(report) { out.append("- \(input.label): `\(text(input.source))` (\(input.facts))") }
        out.append("- \(text(report.pairingSentence))")
        out.append("")
        out += MarkdownRenderer.section(ComparisonSections.deltas(report))
        out.append("")
        out.append("## Tests")
        out.append("")
        out.append("- \(text(report.deLongSentence))")
        out.append("- \(text(report.mcNemarSentence))")
        if report.unmatched.total > 0 {
            out.append("")
            out += MarkdownRenderer.section(ComparisonSections.unmatched(report))
        }
        if !report.gates.isEmpty {
            out.append("")
            out += MarkdownRenderer.section(ReportSections.gates(report.gates))
        }
        out.append("")
        out.append("_\(text(report.tool.name)) \(text(report.tool.version))_")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: HTML

    /// One self-contained page: the verdict, the delta table, both reliability
    /// diagrams (the same unit axes), both models' ROC and precision–recall
    /// curves drawn on one chart each, the tests, the unmatched rows and the gates.
    public static func html(_ report: ComparisonReport) -> String {
        let h = TextEscaping.html
        var body = ["<header><p class=\"kicker\">calib compare</p><h1>\(h(report.baseline.input.source)) <span class=\"vs\">vs</span> \(h(report.candidate.input.source))</h1>"]
        for input in ComparisonSections.inputs(report) { body.append("<p class=\"facts\">\(input.label): <code>\(h(input.source))</code> (\(h(input.facts)))</p>") }
        body.append("<p class=\"facts\">\(h(report.pairingSentence))</p>")
        let tone = report.failsGates ? "fail" : report.verdict.contains("worse calibrated") || report.verdict.contains("ranks worse") || report.verdict.contains("less accurate") ? "warn" : "ok"
        body.append("<p class=\"verdict \(tone)\" id=\"comparison-verdict\">\(h(report.verdict))</p></header>")
        body += HTMLRenderer.section(ComparisonSections.deltas(report))
        body.append("<section id=\"comparison-charts\"><h2>Reliability</h2><div class=\"pair\">")
        for (label, side) in [("baseline", report.baseline), ("candidate", report.candidate)] {
            let r = side.result
            let (table, predicted, observed) = r.positiveReliability.map { ($0, "mean predicted probability", "observed rate") }
                ?? (r.reliability, "mean confidence", "accuracy")
            body.append(HTMLRenderer.figure(Charts.reliability(table, id: "reliability-\(label)", title: "\(label): \(side.shortName)",
                                                               predicted: predicted, observed: observed, worst: [])))
        }
        body.append("</div>")
        if let curves = ComparisonCharts.curves(report) {
            body.append("<h2>Ranking</h2>")
            body += curves.map(HTMLRenderer.figure)
        }
        body.append("</section>")
        body.append("<section id=\"comparison-tests\"><h2>Tests</h2><ul><li>\(h(report.deLongSentence))</li><li>\(h(report.mcNemarSentence))</li></ul></section>")
        if report.unmatched.total > 0 { body += HTMLRenderer.section(ComparisonSections.unmatched(report)) }
        if !report.gates.isEmpty { body += HTMLRenderer.section(ReportSections.gates(report.gates)) }
        body.append("<footer>\(h(report.tool.name)) \(h(report.tool.version))</footer>")
        return HTMLRenderer.page(title: "calib compare: \(report.shortName)", body: body.joined(separator: "\n"),
                                 style: HTMLRenderer.rankingStylesheet + "\n" + ComparisonCharts.stylesheet)
    }

    // MARK: JSON

    public static func json(_ report: ComparisonReport) -> String { document(report).serialized() }

    /// The `comparison` document: both audits' input, metrics and ranking
    /// summaries, every delta, DeLong's and McNemar's tests, the unmatched rows and the gates.
    public static func document(_ report: ComparisonReport) -> JSONValue {
        let c = report.comparison
        func side(_ r: Report) -> JSONValue {
            .object([("input", JSONReportRenderer.input(r)), ("metrics", JSONReportRenderer.metrics(r.result.metrics))]
                + (r.result.ranking.map { [("ranking", JSONReportRenderer.ranking($0, task: r.result.task))] } ?? []))
        }
        let settings = c.baseline.bootstrap?.settings
        return .object([
            ("schemaVersion", .integer(Report.schemaVersion)),
            ("tool", .object([("name", .string(report.tool.name)), ("version", .string(report.tool.version))])),
            ("comparison", .object([
                ("verdict", .string(report.verdict)),
                ("pairing", .object([
                    ("method", .string(report.joinColumn == nil ? "position" : "join")),
                    ("joinOn", report.joinColumn.map { .string($0) } ?? .null),
                    ("pairedRows", .integer(report.pairedRows)),
                ])),
                ("baseline", side(report.baseline)),
                ("candidate", side(report.candidate)),
                ("intervals", settings.map { s in
                    .object([("method", .string("paired-poisson-bootstrap")), ("replicates", .integer(s.replicates)),
                             ("confidence", .finite(s.confidence)), ("seed", .integer(Int(s.seed)))])
                } ?? .null),
                ("deltas", .object(c.deltas.map { d in
                    (d.key.name, .object([
                        ("baseline", .finite(d.baseline)), ("candidate", .finite(d.candidate)), ("delta", .finite(d.delta)),
                        ("lower", .finite(d.interval?.lower)), ("upper", .finite(d.interval?.upper)),
                        ("verdict", d.verdict.map { .string($0.rawValue) } ?? .null),
                    ]))
                })),
                ("delong", c.deLong.map { t in
                    .object([("z", .finite(t.z)), ("p", .finite(t.p)), ("baselineAUC", .finite(t.baselineAUC)), ("candidateAUC", .finite(t.candidateAUC)),
                             ("positives", .integer(t.positives)), ("negatives", .integer(t.negatives))])
                } ?? .null),
                ("mcnemar", .object([("b", .integer(c.mcNemar.b)), ("c", .integer(c.mcNemar.c)), ("p", .finite(c.mcNemar.p))])),
                ("unmatched", .object([
                    ("baseline", .integer(report.unmatched.baseline)), ("candidate", .integer(report.unmatched.candidate)),
                    ("rows", .array(report.unmatched.rows.map { row in
                        .object([("file", .string(row.side.rawValue)), ("line", .integer(row.line)), ("id", .string(row.id))])
                    })),
                ])),
                ("gates", JSONReportRenderer.gates(report.gates)),
            ])),
        ])
    }
}

/// The comparison's own charts: both models' ROC curves on one chart and
/// both precision–recall curves on another (the same unit axes, so the two
/// read against each other directly).
enum ComparisonCharts {
    static let stylesheet = """
    svg .curve-candidate { fill: none; stroke: var(--over); stroke-width: 2.5; stroke-linejoin: round; } svg .curve-candidate-swatch { fill: var(--over); }
    td.num { white-space: nowrap; } .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px; } .vs { color: var(--muted); font-weight: 400; }
    """

    /// The two charts, or `nil` when the task is not binary or a curve is missing.
    static func curves(_ report: ComparisonReport) -> [String]? {
        guard let b = report.baseline.result.ranking, let c = report.candidate.result.ranking, report.baseline.result.task == .binary,
              b.rocCurve.count >= 2, c.rocCurve.count >= 2 else { return nil }
        let roc = overlay(b.rocCurve, c.rocCurve, steps: false, id: "roc-curves", title: "ROC curves",
                          xLabel: "false-positive rate", yLabel: "recall (true-positive rate)",
                          values: ("AUC", b.rocAUC, c.rocAUC), reference: .diagonal)
        let pr = overlay(b.precisionRecallCurve, c.precisionRecallCurve, steps: true, id: "pr-curves", title: "Precision–recall curves",
                         xLabel: "recall", yLabel: "precision", values: ("AP", b.averagePrecision, c.averagePrecision),
                         reference: .level(b.positiveRate))
        return [roc, pr]
    }

    enum Reference { case diagonal, level(Double) }

    /// Two curves on unit axes: the baseline's in the ranking colour, the candidate's in the contrasting one.
    static func overlay(_ base: [CurvePoint], _ cand: [CurvePoint], steps: Bool, id: String, title: String, xLabel: String, yLabel: String,
                        values: (String, Double, Double), reference: Reference) -> String {
        var svg = SVGWriter(width: 640, height: 530)
        let plot = PlotArea(left: 70, top: 66, width: 540, height: 400)
        let (name, bv, cv) = values
        svg.legend([("curve-swatch", "baseline (\(name) \(NumberText.fixed(bv, 4)))"), ("curve-candidate-swatch", "candidate (\(name) \(NumberText.fixed(cv, 4)))")],
                   x: plot.left, y: 22)
        svg.legend([("diag-swatch", { if case .diagonal = reference { return "random ranking" } else { return "no skill (positive rate)" } }())], x: plot.left, y: 40)
        plot.drawAxes(&svg, xTicks: Charts.unitTicks, yTicks: Charts.unitTicks, xFormat: { NumberText.fixed($0, 1) }, yFormat: { NumberText.fixed($0, 1) },
                      xLabel: xLabel, yLabel: yLabel)
        switch reference {
        case .diagonal: svg.line(x1: plot.x(0), y1: plot.y(0), x2: plot.x(1), y2: plot.y(1), class: "diag")
        case let .level(rate) where rate.isFinite: svg.line(x1: plot.x(0), y1: plot.y(rate), x2: plot.x(1), y2: plot.y(rate), class: "diag")
        case .level: break
        }
        func path(_ curve: [CurvePoint]) -> [(Double, Double)] {
            let sorted = curve.enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element).filter { $0.x.isFinite && $0.y.isFinite }
            guard steps else { return sorted.map { (plot.x($0.x), plot.y($0.y)) } }
            // Precision P_n over the recall interval (R_{n−1}, R_n]: a step per point.
            var out: [(Double, Double)] = []
            var previous = 0.0
            for p in sorted {
                out.append((plot.x(previous), plot.y(p.y)))
                out.append((plot.x(p.x), plot.y(p.y)))
                previous = p.x
            }
            return out
        }
        svg.polyline(path(base), class: "curve")
        svg.polyline(path(cand), class: "curve-candidate")
        return svg.render(id: id, title: title,
                          description: "\(title) of the baseline (\(name) \(NumberText.fixed(bv, 4))) and the candidate (\(name) \(NumberText.fixed(cv, 4))) on the same axes.")
    }
}

extension ComparisonRenderer {
    /// `--report-dir`'s `index.html`: each comparison's verdict and a relative link to its page.
    public static func htmlIndex(_ entries: [(report: ComparisonReport, link: String)]) -> String {
        HTMLRenderer.linkIndex(command: "calib compare", heading: entries.count == 1 ? "1 comparison" : "\(entries.count) comparisons",
                               pages: entries.map { ($0.report.shortName, $0.link, $0.report.verdict) })
    }

    /// `--report-dir`'s `index.md`.
    public static func markdownIndex(_ entries: [(report: ComparisonReport, link: String)]) -> String {
        MarkdownRenderer.linkIndex(command: "calib compare", pages: entries.map { ($0.report.shortName, $0.link, $0.report.verdict) })
    }
}
