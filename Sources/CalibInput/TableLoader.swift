public import CalibCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole input into one ``PredictionTable`` (rows in input order),
/// for the commands that need every row at once (`calib fit`, `calib prior`).
/// Blocks are decoded on `options.threads` workers and joined in input
/// order, as the audit reads them, so the table is the same for any number
/// of threads. Memory: the table (about 28 bytes a binary row, 20 without lines).
public enum TableLoader {
    /// The whole input as one table. With `keepingLines: false` the table
    /// has no `lines` (empty), for `calib fit`, which reads none, unless the
    /// input has ids or soft targets (kept beside their lines). The table's
    /// columns are reserved once, at the size the first block and the
    /// file's size suggest (`estimatedRows`), so that they need not grow
    /// (each growth copies every row so far into new, not yet mapped memory)
    /// as the blocks are appended, on the thread that also reads and cuts them.
    /// An estimate can overshoot (short rows first, long rows later): the
    /// reservation is made only if that much memory can be had (else the
    /// columns grow as they would unreserved), and a table left with more
    /// than twice the room it needs is copied to its size once read.
    public static func load(_ location: InputLocation, options: ReadOptions = ReadOptions(), keepingLines: Bool = true,
                            progress: ((Int) -> Void)? = nil) throws -> (table: PredictionTable, input: InputSummary) {
        let reader = try PredictionReader(location: location, options: options)
        let threads = Swift.max(1, options.threads)
        let withLines = keepingLines || reader.roles.id != nil || reader.shape.hasSoftTargets
        var table = PredictionTable(shape: reader.shape)
        var size = inputBytes(location)
        var reserved = 0
        try reader.streamBlocks(into: Collector(shape: reader.shape), threads: threads, capacity: 2 * threads + 2, progress: progress) { outcome in
            let block = outcome.consumer.table
            if let bytes = size, !block.isEmpty {
                size = nil
                let rows = estimatedRows(firstBlock: block.count, blockBytes: options.blockBytes, inputBytes: bytes)
                if canAllocate(rows: rows, shape: reader.shape, lines: withLines) {
                    table.reserveCapacity(rows: rows, lines: withLines)
                    reserved = rows
                }
            }
            if withLines { table.append(block) } else { table.appendWithoutLines(block) }
        }
        try reader.requireRows()
        if reserved > 2 * table.count + 65_536 {
            // The estimate overshot: the table at its size, the reservation given back.
            var sized = PredictionTable(shape: table.shape)
            sized.reserveCapacity(rows: table.count, lines: withLines)
            if withLines { sized.append(table) } else { sized.appendWithoutLines(table) }
            table = sized
        }
        return (table, reader.summary())
    }

    /// Whether `rows` rows of `shape`'s columns can be allocated now, with
    /// room to spare: one anonymous mapping of twice their bytes, unmapped at
    /// once (untouched, it maps no page; twice, because the columns are
    /// allocated apart, after other allocations, by an allocator that may keep
    /// what is freed; `mmap`, because a compiler may drop an unused
    /// `malloc`/`free` pair and assume it succeeded). A reservation the process
    /// may not have (`ulimit -v`, strict overcommit) is then not attempted:
    /// the columns grow as they would unreserved.
    package static func canAllocate(rows: Int, shape: ClassificationShape, lines: Bool) -> Bool {
        let perRow = MemoryLayout<Int32>.stride + MemoryLayout<Double>.stride * (shape.scoresPerRow + 1 + (lines ? 1 : 0)
            + (shape.hasSoftTargets ? shape.classCount : 0))
        let (bytes, overflow) = rows.multipliedReportingOverflow(by: 2 * perRow)
        guard !overflow, let probe = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              probe != UnsafeMutableRawPointer(bitPattern: -1) else { return false }
        munmap(probe, bytes)
        return true
    }

    /// The rows to reserve for an input of `inputBytes` bytes whose first
    /// block (cut at about `blockBytes`) held `firstBlock` rows: that rate
    /// over the whole input, 5% more, and no more than a row per 2 bytes. A
    /// compressed input's estimate falls short (its blocks hold its
    /// decompressed bytes) and its table grows as it would unreserved.
    package static func estimatedRows(firstBlock: Int, blockBytes: Int, inputBytes: Int) -> Int {
        let rate = Double(firstBlock) / Double(Swift.max(1, blockBytes))
        return Swift.min(Int(rate * Double(inputBytes) * 1.05) + firstBlock, inputBytes / 2 + 1)
    }

    /// The size of an input that has one: a regular file's (by `stat`), or
    /// the bytes in memory; `nil` for standard input and what `stat` cannot read.
    static func inputBytes(_ location: InputLocation) -> Int? {
        switch location {
        case let .file(path):
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return Int(truncatingIfNeeded: info.st_size)
        case let .bytes(bytes, _):
            return bytes.count
        case .standardInput:
            return nil
        }
    }

    /// Reads a whole input into tables of `rows` rows each (the last may hold
    /// fewer; none for an input without rows), in input order: chunk `c` holds
    /// the input's rows `c·rows ..< (c + 1)·rows`, whatever the blocks it was
    /// read in. For `calib compare`, which audits fixed chunks of both files
    /// side by side (`PairedInput`) and frees each once audited. Each decoded
    /// row is copied once, into a chunk reserved at its full size (no growth,
    /// no concatenation). Memory: the chunks (about 28 bytes a binary row).
    public static func loadChunks(_ location: InputLocation, options: ReadOptions = ReadOptions(),
                                  rows: Int) throws -> (chunks: [PredictionTable], input: InputSummary) {
        precondition(rows > 0, "a chunk holds at least one row")
        let reader = try PredictionReader(location: location, options: options)
        let threads = Swift.max(1, options.threads)
        var chunks: [PredictionTable] = []
        var current = PredictionTable(shape: reader.shape, reservingCapacity: rows)
        try reader.streamBlocks(into: PieceCollector(), threads: threads, capacity: 2 * threads + 2, progress: nil) { outcome in
            for piece in outcome.consumer.pieces {
                var start = 0
                while start < piece.count {
                    let end = Swift.min(piece.count, start + rows - current.count)
                    current.append(piece, rows: start..<end)
                    start = end
                    if current.count == rows {
                        chunks.append(current)
                        current = PredictionTable(shape: reader.shape, reservingCapacity: rows)
                    }
                }
            }
        }
        try reader.requireRows()
        if !current.isEmpty { chunks.append(current) }
        return (chunks, reader.summary())
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

    /// A block's decoded chunks, kept as decoded (no copy).
    struct PieceCollector: ChunkConsumer {
        var pieces: [PredictionTable] = []
        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) { pieces.append(chunk) }
    }
}

extension PredictionTable {
    /// Appends the rows `range` of another table (same shape, soft targets
    /// included), without the group column; ids as ``append(_:)`` gives them.
    mutating func append(_ other: PredictionTable, rows range: Range<Int>) {
        precondition(other.shape == shape)
        let k = shape.scoresPerRow, t = shape.hasSoftTargets ? shape.classCount : 0
        other.labels.withUnsafeBufferPointer { labels in
            other.scores.withUnsafeBufferPointer { scores in
                other.weights.withUnsafeBufferPointer { weights in
                    other.lines.withUnsafeBufferPointer { lines in
                        other.targets.withUnsafeBufferPointer { targets in
                            append(validatedLabels: UnsafeBufferPointer(rebasing: labels[range]),
                                   scores: UnsafeBufferPointer(rebasing: scores[(range.lowerBound * k)..<(range.upperBound * k)]),
                                   weights: UnsafeBufferPointer(rebasing: weights[range]), lines: UnsafeBufferPointer(rebasing: lines[range]),
                                   ids: other.ids.isEmpty ? [] : range.map { other.id(at: $0) ?? "" }, groups: [],
                                   targets: UnsafeBufferPointer(rebasing: targets[(range.lowerBound * t)..<(range.upperBound * t)]))
                        }
                    }
                }
            }
        }
    }

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
