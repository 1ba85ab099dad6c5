import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// Generated tables — random quoting, separators, line endings, byte-order
/// marks, blank lines and numbers written in every valid way — must read back
/// exactly as written: the same classes, the same Doubles, the same lines.
@Suite("Reader properties on generated tables")
struct ReaderPropertyTests {
    static let classNames = ["plain", "with,comma", "with \"quote\"", "multi\nline", "naïve", "tab\there", "semi;colon"]

    struct Expected {
        var labels: [Int32] = []
        var scores: [Double] = []
        var weights: [Double] = []
        var lines: [Int] = []
    }

    /// A valid spelling of `v` that parses back to exactly `v`.
    static func spell(_ v: Double, _ rng: inout SeededGenerator, json: Bool = false) -> String {
        let shortest = v.description.hasSuffix(".0") ? String(v.description.dropLast(2)) : v.description
        var options = [shortest, String(format: "%.17e", v), String(format: "%.17E", v)]
        if !json {
            options.append("+" + shortest)
            if shortest.hasPrefix("0.") { options.append(String(shortest.dropFirst())) }
            if !shortest.contains("e") && !shortest.contains(".") { options.append(shortest + ".") }
            if shortest.contains(".") && !shortest.contains("e") { options.append(shortest + "000") }
            options.append(" " + shortest + " ")
        }
        return options.randomElement(using: &rng)!
    }

    static func field(_ text: String, delimiter: Character, _ rng: inout SeededGenerator) -> String {
        let mustQuote = text.contains(delimiter) || text.contains("\"") || text.contains("\n") || text.contains("\r")
        if mustQuote || Int.random(in: 0..<10, using: &rng) < 3 {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    @Test("delimited tables read back exactly", arguments: Array(UInt64(1)...60))
    func delimited(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let multiclass = Bool.random(using: &rng)
        let delimiter: Character = [",", "\t", ";"].randomElement(using: &rng)!
        let classes = multiclass ? Array(Self.classNames.shuffled(using: &rng).prefix(3)) : ["0", "1"]
        let scoreColumns = multiclass ? classes.indices.map { "p_c\($0)" } : ["prob"]
        var text = Bool.random(using: &rng) ? "\u{FEFF}" : ""
        var line = 1
        var expected = Expected()
        var lastEnd = ""
        func end() -> String {
            // A lone CR followed by LF would be one CRLF: never write that pair.
            let e = (lastEnd == "\r" ? ["\r\n", "\r"] : ["\n", "\r\n", "\r"]).randomElement(using: &rng)!
            lastEnd = e
            line += 1
            return e
        }
        let header = ["label"] + scoreColumns + ["weight"]
        text += header.map { Self.field($0, delimiter: delimiter, &rng) }.joined(separator: String(delimiter)) + end()
        let rows = Int.random(in: 1...60, using: &rng)
        for r in 0..<rows {
            if Int.random(in: 0..<8, using: &rng) == 0 { text += end() }   // a blank line
            let y = Int.random(in: 0..<classes.count, using: &rng)
            var values: [Double]
            if multiclass {
                let raw = classes.indices.map { _ in Double.random(in: 0.01...1, using: &rng) }
                let total = raw.reduce(0, +)
                values = raw.map { $0 / total }
            } else {
                values = [[0, 1, Double.random(in: 0...1, using: &rng)].randomElement(using: &rng)!]
            }
            let weight = [1, 2, Double.random(in: 0...5, using: &rng)].randomElement(using: &rng)!
            let startLine = line
            let fields = [Self.field(classes[y], delimiter: delimiter, &rng)]
                + values.map { Self.field(Self.spell($0, &rng), delimiter: delimiter, &rng) }
                + [Self.field(Self.spell(weight, &rng), delimiter: delimiter, &rng)]
            let row = fields.joined(separator: String(delimiter))
            line += row.filter { $0 == "\n" || $0 == "\r" }.count - row.components(separatedBy: "\r\n").count + 1
            text += row
            lastEnd = ""
            if r + 1 < rows || Bool.random(using: &rng) { text += end() }
            expected.labels.append(Int32(y))
            expected.scores += multiclass ? values : values
            expected.weights.append(weight)
            expected.lines.append(startLine)
        }
        var options = ReadOptions()
        options.format = .csv
        options.delimiter = delimiter.asciiValue
        options.chunkRows = Int.random(in: 1...16, using: &rng)
        if multiclass { options.classes = classes }
        let (table, reader) = try readAll(try temporaryFile("g.txt", text), options)
        #expect(reader.classNames == classes, "seed \(seed)")
        if multiclass {
            #expect(table.labels == expected.labels, "seed \(seed)")
        } else {
            #expect(table.labels == expected.labels, "seed \(seed)")
        }
        #expect(table.scores == expected.scores, "seed \(seed)")
        #expect(table.weights == expected.weights, "seed \(seed)")
        #expect(table.lines == expected.lines, "seed \(seed)")
    }

    @Test("JSON Lines read back exactly, whatever the key order, spacing, escapes and extra keys", arguments: Array(UInt64(1)...40))
    func jsonLines(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed &+ 1000)
        let classes = Array(Self.classNames.shuffled(using: &rng).prefix(3))
        var text = ""
        var expected = Expected()
        let rows = Int.random(in: 1...40, using: &rng)
        var line = 1
        for _ in 0..<rows {
            if Int.random(in: 0..<8, using: &rng) == 0 { text += "\n"; line += 1 }
            let y = Int.random(in: 0..<3, using: &rng)
            let raw = (0..<3).map { _ in Double.random(in: 0.01...1, using: &rng) }
            let values = raw.map { $0 / raw.reduce(0, +) }
            var members: [String] = []
            let label = try String(decoding: JSONEncoder().encode(classes[y]), as: UTF8.self)
            members.append("\"label\":\(label)")
            for (k, v) in values.enumerated() {
                let spelled = Self.spell(v, &rng, json: Bool.random(using: &rng))
                let asString = spelled.contains(" ") || spelled.hasPrefix("+") || spelled.hasPrefix(".") || spelled.hasSuffix(".") || Bool.random(using: &rng)
                members.append("\"p_c\(k)\":" + (asString ? "\"\(spelled)\"" : spelled))
            }
            if Bool.random(using: &rng) { members.append("\"extra\\n\":\"ignored \\u00e9\"") }
            if line > 1 || expected.labels.count > 0 { members.shuffle(using: &rng) } else { members.shuffle(using: &rng) }
            let space = [" ", "", "\t"].randomElement(using: &rng)!
            text += "{" + space + members.joined(separator: "," + space) + space + "}" + (Bool.random(using: &rng) ? "\r\n" : "\n")
            expected.labels.append(Int32(y))
            expected.scores += values
            expected.lines.append(line)
            line += 1
        }
        var options = ReadOptions()
        options.classes = classes
        options.scoreColumns = ["p_c0", "p_c1", "p_c2"]
        let (table, _) = try readAll(try temporaryFile("g.jsonl", text), options)
        #expect(table.labels == expected.labels, "seed \(seed)")
        #expect(table.scores == expected.scores, "seed \(seed)")
        #expect(table.lines == expected.lines, "seed \(seed)")
    }
}
