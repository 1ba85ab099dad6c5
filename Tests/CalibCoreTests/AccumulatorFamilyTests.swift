@testable import CalibCore
import Testing

/// The audit's sums come in families: each takes its slice of a chunk's
/// scratch, adds rows from the shared row context, folds, merges with a typed
/// refusal, and exposes its totals as plain numbers in a documented order.
@Suite("Accumulator families")
struct AccumulatorFamilyTests {
    /// Runs `rows` (label, top label, top probability, weight) of a binary task through one family as one chunk.
    static func fed<F: AccumulatorFamily>(_ family: F, _ rows: [(label: Int, top: Int, topP: Double, w: Double)]) -> F {
        var family = family
        let layout = family.scratchLayout
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: layout.doubles + 4)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(layout.counts, 1))
        defer { sums.deallocate(); counts.deallocate() }
        sums.initialize(repeating: 0, count: layout.doubles + 4)
        counts.initialize(repeating: 0, count: Swift.max(layout.counts, 1))
        let p = sums + layout.doubles, lp = p + 2
        for row in rows {
            p[1] = row.top == 1 ? row.topP : 1 - row.topP; p[0] = 1 - p[1]
            lp[0] = StableMath.ln(p[0]); lp[1] = StableMath.ln(p[1])
            family.accumulate(RowContext(label: row.label, weight: row.w, classCount: 2, probabilities: p, logProbabilities: lp,
                                         top: row.top, topProbability: row.topP, positiveScore: p[1], clipped: true),
                              sums: sums, counts: counts)
        }
        family.fold(sums: sums, counts: counts)
        return family
    }

    @Test("the top-label family bins the top probability against the top label being right; its state lists each bin's sums as two parts")
    func topLabelState() {
        let family = Self.fed(TopLabelFamily(binCount: 4), [(label: 1, top: 1, topP: 0.75, w: 2), (label: 0, top: 1, topP: 0.5, w: 1)])
        #expect(family.scratchLayout == ScratchLayout(doubles: 16, counts: 4))
        #expect(family.state.counts == [0, 0, 1, 1])
        #expect(family.state.doubles == [0, 0, 0, 0, 0, 0, 0, 0,
                                         0, 0, 0, 0, 0, 0, 0, 0,
                                         1, 0, 0.5, 0, 0, 0, 1, 0,
                                         2, 0, 1.5, 0, 2, 0, 4, 0])
    }

    @Test("the class-wise family keeps one table per class, class after class in its state")
    func classwiseState() {
        let family = Self.fed(ClasswiseFamily(classCount: 2, binCount: 2), [(label: 1, top: 1, topP: 0.75, w: 1)])
        #expect(family.scratchLayout == ScratchLayout(doubles: 16, counts: 4))
        // Class 0: p = 0.25 in bin 0, outcome 0. Class 1: p = 0.75 in bin 1, outcome 1.
        #expect(family.state.counts == [1, 0, 0, 1])
        #expect(family.state.doubles == [1, 0, 0.25, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0.75, 0, 1, 0, 1, 0])
    }

    @Test("the class totals count rows, weight and weighted cross-entropy of each true class")
    func classTotalsState() {
        let family = Self.fed(ClassTotalsFamily(classCount: 2), [(label: 1, top: 1, topP: 0.75, w: 2)])
        #expect(family.scratchLayout == ScratchLayout(doubles: 4, counts: 2))
        #expect(family.state.counts == [0, 1])
        #expect(family.state.doubles == [0, 0, 2, 0, 0, 0, 2 * -StableMath.ln(0.75), 0])
    }

    struct DecisionCase: CustomTestStringConvertible, Sendable {
        let name: String
        let threshold: Double
        let cells: [Double]
        var testDescription: String { name }
    }

    @Test("a binary confusion cell is chosen by the threshold on the positive score, not by the top label", arguments: [
        DecisionCase(name: "s = 0.75 at threshold 0.5 decides positive", threshold: 0.5, cells: [0, 0, 3, 0, 0, 0, 0, 0]),
        DecisionCase(name: "s = 0.75 at threshold 0.8 decides negative", threshold: 0.8, cells: [3, 0, 0, 0, 0, 0, 0, 0]),
    ])
    func confusionDecision(c: DecisionCase) {
        let family = Self.fed(ConfusionFamily(classCount: 2, threshold: c.threshold), [(label: 0, top: 1, topP: 0.75, w: 3)])
        #expect(family.state.doubles == c.cells)
        #expect(family.state.counts == [])
    }

    @Test("merging adds the other family's totals")
    func merge() {
        var first = Self.fed(TopLabelFamily(binCount: 2), [(label: 1, top: 1, topP: 0.75, w: 1)])
        let second = Self.fed(TopLabelFamily(binCount: 2), [(label: 0, top: 1, topP: 0.875, w: 3)])
        #expect(first.mismatch(with: second) == nil)
        first.merge(second)
        #expect(first.state.counts == [0, 2])
        #expect(first.state.doubles == [0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 3.375, 0, 1, 0, 10, 0])
    }

    @Test("the audit's families lay out their slices one after another and list their states in the same order")
    func auditFamilies() {
        let settings = AuditSettings(bins: 2)
        let rows = [(label: 1, top: 1, topP: 0.75, w: 1.0), (label: 0, top: 0, topP: 0.625, w: 2.0)]
        let all = Self.fed(AuditFamilies(classCount: 2, settings: settings, losses: [.crossEntropy]), rows)
        let parts: [FamilyState] = [
            Self.fed(ClassTotalsFamily(classCount: 2), rows).state,
            Self.fed(ConfusionFamily(classCount: 2, threshold: settings.threshold), rows).state,
            Self.fed(TopLabelFamily(binCount: 2), rows).state,
            Self.fed(ClasswiseFamily(classCount: 2, binCount: 2), rows).state,
            Self.fed(LossAccumulator(classCount: 2, specifications: [.crossEntropy]), rows).state,
        ]
        #expect(all.state.doubles == parts.flatMap(\.doubles))
        #expect(all.state.counts == parts.flatMap(\.counts))
        #expect(all.scratchLayout.doubles == 4 + 4 + 8 + 16 + (4 + 1))
        #expect(all.scratchLayout.counts == 2 + 0 + 2 + 4 + 0)
    }

    @Test("the audit's families report the first mismatch: class count, then bins, then threshold, then losses")
    func auditFamiliesMismatchOrder() {
        let base = AuditFamilies(classCount: 2, settings: AuditSettings(), losses: [.crossEntropy])
        let other = AuditFamilies(classCount: 2, settings: AuditSettings(bins: 10, threshold: 0.3), losses: [])
        #expect(base.mismatch(with: other) == .setting(name: "bins", expected: "15", found: "10"))
        #expect(base.mismatch(with: AuditFamilies(classCount: 3, settings: AuditSettings(bins: 10), losses: [])) == .classCount(expected: 2, found: 3))
        #expect(base.mismatch(with: AuditFamilies(classCount: 2, settings: AuditSettings(threshold: 0.3), losses: [])) == .setting(name: "threshold", expected: "0.5", found: "0.3"))
        #expect(base.mismatch(with: AuditFamilies(classCount: 2, settings: AuditSettings(), losses: [])) == .losses(expected: ["crossEntropy"], found: []))
        #expect(base.mismatch(with: base) == nil)
    }

    static let restoreRows = [(label: 1, top: 1, topP: 0.75, w: 1.0), (label: 0, top: 1, topP: 0.6, w: 0.3), (label: 0, top: 0, topP: 0.9, w: 2.0)]
    static let allLosses: [LossSpecification] = LossSpecification.auditDefaults

    @Test("a family's state read back into a fresh family of the same layout gives the same totals and results")
    func restoreRoundTrip() throws {
        let settings = AuditSettings(bins: 4)
        let fed = Self.fed(AuditFamilies(classCount: 2, settings: settings, losses: Self.allLosses), Self.restoreRows)
        let fresh = AuditFamilies(classCount: 2, settings: settings, losses: Self.allLosses)
        let restored = try fresh.restoring(fed.state)
        #expect(restored.state == fed.state)
        let context = FamilyResultContext(totalWeight: 3.3, classWeights: [2.3, 1], classNames: ["n", "p"])
        #expect(restored.result(context).topLabel == fed.result(context).topLabel)
        #expect(restored.result(context).classwise == fed.result(context).classwise)
        #expect(restored.result(context).confusion == fed.result(context).confusion)
        #expect(restored.result(context).imbalance == fed.result(context).imbalance)
    }

    struct MalformedCase: CustomTestStringConvertible, Sendable {
        let name: String
        let state: @Sendable (FamilyState) -> FamilyState
        let expected: FamilyState.Malformed
        var testDescription: String { name }
    }

    @Test("a state of another layout is refused, saying whether numbers are missing or left over", arguments: [
        MalformedCase(name: "one sum missing", state: { FamilyState(doubles: Array($0.doubles.dropLast(2)), counts: $0.counts) }, expected: .tooShort),
        MalformedCase(name: "one count missing", state: { FamilyState(doubles: $0.doubles, counts: Array($0.counts.dropLast())) }, expected: .tooShort),
        MalformedCase(name: "one sum too many", state: { FamilyState(doubles: $0.doubles + [1, 0], counts: $0.counts) }, expected: .tooLong),
        MalformedCase(name: "one count too many", state: { FamilyState(doubles: $0.doubles, counts: $0.counts + [1]) }, expected: .tooLong),
    ])
    func restoreMalformed(c: MalformedCase) {
        let family = Self.fed(AuditFamilies(classCount: 2, settings: AuditSettings(bins: 4), losses: Self.allLosses), Self.restoreRows)
        #expect(throws: c.expected) { try family.restoring(c.state(family.state)) }
    }

    struct MismatchCase: CustomTestStringConvertible, Sendable {
        let name: String
        let found: @Sendable () -> MergeMismatch?
        let expected: MergeMismatch
        var testDescription: String { name }
    }

    @Test("a family of another shape is refused with a typed mismatch", arguments: [
        MismatchCase(name: "top-label bins", found: { TopLabelFamily(binCount: 15).mismatch(with: TopLabelFamily(binCount: 10)) },
                     expected: .setting(name: "bins", expected: "15", found: "10")),
        MismatchCase(name: "class-wise classes", found: { ClasswiseFamily(classCount: 2, binCount: 15).mismatch(with: ClasswiseFamily(classCount: 3, binCount: 15)) },
                     expected: .classCount(expected: 2, found: 3)),
        MismatchCase(name: "class-wise bins", found: { ClasswiseFamily(classCount: 2, binCount: 15).mismatch(with: ClasswiseFamily(classCount: 2, binCount: 5)) },
                     expected: .setting(name: "bins", expected: "15", found: "5")),
        MismatchCase(name: "class totals classes", found: { ClassTotalsFamily(classCount: 3).mismatch(with: ClassTotalsFamily(classCount: 2)) },
                     expected: .classCount(expected: 3, found: 2)),
        MismatchCase(name: "confusion threshold", found: { ConfusionFamily(classCount: 2, threshold: 0.5).mismatch(with: ConfusionFamily(classCount: 2, threshold: 0.3)) },
                     expected: .setting(name: "threshold", expected: "0.5", found: "0.3")),
        MismatchCase(name: "loss classes", found: { LossAccumulator(classCount: 2, specifications: [.crossEntropy]).mismatch(with: LossAccumulator(classCount: 4, specifications: [.crossEntropy])) },
                     expected: .classCount(expected: 2, found: 4)),
        MismatchCase(name: "loss specifications", found: { LossAccumulator(classCount: 2, specifications: [.crossEntropy]).mismatch(with: LossAccumulator(classCount: 2, specifications: [.labelSmoothing(epsilon: 0.1)])) },
                     expected: .losses(expected: ["crossEntropy"], found: ["\(LossSpecification.labelSmoothing(epsilon: 0.1))"])),
    ])
    func refused(c: MismatchCase) {
        #expect(c.found() == c.expected)
    }
}
