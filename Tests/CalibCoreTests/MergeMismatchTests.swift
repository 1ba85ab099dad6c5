import CalibCore
import CalibTestSupport
import Testing

/// Accumulators audited apart are merged only when they describe the same
/// audit; otherwise a typed error says what differs and nothing changes.
@Suite("Merging audits checked")
struct MergeMismatchTests {
    static let binary = ClassificationShape(classCount: 2, scoreKind: .probabilities)

    /// An accumulator of `shape` with a few rows in it.
    static func filled(_ shape: ClassificationShape = binary, settings: AuditSettings = AuditSettings(),
                       losses: [LossSpecification] = LossSpecification.auditDefaults) -> AuditAccumulator {
        var table = PredictionTable(shape: shape)
        let k = shape.scoresPerRow
        for i in 0..<6 {
            let scores = k == 1 ? [0.2 + 0.1 * Double(i)] : (0..<k).map { $0 == i % k ? 0.7 : 0.3 / Double(k - 1) }
            table.append(label: i % shape.classCount, scores: scores, weight: 1, line: i + 2)
        }
        var accumulator = AuditAccumulator(shape: shape, settings: settings, losses: losses)
        accumulator.add(table)
        return accumulator
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let other: @Sendable () -> AuditAccumulator
        let expected: MergeMismatch
        let message: String
        var testDescription: String { name }
    }

    @Test("a shard of another audit is refused, naming what differs", arguments: [
        Case(name: "three classes into two", other: { filled(ClassificationShape(classCount: 3, scoreKind: .probabilities)) },
             expected: .classCount(expected: 2, found: 3), message: "cannot merge an audit of 3 classes into one of 2"),
        Case(name: "logits into probabilities", other: { filled(ClassificationShape(classCount: 2, scoreKind: .logits)) },
             expected: .scoreKind(expected: .probabilities, found: .logits), message: "cannot merge an audit of logits into one of probabilities"),
        Case(name: "10 bins into 15", other: { filled(settings: AuditSettings(bins: 10)) },
             expected: .setting(name: "bins", expected: "15", found: "10"), message: "cannot merge an audit with bins 10 into one with bins 15"),
        Case(name: "another threshold", other: { filled(settings: AuditSettings(threshold: 0.3)) },
             expected: .setting(name: "threshold", expected: "0.5", found: "0.3"), message: "cannot merge an audit with threshold 0.3 into one with threshold 0.5"),
        Case(name: "another confidence level", other: { filled(settings: AuditSettings(confidentAt: 0.8)) },
             expected: .setting(name: "confidentAt", expected: "0.9", found: "0.8"), message: "cannot merge an audit with confidentAt 0.8 into one with confidentAt 0.9"),
        Case(name: "other losses", other: { filled(losses: [.crossEntropy]) },
             expected: .losses(expected: LossSpecification.auditDefaults.map { "\($0)" }, found: ["crossEntropy"]),
             message: "cannot merge an audit of the losses [crossEntropy] into one of ["),
    ])
    func refused(c: Case) throws {
        var total = Self.filled()
        let before = total.result(classNames: ["n", "p"]).metrics
        #expect(total.mismatch(with: c.other()) == c.expected)
        #expect(throws: c.expected) { try total.merge(checked: c.other()) }
        #expect(c.expected.description.hasPrefix(c.message))
        #expect(total.result(classNames: ["n", "p"]).metrics == before, "nothing merged")
    }

    @Test("a shard of the same audit merges as the unchecked merge does")
    func accepted() throws {
        var checked = Self.filled()
        var unchecked = Self.filled()
        try checked.merge(checked: Self.filled())
        unchecked.merge(Self.filled())
        #expect(checked.count == 12)
        #expect(checked.result(classNames: ["n", "p"]).metrics == unchecked.result(classNames: ["n", "p"]).metrics)
    }
}
