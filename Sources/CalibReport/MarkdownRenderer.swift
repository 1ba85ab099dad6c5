import CalibCore
import CalibInput

/// GitHub-flavoured Markdown: readable as plain text, tables that render on
/// GitHub and in CI step summaries. Text from the input is escaped so that it
/// can neither break a table nor inject HTML.
public enum MarkdownRenderer {
    public static func render(_ report: Report) -> String {
        let r = report.result
        let i = report.input
        let f = report.findings
        var out: [String] = []
        func text(_ s: String) -> String { escape(s) }

        out.append("# Calibration audit: \(text(report.shortName))")
        out.append("")
        var facts = "**\(NumberText.count(i.rows)) rows** · \(i.shape.task.rawValue) · \(r.classNames.count) classes · \(i.shape.scoreKind.rawValue)"
        if i.weighted { facts += " · weighted by \(text(i.weightColumn ?? ""))" }
        out.append(facts + "  ")
        if let positive = report.positiveClass {
            out.append("Positive class: **\(text(positive))** (\(text(i.positiveClassReason ?? "")))  ")
        }
        if i.labelsFromTargets { out.append("**Labels:** \(InputSummary.targetArgmaxNote).  ") }
        if let method = ReportVocabulary.intervalMethod(r) { out.append(method + ".  ") }
        if let adjustment = report.scoreAdjustment { out.append("**Scores adjusted:** \(text(adjustment)).  ") }
        out.append("Verdict: **\(text(f.verdict))**")
        let undefined = ReportSections.undefinedValues(report)
        if !undefined.rows.isEmpty {
            out.append("")
            out.append("> **\(undefined.title)** (\(undefined.detail)):")
            out += undefined.markdownSentences().map { "> - " + $0 }
        }
        if i.skipped.total > 0 {
            out.append("")
            out.append("> **\(NumberText.count(i.skipped.total)) invalid rows were skipped** (see *Skipped rows*).")
        }
        if !report.gates.isEmpty {
            let failed = report.gates.filter(\.fails).count
            out.append("")
            out.append(failed == 0 ? "> All \(report.gates.count) gates passed." : "> **\(failed) of \(report.gates.count) gates failed.**")
        }
        out.append("")

        out += section(ReportSections.headline(report))
        out += rankingSection(report)
        if let soft = ReportSections.softTargets(report) {
            out += ["## \(soft.title)", "", text(ReportSections.softTargetIntro), ""]
            out += soft.notes.map { text($0) + "  " }
            out.append("")
            var table = soft
            table.notes = []
            out += table.markdown()
            out.append("")
        }
        if let fix = ReportSections.recalibration(report) {
            out.append("## \(fix.title)")
            out.append("")
            out.append("The metrics of the scores as audited and of \(text(fix.detail)).")
            out.append("")
            out += fix.markdown()
            out.append("")
            for note in fix.notes { out.append("- \(text(note))") }
            if !fix.notes.isEmpty { out.append("") }
        }

        out.append("## Per class")
        out.append("")
        out += ReportSections.perClass(report, compact: false).markdown()
        out.append("")

        let positiveMode = r.positiveReliability != nil
        out.append("## Reliability (\(r.eceMode.rawValue), \(r.settings.bins) bins)")
        out.append("")
        out.append(positiveMode
            ? "Each bin compares the mean predicted chance of '\(text(report.positiveClass ?? ""))' with how often it happened. ⚠ marks the bins that contribute most to the ECE."
            : "Each bin compares the mean top-label confidence with the accuracy. ⚠ marks the bins that contribute most to the ECE.")
        out.append("")
        let level = r.bootstrap?.settings.confidence ?? 0.95
        out += ReportSections.reliability(r.headlineReliability, mode: r.eceMode, worst: f.worstBins, compact: false,
                                          intervals: r.bootstrap?.headlineBins, confidence: level).markdown()
        if !f.overconfidentBins.isEmpty {
            out.append("")
            out.append(OverconfidenceFlags.binsHeading)
            out.append("")
            for flag in f.overconfidentBins { out.append("- \(text(flag))") }
        }
        if positiveMode {
            out.append("")
            out.append("<details><summary>Top-label reliability (confidence of the predicted class)</summary>")
            out.append("")
            out += ReportSections.reliability(r.reliability, mode: .topLabel, worst: [], compact: false,
                                              intervals: r.bootstrap?.reliabilityBins, confidence: level).markdown()
            out.append("")
            out.append("</details>")
        }
        out.append("")
        out += calibrationSection(report)

        out.append("## Confusion matrix")
        out.append("")
        out.append("Rows are true classes, columns predicted ones" + (i.weighted ? " (weighted counts)." : "."))
        out.append("")
        out.append("| true \\ predicted | " + r.classNames.map(text).joined(separator: " | ") + " |")
        out.append("|---|" + String(repeating: "---:|", count: r.classNames.count))
        for a in r.classNames.indices {
            out.append("| \(text(r.classNames[a])) | " + r.classNames.indices.map { NumberText.weight(r.confusion[a, $0]) }.joined(separator: " | ") + " |")
        }
        out.append("")

        out += imbalanceSection(report)

        if !report.segments.isEmpty {
            out.append("## Segments by \(text(i.groupColumn ?? ""))")
            out.append("")
            out.append("Worst \(r.eceMode.rawValue) ECE first; segments with fewer than \(NumberText.count(report.minSegmentRows)) rows are listed but not gated or flagged.")
            out.append("")
            out += ReportSections.segments(report, compact: false).markdown()
            let flags = report.segments.compactMap(\.flag)
            if !flags.isEmpty {
                out.append("")
                for flag in flags { out.append("- ⚑ \(text(flag))") }
            }
            out.append("")
        }

        if !r.worstRows.isEmpty { out += section(ReportSections.worstRows(report, compact: false)) }
        if !report.gates.isEmpty { out += section(ReportSections.gates(report)) }
        if i.skipped.total > 0 { out += section(ReportSections.skippedRows(report, compact: false)) }

        out.append("## Input and settings")
        out.append("")
        out.append("| | |")
        out.append("|---|---|")
        out.append("| source | \(text(i.source)) (\(i.format.rawValue)) |")
        out.append("| columns | label \(text(i.labelColumn)); scores " + i.scoreColumns.map(text).joined(separator: ", ")
            + (i.targetColumns.isEmpty ? "" : "; targets " + i.targetColumns.map(text).joined(separator: ", "))
            + (i.weightColumn.map { "; weight \(text($0))" } ?? "") + (i.idColumn.map { "; id \(text($0))" } ?? "") + " |")
        out.append("| classes | " + r.classNames.map(text).joined(separator: ", ") + " |")
        out.append("| bins | \(r.settings.bins) equal-width (lower edge inclusive, last bin closed) |")
        out.append("| threshold | \(NumberText.fixed(r.settings.threshold, 2)) · confident at \(NumberText.fixed(r.settings.confidentAt, 2)) |")
        out.append("| clipped probabilities | \(NumberText.count(r.clippedProbabilities)) |")
        out.append("| intervals | " + (ReportVocabulary.intervalMethod(r) ?? "none (--bootstrap 0)") + " |")
        out.append("")
        out.append("*\(report.tool.name) \(report.tool.version), report schema \(Report.schemaVersion).*")
        return out.joined(separator: "\n") + "\n"
    }

    /// The imbalance section: the finding, priors, ratio and the loss table for the rarest class.
    static func imbalanceSection(_ report: Report) -> [String] {
        let r = report.result
        let f = report.findings
        var out: [String] = []
        func text(_ s: String) -> String { escape(s) }
        out.append("## Imbalance: cross-entropy, weighted cross-entropy and focal loss")
        out.append("")
        out.append(text(f.imbalanceSentence))
        out.append("")
        out.append("Imbalance ratio \(NumberText.fixed(r.imbalance.imbalanceRatio, 1)):1. Priors: " + zip(r.classNames, r.imbalance.priors).map { "\(text($0)) \(NumberText.percent($1, 2))" }.joined(separator: ", ") + ".")
        out.append("")
        out += ReportSections.imbalanceLosses(report, compact: false).markdown()
        out.append("")
        return out
    }

    /// The calibration section: for binary tasks the tests and fits with
    /// their sentences, the estimators, and the CORP decompositions as
    /// identities and a table; for multiclass tasks the estimators only.
    static func calibrationSection(_ report: Report) -> [String] {
        var out = ["## " + ReportSections.calibrationTitle(report), ""]
        let checks = ReportSections.calibrationChecks(report, compact: false)
        if !checks.rows.isEmpty { out += [escape(ReportSections.calibrationTestsIntro), ""] + checks.markdown() + [""] }
        let estimators = ReportSections.calibrationEstimators(report, compact: false)
        // Multiclass: the estimators are the whole section, under its own heading.
        if !checks.rows.isEmpty { out += ["### " + estimators.title, ""] }
        out += [escape(ReportSections.estimatorsIntro(report)), ""] + estimators.markdown() + [""]
        let decomposition = ReportSections.decomposition(report, compact: false)
        if !decomposition.rows.isEmpty {
            let identities = report.findings.calibration.decompositions.map { TextEscaping.markdown($0.identity) }
            out += ["### " + decomposition.title, "", escape(ReportSections.decompositionIntro), ""] + identities.map { "- " + $0 } + [""]
                + decomposition.markdown() + [""]
        }
        return out
    }

    /// The ranking section, when the audit was asked for ranking: what is
    /// ranked and the headline values as a paragraph (with the reason of an
    /// undefined one), the sketch's bound as a quote, then for binary tasks the
    /// operating points' table and the cost paragraph.
    static func rankingSection(_ report: Report) -> [String] {
        guard let summary = ReportSections.rankingSummary(report) else { return [] }
        var out = ["## " + summary.title, "", summary.markdownSentences().joined(separator: " "), ""]
        if let sketch = ReportSections.rankingSketchSentence(report) { out += ["> " + sketch, ""] }
        let points = ReportSections.operatingPoints(report)
        if !points.rows.isEmpty { out += points.markdown() + [""] }
        if let cost = ReportSections.costSummary(report) { out += [cost.markdownSentences().joined(separator: " "), ""] }
        return out
    }

    /// A section: its title as a level-2 heading, its table, and its notes as paragraphs.
    static func section(_ table: ReportTable) -> [String] {
        ["## " + table.title, ""] + table.markdown() + [""] + table.notes.flatMap { [$0, ""] }
    }

    /// Text for a GFM table cell or paragraph (``TextEscaping/markdown(_:)``).
    public static func escape(_ s: String) -> String { TextEscaping.markdown(s) }
}

extension MarkdownRenderer {
    /// The comparison table for several inputs audited in one call (values
    /// with their intervals when the audits have them). Each
    /// `link` is the file name of that input's report in the index's folder (or
    /// `#` for this page); it becomes a relative, percent-encoded `./` target
    /// (``TextEscaping/markdownLinkTarget(_:)``), never a scheme or raw HTML.
    /// A `--report-dir` `index.md` that lists its pages: `command` as its
    /// title, one link per page named by `name`, followed by `": note"` when there is one.
    static func linkIndex(command: String, pages: [(name: String, link: String, note: String?)]) -> String {
        var out = ["# \(command)", ""]
        for page in pages {
            out.append("- [\(TextEscaping.markdown(page.name))](\(TextEscaping.markdownLinkTarget(page.link)))" + (page.note.map { ": \(TextEscaping.markdown($0))" } ?? ""))
        }
        return out.joined(separator: "\n") + "\n"
    }

    public static func renderIndex(_ entries: [(report: Report, link: String)]) -> String {
        var out = ["# Calibration audit: \(entries.count) inputs", "",
                   "| input | rows | task | cross-entropy | log-loss skill | accuracy | ECE | ECE mode | MCE | gates |",
                   "|---|---:|---|---:|---:|---:|---:|---|---:|---|"]
        for entry in entries {
            let r = entry.report.result
            let failed = entry.report.gates.filter(\.fails).count
            let gates = entry.report.gates.isEmpty ? "—" : failed == 0 ? "✅ pass" : "❌ \(failed) failed"
            out.append("| [\(escape(entry.report.shortName))](\(TextEscaping.markdownLinkTarget(entry.link))) | \(NumberText.count(r.rows)) | \(r.task.rawValue) | \(ReportVocabulary.formatted(.crossEntropy, in: r)) | \(ReportVocabulary.percent(.logLossSkill, in: r)) | \(ReportVocabulary.formatted(.accuracy, in: r)) | \(ReportVocabulary.formatted(.ece, in: r)) | \(r.eceMode.rawValue) | \(ReportVocabulary.formatted(.mce, in: r)) | \(gates) |")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
