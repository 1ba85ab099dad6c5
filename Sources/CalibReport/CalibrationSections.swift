import CalibCore

/// The calibration tests, estimators and decompositions (SPEC section 9),
/// built from `ReportFindings.calibration` as `ReportTable`s for the terminal,
/// Markdown and HTML reports. Every number and sentence comes from the findings.
extension ReportSections {
    /// The section's title: binary tasks have tests, multiclass tasks only estimators.
    static func calibrationTitle(_ report: Report) -> String {
        report.findings.calibration.isBinary ? "Calibration tests and estimators" : "Calibration estimators"
    }

    /// The tests' introduction, for the formats with room for it.
    static let calibrationTestsIntro = "Is the miscalibration beyond chance? A test finds it when p < \(NumberText.fixed(CalibrationFindings.significanceLevel, 2)). "
        + "The slope b and intercept a₀ are the logistic recalibrations P(y = 1) = σ(a + b·logit s) (ideal b = 1; below 1 the scores are too extreme) "
        + "and σ(a₀ + logit s) (ideal a₀ = 0; below 0 the scores are too high)."

    /// The estimators' introduction: which headline the four estimate.
    static func estimatorsIntro(_ report: Report) -> String {
        (report.findings.calibration.isBinary ? "The positive-class ECE" : "The top-label ECE (confidence against accuracy)")
            + " four ways. An equal-width ECE far from the equal-mass and the smooth ECE is binning noise; the smooth ECE needs no bins."
    }

    /// The decomposition's introduction.
    static let decompositionIntro = "CORP decomposition (Dimitriadis, Gneiting & Jordan 2021): score = MCB − DSC + UNC, exactly. "
        + "MCB (miscalibration) is what isotonic recalibration would remove, DSC (discrimination) what the recalibrated scores gain over always predicting the base rate, "
        + "UNC (uncertainty) the score of the base rate."

    /// The tests and fits (binary; no rows for multiclass): test, statistic,
    /// p and the sentence, an undefined one's reading its reason. The compact
    /// form is the terminal's (one line "undefined: REASON" when every value
    /// of section 9 is undefined for one reason): one sentence a row
    /// ("Hosmer–Lemeshow χ² 251.65 (10 groups), p < 0.001: the scores are miscalibrated beyond chance").
    static func calibrationChecks(_ report: Report, compact: Bool) -> ReportTable {
        let checks = report.findings.calibration.checks
        if compact {
            let unavailable = report.findings.calibration.unavailableReason.map { [[ReportCell.text("undefined: " + $0)]] }
            return lines(title: "Calibration tests", detail: "beyond chance: p < \(NumberText.fixed(CalibrationFindings.significanceLevel, 2))",
                         checks.isEmpty ? [] : unavailable ?? checks.map { [.text($0.line)] })
        }
        return ReportTable(title: "Tests",
            columns: [.init(title: .value("test"), numeric: false, width: nil), .init(title: .value("statistic"), numeric: true, width: nil),
                      .init(title: .value("p"), numeric: true, width: nil), .init(title: .value("reading"), numeric: false, width: nil)],
            rows: checks.map { check in
                [.value(check.label), .value(check.statistic), .text(check.p.map { String($0.dropFirst($0.hasPrefix("p = ") ? 4 : 2)) } ?? ""),
                 check.undefinedReason.map { .status(.undefined(reason: $0)) } ?? .text(check.sentence)]
            })
    }

    /// The four estimators of the headline calibration error: label, value
    /// (or why it is undefined) and what it is. The compact form is the
    /// terminal's two lines: "ECE 0.0148 equal-width, 0.0163 equal-mass (15 bins)"
    /// and "debiased L2 ECE 0.0484, smooth ECE 0.0167 (σ* 0.0176)".
    static func calibrationEstimators(_ report: Report, compact: Bool) -> ReportTable {
        let e = report.findings.calibration.estimators
        if compact {
            let bins = report.result.settings.bins
            let bandwidth = MetricKey.smoothECEBandwidth
            let sigma = report.result.metrics.calibration.smoothECEBandwidth
            // Each line's two estimators packed into 78 columns: with intervals they take two lines.
            let pairs = [["ECE \(e[0].textWithInterval) equal-width", "\(e[1].textWithInterval) equal-mass (\(bins) bins)"],
                         ["debiased L2 ECE \(e[2].textWithInterval)", "smooth ECE \(e[3].textWithInterval)" + (sigma.isFinite ? " (σ* \(ReportVocabulary.formatted(bandwidth, sigma)))" : "")]]
            return lines(title: "Calibration estimators", detail: report.findings.calibration.isBinary ? "positive-class ECE four ways" : "top-label ECE four ways",
                         pairs.flatMap { TextWrap.pack($0, width: TerminalRenderer.width - 2, separator: ", ") }.map { [.value($0)] })
        }
        return ReportTable(title: "Estimators",
            columns: [.init(title: .value("estimator"), numeric: false, width: nil), .init(title: .value("value"), numeric: true, width: nil),
                      .init(title: .value("what it is"), numeric: false, width: nil)],
            rows: e.map { r in
                [.value(r.label), r.undefinedReason.map { .status(.undefined(reason: $0)) } ?? .value(r.text, interval: r.interval), .value(r.detail)]
            })
    }

    /// The CORP decompositions (binary; no rows for multiclass): the
    /// identities "Brier 0.0141 = MCB 0.0034 − DSC 0.0010 + UNC 0.0117" as
    /// sentences (compact, the terminal; one line "undefined: REASON" when
    /// every value of section 9 is undefined for one reason), or a table of score, MCB, DSC, UNC
    /// and the recalibrated score `UNC − DSC`.
    static func decomposition(_ report: Report, compact: Bool) -> ReportTable {
        let d = report.findings.calibration.decompositions
        if compact {
            let unavailable = report.findings.calibration.unavailableReason.map { [[ReportCell.text("undefined: " + $0)]] }
            return lines(title: "Decomposition", detail: "CORP: score = MCB − DSC + UNC", d.isEmpty ? [] : unavailable ?? d.map { [.text($0.identity)] })
        }
        let f = { (x: Double) in ReportCell.value(NumberText.fixed(x, 4)) }
        // A component's value and interval (`decomposition.brier.miscalibration`).
        func g(_ key: String, _ part: String, _ x: Double) -> ReportCell {
            .value(NumberText.fixed(x, 4), interval: ReportVocabulary.bracket("decomposition.\(key).\(part)", x, in: report.result, digits: 4))
        }
        return ReportTable(title: "Decomposition",
            columns: [.init(title: .value("score"), numeric: false, width: nil), .init(title: .value("value"), numeric: true, width: nil),
                      .init(title: .value("miscalibration (MCB)"), numeric: true, width: nil), .init(title: .value("discrimination (DSC)"), numeric: true, width: nil),
                      .init(title: .value("uncertainty (UNC)"), numeric: true, width: nil), .init(title: .value("recalibrated (UNC − DSC)"), numeric: true, width: nil)],
            rows: d.map { r in
                let v = r.values
                return [.value(r.label), r.undefinedReason.map { .status(.undefined(reason: $0)) } ?? g(r.key, "score", v.score),
                        g(r.key, "miscalibration", v.miscalibration), g(r.key, "discrimination", v.discrimination), g(r.key, "uncertainty", v.uncertainty), f(r.recalibrated)]
            })
    }

    /// Binary: the top-label values, set apart from the positive-class
    /// headline (they measure the confidence of whichever class is predicted,
    /// so they may point the other way); `nil` for multiclass.
    static func topLabelNote(_ report: Report) -> String? {
        guard report.result.task == .binary else { return nil }
        func v(_ key: MetricKey) -> String { ReportVocabulary.formatted(key, in: report.result) }
        return "Top-label values (the confidence of whichever class is predicted, not the chance of the positive class): "
            + "ECE \(v(.topLabelECE)), over-confidence \(v(.overconfidence)), under-confidence \(v(.underconfidence)), "
            + "over-confidence error \(v(.overconfidenceError)), mean confidence \(v(.meanConfidence))."
    }
}
