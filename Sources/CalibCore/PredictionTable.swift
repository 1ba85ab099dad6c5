/// A chunk of validated rows in columnar form: the unit every accumulator consumes.
///
/// Labels are class indices in `0..<classCount`; `scores` is row-major with
/// ``ClassificationShape/scoresPerRow`` values per row; every row has a
/// weight (1 when the input has none) and the 1-based line of the input it
/// came from (`lines` is empty in a table read without them, for `calib fit`,
/// which reads none). `ids` is empty unless the input names an id column.
public struct PredictionTable: Sendable {
    public let shape: ClassificationShape
    public private(set) var labels: [Int32] = []
    public private(set) var scores: [Double] = []
    public private(set) var weights: [Double] = []
    public private(set) var lines: [Int] = []
    public private(set) var ids: [String] = []
    /// Segment index of each row; empty unless the input names a group column.
    public private(set) var groups: [Int32] = []
    /// The soft targets, row-major, `classCount` values per row in class order
    /// (binary too: `[t_negative, t_positive]`); empty unless
    /// ``ClassificationShape/hasSoftTargets``.
    public private(set) var targets: [Double] = []

    public init(shape: ClassificationShape, reservingCapacity capacity: Int = 0) {
        self.shape = shape
        labels.reserveCapacity(capacity)
        scores.reserveCapacity(capacity * shape.scoresPerRow)
        weights.reserveCapacity(capacity)
        lines.reserveCapacity(capacity)
        if shape.hasSoftTargets { targets.reserveCapacity(capacity * shape.classCount) }
    }

    /// Number of rows.
    public var count: Int { labels.count }
    public var isEmpty: Bool { labels.isEmpty }

    /// Appends one row. `scores` must hold exactly `shape.scoresPerRow` values.
    public mutating func append(label: Int, scores rowScores: some Collection<Double>, weight: Double = 1, line: Int = 0, id: String? = nil, group: Int32? = nil) {
        Array(rowScores).withUnsafeBufferPointer { buffer in
            append(label: label, scores: buffer, weight: weight, line: line, id: id, group: group)
        }
    }

    /// Appends one row with its soft targets (`classCount` values in class
    /// order); the table's shape must have ``ClassificationShape/hasSoftTargets``.
    public mutating func append(label: Int, scores rowScores: some Collection<Double>, targets rowTargets: some Collection<Double>,
                                weight: Double = 1, line: Int = 0, id: String? = nil, group: Int32? = nil) {
        precondition(shape.hasSoftTargets && rowTargets.count == shape.classCount, "a row needs \(shape.classCount) targets")
        targets.append(contentsOf: rowTargets)
        Array(rowScores).withUnsafeBufferPointer { buffer in
            append(label: label, scores: buffer, weight: weight, line: line, id: id, group: group)
        }
    }

    /// Appends one row from a buffer of `shape.scoresPerRow` scores; the
    /// non-generic form, for readers in other modules.
    public mutating func append(label: Int, scores rowScores: UnsafeBufferPointer<Double>, weight: Double, line: Int, id: String?, group: Int32?) {
        precondition(rowScores.count == shape.scoresPerRow, "a row needs \(shape.scoresPerRow) scores")
        precondition(label >= 0 && label < shape.classCount, "label index out of range")
        precondition(targets.count == (shape.hasSoftTargets ? (labels.count + 1) * shape.classCount : 0), "a row of this shape needs its targets")
        if let id {
            if ids.count < labels.count { ids.append(contentsOf: repeatElement("", count: labels.count - ids.count)) }
            ids.append(id)
        } else if !ids.isEmpty {
            ids.append("")
        }
        if let group { groups.append(group) }
        labels.append(Int32(label))
        scores.append(contentsOf: rowScores)
        weights.append(weight)
        lines.append(line)
    }

    /// Appends rows held column by column, in one copy per column. `scores`
    /// holds `shape.scoresPerRow` values per row, `targets` `classCount` per row
    /// with soft targets (empty otherwise); `ids` and `groups` are empty
    /// or hold one value per row. Every label is checked to be a class index
    /// (the engine indexes its sums by label), which costs a pass over the labels.
    public mutating func append(labels newLabels: UnsafeBufferPointer<Int32>, scores newScores: UnsafeBufferPointer<Double>,
                                weights newWeights: UnsafeBufferPointer<Double>, lines newLines: UnsafeBufferPointer<Int>,
                                ids newIDs: [String], groups newGroups: [Int32], targets newTargets: UnsafeBufferPointer<Double> = UnsafeBufferPointer(start: nil, count: 0)) {
        precondition(newLabels.allSatisfy { $0 >= 0 && Int($0) < shape.classCount }, "label index out of range")
        append(validatedLabels: newLabels, scores: newScores, weights: newWeights, lines: newLines, ids: newIDs, groups: newGroups, targets: newTargets)
    }

    /// ``append(labels:scores:weights:lines:ids:groups:targets:)`` for labels a reader
    /// of this package has already resolved to class indices: the O(n) label
    /// check runs in debug builds only (as swift-collections' internal
    /// invariants do); the O(1) length checks always run.
    package mutating func append(validatedLabels newLabels: UnsafeBufferPointer<Int32>, scores newScores: UnsafeBufferPointer<Double>,
                                 weights newWeights: UnsafeBufferPointer<Double>, lines newLines: UnsafeBufferPointer<Int>,
                                 ids newIDs: [String], groups newGroups: [Int32], targets newTargets: UnsafeBufferPointer<Double> = UnsafeBufferPointer(start: nil, count: 0)) {
        let n = newLabels.count
        precondition(newTargets.count == (shape.hasSoftTargets ? n * shape.classCount : 0), "targets must hold classCount values per row exactly when the shape has soft targets")
        targets.append(contentsOf: newTargets)
        precondition(newScores.count == n * shape.scoresPerRow && newWeights.count == n && newLines.count == n, "columns of different lengths")
        precondition(newIDs.isEmpty || newIDs.count == n, "ids must be empty or one per row")
        precondition(newGroups.isEmpty || newGroups.count == n, "groups must be empty or one per row")
        assert(newLabels.allSatisfy { $0 >= 0 && Int($0) < shape.classCount }, "label index out of range")
        if !newIDs.isEmpty {
            if ids.count < labels.count { ids.append(contentsOf: repeatElement("", count: labels.count - ids.count)) }
            ids.append(contentsOf: newIDs)
        } else if !ids.isEmpty {
            ids.append(contentsOf: repeatElement("", count: n))
        }
        groups.append(contentsOf: newGroups)
        labels.append(contentsOf: newLabels)
        scores.append(contentsOf: newScores)
        weights.append(contentsOf: newWeights)
        lines.append(contentsOf: newLines)
    }

    /// Reserves room for `rows` rows in the labels, scores and weights (and
    /// the lines with `lines`; soft targets with the shape's), so that
    /// appending that many grows no column.
    package mutating func reserveCapacity(rows: Int, lines withLines: Bool) {
        labels.reserveCapacity(rows)
        scores.reserveCapacity(rows * shape.scoresPerRow)
        weights.reserveCapacity(rows)
        if withLines { lines.reserveCapacity(rows) }
        if shape.hasSoftTargets { targets.reserveCapacity(rows * shape.classCount) }
    }

    /// Appends another table's labels, scores and weights to a table kept
    /// without lines (`lines` empty): neither has ids, groups or soft targets.
    package mutating func appendWithoutLines(_ other: PredictionTable) {
        precondition(other.shape == shape && lines.isEmpty, "a table without lines, of the same shape")
        precondition(ids.isEmpty && other.ids.isEmpty && groups.isEmpty && !shape.hasSoftTargets, "no ids, groups or soft targets")
        labels.append(contentsOf: other.labels)
        scores.append(contentsOf: other.scores)
        weights.append(contentsOf: other.weights)
    }

    /// A table of columns built elsewhere in this package, taken as they are
    /// (no copy): labels already resolved to class indices (checked in debug
    /// builds only, as ``append(validatedLabels:scores:weights:lines:ids:groups:targets:)``
    /// does), lines one per row or none (a table read without them, which
    /// takes rows only by `appendWithoutLines(_:)`), ids empty or one per row, no groups.
    package init(shape: ClassificationShape, validatedLabels labels: [Int32], scores: [Double], weights: [Double], lines: [Int],
                 ids: [String], targets: [Double]) {
        let n = labels.count
        precondition(targets.count == (shape.hasSoftTargets ? n * shape.classCount : 0), "targets must hold classCount values per row exactly when the shape has soft targets")
        precondition(scores.count == n * shape.scoresPerRow && weights.count == n && (lines.count == n || lines.isEmpty), "columns of different lengths")
        precondition(ids.isEmpty || ids.count == n, "ids must be empty or one per row")
        assert(labels.allSatisfy { $0 >= 0 && Int($0) < shape.classCount }, "label index out of range")
        self.init(shape: shape)
        self.labels = labels
        self.scores = scores
        self.weights = weights
        self.lines = lines
        self.ids = ids
        self.targets = targets
    }

    /// The same rows with `newLines` in place of their lines (ids kept only when every row has one).
    package func relined(_ newLines: [Int]) -> PredictionTable {
        precondition(newLines.count == count, "one line per row")
        var out = self
        out.lines = newLines
        if out.ids.count != count { out.ids = [] }
        return out
    }

    /// Empties the chunk for reuse.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        labels.removeAll(keepingCapacity: keepingCapacity)
        targets.removeAll(keepingCapacity: keepingCapacity)
        scores.removeAll(keepingCapacity: keepingCapacity)
        weights.removeAll(keepingCapacity: keepingCapacity)
        lines.removeAll(keepingCapacity: keepingCapacity)
        ids.removeAll(keepingCapacity: keepingCapacity)
        groups.removeAll(keepingCapacity: keepingCapacity)
    }

    /// The id of row `i`, or `nil` when the input has no id column.
    public func id(at i: Int) -> String? { i < ids.count ? ids[i] : nil }
}
