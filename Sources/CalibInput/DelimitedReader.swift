#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 4180 records: fields separated by a delimiter (comma, tab, or any
/// other byte; sniffed from the header when not given), quoted
/// fields with embedded delimiters, line breaks and doubled quotes, LF, CRLF
/// or lone-CR line ends, and an optional UTF-8 byte-order mark. Blank lines
/// are not records. A quote inside an unquoted field is kept as text.
final class DelimitedReader: RecordReader {
    private let input: BufferedInput
    /// The field separator: given, or sniffed from the header line.
    let delimiter: UInt8
    private var line = 1
    private(set) var header: [String] = []
    /// Line of the header row.
    private(set) var headerLine = 1

    /// A reader over one block of whole records (no header), numbering lines
    /// from the block's ``ByteBlock/firstLine``.
    init(block: ByteBlock, name: String, delimiter: UInt8, recordLimit: Int) {
        input = BufferedInput(block: block, name: name, recordLimit: recordLimit)
        self.delimiter = delimiter
        header = []
        line = block.firstLine
    }

    func recycle(_ block: ByteBlock) { input.recycle(block) }

    /// Lines consumed so far (the header's, before any data row is read; a
    /// block reader's count includes the lines before its block).
    var linesConsumed: Int { line - 1 }

    func takeBlock(target: Int) throws -> ByteBlock? {
        let delimiter = self.delimiter
        guard let block = try input.takeBlock(target: target, split: { window, isEnd in
            Self.wholeRecordsLength(window, delimiter: delimiter, isEnd: isEnd)
        }) else { return nil }
        block.firstLine = line
        block.lines = Self.lineBreaks(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(block.storage)[0..<block.count]))
        line += block.lines
        return block
    }

    /// The lines that whole records take, as ``next(into:)`` numbers them:
    /// one per LF, per CRLF and per lone CR, inside quoted fields as well
    /// (so quotes do not matter), none for a last record without a line
    /// break. That is the LFs plus the CRs not followed by an LF; a block
    /// never ends between a CR and its LF (``wholeRecordsLength(_:delimiter:isEnd:)``).
    /// Without a CR (one `memchr`), the LFs are counted eight bytes at a time.
    static func lineBreaks(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        guard n > 0 else { return 0 }
        let lineFeeds = LineFeeds.count(bytes)
        guard memchr(bytes.baseAddress!, Int32(carriageReturn), n) != nil else { return lineFeeds }
        var loneCRs = 0
        for i in 0..<n where bytes[i] == carriageReturn && (i + 1 == n || bytes[i + 1] != lineFeed) { loneCRs += 1 }
        return lineFeeds + loneCRs
    }

    /// The delimiters ``sniffDelimiter(_:)`` chooses from, ties going to the first.
    static let sniffedDelimiters: [UInt8] = [0x2C, 0x09, 0x3B, 0x7C]

    /// The delimiter of a file whose name and options do not settle it: of
    /// comma, tab, semicolon and pipe, the one that splits the header line (the
    /// bytes up to the first line break outside quotes) into the most fields,
    /// counting only separators outside double quotes. Ties go to comma, then
    /// tab, semicolon and pipe; a header with none of them is comma-separated.
    static func sniffDelimiter(_ head: UnsafeBufferPointer<UInt8>) -> UInt8 {
        var counts = [0, 0, 0, 0]
        var quoted = false
        for b in head {
            if b == quote { quoted.toggle(); continue }
            if quoted { continue }
            if b == lineFeed || b == carriageReturn { break }
            if let k = sniffedDelimiters.firstIndex(of: b) { counts[k] += 1 }
        }
        var best = 0
        for k in 1..<counts.count where counts[k] > counts[best] { best = k }
        return sniffedDelimiters[best]
    }

    /// The length of the whole records at the start of `window`, which starts at a
    /// record boundary: quote-aware (a line break inside a quoted field ends
    /// nothing), and a CR at the very end is undecided unless the input ends there.
    static func wholeRecordsLength(_ window: UnsafeBufferPointer<UInt8>, delimiter: UInt8, isEnd: Bool) -> Int? {
        let n = window.count
        guard n > 0 else { return nil }
        if memchr(window.baseAddress!, Int32(quote), n) == nil {
            // No quote: the last line break ends the last whole record.
            var i = n - 1
            while i >= 0 {
                let b = window[i]
                if b == lineFeed { return i + 1 }
                if b == carriageReturn && (i + 1 < n || isEnd) { return i + 1 }
                i -= 1
            }
            return nil
        }
        enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
        var state = State.fieldStart
        var last: Int?
        var i = 0
        while i < n {
            let b = window[i]
            switch state {
            case .quoted:
                if b == quote { state = .quoteInQuoted }
            case .fieldStart, .unquoted, .quoteInQuoted:
                if state == .quoteInQuoted && b == quote {
                    state = .quoted
                } else if state == .fieldStart && b == quote {
                    state = .quoted
                } else if b == delimiter {
                    state = .fieldStart
                } else if b == lineFeed {
                    last = i + 1
                    state = .fieldStart
                } else if b == carriageReturn {
                    if i + 1 < n {
                        if window[i + 1] != lineFeed { last = i + 1; state = .fieldStart }
                    } else if isEnd {
                        last = i + 1
                    }
                } else {
                    state = .unquoted
                }
            }
            i += 1
        }
        return last
    }

    /// The high bit of each byte of `v` that is zero (the lowest such byte exactly;
    /// higher ones may be false positives after a true one, which the scan never uses).
    @inline(__always)
    static func zeroBytes(_ v: UInt64) -> UInt64 {
        (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080
    }

    /// Where the unquoted field starting at `i` ends: the first delimiter, LF or
    /// CR at or after `i`, or `end`. Eight bytes at a time: a word holds the
    /// field's end when one of its bytes equals one of them (the zero-byte test).
    @inline(__always)
    static func unquotedFieldEnd(_ raw: UnsafeRawPointer, from i: Int, end: Int, delimiter: UInt8, delimiterWord: UInt64) -> Int {
        var j = i
        while j + 8 <= end {
            let word = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
            let hit = zeroBytes(word ^ delimiterWord) | zeroBytes(word ^ lineFeedWord) | zeroBytes(word ^ carriageReturnWord)
            if hit != 0 { return j + hit.trailingZeroBitCount >> 3 }
            j += 8
        }
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        while j < end {
            let b = bytes[j]
            if b == delimiter || b == lineFeed || b == carriageReturn { break }
            j += 1
        }
        return j
    }

    static let lineFeedWord: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
    static let carriageReturnWord: UInt64 = 0x0D0D_0D0D_0D0D_0D0D

    private static let quote: UInt8 = 0x22
    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D

    /// Reads the header. With `delimiter` nil, the delimiter is sniffed from the
    /// header line (``sniffDelimiter(_:)``); ``delimiter`` tells which was used.
    init(source: any ByteSource, name: String, delimiter: UInt8?, recordLimit: Int) throws {
        input = BufferedInput(source: source, name: name, recordLimit: recordLimit)
        _ = try input.refill(line: 1)
        while input.filled < 4 && !input.atEnd { _ = try input.refill(line: 1) }
        try TextEncoding.check(UnsafeBufferPointer(rebasing: input.bytes[0..<input.filled]), name: name)
        if input.filled >= 3 && input.storage[0] == 0xEF && input.storage[1] == 0xBB && input.storage[2] == 0xBF {
            input.position = 3
        }
        if let delimiter {
            self.delimiter = delimiter
        } else {
            // The whole header line (up to the record limit) is needed to sniff.
            while !input.atEnd && input.filled - input.position <= recordLimit
                    && !input.bytes[input.position..<input.filled].contains(where: { $0 == Self.lineFeed || $0 == Self.carriageReturn }) {
                _ = try input.refill(line: 1)
            }
            self.delimiter = Self.sniffDelimiter(UnsafeBufferPointer(rebasing: input.bytes[input.position..<input.filled]))
        }
        var record = Record()
        switch try next(into: &record) {
        case .end:
            throw InputError(.data, file: name, reason: "the file is empty: a header row and at least one data row are needed")
        case let .malformed(line, detail):
            throw InputError(.data, file: name, line: line, reason: "cannot read the header: \(detail)")
        case .record:
            headerLine = record.line
            header = (0..<record.fieldCount).map { i in
                record.string(i).trimmingSpacesAndTabs()
            }
        }
    }

    private enum Scan {
        case complete(next: Int, line: Int, blank: Bool)
        case needMore
        case malformed(detail: String, next: Int, line: Int)
        case unterminated
    }

    func next(into record: inout Record) throws -> RecordStatus {
        if input.atEnd, let status = nextUnquoted(into: &record) { return status }
        while true {
            record.reset()
            record.line = line
            if input.position == input.filled {
                if try !input.refill(line: line) { return .end }
            }
            switch scan(into: &record) {
            case let .complete(next, newLine, blank):
                if next - input.position > input.recordLimit { throw recordTooLong(record.line) }
                input.position = next
                line = newLine
                if blank { continue }
                return .record
            case let .malformed(detail, next, newLine):
                input.position = next
                line = newLine
                return .malformed(line: record.line, detail: detail)
            case .needMore:
                if try !input.refill(line: line) {
                    // End of input: scanning again treats the end as the end of the record.
                    continue
                }
            case .unterminated:
                throw InputError(.data, file: input.name, line: record.line,
                    reason: "a quoted field opened on this line is never closed (unterminated quote)")
            }
        }
    }

    /// The tokenizer's fast path, for input wholly in memory (a block, or the
    /// last of a file): a record with no quoted field, read eight bytes at a
    /// time, its fields pointing into the buffer. Returns `nil`, consuming
    /// nothing, when the record needs ``scan(into:)``: a field opens with a
    /// quote, or the record is too long (the slow path says so).
    @inline(__always)
    private func nextUnquoted(into record: inout Record) -> RecordStatus? {
        let end = input.filled
        let buf = input.storage.baseAddress!
        let raw = UnsafeRawPointer(buf)
        let delimiter = self.delimiter
        let delimiterWord = UInt64(delimiter) &* 0x0101_0101_0101_0101
        var start = input.position
        while true {
            if start == end { return .end }
            record.reset()
            var i = start
            var next = end
            while true {
                if i < end && buf[i] == Self.quote { return nil }
                let j = Self.unquotedFieldEnd(raw, from: i, end: end, delimiter: delimiter, delimiterWord: delimiterWord)
                record.appendField(i - start, j - start)
                if j == end { break }
                let b = buf[j]
                if b == delimiter { i = j + 1; continue }
                next = b == Self.carriageReturn && j + 1 < end && buf[j + 1] == Self.lineFeed ? j + 2 : j + 1
                break
            }
            if next - start > input.recordLimit { return nil }
            record.line = line
            if next > start && (buf[next - 1] == Self.lineFeed || buf[next - 1] == Self.carriageReturn) { line += 1 }
            input.position = next
            // A blank line is not a record.
            if record.fieldCount == 1 && record.isEmpty(0) { start = next; continue }
            record.base = UnsafePointer(buf + start)
            return .record
        }
    }

    private func recordTooLong(_ line: Int) -> InputError {
        InputError.recordTooLong(file: input.name, line: line, limit: input.recordLimit)
    }

    /// Scans one record starting at `input.position` without consuming it.
    ///
    /// A record without quotes is not copied: its field ranges count from the
    /// record's first byte in the buffer (``Record/base``). The first quoted field
    /// copies the raw bytes before it (so those ranges stay valid) and from there
    /// fields are copied as they are read, unescaped.
    private func scan(into record: inout Record) -> Scan {
        let atEnd = input.atEnd
        let end = input.filled
        let delimiter = self.delimiter
        let delimiterWord = UInt64(delimiter) &* 0x0101_0101_0101_0101
        var lineCount = line
        let buf = input.bytes
        return { () -> Scan in
            let recordStart = input.position
            var i = recordStart
            var sawAnything = false
            var copying = false
            // A record with no quoted field is not copied: it points into the buffer.
            func copyRaw(upTo j: Int) {
                if !copying { record.base = buf.baseAddress! + recordStart }
            }
            func copyPrefix(upTo j: Int) {
                if j > recordStart { record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[recordStart..<j])) }
            }
            while true {
                // One field.
                if i < end && buf[i] == Self.quote {
                    if !copying { copyPrefix(upTo: i); copying = true }
                    let fieldStart = record.bytes.count
                    sawAnything = true
                    i += 1
                    while true {
                        guard i < end else { return atEnd ? .unterminated : .needMore }
                        let b = buf[i]
                        if b == Self.quote {
                            if i + 1 >= end && !atEnd { return .needMore }
                            if i + 1 < end && buf[i + 1] == Self.quote {
                                record.bytes.append(Self.quote)
                                i += 2
                                continue
                            }
                            i += 1
                            break
                        }
                        if b == Self.lineFeed {
                            lineCount += 1
                        } else if b == Self.carriageReturn {
                            if i + 1 >= end && !atEnd { return .needMore }
                            if !(i + 1 < end && buf[i + 1] == Self.lineFeed) { lineCount += 1 }
                        }
                        record.bytes.append(b)
                        i += 1
                    }
                    record.appendField(fieldStart, record.bytes.count)
                    guard i < end else {
                        if !atEnd { return .needMore }
                        return .complete(next: i, line: lineCount, blank: false)
                    }
                    let b = buf[i]
                    if b == delimiter { i += 1; continue }
                    if b == Self.lineFeed || b == Self.carriageReturn {
                        return finishLine(buf, i, end, atEnd, lineCount, blank: false)
                    }
                    // Garbage after a closing quote: skip the rest of the line.
                    var j = i
                    while j < end && buf[j] != Self.lineFeed && buf[j] != Self.carriageReturn { j += 1 }
                    if j == end && !atEnd { return .needMore }
                    let detail = "unexpected character after a closing quote in field \(record.fieldCount); a quote inside a quoted field must be doubled (\"\")"
                    switch finishLine(buf, j, end, atEnd, lineCount, blank: false) {
                    case let .complete(next, newLine, _): return .malformed(detail: detail, next: next, line: newLine)
                    default: return .needMore
                    }
                }
                let j = Self.unquotedFieldEnd(UnsafeRawPointer(buf.baseAddress!), from: i, end: end, delimiter: delimiter, delimiterWord: delimiterWord)
                if j == end && !atEnd { return .needMore }
                if j > i { sawAnything = true }
                if copying {
                    let fieldStart = record.bytes.count
                    record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j]))
                    record.appendField(fieldStart, record.bytes.count)
                } else {
                    record.appendField(i - recordStart, j - recordStart)
                }
                let blank = !sawAnything && record.fieldCount == 1
                if j == end {
                    copyRaw(upTo: j)
                    return .complete(next: j, line: lineCount, blank: blank)
                }
                if buf[j] == delimiter { sawAnything = true; i = j + 1; continue }
                copyRaw(upTo: j)
                return finishLine(buf, j, end, atEnd, lineCount, blank: blank)
            }
        }()
    }

    /// Consumes the line end at `i` (LF, CRLF or a lone CR).
    private func finishLine(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, _ atEnd: Bool, _ lineCount: Int, blank: Bool) -> Scan {
        if i >= end { return .complete(next: i, line: lineCount, blank: blank) }
        if buf[i] == Self.carriageReturn {
            if i + 1 >= end && !atEnd { return .needMore }
            if i + 1 < end && buf[i + 1] == Self.lineFeed { return .complete(next: i + 2, line: lineCount + 1, blank: blank) }
        }
        return .complete(next: i + 1, line: lineCount + 1, blank: blank)
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs (header names,
    /// comma-separated flag values, gate expressions).
    package func trimmingSpacesAndTabs() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

/// What `DelimitedReader.decodePlainRows` does with each
/// column of a row, and the checks a row must pass to be kept there, from a
/// `RowDecoder`'s roles and options (`RowDecoder.plainRowPlan(delimiter:)`).
struct PlainRowPlan: Sendable {
    /// One per header column: a score slot (≥ 0), `weight`, `label` or
    /// `ignored`; the numbers (scores and the weight) are those ≥ `weight`.
    let actions: [Int]
    static let weight = -1
    static let label = -2
    static let ignored = -3
    let scoreCount: Int
    let isProbability: Bool
    let sumTolerance: Double
    /// For two per-class columns read as one binary score: the positive one's slot.
    let positiveColumn: Int?
    let recordLimit: Int
}

extension DelimitedReader {
    /// The fused read of a block's plain rows: tokenising, parsing and validating
    /// in one pass over the bytes, each row's values written straight into
    /// `kept`. A score or weight field is parsed where it starts
    /// (`DecimalParser/probabilityPrefix(_:from:end:powers:stop:)`, else
    /// `DecimalParser/prefixValue(_:from:end:stop:)`), the byte after the
    /// number being the field's end; a label is matched against the spellings
    /// the decoder already resolved. A row is kept only when the record path
    /// (`next(into:)` then `RowDecoder.decode(_:into:)`) would keep it with
    /// the same values and line: otherwise, at the first thing this path does not
    /// handle (a quote, a space, a wrong field count, a bad or out-of-range value,
    /// a sum off 1, a label not yet resolved, `strtod`'s cases, a last record with
    /// no line break, a record over the limit) it stops before that row and
    /// leaves it to the record path. Returns the rows kept; stops when `kept` is
    /// full or the block ends. Only for a reader over a block (wholly in memory).
    func decodePlainRows(_ plan: PlainRowPlan, decoder: inout RowDecoder, into kept: DecodedRows) -> Int {
        guard input.atEnd else { return 0 }
        let end = input.filled
        let text = UnsafePointer(input.storage.baseAddress!)
        let raw = UnsafeRawPointer(text)
        let delimiter = self.delimiter
        let delimiterWord = UInt64(delimiter) &* 0x0101_0101_0101_0101
        let isProbability = plan.isProbability
        let scoreCount = plan.scoreCount
        var position = input.position
        var line = self.line
        var decoded = 0
        let cache = decoder.labelCache
        let cacheBytes = decoder.labelCacheBytes
        // Two columns, a label and one score (either order), no weight: each row is first
        // tried by `twoColumnRow`; a row it does not take goes through the column loop.
        let twoColumns = plan.actions.count == 2 && scoreCount == 1 && plan.positiveColumn == nil
            && plan.actions.contains(PlainRowPlan.label) && plan.actions.contains(0)
        let labelFirst = plan.actions.first == PlainRowPlan.label
        // A label, then every score column in slot order, no weight (the usual multiclass layout): runs of such rows
        // are read by `labelThenScoresRow` in a loop of their own.
        let labelThenScores = !twoColumns && scoreCount > 1 && plan.positiveColumn == nil
            && plan.actions == [PlainRowPlan.label] + Array(0..<scoreCount)
        let byteClasses = twoColumns || labelThenScores ? Self.oneByteLabels(cache, delimiter: delimiter) : []
        byteClasses.withUnsafeBufferPointer { byteClasses in
        DecimalParser.probabilityPowers.withUnsafeBufferPointer { powers in
        cache.withUnsafeBufferPointer { cache in
            cacheBytes.withUnsafeBufferPointer { cacheBytes in
                plan.actions.withUnsafeBufferPointer { actions in
                    let lastColumn = actions.count - 1
                    rows: while !kept.isFull && position < end {
                        if labelThenScores {
                            // Runs of such rows in a loop of their own; a row it does not take goes through the column loop.
                            while !kept.isFull && position < end {
                                let scores = kept.nextScores
                                guard let row = Self.labelThenScoresRow(text, at: position, end: end, count: scoreCount, delimiter: delimiter,
                                                                        isProbability: isProbability, byteClasses: byteClasses.baseAddress!,
                                                                        powers: powers.baseAddress!, scores: scores),
                                      row.next - position <= plan.recordLimit,
                                      !isProbability || Self.sumsToOne(scores, scoreCount, tolerance: plan.sumTolerance) else { break }
                                kept.commit(label: row.label, weight: 1.0, line: line, id: nil, group: nil)
                                line += 1
                                position = row.next
                                decoded += 1
                            }
                            guard !kept.isFull && position < end else { break rows }
                        }
                        let start = position
                        var i = start
                        let scores = kept.nextScores
                        if twoColumns, let row = Self.twoColumnRow(text, at: start, end: end, labelFirst: labelFirst, delimiter: delimiter,
                                                                   isProbability: isProbability, byteClasses: byteClasses.baseAddress!,
                                                                   powers: powers.baseAddress!),
                           row.next - start <= plan.recordLimit {
                            scores[0] = row.value
                            kept.commit(label: row.label, weight: 1.0, line: line, id: nil, group: nil)
                            line += 1
                            position = row.next
                            decoded += 1
                            continue rows
                        }
                        var classIndex = -1
                        var weight = 1.0
                        for column in 0...lastColumn {
                            let action = actions[column]
                            var fieldEnd = i
                            if action >= PlainRowPlan.weight {
                                // The loop-free read of `0.` and 16–19 digits first, then the scan.
                                guard let v = DecimalParser.probabilityPrefix(text, from: i, end: end, powers: powers.baseAddress!, stop: &fieldEnd)
                                        ?? DecimalParser.prefixValue(text, from: i, end: end, stop: &fieldEnd) else { break rows }
                                if action >= 0 {
                                    if isProbability && !(v >= 0 && v <= 1) { break rows }
                                    scores[action] = v
                                } else {
                                    guard v >= 0 else { break rows }
                                    weight = v
                                }
                            } else {
                                if i < end && text[i] == Self.quote { break rows }
                                // A one-byte field (a binary label) needs no scan.
                                if i &+ 1 < end && text[i &+ 1] == delimiter && text[i] != delimiter
                                    && text[i] != Self.lineFeed && text[i] != Self.carriageReturn {
                                    fieldEnd = i &+ 1
                                } else {
                                    fieldEnd = Self.unquotedFieldEnd(raw, from: i, end: end, delimiter: delimiter, delimiterWord: delimiterWord)
                                }
                                if action == PlainRowPlan.label {
                                    classIndex = Self.cachedClass(text + i, fieldEnd - i, readable: end - i, cache, cacheBytes)
                                    if classIndex < 0 { break rows }
                                }
                            }
                            guard fieldEnd < end else { break rows }
                            let b = text[fieldEnd]
                            if column < lastColumn {
                                guard b == delimiter else { break rows }
                                i = fieldEnd + 1
                            } else {
                                guard b == Self.lineFeed || b == Self.carriageReturn else { break rows }
                                i = b == Self.carriageReturn && fieldEnd + 1 < end && text[fieldEnd + 1] == Self.lineFeed ? fieldEnd + 2 : fieldEnd + 1
                            }
                        }
                        if i - start > plan.recordLimit { break rows }
                        if scoreCount > 1 && isProbability && !Self.sumsToOne(scores, scoreCount, tolerance: plan.sumTolerance) { break rows }
                        if let p = plan.positiveColumn {
                            scores[0] = isProbability ? scores[p] : scores[p] - scores[1 - p]
                        }
                        kept.commit(label: classIndex, weight: weight, line: line, id: nil, group: nil)
                        line += 1
                        position = i
                        decoded += 1
                    }
                }
            }
        }
        }
        }
        input.position = position
        self.line = line
        decoder.countPlainRows(decoded)
        return decoded
    }

    /// The class of each byte that is, alone, a label spelling the decoder
    /// already resolved (the first such entry, as `cachedClass` finds it), -1 for
    /// every other byte and always for a quote, the delimiter, LF and CR (which
    /// the column loop never reads as a one-byte label). 256 entries.
    static func oneByteLabels(_ cache: [LabelCacheEntry], delimiter: UInt8) -> [Int] {
        var classes = [Int](repeating: -1, count: 256)
        for entry in cache.reversed() where entry.length == 1 { classes[Int(entry.packed)] = entry.index }
        for b in [quote, delimiter, lineFeed, carriageReturn] { classes[Int(b)] = -1 }
        return classes
    }

    /// One row of two columns, a one-byte label and a score (label first when
    /// `labelFirst`), that the column loop of `decodePlainRows` would keep, with
    /// the same label, value and end (the next row's start); `nil` when the row
    /// is anything else (the column loop then decides). The score is read by
    /// `DecimalParser.probabilityPrefix`, else by `DecimalParser.prefixValue`.
    @inline(__always)
    static func twoColumnRow(_ text: UnsafePointer<UInt8>, at start: Int, end: Int, labelFirst: Bool, delimiter: UInt8, isProbability: Bool,
                             byteClasses: UnsafePointer<Int>, powers: UnsafePointer<UInt64>) -> (label: Int, value: Double, next: Int)? {
        var numberAt = start
        var label = -1
        if labelFirst {
            label = byteClasses[Int(text[start])]
            guard label >= 0 && start &+ 1 < end && text[start &+ 1] == delimiter else { return nil }
            numberAt = start &+ 2
        }
        var stop = numberAt
        guard let value = DecimalParser.probabilityPrefix(text, from: numberAt, end: end, powers: powers, stop: &stop)
                ?? DecimalParser.prefixValue(text, from: numberAt, end: end, stop: &stop),
              !isProbability || (value >= 0 && value <= 1) else { return nil }
        var lineEnd = stop
        if !labelFirst {
            guard stop &+ 2 < end && text[stop] == delimiter else { return nil }
            label = byteClasses[Int(text[stop &+ 1])]
            lineEnd = stop &+ 2
        }
        guard label >= 0 && lineEnd < end else { return nil }
        let b = text[lineEnd]
        if b == lineFeed { return (label, value, lineEnd &+ 1) }
        guard b == carriageReturn else { return nil }
        return (label, value, lineEnd &+ 1 < end && text[lineEnd &+ 1] == lineFeed ? lineEnd &+ 2 : lineEnd &+ 1)
    }

    /// One row of a one-byte label and then the `count` score columns in slot
    /// order, that the column loop of `decodePlainRows` would read the same
    /// way: its scores written to `scores`, its label and the next row's start
    /// returned; `nil` when the row is anything else (the column loop then
    /// decides, and writes every score again). The scores are read as
    /// `twoColumnRow` reads its one.
    @inline(__always)
    static func labelThenScoresRow(_ text: UnsafePointer<UInt8>, at start: Int, end: Int, count: Int, delimiter: UInt8, isProbability: Bool,
                                   byteClasses: UnsafePointer<Int>, powers: UnsafePointer<UInt64>,
                                   scores: UnsafeMutablePointer<Double>) -> (label: Int, next: Int)? {
        let label = byteClasses[Int(text[start])]
        guard label >= 0 && start &+ 1 < end && text[start &+ 1] == delimiter else { return nil }
        var at = start &+ 2
        for slot in 0..<count {
            var stop = at
            guard let value = DecimalParser.probabilityPrefix(text, from: at, end: end, powers: powers, stop: &stop)
                    ?? DecimalParser.prefixValue(text, from: at, end: end, stop: &stop),
                  !isProbability || (value >= 0 && value <= 1), stop < end else { return nil }
            scores[slot] = value
            let b = text[stop]
            if slot &+ 1 < count {
                guard b == delimiter else { return nil }
                at = stop &+ 1
                continue
            }
            if b == lineFeed { return (label, stop &+ 1) }
            guard b == carriageReturn else { return nil }
            return (label, stop &+ 1 < end && text[stop &+ 1] == lineFeed ? stop &+ 2 : stop &+ 1)
        }
        return nil
    }

    /// Whether a row's probabilities sum to 1 within `tolerance`, summed in
    /// slot order, as the record path sums them.
    @inline(__always)
    static func sumsToOne(_ scores: UnsafeMutablePointer<Double>, _ count: Int, tolerance: Double) -> Bool {
        var sum = 0.0
        for slot in 0..<count { sum += scores[slot] }
        return abs(sum - 1) <= tolerance
    }

    /// The class of a label spelling the decoder already resolved, or -1: the
    /// `length` bytes at `field` (of which `readable` may be read) against the
    /// cached spellings, up to eight bytes compared as one word (as
    /// `RowDecoder.decode` compares them). An empty field is never cached.
    @inline(__always)
    static func cachedClass(_ field: UnsafePointer<UInt8>, _ length: Int, readable: Int,
                            _ cache: UnsafeBufferPointer<LabelCacheEntry>, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard length > 0 else { return -1 }
        if length <= 8 {
            let packed = readable >= 8
                ? UInt64(littleEndian: UnsafeRawPointer(field).loadUnaligned(as: UInt64.self)) & (UInt64.max >> UInt64(64 - 8 * length))
                : LabelCacheEntry.pack(UnsafeBufferPointer(start: field, count: length))
            for entry in cache where entry.length == length && entry.packed == packed { return entry.index }
            return -1
        }
        for entry in cache where entry.length == length && memcmp(bytes.baseAddress! + entry.start, field, length) == 0 {
            return entry.index
        }
        return -1
    }
}
