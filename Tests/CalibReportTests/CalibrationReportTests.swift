@testable import CalibCore
import CalibInput
@testable import CalibReport
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 9 in the human reports: the calibration tests' sentences, the
/// binary cards (positive-class direction first, top-label values set apart),
/// the calibration block in every format, the CORP bar, the isotonic overlay,
/// and text from the input escaped in the new sentences.
@Suite("Calibration tests, estimators and decompositions in the reports")
struct CalibrationReportTests {
    /// Estimates with the values a case needs, the others those of a plain binary audit.
    static func estimates(hl: (statistic: Double, p: Double, groups: Double) = (12.3, 0.14, 10), z: (value: Double, p: Double) = (1.2, 0.23),
                          slope: Double = 0.9, intercept: Double = -0.1, reasons: [String: String] = [:]) -> CalibrationEstimates {
        let brier = ScoreDecomposition(score: 0.1352, miscalibration: 0.0166, discrimination: 0.0678, uncertainty: 0.1864)
        let ce = ScoreDecomposition(score: 0.4959, miscalibration: 0.1162, discrimination: 0.1804, uncertainty: 0.5601)
        return CalibrationEstimates(isBinary: true, equalMassECE: 0.0895, debiasedL2ECE: 0.1178, equalMassBins: [], smoothECE: 0.0755,
            smoothECEBandwidth: 0.076171875, spiegelhalterZ: z.value, spiegelhalterP: z.p, hosmerLemeshowStatistic: hl.statistic,
            hosmerLemeshowP: hl.p, hosmerLemeshowGroups: hl.groups, hosmerLemeshowTable: [], calibrationSlope: slope, calibrationIntercept: intercept,
            brierDecomposition: brier, crossEntropyDecomposition: ce, isotonicCurve: [], undefinedReasons: reasons)
    }

    /// The findings of `e` for the positive class 'fraud', reasons from the estimates.
    static func findings(_ e: CalibrationEstimates, positive: String = "fraud") -> CalibrationFindings {
        CalibrationFindings(e, positiveClass: positive, headlineECE: (.positiveClassECE, 0.0875), bins: 15, inTheLarge: 0.055) {
            e.undefinedReasons[$0.name] ?? "no reason given"
        }
    }

    // MARK: The sentences

    struct SentenceCase: CustomTestStringConvertible, Sendable {
        let name: String
        let estimates: CalibrationEstimates
        let kind: CalibrationCheck.Kind
        /// The Markdown and HTML reading.
        let sentence: String
        /// The terminal's line.
        let line: String
        var testDescription: String { name }
    }

    static let separable = "the fit does not converge: the classes are separable"
    static let fewGroups = "only 2 non-empty groups (tied scores share a group): the χ² test needs 3"
    static let noVariance = "its variance Σ w(1 − 2s)²s(1 − s) is 0: every score is 0, 0.5 or 1"

    static let sentenceCases: [SentenceCase] = [
        SentenceCase(name: "Hosmer–Lemeshow p below 0.001", estimates: estimates(hl: (251.654, 7.7e-50, 10)), kind: .hosmerLemeshow,
                     sentence: "the scores are miscalibrated beyond chance (Hosmer–Lemeshow p < 0.001)",
                     line: "Hosmer–Lemeshow χ² 251.65 (10 groups), p < 0.001: the scores are miscalibrated beyond chance"),
        SentenceCase(name: "Spiegelhalter p = 0.41", estimates: estimates(z: (0.824, 0.41)), kind: .spiegelhalter,
                     sentence: "no evidence of miscalibration beyond chance (Spiegelhalter p = 0.41)",
                     line: "Spiegelhalter z 0.82, p = 0.41: no evidence of miscalibration beyond chance"),
        SentenceCase(name: "p below 0.1 has three decimals", estimates: estimates(hl: (16.21, 0.0412, 10)), kind: .hosmerLemeshow,
                     sentence: "the scores are miscalibrated beyond chance (Hosmer–Lemeshow p = 0.041)",
                     line: "Hosmer–Lemeshow χ² 16.21 (10 groups), p = 0.041: the scores are miscalibrated beyond chance"),
        SentenceCase(name: "p exactly 0.05 is not beyond chance", estimates: estimates(z: (-1.96, 0.05)), kind: .spiegelhalter,
                     sentence: "no evidence of miscalibration beyond chance (Spiegelhalter p = 0.050)",
                     line: "Spiegelhalter z -1.96, p = 0.050: no evidence of miscalibration beyond chance"),
        SentenceCase(name: "slope below 1: overconfident", estimates: estimates(slope: 0.52), kind: .slope,
                     sentence: "slope 0.520 < 1: the scores are too extreme — overconfident",
                     line: "calibration slope 0.520 < 1: the scores are too extreme — overconfident"),
        SentenceCase(name: "slope above 1: underconfident", estimates: estimates(slope: 1.4), kind: .slope,
                     sentence: "slope 1.400 > 1: the scores are too moderate — underconfident",
                     line: "calibration slope 1.400 > 1: the scores are too moderate — underconfident"),
        SentenceCase(name: "slope 1 as printed", estimates: estimates(slope: 1.0004), kind: .slope,
                     sentence: "slope 1.000: the spread of the scores is right", line: "calibration slope 1.000: the spread of the scores is right"),
        SentenceCase(name: "null slope with its reason", estimates: estimates(slope: .nan, reasons: ["calibrationSlope": separable]), kind: .slope,
                     sentence: "undefined: " + separable, line: "calibration slope —: undefined: " + separable),
        SentenceCase(name: "intercept below 0: too high", estimates: estimates(intercept: -0.56), kind: .intercept,
                     sentence: "intercept -0.560 < 0: the predicted chance of 'fraud' is too high on the whole",
                     line: "calibration intercept -0.560 < 0: the predicted chance of 'fraud' is too high on the whole"),
        SentenceCase(name: "intercept above 0: too low", estimates: estimates(intercept: 0.3), kind: .intercept,
                     sentence: "intercept 0.300 > 0: the predicted chance of 'fraud' is too low on the whole",
                     line: "calibration intercept 0.300 > 0: the predicted chance of 'fraud' is too low on the whole"),
        SentenceCase(name: "Hosmer–Lemeshow with two groups: a statistic, no p", estimates: estimates(hl: (1.5, .nan, 2), reasons: ["hosmerLemeshowP": fewGroups]),
                     kind: .hosmerLemeshow, sentence: "undefined: " + fewGroups, line: "Hosmer–Lemeshow χ² 1.50 (2 groups): undefined: " + fewGroups),
        SentenceCase(name: "Spiegelhalter without variance", estimates: estimates(z: (.nan, .nan), reasons: ["spiegelhalterZ": noVariance, "spiegelhalterP": noVariance]),
                     kind: .spiegelhalter, sentence: "undefined: " + noVariance, line: "Spiegelhalter —: undefined: " + noVariance),
    ]

    @Test("each test and fit reads as one plain sentence", arguments: sentenceCases)
    func sentences(c: SentenceCase) throws {
        let check = try #require(Self.findings(c.estimates).check(c.kind))
        #expect(check.sentence == c.sentence)
        #expect(check.line == c.line)
        #expect((check.undefinedReason != nil) == c.sentence.hasPrefix("undefined: "))
    }

    @Test("p-values print as p < 0.001 below 0.001, with three decimals below 0.1, two above",
          arguments: [(0.000999, "p < 0.001"), (1e-300, "p < 0.001"), (0.001, "p = 0.001"), (0.0412, "p = 0.041"), (0.41, "p = 0.41"),
                      (1, "p = 1.00"), (.nan, "p —")])
    func pText(p: Double, text: String) {
        #expect(CalibrationFindings.pText(p) == text)
    }

    @Test("the tests come in order (Hosmer–Lemeshow, Spiegelhalter, slope, intercept) and multiclass tasks have none, only the estimators")
    func order() {
        #expect(Self.findings(Self.estimates()).checks.map(\.kind) == [.hosmerLemeshow, .spiegelhalter, .slope, .intercept])
        let e = Self.estimates()
        let multiclass = CalibrationEstimates(isBinary: false, equalMassECE: 0.05, debiasedL2ECE: 0.04, equalMassBins: [], smoothECE: 0.045,
            smoothECEBandwidth: 0.05, spiegelhalterZ: .nan, spiegelhalterP: .nan, hosmerLemeshowStatistic: .nan, hosmerLemeshowP: .nan,
            hosmerLemeshowGroups: .nan, hosmerLemeshowTable: [], calibrationSlope: .nan, calibrationIntercept: .nan,
            brierDecomposition: e.brierDecomposition, crossEntropyDecomposition: e.crossEntropyDecomposition, isotonicCurve: [], undefinedReasons: [:])
        let f = CalibrationFindings(multiclass, positiveClass: nil, headlineECE: (.topLabelECE, 0.0451), bins: 10, inTheLarge: nil) { _ in "" }
        #expect(f.checks.isEmpty && f.decompositions.isEmpty && f.inTheLargeShort == nil)
        #expect(f.estimators.map(\.label) == ["ECE, equal-width (10 bins)", "ECE, equal-mass (10 bins)", "debiased L2 ECE (10 equal-mass bins)", "smooth ECE (σ* 0.0500)"])
        #expect(f.estimators.map(\.key) == ["topLabelECE", "equalMassECE", "debiasedL2ECE", "smoothECE"])
    }

    // MARK: Reports of real inputs

    /// The report of a golden fixture, or of a sample with `sample: true`, with its score store (ranking).
    static func report(_ name: String, sample: Bool = false) throws -> Report {
        let (result, input) = try InputAudit.run(.file((sample ? TestPaths.sampleData : TestPaths.golden) + "/" + name), ranking: RankingSettings())
        return Report(input: input, result: result)
    }

    static let binaryFixtures = ["binary_01.csv", "weighted_binary.csv", "calibrated_binary.csv", "separable_binary.csv"]

    @Test("binary cards: the positive-class direction (calibration in the large, slope, intercept) after the ECE, no top-label over-confidence card",
          arguments: binaryFixtures)
    func binaryCards(fixture: String) throws {
        let report = try Self.report(fixture)
        let keys = report.findings.readings.map(\.key)
        let ece = try #require(keys.firstIndex(of: "ece"))
        #expect(Array(keys[(ece + 1)...].prefix(3)) == ["calibrationInTheLarge", "calibrationSlope", "calibrationIntercept"])
        #expect(!keys.contains("overconfidence"))
        let html = HTMLRenderer.render(report)
        #expect(!html.contains("<div class=\"card-label\">Over-confidence</div>"))
        #expect(html.contains("<div class=\"card-label\">Calibration in the large</div>"))
        // The top-label values are still there, set apart and labelled.
        let note = try #require(ReportSections.topLabelNote(report))
        #expect(note.hasPrefix("Top-label values (the confidence of whichever class is predicted"))
        #expect(html.contains("<p class=\"secondary\">\(TextEscaping.html(note))</p>"))
        #expect(MarkdownRenderer.render(report).contains("\n\(note)\n"))
        let terminal = TerminalRenderer.render(report).split(separator: "\n")
        #expect(terminal.filter { $0.contains("over-confidence") }.allSatisfy { $0.hasPrefix("  top-label: ") })
    }

    @Test("multiclass cards are as before: the over-confidence card, no slope, intercept or top-label note", arguments: ["multiclass_probs.csv", "multiclass_logits.csv"])
    func multiclassCards(fixture: String) throws {
        let report = try Self.report(fixture)
        let keys = report.findings.readings.map(\.key)
        #expect(keys.contains("overconfidence"))
        #expect(!keys.contains("calibrationSlope") && !keys.contains("calibrationIntercept") && !keys.contains("calibrationInTheLarge"))
        #expect(ReportSections.topLabelNote(report) == nil)
        #expect(!HTMLRenderer.render(report).contains("class=\"secondary\""))
        #expect(TerminalRenderer.render(report).contains("\n  over-confidence "))
    }

    @Test("the fraud sample no longer contradicts itself: the verdict and every headline direction say the scores are too high")
    func fraudAgrees() throws {
        let report = try Self.report("fraud_transactions.csv", sample: true)
        #expect(report.findings.verdict == "scores overstate the chance of 'fraud' (predicted above observed)")
        let citl = try #require(report.findings.readings.first { $0.key == "calibrationInTheLarge" })
        #expect(ReportVocabulary.formatted(citl) == "+0.0148")
        #expect(citl.reading == "scores too high on average: the mean predicted chance of 'fraud' is 1.5 points above its observed rate")
        let terminal = TerminalRenderer.render(report).split(separator: "\n").map(String.init)
        #expect(terminal.contains("  mean score − positive rate +0.0148: scores too high on average"))
        #expect(terminal.contains("  Spiegelhalter z -6.73, p < 0.001: the scores are miscalibrated beyond chance"))
    }

    @Test("with the verdict's direction, calibration in the large has the same sign", arguments: binaryFixtures + ["fraud_transactions.csv"])
    func directionAgrees(name: String) throws {
        let report = try Self.report(name, sample: name.hasPrefix("fraud"))
        let citl = try #require(report.result.metrics.calibrationInTheLarge)
        let short = try #require(report.findings.calibration.inTheLargeShort)
        #expect(short == (citl > 0 ? "scores too high on average" : "scores too low on average"))
        if report.findings.verdict.hasPrefix("scores overstate") { #expect(citl > 0) }
        if report.findings.verdict.hasPrefix("scores understate") { #expect(citl < 0) }
    }

    // MARK: The block in every format

    struct BlockCase: CustomTestStringConvertible, Sendable {
        let fixture: String
        let terminal: [String]
        let markdown: [String]
        let html: [String]
        /// Text no format may hold for this task.
        let absent: [String]
        var testDescription: String { fixture }
    }

    static let blockCases: [BlockCase] = [
        BlockCase(fixture: "binary_01.csv",
                  terminal: ["Calibration tests (beyond chance: p < 0.05)", "  Hosmer–Lemeshow χ² 114.17 (10 groups), p < 0.001: the scores are",
                             "    miscalibrated beyond chance", "  Spiegelhalter z 5.78, p < 0.001: the scores are miscalibrated beyond chance",
                             "Calibration estimators (positive-class ECE four ways)", "  ECE 0.0875 equal-width, 0.0895 equal-mass (15 bins)",
                             "  debiased L2 ECE 0.1178, smooth ECE 0.0755 (σ* 0.0762)", "Decomposition (CORP: score = MCB − DSC + UNC)",
                             "  Brier 0.1352 = MCB 0.0166 − DSC 0.0678 + UNC 0.1865", "  cross-entropy 0.4959 = MCB 0.1162 − DSC 0.1804 + UNC 0.5601"],
                  markdown: ["## Calibration tests and estimators", "| test | statistic | p | reading |",
                             "| Hosmer–Lemeshow | χ² 114.17 (10 groups) | &lt; 0.001 | the scores are miscalibrated beyond chance (Hosmer–Lemeshow p &lt; 0.001) |",
                             "| ECE, equal-width (15 bins) | 0.0875 | the headline; moves when the bins move |", "| smooth ECE (σ* 0.0762) | 0.0755 |",
                             "- Brier 0.1352 = MCB 0.0166 − DSC 0.0678 + UNC 0.1865", "| Brier | 0.1352 | 0.0166 | 0.0678 | 0.1865 | 0.1187 |"],
                  html: ["<section id=\"calibration\"><h2>Calibration tests and estimators</h2>", "<div id=\"calibration-tests\">", "<div id=\"calibration-estimators\">",
                         "<td>the scores are miscalibrated beyond chance (Hosmer–Lemeshow p &lt; 0.001)</td>", "id=\"decomposition\"",
                         "<li>cross-entropy 0.4959 = MCB 0.1162 − DSC 0.1804 + UNC 0.5601</li>"],
                  absent: []),
        BlockCase(fixture: "calibrated_binary.csv",
                  terminal: ["  Hosmer–Lemeshow χ² 5.68 (10 groups), p = 0.68: no evidence of miscalibration",
                             "  Spiegelhalter z 0.97, p = 0.33: no evidence of miscalibration beyond chance"],
                  markdown: ["| Spiegelhalter | z 0.97 | 0.33 | no evidence of miscalibration beyond chance (Spiegelhalter p = 0.33) |"],
                  html: ["<td>no evidence of miscalibration beyond chance (Spiegelhalter p = 0.33)</td>"], absent: []),
        BlockCase(fixture: "multiclass_probs.csv",
                  terminal: ["Calibration estimators (top-label ECE four ways)", "  ECE 0.0451 equal-width, 0.0520 equal-mass (15 bins)",
                             "  debiased L2 ECE 0.0518, smooth ECE 0.0451 (σ* 0.0459)"],
                  markdown: ["## Calibration estimators\n\nThe top-label ECE (confidence against accuracy) four ways.",
                             "| debiased L2 ECE (15 equal-mass bins) | 0.0518 | root-mean-square gap less its finite-sample bias (Kumar, Liang & Ma 2019); an L2 measure, not on the scale of the others |"],
                  html: ["<section id=\"calibration\"><h2>Calibration estimators</h2>", "<div id=\"calibration-estimators\">"],
                  absent: ["Calibration tests", "Hosmer–Lemeshow", "Spiegelhalter", "Decomposition", "calibration-tests", "id=\"decomposition\"", "isotonic",
                           "### Estimators", "<h3>Estimators</h3>"]),
    ]

    @Test("the calibration block in each format: tests and decompositions for binary tasks, the estimators for every task", arguments: blockCases)
    func block(c: BlockCase) throws {
        let report = try Self.report(c.fixture)
        let terminal = TerminalRenderer.render(report).split(separator: "\n").map(String.init)
        for line in c.terminal { #expect(terminal.contains(line), "\(line)") }
        let markdown = MarkdownRenderer.render(report)
        for text in c.markdown { #expect(markdown.contains(text), "\(text)") }
        let html = HTMLRenderer.render(report)
        for text in c.html { #expect(html.contains(text), "\(text)") }
        let body = String(html[(html.range(of: "<body>")?.upperBound ?? html.startIndex)...])
        for text in c.absent {
            #expect(!terminal.joined(separator: "\n").contains(text) && !markdown.contains(text) && !body.contains(text), "\(text)")
        }
        #expect(terminal.allSatisfy { $0.count <= TerminalRenderer.width })
    }

    @Test("without the score store every section 9 value prints — and the undefined values say why")
    func withoutStore() throws {
        let (result, input) = try InputAudit.run(.file(TestPaths.golden + "/binary_01.csv"))
        let report = Report(input: input, result: result)
        let reason = try #require(result.metrics.calibration.undefinedReasons["smoothECE"])
        let terminal = TerminalRenderer.render(report)
        #expect(report.findings.calibration.unavailableReason == reason)
        // The reason once a block, not once a value.
        #expect(terminal.contains("Calibration tests (beyond chance: p < 0.05)\n  undefined: \(reason)\nCalibration estimators"))
        #expect(terminal.contains("  ECE 0.0875 equal-width, — equal-mass (15 bins)\n  debiased L2 ECE —, smooth ECE —\n"))
        #expect(terminal.contains("Decomposition (CORP: score = MCB − DSC + UNC)\n  undefined: \(reason)\n"))
        #expect(MarkdownRenderer.render(report).contains("- Brier —: undefined: \(reason)"))
        let undefined = ReportSections.undefinedValues(report).rows.flatMap { $0[0].list }
        #expect(Set(MetricKey.sortedScoreKeys.map(\.name)).isSubset(of: Set(undefined)))
        let html = HTMLRenderer.render(report)
        #expect(!html.contains("id=\"decomposition\"") && !html.contains("class=\"isotonic\""))
        #expect(html.contains("<td>smooth ECE</td><td class=\"num\">\(TextEscaping.html("undefined: " + reason))</td>"))
    }

    // MARK: The charts

    /// The `<svg>` element with `id` in `html`.
    static func svg(_ html: String, id: String) throws -> String {
        let start = try #require(html.range(of: "id=\"\(id)\">"))
        let end = try #require(html.range(of: "</svg>", range: start.upperBound..<html.endIndex))
        return String(html[start.upperBound..<end.lowerBound])
    }

    /// The value of attribute `name` in each element of `svg` whose class is `cls`.
    static func attribute(_ name: String, of cls: String, in svg: String, where filter: String = "") -> [String] {
        svg.components(separatedBy: "\n").filter { $0.contains("class=\"\(cls)\"") && (filter.isEmpty || $0.contains(filter)) }.compactMap { line in
            guard let r = line.range(of: " \(name)=\"") else { return nil }
            return String(line[r.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test("the CORP bars add up: each score bar is the recalibrated score plus MCB, each base-rate bar plus DSC, in values, widths and words",
          arguments: binaryFixtures + ["fraud_transactions.csv"])
    func decompositionAddsUp(name: String) throws {
        let report = try Self.report(name, sample: name.hasPrefix("fraud"))
        for d in report.findings.calibration.decompositions {
            let v = d.values
            #expect(Swift.abs(v.miscalibration - v.discrimination + v.uncertainty - v.score) <= 1e-12 * Swift.max(1, v.score))
            // The identity's rounded numbers agree to the rounding.
            let numbers = d.identity.split(separator: " ").compactMap { Double($0) }
            #expect(numbers.count == 4)
            if numbers.count == 4 { #expect(Swift.abs(numbers[1] - numbers[2] + numbers[3] - numbers[0]) <= 2e-4) }
        }
        let svg = try Self.svg(HTMLRenderer.render(report), id: "decomposition")
        // The bars (the legend's swatches have no data-part).
        let base = Self.attribute("width", of: "dec-base", in: svg, where: "data-part").compactMap(Double.init)
        let mcb = Self.attribute("width", of: "dec-mcb", in: svg, where: "data-part").compactMap(Double.init)
        let dsc = Self.attribute("width", of: "dec-dsc", in: svg, where: "data-part").compactMap(Double.init)
        let totals = (Self.attribute("data-total", of: "dec-mcb", in: svg) + Self.attribute("data-total", of: "dec-dsc", in: svg)).compactMap(Double.init)
        try #require(base.count == 4 && mcb.count == 2 && dsc.count == 2 && totals.count == 4)
        for s in 0..<2 {
            // Bars 2s (score) and 2s + 1 (base rate) share the recalibrated part and a scale.
            #expect(Swift.abs(base[2 * s] - base[2 * s + 1]) <= 0.1)
            let score = base[2 * s] + mcb[s], uncertainty = base[2 * s + 1] + dsc[s]
            let longer = Swift.max(score, uncertainty)
            #expect(Swift.abs(longer - 230) <= 0.2)
            #expect(Swift.abs(score / longer - totals[s] / Swift.max(totals[s], totals[2 + s])) <= 0.002)
            #expect(Swift.abs(uncertainty / longer - totals[2 + s] / Swift.max(totals[s], totals[2 + s])) <= 0.002)
        }
        // The words beside the bars: "S = B + MCB M", "UNC U = B + DSC D".
        for text in svg.components(separatedBy: "\n").filter({ $0.contains("class=\"note\"") }) {
            let numbers = text.replacingOccurrences(of: "<", with: " ").replacingOccurrences(of: ">", with: " ").split(separator: " ").compactMap { Double($0) }
            try #require(numbers.count >= 3)
            let (total, recalibrated, part) = (numbers[numbers.count - 3], numbers[numbers.count - 2], numbers[numbers.count - 1])
            #expect(Swift.abs(recalibrated + part - total) <= 2e-4, "\(text)")
        }
    }

    @Test("the positive-class reliability diagram overlays the isotonic curve as a non-decreasing step line with a legend entry; the top-label one does not",
          arguments: binaryFixtures + ["fraud_transactions.csv"])
    func isotonicOverlay(name: String) throws {
        let report = try Self.report(name, sample: name.hasPrefix("fraud"))
        let curve = report.findings.calibration.isotonicCurve
        try #require(!curve.isEmpty)
        let html = HTMLRenderer.render(report)
        let svg = try Self.svg(html, id: "reliability-positive")
        #expect(svg.contains(">isotonic (CORP) recalibration</text>") && svg.contains("class=\"isotonic-swatch\""))
        let points = try #require(Self.attribute("points", of: "isotonic", in: svg).first).split(separator: " ").map { pair in
            pair.split(separator: ",").compactMap { Double($0) }
        }
        #expect(points.count == 2 * curve.count)
        for (a, b) in zip(points, points.dropFirst()) {
            #expect(a[0] <= b[0] && a[1] >= b[1], "\(a) then \(b)")  // rightwards, and upwards on screen
        }
        #expect(!(try Self.svg(html, id: "reliability-top")).contains("isotonic"))
    }

    @Test("the isotonic curve's corners: each step from its lowest score to the next step's, the last to its highest, within [0, 1]")
    func isotonicSteps() {
        let curve = [IsotonicStep(lowest: -0.1, highest: 0.2, value: 0.1, weight: 3), IsotonicStep(lowest: 0.3, highest: 0.3, value: 0.4, weight: 1),
                     IsotonicStep(lowest: 0.5, highest: 1.2, value: 0.9, weight: 2)]
        let corners = Charts.isotonicSteps(curve)
        #expect(corners.map(\.0) == [0, 0.3, 0.3, 0.5, 0.5, 1])
        #expect(corners.map(\.1) == [0.1, 0.1, 0.4, 0.4, 0.9, 0.9])
    }

    // MARK: Text from the input

    /// A binary JSON Lines input whose positive class is `name`: every score 0.6, a third of the rows positive (scores too high).
    static func hostileBinary(_ name: String) throws -> Report {
        var lines: [String] = []
        for i in 0..<60 {
            let label = i % 3 == 0 ? name : "other"
            let data = try JSONSerialization.data(withJSONObject: ["label": label, "score": 0.6 + Double(i % 5) * 0.01], options: [.sortedKeys])
            lines.append(String(decoding: data, as: UTF8.self))
        }
        var options = ReadOptions()
        options.format = .jsonl
        options.positive = name
        let outcome = try InputAudit.audit(.bytes(Array((lines.joined(separator: "\n") + "\n").utf8), name: "h.jsonl"), options: options, ranking: RankingSettings())
        return Report(input: outcome.input, result: outcome.result)
    }

    @Test("a hostile positive class stays escaped in the new sentences of every format", arguments: HostileString.cases)
    func hostilePositiveClass(hostile: HostileString) throws {
        let report = try Self.hostileBinary(hostile.text)
        #expect(report.positiveClass == hostile.text)
        let reading = try #require(report.findings.calibration.inTheLargeReading)
        #expect(reading.contains("'\(hostile.text)'"))
        let html = HTMLRenderer.render(report)
        #expect(html.contains("<div class=\"card-reading\">\(TextEscaping.html(reading))</div>"))
        #expect(!html.contains("<img"))
        let markdown = MarkdownRenderer.render(report)
        #expect(markdown.contains("| Calibration in the large | +"))
        #expect(markdown.contains(TextEscaping.markdown(reading)))
        for text in [TerminalRenderer.render(report), markdown, html] { #expect(HostileReportTests.hostileScalars(text) == []) }
        // The intercept sentence quotes the class; its table cell is text from the input, escaped by each writer.
        let intercept = CalibrationFindings.intercept(-0.5, positiveClass: hostile.text, reason: nil)
        let cell = ReportCell.text(intercept.sentence)
        #expect(ReportTable.htmlText(cell) == TextEscaping.html(intercept.sentence))
        #expect(ReportTable.markdownText(cell) == TextEscaping.markdown(intercept.sentence))
        #expect(ReportSections.calibrationChecks(report, compact: false).rows.allSatisfy { $0[3].own.isEmpty })
    }
}
