import CalibReport
import Testing

/// The verdict `calib fit` prints beside each before/after change.
@Suite("Recalibration: the before/after verdict")
struct RecalibrationVerdictTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let change: Double
        let lowerIsBetter: Bool
        let verdict: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a loss that falls is better", change: -0.00755, lowerIsBetter: true, verdict: "better"),
        Case(name: "a loss that rises is worse", change: 0.002, lowerIsBetter: true, verdict: "worse"),
        Case(name: "an AUC that rises is better", change: 0.01, lowerIsBetter: false, verdict: "better"),
        Case(name: "an AUC that falls is worse", change: -0.01, lowerIsBetter: false, verdict: "worse"),
        Case(name: "the smallest change shown (half a unit of the last decimal) has a verdict", change: -5e-6, lowerIsBetter: false, verdict: "worse"),
        Case(name: "a change shown as 0.00000 has none (ROC AUC moved by 3e-8 across folds)", change: -3e-8, lowerIsBetter: false, verdict: ""),
        Case(name: "no change has none", change: 0, lowerIsBetter: true, verdict: ""),
        Case(name: "an undefined change has none", change: .nan, lowerIsBetter: true, verdict: ""),
    ]

    @Test("a change gets a verdict only when it shows at 5 decimals", arguments: cases)
    func verdict(_ c: Case) {
        #expect(RecalibrationSummary.verdict(change: c.change, lowerIsBetter: c.lowerIsBetter, decimals: 5) == c.verdict)
    }
}
