import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// Writes `content` to a fresh temporary file with the given name and returns its path.
func temporaryFile(_ name: String, _ content: String) throws -> String {
    try temporaryFile(name, Data(content.utf8))
}

func temporaryFile(_ name: String, _ data: Data) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("calib-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try data.write(to: url)
    return url.path
}

/// Reads every row of a file into one table.
func readAll(_ path: String, _ options: ReadOptions = ReadOptions()) throws -> (PredictionTable, PredictionReader) {
    let reader = try PredictionReader(location: .file(path), options: options)
    var all = PredictionTable(shape: reader.shape)
    var chunk = PredictionTable(shape: reader.shape)
    while try reader.nextChunk(into: &chunk) {
        for i in 0..<chunk.count {
            let k = chunk.shape.scoresPerRow
            all.append(label: Int(chunk.labels[i]), scores: chunk.scores[(i * k)..<((i + 1) * k)], weight: chunk.weights[i], line: chunk.lines[i], id: chunk.id(at: i))
        }
    }
    return (all, reader)
}

@Suite("CSV, TSV and JSON Lines reading")
struct ReaderTests {
    @Test("RFC 4180: quoted fields with commas, doubled quotes and line breaks; line numbers follow the file")
    func quoting() throws {
        let path = try temporaryFile("q.csv", "id,label,prob\n\"a,1\",1,0.9\n\"b \"\"quoted\"\"\",0,\".25\"\n\"multi\nline\",1,0.6\nlast,0,0.1\n")
        let (table, _) = try readAll(path, { var o = ReadOptions(); o.id = "id"; return o }())
        #expect(table.ids == ["a,1", "b \"quoted\"", "multi\nline", "last"])
        #expect(table.scores == [0.9, 0.25, 0.6, 0.1])
        #expect(table.lines == [2, 3, 4, 6])
    }

    /// A line ending, named.
    struct LineEnding: CustomTestStringConvertible, Sendable {
        let name: String
        let ending: String
        var testDescription: String { name }
    }

    @Test("CRLF, lone CR, a byte-order mark, blank lines and no final newline", arguments: [
        LineEnding(name: "CRLF", ending: "\r\n"), LineEnding(name: "LF", ending: "\n"), LineEnding(name: "lone CR", ending: "\r"),
    ])
    func lineEndings(c: LineEnding) throws {
        let ending = c.ending
        let text = "\u{FEFF}label,prob" + ending + "1,0.8" + ending + ending + "0,0.3" + ending + "1,0.55"
        let (table, reader) = try readAll(try temporaryFile("e.csv", text))
        #expect(reader.header == ["label", "prob"])
        #expect(table.scores == [0.8, 0.3, 0.55])
        #expect(table.lines == [2, 4, 5])
    }

    @Test("TSV by extension, gzip by magic bytes")
    func tsvAndGzip() throws {
        let text = "y\tscore\n0\t0.2\n1\t0.7\n"
        let (tsv, _) = try readAll(try temporaryFile("t.tsv", text))
        #expect(tsv.scores == [0.2, 0.7])
        let plain = try temporaryFile("g.tsv", text)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -n -c '\(plain)' > '\(plain).gz'"]
        try gzip.run(); gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        let (gz, _) = try readAll(plain + ".gz")
        #expect(gz.scores == [0.2, 0.7])
        #expect(gz.labels == [0, 1])
    }

    @Test("a truncated gzip file is a data error, not silently short")
    func truncatedGzip() throws {
        var rng = SeededGenerator(seed: 3)
        let rows = (0..<20_000).map { "\($0 % 2),\(Double.random(in: 0...1, using: &rng))\n" }.joined()
        let plain = try temporaryFile("big.csv", "label,prob\n" + rows)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -n -c '\(plain)' > '\(plain).full.gz' && head -c $(( $(wc -c < '\(plain).full.gz') / 2 )) '\(plain).full.gz' > '\(plain).gz'"]
        try gzip.run(); gzip.waitUntilExit()
        #expect(throws: InputError.self) { _ = try readAll(plain + ".gz") }
    }

    @Test("JSON Lines: strings, numbers, escapes, null and missing keys")
    func jsonLines() throws {
        let text = """
            {"id": "a\\"1", "label": "spam", "p_spam": 0.9}
            {"label": "ham", "id": "b\\u00e9", "p_spam": 1e-3}

            {"id": "c", "label": "spam", "p_spam": "0.7", "extra": [1, 2]}
            """
        var options = ReadOptions()
        options.onInvalid = .skip
        let (table, reader) = try readAll(try temporaryFile("j.jsonl", text), options)
        #expect(table.ids == ["a\"1", "bé"])
        #expect(table.scores == [0.9, 0.001])
        #expect(reader.classNames == ["ham", "spam"])
        #expect(reader.skipped.total == 1)
        #expect(reader.skipped.reasons.first?.code == "malformed-record")
        #expect(reader.skipped.reasons.first?.examples.first?.line == 4)
    }

    @Test("a chunk boundary can fall anywhere without changing the rows")
    func chunkBoundaries() throws {
        var text = "label,prob,id\n"
        for i in 0..<1000 { text += "\(i % 2),\(Double(i % 97) / 97),\"id\r\n\(i)\"\r\n" }
        let path = try temporaryFile("c.csv", text)
        var small = ReadOptions(); small.chunkRows = 7; small.id = "id"
        var large = ReadOptions(); large.chunkRows = 100_000; large.id = "id"
        let (a, _) = try readAll(path, small)
        let (b, _) = try readAll(path, large)
        #expect(a.count == 1000)
        #expect(a.scores == b.scores && a.labels == b.labels && a.lines == b.lines && a.ids == b.ids)
        #expect(a.lines[1] == 4)
    }

    @Test("decimal parsing equals Double(String) on random and edge-case spellings")
    func decimalParsing() {
        var rng = SeededGenerator(seed: 99)
        var cases = ["0", "1", ".5", "5.", "+0.25", "-0.0", "1e-3", "1E+3", "4.9406564584124654e-324", "2.2250738585072014e-308",
                     "0.30000000000000004", "123456789012345678901234567890", "0.1234567890123456789", "  0.5 ", "1e-400"]
        for _ in 0..<20_000 {
            let x = Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &rng))
            cases.append(x.description)
            cases.append(String(Double.random(in: 0...1, using: &rng)))
        }
        for text in cases {
            let outcome = Array(text.utf8).withUnsafeBufferPointer { DecimalParser.parse($0) }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            #expect(outcome == .value(Double(trimmed)!), "\(text)")
        }
    }

    @Test("non-decimal spellings are rejected", arguments: [
        ("abc", DecimalParser.Outcome.notANumber), ("0x1p3", .notANumber), ("1e", .notANumber), (".", .notANumber),
        ("1.2.3", .notANumber), ("- 1", .notANumber), ("NaN", .notFinite), ("-inf", .notFinite),
        ("Infinity", .notFinite), ("1e999", .notFinite), ("", .empty), ("   ", .empty),
    ])
    func decimalRejects(text: String, outcome: DecimalParser.Outcome) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { DecimalParser.parse($0) } == outcome)
    }
}

@Suite("Column roles and classes")
struct ColumnRoleTests {
    /// A binary file, the --positive given (if any), and the classes read, positive last.
    struct Positive: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let positive: String?
        let classes: [String]
        var testDescription: String { name }
    }

    @Test("the positive class comes from --positive, the column name, or a known pair", arguments: [
        Positive(name: "the known pair 0/1", text: "label,prob\n0,0.2\n1,0.8\n", positive: nil, classes: ["0", "1"]),
        Positive(name: "the known pair False/True", text: "label,prob\nFalse,0.2\nTrue,0.8\n", positive: nil, classes: ["False", "True"]),
        Positive(name: "the known pair no/yes, yes first", text: "label,prob\nyes,0.2\nno,0.8\n", positive: nil, classes: ["no", "yes"]),
        Positive(name: "the column name p_fraud", text: "label,p_fraud\nlegit,0.2\nfraud,0.8\n", positive: nil, classes: ["legit", "fraud"]),
        Positive(name: "--positive spam", text: "label,prob\nham,0.2\nspam,0.8\n", positive: "spam", classes: ["ham", "spam"]),
        Positive(name: "--positive 1.0", text: "label,prob\n1.0,0.2\n0.0,0.8\n", positive: "1.0", classes: ["0.0", "1.0"]),
    ])
    func positiveClass(c: Positive) throws {
        var options = ReadOptions()
        options.positive = c.positive
        let (_, reader) = try readAll(try temporaryFile("p.csv", c.text), options)
        #expect(reader.classNames == c.classes)
    }

    @Test("labels that are no known pair, with no --positive, are a usage error")
    func ambiguousPositive() throws {
        let path = try temporaryFile("a.csv", "label,prob\nham,0.2\nspam,0.8\n")
        let error = try #require(throws: InputError.self) { _ = try readAll(path) }
        #expect(error.kind == .usage)
        #expect(error.description.contains("--positive"))
    }

    @Test("multiclass: class names from column suffixes, labels as names or (with --classes) indices")
    func multiclass() throws {
        let text = "target,proba_cat,proba_dog,proba_bird\ncat,0.7,0.2,0.1\n2,0.1,0.1,0.8\n"
        var options = ReadOptions()
        options.classes = ["cat", "dog", "bird"]
        let (table, reader) = try readAll(try temporaryFile("m.csv", text), options)
        #expect(reader.shape.classCount == 3)
        #expect(table.labels == [0, 2])
    }

    @Test("two per-class columns are read as one binary score for the positive class")
    func twoColumnsAreBinary() throws {
        let (probs, r1) = try readAll(try temporaryFile("b.csv", "label,p_0,p_1\n0,0.75,0.25\n1,0.1,0.9\n"))
        #expect(r1.shape.task == .binary && probs.scores == [0.25, 0.9])
        let (logits, r2) = try readAll(try temporaryFile("l.csv", "label,logit_no,logit_yes\nno,1.5,0.5\n"))
        #expect(r2.shape.scoreKind == .logits && logits.scores == [-1.0])
    }

    @Test("several candidate columns for one role are a usage error naming them")
    func ambiguousColumns() throws {
        let path = try temporaryFile("x.csv", "label,prob,score\n1,0.2,0.3\n")
        let error = try #require(throws: InputError.self) { _ = try readAll(path) }
        #expect(error.kind == .usage && error.description.contains("'prob'") && error.description.contains("'score'"))
    }
}

@Suite("Decimal parsing exactness")
struct DecimalExactnessTests {
    static func ours(_ text: String) -> DecimalParser.Outcome {
        Array(text.utf8).withUnsafeBufferPointer { DecimalParser.parse($0) }
    }

    @Test("random bit patterns, 17 significant digits and random digit strings equal Double(String)", arguments: [UInt64(11), 12, 13, 14])
    func randomStrings(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var mismatches: [String] = []
        for _ in 0..<100_000 {
            let x = Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &rng))
            var texts = [x.description, String(format: "%.17g", x), String(format: "%.17e", Double.random(in: 0...1, using: &rng))]
            // A random decimal: 1–25 digits, a point somewhere, an exponent sometimes.
            let length = Int.random(in: 1...25, using: &rng)
            var digits = String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            if Bool.random(using: &rng) { digits.insert(".", at: digits.index(digits.startIndex, offsetBy: Int.random(in: 0...length, using: &rng))) }
            if digits == "." { digits = "0." }
            if Bool.random(using: &rng) { digits += "e\(Int.random(in: -340...310, using: &rng))" }
            texts.append(digits)
            for text in texts {
                guard let expected = Double(text) else { continue }
                let outcome = Self.ours(text)
                if expected.isFinite {
                    if case let .value(v) = outcome, v.bitPattern == expected.bitPattern { continue }
                } else if outcome == .notFinite {
                    continue
                }
                mismatches.append(text)
            }
        }
        #expect(mismatches.isEmpty, "seed \(seed): \(mismatches.prefix(5))")
    }

    @Test("edge cases equal Double(String)", arguments: [
        "4.9406564584124654e-324", "2.4703282292062327e-324", "2.2250738585072011e-308", "2.2250738585072014e-308",
        "1.7976931348623157e308", "1.7976931348623158e308", "9007199254740993", "9007199254740992.5", "0.1", "0.30000000000000004",
        "123456789012345678", "1234567890123456789", "12345678901234567890", "0.000000000000000000000000000001",
        "1e22", "1e23", "8.98846567431158e307", "1e-5", "7.0e-10", "00000000000000000000000.5", "+.5", "5.", "1e0", "-0",
        "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
        "9999999999999999999", "99999999999999999999e-20",
    ])
    func edges(text: String) {
        let expected = Double(text)!
        #expect(Self.ours(text) == .value(expected), "\(text)")
        if case let .value(v) = Self.ours(text) { #expect(v.bitPattern == expected.bitPattern, "\(text)") }
    }
}
