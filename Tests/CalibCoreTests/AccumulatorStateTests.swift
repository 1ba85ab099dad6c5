@testable import CalibCore
import CalibTestSupport
import Testing

/// An accumulator's whole state (shape, settings, losses and every family's
/// totals, the scalar totals and worst rows included) leaves the process as
/// plain values and comes back bit for bit; a state that does not fit is
/// refused with a typed error, and shards of other audits are refused on merge.
@Suite("Accumulator state")
struct AccumulatorStateTests {
    /// A task to audit in two chunks.
    struct TableCase: CustomTestStringConvertible, Sendable {
        let name: String
        let classCount: Int
        let kind: ScoreKind
        let weighted: Bool
        var testDescription: String { name }

        var shape: ClassificationShape { ClassificationShape(classCount: classCount, scoreKind: kind) }

        /// `rows` seeded rows from line `firstLine`: scores that are often
        /// confidently wrong, every third row with an id, weights in [0, 3) when weighted.
        func table(rows: Int, firstLine: Int, seed: UInt64) -> PredictionTable {
            var random = SeededGenerator(seed: seed)
            var table = PredictionTable(shape: shape)
            for i in 0..<rows {
                let label = Int.random(in: 0..<classCount, using: &random)
                let scores: [Double]
                switch (classCount, kind) {
                case (2, .probabilities): scores = [Double.random(in: 0.001...0.999, using: &random)]
                case (2, .logits): scores = [4 * random.normal()]
                case (_, .logits): scores = (0..<classCount).map { _ in 3 * random.normal() }
                default:
                    let raw = (0..<classCount).map { _ in Double.random(in: 0.01...1, using: &random) }
                    let total = raw.reduce(0, +)
                    scores = raw.map { $0 / total }
                }
                let weight = weighted ? Double.random(in: 0..<3, using: &random) : 1
                let line = firstLine + i
                table.append(label: label, scores: scores, weight: weight, line: line, id: line % 3 == 0 ? "row-\(line)" : nil)
            }
            return table
        }
    }

    static let tables: [TableCase] = [
        TableCase(name: "binary probabilities", classCount: 2, kind: .probabilities, weighted: false),
        TableCase(name: "binary logits", classCount: 2, kind: .logits, weighted: false),
        TableCase(name: "multiclass probabilities", classCount: 4, kind: .probabilities, weighted: false),
        TableCase(name: "multiclass logits", classCount: 5, kind: .logits, weighted: false),
        TableCase(name: "weighted binary probabilities", classCount: 2, kind: .probabilities, weighted: true),
        TableCase(name: "weighted multiclass logits", classCount: 3, kind: .logits, weighted: true),
    ]

    static let settings = AuditSettings(bins: 7, threshold: 0.4, confidentAt: 0.8, worstRowLimit: 5)

    static func accumulator(_ c: TableCase, _ table: PredictionTable) -> AuditAccumulator {
        var accumulator = AuditAccumulator(shape: c.shape, settings: settings)
        accumulator.add(table)
        return accumulator
    }

    /// Every number of a result as bits, so that two results compare bit for bit (NaN included).
    static func bits(_ result: AuditResult) -> [UInt64] {
        var bits = result.metrics.namedValues.map(\.value.bitPattern)
        bits += [UInt64(result.rows), UInt64(result.clippedProbabilities), result.totalWeight.bitPattern]
        bits += result.confusion.counts.map(\.bitPattern)
        for table in [result.reliability] + result.classwiseReliability {
            bits += table.bins.flatMap { [UInt64($0.count), $0.weight.bitPattern, ($0.meanPredicted ?? .infinity).bitPattern, $0.effectiveCount.bitPattern] }
        }
        bits += result.perClass.flatMap { [UInt64($0.rows), $0.support.bitPattern, ($0.crossEntropy ?? .infinity).bitPattern] }
        bits += result.imbalance.losses.flatMap { [$0.value.bitPattern] + $0.perClass.map(\.gradientShare.bitPattern) }
        bits += result.worstRows.flatMap { [UInt64($0.line), $0.crossEntropy.bitPattern, $0.confidence.bitPattern] }
        return bits
    }

    static func names(_ c: TableCase) -> [String] { (0..<c.classCount).map { "c\($0)" } }

    @Test("a restored accumulator has the original's state, and merged with further chunks gives byte-identical results", arguments: tables)
    func roundTrip(c: TableCase) throws {
        var original = Self.accumulator(c, c.table(rows: 400, firstLine: 2, seed: 12))
        var restored = try AuditAccumulator(restoring: original.state)
        #expect(restored.state == original.state)
        #expect(restored.count == 400)
        #expect(!restored.result(classNames: Self.names(c)).worstRows.isEmpty, "the fixture keeps worst rows")

        let further = Self.accumulator(c, c.table(rows: 300, firstLine: 402, seed: 13))
        original.merge(further)
        restored.merge(further)
        #expect(restored.state == original.state)
        #expect(Self.bits(restored.result(classNames: Self.names(c))) == Self.bits(original.result(classNames: Self.names(c))))
        #expect(restored.result(classNames: Self.names(c)).worstRows == original.result(classNames: Self.names(c)).worstRows)
    }

    @Test("a state restored and merged with the next chunk equals one accumulator that added both chunks", arguments: tables)
    func restoredThenMergedIsOnePass(c: TableCase) throws {
        let first = c.table(rows: 350, firstLine: 2, seed: 21), second = c.table(rows: 250, firstLine: 352, seed: 22)
        var onePass = AuditAccumulator(shape: c.shape, settings: Self.settings)
        onePass.add(first)
        onePass.add(second)
        var resumed = try AuditAccumulator(restoring: Self.accumulator(c, first).state)
        try resumed.merge(checked: Self.accumulator(c, second))
        #expect(resumed.state == onePass.state)
        #expect(Self.bits(resumed.result(classNames: Self.names(c))) == Self.bits(onePass.result(classNames: Self.names(c))))
    }

    @Test("the state lists every family in the documented order, ending with the scalar totals' and worst rows' own layouts")
    func layout() throws {
        let c = Self.tables[0]
        let accumulator = Self.accumulator(c, c.table(rows: 100, firstLine: 2, seed: 3))
        let state = accumulator.state
        #expect(state.families.count == AuditAccumulator.State.familyNames.count)
        #expect(state.losses == LossSpecification.auditDefaults)
        #expect(state.families[0].counts == [100, accumulator.result(classNames: ["n", "p"]).clippedProbabilities])
        #expect(state.families[0].doubles.count == 14)
        let worst = accumulator.result(classNames: ["n", "p"]).worstRows
        #expect(state.families[6].counts == [worst.count] + worst.flatMap { [$0.line, $0.label, $0.predicted] })
        #expect(state.families[6].doubles == worst.flatMap { [$0.confidence, $0.crossEntropy] })
        #expect(state.families[6].texts == worst.flatMap { [$0.id, $0.source] })
        #expect(worst.contains { $0.id != nil }, "the fixture keeps a row with an id")
    }

    @Test("the scalar totals family adds rows, weight, cross-entropy, Brier, confidence and positive score; its state lists each sum as two parts")
    func scalarTotalsState() {
        let family = AccumulatorFamilyTests.fed(ScalarTotalsFamily(confidentAt: 0.7),
                                                [(label: 1, top: 1, topP: 0.75, w: 2), (label: 0, top: 1, topP: 0.5, w: 1)])
        #expect(family.scratchLayout == ScratchLayout(doubles: 7, counts: 2))
        #expect(family.state.counts == [2, 0])
        let crossEntropy = 2 * -StableMath.ln(0.75) + 1 * -StableMath.ln(0.5)
        // Brier 2·0.25² + 1·0.5²; confidence 2·0.75 + 0.5; the row at 0.75 ≥ 0.7 is confident and right.
        #expect(family.state.doubles == [3, 0, crossEntropy, 0, 0.375, 0, 2, 0, 2, 0, 0, 0, 2, 0])
    }

    struct RefusedCase: CustomTestStringConvertible, Sendable {
        let name: String
        let alter: @Sendable (inout AuditAccumulator.State) -> Void
        let expected: AuditAccumulator.RestoreError
        var testDescription: String { name }
    }

    static func family(_ name: String) -> Int { AuditAccumulator.State.familyNames.firstIndex(of: name)! }

    @Test("a truncated or altered state is refused with a typed error", arguments: [
        RefusedCase(name: "the last family dropped", alter: { $0.families.removeLast() },
                    expected: .familyCount(expected: AuditAccumulator.State.familyNames.count, found: AuditAccumulator.State.familyNames.count - 1)),
        RefusedCase(name: "one class-total sum missing", alter: { $0.families[family("classTotals")].doubles.removeLast(2) },
                    expected: .mismatchedShape(family: "classTotals", .tooShort)),
        RefusedCase(name: "one top-label count too many", alter: { $0.families[family("topLabel")].counts.append(0) },
                    expected: .mismatchedShape(family: "topLabel", .tooLong)),
        RefusedCase(name: "the worst rows' ids truncated", alter: { $0.families[family("worstRows")].texts.removeLast() },
                    expected: .mismatchedShape(family: "worstRows", .tooShort)),
        RefusedCase(name: "three classes claimed for a binary state", alter: { $0.shape = ClassificationShape(classCount: 3, scoreKind: .probabilities) },
                    expected: .mismatchedShape(family: "classTotals", .tooShort)),
        RefusedCase(name: "fewer bins claimed than the tables hold", alter: { $0.settings.bins = 5 },
                    expected: .mismatchedShape(family: "topLabel", .tooLong)),
        RefusedCase(name: "a loss dropped", alter: { $0.losses.removeLast() },
                    expected: .mismatchedShape(family: "losses", .tooLong)),
        RefusedCase(name: "no bins", alter: { $0.settings.bins = 0 },
                    expected: .invalidSetting(name: "bins", value: "0")),
        RefusedCase(name: "a negative row count", alter: { $0.families[0].counts[0] = -1 },
                    expected: .malformed(family: "scalarTotals")),
        RefusedCase(name: "more clipped rows than rows", alter: { $0.families[0].counts[1] = $0.families[0].counts[0] + 1 },
                    expected: .malformed(family: "scalarTotals")),
        RefusedCase(name: "more worst rows than the limit", alter: { $0.settings.worstRowLimit = 1 },
                    expected: .malformed(family: "worstRows")),
        RefusedCase(name: "worst rows out of rank order", alter: { $0.families[family("worstRows")].doubles.swapAt(1, 3) },
                    expected: .malformed(family: "worstRows")),
        RefusedCase(name: "a worst row's label outside the classes", alter: { $0.families[family("worstRows")].counts[2] = 2 },
                    expected: .malformed(family: "worstRows")),
    ])
    func refused(c: RefusedCase) {
        let table = Self.tables[0]
        var state = Self.accumulator(table, table.table(rows: 300, firstLine: 2, seed: 5)).state
        #expect(state.families[Self.family("worstRows")].counts[0] == Self.settings.worstRowLimit, "the fixture fills the worst rows")
        c.alter(&state)
        #expect(throws: c.expected) { try AuditAccumulator(restoring: state) }
    }

    @Test("a refused state's error says which family and why")
    func refusedDescription() {
        #expect(AuditAccumulator.RestoreError.mismatchedShape(family: "topLabel", .tooLong).description
            == "cannot restore the topLabel family: it holds more numbers than its shape gives it")
        #expect(AuditAccumulator.RestoreError.familyCount(expected: 7, found: 6).description
            == "cannot restore an audit of 6 families; expected 7")
    }

    struct MismatchCase: CustomTestStringConvertible, Sendable {
        let name: String
        let found: @Sendable () -> MergeMismatch?
        let expected: MergeMismatch
        var testDescription: String { name }
    }

    @Test("the scalar totals and worst rows refuse a family of other settings with a typed mismatch", arguments: [
        MismatchCase(name: "scalar totals' confidence level",
                     found: { ScalarTotalsFamily(confidentAt: 0.9).mismatch(with: ScalarTotalsFamily(confidentAt: 0.8)) },
                     expected: .setting(name: "confidentAt", expected: "0.9", found: "0.8")),
        MismatchCase(name: "worst rows' limit", found: { WorstRows(limit: 10).mismatch(with: WorstRows(limit: 3)) },
                     expected: .setting(name: "worstRowLimit", expected: "10", found: "3")),
    ])
    func familyMismatch(c: MismatchCase) {
        #expect(c.found() == c.expected)
    }

    @Test("a restored accumulator of other settings is refused by the checked merge, and nothing changes", arguments: [
        MismatchCase(name: "another confidence level", found: {
            let c = tables[0]
            var state = accumulator(c, c.table(rows: 50, firstLine: 2, seed: 8)).state
            state.settings.confidentAt = 0.95
            var total = accumulator(c, c.table(rows: 50, firstLine: 2, seed: 9))
            let before = total.state
            let other = try! AuditAccumulator(restoring: state)
            do throws(MergeMismatch) { try total.merge(checked: other) } catch { return total.state == before ? error : nil }
            return nil
        }, expected: .setting(name: "confidentAt", expected: "0.8", found: "0.95")),
        MismatchCase(name: "another worst-row limit", found: {
            let c = tables[2]
            var state = accumulator(c, c.table(rows: 50, firstLine: 2, seed: 8)).state
            state.settings.worstRowLimit = 50
            var total = accumulator(c, c.table(rows: 50, firstLine: 2, seed: 9))
            let before = total.state
            let other = try! AuditAccumulator(restoring: state)
            do throws(MergeMismatch) { try total.merge(checked: other) } catch { return total.state == before ? error : nil }
            return nil
        }, expected: .setting(name: "worstRowLimit", expected: "5", found: "50")),
    ])
    func restoredMismatch(c: MismatchCase) {
        #expect(c.found() == c.expected)
    }

    @Test("two states are equal when their doubles have the same bits: a NaN equals itself, −0 differs from 0")
    func bitwiseEquality() {
        #expect(FamilyState(doubles: [.nan]) == FamilyState(doubles: [.nan]))
        #expect(FamilyState(doubles: [-0.0]) != FamilyState(doubles: [0.0]))
        #expect(FamilyState(texts: ["a"]) != FamilyState(texts: [nil]))
    }
}
