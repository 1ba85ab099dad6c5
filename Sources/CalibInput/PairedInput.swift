public import CalibCore

/// A row that only one of the two files of `calib compare` holds (`--join-on`).
public struct UnmatchedRow: Sendable, Hashable {
    public enum Side: String, Sendable, Hashable { case baseline, candidate }
    public let side: Side
    /// The row's 1-based line in its file.
    public let line: Int
    public let id: String
}

/// The rows of `--join-on` found in one file only: counted, and the first
/// ``PairedInput/listedUnmatchedLimit`` listed (baseline's first, each in file order).
public struct UnmatchedRows: Sendable, Hashable {
    public let baseline: Int
    public let candidate: Int
    public let rows: [UnmatchedRow]
    public var total: Int { baseline + candidate }

    public init(baseline: Int = 0, candidate: Int = 0, rows: [UnmatchedRow] = []) {
        self.baseline = baseline
        self.candidate = candidate
        self.rows = rows
    }
}

/// Two score files of the same rows, paired for `calib compare` (SPEC section 11).
///
/// Both files are read whole into memory, column by column (`PredictionTable`:
/// about 8 bytes per score plus 20 per row, and the ids with `--join-on`), since
/// pairing by id needs every row of one file before the other is matched. The
/// rows are held in chunks of ``chunkRows`` (chunk `c` holds the paired rows
/// `c·chunkRows ..< (c + 1)·chunkRows` of each file), the units the audits add;
/// ``audit(settings:losses:ranking:bootstrap:threads:)`` frees each chunk pair
/// once it has been added, so it runs once per pairing.
///
/// Pairing:
/// - by position (default): the i-th kept row of each file; the files must keep
///   the same number of rows (else exit 65 suggesting `--join-on`), and each pair
///   must agree on the label and the weight (else exit 65 naming both lines).
///   Rows skipped by `--on-invalid skip` are not kept, so a row skipped in one
///   file only makes the counts differ.
/// - by `--join-on ID`: rows with the same id pair (label and weight must agree
///   as above); an id twice in one file is exit 65 naming both lines; rows whose
///   id the other file lacks are counted and listed (``UnmatchedRows``), never
///   dropped silently. Pairs follow the baseline's order.
///
/// A pair's row index (what keys its bootstrap counts) is the baseline's line,
/// so both audits draw the same Poisson counts for it.
/// The two files must have the same classes in the same order, and the same
/// task (both binary or both multiclass): else exit 65 naming both files.
public struct PairedInput: Sendable {
    /// The paired rows' shape (the baseline's).
    public let shape: ClassificationShape
    /// The candidate's shape: its score kind (and soft targets) may differ from the baseline's.
    let candidateShape: ClassificationShape
    /// Rows both files hold: the rows of both audits and of every delta.
    public let count: Int
    public let baselineSummary: InputSummary
    public let candidateSummary: InputSummary
    /// `nil` when pairing by position.
    public let joinColumn: String?
    public let unmatched: UnmatchedRows
    /// The paired chunks: the baseline's rows, and the candidate's in the baseline's order with the baseline's lines.
    private let chunks: PairedChunks

    /// The most unmatched rows listed (all are counted).
    public static let listedUnmatchedLimit = 20

    /// Reads and pairs `baseline` and `candidate` with the same read options;
    /// `joinOn` names the id column to pair by.
    public init(baseline baseLocation: InputLocation, candidate candLocation: InputLocation, options: ReadOptions, joinOn: String? = nil) throws {
        var options = options
        if let joinOn { options.id = joinOn }
        // The two files are read at the same time, each by `TableLoader` (blocks decoded on its own workers).
        let reads = ReadSlots()
        let readOptions = options
        runConcurrently(2, threads: Swift.min(2, Swift.max(1, options.threads))) { side in
            let result = Result { () throws -> ([PredictionTable], InputSummary) in
                try TableLoader.loadChunks(side == 0 ? baseLocation : candLocation, options: readOptions, rows: Self.chunkRows)
            }
            if side == 0 { reads.baseline = result } else { reads.candidate = result }
        }
        let (baseChunks, baseSummary) = try reads.baseline!.get()
        let (candChunks, candSummary) = try reads.candidate!.get()
        reads.baseline = nil
        reads.candidate = nil
        let baseName = baseLocation.displayName, candName = candLocation.displayName
        guard baseSummary.shape.task == candSummary.shape.task else {
            throw InputError(.data, file: candName,
                             reason: "is a \(candSummary.shape.task.rawValue) task (\(candSummary.classes.count) classes) and \(InputError.controlsEscaped(baseName)) a \(baseSummary.shape.task.rawValue) one (\(baseSummary.classes.count) classes); compare needs two scorings of the same task")
        }
        guard baseSummary.classes == candSummary.classes else {
            throw InputError(.data, file: candName,
                             reason: "has the classes \(InputError.list(candSummary.classes)) and \(InputError.controlsEscaped(baseName)) \(InputError.list(baseSummary.classes)); compare needs the same classes in the same order (see --classes, --positive)")
        }
        baselineSummary = baseSummary
        candidateSummary = candSummary
        joinColumn = joinOn
        let base = ChunkedRows(baseChunks), cand = ChunkedRows(candChunks)
        shape = base.chunks.first?.shape ?? baseSummary.shape
        candidateShape = cand.chunks.first?.shape ?? candSummary.shape
        let names = baseSummary.classes
        func check(_ i: Int, _ j: Int) throws {
            let (bc, bi) = base.locate(i), (cc, ci) = cand.locate(j)
            let b = base.chunks[bc], c = cand.chunks[cc]
            if b.labels[bi] != c.labels[ci] {
                throw InputError(.data, file: baseName, line: b.lines[bi],
                                 reason: "label \(InputError.name(names[Int(b.labels[bi])])), but \(InputError.controlsEscaped(candName)):\(c.lines[ci]) has \(InputError.name(names[Int(c.labels[ci])])) for the same row; the files must score the same labelled rows",
                                 hint: joinOn == nil ? "rows pair by position; if the files order their rows differently, pair them with --join-on ID" : nil)
            }
            if b.weights[bi] != c.weights[ci] {
                throw InputError(.data, file: baseName, line: b.lines[bi],
                                 reason: "weight \(b.weights[bi]), but \(InputError.controlsEscaped(candName)):\(c.lines[ci]) has \(c.weights[ci]) for the same row; paired rows must weigh the same")
            }
        }
        if let joinOn {
            guard base.count > 0 && base.hasIDs, cand.hasIDs else {
                throw InputError(.usage, file: base.hasIDs ? candName : baseName, reason: "no id column \(InputError.name(joinOn)) to join on")
            }
            let baseIndex = try Self.index(base, file: baseName), candIndex = try Self.index(cand, file: candName)
            var order: [Int] = [], candOrder: [Int] = []
            var listed: [UnmatchedRow] = []
            var baseOnly = 0, candOnly = 0
            for i in 0..<base.count {
                if let j = candIndex[base.id(i)] {
                    try check(i, j)
                    order.append(i)
                    candOrder.append(j)
                } else {
                    baseOnly += 1
                    if listed.count < Self.listedUnmatchedLimit { listed.append(UnmatchedRow(side: .baseline, line: base.line(i), id: base.id(i))) }
                }
            }
            for j in 0..<cand.count where baseIndex[cand.id(j)] == nil {
                candOnly += 1
                if listed.count < Self.listedUnmatchedLimit { listed.append(UnmatchedRow(side: .candidate, line: cand.line(j), id: cand.id(j))) }
            }
            guard !order.isEmpty else {
                throw InputError(.data, file: candName, reason: "shares no \(InputError.name(joinOn)) value with \(InputError.controlsEscaped(baseName)); there is nothing to compare")
            }
            unmatched = UnmatchedRows(baseline: baseOnly, candidate: candOnly, rows: listed)
            count = order.count
            chunks = PairedChunks(baseline: Self.gather(base, rows: order, lines: nil),
                                  candidate: Self.gather(cand, rows: candOrder, lines: order.map { base.line($0) }))
        } else {
            guard base.count == cand.count else {
                throw InputError(.data, file: candName,
                                 reason: "has \(cand.count) rows and \(InputError.controlsEscaped(baseName)) \(base.count); rows pair by position, so both files must hold the same rows",
                                 hint: "if the files hold different or reordered rows, pair them by an id column with --join-on ID")
            }
            // Chunk `c` of both files holds the same rows (same chunk size): a chunk's
            // columns are compared whole, and row by row only to name the first disagreement.
            var candidate = cand.chunks
            for c in base.chunks.indices {
                let b = base.chunks[c], d = cand.chunks[c]
                if b.labels != d.labels || b.weights != d.weights {
                    for i in 0..<b.count { try check(c * Self.chunkRows + i, c * Self.chunkRows + i) }
                }
                // The candidate's rows carry the baseline's lines (and no ids unless every row has one).
                if b.lines != d.lines || (!d.ids.isEmpty && d.ids.count != d.count) {
                    candidate[c] = d.relined(b.lines)
                }
            }
            unmatched = UnmatchedRows()
            count = base.count
            chunks = PairedChunks(baseline: base.chunks, candidate: candidate)
        }
    }

    /// Row index by id; an id twice is exit 65 naming both lines.
    static func index(_ rows: ChunkedRows, file: String) throws -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(rows.count)
        for i in 0..<rows.count {
            if let first = index.updateValue(i, forKey: rows.id(i)) {
                throw InputError(.data, file: file, line: rows.line(i), value: rows.id(i),
                                 reason: "is the id of line \(rows.line(first)) as well; --join-on needs each id once per file")
            }
        }
        return index
    }

    /// The rows `rows` of `source` in that order, in chunks of ``chunkRows``,
    /// with `lines` in place of their own when given.
    static func gather(_ source: ChunkedRows, rows: [Int], lines: [Int]?) -> [PredictionTable] {
        guard let first = source.chunks.first else { return [] }
        let shape = first.shape
        let k = shape.scoresPerRow
        // The soft targets, when the rows carry them, `classCount` per row.
        let t = shape.hasSoftTargets ? shape.classCount : 0
        var out: [PredictionTable] = []
        var start = 0
        while start < rows.count {
            let end = Swift.min(rows.count, start + chunkRows)
            var labels: [Int32] = [], scores: [Double] = [], weights: [Double] = [], kept: [Int] = [], targets: [Double] = []
            labels.reserveCapacity(end - start)
            scores.reserveCapacity((end - start) * k)
            weights.reserveCapacity(end - start)
            kept.reserveCapacity(end - start)
            targets.reserveCapacity((end - start) * t)
            for r in start..<end {
                let (c, i) = source.locate(rows[r])
                let table = source.chunks[c]
                labels.append(table.labels[i])
                for s in 0..<k { scores.append(table.scores[i * k + s]) }
                for s in 0..<t { targets.append(table.targets[i * t + s]) }
                weights.append(table.weights[i])
                kept.append(lines?[r] ?? table.lines[i])
            }
            let ids = source.hasIDs ? rows[start..<end].map { source.id($0) } : []
            out.append(PredictionTable(shape: shape, validatedLabels: labels, scores: scores, weights: weights, lines: kept, ids: ids, targets: targets))
            start = end
        }
        return out
    }

    /// Both models' full audits and the paired row tests. Chunk `c` of both
    /// files is one task (the baseline's rows added to one accumulator, the
    /// candidate's to another, and their paired rows for DeLong and McNemar),
    /// `threads` tasks at a time, and the chunk pair is freed once added; the
    /// parts merge in chunk order, so the results are the same for any number
    /// of threads. The two audits' summaries and DeLong's test are then three
    /// tasks of their own. Runs once: the rows are gone afterwards.
    public func audit(settings: AuditSettings, losses: [LossSpecification] = LossSpecification.auditDefaults,
                      ranking: RankingSettings?, bootstrap: BootstrapSettings?, threads: Int) -> ComparisonResult {
        let threads = Swift.max(1, threads)
        let names = baselineSummary.classes
        let shape = self.shape
        let chunks = self.chunks
        // Each model audited in its own shape (logits against probabilities is a fair comparison).
        let emptyBase = AuditAccumulator(shape: shape, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap)
        let emptyCand = AuditAccumulator(shape: candidateShape, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap)
        let baselineParts = Slots<AuditAccumulator>(count: chunks.count), candidateParts = Slots<AuditAccumulator>(count: chunks.count)
        let rowParts = Slots<PairedRows>(count: chunks.count)
        let threshold = settings.threshold
        runConcurrently(chunks.count, threads: threads) { c in
            let (b, d) = chunks.take(c)
            var base = emptyBase, cand = emptyCand
            base.add(b)
            cand.add(d)
            var rows = PairedRows(shape: shape)
            rows.add(baseline: b, candidate: d, threshold: threshold)
            baselineParts.set(c, base)
            candidateParts.set(c, cand)
            rowParts.set(c, rows)
        }
        // Each model's parts merged, and the paired rows appended, in chunk order: three tasks (one loop
        // left a core idle while the replicates merged), the same merges in the same order.
        let finishing = Slots<AuditAccumulator>(count: 2), paired = Slots<PairedRows>(count: 1)
        runConcurrently(3, threads: threads > 1 ? 3 : 1) { task in
            if task == 2 {
                var rows = PairedRows(shape: shape)
                rows.reserve(positives: rowParts.total(\.positives), negatives: rowParts.total(\.negatives))
                for c in 0..<chunks.count { rows.append(rowParts.take(c)) }
                paired.set(0, rows)
            } else {
                let parts = task == 0 ? baselineParts : candidateParts
                var accumulator = task == 0 ? emptyBase : emptyCand
                for c in 0..<chunks.count { accumulator.merge(parts.take(c)) }
                finishing.set(task, accumulator)
            }
        }
        // The two summaries and DeLong's test, three tasks (each summary's own work on `threads` as well).
        let results = ResultSlots()
        // Each task's arrays are its own (moved through the slots, not copied), so they are sorted in place.
        let rows = paired.take(0)
        let mcNemar = rows.mcNemar
        paired.set(0, consume rows)
        // All three at once (on more threads than `threads` when it is 2 or more): DeLong's
        // test is short of parallel work, and each summary has stretches of its own.
        let runner: RankingRunner = { count, body in runConcurrently(count, threads: threads, body) }
        runConcurrently(3, threads: threads > 1 ? 3 : 1) { task in
            if task == 2 {
                var rows = paired.take(0)
                results.deLong = rows.takeDeLong(runner: runner)
            } else {
                var accumulator = finishing.take(task)
                let result = accumulator.finish(classNames: names, runner: runner)
                if task == 0 { results.baseline = result } else { results.candidate = result }
            }
        }
        return ComparisonResult(baseline: results.baseline!, candidate: results.candidate!, deLong: results.deLong, mcNemar: mcNemar)
    }

    /// Rows per chunk of ``audit(settings:losses:ranking:bootstrap:threads:)``.
    public static let chunkRows = 1 << 18
}

/// One file's rows in chunks of `PairedInput.chunkRows` (every chunk full but the last), addressed by row.
struct ChunkedRows {
    let chunks: [PredictionTable]
    let count: Int
    /// Every row has an id.
    let hasIDs: Bool

    init(_ chunks: [PredictionTable]) {
        self.chunks = chunks
        count = chunks.reduce(0) { $0 + $1.count }
        hasIDs = chunks.allSatisfy { $0.ids.count == $0.count }
    }

    /// The chunk and the row within it of row `i`.
    @inline(__always)
    func locate(_ i: Int) -> (chunk: Int, row: Int) { (i / PairedInput.chunkRows, i % PairedInput.chunkRows) }
    func line(_ i: Int) -> Int { let (c, r) = locate(i); return chunks[c].lines[r] }
    func id(_ i: Int) -> String { let (c, r) = locate(i); return chunks[c].ids[r] }
}

/// The paired chunks, each pair handed out once (and released) by `take`.
private final class PairedChunks: Sendable {
    private let baseline: Slots<PredictionTable>
    private let candidate: Slots<PredictionTable>
    let count: Int
    init(baseline: [PredictionTable], candidate: [PredictionTable]) {
        precondition(baseline.count == candidate.count, "chunks pair one to one")
        self.baseline = Slots(baseline)
        self.candidate = Slots(candidate)
        count = baseline.count
    }
    /// Chunk pair `c`, taken by one task alone.
    func take(_ c: Int) -> (PredictionTable, PredictionTable) { (baseline.take(c), candidate.take(c)) }
}

/// One value per task, each set and taken (and released) by one task alone;
/// the slots of different tasks are disjoint, so tasks need no lock.
private final class Slots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Value?>
    let count: Int
    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: Swift.max(1, count))
        slots.initialize(repeating: nil, count: count)
    }
    convenience init(_ values: [Value]) {
        self.init(count: values.count)
        for (i, value) in values.enumerated() { slots[i] = value }
    }
    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }
    func set(_ i: Int, _ value: Value) { slots[i] = value }
    /// The sum of `value` over the slots that hold a value.
    func total(_ value: (Value) -> Int) -> Int {
        (0..<count).reduce(0) { sum, i in sum + (slots[i].map(value) ?? 0) }
    }
    /// The value of slot `i`, which is left empty.
    func take(_ i: Int) -> Value {
        guard let value = slots[i].take() else { preconditionFailure("slot \(i) was taken already") }
        return value
    }
}

/// The two files' tables (or errors), each written by one thread and read after both are joined.
private final class ReadSlots: @unchecked Sendable {
    var baseline: Result<([PredictionTable], InputSummary), any Error>?
    var candidate: Result<([PredictionTable], InputSummary), any Error>?
}

/// The three summary tasks' results, each written by one task and read after all are joined.
private final class ResultSlots: @unchecked Sendable {
    var baseline: AuditResult?
    var candidate: AuditResult?
    var deLong: DeLongTest?
}
