import CalibCore
@testable import CalibInput
import CalibTestSupport
import Testing

/// Every block knows its first line when it is cut, so a consumer in a worker
/// sees each row's absolute line (the row index wave 2 keys on).
@Suite("Block first lines")
struct BlockLineTests {
    /// A file whose line breaks the cutter must count as the reader does.
    struct Input: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        var format: ReadOptions.Format = .csv
        var skip = false
        var testDescription: String { name }
    }

    /// `rows` data rows after `header`, row `i` given by `row(i)`, each ended by `end(i)`.
    static func rows(_ header: String, _ count: Int, row: (Int) -> String, end: (Int) -> String) -> String {
        var text = header
        for i in 0..<count { text += row(i) + end(i) }
        return text
    }

    static let inputs: [Input] = [
        Input(name: "CRLF and LF, quoted CRLF and doubled quotes", text: rows("id,label,prob\r\n", 400, row: { i in
            (i % 7 == 0 ? "\"row\r\n\(i), \"\"q\"\"\"" : "r\(i)") + ",\(i % 2),0.\(i % 97 + 1)"
        }, end: { $0 % 5 == 0 ? "\n" : "\r\n" })),
        Input(name: "lone CR line ends, lone CR and LF in quotes", text: rows("id,label,prob\r", 400, row: { i in
            (i % 6 == 0 ? "\"a\rb\nc\(i)\"" : "r\(i)") + ",\(i % 2),0.\(i % 89 + 1)"
        }, end: { _ in "\r" })),
        Input(name: "blank lines (LF, CRLF, CR) between and after rows", text: "label,prob\n\n\r\n" + rows("", 400, row: { i in
            "\(i % 2),0.\(i % 83 + 1)"
        }, end: { i in ["\n", "\n\n", "\r\n\r\n", "\r\r", "\n"][i % 5] }) + "\n\n"),
        Input(name: "no line break after the last row", text: rows("label,prob\n", 300, row: { i in "\(i % 2),0.\(i % 79 + 1)" }, end: { $0 == 299 ? "" : "\n" })),
        Input(name: "a lone CR ends the file", text: rows("label,prob\n", 300, row: { i in "\(i % 2),0.\(i % 79 + 1)" }, end: { $0 == 299 ? "\r" : "\r\n" })),
        Input(name: "skipped rows keep their lines", text: rows("label,prob\n", 400, row: { i in
            i % 13 == 0 ? "1,abc" : (i % 17 == 0 ? "1,\"0.5" + "\n" + "\"" : "\(i % 2),0.\(i % 71 + 1)")
        }, end: { _ in "\n" }), skip: true),
        Input(name: "JSON Lines with CRLF, blank lines and no final LF", text: rows("\n", 400, row: { i in
            "{\"label\": \(i % 2), \"prob\": 0.\(i % 61 + 1)}"
        }, end: { i in i == 399 ? "" : ["\n", "\r\n", "\n \n", "\r\n\r\n"][i % 4] }), format: .jsonl),
    ]

    static let blockSizes = [16, 37, 100, 1000, 1 << 22]

    static func options(_ input: Input, blockBytes: Int = 1 << 22, threads: Int = 1) -> ReadOptions {
        var options = ReadOptions()
        options.format = input.format
        options.blockBytes = blockBytes
        options.threads = threads
        options.chunkRows = 7
        if input.skip { options.onInvalid = .skip }
        return options
    }

    static func reader(_ input: Input, _ options: ReadOptions) throws -> PredictionReader {
        try PredictionReader(location: .bytes(Array(input.text.utf8), name: "lines." + (input.format == .jsonl ? "jsonl" : "csv")), options: options)
    }

    /// Records the line of every row it is given, in order.
    struct LineRecorder: ChunkConsumer {
        var lines: [Int] = []
        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) { lines += chunk.lines }
    }

    /// The lines of the valid rows and the lines consumed, read record by record with no blocks.
    static func sequential(_ input: Input) throws -> (rows: [Int], lines: Int) {
        let reader = try reader(input, options(input))
        var table = PredictionTable(shape: reader.shape)
        var rows: [Int] = []
        while try reader.nextChunk(into: &table) { rows += table.lines }
        return (rows, reader.linesBeforeBlocks)
    }

    @Test("each block's first line, counted while cutting, is the line the in-order merge computes",
          arguments: inputs, blockSizes)
    func firstLines(input: Input, blockBytes: Int) throws {
        let options = Self.options(input, blockBytes: blockBytes)
        let reader = try Self.reader(input, options)
        var lineOffset = reader.linesBeforeBlocks
        var blocks = 0
        while let block = try reader.takeBlock(target: blockBytes) {
            #expect(block.firstLine == lineOffset + 1, "block \(blocks)")
            let outcome = PredictionReader.decodeBlock(block, decoder: reader.workerDecoder(frozen: false), format: reader.format,
                                                       shape: reader.shape, options: reader.options, into: LineRecorder())
            #expect(outcome.error == nil && !outcome.needsOrder)
            #expect(outcome.lines == block.lines, "block \(blocks) at line \(block.firstLine)")
            #expect(outcome.consumer.lines.allSatisfy { $0 >= block.firstLine && $0 <= block.firstLine + block.lines })
            try reader.absorb(outcome.decoder!, records: outcome.records, adoptLabels: !reader.labelsSettled)
            lineOffset += outcome.lines
            blocks += 1
        }
        if blockBytes <= 1000 { #expect(blocks >= 3, "the file is cut into several blocks") }
        #expect(lineOffset == (try Self.sequential(input)).lines, "all lines, as the record reader counts them")
    }

    @Test("a consumer sees every row's absolute line, the same for any thread count and block size",
          arguments: inputs, [1, 2, 3, 8])
    func consumerLines(input: Input, threads: Int) throws {
        let expected = try Self.sequential(input).rows
        #expect(expected.count > 250)
        for blockBytes in Self.blockSizes {
            let reader = try Self.reader(input, Self.options(input, blockBytes: blockBytes, threads: threads))
            var lines: [Int] = []
            try reader.streamBlocks(into: LineRecorder(), threads: threads, capacity: 2 * threads + 2, progress: nil) { outcome in
                lines += outcome.consumer.lines
            }
            #expect(lines == expected, "block size \(blockBytes)")
        }
    }

    @Test("the cutter's line count is the reader's rule on any bytes, at any length and alignment")
    func countingRules() {
        var rng = SeededGenerator(seed: 12)
        let alphabet: [UInt8] = Array("a,\"\n\r\n\n".utf8)
        for length in 0..<300 {
            let bytes = (0..<(length + 3)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            for start in 0..<3 {
                let slice = Array(bytes[start..<(start + length)])
                let lineFeeds = slice.filter { $0 == 0x0A }.count
                let loneCRs = slice.indices.filter { slice[$0] == 0x0D && ($0 + 1 == slice.count || slice[$0 + 1] != 0x0A) }.count
                slice.withUnsafeBufferPointer { buffer in
                    #expect(LineFeeds.count(buffer) == lineFeeds)
                    #expect(DelimitedReader.lineBreaks(buffer) == lineFeeds + loneCRs, "LF, CRLF and lone CR are one line each")
                    #expect(JSONLinesReader.lines(buffer) == lineFeeds + (slice.last.map { $0 == 0x0A ? 0 : 1 } ?? 0), "LF only; a last line without one")
                }
            }
        }
    }
}
