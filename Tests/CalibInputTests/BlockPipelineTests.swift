import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// The multi-core pipeline: blocks cut anywhere, any number of threads, the same result.
@Suite("Block pipeline")
struct BlockPipelineTests {
    static func text(rows: Int, seed: UInt64, quoted: Bool) -> String {
        var rng = SeededGenerator(seed: seed)
        var out = "id,label,prob,g\r\n"
        for i in 0..<rows {
            let y = Int.random(in: 0...1, using: &rng)
            let p = Double.random(in: 0...1, using: &rng)
            let id = quoted && i % 7 == 0 ? "\"row\r\n\(i), \"\"q\"\"\"" : "r\(i)"
            out += "\(id),\(y),\(p),\(["a", "b", "c"][i % 3])" + (i % 5 == 0 ? "\n" : "\r\n")
        }
        return out
    }

    static func audit(_ text: String, blockBytes: Int, threads: Int, skip: Bool = false) throws -> (AuditResult, InputSummary, [SegmentAudit]) {
        var options = ReadOptions()
        options.blockBytes = blockBytes
        options.threads = threads
        options.id = "id"
        options.group = "g"
        options.chunkRows = 97
        if skip { options.onInvalid = .skip }
        let outcome = try InputAudit.audit(.bytes(Array(text.utf8), name: "t.csv"), options: options)
        return (outcome.result, outcome.input, outcome.segments)
    }

    @Test("any thread count gives the same result, bit for bit", arguments: [1, 2, 3, 8])
    func threadCounts(threads: Int) throws {
        let text = Self.text(rows: 3000, seed: 1, quoted: true)
        let (one, _, oneSegments) = try Self.audit(text, blockBytes: 2048, threads: 1)
        let (many, _, manySegments) = try Self.audit(text, blockBytes: 2048, threads: threads)
        #expect(PropertyValues.bits(one) == PropertyValues.bits(many))
        #expect(one.worstRows == many.worstRows)
        #expect(oneSegments.map(\.name) == manySegments.map(\.name))
        #expect(oneSegments.map { PropertyValues.bits($0.result) } == manySegments.map { PropertyValues.bits($0.result) })
    }

    @Test("block cuts inside quoted fields and CRLF pairs change nothing", arguments: [16, 37, 100, 1000, 1 << 22])
    func blockSizes(blockBytes: Int) throws {
        let text = Self.text(rows: 700, seed: 2, quoted: true)
        let (reference, _, _) = try Self.audit(text, blockBytes: 1 << 22, threads: 1)
        let (cut, input, _) = try Self.audit(text, blockBytes: blockBytes, threads: 2)
        #expect(input.rows == 700)
        #expect(cut.worstRows == reference.worstRows, "lines and ids of the worst rows")
        for (a, b) in zip(PropertyValues.of(cut), PropertyValues.of(reference)) {
            #expect(isClose(a, b, relative: 1e-12), "\(a) vs \(b)")
        }
    }

    @Test("an error in a late block names its absolute line")
    func lateError() throws {
        var text = Self.text(rows: 2000, seed: 3, quoted: false)
        let lines = text.components(separatedBy: "\n")
        text = text.replacingOccurrences(of: "r1777,", with: "r1777,x") // a label that is no class
        _ = lines
        let error = try #require(throws: InputError.self) { _ = try Self.audit(text, blockBytes: 512, threads: 2) }
        #expect(error.line == 1779, "\(error)")
        let (_, input, _) = try Self.audit(text, blockBytes: 512, threads: 2, skip: true)
        #expect(input.skipped.total == 1)
        #expect(input.skipped.reasons.first?.examples.first?.line == 1779)
        #expect(input.skipped.reasons.first?.examples.first?.message.hasPrefix("t.csv:1779:") == true)
    }

    @Test("classes learned late (the negative class first seen in a later block) are learned in order")
    func lateClassDiscovery() throws {
        var text = "label,p_fraud\n"
        for i in 0..<3000 { text += (i < 1500 ? "fraud" : (i % 2 == 0 ? "legit" : "fraud")) + ",\(Double(i % 100) / 100)\n" }
        var options = ReadOptions()
        options.blockBytes = 300
        options.threads = 4
        let parallel = try InputAudit.audit(.bytes(Array(text.utf8), name: "late.csv"), options: options)
        options.threads = 1
        options.blockBytes = 1 << 22
        let sequential = try InputAudit.audit(.bytes(Array(text.utf8), name: "late.csv"), options: options)
        #expect(parallel.input.classes == ["legit", "fraud"])
        #expect(parallel.result.perClass.map(\.rows) == [750, 2250])
        for (a, b) in zip(PropertyValues.of(parallel.result), PropertyValues.of(sequential.result)) {
            #expect(isClose(a, b, relative: 1e-12))
        }
    }

    /// Files whose first block's first rows do or do not settle the classes.
    enum FirstRows: String, CaseIterable, CustomTestStringConvertible {
        /// 0/1 labels from the first rows, quoted ids with line breaks, segments.
        case settledAtOnce
        /// Only class 0 for the first 40 rows (past the prefix): learned in order.
        case settledPastThePrefix
        /// A label in no known pair on row 3: the same error, on the same line.
        case unknownPairEarly
        /// A third spelling after the classes are settled: skipped on the same line.
        case thirdSpellingLater
        /// The positive class named by the score column (`p_fraud`); the negative learned from the rows.
        case positiveFromColumn

        var testDescription: String { rawValue }

        var text: String {
            var rng = SeededGenerator(seed: 9)
            var out = self == .positiveFromColumn ? "id,label,p_fraud,g\n" : "id,label,prob,g\n"
            for i in 0..<2000 {
                let p = Double.random(in: 0...1, using: &rng)
                var y = Int.random(in: 0...1, using: &rng) == 1 ? "1" : "0"
                if self == .settledPastThePrefix && i < 40 { y = "0" }
                if self == .unknownPairEarly && i == 2 { y = "maybe" }
                if self == .thirdSpellingLater && i == 700 { y = "2" }
                if self == .positiveFromColumn { y = y == "1" ? "fraud" : "legit" }
                let id = i % 11 == 0 ? "\"r\n\(i)\"" : "r\(i)"
                out += "\(id),\(y),\(p),\(["a", "b"][i % 2])\n"
            }
            return out
        }
    }

    @Test("settling the classes from the first block's first rows gives what decoding it in order gives, bit for bit",
          arguments: FirstRows.allCases, [1, 3])
    func labelsSettledAhead(rows: FirstRows, threads: Int) throws {
        func audit(prefixBytes: Int) -> Result<InputAudit.Outcome, InputError> {
            var options = ReadOptions()
            options.blockBytes = 16_384 // the first block holds ~500 rows; the prefix below ~35
            options.labelPrefixBytes = prefixBytes
            options.threads = threads
            options.id = "id"
            options.group = "g"
            options.chunkRows = 97
            if rows == .thirdSpellingLater { options.onInvalid = .skip }
            do { return .success(try InputAudit.audit(.bytes(Array(rows.text.utf8), name: "first.csv"), options: options)) }
            catch let error as InputError { return .failure(error) }
            catch { Issue.record("\(error)"); return .failure(InputError(.data, file: "", reason: "")) }
        }
        let ahead = audit(prefixBytes: 1024), inOrder = audit(prefixBytes: 0)
        switch (ahead, inOrder) {
        case let (.success(a), .success(b)):
            #expect(rows != .unknownPairEarly, "the label in no known pair stops the audit")
            #expect(PropertyValues.bits(a.result) == PropertyValues.bits(b.result))
            #expect(a.result.worstRows == b.result.worstRows)
            #expect(a.input.classes == b.input.classes && a.input.positiveClassReason == b.input.positiveClassReason)
            #expect(a.input.rows == b.input.rows && a.input.skipped.total == b.input.skipped.total)
            #expect(a.input.skipped.reasons.first?.examples.first?.line == b.input.skipped.reasons.first?.examples.first?.line)
            #expect(a.segments.map(\.name) == b.segments.map(\.name))
            #expect(a.segments.map { PropertyValues.bits($0.result) } == b.segments.map { PropertyValues.bits($0.result) })
            if rows == .thirdSpellingLater { #expect(a.input.skipped.total == 1) }
        case let (.failure(a), .failure(b)):
            #expect(rows == .unknownPairEarly)
            #expect(a.line == b.line && a.line == 5 && a.description == b.description, "\(a)")
        default:
            Issue.record("one path failed and the other did not: \(ahead) / \(inOrder)")
        }
    }

    /// A consumer that keeps nothing.
    struct Discard: ChunkConsumer {
        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) {}
    }

    @Test("the first block's first rows settle the classes when both appear in them, and only then",
          arguments: [(FirstRows.settledAtOnce, true), (.settledPastThePrefix, false), (.unknownPairEarly, false), (.positiveFromColumn, true)])
    func labelsSettleFromPrefix(rows: FirstRows, settles: Bool) throws {
        var options = ReadOptions()
        options.id = "id"
        options.labelPrefixBytes = 1024
        let reader = try PredictionReader(location: .bytes(Array(rows.text.utf8), name: "first.csv"), options: options)
        let block = try #require(try reader.takeBlock(target: 16_384))
        #expect(!reader.labelsSettled)
        reader.settleLabels(from: block, into: Discard())
        #expect(reader.labelsSettled == settles)
    }

    @Test("inputs larger than the record limit stream in default-sized blocks")
    func largeInput() throws {
        var text = "label,prob\n"
        for i in 0..<150_000 { text += "\(i % 2),0.\(100_000_000 + i)\n" }
        #expect(text.utf8.count > 2 << 20)
        let outcome = try InputAudit.audit(.bytes(Array(text.utf8), name: "big.csv"))
        #expect(outcome.input.rows == 150_000)
        let file = try temporaryFile("big.csv", text)
        #expect(try InputAudit.audit(.file(file)).input.rows == 150_000)
    }

    @Test("JSON Lines blocks give the same rows as one block")
    func jsonLinesBlocks() throws {
        var text = ""
        for i in 0..<800 { text += "{\"label\": \(i % 2), \"prob\": \(Double(i % 37) / 37), \"id\": \"j\(i)\"}\n" }
        var options = ReadOptions()
        options.id = "id"
        options.blockBytes = 200
        options.threads = 3
        let small = try InputAudit.audit(.bytes(Array(text.utf8), name: "j.jsonl"), options: { var o = options; o.format = .jsonl; return o }())
        options.blockBytes = 1 << 22
        let whole = try InputAudit.audit(.bytes(Array(text.utf8), name: "j.jsonl"), options: { var o = options; o.format = .jsonl; return o }())
        #expect(small.input.rows == 800 && small.result.worstRows == whole.result.worstRows)
    }
}

/// Every scalar a report prints, for whole-result comparisons.
enum PropertyValues {
    static func of(_ r: AuditResult) -> [Double] {
        r.metrics.namedValues.map(\.value)
            + r.perClass.flatMap { [$0.support, $0.precision, $0.recall, $0.f1, $0.ece, $0.crossEntropy ?? -1] }
            + r.reliability.bins.flatMap { [$0.weight, $0.meanPredicted ?? -1, $0.observedRate ?? -1, Double($0.count)] }
            + r.imbalance.losses.flatMap { [$0.value] + $0.perClass.flatMap { [$0.lossShare, $0.gradientShare] } }
    }

    /// The same values' bit patterns (an undefined value, NaN, equals itself).
    static func bits(_ r: AuditResult) -> [UInt64] { of(r).map(\.bitPattern) }
}
