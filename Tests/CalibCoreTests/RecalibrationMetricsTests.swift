@testable import CalibCore
import CalibTestSupport
import Dispatch
import Testing

/// `RecalibrationMetrics`, the six numbers of the recalibration comparison
/// (SPEC 12) that `calib fit` prints: a binary table's own pass must give
/// the same bits as the engine's whole audit with the comparison's settings
/// (`Recalibration.comparisonAudit`), which `calib audit --recalibrate` reports.
@Suite("Recalibration: the comparison's metrics")
struct RecalibrationMetricsTests {
    /// A binary table whose scores are rounded to `decimals` (ties, exact 0 and 1), with some weights 0 or not 1.
    static func rounded(seed: UInt64, rows: Int, decimals: Double, weights: (Int) -> Double) -> PredictionTable {
        let base = RecalibrationPropertyTests.binary(seed: seed, rows: rows)
        let scores = base.scores.map { ($0 * decimals).rounded() / decimals }
        return .binary(labels: base.labels.map(Int.init), scores: scores, weights: (0..<rows).map(weights))
    }

    static let cases: [(String, PredictionTable)] = [
        ("probabilities, unit weights", RecalibrationPropertyTests.binary(seed: 61, rows: 6000)),
        ("probabilities, weighted", RecalibrationPropertyTests.binary(seed: 62, rows: 6000, weighted: true)),
        ("logits, unit weights", RecalibrationPropertyTests.binary(seed: 63, rows: 6000, logits: true)),
        ("logits, weighted", RecalibrationPropertyTests.binary(seed: 64, rows: 6000, weighted: true, logits: true)),
        ("ties and exact 0 and 1, some rows of weight 0", rounded(seed: 65, rows: 6000, decimals: 10) { $0 % 7 == 3 ? 0 : 1 }),
        ("the first weight other than 1 late, some of weight 0", rounded(seed: 66, rows: 6000, decimals: 1000) { $0 < 4000 ? ($0 % 11 == 0 ? 0 : 1) : 2.5 }),
        ("one class only", .binary(labels: [1, 1, 1, 1], scores: [0.2, 0.9, 0.5, 0.5])),
        ("no rows", .binary(labels: [], scores: [])),
        ("multiclass (the whole audit)", RecalibrationPropertyTests.multiclass(seed: 67, rows: 900, logits: false)),
    ]

    static func bits(_ m: RecalibrationMetrics) -> [UInt64] {
        [m.crossEntropy, m.brier, m.ece, m.equalMassECE, m.smoothECE, m.rocAUC].map(\.bitPattern)
    }

    @Test("a table's metrics are the bits of the comparison's whole audit", arguments: cases)
    func sameBitsAsTheAudit(name: String, table: PredictionTable) {
        for bins in [15, 7] {
            let settings = AuditSettings(bins: bins)
            let names = (0..<table.shape.classCount).map { "\($0)" }
            let audited = RecalibrationMetrics(Recalibration.comparisonAudit(table, classes: names, settings: settings, runner: nil))
            let own = RecalibrationMetrics(of: table, settings: settings)
            #expect(Self.bits(own) == Self.bits(audited), "\(name), \(bins) bins: \(own) against the audit's \(audited)")
        }
    }

    @Test("the metrics are the same bits on several threads", arguments: cases)
    func threaded(name: String, table: PredictionTable) {
        let runner: RankingRunner = { count, body in DispatchQueue.concurrentPerform(iterations: count) { body($0) } }
        #expect(Self.bits(RecalibrationMetrics(of: table, settings: AuditSettings(), runner: runner))
                == Self.bits(RecalibrationMetrics(of: table, settings: AuditSettings())), "\(name)")
    }

    @Test("the cross-fitted scores' metrics are the bits of their audit",
          arguments: [RecalibrationMethod.temperature, .platt, .beta, .isotonic, .histogram])
    func crossFitted(method: RecalibrationMethod) throws {
        let table = RecalibrationPropertyTests.binary(seed: 68, rows: 5000, weighted: true)
        let scores = try Recalibration.crossFitted(method, table: table)
        let audited = RecalibrationMetrics(Recalibration.comparisonAudit(scores, classes: ["0", "1"], settings: AuditSettings(), runner: nil))
        #expect(Self.bits(RecalibrationMetrics(of: scores, settings: AuditSettings())) == Self.bits(audited), "\(method)")
    }
}
