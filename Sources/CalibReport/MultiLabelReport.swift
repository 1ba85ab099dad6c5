public import CalibCore
public import CalibInput

/// Everything a renderer shows for `calib audit --multilabel` (SPEC section
/// 13): each label's binary audit (as a ``Report`` of its own two columns),
/// the `multilabel` summary, where the rows came from, and the gates.
public struct MultiLabelReport: Sendable, GatedReport {
    public let tool: ToolInfo
    public let input: MultiLabelInputSummary
    public let result: MultiLabelResult
    public let gates: [GateOutcome]
    /// Label l's binary report: `input.binarySummary(label: l)` and `result.perLabel[l]`.
    public let labelReports: [Report]

    public init(tool: ToolInfo = ToolInfo(), input: MultiLabelInputSummary, result: MultiLabelResult, gates: [GateOutcome] = []) {
        self.tool = tool
        self.input = input
        self.result = result
        self.gates = gates
        labelReports = result.perLabel.indices.map { Report(tool: tool, input: input.binarySummary(label: $0), result: result.perLabel[$0]) }
    }

    public var source: String { input.source }
    public var shortName: String { String(input.source.split(separator: "/").last ?? Substring(input.source)) }

    /// The keys of each `labels[]` entry taken from the label's binary audit document, in its order.
    static let labelSections = ["metrics", "ranking", "intervals", "perClass", "confusionMatrix", "reliability", "positiveReliability", "imbalance", "worstRows"]

    /// The words every report uses for a summary key.
    static func words(_ key: String) -> String {
        switch key {
        case "meanBinaryCrossEntropy": "mean binary CE"
        case "hammingLoss": "Hamming loss"
        case "subsetAccuracy": "subset accuracy"
        case "microECE": "micro ECE (pooled)"
        case "macroECE": "macro ECE (label mean)"
        default:
            // `micro.rocAUC` → "micro ROC AUC", `macro.f1` → "macro F1".
            key.split(separator: ".").map { part in
                ["rocAUC": "ROC AUC", "averagePrecision": "average precision", "f1": "F1"][String(part)] ?? String(part)
            }.joined(separator: " ")
        }
    }
}

/// Gates of a multi-label audit: `KEY[LABEL]` is any gate of a binary audit
/// (`ece`, `recall[1]`, `ranking.rocAUC`, `ece.lower`, …) on that label's
/// audit; `multilabel.KEY` a summary key (`multilabel.hammingLoss`,
/// `multilabel.micro.f1`); `rows` and `skippedRows` the input's counts.
public enum MultiLabelGates {
    public static func evaluate(_ gates: [GateExpression], report: MultiLabelReport) throws(GateError) -> [GateOutcome] {
        var outcomes: [GateOutcome] = []
        for gate in gates {
            var bound: GateOutcome.IntervalBound?
            let (value, reason) = try self.value(gate.metric, report: report, bound: &bound)
            let defined = value.map(\.isFinite) ?? false
            let holds = defined && gate.comparison.holds(value!, gate.threshold)
            outcomes.append(GateOutcome(expression: gate.text, metric: gate.metric, value: defined ? value : nil, threshold: gate.threshold,
                                        passed: defined && !holds, severity: gate.severity, undefinedReason: defined ? nil : reason, bound: bound))
        }
        return outcomes
    }

    static let summaryPrefix = "multilabel."

    static func value(_ metric: String, report: MultiLabelReport, bound: inout GateOutcome.IntervalBound?) throws(GateError) -> (Double?, String?) {
        let shown = GateEvaluator.shown, list = GateEvaluator.list
        let names = report.result.labelNames
        if metric.hasPrefix(summaryPrefix) {
            let key = String(metric.dropFirst(summaryPrefix.count))
            guard let value = report.result.summary.value(key) else {
                throw GateError("'\(shown(metric))': unknown multi-label summary key '\(shown(key))'; use one of \(list(MultiLabelSummary.keys.map { summaryPrefix + $0 }))")
            }
            return (value, "undefined for this input (a macro average is undefined when one label's value is)")
        }
        if metric == "rows" { return (Double(report.input.rows), nil) }
        if metric == "skippedRows" { return (Double(report.input.skipped.total), nil) }
        guard metric.hasSuffix("]"), let open = metric.lastIndex(of: "["), open > metric.startIndex else {
            throw GateError("'\(shown(metric))': a multi-label audit gates KEY[LABEL] (KEY any audit gate key, e.g. ece[\(shown(names[0]))] or ranking.rocAUC[\(shown(names[0]))]), multilabel.KEY with KEY one of \(list(MultiLabelSummary.keys)), rows or skippedRows")
        }
        let key = String(metric[..<open])
        let label = String(metric[metric.index(after: open)..<metric.index(before: metric.endIndex)])
        guard let l = names.firstIndex(of: label) else {
            throw GateError("'\(shown(metric))': no label '\(shown(label))'; labels: \(list(names))")
        }
        let labelReport = report.labelReports[l]
        do {
            let (value, reason) = try GateEvaluator.value(of: key, result: labelReport.result, input: labelReport.input, segments: [], minSegmentRows: 0, bound: &bound)
            return (value, reason.map { "for label '\(shown(label))': \($0)" })
        } catch {
            throw GateError("\(error.description) (in '\(shown(metric))', a gate on label '\(shown(label))')")
        }
    }
}

/// The multi-label report in every format: the summary, the per-label table
/// (worst ECE first), small-multiple reliability diagrams (HTML), the gates
/// and the skipped rows. Label names are escaped for each format.
public enum MultiLabelRenderer {
    // MARK: JSON

    /// `{schemaVersion, tool, input, settings, multilabel, labels[], gates}`:
    /// `multilabel` nests the summary's dotted keys (`micro.f1` → `"micro": {"f1"}`);
    /// each `labels[]` entry is `{label, positiveRate}` and the sections of the
    /// label's binary audit document (``MultiLabelReport/labelSections``), the same bytes.
    public static func json(_ report: MultiLabelReport) -> String { document(report).serialized() }

    public static func document(_ report: MultiLabelReport) -> JSONValue {
        let i = report.input, r = report.result
        let documents = report.labelReports.map(JSONReportRenderer.document)
        func member(_ doc: JSONValue, _ key: String) -> JSONValue {
            guard case let .object(pairs) = doc else { return .null }
            return pairs.first { $0.0 == key }?.1 ?? .null
        }
        let skipped = member(member(documents[0], "input"), "skipped")
        let input: JSONValue = .object([
            ("source", .string(i.source)), ("format", .string(i.format.rawValue)), ("rows", .integer(i.rows)),
            ("skippedRows", .integer(i.skipped.total)), ("skipped", skipped),
            ("task", .string("multilabel")), ("labels", .array(i.labels.map { .string($0) })),
            ("weighted", .bool(i.weighted)), ("scores", .string(i.scoreKind.rawValue)),
            ("columns", .object([
                ("targets", .array(i.targetColumns.map { .string($0) })), ("scores", .array(i.scoreColumns.map { .string($0) })),
                ("weight", i.weightColumn.map { .string($0) } ?? .null), ("id", i.idColumn.map { .string($0) } ?? .null),
            ])),
        ])
        let settings = r.pooled.settings
        var summary: [(String, JSONValue)] = []
        for (key, value) in zip(MultiLabelSummary.keys, r.summary.values) {
            let parts = key.split(separator: ".").map(String.init)
            if parts.count == 1 { summary.append((key, .finite(value))); continue }
            if let at = summary.firstIndex(where: { $0.0 == parts[0] }), case let .object(inner) = summary[at].1 {
                summary[at].1 = .object(inner + [(parts[1], .finite(value))])
            } else {
                summary.append((parts[0], .object([(parts[1], .finite(value))])))
            }
        }
        let labels: [JSONValue] = r.labelNames.indices.map { l in
            .object([("label", .string(r.labelNames[l])), ("positiveRate", .finite(r.perLabel[l].perClass[1].prior))]
                    + MultiLabelReport.labelSections.map { ($0, member(documents[l], $0)) })
        }
        return .object([
            ("schemaVersion", .integer(Report.schemaVersion)),
            ("tool", .object([("name", .string(report.tool.name)), ("version", .string(report.tool.version))])),
            ("input", input),
            ("settings", .object([("bins", .integer(settings.bins)), ("threshold", .finite(settings.threshold)),
                                  ("confidentAt", .finite(settings.confidentAt)), ("eceMode", .string(ECEMode.positiveClass.rawValue))])),
            ("multilabel", .object(summary)),
            ("labels", .array(labels)),
            ("gates", JSONReportRenderer.gates(report.gates)),
        ])
    }

    // MARK: Tables

    /// The summary: each key, its words and value.
    static func summaryTable(_ report: MultiLabelReport) -> ReportTable {
        ReportTable(title: "Multi-label summary",
            columns: [.init(title: .value("metric"), numeric: false, width: 24), .init(title: .value("key"), numeric: false, width: 34),
                      .init(title: .value("value"), numeric: true, width: 8)],
            rows: zip(MultiLabelSummary.keys, report.result.summary.values).map { key, value in
                [.value(MultiLabelReport.words(key)), .value("multilabel." + key),
                 .value(value.isFinite ? NumberText.fixed(value, 4) : "—")]
            },
            notes: report.result.summary.values.allSatisfy(\.isFinite) ? []
                : ["—: undefined (null in the JSON report): a macro average is undefined when a label's value is, e.g. the ROC AUC of a label without positive or without negative rows."])
    }

    /// One row per label, worst ECE first: positive rate, cross-entropy,
    /// Brier, ECE, ROC AUC, average precision, precision and recall at the threshold.
    static func labelTable(_ report: MultiLabelReport, compact: Bool) -> ReportTable {
        let r = report.result
        func n(_ x: Double?, _ digits: Int = 4) -> ReportCell {
            guard let x, x.isFinite else { return .value("—") }
            return .value(NumberText.fixed(x, digits))
        }
        let widths = compact ? [14, 8, 7, 7, 7, 7, 7, 6, 6] : Array(repeating: 0, count: 9)
        let titles = ["label", "positive", "CE", "Brier", "ECE", "AUC", "AP", "P", "R"]
        return ReportTable(title: "Per label (worst ECE first)",
            columns: titles.enumerated().map { c, t in .init(title: .value(t), numeric: c > 0, width: compact ? widths[c] : nil) },
            rows: r.labelsByECE.map { l in
                let a = r.perLabel[l], m = a.metrics, p = a.perClass[1]
                return [.text(r.labelNames[l]), .value(NumberText.percent(p.prior, 1)),
                        n(m.crossEntropy), n(m.brier), n(m.ece), n(a.ranking?.rocAUC), n(a.ranking?.averagePrecision), n(p.precision, 3), n(p.recall, 3)]
            },
            notes: ["P and R: precision and recall of each label at the threshold \(NumberText.fixed(r.pooled.settings.threshold, 2)); —: undefined for that label; every label's full audit is in the JSON report (labels[])."])
    }

    static func facts(_ report: MultiLabelReport) -> String {
        let i = report.input
        return "\(NumberText.count(i.rows)) rows · multi-label · \(i.labels.count) labels · \(i.scoreKind.rawValue)" + (i.weighted ? " · weighted" : "")
    }

    /// The verdict line: the worst-calibrated label and the micro/macro ECE.
    static func verdict(_ report: MultiLabelReport) -> String {
        let r = report.result
        guard let worst = r.labelsByECE.first else { return "" }
        return "Worst calibrated label: '\(r.labelNames[worst])' (ECE \(NumberText.fixed(r.perLabel[worst].metrics.ece, 4))); micro ECE \(NumberText.fixed(r.summary.microECE, 4)), macro ECE \(NumberText.fixed(r.summary.macroECE, 4))."
    }

    // MARK: Terminal

    public static func terminal(_ report: MultiLabelReport, colour: Bool = false) -> String {
        var lines = TerminalLines()
        lines.append(bold: "calib audit --multilabel · \(report.input.source)")
        lines.append(facts(report))
        if report.input.skipped.total > 0 { lines.append(warning: "skipped \(NumberText.count(report.input.skipped.total)) invalid rows (see below)") }
        lines.append(wrapped: verdict(report))
        lines.append("")
        lines.append(bold: "Summary")
        var summary = summaryTable(report)
        let summaryNotes = summary.notes
        summary.notes = []
        summary.terminalLines(into: &lines)
        for note in summaryNotes { lines.append(wrapped: note) }
        lines.append("")
        let table = labelTable(report, compact: true)
        lines.append(bold: table.title)
        var plain = table
        plain.notes = []
        plain.terminalLines(into: &lines)
        for note in table.notes { lines.append(wrapped: note) }
        if report.input.skipped.total > 0 {
            lines.append("")
            lines.append(bold: "Skipped rows")
            ReportSections.skippedRows(report.input.skipped, compact: true).terminalLines(into: &lines)
        }
        if !report.gates.isEmpty {
            lines.append("")
            lines.append(bold: "Gates")
            ReportSections.gates(report.gates).terminalLines(into: &lines)
        }
        return lines.rendered(colour: colour)
    }

    // MARK: Markdown

    public static func markdown(_ report: MultiLabelReport) -> String {
        var out: [String] = []
        out.append("# calib audit --multilabel · \(TextEscaping.markdown(report.shortName))")
        out.append("")
        out.append(facts(report) + "  ")
        out.append(TextEscaping.markdown(verdict(report)))
        out.append("")
        let summary = summaryTable(report)
        out.append("## Summary")
        out.append("")
        out += summary.markdown()
        out.append("")
        for note in summary.notes { out += [TextEscaping.markdown(note), ""] }
        let table = labelTable(report, compact: false)
        out.append("## \(table.title)")
        out.append("")
        out += table.markdown()
        out.append("")
        for note in table.notes { out += [TextEscaping.markdown(note), ""] }
        for section in [report.gates.isEmpty ? nil : ReportSections.gates(report.gates),
                        report.input.skipped.total > 0 ? ReportSections.skippedRows(report.input.skipped, compact: false) : nil].compactMap({ $0 }) {
            out.append("## \(section.title)")
            out.append("")
            out += section.markdown()
            out.append("")
        }
        out.append("_\(report.tool.name) \(report.tool.version) · report schema \(Report.schemaVersion)_")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: HTML

    public static func html(_ report: MultiLabelReport) -> String {
        let e = TextEscaping.html
        let r = report.result
        var body: [String] = []
        body.append("<header><p class=\"kicker\">calib audit --multilabel</p><h1>\(e(report.shortName))</h1>")
        body.append("<p class=\"facts\">\(e(facts(report)))</p>")
        body.append("<p class=\"verdict \(r.summary.macroECE < 0.01 ? "ok" : "warn")\">\(e(verdict(report)))</p>")
        if !report.gates.isEmpty {
            let failed = report.gates.filter(\.fails).count
            body.append("<p class=\"verdict \(failed == 0 ? "ok" : "fail")\">\(failed == 0 ? "All \(report.gates.count) gates passed" : "\(failed) of \(report.gates.count) gates failed")</p>")
        }
        if report.input.skipped.total > 0 {
            body.append("<p class=\"verdict warn\">\(NumberText.count(report.input.skipped.total)) invalid rows were skipped (see below)</p>")
        }
        body.append("</header>")
        let summary = summaryTable(report)
        body.append("<section><h2>\(e(summary.title))</h2>")
        body.append(summary.html())
        for note in summary.notes { body.append("<p class=\"secondary\">\(e(note))</p>") }
        body.append("</section>")
        let table = labelTable(report, compact: false)
        body.append("<section><h2>\(e(table.title))</h2>")
        body.append(table.html())
        for note in table.notes { body.append("<p class=\"secondary\">\(e(note))</p>") }
        body.append("</section>")
        body.append("<section><h2>Reliability per label</h2>")
        body.append("<p>One diagram per label, worst ECE first, on the same axes: each bin's observed positive rate against the mean predicted probability.</p>")
        body.append("<div class=\"multiples\">")
        for l in r.labelsByECE {
            body.append(HTMLRenderer.figure(smallReliability(r.perLabel[l].headlineReliability, label: r.labelNames[l], index: l)))
        }
        body.append("</div></section>")
        if !report.gates.isEmpty { body += HTMLRenderer.section(ReportSections.gates(report.gates)) }
        if report.input.skipped.total > 0 { body += HTMLRenderer.section(ReportSections.skippedRows(report.input.skipped, compact: false)) }
        let i = report.input
        body.append("<section><h2>Input and settings</h2><dl>")
        body.append("<dt>source</dt><dd><code>\(e(i.source))</code> (\(i.format.rawValue))</dd>")
        body.append("<dt>columns</dt><dd>" + zip(i.targetColumns, i.scoreColumns).map { "<code>\(e($0))</code>/<code>\(e($1))</code>" }.joined(separator: ", ")
            + (i.weightColumn.map { "; weight <code>\(e($0))</code>" } ?? "") + (i.idColumn.map { "; id <code>\(e($0))</code>" } ?? "") + "</dd>")
        body.append("<dt>bins</dt><dd>\(r.pooled.settings.bins) equal-width, lower edge inclusive, last bin closed</dd>")
        body.append("<dt>threshold</dt><dd>\(NumberText.fixed(r.pooled.settings.threshold, 2))</dd>")
        body.append("</dl></section>")
        body.append("<footer>\(e(report.tool.name)) \(e(report.tool.version)) · report schema \(Report.schemaVersion)</footer>")
        return HTMLRenderer.page(title: "calib audit --multilabel · \(report.shortName)", body: body.joined(separator: "\n"), style: multiplesStylesheet)
    }

    static let multiplesStylesheet = """
    .multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px; } .multiples figure { margin: 0; }
    """

    /// A small reliability diagram of one label on the shared [0, 1] axes:
    /// per non-empty bin the observed rate (bar), the gap to the mean
    /// prediction (over- or under-confident colour) and a mark; the diagonal.
    static func smallReliability(_ table: ReliabilityTable, label: String, index: Int) -> String {
        var svg = SVGWriter(width: 300, height: 270)
        let plot = PlotArea(left: 58, top: 30, width: 222, height: 190)
        svg.text("\(label) · ECE \(NumberText.fixed(table.expectedCalibrationError, 4))", x: plot.left, y: 18, class: "axis-title")
        plot.drawAxes(&svg, xTicks: Charts.unitTicks, yTicks: Charts.unitTicks, xFormat: { NumberText.fixed($0, 1) }, yFormat: { NumberText.fixed($0, 1) },
                      xLabel: "mean predicted", yLabel: "observed rate")
        svg.line(x1: plot.x(0), y1: plot.y(0), x2: plot.x(1), y2: plot.y(1), class: "diag")
        for bin in table.bins {
            guard let mean = bin.meanPredicted, let rate = bin.observedRate else { continue }
            let x0 = plot.x(bin.lower) + 1, x1 = plot.x(bin.upper) - 1
            svg.rect(x: x0, y: plot.y(rate), width: x1 - x0, height: plot.y(0) - plot.y(rate), class: "bar")
            let top = Swift.max(mean, rate), bottom = Swift.min(mean, rate)
            svg.rect(x: x0, y: plot.y(top), width: x1 - x0, height: plot.y(bottom) - plot.y(top), class: mean > rate ? "gap-over" : "gap-under")
            svg.circle(cx: plot.x(mean), cy: plot.y(rate), r: 3, class: "mark",
                       tooltip: "\(label) \(NumberText.fixed(bin.lower, 2))–\(NumberText.fixed(bin.upper, 2)): \(NumberText.count(bin.count)) rows, mean predicted \(NumberText.fixed(mean, 3)), observed \(NumberText.fixed(rate, 3))")
        }
        let nonEmpty = table.bins.filter { !$0.isEmpty }.count
        return svg.render(id: "reliability-label-\(index)", title: "Reliability of P(\(label))",
                          description: "Reliability diagram of label \(label) over \(table.bins.count) bins (\(nonEmpty) non-empty); ECE \(NumberText.fixed(table.expectedCalibrationError, 4)).")
    }
}

extension MultiLabelRenderer {
    /// `--report-dir`'s `index.html`: a relative link to each input's page.
    public static func htmlIndex(_ entries: [(report: MultiLabelReport, link: String)]) -> String {
        HTMLRenderer.linkIndex(command: "calib audit --multilabel", heading: entries.count == 1 ? "1 input" : "\(entries.count) inputs",
                               pages: entries.map { ($0.report.shortName, $0.link, nil) })
    }

    /// `--report-dir`'s `index.md`.
    public static func markdownIndex(_ entries: [(report: MultiLabelReport, link: String)]) -> String {
        MarkdownRenderer.linkIndex(command: "calib audit --multilabel", pages: entries.map { ($0.report.shortName, $0.link, nil) })
    }
}
