#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CalibCore

/// Reads one input into validated ``PredictionTable`` chunks: bytes →
/// records with line numbers → column roles → checked rows. Every problem is
/// an ``InputError`` naming the file, line, column and value; with
/// `--on-invalid skip` row problems are counted in ``skipped`` instead.
public final class PredictionReader {
    public let location: InputLocation
    public let format: ReadOptions.Format
    public let header: [String]
    public let shape: ClassificationShape
    /// The rows skipped so far (`--on-invalid skip`).
    public var skipped: SkippedRows { decoder.skipped }
    /// Valid rows handed out so far.
    public var rows: Int { decoder.rows }
    /// Segment names in index order (the values of the group column, as met).
    public var segmentNames: [String] { decoder.segmentNames }

    let options: ReadOptions
    let roles: ColumnRoles
    private let reader: any RecordReader
    private var decoder: RowDecoder
    private var record = Record()
    private var recordsSeen = 0

    public init(location: InputLocation, options: ReadOptions) throws {
        self.location = location
        let name = location.displayName
        let format = options.format ?? Self.format(of: location)
        self.format = format
        let source = try location.open()
        var resolved = options
        var delimiter: UInt8?
        switch format {
        case .csv, .tsv:
            let delimited = try DelimitedReader(source: source, name: name, delimiter: Self.givenDelimiter(options, location: location), recordLimit: options.recordLimit)
            // Blocks are read with the delimiter the header was read with.
            resolved.delimiter = delimited.delimiter
            delimiter = delimited.delimiter
            reader = delimited
        case .jsonl:
            reader = try JSONLinesReader(source: source, name: name, recordLimit: options.recordLimit)
        }
        self.options = resolved
        header = reader.header
        if header.count > options.columnLimit {
            throw InputError(.data, file: name, line: 1, reason: "the header has \(header.count) columns; at most \(options.columnLimit) are read (is this the right file?)")
        }
        if header.contains(where: { $0.unicodeScalars.contains("\u{0}") }) {
            throw InputError(.data, file: name, line: 1, reason: "the file looks binary (its first line holds NUL bytes); calib reads CSV, TSV or JSON Lines text, optionally gzip-compressed")
        }
        if let bad = header.first(where: { $0.unicodeScalars.contains("\u{FFFD}") }) {
            throw InputError(.data, file: name, line: 1, column: bad, reason: "the header is not valid UTF-8 text; save the file as UTF-8")
        }
        roles = options.multiLabel ? try ColumnRoles(multiLabelHeader: header, options: options, file: name)
            : try ColumnRoles(header: header, options: options, file: name, delimiter: delimiter)
        let classCount = roles.classNames?.count ?? 2
        if classCount > options.classLimit {
            throw InputError(.data, file: name, line: 1, reason: "\(classCount) classes; at most \(options.classLimit) are supported")
        }
        shape = ClassificationShape(classCount: classCount, scoreKind: roles.scoreKind == .logits ? .logits : .probabilities,
                                    softTargets: !roles.targets.isEmpty)
        decoder = RowDecoder(file: name, header: header, roles: roles, options: resolved)
    }

    /// The CSV/TSV delimiter the options and the file name settle, or nil when
    /// it is sniffed from the header: `--delimiter`, else tab for
    /// `--input-format tsv` or a `.tsv`/`.tab` name, comma for
    /// `--input-format csv`; a `.csv` name does not settle it (semicolon-
    /// separated files are often named `.csv`), nor do other names and stdin.
    static func givenDelimiter(_ options: ReadOptions, location: InputLocation) -> UInt8? {
        if let given = options.delimiter { return given }
        switch options.format {
        case .tsv?: return 0x09
        case .csv?: return 0x2C
        case .jsonl?: return nil
        case nil: return format(of: location) == .tsv ? 0x09 : nil
        }
    }

    /// The format a file name implies: `.tsv`/`.tab` → TSV, `.jsonl`/`.ndjson` → JSON Lines, otherwise CSV (a `.gz` suffix is looked through).
    public static func format(of location: InputLocation) -> ReadOptions.Format {
        guard case let .file(path) = location else { return .csv }
        var lowered = path.lowercased()
        if lowered.hasSuffix(".gz") { lowered.removeLast(3) }
        if lowered.hasSuffix(".tsv") || lowered.hasSuffix(".tab") { return .tsv }
        if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") { return .jsonl }
        return .csv
    }

    /// Class names in index order (binary: `[negative, positive]`); final once every row is read.
    public var classNames: [String] { decoder.labels.classNames }

    /// Empties `table` and fills it with up to `options.chunkRows` valid rows.
    /// Returns false when the input had no more rows.
    public func nextChunk(into table: inout PredictionTable) throws -> Bool {
        let rows = decoder.makeRows(capacity: options.chunkRows, shape: shape)
        defer { rows.move(into: &table) }
        while !rows.isFull {
            switch try reader.next(into: &record) {
            case .end:
                return !rows.isEmpty
            case let .malformed(line, detail):
                recordsSeen += 1
                try decoder.reject(.malformedRecord(detail), line: line, column: nil, value: nil)
            case .record:
                recordsSeen += 1
                try decoder.decode(record, into: rows)
            }
        }
        return true
    }

    // MARK: - Blocks, for decoding on several cores

    /// The next block of whole records (about `target` bytes), or `nil` at the end.
    /// Blocks follow the header and whatever ``nextChunk(into:)`` already read.
    func takeBlock(target: Int) throws -> ByteBlock? { try reader.takeBlock(target: target) }

    /// Gives back a block that has been merged and that nothing else holds.
    func recycle(_ block: ByteBlock) { reader.recycle(block) }

    /// Lines of the input before the first block.
    var linesBeforeBlocks: Int { reader.linesConsumed }

    /// A decoder for a worker: the reader's knowledge, frozen, with nothing counted yet.
    func workerDecoder(frozen: Bool) -> RowDecoder {
        var copy = decoder
        copy.startBlock(frozen: frozen)
        return copy
    }

    /// Whether blocks can be decoded out of order (the classes are settled).
    var labelsSettled: Bool { decoder.labels.isSettled }

    /// Takes in what a decoder that read the input's first rows in order learned of the labels, and nothing else.
    func adoptLabels(of block: RowDecoder) { decoder.adoptLabels(of: block) }

    /// Takes in what a block's decoder learned and counted (its lines are
    /// absolute). Throws when the block's new segments take the input past
    /// its segment cap (checked in input order, so the same row is named for
    /// any number of threads).
    func absorb(_ block: RowDecoder, records: Int, adoptLabels: Bool) throws {
        try decoder.absorb(block, adoptLabels: adoptLabels)
        recordsSeen += records
    }

    /// Caps the segments so that their state, `bytesEach` per segment, fits
    /// ``ReadOptions/segmentStateBudget``; returns the cap.
    @discardableResult
    func boundSegments(bytesEach: Int) -> Int {
        decoder.segmentBytes = Swift.max(1, bytesEach)
        decoder.segmentCap = Swift.max(1, Swift.min(options.segmentLimit, options.segmentStateBudget / decoder.segmentBytes))
        return decoder.segmentCap
    }

    /// Provenance for the reports, once the input is read.
    public func summary() -> InputSummary {
        InputSummary(
            source: location.displayName, format: format, rows: rows, skipped: skipped,
            classes: classNames, shape: shape,
            positiveClassReason: shape.task == .binary ? decoder.labels.positiveReason : nil,
            weighted: roles.weight != nil,
            labelColumn: roles.label.map { header[$0] } ?? InputSummary.targetArgmaxLabel, scoreColumns: roles.scores.map { header[$0] },
            weightColumn: roles.weight.map { header[$0] }, idColumn: roles.id.map { header[$0] },
            groupColumn: roles.group.map { header[$0] }, targetColumns: roles.targets.map { header[$0] },
            labelsFromTargets: roles.label == nil)
    }

    /// Throws when no row could be audited.
    public func requireRows() throws {
        guard rows == 0 else { return }
        let name = location.displayName
        if recordsSeen == 0 {
            throw InputError(.data, file: name, reason: "the file has a header but no data rows")
        }
        throw InputError(.data, file: name, reason: "no valid rows: all \(skipped.total) data rows were skipped as invalid")
    }

}

/// A label spelling already resolved, and where its bytes are.
struct LabelCacheEntry: Sendable {
    let start: Int
    let length: Int
    let index: Int
    /// The spelling's bytes in one word when it has at most eight (see ``pack(_:)``).
    let packed: UInt64

    init(start: Int, bytes: String.UTF8View, index: Int) {
        self.start = start
        length = bytes.count
        self.index = index
        packed = Array(bytes).withUnsafeBufferPointer { Self.pack($0) }
    }

    /// Up to the first eight bytes in one word, the first in the lowest byte.
    @inline(__always)
    static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for b in bytes.prefix(8) {
            word |= UInt64(b) << shift
            shift += 8
        }
        return word
    }
}

/// Thrown by a frozen decoder for a label that must be resolved in input order.
struct NeedsOrder: Error {}

/// Checks one record and keeps it, or reports why it cannot: the per-row half
/// of ``PredictionReader``, a value so that each worker can have a copy.
struct RowDecoder: Sendable {
    let file: String
    let header: [String]
    let roles: ColumnRoles
    let options: ReadOptions
    var labels: LabelResolver
    var skipped: SkippedRows
    var rows = 0
    var segmentNames: [String] = []
    /// The line where each segment first appears.
    private var segmentLines: [Int] = []
    private var segmentIndex: [String: Int32] = [:]
    /// The most segments the input may have (``PredictionReader/boundSegments(bytesEach:)``).
    var segmentCap: Int
    /// The bytes of one segment's state, when ``segmentCap`` was set from them.
    var segmentBytes = 0
    /// Resolved label spellings: their bytes side by side in `labelCacheBytes`.
    private(set) var labelCache: [LabelCacheEntry] = []
    private(set) var labelCacheBytes: [UInt8] = []

    /// A buffer for the rows this decoder keeps, `capacity` rows at a time.
    func makeRows(capacity: Int, shape: ClassificationShape) -> DecodedRows {
        DecodedRows(scoresPerRow: shape.scoresPerRow, parsedPerRow: roles.scores.count, capacity: capacity,
                    targetsPerRow: shape.hasSoftTargets ? shape.classCount : 0)
    }

    /// The column plan of `DelimitedReader.decodePlainRows`,
    /// or `nil` when these rows need the record-by-record path: multi-label,
    /// soft targets, an id or group column, no label column, or a delimiter the
    /// decimal grammar or the trimming of spaces could take (only comma, tab,
    /// semicolon and pipe qualify).
    func plainRowPlan(delimiter: UInt8) -> PlainRowPlan? {
        guard roles.multiLabel == nil, roles.targets.isEmpty, roles.id == nil, roles.group == nil,
              let label = roles.label, [0x2C, 0x09, 0x3B, 0x7C].contains(delimiter) else { return nil }
        var actions = [Int](repeating: PlainRowPlan.ignored, count: header.count)
        var roleColumns = [label] + roles.scores
        actions[label] = PlainRowPlan.label
        for (slot, column) in roles.scores.enumerated() { actions[column] = slot }
        if let weight = roles.weight {
            actions[weight] = PlainRowPlan.weight
            roleColumns.append(weight)
        }
        // A column in two roles is left to the record path.
        guard Set(roleColumns).count == roleColumns.count else { return nil }
        return PlainRowPlan(actions: actions, scoreCount: roles.scores.count, isProbability: roles.scoreKind == .probabilities,
                            sumTolerance: options.sumTolerance, positiveColumn: roles.positiveColumn,
                            recordLimit: options.recordLimit)
    }

    /// Counts rows kept by `DelimitedReader.decodePlainRows`.
    mutating func countPlainRows(_ count: Int) { rows += count }

    /// Readies a copy for one block: nothing counted, segment indices of its own.
    mutating func startBlock(frozen: Bool) {
        skipped = SkippedRows(exampleLimit: options.skippedExampleLimit)
        rows = 0
        segmentNames = []
        segmentLines = []
        segmentIndex = [:]
        emptySegmentLines = (nil, nil)
        labels.frozen = frozen
    }

    /// Takes in what a decoder that read rows in order learned of the labels, and nothing else.
    mutating func adoptLabels(of block: RowDecoder) {
        labels = block.labels
        labels.frozen = false
        labelCache = block.labelCache
        labelCacheBytes = block.labelCacheBytes
    }

    /// Takes in a block decoder's counts and, when it decoded in order, what it learned of the labels.
    mutating func absorb(_ block: RowDecoder, adoptLabels: Bool) throws {
        if let line = block.emptySegmentLines.empty { try noteEmptySegment(literal: false, line: line) }
        if let line = block.emptySegmentLines.literal { try noteEmptySegment(literal: true, line: line) }
        for (name, line) in zip(block.segmentNames, block.segmentLines) where segmentIndex[name] == nil {
            try addSegment(name, line: line)
        }
        skipped.merge(block.skipped)
        rows += block.rows
        if adoptLabels { self.adoptLabels(of: block) }
    }

    init(file: String, header: [String], roles: ColumnRoles, options: ReadOptions) {
        self.file = file
        self.header = header
        self.roles = roles
        self.options = options
        labels = LabelResolver(roles: roles, options: options)
        skipped = SkippedRows(exampleLimit: options.skippedExampleLimit)
        segmentCap = options.segmentLimit
    }

    /// The segment of rows whose group value is empty.
    static let emptySegment = "(empty)"
    /// The first lines with an empty group value and with the value `(empty)`
    /// itself: both would be the
    /// segment ``emptySegment``, so an input may hold only one of them.
    private var emptySegmentLines: (empty: Int?, literal: Int?) = (nil, nil)

    /// Notes an empty group value (or the literal `(empty)`), and throws once
    /// both have appeared, naming the later line, rather than merge the two.
    private mutating func noteEmptySegment(literal: Bool, line: Int) throws {
        if literal { emptySegmentLines.literal = emptySegmentLines.literal ?? line } else { emptySegmentLines.empty = emptySegmentLines.empty ?? line }
        guard let empty = emptySegmentLines.empty, let named = emptySegmentLines.literal else { return }
        let column = roles.group.map { header[$0] }
        throw InputError(.data, file: file, line: Swift.max(empty, named), column: column, value: Swift.max(empty, named) == named ? Self.emptySegment : "",
                         reason: "the group column holds both empty values and the value \(InputError.quoted(Self.emptySegment)), which is what calib names the segment of empty values: the two would merge",
                         hint: "rename the value \(InputError.quoted(Self.emptySegment)) in the group column, or fill the empty values")
    }

    /// Bytes in whole MiB, KiB or bytes, as `256 MiB`.
    static func byteText(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// Gives a new segment the next index, or throws when that would pass ``segmentCap``.
    @discardableResult
    private mutating func addSegment(_ name: String, line: Int) throws -> Int32 {
        guard segmentNames.count < segmentCap else {
            let column = roles.group.map { header[$0] }
            let reason = segmentCap < options.segmentLimit
                ? "would be segment number \(segmentCap + 1): \(segmentCap) segments already take the \(Self.byteText(options.segmentStateBudget)) the segments' sums may use (\(Self.byteText(segmentBytes)) each, for \(labels.classNames.count) classes)"
                : "would be segment number \(segmentCap + 1); a group column may have at most \(segmentCap) distinct values"
            throw InputError(.data, file: file, line: line, column: column, value: name, reason: reason,
                             hint: "group by a column with fewer distinct values, or audit subsets of the file separately")
        }
        let index = Int32(segmentNames.count)
        segmentIndex[name] = index
        segmentNames.append(name)
        segmentLines.append(line)
        return index
    }


    mutating func reject(_ problem: RowProblem, line: Int, column: Int?, value: String?) throws {
        var hint = "pass --on-invalid skip to skip invalid rows; every report then counts them by reason"
        if case .probabilityOutOfRange = problem { hint = "if the scores are logits, pass --logits; to skip such rows, pass --on-invalid skip" }
        if case let .unknownLabel(classes) = problem {
            if let value, classes.contains(where: { LabelResolver.plainIndex($0) != nil }),
               case .value = Array(value.utf8).withUnsafeBufferPointer({ DecimalParser.parse($0) }) {
                // A number near an integer class (`1.0`, `1e0`, `01`): labels are never rounded.
                hint = "a label must be spelled as its class ('1', not '1.0' or '01'); to skip such rows, pass --on-invalid skip"
            } else if roles.classNames == nil || options.classes == nil {
                hint = "name the classes with --classes, or the positive class with --positive; to skip such rows, pass --on-invalid skip"
            }
        }
        let error = InputError(file: file, line: line, column: column.map { header[$0] }, value: value, problem: problem, hint: hint)
        guard options.onInvalid == .skip else { throw error }
        skipped.record(problem, error: error)
    }

    /// Checks one record and keeps it in `kept`, or reports why it cannot.
    mutating func decode(_ record: borrowing Record, into kept: DecodedRows) throws {
        if let columns = roles.multiLabel { return try decodeMultiLabel(record, columns, into: kept) }
        let rowScores = kept.nextScores
        let line = record.line
        guard record.fieldCount == header.count else {
            return try reject(.fieldCount(expected: header.count, found: record.fieldCount), line: line, column: nil, value: nil)
        }
        if let label = roles.label, record.isEmpty(label) {
            return try reject(.emptyLabel, line: line, column: label, value: "")
        }
        // Scores.
        let isProbability = roles.scoreKind == .probabilities
        let scoreColumns = roles.scores
        let scoreCount = scoreColumns.count
        var sum = 0.0
        for slot in 0..<scoreCount {
            let column = scoreColumns[slot]
            let outcome = record.withField(column) { DecimalParser.parse($0) }
            guard case let .value(v) = outcome else {
                if record.containsNUL(column) { return try reject(.nulByte, line: line, column: column, value: record.string(column)) }
                switch outcome {
                case .empty: return try reject(.missingValue, line: line, column: column, value: record.string(column))
                case .notFinite: return try reject(.notFinite, line: line, column: column, value: record.string(column))
                default: return try reject(.notANumber, line: line, column: column, value: record.string(column))
                }
            }
            if isProbability && !(v >= 0 && v <= 1) {
                return try reject(.probabilityOutOfRange, line: line, column: column, value: record.string(column))
            }
            rowScores[slot] = v
            sum += v
        }
        if scoreCount > 1 && isProbability && !(abs(sum - 1) <= options.sumTolerance) {
            let shown = roles.scores.map { header[$0] }.joined(separator: ",")
            return try reject(.probabilitySum(sum: sum, tolerance: options.sumTolerance), line: line, column: nil, value: shown)
        }
        // Weight.
        var weight = 1.0
        if let column = roles.weight {
            let outcome = record.withField(column) { DecimalParser.parse($0) }
            if case .notANumber = outcome, record.containsNUL(column) {
                return try reject(.nulByte, line: line, column: column, value: record.string(column))
            }
            switch outcome {
            case let .value(v):
                guard v >= 0 else { return try reject(.negativeWeight, line: line, column: column, value: record.string(column)) }
                weight = v
            case .empty: return try reject(.missingValue, line: line, column: column, value: record.string(column))
            case .notANumber: return try reject(.notANumber, line: line, column: column, value: record.string(column))
            case .notFinite: return try reject(.negativeWeight, line: line, column: column, value: record.string(column))
            }
        }
        // Soft targets (SPEC section 13), validated like probabilities, kept in class order.
        var targetArgmax = 0
        if !roles.targets.isEmpty {
            let t = kept.nextTargets
            let single = roles.targets.count == 1
            var targetSum = 0.0
            for (slot, column) in roles.targets.enumerated() {
                let outcome = record.withField(column) { DecimalParser.parse($0) }
                guard case let .value(v) = outcome else {
                    if record.containsNUL(column) { return try reject(.nulByte, line: line, column: column, value: record.string(column)) }
                    switch outcome {
                    case .empty: return try reject(.missingValue, line: line, column: column, value: record.string(column))
                    case .notFinite: return try reject(.notFinite, line: line, column: column, value: record.string(column))
                    default: return try reject(.notANumber, line: line, column: column, value: record.string(column))
                    }
                }
                guard v >= 0 && v <= 1 else { return try reject(.targetOutOfRange, line: line, column: column, value: record.string(column)) }
                // A binary task's single target column is the positive class's.
                if single { t[0] = 1 - v; t[1] = v } else { t[slot] = v }
                targetSum += v
            }
            if !single && !(abs(targetSum - 1) <= options.sumTolerance) {
                let shown = roles.targets.map { header[$0] }.joined(separator: ",")
                return try reject(.targetSum(sum: targetSum, tolerance: options.sumTolerance), line: line, column: nil, value: shown)
            }
            // The hard label when the file has none: argmax t, ties to the lowest index.
            var top = t[0]
            for c in 1..<kept.targetsPerRow where t[c] > top { top = t[c]; targetArgmax = c }
        }
        guard let labelColumn = roles.label else {
            return try commit(classIndex: targetArgmax, weight: weight, record: record, rowScores: rowScores, into: kept)
        }
        // Label, last: a binary file's classes are learned only from rows that are kept.
        // A spelling once resolved always resolves the same way, so it is cached by its bytes.
        var classIndex = -1
        record.withField(labelColumn) { field in
            let packed = LabelCacheEntry.pack(field)
            labelCache.withUnsafeBufferPointer { cache in
                labelCacheBytes.withUnsafeBufferPointer { bytes in
                    for entry in cache where entry.length == field.count {
                        // Spellings of up to eight bytes compare as one word.
                        if field.count <= 8 ? entry.packed == packed : memcmp(bytes.baseAddress! + entry.start, field.baseAddress!, field.count) == 0 {
                            classIndex = entry.index
                            break
                        }
                    }
                }
            }
        }
        if classIndex < 0 {
            // Never cached: a spelling with NUL is rejected before it is resolved.
            if record.containsNUL(labelColumn) {
                return try reject(.nulByte, line: line, column: labelColumn, value: record.string(labelColumn))
            }
            guard let labelText = record.validString(labelColumn) else {
                return try reject(.invalidUTF8, line: line, column: labelColumn, value: record.string(labelColumn))
            }
            switch try labels.resolve(labelText, file: file, line: line) {
            case let .index(i):
                classIndex = i
                if labelCache.count < 256 {
                    labelCache.append(LabelCacheEntry(start: labelCacheBytes.count, bytes: labelText.utf8, index: i))
                    labelCacheBytes.append(contentsOf: labelText.utf8)
                }
            case let .problem(problem): return try reject(problem, line: line, column: labelColumn, value: labelText)
            case .needsOrder: throw NeedsOrder()
            }
        }
        try commit(classIndex: classIndex, weight: weight, record: record, rowScores: rowScores, into: kept)
    }

    /// Reads the row's id and group and keeps it with its class index.
    private mutating func commit(classIndex: Int, weight: Double, record: borrowing Record, rowScores: UnsafeMutablePointer<Double>, into kept: DecodedRows) throws {
        let line = record.line
        let isProbability = roles.scoreKind == .probabilities
        var id: String?
        if let column = roles.id {
            guard let text = record.textWithoutNUL(column) else {
                return try reject(record.containsNUL(column) ? .nulByte : .invalidUTF8, line: line, column: column, value: record.string(column))
            }
            id = text
        }
        var group: Int32?
        if let column = roles.group {
            guard let text = record.textWithoutNUL(column) else {
                return try reject(record.containsNUL(column) ? .nulByte : .invalidUTF8, line: line, column: column, value: record.string(column))
            }
            if text.isEmpty || text == Self.emptySegment { try noteEmptySegment(literal: !text.isEmpty, line: line) }
            let name = text.isEmpty ? Self.emptySegment : text
            group = try segmentIndex[name] ?? addSegment(name, line: line)
        }
        if let p = roles.positiveColumn {
            // Two per-class columns read as one binary score.
            rowScores[0] = isProbability ? rowScores[p] : rowScores[p] - rowScores[1 - p]
        }
        kept.commit(label: classIndex, weight: weight, line: line, id: id, group: group)
        rows += 1
    }
}

/// Where the rows of an audit came from and how they were read, for the reports.
public struct InputSummary: Sendable, Hashable {
    public let source: String
    public let format: ReadOptions.Format
    /// Valid rows audited.
    public let rows: Int
    public let skipped: SkippedRows
    /// Class names in index order (binary: `[negative, positive]`).
    public let classes: [String]
    public let shape: ClassificationShape
    /// How the positive class was chosen (binary tasks).
    public let positiveClassReason: String?
    public let weighted: Bool
    public let labelColumn: String
    public let scoreColumns: [String]
    public let weightColumn: String?
    public let idColumn: String?
    public let groupColumn: String?
    /// The soft-target columns in class order (SPEC section 13); empty without soft targets.
    public var targetColumns: [String] = []
    /// Whether the file has no label column and the hard label of every row
    /// is the argmax of its soft targets (ties to the lowest class index).
    public var labelsFromTargets = false

    /// What ``labelColumn`` says when the hard labels come from the targets.
    public static let targetArgmaxLabel = "(argmax of the targets)"
    /// The sentence every report prints when the hard labels come from the targets.
    public static let targetArgmaxNote = "no label column: hard metrics use argmax of the targets (ties to the lowest class index)"

    public var positiveClass: String? { shape.task == .binary ? classes[1] : nil }
}
