@testable import CalibCore
import CalibTestSupport
import Testing

/// The fits' passes over the rows, done with fewer passes or copies than
/// they are specified with: each must give the specified bits.
@Suite("Recalibration: the passes over the rows")
struct RecalibrationPassTests {
    static let binaryTables: [(String, PredictionTable)] = [
        ("probabilities, weighted", RecalibrationPropertyTests.binary(seed: 71, rows: 20_000, weighted: true)),
        ("logits", RecalibrationPropertyTests.binary(seed: 72, rows: 20_000, logits: true)),
        ("exact 0 and 1 among the scores", .binary(labels: [0, 1, 0, 1, 1, 0, 1], scores: [0, 1, 0.3, 0.6, 0.9, 1, 0])),
    ]

    @Test("temperature: L'(0) summed in the first Newton pass is the bits of its own pass, for every fold left out",
          arguments: binaryTables)
    func slopeAtZeroInTheFirstPass(name: String, table: PredictionTable) {
        let prepared = FitTable(.temperature, table, runner: nil)
        let design = prepared.temperature!
        for excluded in [nil, 0, 3] as [Int?] {
            let rows = TemperatureRows(classCount: 2, z: design.z, labels: table.labels, weights: table.weights, excludedFold: excluded)
            for beta in [0.3, 1.0, 2.5] {
                let fused = rows.derivatives(beta, runner: nil, slopeAtZero: true)
                let plain = rows.derivatives(beta, runner: nil)
                #expect(fused.slopeAtZero.bitPattern == rows.slopeAtZero(runner: nil).bitPattern, "\(name), fold \(String(describing: excluded))")
                #expect(fused.first.bitPattern == plain.first.bitPattern && fused.second.bitPattern == plain.second.bitPattern, "\(name)")
            }
        }
    }

    /// Positives scored low and negatives high: `L'(0) > 0`, the best temperature is infinite.
    static func reversed(rows: Int) -> PredictionTable {
        let base = RecalibrationPropertyTests.binary(seed: 73, rows: rows)
        return .binary(labels: base.labels.map { 1 - Int($0) }, scores: base.scores)
    }

    @Test("temperature refuses scores no better than a uniform guess, with or without a sample's start",
          arguments: [("4 rows", 4), ("150,000 rows (a sample's start first)", 150_000)])
    func infiniteTemperature(name: String, rows: Int) {
        let table = rows == 4 ? .binary(labels: [0, 0, 1, 1], scores: [0.9, 0.8, 0.2, 0.1]) : Self.reversed(rows: rows)
        #expect(throws: TemperatureFit.infiniteTemperature, "\(name)") {
            try Recalibration.fit(.temperature, table: table, classes: ["0", "1"])
        }
    }

    @Test("histogram cross-fitted scores are each fold's calibrator applied, bit for bit",
          arguments: [("15 bins, weighted", 15, false), ("1 bin (no edges)", 1, false), ("40 bins, logits", 40, true)])
    func histogramCrossFit(name: String, bins: Int, logits: Bool) throws {
        let table = RecalibrationPropertyTests.binary(seed: 74, rows: 20_000, weighted: !logits, logits: logits)
        let prepared = FitTable(.histogram, table, runner: nil)
        let folds = try (0..<Recalibration.folds).map { fold in
            Calibrator(classes: ["0", "1"], parameters: try Recalibration.fit(.histogram, data: FitData(table: prepared, excludedFold: fold), bins: bins))
        }
        let crossFitted = try Recalibration.crossFitted(.histogram, table: table, bins: bins)
        let kind = table.shape.scoreKind
        let differing = (0..<table.count).filter {
            crossFitted.scores[$0].bitPattern != folds[$0 % Recalibration.folds].applyBinary(table.scores[$0], kind: kind, as: .probabilities).bitPattern
        }
        #expect(differing.isEmpty, "\(name): rows \(differing.prefix(5))")
    }
}
