public import CalibCore

extension RecalibrationSummary {
    /// A calibrator's parameters in one line, as `calib fit` prints them
    /// (isotonic and histogram summarised by their size and range).
    public static func parameterText(_ p: Calibrator.Parameters) -> String {
        switch p {
        case let .temperature(t): return "T = \(t)"
        case let .platt(a, b): return "a = \(a), b = \(b)   (σ(a·logit(s) + b))"
        case let .beta(a, b, c): return "a = \(a), b = \(b), c = \(c)   (σ(a·ln s − b·ln(1 − s) + c))"
        case let .isotonic(thresholds, values):
            return "\(thresholds.count) thresholds from \(thresholds.first!) to \(thresholds.last!), values \(values.first!) to \(values.last!)"
        case let .histogram(edges, values):
            return "\(values.count) bins, edges \(edges.map { "\($0)" }.joined(separator: ", ")), rates \(values.map { NumberText.fixed($0, 5) }.joined(separator: ", "))"
        }
    }
}

extension ReportSections {
    static let recalibrationTitle = "What would fix it"

    /// The "What would fix it" table (`--recalibrate`, SPEC 12): each metric
    /// of `RecalibrationMetric.all` for the scores as audited and for each
    /// method's 5-fold cross-fitted scores; a method that refuses the data
    /// has "refused" and dashes in its row and its reason in the notes, as
    /// the fitted methods have their parameters. One row per method, a
    /// column per metric, so the terminal table fits in 80 columns.
    static func recalibration(_ report: Report) -> ReportTable? {
        guard let summary = report.recalibration else { return nil }
        let metrics = RecalibrationMetric.all
        let columns = [ReportTable.Column(title: .value("scores"), numeric: false, width: 12)]
            + metrics.map { ReportTable.Column(title: .value($0.heading), numeric: true, width: 11) }
        func row(_ name: String, _ result: AuditResult) -> [ReportCell] {
            [.value(name)] + metrics.map { .value(NumberText.fixed($0.value(in: result), 5)) }
        }
        var rows = [row("as audited", summary.before)]
        var notes: [String] = []
        for entry in summary.entries {
            let name = entry.method.rawValue
            if let result = entry.crossFitted, let calibrator = entry.calibrator {
                rows.append(row(name, result))
                notes.append("\(name): \(RecalibrationSummary.parameterText(calibrator.parameters))")
            } else {
                rows.append([.value(name), .value("refused")] + Array(repeating: .value("–"), count: metrics.count - 1))
                notes.append("\(name) refused: \(entry.refusal ?? "")")
            }
        }
        let ece = summary.before.task == .binary ? "ECE of the positive class" : "top-label ECE"
        return ReportTable(title: recalibrationTitle,
                           detail: "each method's 5-fold cross-fitted scores: row i is rescored by the fit on the rows of the other folds, fold = i mod 5; \(ece), \(summary.before.settings.bins) bins",
                           columns: columns, rows: rows, notes: notes)
    }
}
