@testable import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// The smooth ECE (SPEC 9 `smoothECE`, `smoothECEBandwidth`) of `SmoothECEGrid` against relplot 1.0.3's
/// `smECE` (unweighted fixtures) and the numpy transcription of it with weights
/// (`Golden/make_calibration_golden.py`, `weighted_smece`), as written into `Golden/calibration_expected.json`.
@Suite("Smooth ECE: relplot's smECE from a fine grid")
struct SmoothECETests {
    /// Every fixture of `calibration_expected.json` (checked against the file by `fixtureList`).
    static let fixtures = [
        "binary_01", "calibrated_binary", "edge_no_positive", "edge_scores_0_1", "edge_single_row", "edge_ten_rows",
        "multiclass_logits", "multiclass_probs", "multiclass_rounded", "multiclass_rounded_weighted", "separable_binary",
        "string_labels", "ties_all_equal", "ties_rounded", "ties_rounded_weighted", "ties_two_values",
        "ties_two_values_weighted", "weighted_binary", "weighted_multiclass",
    ]
    /// SPEC 9: agreement with relplot on `smoothECE` (measured worst: 1.4e-6, weighted_binary).
    static let valueTolerance = 1e-4
    /// SPEC 9: σ* within one bisection step of relplot's.
    static let bandwidthStep = 1.0 / 1024
    /// Runs of equal scores summed, or rows one by one; two halves merged, or one grid.
    static let feedTolerance = 1e-12

    /// One headline pair: score `x`, outcome `y = 1`, weight.
    struct Row: Sendable {
        var x: Double
        var positive: Bool
        var weight: Double
    }

    struct Golden {
        var rows: [Row]
        var value: Double
        var bandwidth: Double
    }

    static func expectedFile() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/calibration_expected.json"))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(all["fixtures"] as? [String: Any])
    }

    /// The fixture's headline pairs read from its CSV as its `input` describes it, and relplot's values.
    static func golden(_ name: String) throws -> Golden {
        let fixture = try #require(try expectedFile()[name] as? [String: Any], "no fixture \(name)")
        let input = try #require(fixture["input"] as? [String: Any])
        let metrics = try #require(fixture["metrics"] as? [String: Any])
        let file = try #require(input["file"] as? String)
        let labelColumn = try #require(input["label"] as? String)
        let scoreColumns = try #require(input["scores"] as? [String])
        let classes = try #require(input["classes"] as? [String])
        let weightColumn = input["weight"] as? String
        let logits = try #require(input["logits"] as? Bool)

        let text = try String(contentsOfFile: TestPaths.golden + "/" + file, encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(lines.first)
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "\(file): no column \(name)") }
        let label = try column(labelColumn)
        let scores = try scoreColumns.map(column)
        let weight = try weightColumn.map(column)
        var rows: [Row] = []
        for fields in lines.dropFirst() {
            let z = try scores.map { try #require(Double(fields[$0])) }
            let w = try weight.map { try #require(Double(fields[$0])) } ?? 1
            if classes.count == 2 {
                rows.append(Row(x: z[0], positive: fields[label] == classes[1], weight: w))
            } else {
                let p = logits ? softmax(z) : z
                let top = try #require(p.indices.first { p[$0] == p.max() })   // ties → lowest index
                rows.append(Row(x: p[top], positive: fields[label] == classes[top], weight: w))
            }
        }
        #expect(rows.count == input["rows"] as? Int, "\(name): rows read")
        return Golden(rows: rows,
                      value: try #require((metrics["smoothECE"] as? NSNumber)?.doubleValue),
                      bandwidth: try #require((metrics["smoothECEBandwidth"] as? NSNumber)?.doubleValue))
    }

    /// `exp(log_softmax(z))` as scipy computes it: `t = z − max z`, `t − log Σ exp t`.
    static func softmax(_ z: [Double]) -> [Double] {
        let m = z.max() ?? 0
        let t = z.map { $0 - m }
        let lse = log(t.reduce(0) { $0 + exp($1) })
        return t.map { exp($0 - lse) }
    }

    /// The grid fed one row at a time.
    static func gridByRow(_ rows: [Row]) -> SmoothECEGrid {
        var grid = SmoothECEGrid()
        for row in rows {
            grid.add(score: row.x, weight: row.weight, positiveWeight: row.positive ? row.weight : 0)
        }
        return grid
    }

    /// The grid fed as the sorted walk feeds it: one run per distinct score, weights summed.
    static func gridByRun(_ rows: [Row]) -> SmoothECEGrid {
        var grid = SmoothECEGrid()
        let sorted = rows.sorted { $0.x < $1.x }
        var start = 0
        while start < sorted.count {
            var end = start, weight = 0.0, positive = 0.0
            while end < sorted.count && sorted[end].x == sorted[start].x {
                weight += sorted[end].weight
                positive += sorted[end].positive ? sorted[end].weight : 0
                end += 1
            }
            grid.add(score: sorted[start].x, weight: weight, positiveWeight: positive)
            start = end
        }
        return grid
    }

    // MARK: golden values

    @Test("the fixture table lists every fixture of calibration_expected.json")
    func fixtureList() throws {
        #expect(Set(try Self.expectedFile().keys) == Set(Self.fixtures))
    }

    @Test("smoothECE within 1e-4 of relplot and σ* within 2⁻¹⁰ (in fact equal), fed as runs of equal scores", arguments: fixtures)
    func golden(fixture: String) throws {
        let golden = try Self.golden(fixture)
        let estimate = try #require(Self.gridByRun(golden.rows).estimate())
        #expect(abs(estimate.value - golden.value) <= Self.valueTolerance,
                "\(fixture): smoothECE \(estimate.value), relplot \(golden.value)")
        #expect(abs(estimate.bandwidth - golden.bandwidth) <= Self.bandwidthStep,
                "\(fixture): σ* \(estimate.bandwidth), relplot \(golden.bandwidth)")
        #expect(estimate.bandwidth == golden.bandwidth, "\(fixture): σ* \(estimate.bandwidth) is not relplot's \(golden.bandwidth)")
    }

    /// The fixtures with tied scores, where a run differs from its rows.
    static let tiedFixtures = [
        "edge_scores_0_1", "edge_ten_rows", "multiclass_rounded", "multiclass_rounded_weighted", "ties_all_equal",
        "ties_rounded", "ties_rounded_weighted", "ties_two_values", "ties_two_values_weighted",
    ]

    @Test("rows one by one give the runs' result within 1e-12", arguments: tiedFixtures)
    func rowsEqualRuns(fixture: String) throws {
        let rows = try Self.golden(fixture).rows
        #expect(Set(rows.map(\.x)).count < rows.count, "\(fixture) has tied scores")
        let byRow = try #require(Self.gridByRow(rows).estimate())
        let byRun = try #require(Self.gridByRun(rows).estimate())
        #expect(abs(byRow.value - byRun.value) <= Self.feedTolerance, "\(fixture): \(byRow.value) vs \(byRun.value)")
        #expect(byRow.bandwidth == byRun.bandwidth)
    }

    // MARK: edge cases

    struct EdgeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var rows: [Row]
        /// relplot 1.0.3's `smECE(f, y, return_width=True)` on these rows.
        var value: Double
        var bandwidth: Double
        var testDescription: String { name }
    }

    static func rows(_ count: Int, x: Double, positive: Bool) -> [Row] {
        Array(repeating: Row(x: x, positive: positive, weight: 1), count: count)
    }

    /// Values from `relplot.smECE(np.array(f), np.array(y), return_width=True)`; the grid is exact at 0 and 1.
    static let edgeCases = [
        EdgeCase(name: "all weight at 0, every outcome 0: no error, σ* the search's floor 2⁻⁹",
                 rows: rows(5, x: 0, positive: false), value: 0, bandwidth: 0.001953125),
        EdgeCase(name: "all weight at 1, every outcome 1: no error, σ* = 2⁻⁹",
                 rows: rows(5, x: 1, positive: true), value: 0, bandwidth: 0.001953125),
        EdgeCase(name: "all weight at 1, every outcome 0: 1 less the density floor's share, σ* = 1",
                 rows: rows(5, x: 1, positive: false), value: 0.9998955737222024, bandwidth: 1),
        EdgeCase(name: "one row at 0 with outcome 1 and one at 1 with outcome 0, σ* = 1",
                 rows: [Row(x: 0, positive: true, weight: 1), Row(x: 1, positive: false, weight: 1)],
                 value: 0.9997389751922797, bandwidth: 1),
    ]

    @Test("scores at the ends of [0, 1] agree with relplot", arguments: edgeCases)
    func ends(_ edge: EdgeCase) throws {
        let estimate = try #require(Self.gridByRow(edge.rows).estimate())
        #expect(abs(estimate.value - edge.value) <= Self.feedTolerance, "\(estimate.value) vs relplot \(edge.value)")
        #expect(estimate.bandwidth == edge.bandwidth)
    }

    @Test("a grid without weight has no estimate", arguments: [
        ("no rows", [Row]()),
        ("rows of weight 0", [Row(x: 0.3, positive: true, weight: 0), Row(x: 0.7, positive: false, weight: 0)]),
    ])
    func noWeight(_ name: String, _ rows: [Row]) {
        #expect(Self.gridByRow(rows).estimate() == nil, "\(name)")
    }

    @Test("weights of 1e300 give the estimate of the same rows at 1e200: the density floor is negligible at both")
    func hugeWeights() throws {
        let rows = try Self.golden("weighted_binary").rows
        func scaled(_ factor: Double) -> [Row] { rows.map { Row(x: $0.x, positive: $0.positive, weight: $0.weight * factor) } }
        let huge = try #require(Self.gridByRow(scaled(1e300)).estimate())
        let large = try #require(Self.gridByRow(scaled(1e200)).estimate())
        #expect(huge.value.isFinite)
        #expect(abs(huge.value - large.value) <= Self.feedTolerance, "\(huge.value) vs \(large.value)")
        #expect(huge.bandwidth == large.bandwidth)
    }

    @Test("a total weight that overflows to infinity gives no estimate, and no trap")
    func overflowingWeights() {
        let rows = [Row(x: 0.2, positive: false, weight: 1e308), Row(x: 0.8, positive: true, weight: 1e308)]
        #expect(Self.gridByRow(rows).estimate() == nil)
    }

    @Test("weights of 1e-300: the density floor 0.0001 dominates, so the estimate is about 0, as in relplot's formula")
    func tinyWeights() throws {
        let rows = Self.rows(5, x: 1, positive: false).map { Row(x: $0.x, positive: $0.positive, weight: 1e-300) }
        let estimate = try #require(Self.gridByRow(rows).estimate())
        #expect(estimate.value >= 0 && estimate.value < 1e-290, "\(estimate.value)")
    }

    @Test("a NaN score makes the value NaN, and no trap")
    func nanScore() throws {
        let rows = [Row(x: .nan, positive: true, weight: 1), Row(x: 0.4, positive: false, weight: 1)]
        let estimate = try #require(Self.gridByRow(rows).estimate())
        #expect(estimate.value.isNaN)
    }

    // MARK: properties

    /// `count` rows with `s` uniform on `[0, 1 − shift)`, `y ~ Bernoulli(s)`, reported score `s + shift`.
    static func synthetic(seed: UInt64, count: Int, shift: Double) -> [Row] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let s = Double.random(in: 0..<(1 - shift), using: &generator)
            let y = Double.random(in: 0..<1, using: &generator) < s
            return Row(x: s + shift, positive: y, weight: 1)
        }
    }

    @Test("perfectly calibrated scores (y ~ Bernoulli(s), 20k rows) have smoothECE below 0.02", arguments: [1, 2, 3] as [UInt64])
    func calibrated(seed: UInt64) throws {
        let estimate = try #require(Self.gridByRow(Self.synthetic(seed: seed, count: 20_000, shift: 0)).estimate())
        #expect(estimate.value < 0.02, "seed \(seed): \(estimate.value)")
    }

    @Test("scores overstating every chance by 0.1 (20k rows) have smoothECE within 0.01 of 0.1", arguments: [1, 2, 3] as [UInt64])
    func constantMiscalibration(seed: UInt64) throws {
        let estimate = try #require(Self.gridByRow(Self.synthetic(seed: seed, count: 20_000, shift: 0.1)).estimate())
        #expect(abs(estimate.value - 0.1) < 0.01, "seed \(seed): \(estimate.value)")
    }

    @Test("two halves merged equal one grid node by node within 1e-12 of the total weight; merging commutes exactly",
          arguments: fixtures)
    func mergedHalves(fixture: String) throws {
        let rows = try Self.golden(fixture).rows
        let half = rows.count / 2
        let first = Self.gridByRow(Array(rows[..<half])), second = Self.gridByRow(Array(rows[half...]))
        var merged = first
        merged.merge(second)
        var reversed = second
        reversed.merge(first)
        #expect(merged == reversed)
        let whole = Self.gridByRow(rows)
        let tolerance = Self.feedTolerance * whole.totalWeight
        #expect(abs(merged.totalWeight - whole.totalWeight) <= tolerance)
        for (name, a, b) in [("weight", merged.weight, whole.weight), ("residual", merged.residual, whole.residual)] {
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(a.count == b.count && worst <= tolerance, "\(fixture): \(name) nodes differ by \(worst)")
        }
    }

    @Test("merging an empty grid changes nothing")
    func mergeEmpty() throws {
        let grid = Self.gridByRow(try Self.golden("ties_rounded").rows)
        var merged = grid
        merged.merge(SmoothECEGrid())
        var fromEmpty = SmoothECEGrid()
        fromEmpty.merge(grid)
        #expect(merged == grid)
        #expect(fromEmpty == grid)
        #expect(SmoothECEGrid() != grid)
    }

    @Test("integer weights act as repeated rows (frequency weights)",
          arguments: ["weighted_binary", "ties_rounded_weighted", "multiclass_rounded_weighted"])
    func frequencyWeights(fixture: String) throws {
        let rows = try Self.golden(fixture).rows.enumerated().map { i, row in
            Row(x: row.x, positive: row.positive, weight: Double(1 + i % 4))
        }
        let repeated = rows.flatMap { row in Array(repeating: Row(x: row.x, positive: row.positive, weight: 1), count: Int(row.weight)) }
        let weighted = try #require(Self.gridByRow(rows).estimate())
        let copies = try #require(Self.gridByRow(repeated).estimate())
        #expect(abs(weighted.value - copies.value) <= Self.feedTolerance, "\(fixture): \(weighted.value) vs \(copies.value)")
        #expect(weighted.bandwidth == copies.bandwidth)
    }
}
