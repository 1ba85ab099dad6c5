import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// A label is a class only when it is that class's spelling (issue 11, items 1
/// and 8): numeric look-alikes of integer class names are unknown labels,
/// never converted to a number (and never a crash), and a NUL byte in any
/// field is an error of its own.
@Suite("Label spellings")
struct LabelSpellingTests {
    /// Spellings of (or near) an integer class that are not its spelling.
    static let lookAlikes = [
        "1.0", "1e0", "+1", "01", "0x1", "0.99999999999999999999", "1e-400", "1e300", "inf", "-inf", "nan",
        "1e19", "-1e19", "9223372036854775808", "-0", " 1", "1 ", "１", "1_0",
    ]

    /// The task shapes whose class names are integers.
    struct Shape: Sendable, CustomStringConvertible {
        let description: String
        let header: String
        let good: String
        let classes: [String]?
        let shownClasses: String
        func row(_ label: String) -> String { header.hasSuffix("prob") ? "\(label),0.8" : "\(label),0.2,0.8" }
    }

    static let shapes = [
        Shape(description: "binary, one score column (known pair 0/1)", header: "label,prob", good: "0,0.3", classes: nil, shownClasses: "('0', '1')"),
        Shape(description: "two per-class columns", header: "label,p_0,p_1", good: "0,0.9,0.1", classes: nil, shownClasses: "('0', '1')"),
        Shape(description: "--classes 0,1", header: "label,a,b", good: "0,0.9,0.1", classes: ["0", "1"], shownClasses: "('0', '1')"),
    ]

    static func read(_ text: String, classes: [String]? = nil, skip: Bool = false, name: String = "l.csv") throws -> (PredictionTable, PredictionReader) {
        var options = ReadOptions()
        options.classes = classes
        if classes != nil && text.hasPrefix("label,a,b") { options.scoreColumns = ["a", "b"] }
        if skip { options.onInvalid = .skip }
        return try readAll(try temporaryFile(name, text), options)
    }

    @Test("a numeric look-alike of an integer class is an unknown label (exit 65, line 3), in every task shape",
          arguments: shapes, lookAlikes)
    func lookAlikeIsUnknown(shape: Shape, label: String) throws {
        let text = "\(shape.header)\n\(shape.good)\n\(shape.row(label))\n"
        let error = try #require(throws: InputError.self) { _ = try Self.read(text, classes: shape.classes) }
        #expect(error.exitCode == 65)
        #expect(error.line == 3)
        #expect(error.reason == "is not one of the classes \(shape.shownClasses)", "\(error)")
        #expect(error.value == label)
    }

    @Test("with --on-invalid skip every look-alike is skipped as unknown-label and only the real classes are kept", arguments: shapes)
    func lookAlikesSkipped(shape: Shape) throws {
        let rows = Self.lookAlikes.map(shape.row).joined(separator: "\n")
        let text = "\(shape.header)\n\(shape.good)\n\(rows)\n\(shape.row("1"))\n"
        let (table, reader) = try Self.read(text, classes: shape.classes, skip: true)
        #expect(table.labels == [0, 1])
        #expect(reader.skipped.total == Self.lookAlikes.count)
        #expect(reader.skipped.reasons.map(\.code) == ["unknown-label"])
    }

    @Test("a first label that is no exact known-pair spelling leaves the positive class undecided (exit 64)",
          arguments: ["1.0", "0.0", "1e0", "+1", "01", "0x1", "1e300", "TRUE1"])
    func lookAlikeIsNoKnownPair(label: String) throws {
        let error = try #require(throws: InputError.self) { _ = try Self.read("label,prob\n\(label),0.3\n") }
        #expect(error.exitCode == 64)
        #expect(error.description.contains("cannot tell the positive class from the label \"\(label)\""), "\(error)")
    }

    /// A file of known-pair labels, and the class indices they are read as.
    struct KnownPair: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let labels: [Int]
        var testDescription: String { name }
    }

    @Test("known-pair words match case-insensitively, digits only as written", arguments: [
        KnownPair(name: "TRUE, false, True", text: "label,prob\nTRUE,0.8\nfalse,0.3\nTrue,0.6\n", labels: [1, 0, 1]),
        KnownPair(name: "No, YES", text: "label,prob\nNo,0.8\nYES,0.3\n", labels: [0, 1]),
        KnownPair(name: "1, 0", text: "label,prob\n1,0.8\n0,0.3\n", labels: [1, 0]),
    ])
    func knownPairWords(c: KnownPair) throws {
        let (table, _) = try Self.read(c.text)
        #expect(table.labels.map(Int.init) == c.labels)
    }

    @Test("class names match exactly, else case-insensitively when only one class folds to the label", arguments: [
        ("CAT", ["cat", "dog", "bird"], 0 as Int?),
        ("Dog", ["cat", "dog", "bird"], 1),
        ("Cat", ["cat", "Cat", "dog"], 1),
        ("cat", ["cat", "Cat", "dog"], 0),
        ("CAT", ["cat", "Cat", "dog"], nil),
    ])
    func caseInsensitiveWhenUnambiguous(label: String, classes: [String], index: Int?) throws {
        let text = "label,a,b,c\n\(label),0.2,0.3,0.5\n"
        var options = ReadOptions()
        options.classes = classes
        options.scoreColumns = ["a", "b", "c"]
        let path = try temporaryFile("c.csv", text)
        if let index {
            let (table, _) = try readAll(path, options)
            #expect(table.labels == [Int32(index)])
        } else {
            let error = try #require(throws: InputError.self) { _ = try readAll(path, options) }
            #expect(error.reason == "is not one of the classes ('cat', 'Cat', 'dog')")
        }
    }

    @Test("with --classes, an index matches only in plain digits", arguments: [
        ("2", 2 as Int?), ("0", 0), ("02", nil), ("+2", nil), ("2.0", nil), ("3", nil), ("-0", nil), ("99999999999999999999", nil),
    ])
    func plainIndices(label: String, index: Int?) throws {
        let text = "label,p_a,p_b,p_c\n\(label),0.2,0.3,0.5\n"
        if let index {
            let (table, _) = try Self.read(text, classes: ["a", "b", "c"])
            #expect(table.labels == [Int32(index)])
        } else {
            let error = try #require(throws: InputError.self) { _ = try Self.read(text, classes: ["a", "b", "c"]) }
            #expect(error.reason == "is not one of the classes ('a', 'b', 'c')")
        }
    }

    @Test("JSON Lines: the number 1 and the string \"1\" are class 1; 1.0, 1e0 and 1e300 are not")
    func jsonNumbers() throws {
        let good = "{\"label\": 1, \"p_0\": 0.2, \"p_1\": 0.8}\n{\"label\": \"1\", \"p_0\": 0.2, \"p_1\": 0.8}\n{\"label\": 0, \"p_0\": 0.9, \"p_1\": 0.1}\n"
        let (table, _) = try Self.read(good, name: "n.jsonl")
        #expect(table.labels == [1, 1, 0])
        for label in ["1.0", "1e0", "1e300", "-1e19", "\"1.0\"", "\"inf\""] {
            let text = good + "{\"label\": \(label), \"p_0\": 0.2, \"p_1\": 0.8}\n"
            let error = try #require(throws: InputError.self) { _ = try Self.read(text, name: "n.jsonl") }
            #expect(error.line == 4 && error.reason == "is not one of the classes ('0', '1')", "\(label): \(error)")
        }
    }

    struct NULCase: Sendable, CustomStringConvertible {
        let description: String
        let text: String
        let column: String
        let name: String
    }

    static let nulCases = [
        NULCase(description: "CSV label", text: "label,p_0,p_1\n0,0.9,0.1\n1\u{0}zzz,0.2,0.8\n", column: "label", name: "z.csv"),
        NULCase(description: "CSV binary label", text: "label,prob\n0,0.9\n1\u{0},0.2\n", column: "label", name: "z.csv"),
        NULCase(description: "CSV quoted label", text: "label,p_0,p_1\n0,0.9,0.1\n\"1\u{0}\",0.2,0.8\n", column: "label", name: "z.csv"),
        NULCase(description: "CSV score", text: "label,p_0,p_1\n0,0.9,0.1\n1,0.2\u{0},0.8\n", column: "p_0", name: "z.csv"),
        NULCase(description: "CSV weight", text: "label,prob,weight\n0,0.9,1\n1,0.2,1\u{0}\n", column: "weight", name: "z.csv"),
        NULCase(description: "CSV id", text: "label,prob,id\n0,0.9,a\n1,0.2,b\u{0}c\n", column: "id", name: "z.csv"),
        NULCase(description: "CSV group", text: "label,prob,g\n0,0.9,a\n1,0.2,\u{0}\n", column: "g", name: "z.csv"),
        NULCase(description: "JSON Lines \\u0000 in a label", text: "{\"label\": 0, \"prob\": 0.9}\n{\"label\": \"1\\u0000zzz\", \"prob\": 0.2}\n", column: "label", name: "z.jsonl"),
        NULCase(description: "JSON Lines \\u0000 in an id", text: "{\"label\": 0, \"prob\": 0.9, \"id\": \"a\"}\n{\"label\": 1, \"prob\": 0.2, \"id\": \"\\u0000\"}\n", column: "id", name: "z.jsonl"),
        NULCase(description: "JSON Lines \\u0000 in a number string", text: "{\"label\": 0, \"prob\": 0.9}\n{\"label\": 1, \"prob\": \"0.2\\u0000\"}\n", column: "prob", name: "z.jsonl"),
    ]

    @Test("a NUL byte in a label, id, group or number is a nul-byte error naming line and column", arguments: nulCases)
    func nulByte(c: NULCase) throws {
        var options = ReadOptions()
        if c.text.contains("g\n") { options.group = "g" }
        let path = try temporaryFile(c.name, c.text)
        let error = try #require(throws: InputError.self) { _ = try readAll(path, options) }
        #expect(error.exitCode == 65)
        #expect(error.line == 3 || (c.name.hasSuffix("jsonl") && error.line == 2))
        #expect(error.column == c.column)
        #expect(error.reason == "holds a NUL byte, which no field may hold")
        #expect(error.description.contains("\\u{0}"), "the NUL is shown escaped: \(error)")
        options.onInvalid = .skip
        let (table, reader) = try readAll(path, options)
        #expect(table.count == 1)
        #expect(reader.skipped.reasons.map(\.code) == ["nul-byte"])
    }

    @Test("random spellings near the class names: exactly the class spellings are kept, in every shape, CSV and JSON Lines",
          arguments: [UInt64(1), 2, 3, 4])
    func randomSpellings(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let pieces: [[UInt8]] = ["0", "1", "2", "+", "-", ".", "e", "E", "x", "0x", "9", "inf", "NaN", " ", "\"", "\\", "TRUE", "true"].map { Array($0.utf8) }
            + [[0], [0xFF], [0xC3, 0xA9], [0x0D], [0x2C]]
        for _ in 0..<150 {
            var data: [UInt8] = [UInt8.random(in: 0...255, using: &random)]
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                for _ in 0..<Int.random(in: 0...3, using: &random) { data += pieces.randomElement(using: &random)! }
                data.append(0x0A)
            }
            let outcome = FuzzHarness.labels(data)
            if case let .broken(reason) = outcome { Issue.record("seed \(seed), input \(data): \(reason)") }
            #expect(outcome != .rejected(-1))
        }
    }
}
