import CalibCore
import CalibInput

/// The terminal summary: headline metrics, the calibration tests, estimators
/// and decompositions, the ranking block when the audit computed it, per-class table, the worst bins,
/// the imbalance comparison for the rarest class, skipped rows and gates,
/// every line at most 80 columns. Colour only when asked (a TTY without `NO_COLOR`).
public enum TerminalRenderer {
    public static let width = 80

    public static func render(_ report: Report, colour: Bool = false) -> String {
        let r = report.result
        let i = report.input
        var lines = TerminalLines()

        lines.append(bold: "calib audit · \(i.source)")
        var what = "\(NumberText.count(i.rows)) rows · \(i.shape.task.rawValue) · \(r.classNames.count) classes · \(i.shape.scoreKind.rawValue)"
        if i.weighted { what += " · weighted" }
        lines.append(what)
        if let positive = report.positiveClass {
            lines.append("positive class '\(positive)'" + (i.positiveClassReason.map { " (\($0))" } ?? ""))
        }
        if let adjustment = report.scoreAdjustment { lines.append(wrapped: "scores adjusted: " + adjustment, warning: true) }
        if i.skipped.total > 0 {
            lines.append(warning: "skipped \(NumberText.count(i.skipped.total)) invalid rows (see below)")
        }
        if i.labelsFromTargets { lines.append(wrapped: InputSummary.targetArgmaxNote, warning: true) }
        if let method = ReportVocabulary.intervalMethod(r) { lines.append(method) }
        if r.clippedProbabilities > 0 {
            lines.append("\(NumberText.count(r.clippedProbabilities)) rows had a true-class probability below 2.2e-16 (clipped)")
        }
        for sentence in ReportSections.undefinedValues(report).terminalSentenceTexts() { lines.append(wrapped: "undefined: " + sentence, warning: true) }
        lines.append("")

        for group in ReportSections.headlineGroups(report) { wrappedSection(group, into: &lines) }
        calibrationLines(report, into: &lines)
        if let ranking = ReportSections.rankingCompact(report) { wrappedSection(ranking, into: &lines) }
        lines.append("")
        if let soft = ReportSections.softTargets(report) {
            lines.append(bold: soft.title, " (\(soft.detail))")
            var table = soft
            table.notes = []
            table.terminalLines(into: &lines)
            for note in soft.notes { lines.append(wrapped: note) }
            lines.append("")
        }

        lines.append(bold: "Per class")
        ReportSections.perClass(report, compact: true).terminalLines(into: &lines)
        if let intervals = ReportSections.perClassIntervals(report) {
            lines.append("  " + intervals.title + ":")
            intervals.terminalLines(into: &lines)
        }
        for flag in report.findings.overconfidentBins.prefix(3) { lines.append(wrapped: "⚑ " + flag) }
        lines.append("")

        section(ReportSections.reliability(r.headlineReliability, mode: r.eceMode, worst: report.findings.worstBins, compact: true,
                                           intervals: r.bootstrap?.headlineBins, confidence: r.bootstrap?.settings.confidence ?? 0.95), into: &lines)
        lines.append("")

        imbalanceLines(report, into: &lines)

        if var fix = ReportSections.recalibration(report) {
            lines.append("")
            lines.append(bold: fix.title)
            lines.append(wrapped: fix.detail)
            let notes = fix.notes
            fix.notes = []
            fix.terminalLines(into: &lines)
            for note in notes { lines.append(wrapped: note) }
        }

        if !report.segments.isEmpty {
            lines.append("")
            lines.append(bold: "Segments", " by '\(i.groupColumn ?? "")', worst ECE first (≥ \(NumberText.count(report.minSegmentRows)) rows gated)")
            ReportSections.segments(report, compact: true).terminalLines(into: &lines)
            for s in report.segments where s.flag != nil { lines.append(wrapped: "⚑ " + s.flag!) }
        }

        if !r.worstRows.isEmpty {
            lines.append("")
            section(ReportSections.worstRows(report, compact: true), into: &lines)
        }
        if i.skipped.total > 0 {
            lines.append("")
            let skipped = ReportSections.skippedRows(report, compact: true)
            lines.append(warning: "\(skipped.title): \(NumberText.count(i.skipped.total))")
            skipped.terminalSentences(into: &lines)
        }
        if !report.gates.isEmpty {
            lines.append("")
            let gates = ReportSections.gates(report)
            lines.append(bold: gates.title)
            gates.terminalSentences(into: &lines, wrap: true)
        }
        return lines.rendered(colour: colour)
    }

    /// A section: its title in bold, the detail in parentheses, then its table or sentences.
    static func section(_ table: ReportTable, into lines: inout TerminalLines) {
        lines.append(bold: table.title, table.detail.isEmpty ? "" : " (\(table.detail))")
        table.terminalLines(into: &lines)
    }

    /// A section of sentences: its title in bold, the detail in parentheses,
    /// then each sentence on a line of its own, wrapped (indented by two) when
    /// wider than the terminal.
    static func wrappedSection(_ table: ReportTable, into lines: inout TerminalLines) {
        lines.append(bold: table.title, table.detail.isEmpty ? "" : " (\(table.detail))")
        for sentence in table.terminalSentenceTexts() {
            if TextEscaping.plainLine("  " + sentence).count <= width { lines.append("  " + sentence) } else { lines.append(wrapped: sentence) }
        }
    }

    /// The calibration tests (binary), the four estimators and the CORP
    /// decompositions (binary), each a titled block of sentences.
    static func calibrationLines(_ report: Report, into lines: inout TerminalLines) {
        let checks = ReportSections.calibrationChecks(report, compact: true)
        if !checks.rows.isEmpty {
            // A test's sentence wider than the terminal goes on under a hanging indent of four.
            lines.append(bold: checks.title, " (\(checks.detail))")
            for sentence in checks.terminalSentenceTexts() {
                let wrapped = TextWrap.wrap(sentence, width: width, indent: "    ")
                for (i, line) in wrapped.enumerated() { lines.append(i == 0 ? "  " + line.dropFirst(4) : line) }
            }
        }
        wrappedSection(ReportSections.calibrationEstimators(report, compact: true), into: &lines)
        let decomposition = ReportSections.decomposition(report, compact: true)
        if !decomposition.rows.isEmpty { wrappedSection(decomposition, into: &lines) }
    }

    /// The imbalance section: priors, ratio, the loss table for the rarest class and the finding.
    static func imbalanceLines(_ report: Report, into lines: inout TerminalLines) {
        let r = report.result
        let rare = report.rarestClass
        let rareName = r.classNames[rare]
        lines.append(bold: "Imbalance", " (ratio \(NumberText.fixed(r.imbalance.imbalanceRatio, 1)):1; rarest class '\(rareName)', \(NumberText.percent(r.perClass[rare].prior)) of rows)")
        ReportSections.imbalanceLosses(report, compact: true).terminalLines(into: &lines)
        lines.append(wrapped: report.findings.imbalanceSentence)
    }

    /// The table closing a batch run: one line per input with its headline
    /// metrics and gate verdict, in 80 columns, names escaped and cut.
    public static func batchSummary(_ reports: [Report], failedInputs: Int) -> String {
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            let cut = s.count > width - 1 ? String(s.prefix(width - 2)) + "…" : s
            let space = String(repeating: " ", count: Swift.max(0, width - cut.count))
            return left ? cut + space : space + cut
        }
        var lines = TerminalLines()
        lines.append("Summary: \(reports.count) inputs audited" + (failedInputs > 0 ? ", \(failedInputs) could not be read" : ""))
        lines.append("  " + pad("input", 26, left: true) + pad("rows", 11) + pad("CE", 8) + pad("ECE", 8) + pad("accuracy", 10) + "  gates")
        for report in reports {
            let r = report.result
            let failed = report.gates.filter(\.fails).count
            let warned = report.gates.filter { !$0.passed && $0.severity == .warning }.count
            let gates = report.gates.isEmpty ? "—" : failed > 0 ? "FAIL \(failed)/\(report.gates.count)" : warned > 0 ? "pass, \(warned) warn" : "pass"
            // Escape before padding, so the column keeps its width.
            lines.append("  " + pad(TextEscaping.plain(report.shortName), 26, left: true) + pad(NumberText.count(r.rows), 11) + pad(ReportVocabulary.formatted(.crossEntropy, in: r.metrics), 8)
                + pad(ReportVocabulary.formatted(.ece, in: r.metrics), 8) + pad(ReportVocabulary.formatted(.accuracy, in: r.metrics), 10) + "  " + gates)
        }
        return lines.rendered(colour: false)
    }
}

/// The lines of a terminal or `.txt` report, escaped, cut and coloured in one
/// place: every line goes through ``TextEscaping/plainLine(_:)`` (no control
/// character or workflow command from the input reaches the terminal), is cut
/// to ``TerminalRenderer/width`` columns with "…" (colour or not: escape codes
/// do not count), and a styled head is coloured only when asked.
struct TerminalLines {
    enum Style { case bold, warning }
    private var lines: [(head: String, tail: String, style: Style?)] = []

    /// A plain line.
    mutating func append(_ text: String) { lines.append((text, "", nil)) }
    /// A line whose head is bold.
    mutating func append(bold head: String, _ tail: String = "") { lines.append((head, tail, .bold)) }
    /// A line in the warning colour.
    mutating func append(warning text: String) { lines.append((text, "", .warning)) }
    /// A paragraph wrapped to the width, indented by two spaces.
    mutating func append(wrapped text: String, warning: Bool = false) {
        for line in TextWrap.wrap(text, width: TerminalRenderer.width) { lines.append((line, "", warning ? .warning : nil)) }
    }

    func rendered(colour: Bool) -> String {
        lines.map { line in
            let head = TextEscaping.plainLine(line.head)
            var text = TextEscaping.plainLine(head + TextEscaping.plain(line.tail))
            if text.count > TerminalRenderer.width { text = String(text.prefix(TerminalRenderer.width - 1)) + "…" }
            guard colour, let style = line.style else { return text }
            let styled = text.prefix(head.count)
            let code = style == .bold ? "\u{1B}[1m" : "\u{1B}[33m"
            return code + styled + "\u{1B}[0m" + text.dropFirst(styled.count)
        }.joined(separator: "\n") + "\n"
    }
}
