import CalibCore
@testable import CalibInput
import Testing

/// `--group`: segments are capped by count and by the bytes of their state,
/// whichever comes first, checked in input order across blocks and threads.
@Suite("Segment limits")
struct SegmentBudgetTests {
    /// `rows` rows of `classes` classes with group `s<i mod segments>`.
    static func text(classes: Int, segments: Int, rows: Int) -> String {
        let p = String(1.0 / Double(classes))
        let scores = Array(repeating: p, count: classes).joined(separator: ",")
        var out = "label,g," + (0..<classes).map { "p_\($0)" }.joined(separator: ",") + "\n"
        for i in 0..<rows { out += "\(i % classes),s\(i % segments),\(scores)\n" }
        return out
    }

    static func audit(_ text: String, limit: Int = 10_000, budget: Int = 256 << 20, threads: Int = 1, blockBytes: Int = 2 << 20) throws -> InputAudit.Outcome {
        var options = ReadOptions()
        options.group = "g"
        options.segmentLimit = limit
        options.segmentStateBudget = budget
        options.threads = threads
        options.blockBytes = blockBytes
        return try InputAudit.audit(.bytes(Array(text.utf8), name: "s.csv"), options: options)
    }

    static func error(_ body: () throws -> Any) -> InputError? {
        do { _ = try body(); return nil } catch let error as InputError { return error } catch { return nil }
    }

    @Test("one segment's state grows with K² + K·B")
    func stateBytes() {
        let small = AuditAccumulator(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities))
        let large = AuditAccumulator(shape: ClassificationShape(classCount: 100, scoreKind: .probabilities))
        #expect(small.stateBytes < 8 << 10)
        // The 100-class confusion matrix alone is 10,000 compensated sums.
        #expect(large.stateBytes > 100 * 100 * MemoryLayout<CompensatedSum>.stride)
        #expect(large.stateBytes < 512 << 10)
    }

    struct BytesCase: CustomTestStringConvertible, Sendable {
        let name: String
        let classCount: Int
        let bytes: Int
        var testDescription: String { name }
    }

    /// The segment budget divides by these (64-bit platforms): what they were
    /// before the sums moved into families, plus 16 bytes for each of the 10
    /// worst rows since a worst row can name its input (`calib merge`).
    @Test("a segment's state bytes for the default settings", arguments: [
        BytesCase(name: "binary", classCount: 2, bytes: 4848),
        BytesCase(name: "20 classes", classCount: 20, bytes: 34800),
    ])
    func stateBytesValues(c: BytesCase) {
        #expect(AuditAccumulator(shape: ClassificationShape(classCount: c.classCount, scoreKind: .probabilities)).stateBytes == c.bytes)
    }

    @Test("the count limit holds across blocks: segments new in each block add up", arguments: [1, 3])
    func countLimitAcrossBlocks(threads: Int) throws {
        // 40 distinct segments, at most 30 allowed; each 64-byte block holds only a few.
        let text = Self.text(classes: 2, segments: 40, rows: 200)
        let error = try #require(Self.error { try Self.audit(text, limit: 30, threads: threads, blockBytes: 64) })
        #expect(error.exitCode == 65)
        #expect(error.line == 32, "the row of segment 31, s30, is line 32")
        #expect(error.value == "s30")
        #expect(error.column == "g")
        #expect(error.reason == "would be segment number 31; a group column may have at most 30 distinct values")
    }

    @Test("the state budget lowers the cap for many classes and names the bytes", arguments: [1, 3])
    func stateBudget(threads: Int) throws {
        let each = AuditAccumulator(shape: ClassificationShape(classCount: 20, scoreKind: .probabilities)).stateBytes
        let text = Self.text(classes: 20, segments: 12, rows: 120)
        let error = try #require(Self.error { try Self.audit(text, budget: 5 * each + each / 2, threads: threads, blockBytes: 256) })
        #expect(error.exitCode == 65)
        #expect(error.line == 7, "the sixth segment first appears on line 7")
        #expect(error.value == "s5")
        #expect(error.reason.hasPrefix("would be segment number 6: 5 segments already take the \((5 * each + each / 2) >> 10) KiB the segments' sums may use (\(each >> 10) KiB each"))
        #expect(error.reason.contains("for 20 classes"))
        #expect(error.hint != nil)
    }

    @Test("within both limits every segment is audited, the same for any thread count")
    func withinLimits() throws {
        let each = AuditAccumulator(shape: ClassificationShape(classCount: 20, scoreKind: .probabilities)).stateBytes
        let text = Self.text(classes: 20, segments: 12, rows: 240)
        let one = try Self.audit(text, budget: 12 * each, threads: 1, blockBytes: 256)
        let three = try Self.audit(text, budget: 12 * each, threads: 3, blockBytes: 256)
        #expect(one.segments.map(\.name) == (0..<12).map { "s\($0)" })
        #expect(one.segments.map(\.result.rows) == Array(repeating: 20, count: 12))
        #expect(three.segments.map(\.name) == one.segments.map(\.name))
        #expect(three.segments.map(\.result.rows) == one.segments.map(\.result.rows))
    }

    /// A file with an empty group value and the value (empty), and the line and value the error names.
    struct EmptyGroup: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let line: Int
        let value: String
        var testDescription: String { name }
    }

    @Test("an empty group value and the value (empty) are never merged into one segment", arguments: [
        EmptyGroup(name: "empty first", text: "label,prob,g\n1,0.9,\n0,0.2,a\n1,0.7,(empty)\n", line: 4, value: "(empty)"),
        EmptyGroup(name: "literal first", text: "label,prob,g\n1,0.9,(empty)\n0,0.2,a\n1,0.7,\n", line: 4, value: ""),
    ])
    func emptySegmentName(c: EmptyGroup) throws {
        let (name, text, line, value) = (c.name, c.text, c.line, c.value)
        for (threads, blockBytes) in [(1, 1 << 20), (3, 16)] {
            let error = try #require(Self.error { try Self.audit(text, threads: threads, blockBytes: blockBytes) }, "\(name)")
            #expect(error.exitCode == 65)
            #expect(error.line == line)
            #expect(error.value == value)
            #expect(error.reason.contains("would merge"))
        }
    }

    @Test("empty group values alone are the segment (empty)")
    func emptySegmentAlone() throws {
        let outcome = try Self.audit("label,prob,g\n1,0.9,\n0,0.2,a\n1,0.7,\n")
        #expect(outcome.segments.map(\.name) == ["(empty)", "a"])
        #expect(outcome.segments.map(\.result.rows) == [2, 1])
    }
}
