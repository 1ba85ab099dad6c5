public import CalibCore

/// Where a multi-label audit's rows came from, for the reports.
public struct MultiLabelInputSummary: Sendable {
    public let source: String
    public let format: ReadOptions.Format
    /// Valid rows audited.
    public let rows: Int
    public let skipped: SkippedRows
    /// Label names, in the order of their `y_` columns.
    public let labels: [String]
    public let targetColumns: [String]
    public let scoreColumns: [String]
    public let scoreKind: ScoreKind
    public let weightColumn: String?
    public let idColumn: String?
    public var weighted: Bool { weightColumn != nil }

    /// Label `l` as an input of its own: the summary a binary audit of its
    /// two columns (`--label y_<l> --prob p_<l> --positive 1`) reports.
    public func binarySummary(label l: Int) -> InputSummary {
        InputSummary(source: source, format: format, rows: rows, skipped: skipped, classes: ["0", "1"],
                     shape: ClassificationShape(classCount: 2, scoreKind: scoreKind),
                     positiveClassReason: "the second of the known pair 0/1 (a y_ column's positive value)", weighted: weighted,
                     labelColumn: targetColumns[l], scoreColumns: [scoreColumns[l]], weightColumn: weightColumn, idColumn: idColumn, groupColumn: nil)
    }
}

/// Streams a multi-label input (`--multilabel`) through the engine: the
/// reader's threaded block pipeline decodes rows into carrier tables
/// (`ColumnRoles.init(multiLabelHeader:options:file:)`), each block's chunks go
/// to a ``MultiLabelAccumulator`` of its own, and blocks merge in input
/// order, so the result is the same for any `--threads`. Memory: one chunk
/// per block in flight, the accumulators' sums, and the score stores
/// (one per label and one for the pooled pairs, each bounded by `--memory-budget`).
public enum MultiLabelAudit {
    public struct Outcome: Sendable {
        public let result: MultiLabelResult
        public let input: MultiLabelInputSummary
    }

    public static func audit(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults,
        ranking: RankingSettings? = RankingSettings(),
        bootstrap: BootstrapSettings? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> Outcome {
        try accumulate(location, options: options, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap, progress: progress)
            .finish(threads: options.threads)
    }

    /// A multi-label audit's sums, unfinished (what a part holds), and where its rows came from.
    public struct Accumulated: Sendable {
        public var total: MultiLabelAccumulator
        public var input: MultiLabelInputSummary

        public init(total: MultiLabelAccumulator, input: MultiLabelInputSummary) {
            self.total = total
            self.input = input
        }

        /// The result, the ranking run on `threads` threads (the same for any count).
        public func finish(threads: Int) -> Outcome {
            var total = total
            let threads = Swift.max(1, threads)
            let result = total.finish(labelNames: input.labels) { count, body in runConcurrently(count, threads: threads, body) }
            return Outcome(result: result, input: input)
        }
    }

    /// ``audit(_:options:settings:losses:ranking:bootstrap:progress:)``'s sums,
    /// unfinished. `rowOffset` keys each row's bootstrap counts as line
    /// `line + rowOffset` (`--row-offset`).
    public static func accumulate(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults,
        ranking: RankingSettings? = RankingSettings(),
        bootstrap: BootstrapSettings? = nil,
        rowOffset: Int = 0,
        progress: ((Int) -> Void)? = nil
    ) throws -> Accumulated {
        var multiOptions = options
        multiOptions.multiLabel = true
        let reader = try PredictionReader(location: location, options: multiOptions)
        let columns = reader.roles.multiLabel!
        let threads = Swift.max(1, options.threads)
        let kind: ScoreKind = reader.roles.scoreKind == .logits ? .logits : .probabilities
        var empty = MultiLabelAccumulator(labelCount: columns.names.count, scoreKind: kind, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap)
        empty.bootstrapRowOffset = rowOffset
        var total = empty
        try reader.streamBlocks(into: Consumer(total: empty, labelCount: columns.names.count, kind: kind), threads: threads, capacity: 2 * threads + 2, progress: progress) { outcome in
            total.merge(outcome.consumer.total)
        }
        try reader.requireRows()
        let header = reader.header
        let input = MultiLabelInputSummary(
            source: location.displayName, format: reader.format, rows: reader.rows, skipped: reader.skipped, labels: columns.names,
            targetColumns: columns.targets.map { header[$0] }, scoreColumns: columns.scores.map { header[$0] }, scoreKind: kind,
            weightColumn: reader.roles.weight.map { header[$0] }, idColumn: reader.roles.id.map { header[$0] })
        return Accumulated(total: total, input: input)
    }

    /// A block's consumer: unpacks each carrier chunk (targets, then scores,
    /// per row) into a ``MultiLabelTable`` and adds it to the block's accumulator.
    struct Consumer: ChunkConsumer {
        var total: MultiLabelAccumulator
        let labelCount: Int
        let kind: ScoreKind

        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) {
            let k = labelCount, per = chunk.shape.scoresPerRow, n = chunk.count
            var targets = [Int32](repeating: 0, count: n * k)
            var scores = [Double](repeating: 0, count: n * k)
            chunk.scores.withUnsafeBufferPointer { carrier in
                for i in 0..<n {
                    for l in 0..<k {
                        targets[i * k + l] = carrier[i * per + l] == 1 ? 1 : 0
                        scores[i * k + l] = carrier[i * per + k + l]
                    }
                }
            }
            let ids = chunk.ids.isEmpty || chunk.ids.count == n ? chunk.ids : chunk.ids + Array(repeating: "", count: n - chunk.ids.count)
            let table = MultiLabelTable(labelCount: k, scoreKind: kind, targets: targets, scores: scores, weights: chunk.weights, lines: chunk.lines, ids: ids)
            total.add(table)
        }
    }
}
