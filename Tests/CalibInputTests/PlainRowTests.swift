import CalibCore
@testable import CalibInput
import CalibTestSupport
import Testing

/// The fused read of plain CSV rows (`DelimitedReader.decodePlainRows`) keeps
/// a row only when the record path would keep it with the same values and
/// line, and leaves every other row to the record path.
@Suite("Fused read of plain rows")
struct PlainRowTests {
    struct Input: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        var skip = false
        var recordLimit = 1 << 20
        var testDescription: String { name }
    }

    /// `count` rows after `header`, row `i` given by `row(i)` and ended by LF.
    static func rows(_ header: String, _ count: Int, _ row: (Int) -> String) -> String {
        var text = header
        for i in 0..<count { text += row(i) + "\n" }
        return text
    }

    /// A probability spelled with 17 digits after the point, different for every `i` below 700.
    static func probability(_ i: Int) -> String {
        "0." + String(100_000_000_000_000_000 + (i + 1) * 12_345_678_901_234_567 % 100_000_000_000_000_000).dropFirst()
    }

    /// Binary rows ended in turn by CRLF, a lone CR, two LFs (a blank line) and
    /// CRLF twice, the last with no line break.
    static let mixedLineEnds: String = {
        var text = "label,prob\r\n"
        for i in 0..<400 { text += "\(i % 2),\(probability(i))" + (i == 399 ? "" : ["\r\n", "\r", "\n\n", "\r\n\r\n"][i % 4]) }
        return text
    }()

    static let inputs: [Input] = [
        Input(name: "plain binary rows", text: rows("label,prob\n", 400) { "\($0 % 2),\(probability($0))" }),
        Input(name: "CRLF and lone CR line ends, blank lines, no final line break", text: mixedLineEnds),
        Input(name: "quoted fields, spaces and tabs around numbers, signs, exponents, integers", text: rows("label,prob\n", 400) { i in
            let p = probability(i)
            return ["\"\(i % 2)\",\(p)", "\(i % 2),\"\(p)\"", "\(i % 2), \(p)", "\(i % 2),\(p)\t", "\(i % 2),+\(p)",
                    "\(i % 2),\(i % 9)e-1", "\(i % 2),\(i % 2)", "\(i % 2),-0", "\(i % 2),\(p)E+0", "\(i % 2),\(p)"][i % 10]
        }),
        Input(name: "numbers strtod decides, non-numbers and out-of-range values, skipped", text: rows("label,prob\n", 400) { i in
            let p = probability(i)
            return ["\(i % 2),\(p)1234", "\(i % 2),4.9406564584124654e-324", "\(i % 2),0.\(String(repeating: "0", count: 30))5",
                    "\(i % 2),1.5", "\(i % 2),-0.25", "\(i % 2),abc", "\(i % 2),1e", "\(i % 2),1e+", "\(i % 2),.", "\(i % 2),",
                    "\(i % 2),nan", "\(i % 2),1e999", "\(i % 2),0.5.5", "\(i % 2),\(p)"][i % 14]
        }, skip: true),
        Input(name: "wrong field counts, empty and unknown labels, NUL bytes, skipped", text: rows("label,prob\n", 400) { i in
            let p = probability(i)
            // Both classes are seen first, so that a third label is a row problem.
            if i < 2 { return "\(i),\(p)" }
            return ["\(i % 2),\(p),extra", "\(i % 2)", ",\(p)", "2,\(p)", "\(i % 2),\(p)\u{0}", "\u{0},\(p)", "\(i % 2),\(p)"][i % 7]
        }, skip: true),
        Input(name: "an invalid row stops a strict read", text: rows("label,prob\n", 400) { i in
            "\(i % 2),\(i == 333 ? "1.25" : probability(i))"
        }),
        Input(name: "label last, ignored columns, a weight column (negative, empty, exponent)", text: rows("note,prob,weight,label\n", 400) { i in
            "n\(i),\(probability(i)),\(["1", "0.5", "-1", "", "2e0", "3", "1e400"][i % 7]),\(["yes", "no"][i % 2])"
        }, skip: true),
        Input(name: "ten classes, sums off 1 and a value above 1, skipped", text: rows("label," + (0..<10).map { "p_\($0)" }.joined(separator: ",") + "\n", 300) { i in
            let values = (0..<10).map { c in c == i % 10 ? (i % 11 == 0 ? "1.5" : (i % 13 == 0 ? "0.5" : "0.91")) : "0.01" }
            return "\(i % 10)," + values.joined(separator: ",")
        }, skip: true),
        Input(name: "two per-class columns read as one binary score", text: rows("label,p_0,p_1\n", 400) { i in
            let p = Double(i % 100) / 100
            return "\(i % 2),\(1 - p),\(p)"
        }, skip: true),
        Input(name: "logits of three classes named with more than eight bytes", text: rows("label,logit_alphabetical,logit_betatesting,logit_gammaray\n", 400) { i in
            "\(["alphabetical", "betatesting", "gammaray"][i % 3]),\(i % 7 - 3).25,-\(probability(i)),\(i)e-2"
        }),
        Input(name: "score first, 16 to 20 digits, CRLF line ends, labels of one and two bytes", text: rows("prob,label\n", 400) { i in
            let digits = String(probability(i).dropFirst(2))
            let p = "0." + String((digits + digits).prefix(16 + i % 5))
            return "\(p),\(["1", "0", "1", "0", "10"][i % 5])" + (i % 3 == 0 ? "\r" : "")
        }, skip: true),
        Input(name: "label first, semicolons between fields", text: rows("label;prob\n", 400) { i in
            "\(i % 2);\(probability(i))"
        }),
        Input(name: "two-column logits, negative and above 1, label first", text: rows("label,logit\n", 400) { i in
            "\(i % 2),\(["-", "", "+"][i % 3])\(i % 4)\(probability(i).dropFirst())"
        }),
        Input(name: "ten classes of 17 to 19 digits, CRLF line ends, a quoted score", text: rows("label," + (0..<10).map { "p_\($0)" }.joined(separator: ",") + "\n", 300) { i in
            var values = Array(repeating: "0.1", count: 10)
            values[i % 10] = ["0.10000000000000001", "0.100000000000000005", "0.1000000000000000055"][i % 3]
            values[(i + 1) % 10] = ["0.09999999999999999", "0.099999999999999995", "0.0999999999999999945"][i % 3]
            if i == 50 { values[3] = "\"0.1\"" }
            return "\(i % 10)," + values.joined(separator: ",") + (i % 4 == 0 ? "\r" : "")
        }),
        Input(name: "logits of three classes, one-byte labels first", text: rows("label,logit_a,logit_b,logit_c\n", 400) { i in
            "\(["a", "b", "c"][i % 3]),-1.5,\(probability(i)),\(i % 5)e0"
        }),
        Input(name: "a three-class record over the record limit stops the read", text: rows("label,p_0,p_1,p_2\n", 300) { i in
            i == 150 ? "1,0.25000000000000000000,0.25000000000000000000,0.50000000000000000000" : "\(i % 3),0.25,0.25,0.5"
        }, recordLimit: 40),
        Input(name: "a record over the record limit stops the read", text: rows("label,prob,note\n", 300) { i in
            "\(i % 2),\(probability(i)),\(i == 200 ? String(repeating: "x", count: 100) : "n")"
        }, recordLimit: 64),
    ]

    /// What a read produced: the rows (score bits), what was skipped, or the error.
    struct Read: Equatable {
        var labels: [Int32] = []
        var scores: [UInt64] = []
        var weights: [UInt64] = []
        var lines: [Int] = []
        var skipped: SkippedRows?
        var classes: [String] = []
        var error: String?

        mutating func add(_ table: PredictionTable) {
            labels += table.labels
            scores += table.scores.map(\.bitPattern)
            weights += table.weights.map(\.bitPattern)
            lines += table.lines
        }
    }

    struct Collector: ChunkConsumer {
        var tables: [PredictionTable] = []
        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) { tables.append(chunk) }
    }

    static func options(_ input: Input, blockBytes: Int, threads: Int) -> ReadOptions {
        var options = ReadOptions()
        options.blockBytes = blockBytes
        options.threads = threads
        options.chunkRows = 37
        options.recordLimit = input.recordLimit
        if input.skip { options.onInvalid = .skip }
        return options
    }

    static func reader(_ input: Input, _ options: ReadOptions) throws -> PredictionReader {
        try PredictionReader(location: .bytes(Array(input.text.utf8), name: "plain.csv"), options: options)
    }

    /// Block by block in input order (as `streamBlocks` merges them), with or
    /// without the fused path.
    static func blocks(_ input: Input, blockBytes: Int, fused: Bool) -> Read {
        var read = Read()
        do {
            let reader = try reader(input, options(input, blockBytes: blockBytes, threads: 1))
            while let block = try reader.takeBlock(target: blockBytes) {
                let outcome = PredictionReader.decodeBlock(block, decoder: reader.workerDecoder(frozen: false), format: reader.format,
                                                           shape: reader.shape, options: reader.options, into: Collector(), fusedRows: fused)
                try reader.absorb(outcome.decoder!, records: outcome.records, adoptLabels: !reader.labelsSettled)
                // As `streamBlocks` merges: a block with an error adds no rows.
                if let error = outcome.error { throw error }
                for table in outcome.consumer.tables { read.add(table) }
            }
            read.skipped = reader.skipped
            read.classes = reader.classNames
        } catch {
            read.error = "\(error)"
        }
        return read
    }

    /// Through `streamBlocks` on `threads` workers (the fused path where it applies).
    static func streamed(_ input: Input, blockBytes: Int, threads: Int) -> Read {
        var read = Read()
        do {
            let reader = try reader(input, options(input, blockBytes: blockBytes, threads: threads))
            try reader.streamBlocks(into: Collector(), threads: threads, capacity: 2 * threads + 2, progress: nil) { outcome in
                for table in outcome.consumer.tables { read.add(table) }
            }
            read.skipped = reader.skipped
            read.classes = reader.classNames
        } catch {
            read.error = "\(error)"
        }
        return read
    }

    @Test("rows, values, lines, skipped rows and errors are the record path's, for any block size and thread count",
          arguments: inputs)
    func sameAsRecordPath(input: Input) {
        for blockBytes in [64, 1000, 1 << 22] {
            let expected = Self.blocks(input, blockBytes: blockBytes, fused: false)
            #expect(expected.labels.count > 50 || (expected.error != nil && blockBytes > 1000), "the input has rows to compare")
            #expect(input.name.contains("stops") == (expected.error != nil), "\(expected.error ?? "")")
            #expect(Self.blocks(input, blockBytes: blockBytes, fused: true) == expected, "block size \(blockBytes)")
            #expect(Self.streamed(input, blockBytes: blockBytes, threads: 2) == expected, "block size \(blockBytes), 2 threads")
        }
    }

    @Test("plain rows after the first of each label are kept by the fused path, the others by the record path", arguments: [
        ("label,prob\n", "1,0.25\n0,0.5\n", 2),
        ("label,p_0,p_1,p_2\n", "2,0.25,0.25,0.5\n0,0.5,0.25,0.25\n1,0.25,0.5,0.25\n", 3),
        ("label;prob\n", "1;0.25\n0;0.5\n", 2),
        ("id,label,prob\n", "a,1,0.25\nb,0,0.5\n", nil),
    ] as [(String, String, Int?)])
    func fusedPathTakesPlainRows(header: String, rows: String, labels: Int?) throws {
        let text = header + String(repeating: rows, count: 50)
        var options = ReadOptions()
        if header.contains(";") { options.delimiter = 0x3B }
        let reader = try PredictionReader(location: .bytes(Array(text.utf8), name: "plain.csv"), options: options)
        let block = try #require(try reader.takeBlock(target: 1 << 22))
        var decoder = reader.workerDecoder(frozen: false)
        let plainReader = DelimitedReader(block: block, name: "plain.csv", delimiter: reader.options.delimiter ?? 0x2C, recordLimit: 1 << 20)
        let plan = decoder.plainRowPlan(delimiter: plainReader.delimiter)
        #expect((plan == nil) == (labels == nil), "an id column is left to the record path")
        let kept = decoder.makeRows(capacity: 1 << 16, shape: reader.shape)
        var fused = 0
        var record = Record()
        var total = 0
        while true {
            if let plan { fused += plainReader.decodePlainRows(plan, decoder: &decoder, into: kept) }
            guard case .record = try plainReader.next(into: &record) else { break }
            try decoder.decode(record, into: kept)
        }
        total = kept.count
        #expect(total == 50 * rows.split(separator: "\n").count)
        #expect(fused == (labels.map { total - $0 } ?? 0))
        #expect(decoder.rows == total)
    }
}

/// `DecimalParser.prefixValue` reads a number where a field starts, inside a
/// row: its wide loads run past the number, which ends at the first byte the
/// grammar cannot take.
@Suite("Decimal parsing inside a row")
struct PrefixValueTests {
    @Test("a number followed by a field's end has the value of the field alone, bit for bit",
          arguments: [",", "\n", "\r\n", "\t", ";1,0.25\n", ",0.12345678\n"])
    func asTheFieldAlone(after: String) {
        var rng = SeededGenerator(seed: 21)
        var texts = ["0", "1", ".5", "5.", "+0.25", "-0.0", "1e-3", "1E+3", "0.30000000000000004", "123456789012345678901234567890",
                     "0.1234567890123456789", "00000000000000000000000.5", "9999999999999999999", "4.9406564584124654e-324",
                     "1e-400", "1e400", "0.", "0.e5", "12345678", "1234567.8", "0.00000000",
                     // Around the three-load path for `0.` and 16 to 19 digits.
                     "0.1234567890123456e5", "0.1234567890123456E-5", "-0.12345678901234567", "0.0000000000000000",
                     "0.9999999999999999999", "0.99999999999999999999", "0.12345678901234567e+2", "+0.000000000000000012"]
        for _ in 0..<20_000 {
            texts.append(Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &rng)).description)
            // 1 to 20 digits after `0.` (16 and 17 the benchmark files' lengths).
            let n = Int.random(in: 1...20, using: &rng)
            texts.append("0." + String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }))
        }
        var taken = 0
        for text in texts {
            let field = Array(text.utf8)
            let row = Array((text + after).utf8)
            row.withUnsafeBufferPointer { all in
                var stop = -1
                guard let v = DecimalParser.prefixValue(all.baseAddress!, from: 0, end: all.count, stop: &stop) else { return }
                taken += 1
                #expect(stop == field.count, "\(text)")
                let alone = field.withUnsafeBufferPointer { DecimalParser.parse($0) }
                guard case let .value(w) = alone, w.bitPattern == v.bitPattern else {
                    Issue.record("\(text): \(v) in a row, \(alone) alone")
                    return
                }
            }
        }
        // Only what needs strtod (over 19 digits, subnormals, rare products) or is not finite is left.
        #expect(taken > texts.count * 9 / 10)
    }

    @Test("the probability spelling's loop-free read gives prefixValue's value and end, bit for bit, or leaves the number to it",
          arguments: [",", "\n", "\r\n", ".5,", "e5\n", "E-1,", "5", ",0.1234567890123456789\n"])
    func probabilityPrefixAsPrefixValue(after: String) {
        var rng = SeededGenerator(seed: 22)
        var texts = ["0.0000000000000000", "0.0000000000000001", "0.00000000000000000001", "0.9999999999999999999", "0.1000000000000000000",
                     "0.9007199254740992", "0.9007199254740993", "0.09007199254740993", "0.18446744073709551615", "0.5000000000000000",
                     "0.30000000000000004", "1.2345678901234567", "-0.12345678901234567", "0.123456789012345", "0.12345678901234567890"]
        for _ in 0..<50_000 {
            // 14 to 21 digits after `0.`, around the 16 to 19 the path takes.
            let n = Int.random(in: 14...21, using: &rng)
            texts.append("0." + String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }))
            // A random probability's shortest spelling, padded with zeros to 17 digits after `0.`.
            let shortest = Double.random(in: 0.1..<1, using: &rng).description
            texts.append(shortest + String(repeating: "0", count: Swift.max(0, 19 - shortest.count)))
        }
        let powers = DecimalParser.probabilityPowers
        var taken = 0
        for text in texts {
            let row = Array((text + after).utf8)
            row.withUnsafeBufferPointer { all in
                var fastStop = -1, stop = -1
                let fast = powers.withUnsafeBufferPointer {
                    DecimalParser.probabilityPrefix(all.baseAddress!, from: 0, end: all.count, powers: $0.baseAddress!, stop: &fastStop)
                }
                let value = DecimalParser.prefixValue(all.baseAddress!, from: 0, end: all.count, stop: &stop)
                guard let fast else { return }
                taken += 1
                #expect(fast.bitPattern == value?.bitPattern && fastStop == stop, "\(text)")
            }
        }
        // The 16 to 19 digit spellings are taken when 26 bytes are readable and a field's end follows.
        #expect(after.count < 8 || taken > texts.count / 3)
    }

    @Test("the number ends where the grammar does; no number, no value", arguments: [
        ("1.5.5,", 3), ("2e5e,", 3), ("0x10,", 1), ("1-2,", 1), ("0.25 ,", 4), ("7,", 1),
        ("-,", nil), ("+,", nil), (".,", nil), ("1e,", nil), ("1e+,", nil), ("-.e1,", nil), ("e5,", nil), (" 1,", nil), (",", nil),
        ("1e999,", nil), ("\"0.5\",", nil), ("0.1234567890123456.5,0.123456\n", 18), ("0.12345678901234567x,0.123456\n", 19),
        ("0.1234567890123456e,0.1234567\n", nil),
    ] as [(String, Int?)])
    func ends(text: String, stop expected: Int?) {
        let bytes = Array(text.utf8)
        var stop = -1
        let value = bytes.withUnsafeBufferPointer { DecimalParser.prefixValue($0.baseAddress!, from: 0, end: $0.count, stop: &stop) }
        #expect((value == nil) == (expected == nil))
        if let expected { #expect(stop == expected) }
    }
}

