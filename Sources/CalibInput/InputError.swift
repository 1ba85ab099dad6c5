/// What went wrong with one row or field; the `code` is what `--on-invalid skip`
/// counts rows by.
public enum RowProblem: Sendable, Hashable {
    case notANumber
    case notFinite
    case probabilityOutOfRange
    case probabilitySum(sum: Double, tolerance: Double)
    case unknownLabel(classes: [String])
    case emptyLabel
    case missingValue
    case fieldCount(expected: Int, found: Int)
    case negativeWeight
    case invalidUTF8
    /// A NUL byte in a label, id, group or number (raw, or `\u0000` in JSON):
    /// C tools would cut the text there, so `1\0zzz` could pass for `1`.
    case nulByte
    case malformedRecord(String)
    /// A soft target (SPEC section 13) outside [0, 1].
    case targetOutOfRange
    /// A row's soft targets summing to more than `--sum-tolerance` away from 1.
    case targetSum(sum: Double, tolerance: Double)

    /// A stable, lowercase key for reports (`skipped[].reason`).
    public var code: String {
        switch self {
        case .notANumber: "not-a-number"
        case .notFinite: "not-finite"
        case .probabilityOutOfRange: "probability-out-of-range"
        case .probabilitySum: "probabilities-do-not-sum-to-one"
        case .unknownLabel: "unknown-label"
        case .emptyLabel: "empty-label"
        case .missingValue: "missing-value"
        case .fieldCount: "wrong-field-count"
        case .negativeWeight: "negative-weight"
        case .invalidUTF8: "invalid-utf8"
        case .nulByte: "nul-byte"
        case .malformedRecord: "malformed-record"
        case .targetOutOfRange: "target-out-of-range"
        case .targetSum: "targets-do-not-sum-to-one"
        }
    }

    /// The sentence after the quoted value, lowercase, as in `"abc" is not a number`.
    public var message: String {
        switch self {
        case .notANumber: "is not a number"
        case .notFinite: "is not a finite number"
        case .probabilityOutOfRange: "is not a probability in [0, 1]"
        case let .probabilitySum(sum, tolerance):
            "class probabilities sum to \(sum), not 1 (tolerance \(tolerance); see --sum-tolerance, or pass --logits if these are logits)"
        case let .unknownLabel(classes):
            "is not one of the classes (\(InputError.list(classes)))"
        case .emptyLabel: "is an empty label"
        case .missingValue: "is missing"
        case let .fieldCount(expected, found): "row has \(found) fields, the header has \(expected)"
        case .negativeWeight: "is not a weight: weights must be finite and not negative"
        case .invalidUTF8: "is not valid UTF-8 text"
        case .nulByte: "holds a NUL byte, which no field may hold"
        case let .malformedRecord(detail): detail
        case .targetOutOfRange: "is not a target probability in [0, 1]"
        case let .targetSum(sum, tolerance): "soft targets sum to \(sum), not 1 (tolerance \(tolerance); see --sum-tolerance)"
        }
    }
}

/// An input problem with its context, printed as
/// `scores.csv:42: column 'p_fraud': "abc" is not a number`.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which sysexits code the problem maps to.
    public enum Kind: Sendable, Hashable {
        /// Bad flags or an ambiguity only a flag can settle (exit 64).
        case usage
        /// Malformed input data (exit 65).
        case data
        /// The input cannot be opened or read (exit 66).
        case noInput
    }

    public let kind: Kind
    public let file: String
    public let line: Int?
    public let column: String?
    public let value: String?
    public let reason: String
    /// What the user can do about it, when there is something to suggest.
    public let hint: String?

    public init(_ kind: Kind, file: String, line: Int? = nil, column: String? = nil, value: String? = nil, reason: String, hint: String? = nil) {
        self.kind = kind; self.file = file; self.line = line
        self.column = column; self.value = value; self.reason = reason; self.hint = hint
    }

    /// A row-level problem (exit 65), skippable with `--on-invalid skip`.
    public init(file: String, line: Int, column: String?, value: String?, problem: RowProblem, hint: String? = nil) {
        self.init(.data, file: file, line: line, column: column, value: value, reason: problem.message, hint: hint)
    }

    public var description: String {
        var text = InputError.controlsEscaped(file)
        if let line { text += ":\(line)" }
        text += ": "
        if let column { text += "column \(InputError.name(column)): " }
        if let value { text += "\(InputError.quoted(value)) " }
        return text + reason
    }

    /// The sysexits code for this kind.
    public var exitCode: Int32 {
        switch kind {
        case .usage: 64
        case .data: 65
        case .noInput: 66
        }
    }

    /// The longest value quoted in a message; longer ones are cut with an ellipsis.
    public static let quotedValueLimit = 60

    /// A value as shown in messages: double-quoted, control characters escaped, cut at ``quotedValueLimit`` characters.
    public static func quoted(_ value: String) -> String {
        "\"" + escaped(value, quote: "\"") + "\""
    }

    /// A name from the input or the command line (a column, class or key) as
    /// shown in messages: single-quoted, escaped and cut like ``quoted(_:)``.
    public static func name(_ name: String) -> String {
        "'" + escaped(name, quote: "'") + "'"
    }

    /// `value` with backslashes, `quote`, control characters (C0, DEL, C1) and
    /// U+FFFD escaped, cut at ``quotedValueLimit`` characters with an ellipsis.
    static func escaped(_ value: String, quote: Unicode.Scalar) -> String {
        var out = ""
        var shown = 0
        for scalar in value.unicodeScalars {
            if shown == quotedValueLimit { out += "…"; break }
            switch scalar {
            case quote: out += "\\"; out.unicodeScalars.append(quote)
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isControl(scalar) || scalar == "\u{FFFD}" {
                    out += scalar == "\u{FFFD}" ? "\\u{FFFD}" : "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            shown += 1
        }
        return out
    }

    /// Characters never printed raw: C0 and C1 controls, DEL, the Unicode line
    /// and paragraph separators and the bidirectional overrides and isolates
    /// (which could make a message read differently from what it says).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// A record beyond the reader's limit: most likely not a table at all.
    static func recordTooLong(file: String, line: Int?, limit: Int) -> InputError {
        InputError(.data, file: file, line: line,
                   reason: "a record longer than \(limit) bytes; is this a CSV, TSV or JSON Lines file?")
    }

    /// A file name as shown in messages: whole, with control characters escaped
    /// (`\n`, `\u{1b}`) so that no line break or terminal escape reaches the output.
    static func controlsEscaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isControl(scalar) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Names as shown in messages (each cut and escaped by ``name(_:)``), at most `limit` of them.
    public static func list(_ names: [String], limit: Int = 12) -> String {
        let shown = names.prefix(limit).map(name).joined(separator: ", ")
        return names.count > limit ? shown + ", … (\(names.count) in all)" : shown
    }
}
