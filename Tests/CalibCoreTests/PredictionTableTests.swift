import CalibCore
import CalibTestSupport
import Testing

/// The chunk every accumulator consumes.
@Suite("Prediction tables")
struct PredictionTableTests {
    static let shape = ClassificationShape(classCount: 3, scoreKind: .probabilities)

    static func rowByRow(ids: Bool, groups: Bool) -> PredictionTable {
        var table = PredictionTable(shape: shape)
        for i in 0..<5 {
            table.append(label: i % 3, scores: [0.2, 0.3, 0.5].map { $0 + Double(i) / 100 }, weight: Double(i) + 0.5, line: i + 2,
                         id: ids ? "row\(i)" : nil, group: groups ? Int32(i % 2) : nil)
        }
        return table
    }

    static func columns(ids: Bool, groups: Bool) -> PredictionTable {
        var table = PredictionTable(shape: shape)
        let labels: [Int32] = (0..<5).map { Int32($0 % 3) }
        let scores = (0..<5).flatMap { i in [0.2, 0.3, 0.5].map { $0 + Double(i) / 100 } }
        let weights = (0..<5).map { Double($0) + 0.5 }
        let lines = (0..<5).map { $0 + 2 }
        labels.withUnsafeBufferPointer { l in
            scores.withUnsafeBufferPointer { s in
                weights.withUnsafeBufferPointer { w in
                    lines.withUnsafeBufferPointer { n in
                        // In two pieces, as a reader hands over its chunks.
                        table.append(labels: UnsafeBufferPointer(rebasing: l[0..<2]), scores: UnsafeBufferPointer(rebasing: s[0..<6]),
                                     weights: UnsafeBufferPointer(rebasing: w[0..<2]), lines: UnsafeBufferPointer(rebasing: n[0..<2]),
                                     ids: ids ? ["row0", "row1"] : [], groups: groups ? [0, 1] : [])
                        table.append(labels: UnsafeBufferPointer(rebasing: l[2...]), scores: UnsafeBufferPointer(rebasing: s[6...]),
                                     weights: UnsafeBufferPointer(rebasing: w[2...]), lines: UnsafeBufferPointer(rebasing: n[2...]),
                                     ids: ids ? ["row2", "row3", "row4"] : [], groups: groups ? [0, 1, 0] : [])
                    }
                }
            }
        }
        return table
    }

    @Test("appending columns at once equals appending the same rows one by one", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func columnsEqualRows(ids: Bool, groups: Bool) {
        let a = Self.rowByRow(ids: ids, groups: groups)
        let b = Self.columns(ids: ids, groups: groups)
        #expect(a.labels == b.labels)
        #expect(a.scores == b.scores)
        #expect(a.weights == b.weights)
        #expect(a.lines == b.lines)
        #expect(a.ids == b.ids)
        #expect(a.groups == b.groups)
        #expect((0..<5).map { a.id(at: $0) } == (0..<5).map { b.id(at: $0) })
    }

    @Test("the public bulk append stops on a label that is not a class index (a precondition, kept in release builds)")
    func outOfRangeLabelStops() async {
        await #expect(processExitsWith: .failure) {
            var table = PredictionTable(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities))
            let labels: [Int32] = [0, 2]
            labels.withUnsafeBufferPointer { l in
                [0.1, 0.9].withUnsafeBufferPointer { s in
                    [1.0, 1.0].withUnsafeBufferPointer { w in
                        [2, 3].withUnsafeBufferPointer { n in
                            table.append(labels: l, scores: s, weights: w, lines: n, ids: [], groups: [])
                        }
                    }
                }
            }
        }
    }
}
