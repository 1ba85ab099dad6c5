import CalibCore
import CalibInput

/// One self-contained HTML file: inline CSS and SVG, no script, font, image
/// or stylesheet from anywhere else; light and dark colour schemes; prints on
/// A4. Every string from the input is escaped.
public enum HTMLRenderer {
    public static func render(_ report: Report) -> String {
        let r = report.result
        let i = report.input
        let f = report.findings
        var body: [String] = []
        let e = TextEscaping.html

        // Header.
        var facts = "\(NumberText.count(i.rows)) rows · \(i.shape.task.rawValue) · \(r.classNames.count) classes · \(i.shape.scoreKind.rawValue)"
        if i.weighted { facts += " · weighted" }
        body.append("<header><p class=\"kicker\">calib audit</p><h1>\(e(report.shortName))</h1>")
        body.append("<p class=\"facts\">\(e(facts))</p>")
        if let positive = report.positiveClass {
            body.append("<p class=\"facts\">Positive class <strong>\(e(positive))</strong> (\(e(i.positiveClassReason ?? "")))</p>")
        }
        if let method = ReportVocabulary.intervalMethod(r) { body.append("<p class=\"facts\">\(e(method))</p>") }
        if let adjustment = report.scoreAdjustment { body.append("<p class=\"verdict warn\">Scores adjusted: \(e(adjustment))</p>") }
        let verdictClass = UndefinedReasons.weightReason(r) == nil && r.metrics.ece < 0.01 ? "ok" : "warn"
        body.append("<p class=\"verdict \(verdictClass)\">\(e(f.verdict))</p>")
        if !report.gates.isEmpty {
            let failed = report.gates.filter(\.fails).count
            body.append("<p class=\"verdict \(failed == 0 ? "ok" : "fail")\">\(failed == 0 ? "All \(report.gates.count) gates passed" : "\(failed) of \(report.gates.count) gates failed")</p>")
        }
        if i.labelsFromTargets { body.append("<p class=\"verdict warn\">\(e(InputSummary.targetArgmaxNote))</p>") }
        if i.skipped.total > 0 {
            body.append("<p class=\"verdict warn\">\(NumberText.count(i.skipped.total)) invalid rows were skipped (see below)</p>")
        }
        let undefined = ReportSections.undefinedValues(report)
        if !undefined.rows.isEmpty {
            body.append("<div class=\"verdict warn\" id=\"undefined\"><p>\(undefined.title) (\(undefined.detail)):</p><ul>"
                + undefined.htmlSentences().map { "<li>\($0)</li>" }.joined() + "</ul></div>")
        }
        body.append("</header>")

        // Headline cards.
        let headline = ReportSections.headline(report)
        body.append("<section aria-label=\"\(headline.title)\"><div class=\"cards\">")
        body += headline.htmlCards()
        body.append("</div>")
        if let note = ReportSections.topLabelNote(report) { body.append("<p class=\"secondary\">\(e(note))</p>") }
        body.append("</section>")

        // Reliability.
        let positiveMode = r.positiveReliability != nil
        let level = r.bootstrap?.settings.confidence ?? 0.95
        body.append("<section><h2>Reliability</h2>")
        if positiveMode {
            body.append("<p>The headline for a binary task is the calibration of P(\(e(report.positiveClass ?? ""))): each bin compares the mean predicted chance with how often it happened.</p>")
            body.append(figure(Charts.reliability(r.headlineReliability, id: "reliability-positive", title: "Reliability of P(\(report.positiveClass ?? ""))",
                predicted: ReportVocabulary.words(.positiveClass).meanPredicted, observed: ReportVocabulary.words(.positiveClass).observedRate, worst: f.worstBins,
                isotonic: f.calibration.isotonicCurve, intervals: r.bootstrap?.headlineBins, confidence: level)))
            body.append(figure(Charts.reliability(r.reliability, id: "reliability-top", title: "Top-label reliability",
                predicted: ReportVocabulary.words(.topLabel).meanPredicted, observed: ReportVocabulary.words(.topLabel).observedRate, worst: [],
                intervals: r.bootstrap?.reliabilityBins, confidence: level)))
        } else {
            body.append("<p>Each bin compares the mean confidence of the predicted class with its accuracy.</p>")
            body.append(figure(Charts.reliability(r.reliability, id: "reliability-top", title: "Top-label reliability",
                predicted: ReportVocabulary.words(.topLabel).meanPredicted, observed: ReportVocabulary.words(.topLabel).observedRate, worst: f.worstBins,
                intervals: r.bootstrap?.reliabilityBins, confidence: level)))
        }
        if !f.overconfidentBins.isEmpty {
            body.append("<p>\(OverconfidenceFlags.binsHeading)</p><ul class=\"flags\">"
                + f.overconfidentBins.map { "<li>\(e($0))</li>" }.joined() + "</ul>")
        }
        body.append(figure(Charts.confidenceHistogram(r.reliability, f.confidenceHistogram, id: "confidence-histogram")))
        body.append("<details><summary>Reliability table (\(e(r.eceMode.rawValue)))</summary>")
        body.append(ReportSections.reliability(r.headlineReliability, mode: positiveMode ? .positiveClass : .topLabel, worst: f.worstBins, compact: false,
                                               intervals: r.bootstrap?.headlineBins, confidence: level).html())
        body.append("</details></section>")

        body += calibrationSection(report)
        body += rankingSection(report)
        if let soft = ReportSections.softTargets(report), let findings = report.softTargets {
            var table = soft
            table.notes = []
            body.append("<section id=\"soft-targets\"><h2>\(e(soft.title))</h2>")
            body.append("<p>\(e(ReportSections.softTargetIntro))</p>")
            body += soft.notes.map { "<p class=\"verdict\">\(e($0))</p>" }
            body.append(figure(Charts.softTargetBars(findings.summary, id: "soft-target-bars")))
            body.append(table.html())
            body.append("</section>")
        }
        body += recalibrationSection(report)

        // Per class.
        body.append("<section><h2>Per class</h2>")
        body.append(ReportSections.perClass(report, compact: false).html())
        body.append(figure(Charts.classBars(r.perClass, id: "class-bars")))
        body.append("<h3>Confusion matrix</h3><p>Rows are true classes, columns predicted ones.</p>")
        body.append(table(["true \\ predicted"] + r.classNames.map(e), numeric: 1..<(r.classNames.count + 1),
            rows: r.classNames.indices.map { a in [e(r.classNames[a])] + r.classNames.indices.map { NumberText.weight(r.confusion[a, $0]) } }))
        body.append("</section>")

        body += imbalanceSection(report)

        if !report.segments.isEmpty {
            body.append("<section><h2>Segments by \(e(i.groupColumn ?? ""))</h2>")
            body.append("<p>Worst \(e(r.eceMode.rawValue)) ECE first; segments with fewer than \(NumberText.count(report.minSegmentRows)) rows are listed but not gated or flagged.</p>")
            body.append(ReportSections.segments(report, compact: false).html())
            let flags = report.segments.compactMap(\.flag)
            if !flags.isEmpty { body.append("<ul class=\"flags\">" + flags.map { "<li>\(e($0))</li>" }.joined() + "</ul>") }
            body.append("</section>")
        }

        if !r.worstRows.isEmpty { body += section(ReportSections.worstRows(report, compact: false)) }
        if !report.gates.isEmpty { body += section(ReportSections.gates(report)) }
        if i.skipped.total > 0 { body += section(ReportSections.skippedRows(report, compact: false)) }

        body.append("<section><h2>Input and settings</h2><dl>")
        body.append("<dt>source</dt><dd><code>\(e(i.source))</code> (\(i.format.rawValue))</dd>")
        body.append("<dt>columns</dt><dd>label <code>\(e(i.labelColumn))</code>; scores " + i.scoreColumns.map { "<code>\(e($0))</code>" }.joined(separator: ", ")
            + (i.targetColumns.isEmpty ? "" : "; targets " + i.targetColumns.map { "<code>\(e($0))</code>" }.joined(separator: ", "))
            + (i.weightColumn.map { "; weight <code>\(e($0))</code>" } ?? "") + (i.idColumn.map { "; id <code>\(e($0))</code>" } ?? "") + "</dd>")
        body.append("<dt>bins</dt><dd>\(r.settings.bins) equal-width, lower edge inclusive, last bin closed</dd>")
        body.append("<dt>threshold</dt><dd>\(NumberText.fixed(r.settings.threshold, 2)); confident at \(NumberText.fixed(r.settings.confidentAt, 2))</dd>")
        body.append("<dt>clipped probabilities</dt><dd>\(NumberText.count(r.clippedProbabilities))</dd>")
        body.append("<dt>intervals</dt><dd>\(e(ReportVocabulary.intervalMethod(r) ?? "none (--bootstrap 0)"))</dd>")
        body.append("</dl></section>")
        body.append("<footer>\(e(report.tool.name)) \(e(report.tool.version)) · report schema \(Report.schemaVersion)</footer>")

        return page(title: "calib audit · \(report.shortName)", body: body.joined(separator: "\n"), style: r.ranking == nil ? "" : rankingStylesheet)
    }

    /// The calibration section (`id="calibration"`): for binary tasks the
    /// tests and fits with their sentences, the estimators, and the CORP
    /// decompositions as identities, a stacked bar chart and a table; for
    /// multiclass tasks the estimators only.
    static func calibrationSection(_ report: Report) -> [String] {
        var body = ["<section id=\"calibration\"><h2>\(TextEscaping.html(ReportSections.calibrationTitle(report)))</h2>"]
        let checks = ReportSections.calibrationChecks(report, compact: false)
        if !checks.rows.isEmpty {
            body.append("<p>\(TextEscaping.html(ReportSections.calibrationTestsIntro))</p>")
            body.append("<div id=\"calibration-tests\">" + checks.html() + "</div>")
        }
        let estimators = ReportSections.calibrationEstimators(report, compact: false)
        // Multiclass: the estimators are the whole section, under its own heading.
        body.append((checks.rows.isEmpty ? "" : "<h3>\(TextEscaping.html(estimators.title))</h3>") + "<p>\(TextEscaping.html(ReportSections.estimatorsIntro(report)))</p>")
        body.append("<div id=\"calibration-estimators\">" + estimators.html() + "</div>")
        let decomposition = ReportSections.decomposition(report, compact: false)
        if !decomposition.rows.isEmpty {
            let identities = report.findings.calibration.decompositions.map { TextEscaping.html($0.identity) }
            body.append("<h3>\(TextEscaping.html(decomposition.title))</h3><p>\(TextEscaping.html(ReportSections.decompositionIntro))</p>")
            body.append("<ul class=\"identities\">" + identities.map { "<li>\($0)</li>" }.joined() + "</ul>")
            let drawn = report.findings.calibration.decompositions.filter(\.isDefined)
            if !drawn.isEmpty { body.append(figure(Charts.decomposition(drawn, id: "decomposition"))) }
            body.append(decomposition.html())
        }
        body.append("</section>")
        return body
    }

    /// The ranking section, when the audit was asked for ranking: what is
    /// ranked and the headline values (with the reason of an undefined one),
    /// the sketch's bound set apart, then for binary tasks the ROC and precision–recall
    /// curves (each left out, its reason given above, when its value is
    /// undefined), the operating points, and the cost with its chart.
    static func rankingSection(_ report: Report) -> [String] {
        guard let ranking = report.findings.ranking, let summary = ReportSections.rankingSummary(report) else { return [] }
        let k = ranking.metrics
        var body = ["<section id=\"ranking\"><h2>\(TextEscaping.html(summary.title))</h2>"]
        body.append("<p>" + summary.htmlSentences().joined(separator: " ") + "</p>")
        if let sketch = ReportSections.rankingSketchSentence(report) { body.append("<p class=\"verdict warn\">\(TextEscaping.html(sketch))</p>") }
        if ranking.positiveClass != nil {
            if k.rocAUC.isFinite && k.rocCurve.count >= 2 {
                body.append(figure(Charts.roc(k.rocCurve, auc: k.rocAUC, points: ranking.operatingPoints, id: "roc-curve")))
            }
            if k.averagePrecision.isFinite && k.precisionRecallCurve.count >= 2 {
                body.append(figure(Charts.precisionRecall(k.precisionRecallCurve, averagePrecision: k.averagePrecision, positiveRate: k.positiveRate,
                                                          points: ranking.operatingPoints, id: "pr-curve")))
            }
            let points = ReportSections.operatingPoints(report)
            if !points.rows.isEmpty { body.append("<h3>\(TextEscaping.html(points.title))</h3>" + points.html()) }
            if let cost = k.cost, let summary = ReportSections.costSummary(report) {
                body.append("<h3>\(TextEscaping.html(summary.title))</h3><p>" + summary.htmlSentences().joined(separator: " ") + "</p>")
                body.append(figure(Charts.cost(ranking.costCurve, cost, id: "cost-curve")))
            }
        }
        body.append("</section>")
        return body
    }

    /// The comparison page for several inputs audited in one call (values
    /// with their intervals when the audits have them). Each `link`
    /// is the file name of that input's page in the index's folder (or `#`
    /// for this page); it becomes a relative, percent-encoded `./` link
    /// (``TextEscaping/relativeLink(_:)``), never a scheme such as `javascript:`.
    public static func renderIndex(_ entries: [(report: Report, link: String)]) -> String {
        var body = ["<header><p class=\"kicker\">calib audit</p><h1>\(entries.count) inputs compared</h1></header><section>"]
        body.append(table(["input", "rows", "task", "cross-entropy", "log-loss skill", "accuracy", "ECE", "ECE mode", "MCE", "gates"], numeric: [1, 3, 4, 5, 6, 8],
            rows: entries.map { entry in
                let r = entry.report.result
                let failed = entry.report.gates.filter(\.fails).count
                return ["<a href=\"\(TextEscaping.html(TextEscaping.relativeLink(entry.link)))\">\(TextEscaping.html(entry.report.shortName))</a>", NumberText.count(r.rows), r.task.rawValue,
                        ReportVocabulary.formatted(.crossEntropy, in: r), ReportVocabulary.percent(.logLossSkill, in: r), ReportVocabulary.formatted(.accuracy, in: r),
                        ReportVocabulary.formatted(.ece, in: r), r.eceMode.rawValue, ReportVocabulary.formatted(.mce, in: r),
                        entry.report.gates.isEmpty ? "—" : failed == 0 ? "<span class=\"pass\">pass</span>" : "<span class=\"fail\">\(failed) failed</span>"]
            }))
        body.append("</section>")
        return page(title: "calib audit · \(entries.count) inputs", body: body.joined(separator: "\n"))
    }

    /// A `--report-dir` `index.html` that lists its pages: under `command`'s
    /// kicker and the `heading`, one relative link per page named by `name`,
    /// followed by `": note"` when there is one (every text escaped, and the
    /// link made relative, so that a file name is never a fragment or markup).
    static func linkIndex(command: String, heading: String, pages: [(name: String, link: String, note: String?)]) -> String {
        let h = TextEscaping.html
        var body = ["<header><p class=\"kicker\">\(h(command))</p><h1>\(h(heading))</h1></header><section><ul>"]
        for page in pages {
            body.append("<li><a href=\"\(h(TextEscaping.relativeLink(page.link)))\">\(h(page.name))</a>" + (page.note.map { ": \(h($0))" } ?? "") + "</li>")
        }
        body.append("</ul></section>")
        return self.page(title: command, body: body.joined(separator: "\n"))
    }

    /// The imbalance section: the finding, priors, the loss table and both loss charts.
    static func imbalanceSection(_ report: Report) -> [String] {
        let r = report.result
        let f = report.findings
        let rare = f.rarestClass
        let rareName = r.classNames[rare]
        let e = TextEscaping.html
        var body: [String] = []
        body.append("<section><h2>Imbalance: weighted cross-entropy and focal loss</h2>")
        body.append("<p class=\"finding\">\(e(f.imbalanceSentence))</p>")
        body.append("<p>Imbalance ratio \(NumberText.fixed(r.imbalance.imbalanceRatio, 1)):1. Priors: " + zip(r.classNames, r.imbalance.priors).map { "\(e($0)) \(NumberText.percent($1, 2))" }.joined(separator: ", ") + ".</p>")
        body.append(ReportSections.imbalanceLosses(report, compact: false).html())
        body.append(figure(Charts.gradientShareByGamma(f, className: rareName, prior: r.perClass[rare].prior, id: "gradient-by-gamma")))
        body.append(figure(Charts.lossShares(r.imbalance.losses, rare: rare, prior: r.perClass[rare].prior, className: rareName, id: "loss-shares")))
        body.append("</section>")
        return body
    }

    /// "What would fix it" (`--recalibrate`): the before/after table, the
    /// fitted parameters or refusals, and the reliability diagram of each
    /// method's cross-fitted scores on the audit's axes (the headline mode).
    static func recalibrationSection(_ report: Report) -> [String] {
        guard let fix = ReportSections.recalibration(report), let summary = report.recalibration else { return [] }
        let e = TextEscaping.html
        let positive = summary.before.positiveReliability != nil
        let words = ReportVocabulary.words(positive ? .positiveClass : .topLabel)
        var body = ["<section id=\"recalibration\"><h2>\(e(fix.title))</h2>",
                    "<p>The metrics of the scores as audited and of \(e(fix.detail)).</p>", fix.html()]
        body.append("<ul>" + fix.notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>")
        for entry in summary.entries {
            guard let result = entry.crossFitted else { continue }
            let name = entry.method.rawValue
            let title = positive ? "Reliability of P(\(report.positiveClass ?? "")) after \(name), cross-fitted" : "Top-label reliability after \(name), cross-fitted"
            body.append(figure(Charts.reliability(result.headlineReliability, id: "recalibrated-\(name)", title: title,
                                                  predicted: words.meanPredicted, observed: words.observedRate, worst: [])))
        }
        body.append("</section>")
        return body
    }

    static func figure(_ svg: String) -> String { "<figure>\(svg)</figure>" }

    static func table(_ header: [String], numeric: some Sequence<Int>, rows: [[String]]) -> String {
        let right = Set(numeric)
        var out = "<div class=\"table-wrap\"><table><thead><tr>"
        for (c, h) in header.enumerated() { out += "<th\(right.contains(c) ? " class=\"num\"" : "")>\(h)</th>" }
        out += "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>"
            for (c, cell) in row.enumerated() { out += "<td\(right.contains(c) ? " class=\"num\"" : "")>\(cell)</td>" }
            out += "</tr>"
        }
        return out + "</tbody></table></div>"
    }

    /// A section: its title as a level-2 heading and its table, in `<section>`.
    static func section(_ table: ReportTable) -> [String] {
        ["<section><h2>\(TextEscaping.html(table.title))</h2>", table.html(), "</section>"]
    }

    /// A page; `style` (CSS the page needs beyond `stylesheet`, e.g. the
    /// ranking charts') follows it in the same `<style>` when not empty.
    static func page(title: String, body: String, style: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>\(TextEscaping.html(title))</title>
        <style>
        \(stylesheet)\(style.isEmpty ? "" : "\n" + style)
        </style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// Every page's Content-Security-Policy: nothing may load or run (no
    /// script, `javascript:` URL, image, font, frame or form target) but the
    /// page's own `<style>`; the charts are inline SVG and need nothing else.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

    /// The ranking charts' styles, only on pages with a ranking section (so
    /// that pages without it stay as they were): the curves, the operating
    /// points by kind, and the cost chart's line and thresholds.
    static let rankingStylesheet = """
    svg .curve { fill: none; stroke: var(--precision); stroke-width: 2.5; stroke-linejoin: round; } svg .curve-swatch { fill: var(--precision); }
    svg .op { stroke: var(--bg); stroke-width: 1.5; } svg .op-precision { fill: var(--focal); } svg .op-fpr { fill: var(--ece); } svg .op-top { fill: var(--over); }
    svg .op-bayes { fill: var(--gradient); } svg .op-best { fill: var(--reference); }
    svg .cost-line { fill: none; stroke: var(--loss); stroke-width: 2.5; } svg .cost-swatch { fill: var(--loss); }
    svg .bayes { stroke: var(--gradient); stroke-width: 1.2; stroke-dasharray: 5 4; } svg .best { stroke: var(--reference); stroke-width: 1.2; stroke-dasharray: 2 3; }
    """

    static let stylesheet = """
    :root { --bg: #ffffff; --ink: #1d2330; --muted: #5b6475; --grid: #e3e6ec; --card: #f5f7fa; --bar: #9db4d6; --over: #d9534f; --under: #2f8f6b;
      --count: #b8c2d2; --correct: #5aa37e; --wrong: #d9705f; --precision: #4a78c2; --recall: #7fb0e8; --ece: #e0a23b; --focal: #7a4fc2;
      --reference: #2f8f6b; --prior: #8a8f99; --loss: #e0a23b; --gradient: #4a78c2; --warn: #a15c00; --fail: #b3261e; --ok: #1e7a4a; }
    @media (prefers-color-scheme: dark) {
      :root { --bg: #14171d; --ink: #e6e9ef; --muted: #a3abba; --grid: #2b303a; --card: #1d2129; --bar: #4f6d99; --over: #ef6f6a; --under: #4fc196;
        --count: #59647a; --correct: #4fa77b; --wrong: #e27d6b; --precision: #6b98e0; --recall: #9cc4f2; --ece: #e9b45a; --focal: #a983ee;
        --reference: #4fc196; --prior: #9aa1ad; --loss: #e9b45a; --gradient: #6b98e0; --warn: #f0b35a; --fail: #ff8a80; --ok: #6fd3a0; }
    }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
    h1 { font-size: 26px; margin: 0 0 4px; word-break: break-all; }
    h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid var(--grid); padding-bottom: 4px; }
    h3 { font-size: 16px; margin: 20px 0 6px; }
    .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted); margin: 0; }
    .facts { margin: 2px 0; color: var(--muted); }
    .verdict { display: inline-block; margin: 10px 8px 0 0; padding: 6px 12px; border-radius: 6px; background: var(--card); font-weight: 600; }
    .verdict.warn { color: var(--warn); } .verdict.fail { color: var(--fail); } .verdict.ok { color: var(--ok); }
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 10px; margin-top: 20px; }
    .card { background: var(--card); border-radius: 8px; padding: 10px 12px; }
    .card-label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
    .card-value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
    .card-reading { font-size: 13px; color: var(--muted); }
    .interval { white-space: nowrap; } .card-value .interval { display: block; font-size: 13px; font-weight: 500; color: var(--muted); }
    .finding { font-size: 16px; font-weight: 600; }
    figure { margin: 16px 0; }
    svg.chart { max-width: 100%; height: auto; display: block; }
    svg text { fill: var(--ink); font-family: inherit; }
    svg .tick { font-size: 11px; fill: var(--muted); } svg .axis-title { font-size: 12px; } svg .legend { font-size: 12px; }
    svg .count { font-size: 9px; fill: var(--muted); } svg .note { font-size: 11px; fill: var(--muted); }
    svg .axis { stroke: var(--muted); stroke-width: 1; } svg .grid { stroke: var(--grid); stroke-width: 1; }
    svg .diag { stroke: var(--muted); stroke-width: 1.2; stroke-dasharray: 5 4; }
    svg .diag-swatch { fill: none; stroke: var(--muted); stroke-dasharray: 3 2; }
    svg .bar { fill: var(--bar); } svg .gap-over { fill: var(--over); opacity: .75; } svg .gap-under { fill: var(--under); opacity: .75; }
    svg .mark { fill: var(--ink); } svg .mark.worst { stroke: var(--over); stroke-width: 2; }
    svg .whisker { fill: none; stroke: var(--ink); stroke-width: 1.3; } svg .whisker-swatch { fill: var(--ink); }
    svg .count-bar { fill: var(--count); } svg .correct { fill: var(--correct); } svg .wrong { fill: var(--wrong); }
    svg .precision { fill: var(--precision); } svg .recall { fill: var(--recall); } svg .ece { fill: var(--ece); }
    svg .focal { fill: none; stroke: var(--focal); stroke-width: 2.5; } svg .focal-mark { fill: var(--focal); } svg .focal-swatch { fill: var(--focal); }
    svg .reference { stroke: var(--reference); stroke-width: 1.5; stroke-dasharray: 6 4; } svg .reference-swatch { fill: var(--reference); }
    svg .prior { stroke: var(--prior); stroke-width: 1.5; stroke-dasharray: 2 3; } svg .prior-swatch { fill: var(--prior); }
    svg .loss-share { fill: var(--loss); } svg .gradient-share { fill: var(--gradient); }
    .table-wrap { overflow-x: auto; }
    table { border-collapse: collapse; margin: 8px 0; font-size: 14px; font-variant-numeric: tabular-nums; }
    th, td { padding: 4px 10px; border-bottom: 1px solid var(--grid); text-align: left; vertical-align: top; }
    th { font-weight: 600; color: var(--muted); } .num { text-align: right; }
    code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
    .pass { color: var(--ok); font-weight: 600; } .fail { color: var(--fail); font-weight: 600; } .warn { color: var(--warn); font-weight: 600; }
    ul.flags li { margin: 2px 0; }
    .secondary { color: var(--muted); font-size: 13px; margin: 10px 0 0; } ul.identities { font-variant-numeric: tabular-nums; } #calibration-tests td.num { white-space: nowrap; }
    svg .isotonic { fill: none; stroke: var(--focal); stroke-width: 2.5; stroke-linejoin: round; } svg .isotonic-swatch { fill: var(--focal); }
    svg .dec-base { fill: var(--bar); } svg .dec-mcb { fill: var(--over); } svg .dec-dsc { fill: var(--under); }
    #undefined p, #undefined ul { margin: 0; } #undefined ul { padding-left: 20px; font-weight: 400; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; } dt { color: var(--muted); } dd { margin: 0; }
    details { margin: 8px 0; } summary { cursor: pointer; color: var(--muted); }
    footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
    @page { size: A4; margin: 14mm; }
    @media print {
      body { font-size: 11pt; } main { max-width: none; padding: 0; }
      .card, .verdict { background: none; border: 1px solid #ccc; }
      figure, table, .card { break-inside: avoid; } h2 { break-after: avoid; }
      details > *:not(summary) { display: block; }
    }
    """
}
