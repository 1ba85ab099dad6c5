#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JSON Lines: one flat JSON object per line, after an optional UTF-8
/// byte-order mark. The first object's keys are the header; a key missing
/// from a later object is an empty (missing) field, extra keys are ignored,
/// and a key given twice in one object makes the record malformed (JSON
/// leaves duplicates undefined; last-wins would drop a value silently). Strings are unescaped; numbers, `true` and `false`
/// keep their text; `null` is a missing value; nested arrays and objects are
/// not table values and make the record malformed.
final class JSONLinesReader: RecordReader {
    private let input: BufferedInput
    private var line = 1
    private(set) var header: [String] = []
    private var headerKeys: [[UInt8]] = []
    private var key: [UInt8] = []
    /// Per header column, the number of the last object that set it (to find
    /// keys given twice); a pointer, so that marking a field costs no access check.
    private var setInObject = UnsafeMutableBufferPointer<Int>(start: nil, count: 0)
    private var objectNumber = 0
    /// The first object's keys met so far (only while discovering the header).
    private var discoveredKeys: Set<[UInt8]> = []
    /// Keys outside the header met in the current object, side by side (no
    /// allocation per key), and in a set once there are many of them.
    private var extraKeyBytes: [UInt8] = []
    private var extraKeyEnds: [Int] = []
    private var manyExtraKeys: Set<[UInt8]> = []
    /// Header columns by key, for keys not at their first object's position.
    private var headerIndex: [[UInt8]: Int] = [:]

    init(source: any ByteSource, name: String, recordLimit: Int) throws {
        input = BufferedInput(source: source, name: name, recordLimit: recordLimit)
        _ = try input.refill(line: 1)
        while input.filled < 4 && !input.atEnd { _ = try input.refill(line: 1) }
        try TextEncoding.check(UnsafeBufferPointer(rebasing: input.bytes[0..<input.filled]), name: name)
        // A UTF-8 byte-order mark (as Windows editors write) is skipped, as in CSV.
        if input.filled >= 3 && input.storage[0] == 0xEF && input.storage[1] == 0xBB && input.storage[2] == 0xBF {
            input.position = 3
        }
        // The header comes from the first object's keys; the object is read again as the first record.
        var first = Record()
        while true {
            guard let text = try nextLine() else {
                throw InputError(.data, file: name, reason: "the file is empty: at least one JSON object is needed")
            }
            if text.isBlank { continue }
            var keys: [[UInt8]] = []
            let problem = parseObject(text.range, into: &first, discoveringKeys: &keys)
            if let problem {
                throw InputError(.data, file: name, line: text.line, reason: "cannot read the first object: \(problem)")
            }
            headerKeys = keys
            header = keys.map { String(decoding: $0, as: UTF8.self) }
            input.position = text.range.lowerBound
            line = text.line
            break
        }
    }

    /// A reader over one block of whole lines with a known header, numbering
    /// lines from the block's ``ByteBlock/firstLine``.
    init(block: ByteBlock, name: String, header: [String], recordLimit: Int) {
        input = BufferedInput(block: block, name: name, recordLimit: recordLimit)
        self.header = header
        headerKeys = header.map { Array($0.utf8) }
        line = block.firstLine
    }

    deinit { setInObject.deallocate() }

    func recycle(_ block: ByteBlock) { input.recycle(block) }

    /// Lines consumed before the next record.
    var linesConsumed: Int { line - 1 }

    /// Blocks of whole lines.
    func takeBlock(target: Int) throws -> ByteBlock? {
        guard let block = try input.takeBlock(target: target, split: { window, isEnd in
            var i = window.count - 1
            while i >= 0 {
                if window[i] == 0x0A { return i + 1 }
                i -= 1
            }
            return isEnd ? window.count : nil
        }) else { return nil }
        block.firstLine = line
        block.lines = Self.lines(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(block.storage)[0..<block.count]))
        line += block.lines
        return block
    }

    /// The lines of whole lines of input, as ``next(into:)`` numbers them: one
    /// per LF (a CR is part of its line, not a break), and one for a last line
    /// without an LF (only the input's last block has one).
    static func lines(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let last = bytes.last else { return 0 }
        return LineFeeds.count(bytes) + (last == 0x0A ? 0 : 1)
    }

    func next(into record: inout Record) throws -> RecordStatus {
        while true {
            guard let text = try nextLine() else { return .end }
            if text.isBlank { continue }
            record.reset()
            record.line = text.line
            var unused: [[UInt8]] = []
            if let problem = parseObject(text.range, into: &record, discoveringKeys: &unused) {
                return .malformed(line: text.line, detail: problem)
            }
            return .record
        }
    }

    private struct Line {
        let range: Range<Int>
        let line: Int
        let isBlank: Bool
    }

    /// The next line's byte range in `input.storage` (valid until the next call).
    private func nextLine() throws -> Line? {
        var scanFrom = input.position
        while true {
            let found: Int? = { (buf: UnsafeBufferPointer<UInt8>) -> Int? in
                var i = scanFrom
                while i < input.filled { if buf[i] == 0x0A { return i }; i += 1 }
                return nil
            }(input.bytes)
            if let newline = found {
                if newline - input.position > input.recordLimit {
                    throw InputError.recordTooLong(file: input.name, line: line, limit: input.recordLimit)
                }
                var end = newline
                if end > input.position && input.storage[end - 1] == 0x0D { end -= 1 }
                let result = Line(range: input.position..<end, line: line, isBlank: isBlank(input.position..<end))
                input.position = newline + 1
                line += 1
                return result
            }
            let consumed = input.position
            scanFrom = input.filled - consumed
            if try !input.refill(line: line) {
                guard input.position < input.filled else { return nil }
                if input.filled - input.position > input.recordLimit {
                    throw InputError.recordTooLong(file: input.name, line: line, limit: input.recordLimit)
                }
                let result = Line(range: input.position..<input.filled, line: line, isBlank: isBlank(input.position..<input.filled))
                input.position = input.filled
                line += 1
                return result
            }
            scanFrom += input.position
        }
    }

    private func isBlank(_ range: Range<Int>) -> Bool {
        input.storage[range].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// Parses one object; returns a description of the problem, or nil.
    private func parseObject(_ range: Range<Int>, into record: inout Record, discoveringKeys keys: inout [[UInt8]]) -> String? {
        let discovering = headerKeys.isEmpty
        if !discovering {
            record.setEmptyFields(headerKeys.count)
            if setInObject.count != headerKeys.count {
                setInObject.deallocate()
                setInObject = .allocate(capacity: headerKeys.count)
                setInObject.initialize(repeating: 0)
            }
            objectNumber += 1
            if !extraKeyEnds.isEmpty {
                extraKeyBytes.removeAll(keepingCapacity: true)
                extraKeyEnds.removeAll(keepingCapacity: true)
                manyExtraKeys.removeAll()
            }
        }
        let objectNumber = self.objectNumber
        let setInObject = self.setInObject
        return { (buf: UnsafeBufferPointer<UInt8>) -> String? in
            var i = range.lowerBound
            let end = range.upperBound
            func skipSpace() { while i < end && (buf[i] == 0x20 || buf[i] == 0x09 || buf[i] == 0x0D) { i += 1 } }
            skipSpace()
            guard i < end && buf[i] == 0x7B else { return "invalid JSON: a line must hold one object ({…})" }
            i += 1
            skipSpace()
            if i < end && buf[i] == 0x7D { i += 1; skipSpace(); return i == end ? nil : "invalid JSON: text after the object" }
            var fieldIndex = 0
            while true {
                skipSpace()
                guard i < end && buf[i] == 0x22 else { return "invalid JSON: expected a quoted key" }
                key.removeAll(keepingCapacity: true)
                if let problem = parseString(buf, &i, end, into: &key) { return problem }
                skipSpace()
                guard i < end && buf[i] == 0x3A else { return "invalid JSON: expected ':' after a key" }
                i += 1
                skipSpace()
                guard i < end else { return "invalid JSON: a key has no value" }
                let valueStart = record.bytes.count
                let b = buf[i]
                if b == 0x22 {
                    if let problem = parseString(buf, &i, end, into: &record.bytes) { return problem }
                } else if b == 0x7B || b == 0x5B {
                    return "nested objects and arrays are not table values (key \(InputError.name(String(decoding: key, as: UTF8.self))))"
                } else {
                    let start = i
                    while i < end && buf[i] != 0x2C && buf[i] != 0x7D && buf[i] != 0x20 && buf[i] != 0x09 && buf[i] != 0x0D { i += 1 }
                    let token = UnsafeBufferPointer(rebasing: buf[start..<i])
                    if token.elementsEqual("null".utf8) {
                        // A missing value: an empty field.
                    } else if token.elementsEqual("true".utf8) || token.elementsEqual("false".utf8) || isJSONNumber(token) {
                        record.bytes.append(contentsOf: token)
                    } else {
                        return "invalid JSON: \(InputError.quoted(String(decoding: token, as: UTF8.self))) is not a JSON value"
                    }
                }
                let value = valueStart..<record.bytes.count
                if discovering {
                    if !discoveredKeys.insert(key).inserted { return duplicateKey() }
                    keys.append(key)
                    record.appendField(value.lowerBound, value.upperBound)
                } else if let column = columnIndex(guess: fieldIndex) {
                    if setInObject[column] == objectNumber { return duplicateKey() }
                    setInObject[column] = objectNumber
                    record.setField(column, value)
                } else {
                    if !insertExtraKey() { return duplicateKey() }
                }
                fieldIndex += 1
                skipSpace()
                guard i < end else { return "invalid JSON: the object is not closed" }
                if buf[i] == 0x2C { i += 1; continue }
                if buf[i] == 0x7D {
                    i += 1
                    skipSpace()
                    return i == end ? nil : "invalid JSON: text after the object"
                }
                return "invalid JSON: expected ',' or '}' after a value"
            }
        }(input.bytes)
    }

    /// Notes the current `key` as met outside the header; false when it already was.
    private func insertExtraKey() -> Bool {
        if extraKeyEnds.count >= 32 {
            if manyExtraKeys.isEmpty {
                var start = 0
                for end in extraKeyEnds { manyExtraKeys.insert(Array(extraKeyBytes[start..<end])); start = end }
            }
            guard manyExtraKeys.insert(key).inserted else { return false }
        } else {
            var start = 0
            for end in extraKeyEnds {
                if extraKeyBytes[start..<end].elementsEqual(key) { return false }
                start = end
            }
        }
        extraKeyBytes += key
        extraKeyEnds.append(extraKeyBytes.count)
        return true
    }

    /// The problem of an object that gives the current `key` twice.
    private func duplicateKey() -> String {
        "the key \(InputError.name(String(decoding: key, as: UTF8.self))) appears twice in the object; each key may appear once"
    }

    /// The header column of the current `key`, trying the position it had in the first object first.
    private func columnIndex(guess: Int) -> Int? {
        if guess < headerKeys.count && headerKeys[guess] == key { return guess }
        if headerIndex.isEmpty { for (i, k) in headerKeys.enumerated() { headerIndex[k] = i } }
        return headerIndex[key]
    }

    private func isJSONNumber(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !t.isEmpty else { return false }
        if case .value = DecimalParser.parse(t) { return true }
        return false
    }

    /// Parses a JSON string starting at the opening quote, appending its UTF-8 to `out`.
    private func parseString(_ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int, into out: inout [UInt8]) -> String? {
        i += 1
        while i < end {
            let b = buf[i]
            if b == 0x22 { i += 1; return nil }
            if b < 0x20 {
                return b == 0 ? "invalid JSON: a raw NUL byte inside a string" : "invalid JSON: a raw control character (\\u{\(String(b, radix: 16))}) inside a string; JSON needs it escaped"
            }
            if b != 0x5C { out.append(b); i += 1; continue }
            i += 1
            guard i < end else { break }
            let e = buf[i]
            i += 1
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard var scalar = hex4(buf, &i, end) else { return "invalid JSON: a bad \\u escape" }
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < end, buf[i] == 0x5C, buf[i + 1] == 0x75 else { return "invalid JSON: an unpaired surrogate" }
                    i += 2
                    guard let low = hex4(buf, &i, end), low >= 0xDC00 && low < 0xE000 else { return "invalid JSON: an unpaired surrogate" }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    return "invalid JSON: an unpaired surrogate"
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default:
                return "invalid JSON: an unknown escape \\\(String(decoding: [e], as: UTF8.self))"
            }
        }
        return "invalid JSON: a string is not closed"
    }

    private func hex4(_ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) -> UInt32? {
        guard i + 4 <= end else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}
