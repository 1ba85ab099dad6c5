import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// What a new user meets first (issue 11, items 9, 12, 13 and 16): the
/// delimiter sniffed from the header, every missing column named at once,
/// UTF-16 named as such, a JSON Lines byte-order mark accepted, duplicate JSON
/// keys refused, and input text in messages cut and escaped.
@Suite("First contact with a file")
struct FirstContactTests {
    static func failure(_ name: String, _ text: String, _ options: ReadOptions = ReadOptions()) throws -> InputError {
        let path = try temporaryFile(name, text)
        let error = try #require(throws: InputError.self) { _ = try readAll(path, options) }
        return error
    }

    static func failure(_ name: String, bytes: [UInt8], _ options: ReadOptions = ReadOptions()) throws -> InputError {
        let path = try temporaryFile(name, Data(bytes))
        let error = try #require(throws: InputError.self) { _ = try readAll(path, options) }
        return error
    }

    // MARK: - Delimiter (item 12)

    /// A file whose header alone decides the delimiter.
    struct Sniffed: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let text: String
        let delimiter: UInt8
        var testDescription: String { name }
    }

    @Test("the header decides the delimiter when the name does not: most fields wins, comma wins ties", arguments: [
        Sniffed(name: "tabs in a .txt file", file: "scores.txt", text: "id\tlabel\tp_spam\na\tham\t0.1\nb\tspam\t0.9\n", delimiter: 0x09),
        Sniffed(name: "semicolons in a .csv file", file: "scores.csv", text: "id;label;p_spam\na;ham;0.1\nb;spam;0.9\n", delimiter: 0x3B),
        Sniffed(name: "pipes in a .csv file", file: "scores.csv", text: "id|label|p_spam\na|ham|0.1\nb|spam|0.9\n", delimiter: 0x7C),
        Sniffed(name: "semicolons and a quoted comma, no extension", file: "scores", text: "\"id,x\";label;p_spam\na;ham;0.1\nb;spam;0.9\n", delimiter: 0x3B),
        Sniffed(name: "comma wins a tie with semicolons", file: "scores.csv", text: "y,prob,a;b;c\n0,0.1,x\n1,0.9,x\n", delimiter: 0x2C),
        Sniffed(name: "tabs after a byte-order mark", file: "scores.csv", text: "\u{FEFF}label\tprob\n0\t0.1\n1\t0.9\n", delimiter: 0x09),
    ])
    func sniffed(c: Sniffed) throws {
        let (table, reader) = try readAll(try temporaryFile(c.file, c.text))
        #expect(reader.options.delimiter == c.delimiter)
        #expect(table.count == 2)
    }

    @Test("--delimiter, --input-format and a .tsv name settle the delimiter: no sniffing", arguments: [
        ("a.tsv", nil as ReadOptions.Format?, nil as UInt8?, UInt8(0x09)),
        ("a.csv", .csv, nil, 0x2C),
        ("a.csv", .tsv, nil, 0x09),
        ("a.csv", nil, 0x3B, 0x3B),
        ("a.txt", nil, nil, nil),
    ])
    func settled(name: String, format: ReadOptions.Format?, given: UInt8?, expected: UInt8?) {
        var options = ReadOptions()
        options.format = format
        options.delimiter = given
        #expect(PredictionReader.givenDelimiter(options, location: .file(name)) == expected)
    }

    @Test("the delimiter is sniffed from standard input too, and blocks use the sniffed delimiter")
    func sniffedBlocks() throws {
        let rows = (0..<5_000).map { "\($0 % 2);0.\($0 % 10)" }.joined(separator: "\n")
        var options = ReadOptions()
        options.blockBytes = 4096
        let outcome = try InputAudit.audit(.bytes(Array("label;prob\n\(rows)\n".utf8), name: "<stdin>"), options: options)
        #expect(outcome.input.rows == 5_000)
    }

    /// A header read with the wrong delimiter, and the start of the hint naming the right one.
    struct DelimiterHint: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let text: String
        let hint: String
        var testDescription: String { name }
    }

    @Test("a header field holding a tab, semicolon or pipe is named in the hint with --delimiter", arguments: [
        DelimiterHint(name: "semicolons in a .tsv file", file: "x.tsv", text: "id;label;p_spam\na;ham;0.1\n",
                      hint: "the header field 'id;label;p_spam' holds a semicolon: if the file is separated by semicolons, pass --delimiter ';'"),
        DelimiterHint(name: "a pipe in a .csv file", file: "x.csv", text: "id,label|p_spam\na,ham|0.1\n",
                      hint: "the header field 'label|p_spam' holds a pipe: if the file is separated by pipes, pass --delimiter '|'"),
        DelimiterHint(name: "commas in a .tsv file", file: "x.tsv", text: "id,label,p_spam\na,ham,0.1\n",
                      hint: "the header field 'id,label,p_spam' holds a comma: if the file is separated by commas, pass --delimiter ,"),
    ])
    func delimiterHint(c: DelimiterHint) throws {
        let (name, text, hint) = (c.file, c.text, c.hint)
        let error = try Self.failure(name, text)
        #expect(error.exitCode == 65)
        #expect(error.hint?.hasPrefix(hint + "; otherwise name the label column with --label COL") == true, "\(error.hint ?? "")")
    }

    @Test("a tab-separated header read as CSV by --input-format csv names the tab and --delimiter tab")
    func tabHint() throws {
        var options = ReadOptions()
        options.format = .csv
        let error = try Self.failure("x.csv", "id\tlabel\tp_spam\na\tham\t0.1\n", options)
        #expect(error.hint?.hasPrefix("the header field 'id\\tlabel\\tp_spam' holds a tab: if the file is separated by tabs, pass --delimiter tab") == true)
    }

    // MARK: - Missing columns (item 13)

    struct Missing: Sendable, CustomStringConvertible {
        let description: String
        let text: String
        let label: String?
        let prob: [String]?
        let weight: String?
        let group: String?
        let reason: String
        let hint: String
    }

    static let labelNames = "(none of 'label', 'y', 'y_true', 'target', 'class', 'actual')"
    static let scoreNames = "(none of 'prob', 'probability', 'p', 'score', 'y_prob', 'y_score', 'pred', 'prediction', 'logit', nor per-class columns p_<class>, prob_<class>, proba_<class> or logit_<class>)"
    static let missingCases = [
        Missing(description: "label and score renamed", text: "truth,confidence\n1,0.5\n", label: nil, prob: nil, weight: nil, group: nil,
                reason: "no label column \(labelNames); no score column \(scoreNames); the header's columns: 'truth', 'confidence'",
                hint: "name the label column with --label COL; name the score column, or one per class, with --prob COL[,COL…]"),
        Missing(description: "label only", text: "truth,prob\n1,0.5\n", label: nil, prob: nil, weight: nil, group: nil,
                reason: "no label column \(labelNames); the header's columns: 'truth', 'prob'",
                hint: "name the label column with --label COL"),
        Missing(description: "score only", text: "label,other\n1,0.5\n", label: nil, prob: nil, weight: nil, group: nil,
                reason: "no score column \(scoreNames); the header's columns: 'label', 'other'",
                hint: "name the score column, or one per class, with --prob COL[,COL…]"),
        Missing(description: "flags naming absent columns", text: "label,prob\n1,0.5\n", label: "truth", prob: ["p", "q"], weight: "w", group: "country",
                reason: "no column 'truth' (given by --label); no column 'p' (given by --prob); no column 'q' (given by --prob); no column 'w' (given by --weight); no column 'country' (given by --group); the header's columns: 'label', 'prob'",
                hint: "check the spelling of --label; check the spelling of --prob; check the spelling of --weight; check the spelling of --group"),
        Missing(description: "label renamed, group misspelt", text: "truth,prob,Country\n1,0.5,fr\n", label: nil, prob: nil, weight: nil, group: "countries",
                reason: "no label column \(labelNames); no column 'countries' (given by --group); the header's columns: 'truth', 'prob', 'Country'",
                hint: "name the label column with --label COL; check the spelling of --group"),
    ]

    @Test("every missing column is reported at once (exit 65, line 1) with the header's columns; the flags go in the hint", arguments: missingCases)
    func missingColumns(c: Missing) throws {
        var options = ReadOptions()
        options.label = c.label
        options.scoreColumns = c.prob
        options.weight = c.weight
        options.group = c.group
        let error = try Self.failure("r.csv", c.text, options)
        #expect(error.exitCode == 65)
        #expect(error.line == 1)
        #expect(error.reason == c.reason)
        #expect(error.hint == c.hint)
    }

    // MARK: - Encodings (item 16)

    static func utf16(_ text: String, bigEndian: Bool, bom: Bool) -> [UInt8] {
        var out: [UInt8] = bom ? (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]) : []
        for unit in text.utf16 { out += bigEndian ? [UInt8(unit >> 8), UInt8(unit & 0xFF)] : [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        return out
    }

    @Test("UTF-16 and UTF-32 input is named, with an iconv command as the hint", arguments: [
        ("u.csv", utf16("label,prob\n1,0.5\n", bigEndian: false, bom: true), "UTF-16 (little-endian, byte-order mark FF FE)", "iconv -f UTF-16 -t UTF-8 "),
        ("u.csv", utf16("label,prob\n1,0.5\n", bigEndian: true, bom: true), "UTF-16 (big-endian, byte-order mark FE FF)", "iconv -f UTF-16 -t UTF-8 "),
        ("u.tsv", utf16("label\tprob\n1\t0.5\n", bigEndian: false, bom: false), "UTF-16 (little-endian, no byte-order mark: every other byte is NUL)", "iconv -f UTF-16LE -t UTF-8 "),
        ("u.csv", utf16("label,prob\n1,0.5\n", bigEndian: true, bom: false), "UTF-16 (big-endian, no byte-order mark: every other byte is NUL)", "iconv -f UTF-16BE -t UTF-8 "),
        ("u.jsonl", utf16("{\"label\": 1, \"prob\": 0.5}\n", bigEndian: false, bom: true), "UTF-16 (little-endian, byte-order mark FF FE)", "iconv -f UTF-16 -t UTF-8 "),
        ("u.csv", [0xFF, 0xFE, 0, 0, 0x6C, 0, 0, 0], "UTF-32 (little-endian, byte-order mark FF FE 00 00)", "iconv -f UTF-32 -t UTF-8 "),
    ])
    func utf16Named(name: String, bytes: [UInt8], encoding: String, command: String) throws {
        let error = try Self.failure(name, bytes: bytes)
        #expect(error.exitCode == 65)
        #expect(error.reason == "the file is \(encoding) text; calib reads UTF-8")
        #expect(error.hint?.hasPrefix("convert it to UTF-8 first: " + command) == true, "\(error.hint ?? "")")
        #expect(error.hint?.hasSuffix(name.replacingOccurrences(of: ".", with: ".utf8.")) == true, "\(error.hint ?? "")")
    }

    @Test("a JSON Lines file may start with a UTF-8 byte-order mark, as a CSV file may")
    func jsonBOM() throws {
        let (table, reader) = try readAll(try temporaryFile("b.jsonl", "\u{FEFF}{\"label\": 1, \"prob\": 0.5}\n{\"label\": 0, \"prob\": 0.2}\n"))
        #expect(reader.header == ["label", "prob"])
        #expect(table.lines == [1, 2])
    }

    // MARK: - Duplicate JSON keys (item 9)

    /// A JSON Lines text with a key given twice, and the line and reason of the error.
    struct DuplicateKey: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let line: Int
        let reason: String
        var testDescription: String { name }
    }

    @Test("a key given twice in a JSON Lines object is a malformed record naming line and key", arguments: [
        DuplicateKey(name: "label twice in the first object", text: "{\"label\": 1, \"prob\": 0.5, \"label\": 0}\n", line: 1,
                     reason: "cannot read the first object: the key 'label' appears twice in the object; each key may appear once"),
        DuplicateKey(name: "prob twice in the second object", text: "{\"label\": 1, \"prob\": 0.5}\n{\"label\": 0, \"prob\": 0.2, \"prob\": 0.9}\n", line: 2,
                     reason: "the key 'prob' appears twice in the object; each key may appear once"),
        DuplicateKey(name: "prob twice around label", text: "{\"label\": 1, \"prob\": 0.5}\n{\"prob\": 0.2, \"label\": 0, \"prob\": 0.9}\n", line: 2,
                     reason: "the key 'prob' appears twice in the object; each key may appear once"),
        DuplicateKey(name: "a key outside the header twice", text: "{\"label\": 1, \"prob\": 0.5}\n{\"label\": 0, \"note\": \"a\", \"prob\": 0.2, \"note\": \"b\"}\n", line: 2,
                     reason: "the key 'note' appears twice in the object; each key may appear once"),
    ])
    func duplicateKeys(c: DuplicateKey) throws {
        let error = try Self.failure("d.jsonl", c.text)
        #expect(error.exitCode == 65)
        #expect(error.line == c.line)
        #expect(error.reason == c.reason)
    }

    @Test("duplicates among many keys outside the header are found too (and distinct ones pass)", arguments: [nil, 3, 35, 79] as [Int?])
    func manyExtraKeys(repeated: Int?) throws {
        var extras = (0..<80).map { "\"x\($0)\": \($0)" }
        if let repeated { extras.append("\"x\(repeated)\": 0") }
        let text = "{\"label\": 1, \"prob\": 0.5}\n{\"label\": 0, \"prob\": 0.2, \(extras.joined(separator: ", "))}\n"
        if let repeated {
            let error = try Self.failure("m.jsonl", text)
            #expect(error.line == 2 && error.reason == "the key 'x\(repeated)' appears twice in the object; each key may appear once")
        } else {
            let (table, _) = try readAll(try temporaryFile("m.jsonl", text))
            #expect(table.count == 2)
        }
    }

    @Test("with --on-invalid skip an object with a duplicate key is skipped as malformed-record")
    func duplicateKeySkipped() throws {
        var options = ReadOptions()
        options.onInvalid = .skip
        let text = "{\"label\": 1, \"prob\": 0.5}\n{\"label\": 0, \"label\": 1, \"prob\": 0.2}\n{\"label\": 0, \"prob\": 0.1}\n"
        let (table, reader) = try readAll(try temporaryFile("d.jsonl", text), options)
        #expect(table.lines == [1, 3])
        #expect(reader.skipped.reasons.map(\.code) == ["malformed-record"])
    }

    // MARK: - Long or hostile names in messages (item 16)

    @Test("names from the input are cut at 60 characters and escaped in every message", arguments: [
        "column", "class", "positive",
    ])
    func longNames(place: String) throws {
        let long = String(repeating: "x", count: 900_000) + "\u{1B}]0;pwned\u{7}"
        var options = ReadOptions()
        let error: InputError
        switch place {
        case "column":
            error = try Self.failure("n.csv", "label,\(long)\n1,0.5\n")
        case "class":
            error = try Self.failure("n.csv", "label,p_\(long),p_b,p_c\nz,0.2,0.3,0.5\n")
        default:
            options.positive = long
            error = try Self.failure("n.csv", "label,p_a,p_b,p_c\na,0.2,0.3,0.5\n", options)
        }
        let shown = error.description + (error.hint ?? "")
        #expect(shown.count < 1_000, "\(shown.count) characters")
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 }, "no raw control character")
        #expect(shown.contains("'" + String(repeating: "x", count: 60) + "…'") || shown.contains("'p_" + String(repeating: "x", count: 58) + "…'"), "\(shown)")
    }

    /// A name holding a control character, and how messages show it.
    struct ControlName: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let shown: String
        var testDescription: String { name }
    }

    @Test("control characters in names and file names are escaped", arguments: [
        ControlName(name: "line feed", text: "a\nb", shown: "'a\\nb'"),
        ControlName(name: "ESC [31m", text: "\u{1B}[31m", shown: "'\\u{1b}[31m'"),
        ControlName(name: "apostrophe", text: "it's", shown: "'it\\'s'"),
        ControlName(name: "bidi override U+202E", text: "\u{202E}txt", shown: "'\\u{202e}txt'"),
        ControlName(name: "C1 next line U+0085", text: "\u{85}", shown: "'\\u{85}'"),
    ])
    func escapedNames(c: ControlName) {
        let (name, shown) = (c.text, c.shown)
        #expect(InputError.name(name) == shown)
        let error = InputError(.data, file: "x\(name).csv", line: 2, column: name, reason: "r")
        #expect(!error.description.unicodeScalars.contains { InputError.isControl($0) })
    }
}
