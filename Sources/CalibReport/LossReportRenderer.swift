import CalibCore
import CalibInput

/// The `calib losses` report: the input and the imbalance comparison alone,
/// in the same formats and with the same sections as the full audit.
public enum LossReportRenderer {
    public static func terminal(_ report: Report, colour: Bool = false) -> String {
        let i = report.input
        var lines = TerminalLines()
        lines.append(bold: "calib losses · \(i.source)")
        lines.append("\(NumberText.count(i.rows)) rows · \(i.shape.task.rawValue) · \(report.result.classNames.count) classes · \(i.shape.scoreKind.rawValue)")
        if let positive = report.positiveClass { lines.append("positive class '\(positive)'" + (i.positiveClassReason.map { " (\($0))" } ?? "")) }
        for group in UndefinedReasons.grouped(report.findings.undefined) where group.keys.contains(MetricKey.crossEntropy.name) {
            lines.append(wrapped: "losses undefined: \(group.reason)", warning: true)
        }
        lines.append("")
        TerminalRenderer.imbalanceLines(report, into: &lines)
        lines.append("")
        lines.append("Per class (mean loss · loss share · gradient share):")
        for loss in report.result.imbalance.losses {
            lines.append("  " + ReportVocabulary.lossLabel(loss))
            for c in loss.perClass {
                lines.append("    " + NumberText.padRight(TextEscaping.plain(report.result.classNames[c.classIndex]), 24) + NumberText.pad(NumberText.fixed(c.meanLoss, 4), 10)
                    + NumberText.pad(NumberText.percent(c.lossShare), 10) + NumberText.pad(NumberText.percent(c.gradientShare), 10))
            }
        }
        return lines.rendered(colour: colour)
    }

    public static func markdown(_ report: Report) -> String {
        (["# Loss comparison: \(MarkdownRenderer.escape(report.shortName))", ""] + MarkdownRenderer.imbalanceSection(report)).joined(separator: "\n") + "\n"
    }

    public static func html(_ report: Report) -> String {
        let header = "<header><p class=\"kicker\">calib losses</p><h1>\(TextEscaping.html(report.shortName))</h1></header>"
        return HTMLRenderer.page(title: "calib losses · \(report.shortName)", body: ([header] + HTMLRenderer.imbalanceSection(report)).joined(separator: "\n"))
    }

    public static func json(_ report: Report) -> String {
        let full = JSONReportRenderer.document(report)
        guard case let .object(members) = full else { return full.serialized() }
        let keep: Set<String> = ["schemaVersion", "tool", "input", "imbalance"]
        return JSONValue.object(members.filter { keep.contains($0.0) }).serialized()
    }
}
