@testable import CalibCore
import CalibTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A binary row whose values are ordinary takes the pattern of an earlier row
/// of its shape (`ReplicateBatch.BinaryRow`) instead of logging its terms.
/// The replicates must be the general path's bit for bit, on rows whose values
/// equal 0, 1 or each other, clipped rows beside unclipped ones of the same
/// bins, decisions and confidence cuts inside a bin, logits, weights of 1 and
/// not among each other, weights whose square is 0, 1 or infinite, and chunks
/// longer than a batch.
@Suite("Binary rows by shape: the general path's replicates, bit for bit")
struct BinaryRowShapeTests {
    /// One binary row, as the audit's loop derives it (`body` sees its context): a copy of the
    /// loop's first step for these unit tests; `sameReplicates` goes through the loop itself.
    static func withRow<T>(label: Int, score: Double, kind: ScoreKind, weight: Double, _ body: (RowContext) -> T) -> T {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4) { buffer in
            let p = buffer.baseAddress!, lp = p + 2
            if kind == .logits {
                let logit = StableMath.binaryLogit(score)
                p[1] = logit.positive; p[0] = logit.negative; lp[1] = logit.logPositive; lp[0] = logit.logNegative
            } else {
                p[1] = score; p[0] = 1 - score
                lp[1] = StableMath.ln(Swift.max(score, probabilityFloor)); lp[0] = StableMath.ln(Swift.max(1 - score, probabilityFloor))
            }
            let top = p[1] > p[0] ? 1 : 0
            return body(RowContext(label: label, weight: weight, classCount: 2, probabilities: p, logProbabilities: lp, top: top,
                                   topProbability: p[top], positiveScore: p[1], clipped: kind == .probabilities))
        }
    }

    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let label: Int
        let score: Double
        var kind: ScoreKind = .probabilities
        var weight = 1.0
        /// Whether its values are ordinary (a shape), and then whether it counts as clipped.
        let hasShape: Bool
        var clipped = false
        var testDescription: String { name }
    }

    static let rows = [
        Row(name: "an ordinary score", label: 1, score: 0.3, hasShape: true),
        Row(name: "an ordinary logit", label: 0, score: 1.7, kind: .logits, hasShape: true),
        Row(name: "score ½: p₀ = p₁", label: 1, score: 0.5, hasShape: false),
        Row(name: "logit 0: p₀ = p₁", label: 0, score: 0, kind: .logits, hasShape: false),
        Row(name: "score 0: p₁ = 0 and CE = 0", label: 0, score: 0, hasShape: false),
        Row(name: "score 1: p₀ = 0", label: 0, score: 1, hasShape: false),
        Row(name: "score e⁻¹ of a positive: CE = 1", label: 1, score: exp(-1.0), hasShape: false),
        Row(name: "score 10⁻²⁰ of a positive: Brier rounds to 1", label: 1, score: 1e-20, hasShape: false),
        Row(name: "logit 40: p₁ rounds to 1", label: 1, score: 40, kind: .logits, hasShape: false),
        Row(name: "a NaN score", label: 1, score: .nan, hasShape: false),
        Row(name: "score 1 − 2⁻⁵³ of a negative: clipped, every value ordinary", label: 0, score: 1 - 0x1p-53, hasShape: true, clipped: true),
        Row(name: "weight 20", label: 0, score: 0.3, weight: 20, hasShape: true),
        Row(name: "weight 0", label: 0, score: 0.3, weight: 0, hasShape: false),
        Row(name: "weight −1: w² = 1", label: 0, score: 0.3, weight: -1, hasShape: false),
        Row(name: "weight 10⁻¹⁷⁰: w² underflows to 0", label: 0, score: 0.3, weight: 1e-170, hasShape: false),
        Row(name: "weight 2 and score ½: w·p₀ = w·p₁", label: 1, score: 0.5, weight: 2, hasShape: false),
    ]

    @Test("a row has a shape exactly when its distinct values are neither 0 nor 1 nor NaN and differ", arguments: rows)
    func ordinaryValues(row: Row) {
        let settings = AuditSettings()
        let families = AuditFamilies(classCount: 2, settings: settings, losses: [])
        let shaped = Self.withRow(label: row.label, score: row.score, kind: row.kind, weight: row.weight) {
            ReplicateBatch.BinaryRow($0, scalars: ScalarTotalsFamily(confidentAt: settings.confidentAt), families: families)
        }
        #expect((shaped != nil) == row.hasShape)
        if let shaped {
            #expect((shaped.shape >> 5) & 1 == (row.clipped ? 1 : 0))
            #expect(shaped.count == (row.weight == 1 ? 4 : 6))
        }
    }

    struct Sample: CustomTestStringConvertible, Sendable {
        let name: String
        var rows = 4_000
        var kind: ScoreKind = .probabilities
        var settings = AuditSettings()
        /// A row's weight, and its label and score.
        var weigh: @Sendable (inout SeededGenerator) -> Double = { _ in 1 }
        let draw: @Sendable (inout SeededGenerator) -> (label: Int, score: Double)
        var testDescription: String { name }
    }

    /// A label drawn as Bernoulli(`s`).
    static func bernoulli(_ s: Double, _ g: inout SeededGenerator) -> Int { Double.random(in: 0..<1, using: &g) < s ? 1 : 0 }

    /// One of `values`, with a label drawn at random.
    static func pick(_ values: [Double], _ g: inout SeededGenerator) -> (label: Int, score: Double) {
        (Int.random(in: 0...1, using: &g), values[Int.random(in: 0..<values.count, using: &g)])
    }

    static let samples = [
        Sample(name: "distinct scores, past one batch", rows: 20_000) { g in
            let s = Double.random(in: 0..<1, using: &g)
            return (BinaryRowShapeTests.bernoulli(s, &g), s)
        },
        Sample(name: "scores on the bin edges, the threshold and the confidence cut") { g in
            BinaryRowShapeTests.pick((0...15).map { Double($0) / 15 } + [0.5, 0.9, 0.1, 0.3, 0.7, 0.5.nextUp, 0.5.nextDown, 0.9.nextDown], &g)
        },
        Sample(name: "threshold 0.3: decisions inside a bin of rows alike in all else", settings: AuditSettings(threshold: 0.3)) { g in
            let s = Bool.random(using: &g) ? Double.random(in: 0.25..<0.35, using: &g) : Double.random(in: 0..<1, using: &g)
            return (Int.random(in: 0...1, using: &g), s)
        },
        Sample(name: "one bin", settings: AuditSettings(bins: 1)) { g in
            let s = Double.random(in: 0..<1, using: &g)
            return (BinaryRowShapeTests.bernoulli(s, &g), s)
        },
        Sample(name: "values that are 0, 1 or equal (scores 0, 1, ½, e⁻¹, 1 − e⁻¹, 10⁻²⁰) among ordinary ones of the same bins",
               settings: AuditSettings(threshold: 0.3)) { g in
            Bool.random(using: &g) ? BinaryRowShapeTests.pick([0, 1, 0.5, exp(-1.0), 1 - exp(-1.0), 1e-20, 1 - 1e-20], &g)
                : (Int.random(in: 0...1, using: &g), Double.random(in: 0..<1, using: &g))
        },
        Sample(name: "scores near 1 of negatives: clipped rows beside unclipped ones of the same bins") { g in
            BinaryRowShapeTests.pick([1 - 0x1p-53, 1 - 0x1p-52, 1 - 0x1p-50, 0.99, 0.995, 0.97, 0.01, 0x1p-53], &g)
        },
        Sample(name: "weights 1 and 20 (the downsampled sample's)", rows: 20_000, weigh: { Bool.random(using: &$0) ? 1 : 20 }) { g in
            let s = Double.random(in: 0..<1, using: &g)
            return (BinaryRowShapeTests.bernoulli(s, &g), s)
        },
        // Finite, moderate sums: a weight grouped with the wrong others (w = −1 or 10⁻¹⁷⁰ with w = 3) changes their bits.
        Sample(name: "weights 0, 1, ½, 3, −1, 10⁻¹⁷⁰ (w² underflows), 3·2⁻¹⁰⁷⁴ (w·p rounds onto w), 3·2⁻⁵² apart",
               weigh: { BinaryRowShapeTests.pick([0, 1, 0.5, 3, 3 + 0x1p-51, -1, 1e-170, 3 * 0x1p-1074], &$0).score }) { g in
            Bool.random(using: &g) ? BinaryRowShapeTests.pick([0, 1, 0.5, exp(-1.0), 0.3, 0.7], &g)
                : (Int.random(in: 0...1, using: &g), Double.random(in: 0..<1, using: &g))
        },
        Sample(name: "weights 1 and 10²⁰⁰ (w² overflows)", weigh: { Bool.random(using: &$0) ? 1 : 1e200 }) { g in
            let s = Double.random(in: 0..<1, using: &g)
            return (BinaryRowShapeTests.bernoulli(s, &g), s)
        },
        Sample(name: "logits from −40 to 40, with 0", kind: .logits) { g in
            Bool.random(using: &g) ? BinaryRowShapeTests.pick([-40, -1, 0, 1, 40, 36.5, -36.5], &g)
                : (Int.random(in: 0...1, using: &g), Double.random(in: -6...6, using: &g))
        },
    ]

    /// Everything the bootstrap holds after the sample's rows, as bit patterns; the general path when `general`.
    static func replicates(_ sample: Sample, general: Bool) -> [[UInt64]] {
        var g = SeededGenerator(seed: 17)
        let shape = ClassificationShape(classCount: 2, scoreKind: sample.kind)
        var table = PredictionTable(shape: shape)
        for i in 0..<sample.rows {
            let weight = sample.weigh(&g)
            let row = sample.draw(&g)
            table.append(label: row.label, scores: [row.score], weight: weight, line: i + 2)
        }
        return BootstrapReplicates.stateBits(after: table, settings: sample.settings, byShape: !general)
    }

    @Test("a binary chunk's replicates are the general path's", arguments: samples)
    func sameReplicates(sample: Sample) {
        let byShape = Self.replicates(sample, general: false)
        #expect(byShape == Self.replicates(sample, general: true))
        #expect(byShape[2].contains { $0 != 0 })
    }

    @Test("the shortcut is taken: a row of a shape remembered is recorded by it, one of another shape is not",
          arguments: [1.0, 20.0])
    func shortcutTaken(weight: Double) {
        let boot = BootstrapReplicates(settings: BootstrapSettings(replicates: 24, seed: 5), classCount: 2, auditSettings: AuditSettings())
        let layout = boot.replicateLayout
        var batch = boot.makeBatch()
        defer { batch.deallocate() }
        func shape(_ score: Double) -> ReplicateBatch.BinaryRow? {
            Self.withRow(label: 1, score: score, kind: .probabilities, weight: weight) {
                ReplicateBatch.BinaryRow($0, scalars: boot.scalarTemplate, families: boot.familyTemplate)
            }
        }
        // Scores 0.31 and 0.32 share every shape fact (bin 4 of 15, label 1, decided 0, not confident); 0.71 does not.
        let first = shape(0.31)!, same = shape(0.32)!, other = shape(0.71)!
        #expect(first.shape == same.shape && first.shape != other.shape)
        let unseen = batch.record(first, key: 1, cell: 0)
        #expect(!unseen, "a shape not met yet")
        var log = batch.log
        Self.withRow(label: 1, score: 0.31, kind: .probabilities, weight: weight) { row in
            boot.scalarTemplate.addTerms(row, to: &log, at: SlotBase(sums: layout.scalars.sums, counts: layout.scalars.counts))
            boot.familyTemplate.addTermsBeforeLosses(row, to: &log, at: SlotBase(sums: layout.families.sums, counts: layout.families.counts))
        }
        batch.record(key: 1, weight: weight, cells: [0], log: log)
        batch.remember(first)
        let taken = batch.record(same, key: 2, cell: 0), otherTaken = batch.record(other, key: 3, cell: 0)
        #expect(taken && !otherTaken)
        #expect(batch.rows == 2)
    }
}

extension BootstrapReplicates {
    /// What 24 replicates (seed 5) hold after `table`'s rows, as bit patterns: by the shapes (`byShape`) or the general path.
    static func stateBits(after table: PredictionTable, settings: AuditSettings, byShape: Bool) -> [[UInt64]] {
        var accumulator = AuditAccumulator(shape: table.shape, settings: settings, losses: [], bootstrap: BootstrapSettings(replicates: 24, seed: 5))
        if byShape {
            accumulator.add(table)
        } else if table.shape.classCount == 2 {
            accumulator.add(table, rows: 0..<table.count, classes: TwoClasses.self, weighing: StoredWeights.self, byShape: false)
        } else {
            accumulator.add(table, rows: 0..<table.count, classes: AnyClassCount.self, weighing: StoredWeights.self, byShape: false)
        }
        return accumulator.bootstrap!.stateBits
    }

    /// Everything the replicates hold (totals, grid cells, full-sample cells), as bit patterns: equal exactly when bit for bit.
    var stateBits: [[UInt64]] {
        [totals.sums.map(\.bitPattern), totals.compensations.map(\.bitPattern), totals.counts.map { UInt64(bitPattern: Int64($0)) },
         cells.dense.map(\.bitPattern), fullWeights.map(\.bitPattern), fullScores.map(\.bitPattern)]
    }
}
