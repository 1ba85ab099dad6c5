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
/// pairing by id needs every row of one file before the other is matched.
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
    /// The baseline's paired rows.
    public let baseline: PredictionTable
    /// The candidate's rows in the baseline's order, with the baseline's lines.
    public let candidate: PredictionTable
    public let baselineSummary: InputSummary
    public let candidateSummary: InputSummary
    /// `nil` when pairing by position.
    public let joinColumn: String?
    public let unmatched: UnmatchedRows

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
            let result = Result { () throws -> (PredictionTable, InputSummary) in try TableLoader.load(side == 0 ? baseLocation : candLocation, options: readOptions) }
            if side == 0 { reads.baseline = result } else { reads.candidate = result }
        }
        let (base, baseSummary) = try reads.baseline!.get()
        let (cand, candSummary) = try reads.candidate!.get()
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
        let names = baseSummary.classes
        func check(_ i: Int, _ j: Int) throws {
            if base.labels[i] != cand.labels[j] {
                throw InputError(.data, file: baseName, line: base.lines[i],
                                 reason: "label \(InputError.name(names[Int(base.labels[i])])), but \(InputError.controlsEscaped(candName)):\(cand.lines[j]) has \(InputError.name(names[Int(cand.labels[j])])) for the same row; the files must score the same labelled rows",
                                 hint: joinOn == nil ? "rows pair by position; if the files order their rows differently, pair them with --join-on ID" : nil)
            }
            if base.weights[i] != cand.weights[j] {
                throw InputError(.data, file: baseName, line: base.lines[i],
                                 reason: "weight \(base.weights[i]), but \(InputError.controlsEscaped(candName)):\(cand.lines[j]) has \(cand.weights[j]) for the same row; paired rows must weigh the same")
            }
        }
        if let joinOn {
            guard !base.isEmpty && base.ids.count == base.count, cand.ids.count == cand.count else {
                throw InputError(.usage, file: base.ids.count == base.count ? candName : baseName, reason: "no id column \(InputError.name(joinOn)) to join on")
            }
            let baseIndex = try Self.index(base, file: baseName), candIndex = try Self.index(cand, file: candName)
            var order: [Int] = [], candOrder: [Int] = []
            var listed: [UnmatchedRow] = []
            var baseOnly = 0, candOnly = 0
            for i in 0..<base.count {
                if let j = candIndex[base.ids[i]] {
                    try check(i, j)
                    order.append(i)
                    candOrder.append(j)
                } else {
                    baseOnly += 1
                    if listed.count < Self.listedUnmatchedLimit { listed.append(UnmatchedRow(side: .baseline, line: base.lines[i], id: base.ids[i])) }
                }
            }
            for j in 0..<cand.count where baseIndex[cand.ids[j]] == nil {
                candOnly += 1
                if listed.count < Self.listedUnmatchedLimit { listed.append(UnmatchedRow(side: .candidate, line: cand.lines[j], id: cand.ids[j])) }
            }
            guard !order.isEmpty else {
                throw InputError(.data, file: candName, reason: "shares no \(InputError.name(joinOn)) value with \(InputError.controlsEscaped(baseName)); there is nothing to compare")
            }
            unmatched = UnmatchedRows(baseline: baseOnly, candidate: candOnly, rows: listed)
            baseline = Self.gather(base, rows: order, lines: nil)
            candidate = Self.gather(cand, rows: candOrder, lines: order.map { base.lines[$0] })
        } else {
            guard base.count == cand.count else {
                throw InputError(.data, file: candName,
                                 reason: "has \(cand.count) rows and \(InputError.controlsEscaped(baseName)) \(base.count); rows pair by position, so both files must hold the same rows",
                                 hint: "if the files hold different or reordered rows, pair them by an id column with --join-on ID")
            }
            for i in 0..<base.count { try check(i, i) }
            unmatched = UnmatchedRows()
            baseline = base
            candidate = Self.gather(cand, rows: Array(0..<cand.count), lines: base.lines)
        }
    }

    /// Row index by id; an id twice is exit 65 naming both lines.
    static func index(_ table: PredictionTable, file: String) throws -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(table.count)
        for i in 0..<table.count {
            if let first = index.updateValue(i, forKey: table.ids[i]) {
                throw InputError(.data, file: file, line: table.lines[i], value: table.ids[i],
                                 reason: "is the id of line \(table.lines[first]) as well; --join-on needs each id once per file")
            }
        }
        return index
    }

    /// The rows `rows` of `table` in that order, with `lines` in place of their own when given.
    static func gather(_ table: PredictionTable, rows: [Int], lines: [Int]?) -> PredictionTable {
        let k = table.shape.scoresPerRow
        var labels: [Int32] = [], scores: [Double] = [], weights: [Double] = [], kept: [Int] = []
        labels.reserveCapacity(rows.count)
        scores.reserveCapacity(rows.count * k)
        weights.reserveCapacity(rows.count)
        kept.reserveCapacity(rows.count)
        // The soft targets, when the rows carry them, `classCount` per row.
        let t = table.shape.hasSoftTargets ? table.shape.classCount : 0
        var targets: [Double] = []
        targets.reserveCapacity(rows.count * t)
        for i in rows {
            labels.append(table.labels[i])
            for c in 0..<k { scores.append(table.scores[i * k + c]) }
            for c in 0..<t { targets.append(table.targets[i * t + c]) }
            weights.append(table.weights[i])
            kept.append(table.lines[i])
        }
        let ids = table.ids.count == table.count ? rows.map { table.ids[$0] } : []
        var out = PredictionTable(shape: table.shape, reservingCapacity: rows.count)
        labels.withUnsafeBufferPointer { l in
            scores.withUnsafeBufferPointer { s in
                weights.withUnsafeBufferPointer { w in
                    (lines ?? kept).withUnsafeBufferPointer { n in
                        targets.withUnsafeBufferPointer { t in
                            out.append(labels: l, scores: s, weights: w, lines: n, ids: ids, groups: [], targets: t)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Both models' full audits and the paired row tests. Each is audited in
    /// fixed chunks of ``chunkRows`` rows, `threads` at a time, merged in chunk
    /// order: the results are the same for any number of threads.
    public func audit(settings: AuditSettings, losses: [LossSpecification] = LossSpecification.auditDefaults,
                      ranking: RankingSettings?, bootstrap: BootstrapSettings?, threads: Int) -> ComparisonResult {
        let threads = Swift.max(1, threads)
        let names = baselineSummary.classes
        func run(_ table: PredictionTable) -> AuditResult {
            let empty = AuditAccumulator(shape: table.shape, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap)
            let chunks = (table.count + Self.chunkRows - 1) / Self.chunkRows
            let parts = TaskSlots<AuditAccumulator>(count: chunks)
            runConcurrently(chunks, threads: threads) { c in
                var part = empty
                part.add(table, rows: (c * Self.chunkRows)..<Swift.min(table.count, (c + 1) * Self.chunkRows))
                parts.set(c, part)
            }
            var total = empty
            for c in 0..<chunks { total.merge(parts.take(c)) }
            return total.finish(classNames: names) { count, body in runConcurrently(count, threads: threads, body) }
        }
        let base = run(baseline)
        let cand = run(candidate)
        var rows = PairedRows(shape: baseline.shape)
        rows.add(baseline: baseline, candidate: candidate, threshold: settings.threshold)
        return ComparisonResult(baseline: base, candidate: cand, rows: rows)
    }

    /// Rows per chunk of ``audit(settings:losses:ranking:bootstrap:threads:)``.
    public static let chunkRows = 1 << 18
}

/// The two files' tables (or errors), each written by one thread and read after both are joined.
private final class ReadSlots: @unchecked Sendable {
    var baseline: Result<(PredictionTable, InputSummary), any Error>?
    var candidate: Result<(PredictionTable, InputSummary), any Error>?
}
