public import CalibCore

/// Reads a whole input into one ``PredictionTable`` (rows in input order),
/// for the commands that need every row at once (`calib fit`, `calib prior`).
/// Blocks are decoded on `options.threads` workers and joined in input
/// order, as the audit reads them, so the table is the same for any number
/// of threads. Memory: the table (about 30 bytes a binary row).
public enum TableLoader {
    public static func load(_ location: InputLocation, options: ReadOptions = ReadOptions(),
                            progress: ((Int) -> Void)? = nil) throws -> (table: PredictionTable, input: InputSummary) {
        let reader = try PredictionReader(location: location, options: options)
        let threads = Swift.max(1, options.threads)
        var table = PredictionTable(shape: reader.shape)
        try reader.streamBlocks(into: Collector(shape: reader.shape), threads: threads, capacity: 2 * threads + 2, progress: progress) { outcome in
            table.append(outcome.consumer.table)
        }
        try reader.requireRows()
        return (table, reader.summary())
    }

    /// A runner of independent tasks on `threads` threads (the engine's
    /// `RankingRunner`), for the cross-fit's folds and the audit's ranking.
    public static func runner(threads: Int) -> RankingRunner {
        { count, body in runConcurrently(count, threads: threads, body) }
    }

    /// A block's rows, kept.
    struct Collector: ChunkConsumer {
        var table: PredictionTable
        init(shape: ClassificationShape) { table = PredictionTable(shape: shape) }
        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) { table.append(chunk) }
    }
}

extension PredictionTable {
    /// Appends another table's rows (same shape, soft targets included), without the group column.
    mutating func append(_ other: PredictionTable) {
        precondition(other.shape == shape)
        other.labels.withUnsafeBufferPointer { labels in
            other.scores.withUnsafeBufferPointer { scores in
                other.weights.withUnsafeBufferPointer { weights in
                    other.lines.withUnsafeBufferPointer { lines in
                        other.targets.withUnsafeBufferPointer { targets in
                            append(validatedLabels: labels, scores: scores, weights: weights, lines: lines,
                                   ids: other.ids.isEmpty ? [] : (0..<other.count).map { other.id(at: $0) ?? "" }, groups: [],
                                   targets: targets)
                        }
                    }
                }
            }
        }
    }
}
