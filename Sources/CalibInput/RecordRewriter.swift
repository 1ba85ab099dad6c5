#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CalibCore

/// Rewrites a table's score columns and keeps every other byte (`calib apply`):
/// CSV/TSV (any delimiter, quoted fields, CRLF or LF, a UTF-8 byte-order
/// mark) or JSON Lines, from a file, gzip or standard input, streamed with a
/// buffer of about one record plus 1 MiB, whatever the input's size.
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
        data = .allocate(capacity: 1 << 20)
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
    public func rewrite(_ transform: (UnsafeMutableBufferPointer<Double>) -> Void,
                        write: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try run(transform, extras: nil, write: write)
    }

    /// Reads every record without writing: `body` gets each row's scores (as
    /// ``rewrite(_:write:)``'s transform), its label text (nil without a label
    /// column), its weight (1 without a weight column) and its 1-based line.
    public func scan(_ body: (UnsafeBufferPointer<Double>, String?, Double, Int) -> Void) throws -> Int {
        var current: (String?, Double, Int) = (nil, 1, 0)
        return try run({ body(UnsafeBufferPointer($0), current.0, current.1, current.2) }, extras: { current = ($0, $1, $2) }, write: { _ in })
    }

    private func run(_ transform: (UnsafeMutableBufferPointer<Double>) -> Void, extras: ((String?, Double, Int) -> Void)?,
                     write: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var output = OutputBuffer()
        let perRow = twoColumnBinary ? 1 : columns.count
        var scores = [Double](repeating: 0, count: perRow)
        var parsed = [Double](repeating: 0, count: columns.count)
        var fields: [Range<Int>] = []
        fields.reserveCapacity(header.count)
        var members: [(key: String, value: Range<Int>, string: Bool)] = []
        var ranges: [(range: Range<Int>, string: Bool)] = []
        ranges.reserveCapacity(columns.count)
        var results = [Double](repeating: 0, count: columns.count)
        // CSV fields come in header order: the score columns' byte order is fixed.
        let csvOrder = columns.indices.sorted { columns[$0] < columns[$1] }
        var order = csvOrder
        let delimiterInNumbers = Array("0123456789.eE+-".utf8).contains(delimiter)
        var position = 0
        if let headerRecord {
            try output.append(UnsafeBufferPointer(rebasing: data[headerRecord]), write)
            line += DelimitedReader.lineBreaks(UnsafeBufferPointer(rebasing: data[headerRecord]))
            position = headerRecord.upperBound
        }
        while let record = try Self.nextRecord(self, from: position, quoted: format != .jsonl) {
            let body = Self.trimmedTerminator(data, record)
            let recordLine = line
            line += DelimitedReader.lineBreaks(UnsafeBufferPointer(rebasing: data[record]))
            position = record.upperBound
            if Self.isBlank(data, body) {
                try output.append(UnsafeBufferPointer(rebasing: data[record]), write)
                continue
            }
            // The score fields' raw ranges, in class order.
            ranges.removeAll(keepingCapacity: true)
            if format == .jsonl {
                members.removeAll(keepingCapacity: true)
                guard Self.members(data, body, into: &members) else {
                    throw InputError(.data, file: name, line: recordLine, reason: "not a JSON object on one line")
                }
                for key in scoreColumns {
                    var hit: (key: String, value: Range<Int>, string: Bool)?
                    for m in members where m.key == key {
                        guard hit == nil else {
                            throw InputError(.data, file: name, line: recordLine, column: key, reason: "the key \(InputError.name(key)) is given twice")
                        }
                        hit = m
                    }
                    guard let hit else {
                        throw InputError(.data, file: name, line: recordLine, column: key, reason: "the object has no \(InputError.name(key)) key")
                    }
                    ranges.append((hit.value, hit.string))
                }
            } else {
                fields.removeAll(keepingCapacity: true)
                guard Self.split(data, body, delimiter: delimiter, into: &fields) else {
                    throw InputError(.data, file: name, line: recordLine, reason: "a quoted field is not closed, or its closing quote is followed by other text")
                }
                guard fields.count == header.count else {
                    throw InputError(.data, file: name, line: recordLine, reason: "the record has \(fields.count) fields; the header has \(header.count)")
                }
                for c in columns { ranges.append((fields[c], data[fields[c].lowerBound] == 0x22)) }
            }
            for (c, r) in ranges.enumerated() {
                let value = format == .jsonl && r.string ? Self.inner(r.range) : (r.string ? Self.inner(r.range) : r.range)
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
                    throw InputError(.data, file: name, line: recordLine, column: scoreColumns[c], reason: reason)
                }
                parsed[c] = x
            }
            if let extras {
                var label: String?
                var weight = 1.0
                func text(_ column: Int) -> (String, Range<Int>)? {
                    if format == .jsonl {
                        guard let m = members.first(where: { $0.key == header[column] }) else { return nil }
                        let r = m.string ? Self.inner(m.value) : m.value
                        return (m.string ? (Self.unescape(Array(data[r])) ?? "") : String(decoding: UnsafeBufferPointer(rebasing: data[r]), as: UTF8.self), r)
                    }
                    let r = fields[column]
                    return (String(decoding: Self.unquoted(data, r), as: UTF8.self), r)
                }
                if let labelIndex, let (value, _) = text(labelIndex), !value.isEmpty { label = value }
                if let weightIndex {
                    guard let (value, _) = text(weightIndex), let w = Double(value), w.isFinite, w >= 0 else {
                        throw InputError(.data, file: name, line: recordLine, column: header[weightIndex], reason: "the weight is not a finite number at least 0")
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
            scores.withUnsafeMutableBufferPointer { transform($0) }
            if twoColumnBinary {
                results[0] = scoreKind == .logits ? parsed[0] : 1 - scores[0]
                results[1] = scoreKind == .logits ? parsed[0] + scores[0] : scores[0]
            } else {
                for c in 0..<perRow { results[c] = scores[c] }
            }
            // Copy the record, replacing the score fields (in byte order) whose value changed.
            if format == .jsonl && ranges.count > 1 {
                order = ranges.indices.sorted { ranges[$0].range.lowerBound < ranges[$1].range.lowerBound }
            }
            var copied = record.lowerBound
            for c in order where results[c].bitPattern != parsed[c].bitPattern {
                let r = ranges[c].range
                try output.append(UnsafeBufferPointer(rebasing: data[copied..<r.lowerBound]), write)
                // −0 is written 0; a delimiter that can occur in a number (a digit, . e E + −) needs quotes.
                var text = (results[c] == 0 ? 0 : results[c]).description
                if format == .jsonl ? ranges[c].string : (delimiterInNumbers && text.utf8.contains(delimiter)) { text = "\"" + text + "\"" }
                try output.append(text, write)
                copied = r.upperBound
            }
            try output.append(UnsafeBufferPointer(rebasing: data[copied..<record.upperBound]), write)
            rows += 1
        }
        try output.flush(write)
        return rows
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

    /// The record starting at `from` (up to and including its line feed, or
    /// to the input's end), reading more as needed; `nil` at the end of input.
    /// Reading more first moves the unread bytes to the front of the buffer,
    /// so the range returned may start before `from`.
    /// `quoted`: line feeds inside double quotes do not end a record (CSV).
    static func nextRecord(_ r: RecordRewriter, from: Int, quoted: Bool) throws -> Range<Int>? {
        var from = from
        var i = from
        var inQuotes = false
        while true {
            while i < r.end {
                let b = r.data[i]
                if quoted && b == 0x22 { inQuotes.toggle() } else if b == 0x0A && !inQuotes { return from..<(i + 1) }
                i += 1
            }
            if r.atEnd { return r.end > from ? from..<r.end : nil }
            if i - from > r.recordLimit { throw InputError.recordTooLong(file: r.name, line: r.line, limit: r.recordLimit) }
            if from > 0 {
                r.start = from
                r.compact()
                i -= from
                from = 0
            }
            try r.fill(minimum: r.end + 1)
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
            fields.append(fieldStart..<i)
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

/// Output gathered into 1 MiB pieces before each write.
struct OutputBuffer {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 20) }

    mutating func append(_ piece: UnsafeBufferPointer<UInt8>, _ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        bytes.append(contentsOf: piece)
        if bytes.count >= 1 << 20 { try flush(write) }
    }

    mutating func append(_ text: String, _ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= 1 << 20 { try flush(write) }
    }

    mutating func flush(_ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try write($0) }
        bytes.removeAll(keepingCapacity: true)
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
