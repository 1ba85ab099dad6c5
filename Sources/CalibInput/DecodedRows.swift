import CalibCore

/// Rows that passed validation, column by column, written through pointers
/// (no array bookkeeping per row) and handed to a chunk in one copy per
/// column by ``move(into:)``. One per block decoder, never shared.
final class DecodedRows {
    /// Values per row in the table (1 for a binary score read from two columns).
    let scoresPerRow: Int
    let capacity: Int
    private(set) var count = 0
    private let labels: UnsafeMutablePointer<Int32>
    private let scores: UnsafeMutablePointer<Double>
    private let weights: UnsafeMutablePointer<Double>
    private let lines: UnsafeMutablePointer<Int>
    /// Soft targets per row: `classCount` with soft targets, 0 without.
    let targetsPerRow: Int
    private let targets: UnsafeMutablePointer<Double>
    private var ids: [String] = []
    private var groups: [Int32] = []

    /// `parsedPerRow` is how many values one record's score columns hold (two
    /// for a binary score read from two columns), at least `scoresPerRow`.
    init(scoresPerRow: Int, parsedPerRow: Int, capacity: Int, targetsPerRow: Int = 0) {
        self.scoresPerRow = scoresPerRow
        self.targetsPerRow = targetsPerRow
        self.capacity = Swift.max(1, capacity)
        labels = .allocate(capacity: self.capacity)
        // The last row may parse `parsedPerRow` values before keeping `scoresPerRow`.
        scores = .allocate(capacity: self.capacity * scoresPerRow + Swift.max(parsedPerRow, scoresPerRow))
        weights = .allocate(capacity: self.capacity)
        lines = .allocate(capacity: self.capacity)
        targets = .allocate(capacity: Swift.max(1, self.capacity * targetsPerRow))
    }

    deinit {
        labels.deallocate()
        scores.deallocate()
        weights.deallocate()
        lines.deallocate()
        targets.deallocate()
    }

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == capacity }

    /// Where the next row's values are parsed (room for all its score columns); the
    /// first `scoresPerRow` of them are kept by ``commit(label:weight:line:id:group:)``.
    @inline(__always)
    var nextScores: UnsafeMutablePointer<Double> { scores + count * scoresPerRow }

    /// Where the next row's soft targets are written (`targetsPerRow` values, class order).
    @inline(__always)
    var nextTargets: UnsafeMutablePointer<Double> { targets + count * targetsPerRow }

    /// Keeps the row whose scores were written at ``nextScores``.
    @inline(__always)
    func commit(label: Int, weight: Double, line: Int, id: String?, group: Int32?) {
        precondition(count < capacity, "decoded rows are full")
        labels[count] = Int32(truncatingIfNeeded: label)
        weights[count] = weight
        lines[count] = line
        if let id { ids.append(id) }
        if let group { groups.append(group) }
        count += 1
    }

    /// Replaces `table`'s rows with these and empties this buffer.
    func move(into table: inout PredictionTable) {
        table.removeAll()
        table.append(validatedLabels: UnsafeBufferPointer(start: labels, count: count),
                     scores: UnsafeBufferPointer(start: scores, count: count * scoresPerRow),
                     weights: UnsafeBufferPointer(start: weights, count: count),
                     lines: UnsafeBufferPointer(start: lines, count: count),
                     ids: ids, groups: groups,
                     targets: UnsafeBufferPointer(start: targets, count: count * targetsPerRow))
        count = 0
        ids.removeAll(keepingCapacity: true)
        groups.removeAll(keepingCapacity: true)
    }
}
