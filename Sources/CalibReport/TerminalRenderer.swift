import CalibCore
import CalibInput

/// The terminal summary: headline metrics, per-class table, the worst bins,
/// the imbalance comparison for the rarest class, skipped rows and gates,
/// every line at most 80 columns. Colour only when asked (a TTY without `NO_COLOR`).
public enum TerminalRenderer {
    public static let width = 80

    public static func render(_ report: Report, colour: Bool = false) -> String {
        let r = report.result
        let m = r.metrics
        let i = report.input
        var lines: [String] = []
        func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
        func warn(_ s: String) -> String { colour ? "\u{1B}[33m\(s)\u{1B}[0m" : s }

        lines.append(bold("calib audit · \(i.source)"))
        var what = "\(NumberText.count(i.rows)) rows · \(i.shape.task.rawValue) · \(r.classNames.count) classes · \(i.shape.scoreKind.rawValue)"
        if i.weighted { what += " · weighted" }
        lines.append(what)
        if let positive = report.positiveClass {
            lines.append("positive class '\(positive)'" + (i.positiveClassReason.map { " (\($0))" } ?? ""))
        }
        if i.skipped.total > 0 {
            lines.append(warn("skipped \(NumberText.count(i.skipped.total)) invalid rows (see below)"))
        }
        if r.clippedProbabilities > 0 {
            lines.append("\(NumberText.count(r.clippedProbabilities)) rows had a true-class probability below 2.2e-16 (clipped)")
        }
        lines.append("")

        lines.append(bold("Loss"))
        lines.append("  cross-entropy   \(NumberText.fixed(m.crossEntropy, 4)) nats  (\(NumberText.fixed(m.crossEntropyBits, 4)) bits, perplexity \(NumberText.fixed(m.perplexity, 3)))")
        lines.append("  prior CE        \(NumberText.fixed(m.priorCrossEntropy, 4)) nats  log-loss skill \(NumberText.percent(m.logLossSkill)) \(m.logLossSkill >= 0 ? "(beats the base rate)" : "(worse than the base rate)")")
        lines.append("  Brier           \(NumberText.fixed(m.brier, 4))")
        lines.append(bold("Decisions") + (i.shape.task == .binary ? " (threshold \(NumberText.fixed(r.settings.threshold, 2)))" : " (argmax)"))
        lines.append("  accuracy \(NumberText.fixed(m.accuracy, 4))  balanced \(NumberText.fixed(m.balancedAccuracy, 4))  MCC \(NumberText.fixed(m.mcc, 4))")
        lines.append("  macro P/R/F1 \(NumberText.fixed(m.macro.precision, 3))/\(NumberText.fixed(m.macro.recall, 3))/\(NumberText.fixed(m.macro.f1, 3))   weighted F1 \(NumberText.fixed(m.weighted.f1, 3))")
        lines.append(bold("Calibration") + " (\(r.settings.bins) bins; headline: \(r.eceMode.rawValue) ECE)")
        lines.append("  ECE \(NumberText.fixed(m.ece, 4))  MCE \(NumberText.fixed(m.mce, 4))  top-label ECE \(NumberText.fixed(m.topLabelECE, 4))  classwise \(NumberText.fixed(m.classwiseECE, 4))")
        lines.append("  over-confidence \(NumberText.fixed(m.overconfidence, 4))  under \(NumberText.fixed(m.underconfidence, 4))  mean confidence \(NumberText.fixed(m.meanConfidence, 3))")
        var tail = "  wrong when ≥ \(NumberText.fixed(r.settings.confidentAt, 2)) confident: \(NumberText.percent(m.confidentErrorRate))"
        if let citl = m.calibrationInTheLarge { tail += "  mean score − positive rate \(NumberText.signed(citl, 4))" }
        lines.append(tail)
        lines.append("  verdict: \(report.findings.verdict)")
        lines.append("")

        lines.append(bold("Per class"))
        lines.append("  " + NumberText.padRight("class", 16) + NumberText.pad("support", 10) + NumberText.pad("prior", 8)
            + NumberText.pad("prec", 7) + NumberText.pad("recall", 8) + NumberText.pad("F1", 7) + NumberText.pad("ECE", 8) + NumberText.pad("CE", 8))
        let shownClasses = r.perClass.count <= 12 ? Array(r.perClass.indices) : Array(r.perClass.indices.sorted { r.perClass[$0].support < r.perClass[$1].support }.prefix(12))
        for c in shownClasses {
            let pc = r.perClass[c]
            lines.append("  " + NumberText.padRight(pc.name, 16) + NumberText.pad(NumberText.weight(pc.support), 10)
                + NumberText.pad(NumberText.percent(pc.prior), 8) + NumberText.pad(NumberText.fixed(pc.precision, 3), 7)
                + NumberText.pad(NumberText.fixed(pc.recall, 3), 8) + NumberText.pad(NumberText.fixed(pc.f1, 3), 7)
                + NumberText.pad(NumberText.fixed(pc.ece, 4), 8) + NumberText.pad(NumberText.fixed(pc.crossEntropy, 3), 8))
        }
        if shownClasses.count < r.perClass.count { lines.append("  … \(r.perClass.count - shownClasses.count) more classes in the JSON report") }
        for flag in report.findings.overconfidentBins.prefix(3) { lines += TextWrap.wrap("⚑ " + flag, width: width) }
        lines.append("")

        let headline = r.headlineReliability
        let worst = report.findings.worstBins
        let predictedWord = r.eceMode == .positiveClass ? "predicted" : "confidence"
        let observedWord = r.eceMode == .positiveClass ? "observed" : "accuracy"
        lines.append(bold("Worst bins") + " (largest share of the \(r.eceMode.rawValue) ECE)")
        for b in worst.sorted() {
            let bin = headline.bins[b]
            lines.append("  \(NumberText.fixed(bin.lower, 2))–\(NumberText.fixed(bin.upper, 2))  \(NumberText.pad(NumberText.count(bin.count), 9)) rows  \(predictedWord) \(NumberText.fixed(bin.meanPredicted, 3))  \(observedWord) \(NumberText.fixed(bin.observedRate, 3))  gap \(NumberText.signed(bin.gap, 3))")
        }
        lines.append("")

        lines += imbalanceLines(report, bold: bold)

        if !report.segments.isEmpty {
            lines.append("")
            lines.append(bold("Segments") + " by '\(i.groupColumn ?? "")', worst ECE first (≥ \(NumberText.count(report.minSegmentRows)) rows gated)")
            lines.append("  " + NumberText.padRight("segment", 22) + NumberText.pad("rows", 10) + NumberText.pad("CE", 9) + NumberText.pad("accuracy", 10) + NumberText.pad("ECE", 9) + NumberText.pad("MCE", 9) + "  flag")
            for s in report.segments.prefix(10) {
                let m = s.result.metrics
                lines.append("  " + NumberText.padRight(s.name, 22) + NumberText.pad(NumberText.count(s.result.rows), 10) + NumberText.pad(NumberText.fixed(m.crossEntropy, 4), 9)
                    + NumberText.pad(NumberText.fixed(m.accuracy, 4), 10) + NumberText.pad(NumberText.fixed(m.ece, 4), 9) + NumberText.pad(NumberText.fixed(m.mce, 4), 9)
                    + "  " + (!s.gated ? "small" : s.flag != nil ? "⚑ over" : ""))
            }
            if report.segments.count > 10 { lines.append("  … \(report.segments.count - 10) more segments in the JSON report") }
            for s in report.segments where s.flag != nil { lines += TextWrap.wrap("⚑ " + s.flag!, width: width) }
        }

        if !r.worstRows.isEmpty {
            lines.append("")
            lines.append(bold("Most confidently wrong rows"))
            for row in r.worstRows {
                var text = "  line \(row.line)"
                if let id = row.id { text += " (id \(id))" }
                text += ": label \(r.classNames[row.label]), predicted \(r.classNames[row.predicted]) at \(NumberText.fixed(row.confidence, 4)), CE \(NumberText.fixed(row.crossEntropy, 2))"
                lines.append(text)
            }
        }

        if i.skipped.total > 0 {
            lines.append("")
            lines.append(warn("Skipped rows: \(NumberText.count(i.skipped.total))"))
            for reason in i.skipped.reasons {
                lines.append("  \(reason.code): \(NumberText.count(reason.count))")
                for example in reason.examples.prefix(2) { lines.append("    \(example.message)") }
            }
        }
        if !report.gates.isEmpty {
            lines.append("")
            lines.append(bold("Gates"))
            for g in report.gates {
                let verdict = g.passed ? "pass" : g.severity == .warning ? "WARN" : "FAIL"
                lines.append("  \(verdict)  \(g.expression)  (value \(g.value.map { NumberText.fixed($0, 4) } ?? "undefined"), threshold \(NumberText.fixed(g.threshold, 4)))")
            }
        }
        return lines.map { clip($0, colour: colour) }.joined(separator: "\n") + "\n"
    }

    /// The imbalance section: priors, ratio, the loss table for the rarest class and the finding.
    static func imbalanceLines(_ report: Report, bold: (String) -> String) -> [String] {
        let r = report.result
        var lines: [String] = []
        let rare = report.rarestClass
        let rareName = r.classNames[rare]
        lines.append(bold("Imbalance") + " (ratio \(NumberText.fixed(r.imbalance.imbalanceRatio, 1)):1; rarest class '\(rareName)', \(NumberText.percent(r.perClass[rare].prior)) of rows)")
        lines.append("  " + NumberText.padRight("loss", 40) + NumberText.pad("value", 10) + NumberText.pad("loss share", 13) + NumberText.pad("grad share", 13))
        for loss in r.imbalance.losses {
            let share = loss.perClass[rare]
            lines.append("  " + NumberText.padRight(lossLabel(loss), 40) + NumberText.pad(NumberText.fixed(loss.value, 4), 10)
                + NumberText.pad(NumberText.percent(share.lossShare), 13) + NumberText.pad(NumberText.percent(share.gradientShare), 13))
        }
        lines += TextWrap.wrap(report.findings.imbalanceSentence, width: width)
        return lines
    }

    static func lossLabel(_ loss: LossEvaluation) -> String {
        switch loss.specification {
        case .crossEntropy: "cross-entropy"
        case let .weightedCrossEntropy(w):
            switch w {
            case .inverseFrequency: "weighted CE (inverse frequency)"
            case let .effectiveNumber(beta): "weighted CE (effective number, β=\(beta))"
            case .given: "weighted CE (given weights)"
            }
        case .focal:
            "focal (γ=\(short(loss.parameters.first { $0.key == "gamma" })), α=\(short(loss.parameters.first { $0.key == "alpha" })))"
        case let .labelSmoothing(epsilon): "label smoothing (ε=\(epsilon))"
        }
    }

    private static func short(_ p: LossParameter?) -> String { ReportFindings.parameterText(p) }

    /// Cuts a line to the width (escape codes do not count).
    private static func clip(_ line: String, colour: Bool) -> String {
        guard !colour, line.count > width else { return line }
        return String(line.prefix(width - 1)) + "…"
    }
}
