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

/// A multiclass row of weight 1 records each class-wise table's unit by its
/// shape (the bin of `p_c` and whether `y = c`) once a unit of that shape has
/// been met (`ReplicateBatch.recordClasswise`), instead of logging its terms.
/// The replicates must be the general path's bit for bit, on rows whose `p_c`
/// is 0, 1 or ½, on bin edges, with weights of 1 beside others, logits, many
/// bins (shapes evicting each other) and chunks longer than a batch.
@Suite("Multiclass rows' class-wise units by shape: the general path's replicates, bit for bit")
struct ClasswiseShapeTests {
    struct Sample: CustomTestStringConvertible, Sendable {
        let name: String
        var rows = 3_000
        var classes = 4
        var kind: ScoreKind = .probabilities
        var settings = AuditSettings()
        /// A row's weight.
        var weigh: @Sendable (inout SeededGenerator) -> Double = { _ in 1 }
        /// A row's scores (probabilities summing to 1, or logits).
        let draw: @Sendable (Int, inout SeededGenerator) -> [Double]
        var testDescription: String { name }
    }

    /// Probabilities from uniform draws, normalised.
    static func ordinary(_ k: Int, _ g: inout SeededGenerator) -> [Double] {
        let x = (0..<k).map { _ in Double.random(in: 0.01..<1, using: &g) }
        let total = x.reduce(0, +)
        return x.map { $0 / total }
    }

    /// One of a few rows with probabilities 0, 1 or ½, or an ordinary row.
    static func edges(_ k: Int, _ g: inout SeededGenerator) -> [Double] {
        var p = [Double](repeating: 0, count: k)
        switch Int.random(in: 0..<4, using: &g) {
        case 0: p[Int.random(in: 0..<k, using: &g)] = 1
        case 1: p[0] = 0.5; p[k - 1] = 0.5
        case 2: p = (0..<k).map { Double($0 + 1) / Double(k * (k + 1) / 2) } // on bin edges at small k
        default: p = ordinary(k, &g)
        }
        return p
    }

    static let samples = [
        Sample(name: "ordinary probabilities, past one batch", rows: 20_000, draw: ordinary),
        Sample(name: "probabilities 0, 1 and ½ among ordinary ones", draw: edges),
        Sample(name: "ten classes, one bin", classes: 10, settings: AuditSettings(bins: 1), draw: ordinary),
        Sample(name: "400 bins: more shapes than the table keeps within reach", rows: 8_000, classes: 6,
               settings: AuditSettings(bins: 400), draw: ordinary),
        Sample(name: "weights 1 and 3 (the general path for the others)", weigh: { Bool.random(using: &$0) ? 1 : 3 }, draw: edges),
        Sample(name: "logits, some far apart (probabilities that round to 0 and 1)", kind: .logits) { k, g in
            (0..<k).map { _ in Bool.random(using: &g) ? Double.random(in: -4...4, using: &g) : [-800, 0, 800][Int.random(in: 0..<3, using: &g)] }
        },
    ]

    /// Everything the bootstrap holds after the sample's rows, as bit patterns; the general path when `general`.
    static func replicates(_ sample: Sample, general: Bool) -> [[UInt64]] {
        var g = SeededGenerator(seed: 23)
        let shape = ClassificationShape(classCount: sample.classes, scoreKind: sample.kind)
        var table = PredictionTable(shape: shape)
        for i in 0..<sample.rows {
            let weight = sample.weigh(&g)
            table.append(label: Int.random(in: 0..<sample.classes, using: &g), scores: sample.draw(sample.classes, &g), weight: weight, line: i + 2)
        }
        return BootstrapReplicates.stateBits(after: table, settings: sample.settings, byShape: !general)
    }

    @Test("a multiclass chunk's replicates are the general path's", arguments: samples)
    func sameReplicates(sample: Sample) {
        let byShape = Self.replicates(sample, general: false)
        #expect(byShape == Self.replicates(sample, general: true))
        #expect(byShape[2].contains { $0 != 0 })
    }

    @Test("the shortcut is taken: a unit of a shape met before logs nothing, one with p_c of 0 or 1 or of a new shape logs its terms")
    func shortcutTaken() {
        let k = 3
        let boot = BootstrapReplicates(settings: BootstrapSettings(replicates: 24, seed: 5), classCount: k, auditSettings: AuditSettings())
        let layout = boot.replicateLayout
        var batch = boot.makeBatch()
        defer { batch.deallocate() }
        let scalars = SlotBase(sums: layout.scalars.sums, counts: layout.scalars.counts)
        let families = SlotBase(sums: layout.families.sums, counts: layout.families.counts)
        /// Records a row of label 0 and returns the classes whose terms were logged.
        func record(_ probabilities: [Double]) -> [Int] {
            var logged: [Int] = []
            var p = probabilities, lp = probabilities.map { StableMath.ln(Swift.max($0, probabilityFloor)) }
            let top = p.indices.max { p[$0] < p[$1] }!
            p.withUnsafeMutableBufferPointer { pb in
                lp.withUnsafeMutableBufferPointer { lb in
                    let row = RowContext(label: 0, weight: 1, classCount: k, probabilities: pb.baseAddress!, logProbabilities: lb.baseAddress!,
                                         top: top, topProbability: pb[top], positiveScore: 0, clipped: true)
                    var log = batch.log
                    boot.scalarTemplate.addTerms(row, to: &log, at: scalars)
                    boot.familyTemplate.addTermsBeforeClasswise(row, to: &log, at: families)
                    let cells = [Int](repeating: 0, count: boot.columns)
                    batch.recordClasswise(key: 1, cells: cells, log: log, probabilities: pb.baseAddress!, label: 0, classCount: k,
                                          binCount: boot.familyTemplate.classwise.binCount) { c, log in
                        logged.append(c)
                        boot.familyTemplate.addClasswiseTerms(ofClass: c, row, to: &log, at: families)
                    }
                }
            }
            return logged
        }
        // 15 bins: 0.31 and 0.32 share bin 4, 0.21 and 0.22 bin 3, 0.48 and 0.47 bin 7. Debug builds log a unit
        // recorded by its shape as well, to check it against its terms (`checksShapedRows`).
        let checked = ReplicateBatch.checksShapedRows
        #expect(record([0.31, 0.21, 0.48]) == [0, 1, 2] && batch.unitsByShape == 0, "no shape met yet")
        #expect(record([0.32, 0.22, 0.47]) == (checked ? [0, 1, 2] : []) && batch.unitsByShape == 3, "every unit's shape met")
        #expect(record([0.32, 0.68, 0]) == (checked ? [0, 1, 2] : [1, 2]) && batch.unitsByShape == 4,
                "class 1 in a new bin; p₂ = 0 logs no value")
        #expect(record([1, 0, 0]) == [0, 1, 2] && batch.unitsByShape == 4, "p₀ = 1 and p = 0 are no shapes")
        #expect(batch.rows == 4)
    }
}
