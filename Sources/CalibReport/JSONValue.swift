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
        var out = ""
        writeString(s, to: &out)
        return out
    }

    /// Pretty-printed with two-space indentation and a final newline.
    public func serialized() -> String {
        var out = ""
        write(to: &out, indent: 0)
        out += "\n"
        return out
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .integer(i): out += String(i)
        case let .number(x): out += JSONValue.numberText(x)
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            if items.allSatisfy(\.isScalar) && items.count <= 32 {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(to: &out, indent: indent)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: "  ", count: indent + 1)
                item.write(to: &out, indent: indent + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += String(repeating: "  ", count: indent + 1)
                JSONValue.writeString(key, to: &out)
                out += ": "
                value.write(to: &out, indent: indent + 1)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        }
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
    static func writeString(_ s: String, to out: inout String) {
        func unit(_ u: UInt32) {
            let hex = String(u, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if TextEscaping.isHostile(scalar) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        unit(0xD800 + (v >> 10)); unit(0xDC00 + (v & 0x3FF))
                    } else {
                        unit(scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
