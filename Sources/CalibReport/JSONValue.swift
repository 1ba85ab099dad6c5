/// A JSON document with object keys kept in the order they were written, so
/// that the same report always serialises to the same bytes.
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case integer(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }
    public func hash(into hasher: inout Hasher) { hasher.combine(serialized()) }

    /// A number, or `null` when it is not finite (SPEC section 5).
    public static func finite(_ x: Double?) -> JSONValue {
        guard let x, x.isFinite else { return .null }
        return .number(x)
    }

    /// `s` as a JSON string literal, escaped as every report writes strings
    /// (for files calib writes by hand, such as the calibrator file).
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        writeString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Pretty-printed with two-space indentation and a final newline. Written
    /// as UTF-8 bytes into one buffer, turned into a `String` once (a report's
    /// thousands of small `String` appends cost more than the audit of a
    /// small file).
    public func serialized() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        write(to: &out, indent: 0)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(to out: inout [UInt8], indent: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .integer(i): out.append(contentsOf: String(i).utf8)
        case let .number(x): out.append(contentsOf: JSONValue.numberText(x).utf8)
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            if items.count <= 32 && items.allSatisfy(\.isScalar) {
                out.append(UInt8(ascii: "["))
                for (i, item) in items.enumerated() {
                    if i > 0 { out.append(contentsOf: ", ".utf8) }
                    item.write(to: &out, indent: indent)
                }
                out.append(UInt8(ascii: "]"))
                return
            }
            out.append(contentsOf: "[\n".utf8)
            for (i, item) in items.enumerated() {
                JSONValue.writeIndent(indent + 1, to: &out)
                item.write(to: &out, indent: indent + 1)
                if i + 1 < items.count { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            JSONValue.writeIndent(indent, to: &out)
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            if members.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(contentsOf: "{\n".utf8)
            for (i, (key, value)) in members.enumerated() {
                JSONValue.writeIndent(indent + 1, to: &out)
                JSONValue.writeString(key, to: &out)
                out.append(contentsOf: ": ".utf8)
                value.write(to: &out, indent: indent + 1)
                if i + 1 < members.count { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            JSONValue.writeIndent(indent, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Two spaces a level.
    private static func writeIndent(_ level: Int, to out: inout [UInt8]) {
        for _ in 0..<(2 * level) { out.append(0x20) }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    /// The shortest text that reads back as the same Double; integral values
    /// below 2^53 without a fraction part. Non-finite values are `null`.
    static func numberText(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        if x == x.rounded() && Swift.abs(x) < 9_007_199_254_740_992 { return String(Int(x)) }
        return x.description
    }

    /// A JSON string literal. Besides what JSON requires (quote, backslash,
    /// C0 controls), every scalar ``TextEscaping/isHostile(_:)`` names (DEL, C1
    /// controls, bidi overrides, line separators, noncharacters) is written as
    /// `\uXXXX` (a surrogate pair above U+FFFF), so a report printed to a
    /// terminal carries no escape sequence while parsers read the exact value back.
    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Printable ASCII other than the quote and the backslash goes as it is (every key, most values).
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        func unit(_ u: UInt32) {
            let hex = String(u, radix: 16)
            out.append(contentsOf: "\\u".utf8)
            for _ in 0..<(4 - hex.utf8.count) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: hex.utf8)
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "\n": out.append(contentsOf: "\\n".utf8)
            case "\r": out.append(contentsOf: "\\r".utf8)
            case "\t": out.append(contentsOf: "\\t".utf8)
            default:
                if TextEscaping.isHostile(scalar) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        unit(0xD800 + (v >> 10)); unit(0xDC00 + (v & 0x3FF))
                    } else {
                        unit(scalar.value)
                    }
                } else {
                    out.append(contentsOf: UTF8.encode(scalar)!)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
