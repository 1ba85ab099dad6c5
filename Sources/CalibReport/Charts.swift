import CalibCore

/// The report's charts, drawn from the report model only.
enum Charts {
    static let unitTicks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]

    /// A round tick step (1, 2 or 5 × 10^k) at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw && magnitude > 1e-12 { magnitude /= 10 }
        for factor in [1.0, 2, 5, 10] where factor * magnitude >= raw { return factor * magnitude }
        return 10 * magnitude
    }

    static func short(_ x: Double) -> String {
        if x >= 1_000_000 { return NumberText.fixed(x / 1_000_000, 1) + "M" }
        if x >= 10_000 { return NumberText.fixed(x / 1000, 0) + "k" }
        if x >= 1000 { return NumberText.fixed(x / 1000, 1) + "k" }
        return x == x.rounded() ? String(Int(x)) : NumberText.fixed(x, 1)
    }

    /// Reliability diagram: per non-empty bin the observed rate (bar) against the
    /// diagonal, the gap to the mean prediction shaded (over- and under-confidence
    /// in different colours), a mark at (mean predicted, observed), and the rows
    /// per bin as a histogram strip below. With `intervals` (per bin, the
    /// interval of the observed rate, SPEC section 10) each bin that has one
    /// gets a whisker through its mark, from the lower to the upper bound with
    /// caps (`polyline.whisker`, one per bin), and the mark's tooltip quotes it.
    /// The positive-class diagram of a binary task (`isotonic` not `nil`) and
    /// every diagram with intervals have their legend on two rows; the former
    /// overlays the isotonic (CORP) recalibration as a step line when the
    /// curve has steps (`isotonicSteps`).
    static func reliability(_ table: ReliabilityTable, id: String, title: String, predicted: String, observed: String, worst: [Int],
                            isotonic: [IsotonicStep]? = nil, intervals: [MetricInterval?]? = nil, confidence: Double = 0.95) -> String {
        let curve = isotonic ?? []
        let twoRows = isotonic != nil || intervals != nil
        let level = "\(ReportVocabulary.share(confidence)) interval"
        var svg = SVGWriter(width: 640, height: twoRows ? 488 : 470)
        let plot = PlotArea(left: 70, top: twoRows ? 64 : 46, width: 540, height: 290)
        if !twoRows {
            svg.legend([("bar", observed), ("gap-over", "over-confident gap"), ("gap-under", "under-confident gap"), ("diag-swatch", "perfect calibration")], x: plot.left, y: 22)
        } else {
            svg.legend([("bar", observed), ("gap-over", "over-confident gap"), ("gap-under", "under-confident gap")], x: plot.left, y: 22)
            svg.legend([("diag-swatch", "perfect calibration")] + (curve.isEmpty ? [] : [("isotonic-swatch", "isotonic (CORP) recalibration")])
                       + (intervals == nil ? [] : [("whisker-swatch", level)]), x: plot.left, y: 42)
        }
        plot.drawAxes(&svg, xTicks: unitTicks, yTicks: unitTicks, xFormat: { NumberText.fixed($0, 1) }, yFormat: { NumberText.fixed($0, 1) },
                      xLabel: predicted, yLabel: observed, xLabelOffset: 118)
        svg.line(x1: plot.x(0), y1: plot.y(0), x2: plot.x(1), y2: plot.y(1), class: "diag")
        let strip = PlotArea(left: plot.left, top: plot.bottom + 30, width: plot.width, height: 56)
        let maxCount = Double(table.bins.map(\.count).max() ?? 1)
        var whiskers = 0
        for (b, bin) in table.bins.enumerated() {
            let x0 = plot.x(bin.lower) + 1.5, x1 = plot.x(bin.upper) - 1.5
            if bin.count > 0 {
                let h = Swift.max(1.5, Double(bin.count) / Swift.max(1, maxCount) * strip.height)
                svg.rect(x: x0, y: strip.bottom - h, width: x1 - x0, height: h, class: "count-bar", tooltip: "\(NumberText.count(bin.count)) rows")
                svg.text(short(Double(bin.count)), x: (x0 + x1) / 2, y: strip.bottom - h - 3, class: "count", anchor: .middle)
            }
            guard let mean = bin.meanPredicted, let rate = bin.observedRate else { continue }
            let interval = intervals.flatMap { b < $0.count ? $0[b] : nil }
            let shown = NumberText.interval(rate, interval, 3)
            let tip = "\(NumberText.fixed(bin.lower, 2))–\(NumberText.fixed(bin.upper, 2)): \(NumberText.count(bin.count)) rows, \(predicted) \(NumberText.fixed(mean, 3)), \(observed) \(shown)"
            svg.rect(x: x0, y: plot.y(rate), width: x1 - x0, height: plot.y(0) - plot.y(rate), class: "bar")
            let top = Swift.max(mean, rate), bottom = Swift.min(mean, rate)
            svg.rect(x: x0, y: plot.y(top), width: x1 - x0, height: plot.y(bottom) - plot.y(top), class: mean > rate ? "gap-over" : "gap-under")
            if let interval {
                // An I-beam through the mark: the upper cap, the stem, the lower cap.
                let x = plot.x(mean), cap = Swift.min(4, Swift.max(1.5, (x1 - x0) / 4))
                let high = plot.y(interval.upper), low = plot.y(interval.lower)
                svg.polyline([(x - cap, high), (x + cap, high), (x, high), (x, low), (x - cap, low), (x + cap, low)], class: "whisker")
                whiskers += 1
            }
            svg.circle(cx: plot.x(mean), cy: plot.y(rate), r: worst.contains(b) ? 5 : 3.5, class: worst.contains(b) ? "mark worst" : "mark", tooltip: tip, attributes: [("data-bin", String(b))])
        }
        if !curve.isEmpty { svg.polyline(isotonicSteps(curve).map { (plot.x($0.0), plot.y($0.1)) }, class: "isotonic") }
        svg.line(x1: strip.left, y1: strip.bottom, x2: strip.right, y2: strip.bottom, class: "axis")
        svg.text("rows", x: strip.left - 8, y: strip.bottom - 4, class: "tick", anchor: .end)
        let nonEmpty = table.bins.filter { !$0.isEmpty }.count
        let overlay = curve.isEmpty ? "" : "; the isotonic (CORP) recalibration as a step line of \(curve.count) steps"
        let whiskerText = intervals == nil ? "" : "; \(whiskers) bins with the \(level) of the \(observed) as a whisker"
        return svg.render(id: id, title: title,
            description: "Reliability diagram over \(table.bins.count) bins (\(nonEmpty) non-empty): \(observed) against \(predicted); ECE \(NumberText.fixed(table.expectedCalibrationError, 4))\(overlay)\(whiskerText).")
    }

    /// The isotonic curve as the corners of a step line, in score units
    /// clamped to [0, 1]: each step's value from its lowest score to the next
    /// step's lowest (the last to its own highest), joined by vertical risers.
    static func isotonicSteps(_ curve: [IsotonicStep]) -> [(Double, Double)] {
        func clamp(_ x: Double) -> Double { Swift.min(1, Swift.max(0, x)) }
        var corners: [(Double, Double)] = []
        for (i, step) in curve.enumerated() {
            let end = i + 1 < curve.count ? curve[i + 1].lowest : step.highest
            corners.append((clamp(step.lowest), clamp(step.value)))
            corners.append((clamp(end), clamp(step.value)))
        }
        return corners
    }

    /// The CORP decompositions as stacked bars, one pair per score on its own
    /// scale: the score `S = (UNC − DSC) + MCB` and the base rate's score
    /// `UNC = (UNC − DSC) + DSC`, sharing the recalibrated score `UNC − DSC`;
    /// each bar's values written beside it.
    static func decomposition(_ readings: [DecompositionReading], id: String) -> String {
        let group = 76.0
        var svg = SVGWriter(width: 640, height: 50 + group * Double(readings.count))
        svg.legend([("dec-base", "recalibrated score (UNC − DSC)"), ("dec-mcb", "miscalibration (MCB)"), ("dec-dsc", "discrimination (DSC)")], x: 70, y: 20)
        let left = 160.0, width = 230.0
        func f(_ x: Double) -> String { NumberText.fixed(x, 4) }
        for (i, r) in readings.enumerated() {
            let v = r.values
            let top = 40 + group * Double(i)
            let scale = width / Swift.max(v.score, v.uncertainty, Double.leastNormalMagnitude)
            let base = Swift.max(0, r.recalibrated)
            svg.text(r.label, x: 70, y: top + 12, class: "axis-title")
            for (row, (words, part, partClass, total, sentence)) in [
                ("score", v.miscalibration, "dec-mcb", v.score, "\(f(v.score)) = \(f(r.recalibrated)) + MCB \(f(v.miscalibration))"),
                ("base rate (UNC)", v.discrimination, "dec-dsc", v.uncertainty, "UNC \(f(v.uncertainty)) = \(f(r.recalibrated)) + DSC \(f(v.discrimination))"),
            ].enumerated() {
                let y = top + 20 + Double(row) * 24
                svg.text(words, x: left - 8, y: y + 13, class: "tick", anchor: .end)
                svg.rect(x: left, y: y, width: base * scale, height: 17, class: "dec-base", tooltip: "\(r.label): recalibrated score \(f(r.recalibrated))",
                         attributes: [("data-part", "recalibrated"), ("data-value", "\(r.recalibrated)")])
                svg.rect(x: left + base * scale, y: y, width: Swift.max(0, part) * scale, height: 17, class: partClass,
                         tooltip: "\(r.label): \(partClass == "dec-mcb" ? "MCB" : "DSC") \(f(part))",
                         attributes: [("data-part", partClass == "dec-mcb" ? "miscalibration" : "discrimination"), ("data-value", "\(part)"), ("data-total", "\(total)")])
                svg.text(sentence, x: left + width + 10, y: y + 13, class: "note")
            }
        }
        return svg.render(id: id, title: "CORP decomposition",
            description: readings.map(\.identity).joined(separator: "; ") + ". Each score is the recalibrated score plus MCB; the base rate's score is the recalibrated score plus DSC.")
    }

    /// Confidence histogram: the weight of right and wrong predictions per top-label confidence bin.
    static func confidenceHistogram(_ table: ReliabilityTable, _ histogram: [(correct: Double, wrong: Double)], id: String) -> String {
        var svg = SVGWriter(width: 640, height: 330)
        let maxTotal = histogram.map { $0.correct + $0.wrong }.max() ?? 1
        var plot = PlotArea(left: 70, top: 40, width: 540, height: 230)
        let step = niceStep(Swift.max(maxTotal, 1) / 4)
        plot.yMax = (Swift.max(maxTotal, 1) / step).rounded(.up) * step
        svg.legend([("correct", "right"), ("wrong", "wrong")], x: plot.left, y: 20)
        let yTicks = stride(from: 0.0, through: plot.yMax + step / 2, by: step).map { $0 }
        plot.drawAxes(&svg, xTicks: unitTicks, yTicks: yTicks, xFormat: { NumberText.fixed($0, 1) }, yFormat: short, xLabel: "top-label confidence", yLabel: "rows (weighted)")
        for (b, bin) in table.bins.enumerated() where bin.weight > 0 {
            let x0 = plot.x(bin.lower) + 1.5, x1 = plot.x(bin.upper) - 1.5
            let (right, wrong) = histogram[b]
            svg.rect(x: x0, y: plot.y(right), width: x1 - x0, height: plot.y(0) - plot.y(right), class: "correct", tooltip: "\(short(right)) right")
            svg.rect(x: x0, y: plot.y(right + wrong), width: x1 - x0, height: plot.y(right) - plot.y(right + wrong), class: "wrong", tooltip: "\(short(wrong)) wrong")
        }
        return svg.render(id: id, title: "Confidence histogram", description: "How many predictions fall in each confidence bin, split into right and wrong.")
    }

    /// Per-class precision, recall and ECE as grouped horizontal bars.
    static func classBars(_ perClass: [ClassMetrics], id: String, limit: Int = 24) -> String {
        let shown = Array(perClass.prefix(limit))
        let rowHeight = 40.0
        var svg = SVGWriter(width: 640, height: 80 + rowHeight * Double(shown.count))
        let plot = PlotArea(left: 150, top: 40, width: 460, height: rowHeight * Double(shown.count))
        svg.legend([("precision", "precision"), ("recall", "recall"), ("ece", "ECE")], x: plot.left, y: 20)
        plot.drawAxes(&svg, xTicks: unitTicks, yTicks: [], xFormat: { NumberText.fixed($0, 1) }, yFormat: { _ in "" }, xLabel: "value (0 to 1)", yLabel: "")
        for (i, c) in shown.enumerated() {
            let y = plot.top + Double(i) * rowHeight + 5
            let name = c.name.count > 22 ? String(c.name.prefix(21)) + "…" : c.name
            svg.text(name, x: plot.left - 8, y: y + 17, class: "tick", anchor: .end)
            for (j, (cls, value)) in [("precision", c.precision), ("recall", c.recall), ("ece", c.ece)].enumerated() {
                svg.rect(x: plot.x(0), y: y + Double(j) * 10, width: plot.x(Swift.min(1, Swift.max(0, value))) - plot.x(0), height: 9, class: cls,
                         tooltip: "\(c.name) \(cls == "ece" ? "ECE" : cls) \(NumberText.fixed(value, 3))")
            }
        }
        let more = perClass.count > shown.count ? " (first \(shown.count) of \(perClass.count) classes)" : ""
        return svg.render(id: id, title: "Precision, recall and ECE per class", description: "Grouped bars per class\(more).")
    }

    /// The rarest class's gradient share as focal γ grows (γ = 0 is cross-entropy),
    /// with the weighted cross-entropies and the class's share of rows for reference.
    static func gradientShareByGamma(_ findings: ReportFindings, className: String, prior: Double, id: String) -> String {
        var svg = SVGWriter(width: 640, height: 350)
        var plot = PlotArea(left: 70, top: 60, width: 540, height: 230)
        let gammas = findings.rareGradientShareByGamma
        plot.xMax = Swift.max(1, gammas.map(\.gamma).max() ?? 1)
        svg.legend([("focal-swatch", "focal loss (γ = 0: cross-entropy)"), ("reference-swatch", "weighted CE"), ("prior-swatch", "share of rows")], x: plot.left, y: 20)
        let ticks = gammas.map(\.gamma)
        plot.drawAxes(&svg, xTicks: ticks, yTicks: unitTicks, xFormat: { $0 == $0.rounded() ? String(Int($0)) : NumberText.fixed($0, 1) },
                      yFormat: { NumberText.percent($0, 0) }, xLabel: "focal γ", yLabel: "gradient share of \(className)")
        for (i, reference) in findings.rareGradientShareReferences.enumerated() {
            svg.line(x1: plot.left, y1: plot.y(reference.share), x2: plot.right, y2: plot.y(reference.share), class: "reference")
            // Alternate labels above and below their lines so that close references stay readable.
            let offset = i % 2 == 0 ? -4.0 : 12.0
            svg.text("\(reference.label) \(NumberText.percent(reference.share, 0))", x: plot.right - 4, y: plot.y(reference.share) + offset, class: "note", anchor: .end)
        }
        svg.line(x1: plot.left, y1: plot.y(prior), x2: plot.right, y2: plot.y(prior), class: "prior")
        svg.text("share of rows \(NumberText.percent(prior))", x: plot.left + 4, y: plot.y(prior) - 4, class: "note")
        svg.polyline(gammas.map { (plot.x($0.gamma), plot.y($0.share)) }, class: "focal")
        for point in gammas {
            svg.circle(cx: plot.x(point.gamma), cy: plot.y(point.share), r: 4, class: "focal-mark", tooltip: "γ = \(point.gamma): \(NumberText.percent(point.share))")
        }
        return svg.render(id: id, title: "Gradient share of \(className) as focal γ grows",
            description: "Share of the training signal that \(className) receives under focal loss for each γ, against weighted cross-entropy and the class's share of rows.")
    }

    /// For each loss, the rarest class's share of the loss and of the gradient.
    static func lossShares(_ losses: [LossEvaluation], rare: Int, prior: Double, className: String, id: String) -> String {
        let rowHeight = 30.0
        var svg = SVGWriter(width: 640, height: 90 + rowHeight * Double(losses.count))
        let plot = PlotArea(left: 250, top: 40, width: 360, height: rowHeight * Double(losses.count))
        svg.legend([("loss-share", "share of loss"), ("gradient-share", "share of gradient"), ("prior-swatch", "share of rows")], x: 70, y: 20)
        plot.drawAxes(&svg, xTicks: unitTicks, yTicks: [], xFormat: { NumberText.percent($0, 0) }, yFormat: { _ in "" }, xLabel: "share received by \(className)", yLabel: "")
        for (i, loss) in losses.enumerated() {
            let y = plot.top + Double(i) * rowHeight + 4
            svg.text(ReportVocabulary.lossLabel(loss), x: plot.left - 8, y: y + 14, class: "tick", anchor: .end)
            let share = loss.perClass[rare]
            svg.rect(x: plot.x(0), y: y, width: plot.x(share.lossShare.isFinite ? share.lossShare : 0) - plot.x(0), height: 10, class: "loss-share", tooltip: "loss share \(NumberText.percent(share.lossShare))")
            svg.rect(x: plot.x(0), y: y + 11, width: plot.x(share.gradientShare.isFinite ? share.gradientShare : 0) - plot.x(0), height: 10, class: "gradient-share", tooltip: "gradient share \(NumberText.percent(share.gradientShare))")
        }
        svg.line(x1: plot.x(prior), y1: plot.top, x2: plot.x(prior), y2: plot.bottom, class: "prior")
        return svg.render(id: id, title: "What each loss gives \(className)", description: "Share of loss and of gradient that \(className) receives under each loss, against its share of rows.")
    }
}

/// The ranking charts (SPEC section 8): the ROC and precision–recall curves
/// with the operating points marked, and the cost at each threshold.
extension Charts {
    /// The operating points' marker classes and legend words, by kind.
    static let operatingPointStyles: [(kind: OperatingPoint.Kind, class: String, legend: String)] = [
        (.precision, "op op-precision", "recall at a precision"), (.fpr, "op op-fpr", "recall at an FPR"), (.top, "op op-top", "alert budget"),
    ]

    /// A point's tooltip: "top 0.5%: recall 0.016, precision 0.800, FPR 0.001, threshold 0.9966".
    static func operatingPointTip(_ p: OperatingPoint) -> String {
        let d = ReportVocabulary.operatingPointDigits
        return "\(p.label): recall \(NumberText.fixed(p.recall, d)), precision \(NumberText.fixed(p.precision, d)), "
            + "FPR \(NumberText.fixed(p.fpr, d)), threshold \(NumberText.fixed(p.threshold, ReportVocabulary.thresholdDigits))"
    }

    /// Marks each defined operating point at `position(point)` (skipped when not finite).
    static func markOperatingPoints(_ points: [OperatingPoint], on svg: inout SVGWriter, plot: PlotArea, position: (OperatingPoint) -> (Double, Double)) {
        for style in operatingPointStyles {
            for point in points where point.kind == style.kind {
                let (x, y) = position(point)
                guard x.isFinite, y.isFinite else { continue }
                svg.circle(cx: plot.x(Swift.min(1, Swift.max(0, x))), cy: plot.y(Swift.min(1, Swift.max(0, y))), r: 5, class: style.class,
                           tooltip: operatingPointTip(point), attributes: [("data-point", point.label)])
            }
        }
    }

    /// The legend of a ranking curve: the curve, the reference line, and the kinds of operating points present.
    static func rankingLegend(_ svg: inout SVGWriter, curve: String, reference: (class: String, label: String), points: [OperatingPoint], x: Double, y: Double) {
        let kinds = Set(points.filter { $0.recall.isFinite }.map(\.kind))
        svg.legend([("curve-swatch", curve), reference], x: x, y: y)
        svg.legend(operatingPointStyles.filter { kinds.contains($0.kind) }.map { ($0.class, $0.legend) }, x: x, y: y + 18)
    }

    /// The ROC curve (recall against false-positive rate) joined by straight
    /// lines, so that the area under it is the AUC with ties counted half;
    /// the diagonal of a random ranking; the operating points marked.
    static func roc(_ curve: [CurvePoint], auc: Double, points: [OperatingPoint], id: String) -> String {
        var svg = SVGWriter(width: 640, height: 530)
        let plot = PlotArea(left: 70, top: 66, width: 540, height: 400)
        rankingLegend(&svg, curve: "ROC curve", reference: ("diag-swatch", "random ranking"), points: points, x: plot.left, y: 22)
        plot.drawAxes(&svg, xTicks: unitTicks, yTicks: unitTicks, xFormat: { NumberText.fixed($0, 1) }, yFormat: { NumberText.fixed($0, 1) },
                      xLabel: "false-positive rate", yLabel: "recall (true-positive rate)")
        svg.line(x1: plot.x(0), y1: plot.y(0), x2: plot.x(1), y2: plot.y(1), class: "diag")
        let sorted = curve.enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element).filter { $0.x.isFinite && $0.y.isFinite }
        svg.polyline(sorted.map { (plot.x($0.x), plot.y($0.y)) }, class: "curve")
        markOperatingPoints(points, on: &svg, plot: plot) { ($0.fpr, $0.recall) }
        svg.text("AUC \(ReportVocabulary.formattedRanking("rocAUC", auc))", x: plot.right - 8, y: plot.bottom - 12, class: "legend", anchor: .end)
        return svg.render(id: id, title: "ROC curve",
            description: "Recall against false-positive rate over every threshold (\(sorted.count) points drawn); ROC AUC \(ReportVocabulary.formattedRanking("rocAUC", auc)); the diagonal is a random ranking.")
    }

    /// The precision–recall curve as steps (precision `P_n` over the recall
    /// interval `(R_{n−1}, R_n]`, so that the area under it is the average
    /// precision), the no-skill line at the positive rate, the operating points marked.
    static func precisionRecall(_ curve: [CurvePoint], averagePrecision: Double, positiveRate: Double, points: [OperatingPoint], id: String) -> String {
        var svg = SVGWriter(width: 640, height: 530)
        let plot = PlotArea(left: 70, top: 66, width: 540, height: 400)
        rankingLegend(&svg, curve: "precision–recall curve", reference: ("prior-swatch", "no skill (positive rate)"), points: points, x: plot.left, y: 22)
        plot.drawAxes(&svg, xTicks: unitTicks, yTicks: unitTicks, xFormat: { NumberText.fixed($0, 1) }, yFormat: { NumberText.fixed($0, 1) },
                      xLabel: "recall", yLabel: "precision")
        if positiveRate.isFinite {
            svg.line(x1: plot.left, y1: plot.y(positiveRate), x2: plot.right, y2: plot.y(positiveRate), class: "prior")
            svg.text("no skill \(ReportVocabulary.formattedRanking("positiveRate", positiveRate))", x: plot.left + 6, y: plot.y(positiveRate) - 5, class: "note")
        }
        let sorted = curve.enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element).filter { $0.x.isFinite && $0.y.isFinite }
        var steps: [(Double, Double)] = []
        for (i, point) in sorted.enumerated() {
            if i > 0 && point.x > sorted[i - 1].x { steps.append((plot.x(sorted[i - 1].x), plot.y(point.y))) }
            steps.append((plot.x(point.x), plot.y(point.y)))
        }
        svg.polyline(steps, class: "curve")
        markOperatingPoints(points, on: &svg, plot: plot) { ($0.recall, $0.precision) }
        svg.text("average precision \(ReportVocabulary.formattedRanking("averagePrecision", averagePrecision))", x: plot.right - 8, y: plot.top + 16, class: "legend", anchor: .end)
        return svg.render(id: id, title: "Precision–recall curve",
            description: "Precision against recall over every threshold (\(sorted.count) points drawn); average precision \(ReportVocabulary.formattedRanking("averagePrecision", averagePrecision)); "
                + "a random ranking has precision \(ReportVocabulary.formattedRanking("positiveRate", positiveRate)) at every recall.")
    }

    /// The cost per unit weight at each sweep threshold 0.01…0.99, with the
    /// Bayes threshold `A / (A + B)` and its cost marked, and the best
    /// threshold and its cost (a line at its cost when flagging nothing is best).
    static func cost(_ curve: [(threshold: Double, cost: Double)], _ cost: CostAnalysis, id: String) -> String {
        var svg = SVGWriter(width: 640, height: 400)
        var plot = PlotArea(left: 70, top: 56, width: 540, height: 280)
        let values = curve.map(\.cost) + [cost.costAtBayesThreshold, cost.bestCost]
        let top = values.filter(\.isFinite).max() ?? 1
        let step = niceStep(Swift.max(top, 1e-9) / 4)
        plot.yMax = Swift.max(step, (top / step).rounded(.up) * step)
        svg.legend([("cost-swatch", "cost per unit weight at threshold t"), ("op op-bayes", "Bayes threshold"), ("op op-best", "best threshold")], x: plot.left, y: 22)
        let yTicks = stride(from: 0.0, through: plot.yMax + step / 2, by: step).map { $0 }
        let digits = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : step >= 0.001 ? 3 : 4
        plot.drawAxes(&svg, xTicks: unitTicks, yTicks: yTicks, xFormat: { NumberText.fixed($0, 1) }, yFormat: { NumberText.fixed($0, digits) },
                      xLabel: "threshold t (flag when score ≥ t)", yLabel: "cost per unit weight")
        svg.polyline(curve.filter { $0.cost.isFinite }.map { (plot.x($0.threshold), plot.y($0.cost)) }, class: "cost-line")
        let c = ReportVocabulary.costDigits
        let t = ReportVocabulary.thresholdDigitsCompact
        svg.line(x1: plot.x(cost.bayesThreshold), y1: plot.top, x2: plot.x(cost.bayesThreshold), y2: plot.bottom, class: "bayes")
        svg.text("Bayes \(NumberText.fixed(cost.bayesThreshold, t))", x: plot.x(cost.bayesThreshold) + 4, y: plot.top + 12, class: "note")
        if cost.costAtBayesThreshold.isFinite {
            svg.circle(cx: plot.x(cost.bayesThreshold), cy: plot.y(cost.costAtBayesThreshold), r: 5, class: "op op-bayes",
                       tooltip: "Bayes threshold \(NumberText.fixed(cost.bayesThreshold, ReportVocabulary.thresholdDigits)): cost \(NumberText.fixed(cost.costAtBayesThreshold, c))")
        }
        if cost.bestThreshold.isFinite && cost.bestCost.isFinite {
            let x = plot.x(Swift.min(1, Swift.max(0, cost.bestThreshold)))
            svg.line(x1: x, y1: plot.top, x2: x, y2: plot.bottom, class: "best")
            svg.text("best \(NumberText.fixed(cost.bestThreshold, t))", x: x + 4, y: plot.top + 26, class: "note")
            svg.circle(cx: x, cy: plot.y(cost.bestCost), r: 5, class: "op op-best",
                       tooltip: "best threshold \(NumberText.fixed(cost.bestThreshold, ReportVocabulary.thresholdDigits)): cost \(NumberText.fixed(cost.bestCost, c))")
        } else if cost.bestCost.isFinite {
            svg.line(x1: plot.left, y1: plot.y(cost.bestCost), x2: plot.right, y2: plot.y(cost.bestCost), class: "best")
            svg.text("best: flag nothing, cost \(NumberText.fixed(cost.bestCost, c))", x: plot.right - 4, y: plot.y(cost.bestCost) - 5, class: "note", anchor: .end)
            svg.circle(cx: plot.right, cy: plot.y(cost.bestCost), r: 5, class: "op op-best", tooltip: "best: flag nothing, cost \(NumberText.fixed(cost.bestCost, c))")
        }
        return svg.render(id: id, title: "Cost by threshold",
            description: "Cost per unit weight, (\(ReportVocabulary.plain(cost.costFP))·FP + \(ReportVocabulary.plain(cost.costFN))·FN) / W, at thresholds 0.01 to 0.99; "
                + "Bayes threshold \(NumberText.fixed(cost.bayesThreshold, ReportVocabulary.thresholdDigits)) costs \(NumberText.fixed(cost.costAtBayesThreshold, c)), "
                + "the best threshold costs \(NumberText.fixed(cost.bestCost, c)).")
    }
}
