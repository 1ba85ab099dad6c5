#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CalibCore

/// Rewrites a table's score columns and keeps every other byte (`calib apply`):
/// CSV/TSV (any delimiter, quoted fields, CRLF or LF, a UTF-8 byte-order
/// mark) or JSON Lines, from a file, gzip or standard input, streamed in
/// batches of whole records rewritten on `--threads` threads, in buffers of
/// about 20 MiB a thread (more only for a record longer than a batch),
/// whatever the input's size.
///
/// What changes: in each record, only the bytes of the score fields (for
/// JSON Lines the score values); the header, other fields, quoting, spacing,
/// key order, line endings and blank lines are copied as they are. A new score
/// is written in Swift's shortest round-trip form (`0.1`, `1e-05`: reading it
/// gives the same Double), unquoted in CSV (quoted only if it holds the
/// delimiter), as a JSON number (a JSON string when the input's value was a
/// string); a score whose value does not change keeps its original bytes, so
/// an identity map reproduces the input byte for byte.
///
/// Score columns: `--prob COL,…` or detected by name as the readers do
/// (`prob`, `score`, …, `logit`; `p_<class>`, `prob_<class>`, `proba_<class>`,
/// `logit_<class>`), matched to the calibrator's classes: one binary column,
/// two per-class columns of a binary task (both rewritten: the negative is
/// `1 − s'`; on logits the positive becomes `z_neg + z'`), or one column per
/// class. A column naming a class the calibrator does not know, or a class
/// without a column, is a usage error (exit 64). Labels are not needed and not read.
/// A record with the wrong number of fields, or a score that is not a
/// number, not finite or (probabilities) outside [0, 1], stops the run (exit 65).
public final class RecordRewriter {
    public let format: ReadOptions.Format
    /// The header's column names (JSON Lines: the first object's keys).
    public private(set) var header: [String] = []
    /// The score columns, in the calibrator's class order (binary: the positive score's column, or the two per-class columns `[negative, positive]`).
    public private(set) var scoreColumns: [String] = []
    public private(set) var scoreKind: ScoreKind = .probabilities
    /// Rows rewritten so far.
    public private(set) var rows = 0
    /// With `extras`: the label column, if the header has one (`--label`, or
    /// `label`, `y`, … as the readers detect it), and the weight column.
    public private(set) var labelColumn: String?
    public private(set) var weightColumn: String?
    private var labelIndex: Int?
    private var weightIndex: Int?

    let name: String
    private(set) var delimiter: UInt8 = 0x2C
    /// Header index of each score column (class order).
    private(set) var columns: [Int] = []
    private(set) var twoColumnBinary = false
    let recordLimit: Int
    /// Threads of `rewrite` (`--threads`), and the size of its batches' pieces (half `ReadOptions.blockBytes`).
    let threads: Int
    let blockBytes: Int
    private let source: any ByteSource
    private var data: UnsafeMutableBufferPointer<UInt8>
    private var start = 0
    private var end = 0
    private var atEnd = false
    private var line = 1
    private var headerRecord: Range<Int>?

    deinit { data.deallocate() }

    /// Opens the input and settles its score columns against `classes` (the
    /// calibrator's, binary `[negative, positive]`). With `extras`, also finds
    /// the label column (optional) and the weight column (`--weight`,
    /// `weight`, `sample_weight`), whose values ``scan(_:)`` hands out.
    public init(location: InputLocation, options: ReadOptions, classes: [String], extras: Bool = false) throws {
        name = location.displayName
        format = options.format ?? PredictionReader.format(of: location)
        recordLimit = options.recordLimit
        source = try location.open()
        threads = Swift.max(1, options.threads)
        blockBytes = Swift.max(2, options.blockBytes)
        // A batch: four pieces a thread (within 256 MiB, however large the blocks asked for).
        data = .allocate(capacity: Swift.max(1 << 20, Swift.min(4 * threads * (blockBytes / 2), 1 << 28)))
        // The first record: CSV's header, JSON Lines' first object.
        try fill(minimum: 4)
        try TextEncoding.check(UnsafeBufferPointer(rebasing: data[0..<end]), name: name)
        var bom = 0
        if end >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF { bom = 3 }
        switch format {
        case .csv, .tsv:
            guard let recordEnd = try peekRecordEnd(from: 0, quoted: true) else {
                throw InputError(.data, file: name, reason: "the file is empty; a header row is required")
            }
            delimiter = PredictionReader.givenDelimiter(options, location: location)
                ?? DelimitedReader.sniffDelimiter(UnsafeBufferPointer(rebasing: data[bom..<recordEnd]))
            var fields: [Range<Int>] = []
            let body = Self.trimmedTerminator(data, bom..<recordEnd)
            guard Self.split(data, body, delimiter: delimiter, into: &fields) else {
                throw InputError(.data, file: name, line: 1, reason: "the header is not a valid CSV record (a quote is not closed or is followed by other text)")
            }
            header = fields.map { String(decoding: Self.unquoted(data, $0), as: UTF8.self) }
            headerRecord = 0..<recordEnd
        case .jsonl:
            delimiter = 0
            var first = bom
            while true {
                guard let recordEnd = try peekRecordEnd(from: first, quoted: false) else {
                    throw InputError(.data, file: name, reason: "the file holds no JSON object")
                }
                if Self.isBlank(data, first..<recordEnd) { first = recordEnd; continue }
                var members: [(key: String, value: Range<Int>, string: Bool)] = []
                guard Self.members(data, Self.trimmedTerminator(data, first..<recordEnd), into: &members) else {
                    throw InputError(.data, file: name, line: 1 + DelimitedReader.lineBreaks(UnsafeBufferPointer(rebasing: data[0..<first])), reason: "not a JSON object on one line")
                }
                header = members.map(\.key)
                break
            }
        }
        // Score columns against the classes.
        let resolved = try Self.scoreColumns(header: header, options: options, classes: classes, file: name)
        columns = resolved.columns
        if extras {
            let lowered = header.map { $0.lowercased() }
            func column(_ given: String?, _ names: [String], _ flag: String) throws -> Int? {
                if let given {
                    guard let i = header.firstIndex(of: given) ?? lowered.firstIndex(of: given.lowercased()) else {
                        throw InputError(.data, file: name, line: 1, reason: "no column \(InputError.name(given)) (given by \(flag)); the header's columns: \(InputError.list(header))")
                    }
                    return i
                }
                let hits = lowered.indices.filter { names.contains(lowered[$0]) && !resolved.columns.contains($0) }
                if hits.count > 1 { throw InputError(.usage, file: name, reason: "several columns could be the \(flag == "--label" ? "label" : "weight") (\(InputError.list(hits.map { header[$0] }))); choose one with \(flag) COL") }
                return hits.first
            }
            labelIndex = try column(options.label, ColumnRoles.labelNames, "--label")
            weightIndex = try column(options.weight, ColumnRoles.weightNames, "--weight")
            labelColumn = labelIndex.map { header[$0] }
            weightColumn = weightIndex.map { header[$0] }
        }
        twoColumnBinary = classes.count == 2 && resolved.columns.count == 2
        scoreColumns = resolved.columns.map { header[$0] }
        scoreKind = options.logits || scoreColumns.allSatisfy({ $0.lowercased().hasPrefix("logit") }) ? .logits : .probabilities
    }

    // MARK: - Columns

    static func scoreColumns(header: [String], options: ReadOptions, classes: [String], file: String) throws -> (columns: [Int], names: [String]) {
        let lowered = header.map { $0.lowercased() }
        func usage(_ reason: String) -> InputError { InputError(.usage, file: file, reason: reason) }
        func find(_ column: String) throws -> Int {
            if let exact = header.firstIndex(of: column) { return exact }
            let folded = lowered.indices.filter { lowered[$0] == column.lowercased() }
            guard folded.count == 1 else {
                throw InputError(.data, file: file, line: 1, reason: "no column \(InputError.name(column)) (given by --prob); the header's columns: \(InputError.list(header))")
            }
            return folded[0]
        }
        var found: [Int]
        if let given = options.scoreColumns {
            found = try given.map(find)
        } else {
            var families: [[Int]] = []
            for prefix in ColumnRoles.classPrefixes {
                let family = lowered.indices.filter { lowered[$0].hasPrefix(prefix) && lowered[$0].count > prefix.count }
                if !family.isEmpty { families.append(family) }
            }
            let single = lowered.indices.filter { (ColumnRoles.binaryScoreNames + ["logit"]).contains(lowered[$0]) }
            if families.count + (single.isEmpty ? 0 : 1) > 1 || single.count > 1 {
                throw usage("cannot tell which columns hold the scores (\(InputError.list((families.flatMap { $0 } + single).map { header[$0] }))); name them with --prob COL[,COL…]")
            }
            guard let columns = families.first ?? (single.isEmpty ? nil : single) else {
                throw InputError(.data, file: file, line: 1, reason: "no score column (none of \(InputError.list(ColumnRoles.binaryScoreNames + ["logit"], limit: 20)), nor per-class columns p_<class>, prob_<class>, proba_<class> or logit_<class>); the header's columns: \(InputError.list(header))",
                                 hint: "name the score column, or one per class, with --prob COL[,COL…]")
            }
            found = columns
        }
        let known = InputError.list(classes)
        if found.count == 1 {
            guard classes.count == 2 else {
                throw usage("one score column (\(InputError.name(header[found[0]]))), but the calibrator has \(classes.count) classes (\(known)); give one column per class")
            }
            if let named = ColumnRoles.prefixedClassName(header[found[0]]), named != classes[1] {
                throw usage("the score column \(InputError.name(header[found[0]])) is for the class \(InputError.name(named)), but the calibrator's positive class is \(InputError.name(classes[1])) (classes \(known))")
            }
            return (found, [classes[1]])
        }
        let names = options.classes ?? found.map { ColumnRoles.className(fromColumn: header[$0]) }
        guard names.count == found.count else {
            throw usage("--classes lists \(names.count) classes for \(found.count) score columns")
        }
        let unknown = names.filter { !classes.contains($0) }
        if !unknown.isEmpty || Set(names).count != classes.count || names.count != classes.count {
            let missing = classes.filter { !names.contains($0) }
            var parts: [String] = []
            if !unknown.isEmpty { parts.append("the file has score columns for \(InputError.list(unknown)), which the calibrator does not know") }
            if !missing.isEmpty { parts.append("no score column for \(InputError.list(missing))") }
            throw usage("the score columns do not match the calibrator's classes (\(known)): " + (parts.isEmpty ? "a class has two columns" : parts.joined(separator: "; ")))
        }
        let ordered = classes.map { c in found[names.firstIndex(of: c)!] }
        return (ordered, classes)
    }

    // MARK: - Rewriting

    /// Rewrites every record after the header: `transform` gets one row's
    /// scores in class order (binary: the positive score alone, of `scoreKind`)
    /// and overwrites them; `write` receives the output in pieces, in order.
    /// Returns the number of rows rewritten.
    ///
    /// The records are rewritten in batches of whole records on
    /// `options.threads` threads (pieces of about half `options.blockBytes`,
    /// four a thread to a batch), each piece into its own output buffer, and
    /// written in input order while the next batch is rewritten: the output
    /// is the same bytes for any number of threads, and memory stays at a few
    /// batches. The first bad record in input order stops the run, as in one pass.
    public func rewrite(_ transform: @escaping @Sendable (UnsafeMutableBufferPointer<Double>) -> Void,
                        write: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try run(transform, extras: nil, threads: threads, write: write)
    }

    /// Reads every record without writing: `body` gets each row's scores (as
    /// ``rewrite(_:write:)``'s transform), its label text (nil without a label
    /// column), its weight (1 without a weight column) and its 1-based line.
    public func scan(_ body: (UnsafeBufferPointer<Double>, String?, Double, Int) -> Void) throws -> Int {
        var current: (String?, Double, Int) = (nil, 1, 0)
        return try withoutActuallyEscaping(body) { body in
            try withoutActuallyEscaping({ (s: UnsafeMutableBufferPointer<Double>) in body(UnsafeBufferPointer(s), current.0, current.1, current.2) }) { transform in
                try withoutActuallyEscaping({ (label: String?, weight: Double, line: Int) in current = (label, weight, line) }) { extras in
                    // One thread: the pieces run in order on this thread, so `current` is the row's.
                    try run(transform, extras: extras, threads: 1, write: { _ in })
                }
            }
        }
    }

    /// What stays the same for every record of a run (a value the pieces share).
    struct Layout: @unchecked Sendable {
        let name: String
        let format: ReadOptions.Format
        let delimiter: UInt8
        let header: [String]
        let columns: [Int]
        let scoreColumns: [String]
        let scoreKind: ScoreKind
        let twoColumnBinary: Bool
        let labelIndex: Int?
        let weightIndex: Int?
        let transform: (UnsafeMutableBufferPointer<Double>) -> Void
        let extras: ((String?, Double, Int) -> Void)?
        /// The longest record read (`--record-limit`'s bytes, its line terminator aside), whatever the buffers' sizes.
        let recordLimit: Int
    }

    /// One piece's outcome: rows rewritten, line breaks, the error that stopped it.
    struct PieceOutcome {
        var rows = 0
        var lines = 0
        var error: InputError?
    }

    private func run(_ transform: @escaping (UnsafeMutableBufferPointer<Double>) -> Void, extras: ((String?, Double, Int) -> Void)?,
                     threads: Int, write: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let layout = Layout(name: name, format: format, delimiter: delimiter, header: header, columns: columns, scoreColumns: scoreColumns,
                            scoreKind: scoreKind, twoColumnBinary: twoColumnBinary, labelIndex: labelIndex, weightIndex: weightIndex,
                            transform: transform, extras: extras, recordLimit: recordLimit)
        var position = 0
        if let headerRecord {
            let bytes = UnsafeBufferPointer(rebasing: data[headerRecord])
            try write(UnsafeRawBufferPointer(bytes))
            line += DelimitedReader.lineBreaks(bytes)
            position = headerRecord.upperBound
        }
        start = position
        // Two sets of output buffers: one written while the other is filled.
        let slots = Swift.max(1, 4 * threads)
        let outputs = (0..<2).map { _ in (0..<slots).map { _ in ByteBuffer() } }
        defer { for set in outputs { for b in set { b.free() } } }
        var pending: (set: Int, count: Int)?
        var current = 0
        let pieceBytes = Swift.max(1, blockBytes / 2)
        try withoutActuallyEscaping(write) { write in
            let writer = UncheckedBox(write)
            // With `extras` (a serial scan) a batch is one piece: only then is a piece's first line known
            // before it starts, and `extras` is handed each record's true line.
            while let bounds = try nextBatch(pieceBytes: pieceBytes, pieces: extras == nil ? slots : 1) {
                let pieces = bounds.count - 1
                let outcomes = TaskSlots<PieceOutcome>(count: pieces)
                let writeError = ErrorSlot()
                let data = UncheckedBox(self.data)
                let out = outputs[current]
                let previous = pending.map { p in Array(outputs[p.set][0..<p.count]) } ?? []
                let firstLine = line
                let lead = previous.isEmpty ? 0 : 1
                runConcurrently(pieces + lead, threads: threads) { task in
                    if task < lead {
                        do { for b in previous { try writer.value(b.bytes) } } catch { writeError.error = error }
                        return
                    }
                    let p = task - lead
                    out[p].count = 0
                    // The batch's first line is the first piece's; with `extras` there is only that piece.
                    outcomes.set(p, Self.rewritePiece(data.value, bounds[p]..<bounds[p + 1], firstLine: firstLine, layout: layout, into: out[p]))
                }
                if let error = writeError.error { throw error }
                pending = nil
                var lines = 0
                for p in 0..<pieces {
                    let o = outcomes.take(p)
                    if let error = o.error {
                        for b in out[0..<p] { try write(b.bytes) }
                        throw error.movedBy(lines)
                    }
                    rows += o.rows
                    lines += o.lines
                }
                line += lines
                start = bounds[pieces]
                pending = (current, pieces)
                current = 1 - current
            }
            if let pending {
                for b in outputs[pending.set][0..<pending.count] { try write(b.bytes) }
            }
        }
        return rows
    }

    /// Rewrites the whole records of `data[range]` into `out`. Lines in the
    /// outcome's error count from `firstLine` (the caller moves them by the
    /// lines of the batch's earlier pieces).
    static func rewritePiece(_ data: UnsafeMutableBufferPointer<UInt8>, _ range: Range<Int>, firstLine: Int, layout: Layout, into out: ByteBuffer) -> PieceOutcome {
        var outcome = PieceOutcome()
        let format = layout.format, delimiter = layout.delimiter, columns = layout.columns, scoreKind = layout.scoreKind
        let jsonl = format == .jsonl
        let base = data.baseAddress!
        // Quotes matter to where a CSV record ends only in a piece that has one.
        let quoted = !jsonl && !range.isEmpty && memchr(base + range.lowerBound, 0x22, range.count) != nil
        let twoColumnBinary = layout.twoColumnBinary
        let perRow = twoColumnBinary ? 1 : columns.count
        let headerCount = layout.header.count
        // Scratch for one record, allocated once a piece.
        let scores = UnsafeMutableBufferPointer<Double>.allocate(capacity: perRow)
        let parsed = UnsafeMutableBufferPointer<Double>.allocate(capacity: columns.count)
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: columns.count)
        let fields = UnsafeMutableBufferPointer<Range<Int>>.allocate(capacity: Swift.max(1, headerCount))
        let ranges = UnsafeMutableBufferPointer<(range: Range<Int>, string: Bool)>.allocate(capacity: columns.count)
        defer {
            scores.deallocate(); parsed.deallocate(); results.deallocate(); fields.deallocate(); ranges.deallocate()
        }
        scores.initialize(repeating: 0)
        parsed.initialize(repeating: 0)
        results.initialize(repeating: 0)
        var members: [(key: String, value: Range<Int>, string: Bool)] = []
        // CSV fields come in header order: the score columns' byte order is fixed.
        let csvOrder = columns.indices.sorted { columns[$0] < columns[$1] }
        var order = csvOrder
        let delimiterInNumbers = Array("0123456789.eE+-".utf8).contains(delimiter)
        var position = range.lowerBound
        // The line of the record at `position`, counted only when asked for (an error, or `extras`).
        var counted = (position: range.lowerBound, line: firstLine)
        func lineAt(_ p: Int) -> Int {
            counted.line += DelimitedReader.lineBreaks(UnsafeBufferPointer(rebasing: data[counted.position..<p]))
            counted.position = p
            return counted.line
        }
        do {
            while position < range.upperBound {
                // The record: up to and including its line feed (outside quotes in CSV), or to the piece's end.
                var recordEnd = range.upperBound
                var from = position
                var inQuotes = false
                while from < range.upperBound {
                    guard let lf = memchr(base + from, 0x0A, range.upperBound - from) else { break }
                    let i = UnsafeMutablePointer<UInt8>(lf.assumingMemoryBound(to: UInt8.self)) - base
                    if quoted {
                        var q = from
                        while q < i {
                            guard let hit = memchr(base + q, 0x22, i - q) else { break }
                            let j = UnsafeMutablePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                            inQuotes.toggle()
                            q = j + 1
                        }
                    }
                    if !inQuotes { recordEnd = i + 1; break }
                    from = i + 1
                }
                let record = position..<recordEnd
                position = recordEnd
                let body = Self.trimmedTerminator(data, record)
                if body.count > layout.recordLimit {
                    throw InputError.recordTooLong(file: layout.name, line: lineAt(record.lowerBound), limit: layout.recordLimit)
                }
                if Self.isBlank(data, body) {
                    out.append(base + record.lowerBound, record.count)
                    continue
                }
                // The score fields' raw ranges, in class order.
                if jsonl {
                    members.removeAll(keepingCapacity: true)
                    guard Self.members(data, body, into: &members) else {
                        throw InputError(.data, file: layout.name, line: lineAt(record.lowerBound), reason: "not a JSON object on one line")
                    }
                    for (c, key) in layout.scoreColumns.enumerated() {
                        var hit: (key: String, value: Range<Int>, string: Bool)?
                        for m in members where m.key == key {
                            guard hit == nil else {
                                throw InputError(.data, file: layout.name, line: lineAt(record.lowerBound), column: key, reason: "the key \(InputError.name(key)) is given twice")
                            }
                            hit = m
                        }
                        guard let hit else {
                            throw InputError(.data, file: layout.name, line: lineAt(record.lowerBound), column: key, reason: "the object has no \(InputError.name(key)) key")
                        }
                        ranges[c] = (hit.value, hit.string)
                    }
                } else {
                    var count = 0
                    guard Self.forEachField(data, body, delimiter: delimiter, { field in
                        if count < headerCount { fields[count] = field }
                        count += 1
                    }) else {
                        throw InputError(.data, file: layout.name, line: lineAt(record.lowerBound), reason: "a quoted field is not closed, or its closing quote is followed by other text")
                    }
                    guard count == headerCount else {
                        throw InputError(.data, file: layout.name, line: lineAt(record.lowerBound), reason: "the record has \(count) fields; the header has \(headerCount)")
                    }
                    for (c, column) in columns.enumerated() {
                        let field = fields[column]
                        ranges[c] = (field, !field.isEmpty && base[field.lowerBound] == 0x22)
                    }
                }
                for c in 0..<columns.count {
                    let r = ranges[c]
                    let value = r.string ? Self.inner(r.range) : r.range
                    let outcome = DecimalParser.parse(UnsafeBufferPointer(rebasing: data[value]))
                    guard case let .value(x) = outcome, scoreKind == .logits || (x >= 0 && x <= 1) else {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: data[value]), as: UTF8.self)
                        let reason: String
                        switch outcome {
                        case .empty: reason = "the score is missing"
                        case .notFinite: reason = "\(InputError.quoted(text)) is not finite"
                        case .notANumber: reason = "\(InputError.quoted(text)) is not a number"
                        case .value: reason = "\(InputError.quoted(text)) is not a probability in [0, 1]"
                        }
                        throw InputError(.data, file: layout.name, line: lineAt(record.lowerBound), column: layout.scoreColumns[c], reason: reason)
                    }
                    parsed[c] = x
                }
                if let extras = layout.extras {
                    let recordLine = lineAt(record.lowerBound)
                    var label: String?
                    var weight = 1.0
                    func text(_ column: Int) -> (String, Range<Int>)? {
                        if jsonl {
                            guard let m = members.first(where: { $0.key == layout.header[column] }) else { return nil }
                            let r = m.string ? Self.inner(m.value) : m.value
                            return (m.string ? (Self.unescape(Array(data[r])) ?? "") : String(decoding: UnsafeBufferPointer(rebasing: data[r]), as: UTF8.self), r)
                        }
                        let r = fields[column]
                        return (String(decoding: Self.unquoted(data, r), as: UTF8.self), r)
                    }
                    if let labelIndex = layout.labelIndex, let (value, _) = text(labelIndex), !value.isEmpty { label = value }
                    if let weightIndex = layout.weightIndex {
                        guard let (value, _) = text(weightIndex), let w = Double(value), w.isFinite, w >= 0 else {
                            throw InputError(.data, file: layout.name, line: recordLine, column: layout.header[weightIndex], reason: "the weight is not a finite number at least 0")
                        }
                        weight = w
                    }
                    extras(label, weight, recordLine)
                }
                if twoColumnBinary {
                    scores[0] = scoreKind == .logits ? parsed[1] - parsed[0] : parsed[1]
                } else {
                    for c in 0..<perRow { scores[c] = parsed[c] }
                }
                layout.transform(scores)
                if twoColumnBinary {
                    results[0] = scoreKind == .logits ? parsed[0] : 1 - scores[0]
                    results[1] = scoreKind == .logits ? parsed[0] + scores[0] : scores[0]
                } else {
                    for c in 0..<perRow { results[c] = scores[c] }
                }
                // Copy the record, replacing the score fields (in byte order) whose value changed.
                if jsonl && columns.count > 1 {
                    order = ranges.indices.sorted { ranges[$0].range.lowerBound < ranges[$1].range.lowerBound }
                }
                var copied = record.lowerBound
                for c in order where results[c].bitPattern != parsed[c].bitPattern {
                    let r = ranges[c].range
                    out.append(base + copied, r.lowerBound - copied)
                    // −0 is written 0; a delimiter that can occur in a number (a digit, . e E + −) needs quotes.
                    let mark = out.count
                    let stringValue = jsonl && ranges[c].string
                    if stringValue { out.append(0x22) }
                    out.appendShortest(results[c] == 0 ? 0 : results[c])
                    if stringValue {
                        out.append(0x22)
                    } else if !jsonl && delimiterInNumbers && out.contains(delimiter, from: mark) {
                        out.quote(from: mark)
                    }
                    copied = r.upperBound
                }
                out.append(base + copied, record.upperBound - copied)
                outcome.rows += 1
            }
        } catch let error as InputError {
            outcome.error = error
        } catch {
            outcome.error = InputError(.data, file: layout.name, reason: "\(error)")
        }
        if outcome.error == nil {
            outcome.lines = DelimitedReader.lineBreaks(UnsafeBufferPointer(rebasing: data[range]))
        }
        return outcome
    }

    /// The next batch of whole records from `start`, cut into pieces of about
    /// `pieceBytes` (at most `pieces`): the pieces' bounds, `nil` at the end
    /// of input. Reads more (moving the unread bytes to the front, growing the
    /// buffer for a record longer than it) until the buffer holds a whole record.
    private func nextBatch(pieceBytes: Int, pieces: Int) throws -> [Int]? {
        // Move the unread bytes to the front and read until the buffer is full.
        if !atEnd {
            compact()
            try fill(minimum: data.count)
        }
        while true {
            if start == end && atEnd { return nil }
            let bounds = cut(pieceBytes: pieceBytes, pieces: pieces)
            if bounds.count > 1 { return bounds }
            // No whole record in a full buffer: a longer one is read into a larger buffer.
            if end - start > recordLimit { throw InputError.recordTooLong(file: name, line: line, limit: recordLimit) }
            compact()
            try fill(minimum: end + 1)
        }
    }

    /// The bounds of the pieces of whole records in `data[start..<end]` (just
    /// `[start]` when it holds no whole record). A CSV record ends at a line
    /// feed outside double quotes: a batch without a quote is cut anywhere at
    /// a line feed; one with quotes is scanned from its start.
    private func cut(pieceBytes: Int, pieces: Int) -> [Int] {
        let base = data.baseAddress!
        func pointerIndex(_ p: UnsafeMutableRawPointer) -> Int { UnsafeMutablePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - base }
        var bounds = [start]
        let quotes = format != .jsonl && end > start && memchr(base + start, 0x22, end - start) != nil
        var last = start
        if !quotes {
            if atEnd {
                last = end
            } else {
                var i = end
                while i > start && base[i - 1] != 0x0A { i -= 1 }
                last = i
            }
            var p = start
            while bounds.count < pieces && p + pieceBytes < last {
                guard let lf = memchr(base + p + pieceBytes - 1, 0x0A, last - (p + pieceBytes - 1)) else { break }
                p = pointerIndex(lf) + 1
                if p >= last { break }
                bounds.append(p)
            }
        } else {
            var inQuotes = false
            var stopped = false
            var i = start
            while i < end {
                let b = base[i]
                if b == 0x22 {
                    inQuotes.toggle()
                } else if b == 0x0A && !inQuotes {
                    last = i + 1
                    if last - bounds[bounds.count - 1] >= pieceBytes {
                        bounds.append(last)
                        if bounds.count == pieces + 1 { stopped = true; break }
                    }
                }
                i += 1
            }
            if !stopped && atEnd { last = end }
        }
        if last > bounds[bounds.count - 1] { bounds.append(last) }
        return bounds
    }

    // MARK: - Buffer

    /// Moves `data[start..<end]` to the front.
    private func compact() {
        let unread = end - start
        if unread > 0 && start > 0 {
            UnsafeMutableRawPointer(data.baseAddress!).copyMemory(from: data.baseAddress! + start, byteCount: unread)
        }
        end = unread
        start = 0
    }

    /// Reads until `end ≥ minimum` or the input ends; grows the buffer when full.
    private func fill(minimum: Int) throws {
        while end < minimum && !atEnd {
            if end == data.count {
                if data.count > recordLimit + (1 << 20) {
                    throw InputError.recordTooLong(file: name, line: line, limit: recordLimit)
                }
                let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 2 * data.count)
                larger.baseAddress!.update(from: data.baseAddress!, count: end)
                data.deallocate()
                data = larger
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(data)[end...]))
            if n == 0 { atEnd = true } else { end += n }
        }
    }

    /// The end of the record starting at `from`, reading more without moving
    /// anything (for the first records, which are written later); `nil` at the end of input.
    private func peekRecordEnd(from: Int, quoted: Bool) throws -> Int? {
        var i = from
        var inQuotes = false
        while true {
            while i < end {
                let b = data[i]
                if quoted && b == 0x22 { inQuotes.toggle() } else if b == 0x0A && !inQuotes { return i + 1 }
                i += 1
            }
            if atEnd { return end > from ? end : nil }
            if i - from > recordLimit { throw InputError.recordTooLong(file: name, line: line, limit: recordLimit) }
            try fill(minimum: end + 1)
        }
    }

    // MARK: - Parsing

    static func trimmedTerminator(_ d: UnsafeMutableBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var e = r.upperBound
        if e > r.lowerBound && d[e - 1] == 0x0A { e -= 1 }
        if e > r.lowerBound && d[e - 1] == 0x0D { e -= 1 }
        return r.lowerBound..<e
    }

    static func isBlank(_ d: UnsafeMutableBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        r.allSatisfy { d[$0] == 0x20 || d[$0] == 0x09 || d[$0] == 0x0D || d[$0] == 0x0A }
    }

    /// A quoted field's inside (without its quotes).
    static func inner(_ r: Range<Int>) -> Range<Int> { (r.lowerBound + 1)..<Swift.max(r.lowerBound + 1, r.upperBound - 1) }

    /// A field's text: unquoted, with doubled quotes undone.
    static func unquoted(_ d: UnsafeMutableBufferPointer<UInt8>, _ r: Range<Int>) -> [UInt8] {
        guard !r.isEmpty, d[r.lowerBound] == 0x22 else { return Array(d[r]) }
        var out: [UInt8] = []
        var i = r.lowerBound + 1
        while i < r.upperBound - 1 {
            out.append(d[i])
            i += d[i] == 0x22 ? 2 : 1
        }
        return out
    }

    /// Splits a CSV record (without its line break) into raw field ranges
    /// (quoted fields with their quotes). False when a quote is not closed or
    /// is followed by anything but the delimiter.
    static func split(_ d: UnsafeMutableBufferPointer<UInt8>, _ body: Range<Int>, delimiter: UInt8, into fields: inout [Range<Int>]) -> Bool {
        forEachField(d, body, delimiter: delimiter) { fields.append($0) }
    }

    /// `split` handing each field's range to `emit` in order (no array).
    @inline(__always)
    static func forEachField(_ d: UnsafeMutableBufferPointer<UInt8>, _ body: Range<Int>, delimiter: UInt8, _ emit: (Range<Int>) -> Void) -> Bool {
        var i = body.lowerBound
        while true {
            let fieldStart = i
            if i < body.upperBound && d[i] == 0x22 {
                i += 1
                while true {
                    guard i < body.upperBound else { return false }
                    if d[i] == 0x22 {
                        if i + 1 < body.upperBound && d[i + 1] == 0x22 { i += 2; continue }
                        i += 1
                        break
                    }
                    i += 1
                }
                guard i == body.upperBound || d[i] == delimiter else { return false }
            } else {
                while i < body.upperBound && d[i] != delimiter { i += 1 }
            }
            emit(fieldStart..<i)
            if i == body.upperBound { return true }
            i += 1
        }
    }

    /// The members of a one-line JSON object: each key (unescaped), its
    /// value's raw range and whether the value is a string. False when the
    /// line is not one JSON object.
    static func members(_ d: UnsafeMutableBufferPointer<UInt8>, _ body: Range<Int>, into members: inout [(key: String, value: Range<Int>, string: Bool)]) -> Bool {
        var i = body.lowerBound
        func space() { while i < body.upperBound && (d[i] == 0x20 || d[i] == 0x09 || d[i] == 0x0D) { i += 1 } }
        // A string from its opening quote: its range with quotes, or nil.
        func string() -> Range<Int>? {
            let s = i
            guard i < body.upperBound && d[i] == 0x22 else { return nil }
            i += 1
            while i < body.upperBound {
                if d[i] == 0x5C { i += 2; continue }
                if d[i] == 0x22 { i += 1; return s..<i }
                i += 1
            }
            return nil
        }
        func value() -> Range<Int>? {
            guard i < body.upperBound else { return nil }
            switch d[i] {
            case 0x22: return string()
            case 0x7B, 0x5B:
                let s = i
                var depth = 0
                while i < body.upperBound {
                    switch d[i] {
                    case 0x22: guard string() != nil else { return nil }; continue
                    case 0x7B, 0x5B: depth += 1
                    case 0x7D, 0x5D:
                        depth -= 1
                        if depth == 0 { i += 1; return s..<i }
                    default: break
                    }
                    i += 1
                }
                return nil
            default:
                let s = i
                while i < body.upperBound && ![0x2C, 0x7D, 0x5D, 0x20, 0x09, 0x0D].contains(d[i]) { i += 1 }
                return i > s ? s..<i : nil
            }
        }
        space()
        guard i < body.upperBound && d[i] == 0x7B else { return false }
        i += 1
        space()
        if i < body.upperBound && d[i] == 0x7D {
            i += 1
        } else {
            while true {
                space()
                guard let k = string() else { return false }
                space()
                guard i < body.upperBound && d[i] == 0x3A else { return false }
                i += 1
                space()
                guard let v = value() else { return false }
                let rawKey = inner(k)
                let key: String
                if d[rawKey].contains(0x5C) {
                    // Escapes: unescape by the strict rules of a JSON string.
                    key = unescape(Array(d[rawKey])) ?? String(decoding: UnsafeBufferPointer(rebasing: d[rawKey]), as: UTF8.self)
                } else {
                    key = String(decoding: UnsafeBufferPointer(rebasing: d[rawKey]), as: UTF8.self)
                }
                members.append((key, v, d[v.lowerBound] == 0x22))
                space()
                guard i < body.upperBound else { return false }
                if d[i] == 0x2C { i += 1; continue }
                if d[i] == 0x7D { i += 1; break }
                return false
            }
        }
        space()
        return i == body.upperBound
    }

    /// A JSON string's inside, unescaped (`nil` when an escape is bad).
    static func unescape(_ bytes: [UInt8]) -> String? {
        var scalars = String.UnicodeScalarView()
        var text = String(decoding: bytes, as: UTF8.self).unicodeScalars.makeIterator()
        while let c = text.next() {
            guard c == "\\" else { scalars.append(c); continue }
            guard let e = text.next() else { return nil }
            switch e {
            case "\"", "\\", "/": scalars.append(e)
            case "b": scalars.append("\u{8}")
            case "f": scalars.append("\u{C}")
            case "n": scalars.append("\n")
            case "r": scalars.append("\r")
            case "t": scalars.append("\t")
            case "u":
                var hex = ""
                for _ in 0..<4 { guard let h = text.next() else { return nil }; hex.unicodeScalars.append(h) }
                guard let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v) else { return nil }
                scalars.append(s)
            default: return nil
            }
        }
        return String(scalars)
    }
}

/// A growable byte buffer that one task fills with a piece's output
/// (`RecordRewriter`), written out by another once the task is done.
final class ByteBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    var count = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    /// Releases the storage (the buffer is not used after).
    func free() { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always)
    private func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var larger = capacity * 2
        while larger < count + extra { larger *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = larger
    }

    @inline(__always)
    func append(_ bytes: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(from: bytes, count: n)
        count += n
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    /// Appends `x` as `x.description` spells it (Swift's shortest round-trip
    /// form: `0.1`, `1e-05`, `5e-324`, `-0.0`), through the standard library's
    /// own formatter without building a `String`: `Double.write(to:)` hands
    /// the digits to `ByteStream._writeASCII`. A NaN is `nan` (`write(to:)`
    /// would spell out its sign and payload; `description` does not).
    @inline(__always)
    func appendShortest(_ x: Double) {
        if x.isNaN {
            for b in "nan".utf8 { append(b) }
            return
        }
        var stream = ByteStream(buffer: self)
        x.write(to: &stream)
    }

    /// Whether `byte` occurs in the bytes from `from` on.
    func contains(_ byte: UInt8, from: Int) -> Bool {
        for i in from..<count where base[i] == byte { return true }
        return false
    }

    /// Puts the bytes from `from` on in double quotes.
    func quote(from: Int) {
        reserve(2)
        (base + from + 1).update(from: base + from, count: count - from)
        base[from] = 0x22
        count += 1
        base[count] = 0x22
        count += 1
    }

    /// The text stream `Double.write(to:)` writes into.
    struct ByteStream: TextOutputStream {
        let buffer: ByteBuffer
        mutating func write(_ string: String) {
            var text = string
            text.withUTF8 { if let start = $0.baseAddress { buffer.append(start, $0.count) } }
        }
        mutating func _writeASCII(_ bytes: UnsafeBufferPointer<UInt8>) {
            if let start = bytes.baseAddress { buffer.append(start, bytes.count) }
        }
    }
}

/// A value handed to tasks that use it one at a time or only read it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The error of the task that writes a batch's output, read after the batch.
final class ErrorSlot: @unchecked Sendable {
    var error: (any Error)?
}

extension InputError {
    /// The same error `lines` lines further on.
    func movedBy(_ lines: Int) -> InputError {
        guard lines != 0, let line else { return self }
        return InputError(kind, file: file, line: line + lines, column: column, value: value, reason: reason, hint: hint)
    }
}

/// The known binary label pairs of SPEC section 2 (`0/1`, `false/true`,
/// `no/yes`, `neg/pos`, `negative/positive`, case-insensitive), for commands
/// that settle the positive class without reading labels (`calib prior --train-prior`).
public enum BinaryClassPair {
    /// `(negative, positive)` when `a` and `b` form a known pair, in either order.
    public static func known(_ a: String, _ b: String) -> (negative: String, positive: String)? {
        ColumnRoles.knownPair(a, b)
    }
}
