/// One confidently wrong row, kept for an auditor to look up in the input.
public struct WorstRow: Sendable, Hashable {
    /// 1-based line of the input the row starts on.
    public let line: Int
    /// Value of the id column, when the input has one.
    public let id: String?
    public let label: Int
    /// Top-label prediction (argmax, ties to the lowest class index).
    public let predicted: Int
    /// Top-label confidence `max_k p_k`.
    public let confidence: Double
    /// The row's cross-entropy term `−ln p[y]`.
    public let crossEntropy: Double

    public init(line: Int, id: String?, label: Int, predicted: Int, confidence: Double, crossEntropy: Double) {
        self.line = line; self.id = id; self.label = label
        self.predicted = predicted; self.confidence = confidence; self.crossEntropy = crossEntropy
    }

    /// Ranking: larger cross-entropy first, then the earlier line, so the
    /// kept set does not depend on the order rows or chunks arrive in.
    @inlinable
    func ranksBefore(_ other: WorstRow) -> Bool {
        crossEntropy != other.crossEntropy ? crossEntropy > other.crossEntropy : line < other.line
    }
}

/// A bounded, mergeable top-K of the wrong predictions with the largest
/// cross-entropy terms. Insertion is O(K) and only rows that beat the current
/// K-th are inserted, so it costs nothing measurable on large files.
public struct WorstRows: Sendable {
    public let limit: Int
    public private(set) var rows: [WorstRow] = []

    public init(limit: Int) {
        self.limit = Swift.max(0, limit)
        rows.reserveCapacity(self.limit + 1)
    }

    /// Whether a row with this cross-entropy could enter the top-K (a cheap pre-check).
    @inlinable
    public func admits(crossEntropy: Double) -> Bool {
        guard limit > 0 else { return false }
        return rows.count < limit || crossEntropy >= rows[rows.count - 1].crossEntropy
    }

    public mutating func insert(_ row: WorstRow) {
        guard limit > 0 else { return }
        var i = rows.count
        while i > 0 && row.ranksBefore(rows[i - 1]) { i -= 1 }
        guard i < limit else { return }
        rows.insert(row, at: i)
        if rows.count > limit { rows.removeLast() }
    }

    public mutating func merge(_ other: WorstRows) {
        for row in other.rows { insert(row) }
    }
}
