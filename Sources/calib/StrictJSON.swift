import CalibInput

/// A small strict JSON parser (RFC 8259) for calib's configuration files,
/// which, unlike JSONSerialization, refuses a key given twice in one object
/// (JSONSerialization keeps the last, so a second `"failOn"` would silently drop
/// gates) and says where each value starts.
///
/// Keys are compared after unescaping, so `"fail\u004fn"` is `"failOn"`. The text
/// must be UTF-8 (a leading byte-order mark is skipped); strings may not hold
/// unescaped control characters or lone surrogates; nesting is limited to 64
/// levels; numbers keep their text. Nothing after the value but white space.
enum StrictJSON {
    /// A parsed value and where it starts (1-based line and column, in characters).
    struct Node {
        indirect enum Value {
            /// Members in file order, each with where its key starts.
            case object([Member])
            case array([Node])
            case string(String)
            /// The number as written (JSON number grammar).
            case number(String)
            case bool(Bool)
            case null
        }

        let value: Value
        let line: Int
        let column: Int
    }

    /// One `"key": value` of an object.
    struct Member {
        let key: String
        let line: Int
        let column: Int
        let node: Node
    }

    /// A syntax error (its reason starts `not valid JSON:`), or a duplicate key, at a position.
    struct SyntaxError: Error {
        let line: Int
        let column: Int
        let reason: String
    }

    static let depthLimit = 64

    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> Node {
        var parser = Parser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3; parser.lineStart = 3 }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw SyntaxError(line: 1, column: 1, reason: "not valid JSON: not UTF-8 text")
        }
        parser.skipSpace()
        let node = try parser.value(depth: 0)
        parser.skipSpace()
        if parser.index < bytes.count { throw parser.error("unexpected text after the JSON value") }
        return node
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// Where the column was last counted, so that counting stays linear
        /// on a long line (positions are asked for in increasing order).
        private var countedIndex = 0
        private var countedColumn = 1

        /// The column of `index`: characters since the line's start, counting
        /// UTF-8 lead bytes only.
        mutating func column() -> Int {
            if countedIndex < lineStart || countedIndex > index { countedIndex = lineStart; countedColumn = 1 }
            for byte in bytes[countedIndex..<index] where byte & 0xC0 != 0x80 { countedColumn += 1 }
            countedIndex = index
            return countedColumn
        }

        mutating func error(_ reason: String) -> SyntaxError {
            SyntaxError(line: line, column: column(), reason: "not valid JSON: " + reason)
        }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0D: index += 1
                case 0x0A: index += 1; line += 1; lineStart = index
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> Node {
            guard index < bytes.count else { throw error("the JSON text ends where a value should be") }
            let (startLine, startColumn) = (line, column())
            func node(_ value: Node.Value) -> Node { Node(value: value, line: startLine, column: startColumn) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard depth < StrictJSON.depthLimit else { throw error("nested more than \(StrictJSON.depthLimit) levels deep") }
                return node(.object(try members(depth: depth + 1)))
            case UInt8(ascii: "["):
                guard depth < StrictJSON.depthLimit else { throw error("nested more than \(StrictJSON.depthLimit) levels deep") }
                return node(.array(try elements(depth: depth + 1)))
            case UInt8(ascii: "\""): return node(.string(try string()))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return node(.number(try number()))
            default:
                for (word, value) in [("true", Node.Value.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return node(value)
                }
                throw error("expected a JSON value")
            }
        }

        mutating func members(depth: Int) throws(SyntaxError) -> [Member] {
            index += 1
            var members: [Member] = []
            var seen: [String: (line: Int, column: Int)] = [:]
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") { index += 1; return members }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key in double quotes") }
                let (keyLine, keyColumn) = (line, column())
                let key = try string()
                if let first = seen[key] {
                    throw SyntaxError(line: keyLine, column: keyColumn,
                                      reason: "the key \(InputError.quoted(key)) is given twice in one object (first at line \(first.line), column \(first.column))")
                }
                seen[key] = (keyLine, keyColumn)
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after the key") }
                index += 1
                skipSpace()
                members.append(Member(key: key, line: keyLine, column: keyColumn, node: try value(depth: depth)))
                skipSpace()
                guard index < bytes.count else { throw error("the JSON text ends inside an object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return members }
                throw error("expected ',' or '}' in an object")
            }
        }

        mutating func elements(depth: Int) throws(SyntaxError) -> [Node] {
            index += 1
            var elements: [Node] = []
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1; return elements }
            while true {
                skipSpace()
                elements.append(try value(depth: depth))
                skipSpace()
                guard index < bytes.count else { throw error("the JSON text ends inside a list") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return elements }
                throw error("expected ',' or ']' in a list")
            }
        }

        /// A string from its opening quote, escapes decoded.
        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run = index
            func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    flush(index)
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    flush(index)
                    index += 1
                    guard index < bytes.count else { break }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code) {
                            guard bytes[index...].starts(with: "\\u".utf8) else { throw error("a lone surrogate in a \\u escape") }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate in a \\u escape") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw error("a lone surrogate in a \\u escape") }
                        scalars.append(scalar)
                    default:
                        index -= 1
                        throw error("an unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string")
                    }
                    run = index
                case 0..<0x20:
                    throw error("a control character inside a string (write it as an escape)")
                default:
                    index += 1
                }
            }
            throw error("the JSON text ends inside a string")
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("a \\u escape needs four hex digits") }
            var code: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                guard let digit = hexValue(byte) else { throw error("a \\u escape needs four hex digits") }
                code = code << 4 | digit
            }
            index += 4
            return code
        }

        func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }

        /// A number, by the JSON grammar: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
        mutating func number() throws(SyntaxError) -> String {
            let start = index
            func digits() -> Int {
                let from = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - from
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            guard digits() > 0 else { throw error("a number needs digits") }
            if bytes[integerStart] == UInt8(ascii: "0") && index - integerStart > 1 { throw error("a number may not start with 0") }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw error("a number needs digits after '.'") }
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
                guard digits() > 0 else { throw error("a number needs digits in its exponent") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }
}
