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
    /// The input the row came from, when a report merges several (`calib
    /// merge`: each part's own source, its `line` counted in that input);
    /// `nil` for the report's one input.
    public let source: String?

    public init(line: Int, id: String?, label: Int, predicted: Int, confidence: Double, crossEntropy: Double, source: String? = nil) {
        self.line = line; self.id = id; self.label = label
        self.predicted = predicted; self.confidence = confidence; self.crossEntropy = crossEntropy
        self.source = source
    }

    /// This row, from `source` unless it already names its input.
    func attributed(to source: String) -> WorstRow {
        self.source != nil ? self : WorstRow(line: line, id: id, label: label, predicted: predicted,
                                             confidence: confidence, crossEntropy: crossEntropy, source: source)
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

    /// Names `source` as the input of every kept row that names none (before
    /// rows of several inputs are merged, so that each keeps its own).
    mutating func attribute(to source: String) {
        rows = rows.map { $0.attributed(to: source) }
    }
}

extension WorstRows: AccumulatorFamily {
    /// None: a row's line and id belong to the chunk, not to the shared
    /// `RowContext`, so the fused loop offers each wrong row to the totals
    /// directly (``admits(crossEntropy:)`` then ``insert(_:)``), which also
    /// prunes against the rows kept from earlier chunks. `accumulate` and
    /// `fold` have nothing to add.
    var scratchLayout: ScratchLayout { ScratchLayout() }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {}

    func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) {}

    func mismatch(with other: WorstRows) -> MergeMismatch? {
        other.limit == limit ? nil : .setting(name: "worstRowLimit", expected: "\(limit)", found: "\(other.limit)")
    }

    /// `counts`: the number of rows, then per row its line, label and
    /// prediction; `doubles`: per row its confidence and cross-entropy (exact
    /// values, not sums); `texts`: per row its id and its source. Rows in rank order, worst first.
    var state: FamilyState {
        var state = FamilyState(counts: [rows.count])
        for row in rows {
            state.counts += [row.line, row.label, row.predicted]
            state.doubles += [row.confidence, row.crossEntropy]
            state.texts.append(row.id)
            state.texts.append(row.source)
        }
        return state
    }

    /// Refuses more rows than the limit and rows out of rank order (``merge(_:)``
    /// and ``insert(_:)`` rely on it).
    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        let n = try reader.count()
        guard n <= limit else { throw .outOfRange }
        var read: [WorstRow] = []
        read.reserveCapacity(limit + 1)
        for _ in 0..<n {
            let line = try reader.count(), label = try reader.count(), predicted = try reader.count()
            let confidence = try reader.double(), crossEntropy = try reader.double()
            let id = try reader.text()
            let row = WorstRow(line: line, id: id, label: label, predicted: predicted,
                               confidence: confidence, crossEntropy: crossEntropy, source: try reader.text())
            if let previous = read.last, row.ranksBefore(previous) { throw .outOfRange }
            read.append(row)
        }
        rows = read
    }

    func result(_ context: FamilyResultContext) -> [WorstRow] { rows }
}
