import CalibCore
@testable import CalibInput
import Testing

/// `calib apply`'s rewriter: numbers printed as `description` prints them,
/// without a `String`, and the same output (and the same first error) for
/// any number of threads and any piece size.
@Suite("Record rewriter")
struct RecordRewriterTests {
    // MARK: - Numbers

    /// What `ByteBuffer.appendShortest` wrote for `x`.
    static func shortest(_ x: Double, into buffer: ByteBuffer) -> String {
        buffer.count = 0
        buffer.appendShortest(x)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    struct Values: CustomTestStringConvertible, Sendable {
        let name: String
        let values: @Sendable () -> [Double]
        var testDescription: String { name }
    }

    /// xorshift64*: the same values on every run.
    static func randomBits(_ count: Int, seed: UInt64) -> [UInt64] {
        var s = seed
        return (0..<count).map { _ in
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27
            return s &* 0x2545_F491_4F6C_DD1D
        }
    }

    static let numberCases: [Values] = [
        Values(name: "zeros, ones, the notation switches at 1e-4 and 2^53, extremes, non-finite") {
            var edges: [Double] = [0, -0.0, 1, -1, 0.1, 0.5, 1e-4, 1e-5, 9.999999999999999e-5, 0.00010000000000000002, 1e15, 1e16, 1e17,
                                   9007199254740992, 9007199254740994, 18014398509481984, 4503599627370496.5, 123456789012345680,
                                   .leastNonzeroMagnitude, .leastNormalMagnitude, .leastNormalMagnitude.nextDown, .greatestFiniteMagnitude,
                                   .ulpOfOne, 1 - .ulpOfOne / 2, 0.30000000000000004, 2.220446049250313e-16, .infinity, -.infinity, .nan, -.nan, .signalingNaN]
            // Powers of ten and their neighbours, where the exponent and the digit count change.
            for e in -324...308 {
                let p = Double("1e\(e)")!
                edges += [p, p.nextUp, p.nextDown, 5 * p, 9.5 * p]
            }
            return edges
        },
        Values(name: "subnormals") { randomBits(200_000, seed: 11).map { Double(bitPattern: $0 & 0x000F_FFFF_FFFF_FFFF) } },
        Values(name: "any bit pattern") { randomBits(1_000_000, seed: 7).map { Double(bitPattern: $0) } },
        Values(name: "probabilities: uniform in [0, 1)") { randomBits(1_000_000, seed: 3).map { Double($0 >> 11) * 0x1p-53 } },
        Values(name: "small probabilities: u^8") { randomBits(300_000, seed: 5).map { { let u = Double($0 >> 11) * 0x1p-53; let u2 = u * u; return u2 * u2 * u2 * u2 }($0) } },
    ]

    @Test("a number is written as description writes it", arguments: numberCases)
    func shortestIsDescription(_ values: Values) {
        let buffer = ByteBuffer()
        defer { buffer.free() }
        var mismatches: [String] = []
        for x in values.values() {
            let text = Self.shortest(x, into: buffer)
            if text != x.description && mismatches.count < 5 { mismatches.append("\(x.bitPattern): \(text) ≠ \(x.description)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("a rewritten number with the delimiter in it is quoted")
    func quotedNumber() {
        let buffer = ByteBuffer(capacity: 2)
        defer { buffer.free() }
        buffer.append(0x41)
        buffer.appendShortest(0.25)
        buffer.quote(from: 1)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == "A\"0.25\"")
        #expect(buffer.contains(0x2E, from: 1) && !buffer.contains(0x41, from: 1))
    }

    // MARK: - Threads and pieces

    struct Input: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        var format: ReadOptions.Format = .csv
        var delimiter: UInt8?
        var testDescription: String { name }
    }

    static func rows(_ header: String, _ count: Int, row: (Int) -> String, end: (Int) -> String) -> String {
        var text = header
        for i in 0..<count { text += row(i) + end(i) }
        return text
    }

    static let inputs: [Input] = [
        Input(name: "plain CSV, no line break at the end", text: rows("label,prob\n", 700, row: { i in "\(i % 2),0.\(i % 97 + 1)" }, end: { $0 == 699 ? "" : "\n" })),
        Input(name: "quoted CSV: CRLF, quoted line breaks and scores, blank lines", text: rows("\"id, name\",label,prob,tail\r\n", 700, row: { i in
            (i % 7 == 0 ? "\"row\r\n\(i), \"\"q\"\"\"" : "r\(i)") + ",\(i % 2)," + (i % 3 == 0 ? "\"0.\(i % 89 + 1)\"" : "0.\(i % 89 + 1)") + ",t\(i)"
        }, end: { i in i % 11 == 0 ? "\r\n\r\n" : "\r\n" })),
        Input(name: "TSV with a byte-order mark", text: "\u{FEFF}" + rows("label\tprob\tnote\n", 500, row: { i in "\(i % 2)\t0.\(i % 71 + 1)\tn\(i)" }, end: { _ in "\n" }), format: .tsv),
        Input(name: "semicolon-separated", text: rows("label;prob\n", 500, row: { i in "\(i % 2);0.\(i % 61 + 1)" }, end: { _ in "\n" }), delimiter: 0x3B),
        Input(name: "a delimiter that occurs in numbers (.) quotes the new scores", text: rows("label.prob\n", 300, row: { i in "\(i % 2).\"0.\(i % 61 + 1)\"" }, end: { _ in "\n" }), delimiter: 0x2E),
        Input(name: "JSON Lines: string scores, spacing, nested values, blank lines", text: rows("", 600, row: { i in
            i % 3 == 0 ? "{\"label\": \(i % 2), \"prob\": 0.\(i % 61 + 1), \"id\": \"r\(i)\"}" :
                (i % 3 == 1 ? "{\"prob\":\"0.\(i % 53 + 1)\",\"label\":\(i % 2)}" : "{\"id\":{\"a\":[1,\"}\"]}, \"prob\": 0.\(i % 47 + 1) ,\"label\":\(i % 2)}")
        }, end: { i in ["\n", "\r\n", "\n \n", "\n"][i % 4] }), format: .jsonl),
    ]

    /// The rewriter's output and row count with a Platt map (every score changes).
    static func rewrite(_ input: Input, threads: Int, blockBytes: Int) throws -> (bytes: [UInt8], rows: Int) {
        var options = ReadOptions()
        options.format = input.format
        options.delimiter = input.delimiter
        options.threads = threads
        options.blockBytes = blockBytes
        let rewriter = try RecordRewriter(location: .bytes(Array(input.text.utf8), name: "in"), options: options, classes: ["0", "1"])
        let calibrator = Calibrator(classes: ["0", "1"], parameters: .platt(a: 0.7, b: -0.2))
        var bytes: [UInt8] = []
        let rows = try rewriter.rewrite({ $0[0] = calibrator.applyBinary($0[0], kind: .probabilities, as: .probabilities) }) {
            bytes.append(contentsOf: $0)
        }
        return (bytes, rows)
    }

    static let layouts: [(threads: Int, blockBytes: Int)] = [(2, 2), (2, 37), (3, 100), (2, 1000), (4, 1 << 21)]

    @Test("scan hands every record its own line, whatever the block size (calib prior keys its bootstrap on it)", arguments: [2, 37, 100, 1000, 1 << 21])
    func scanLines(blockBytes: Int) throws {
        let text = "label,prob\n" + (0..<2_000).map { "\($0 % 2),0.\($0 % 89 + 10)\n" }.joined()
        var options = ReadOptions()
        options.blockBytes = blockBytes
        let rewriter = try RecordRewriter(location: .bytes(Array(text.utf8), name: "in"), options: options, classes: ["0", "1"], extras: true)
        var lines: [Int] = []
        var scores: [Double] = []
        let rows = try rewriter.scan { s, _, _, line in
            lines.append(line)
            scores.append(s[0])
        }
        #expect(rows == 2_000)
        #expect(lines == Array(2...2_001))
        #expect(scores == (0..<2_000).map { Double("0.\($0 % 89 + 10)")! })
    }

    @Test("any threads and piece size give the one-thread output", arguments: inputs)
    func sameOutput(_ input: Input) throws {
        let serial = try Self.rewrite(input, threads: 1, blockBytes: 1 << 22)
        #expect(serial.rows >= 300)
        #expect(serial.bytes != Array(input.text.utf8), "the map changes the scores")
        for (threads, blockBytes) in Self.layouts {
            let parallel = try Self.rewrite(input, threads: threads, blockBytes: blockBytes)
            #expect(parallel.rows == serial.rows, "\(threads) threads, \(blockBytes)-byte blocks")
            #expect(parallel.bytes == serial.bytes, "\(threads) threads, \(blockBytes)-byte blocks")
        }
    }

    @Test("the identity map reproduces the input byte for byte, on several threads", arguments: inputs)
    func identity(_ input: Input) throws {
        var options = ReadOptions()
        options.format = input.format
        options.delimiter = input.delimiter
        options.threads = 2
        options.blockBytes = 64
        let rewriter = try RecordRewriter(location: .bytes(Array(input.text.utf8), name: "in"), options: options, classes: ["0", "1"])
        var bytes: [UInt8] = []
        _ = try rewriter.rewrite({ _ in }) { bytes.append(contentsOf: $0) }
        #expect(bytes == Array(input.text.utf8))
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let line: Int
        let reason: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "a score above 1, after quoted line breaks", text: rows("id,label,prob\n", 400, row: { i in
            (i % 5 == 0 ? "\"a\nb\"" : "r") + ",\(i % 2)," + (i == 301 ? "1.5" : "0.5")
        }, end: { _ in "\n" }), line: 2 + 301 + 61, reason: "not a probability"),
        BadInput(name: "a record with a missing field", text: rows("label,prob\n", 400, row: { i in i == 250 ? "1" : "\(i % 2),0.25" }, end: { _ in "\r\n" }),
                 line: 252, reason: "fields"),
        BadInput(name: "two bad records: the first is named", text: rows("label,prob\n", 400, row: { i in i == 390 || i == 120 ? "1,x" : "\(i % 2),0.25" }, end: { _ in "\n" }),
                 line: 122, reason: "not a number"),
        BadInput(name: "a record past the 1 MiB limit, whatever the buffers", text: rows("id,label,prob\n", 300, row: { i in
            (i == 200 ? "\"" + String(repeating: "a", count: 1_100_000) + "\"" : "r\(i)") + ",\(i % 2),0.25"
        }, end: { _ in "\n" }), line: 202, reason: "longer than 1048576 bytes"),
    ]

    @Test("the first bad record in input order stops the run, at its line, on any threads", arguments: badInputs)
    func firstError(_ input: BadInput) throws {
        for (threads, blockBytes) in [(1, 1 << 22)] + Self.layouts {
            let error = #expect(throws: InputError.self) {
                _ = try Self.rewrite(Input(name: input.name, text: input.text), threads: threads, blockBytes: blockBytes)
            }
            #expect(error?.line == input.line, "\(threads) threads, \(blockBytes)-byte blocks")
            #expect(error?.reason.contains(input.reason) == true, "\(error?.reason ?? "")")
        }
    }
}
