import CalibCore
import CalibInput
import Foundation
import Testing

/// `TableLoader.loadChunks`: a whole input in fixed chunks of rows (what `calib compare` audits).
@Suite("Reading a whole input in chunks of rows")
struct TableLoaderTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let rows: Int
        let chunkRows: Int
        let blockBytes: Int
        let readerChunkRows: Int
    }

    static let cases = [
        Case(description: "chunks longer than the blocks", rows: 1_000, chunkRows: 300, blockBytes: 4 << 10, readerChunkRows: 50),
        Case(description: "chunks shorter than the reader's", rows: 1_000, chunkRows: 7, blockBytes: 2 << 20, readerChunkRows: 8192),
        Case(description: "rows a multiple of the chunk", rows: 900, chunkRows: 300, blockBytes: 1 << 10, readerChunkRows: 13),
        Case(description: "one chunk holds every row", rows: 50, chunkRows: 1 << 18, blockBytes: 2 << 20, readerChunkRows: 8192),
    ]

    @Test("chunk c holds rows c·n ..< (c + 1)·n of the input, whatever the blocks and threads", arguments: cases)
    func chunks(_ c: Case) throws {
        var text = "label,prob,id\n"
        for i in 0..<c.rows {
            text += "\(i % 3 == 0 ? 1 : 0),\(Double(i % 97) / 97),r\(i)\n"
            if i % 101 == 5 { text += "\n" }
        }
        let path = try temporaryFile("chunks.csv", text)
        for threads in [1, 3] {
            var options = ReadOptions()
            options.id = "id"
            options.blockBytes = c.blockBytes
            options.chunkRows = c.readerChunkRows
            options.threads = threads
            let (whole, _) = try TableLoader.load(.file(path), options: options)
            let (chunks, input) = try TableLoader.loadChunks(.file(path), options: options, rows: c.chunkRows)
            #expect(input.rows == c.rows)
            #expect(chunks.count == (c.rows + c.chunkRows - 1) / c.chunkRows)
            #expect(chunks.dropLast().allSatisfy { $0.count == c.chunkRows })
            #expect(chunks.flatMap(\.labels) == whole.labels && chunks.flatMap(\.scores) == whole.scores)
            #expect(chunks.flatMap(\.weights) == whole.weights && chunks.flatMap(\.lines) == whole.lines && chunks.flatMap(\.ids) == whole.ids)
        }
    }

    static let lineCases: [(String, Bool, Bool, Int)] = [
        ("no id column: no lines", false, false, 4 << 10),
        ("no id column, one block", false, false, 2 << 20),
        ("an id column named by --id: lines kept beside the ids", true, true, 4 << 10),
        ("a column named id, found without --id: lines kept beside the ids", true, false, 4 << 10),
    ]

    @Test("loaded without lines, a table has the same rows, and no lines unless it has ids", arguments: lineCases)
    func withoutLines(name: String, withID: Bool, namedByOption: Bool, blockBytes: Int) throws {
        var text = withID ? "label,prob,id\n" : "label,prob\n"
        for i in 0..<2_000 { text += "\(i % 3 == 0 ? 1 : 0),\(Double(i % 89) / 89)" + (withID ? ",r\(i)\n" : "\n") }
        let path = try temporaryFile("nolines.csv", text)
        for threads in [1, 3] {
            var options = ReadOptions()
            options.id = namedByOption ? "id" : nil
            options.blockBytes = blockBytes
            options.threads = threads
            let (whole, _) = try TableLoader.load(.file(path), options: options)
            let (table, input) = try TableLoader.load(.file(path), options: options, keepingLines: false)
            #expect(input.rows == 2_000 && table.count == 2_000, "\(name)")
            #expect(table.labels == whole.labels && table.scores == whole.scores && table.weights == whole.weights, "\(name)")
            #expect(table.lines == (withID ? whole.lines : []) && table.ids == whole.ids && whole.ids.isEmpty == !withID, "\(name)")
        }
    }

    @Test("short rows first and long rows later: the overshooting reservation is given back, the rows are the file's")
    func overshootGivenBack() throws {
        var text = "label,prob,note\n"
        for i in 0..<2_000 { text += "\(i % 2),0.\(i % 10),\n" }
        let long = String(repeating: "x", count: 2_000)
        for i in 0..<2_000 { text += "\(i % 2),0.\(i % 10),\(long)\n" }
        let path = try temporaryFile("skewed.csv", text)
        var options = ReadOptions()
        options.blockBytes = 4 << 10
        for keepingLines in [false, true] {
            let (table, input) = try TableLoader.load(.file(path), options: options, keepingLines: keepingLines)
            #expect(input.rows == 4_000 && table.count == 4_000)
            #expect(table.labels.capacity <= 2 * 4_000 + 65_536, "capacity \(table.labels.capacity) for 4,000 rows")
            #expect(table.labels == (0..<4_000).map { Int32($0 % 2) })
            #expect(table.lines.count == (keepingLines ? 4_000 : 0))
        }
    }

    @Test("a reservation the process cannot have is not attempted")
    func impossibleReservation() {
        let shape = ClassificationShape(classCount: 2, scoreKind: .probabilities)
        #expect(!TableLoader.canAllocate(rows: Int.max / 64, shape: shape, lines: true))
        #expect(!TableLoader.canAllocate(rows: Int.max, shape: shape, lines: false))
        #expect(TableLoader.canAllocate(rows: 1_000, shape: shape, lines: true))
    }

    @Test("the rows reserved follow the first block's rate over the file, and never exceed a row per 2 bytes",
          arguments: [("a 2 MB block of 100,000 rows, 220 MB", 100_000, 2 << 20, 220 << 20, 11_650_000),
                      ("an input smaller than a block", 50, 2 << 20, 1_000, 50),
                      ("a block of rows of 1 byte", 1 << 20, 1 << 20, 10 << 20, (5 << 20) + 1)])
    func estimatedRows(name: String, firstBlock: Int, blockBytes: Int, inputBytes: Int, expected: Int) {
        #expect(TableLoader.estimatedRows(firstBlock: firstBlock, blockBytes: blockBytes, inputBytes: inputBytes) == expected, "\(name)")
    }
}
