import CalibCore
@testable import CalibReport
import Testing

/// Every catalogue key has a display label and digits in the shared report
/// vocabulary, so a new metric cannot reach a report without words for it.
@Suite("Report vocabulary")
struct VocabularyTests {
    @Test("every headline key has a label and digits", arguments: MetricKey.all)
    func metric(key: MetricKey) throws {
        let display = try #require(ReportVocabulary.metrics[key.name], "\(key) has no entry in ReportVocabulary.metrics")
        #expect(!display.label.isEmpty && !display.shortLabel.isEmpty)
        // A count (the Hosmer–Lemeshow groups) prints no decimals.
        #expect((key == .hosmerLemeshowGroups ? 0...0 : 1...6).contains(display.digits))
    }

    @Test("every per-class key has a label and digits", arguments: ClassMetricKey.all)
    func classMetric(key: ClassMetricKey) throws {
        let display = try #require(ReportVocabulary.classMetrics[key.name], "\(key) has no entry in ReportVocabulary.classMetrics")
        #expect(!display.label.isEmpty && !display.shortLabel.isEmpty)
        #expect((0...6).contains(display.digits))
    }

    @Test("the vocabulary names no key the catalogue does not have")
    func noStrays() {
        #expect(Set(ReportVocabulary.metrics.keys) == Set(MetricKey.all.map(\.name)))
        #expect(Set(ReportVocabulary.classMetrics.keys) == Set(ClassMetricKey.all.map(\.name)))
    }

    @Test("a value is printed with its key's digits; an undefined one as —", arguments: [
        (MetricKey.crossEntropy, 0.014_83, "0.0148"),
        (MetricKey.named("macro.f1")!, 0.812_6, "0.813"),
        (MetricKey.perplexity, 1.502_9, "1.503"),
        (MetricKey.ece, Double.nan, "—"),
        (MetricKey.mce, Double.infinity, "—"),
    ])
    func formatted(key: MetricKey, value: Double, text: String) {
        #expect(ReportVocabulary.formatted(key, value) == text)
    }

    @Test("per-class values: support as a weighted count, prior as a percentage, the rest with their digits", arguments: [
        (ClassMetricKey.support, 12_345.0, "12,345"),
        (ClassMetricKey.support, 2.5, "2.50"),
        (ClassMetricKey.prior, 0.226_3, "22.63%"),
        (ClassMetricKey.f1, 0.765_5, "0.766"),
        (ClassMetricKey.crossEntropy, 0.757_04, "0.7570"),
        (ClassMetricKey.crossEntropy, Double.nan, "—"),
    ])
    func classFormatted(key: ClassMetricKey, value: Double, text: String) {
        #expect(ReportVocabulary.formatted(key, value) == text)
    }

    @Test("a missing per-class value (a class with no rows) is —")
    func missing() {
        #expect(ReportVocabulary.formatted(ClassMetricKey.crossEntropy, nil) == "—")
        #expect(ReportVocabulary.formatted(ClassMetricKey.support, nil) == "—")
        #expect(ReportVocabulary.formatted(MetricKey.calibrationInTheLarge, nil) == "—")
    }
}
