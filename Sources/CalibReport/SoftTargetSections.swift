public import CalibCore
import CalibInput

/// What the soft-target decomposition (SPEC section 13) says in words, derived
/// once from the engine's `SoftTargetSummary` for every renderer: the share of
/// the cross-entropy that is the targets' own entropy, the model's excess (the
/// KL divergence), and the class carrying the largest part of that excess.
public struct SoftTargetFindings: Sendable, Hashable {
    public let summary: SoftTargetSummary
    /// `entropy / crossEntropy` (NaN when the cross-entropy is 0 or undefined).
    public let entropyShare: Double
    /// The class with the largest KL term (ties to the lowest index); `nil` without classes.
    public let largestExcessClass: Int?
    /// That class's `klTerm / kl` (NaN when the KL is 0).
    public let largestExcessShare: Double
    /// "83% of the cross-entropy (0.245 nats) is the targets' own uncertainty; …".
    public let sentence: String

    public init(_ summary: SoftTargetSummary) {
        self.summary = summary
        entropyShare = summary.crossEntropy > 0 ? summary.entropy / summary.crossEntropy : .nan
        var top: Int?
        for (c, term) in summary.terms.enumerated() where term.klTerm.isFinite {
            if top == nil || term.klTerm > summary.terms[top!].klTerm { top = c }
        }
        largestExcessClass = top
        largestExcessShare = top.map { summary.kl > 0 ? summary.terms[$0].klTerm / summary.kl : .nan } ?? .nan
        let nats = ReportVocabulary.lossDigits
        var text = "\(NumberText.percent(entropyShare, 0)) of the cross-entropy (\(NumberText.fixed(summary.crossEntropy, nats)) nats) is the targets' own uncertainty"
            + " (entropy \(NumberText.fixed(summary.entropy, nats)) nats); the model's excess over them (KL) is \(NumberText.fixed(summary.kl, nats)) nats"
        if let top, summary.kl > 0 {
            let where_ = largestExcessShare > 0.5 ? "most of it" : "the largest part"
            text += ", \(where_) on class '\(summary.terms[top].name)' (\(NumberText.fixed(summary.terms[top].klTerm, nats)) nats, \(NumberText.percent(largestExcessShare, 0)))"
        }
        sentence = text + "."
    }
}

extension ReportSections {
    /// The sentence under the soft-target heading (Markdown, HTML).
    static let softTargetIntro = "The cross-entropy against the soft targets is the targets' own entropy (irreducible: no model can remove it) plus the KL divergence (the model's excess), in nats; each column sums to its total."

    /// The soft-target term table (SPEC section 13): per class the mean
    /// target and prediction and its entropy, cross-entropy and KL terms, then
    /// a total row (the columns sum to the totals); the finding's sentence,
    /// and when the file has no label column the note that the hard metrics
    /// use the targets' argmax, as notes. `nil` without soft targets.
    static func softTargets(_ report: Report) -> ReportTable? {
        guard let findings = report.softTargets else { return nil }
        let s = findings.summary
        let nats = ReportVocabulary.lossDigits
        func value(_ x: Double, _ digits: Int) -> ReportCell { .value(NumberText.fixed(x, digits)) }
        let widths: [Int?] = [16, 8, 11, 10, 11, 10]
        let titles = ["class", "target", "predicted", "entropy", "cross-ent.", "KL"]
        var table = ReportTable(
            columns: zip(titles, widths).enumerated().map { i, column in
                .init(title: .value(column.0), numeric: i > 0, width: column.1)
            },
            rows: s.terms.map { term in
                [.text(term.name), value(term.meanTarget, 3), value(term.meanPredicted, 3),
                 value(term.entropyTerm, nats), value(term.crossEntropyTerm, nats), value(term.klTerm, nats)]
            } + [[.value("total"), value(s.terms.reduce(0) { $0 + $1.meanTarget }, 3), value(s.terms.reduce(0) { $0 + $1.meanPredicted }, 3),
                  value(s.entropy, nats), value(s.crossEntropy, nats), value(s.kl, nats)]])
        table.title = "Soft targets"
        table.detail = "nats; cross-entropy = entropy (irreducible) + KL (the model's)"
        table.notes = [findings.sentence] + (report.input.labelsFromTargets ? [InputSummary.targetArgmaxNote] : [])
        return table
    }
}

extension Charts {
    /// Per class, the cross-entropy term as a stacked horizontal bar: the
    /// entropy term (irreducible) then the KL term (the model's). A class's KL
    /// term is negative where the model gives it more than the targets do (only
    /// the total is never negative); such a term is drawn as no bar, and the
    /// table beside the chart gives its value.
    static func softTargetBars(_ summary: SoftTargetSummary, id: String, limit: Int = 24) -> String {
        let shown = Array(summary.terms.prefix(limit))
        let rowHeight = 26.0
        var svg = SVGWriter(width: 640, height: 90 + rowHeight * Double(shown.count))
        var plot = PlotArea(left: 150, top: 40, width: 460, height: rowHeight * Double(shown.count))
        let largest = shown.map { Swift.max(0, $0.entropyTerm) + Swift.max(0, $0.klTerm) }.filter(\.isFinite).max() ?? 0
        plot.xMax = largest > 0 ? largest : 1
        let ticks = (0...4).map { plot.xMax * Double($0) / 4 }
        svg.legend([("dec-base", "entropy (irreducible)"), ("dec-mcb", "KL (the model's)")], x: plot.left, y: 20)
        plot.drawAxes(&svg, xTicks: ticks, yTicks: [], xFormat: { NumberText.fixed($0, 3) }, yFormat: { _ in "" },
                      xLabel: "cross-entropy term (nats)", yLabel: "")
        for (i, term) in shown.enumerated() {
            let y = plot.top + Double(i) * rowHeight + 4
            let name = term.name.count > 22 ? String(term.name.prefix(21)) + "…" : term.name
            svg.text(name, x: plot.left - 8, y: y + 13, class: "tick", anchor: .end)
            let h = term.entropyTerm.isFinite ? Swift.max(0, term.entropyTerm) : 0
            let kl = term.klTerm.isFinite ? Swift.max(0, term.klTerm) : 0
            svg.rect(x: plot.x(0), y: y, width: plot.x(h) - plot.x(0), height: 18, class: "dec-base",
                     tooltip: "\(term.name) entropy \(NumberText.fixed(term.entropyTerm, ReportVocabulary.lossDigits)) nats")
            svg.rect(x: plot.x(h), y: y, width: plot.x(h + kl) - plot.x(h), height: 18, class: "dec-mcb",
                     tooltip: "\(term.name) KL \(NumberText.fixed(term.klTerm, ReportVocabulary.lossDigits)) nats")
        }
        let more = summary.terms.count > shown.count ? " (first \(shown.count) of \(summary.terms.count) classes)" : ""
        return svg.render(id: id, title: "Cross-entropy per class: entropy (irreducible) + KL (the model's)",
                          description: "Stacked bars per class\(more): the targets' entropy term, then the KL term (a negative KL term, a class the model over-predicts, has no bar).")
    }
}
