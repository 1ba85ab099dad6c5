@testable import CalibCore
import CalibTestSupport
import Testing

/// SPEC section 14 in the engine: an accumulator (families, score store or
/// sketch, bootstrap replicates) leaves the process as a part and comes back
/// bit for bit; parts of a split input merge to the single pass's result;
/// a part that is truncated, corrupted, of a future version or not a part at
/// all is refused with its own problem.
@Suite("Partial states")
struct PartialStateTests {
    typealias TableCase = AccumulatorStateTests.TableCase
    static let tables = AccumulatorStateTests.tables
    static let settings = AccumulatorStateTests.settings

    /// A store form and whether the bootstrap runs.
    struct StoreCase: CustomTestStringConvertible, Sendable {
        let name: String
        let table: TableCase
        let budget: Int
        let bootstrap: Bool
        var testDescription: String { "\(table.name), \(name)" }

        func empty() -> AuditAccumulator {
            AuditAccumulator(shape: table.shape, settings: PartialStateTests.settings,
                             ranking: RankingSettings(costs: MisclassificationCosts(falsePositive: 1, falseNegative: 9), memoryBudget: budget),
                             bootstrap: bootstrap ? BootstrapSettings(replicates: 20, seed: 7) : nil)
        }
    }

    static let stores: [StoreCase] = tables.flatMap { t in
        [StoreCase(name: "exact store, bootstrap", table: t, budget: 256 << 20, bootstrap: true),
         StoreCase(name: "sketch", table: t, budget: 4 << 10, bootstrap: false)]
    }

    static func bytes(_ accumulator: AuditAccumulator) -> [UInt8] {
        var w = PartialWriter()
        accumulator.writePartial(&w)
        return w.bytes
    }

    static func read(_ bytes: [UInt8]) throws -> AuditAccumulator {
        var r = PartialReader(bytes[...])
        let accumulator = try AuditAccumulator(readingPartial: &r)
        try r.requireEnd("the accumulator")
        return accumulator
    }

    /// Every interval's bounds, in entry order (NaN for an interval left out).
    static func bounds(_ result: AuditResult) -> [Double] {
        (result.bootstrap?.entries ?? []).flatMap { [$0.interval?.lower ?? .nan, $0.interval?.upper ?? .nan] }
    }

    /// Whether two lists agree within `tolerance` relative (NaN matching NaN).
    static func close(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x == y || (x.isNaN && y.isNaN) || abs(x - y) <= tolerance * max(abs(x), abs(y))
        }
    }

    @Test("an accumulator read back from its part writes the same bytes and finishes to the same numbers", arguments: stores)
    func roundTrip(c: StoreCase) throws {
        var accumulator = c.empty()
        accumulator.add(c.table.table(rows: 900, firstLine: 2, seed: 31))
        #expect(accumulator.rankingIsExact == (c.budget > 1 << 20))
        let written = Self.bytes(accumulator)
        let restored = try Self.read(written)
        #expect(Self.bytes(restored) == written)
        #expect(restored.state == accumulator.state)
        let names = AccumulatorStateTests.names(c.table)
        let a = accumulator.result(classNames: names), b = restored.result(classNames: names)
        #expect(AccumulatorStateTests.bits(a) == AccumulatorStateTests.bits(b))
        #expect(String(describing: a.ranking) == String(describing: b.ranking))
        #expect(a.bootstrap?.entries.map(\.interval) == b.bootstrap?.entries.map(\.interval))
    }

    @Test("soft-target sums travel in a part beside the score store and come back bit for bit")
    func softTargetsWithRanking() throws {
        let shape = ClassificationShape(classCount: 3, scoreKind: .probabilities, softTargets: true)
        var rng = SeededGenerator(seed: 5)
        var table = PredictionTable(shape: shape)
        for i in 0..<400 {
            let p = [Double.random(in: 0.1..<1, using: &rng), Double.random(in: 0.1..<1, using: &rng), Double.random(in: 0.1..<1, using: &rng)]
            let t = [Double.random(in: 0.1..<1, using: &rng), Double.random(in: 0.1..<1, using: &rng), Double.random(in: 0.1..<1, using: &rng)]
            let (ps, ts) = (p.reduce(0, +), t.reduce(0, +))
            table.append(label: i % 3, scores: p.map { $0 / ps }, targets: t.map { $0 / ts }, line: i + 2)
        }
        var accumulator = AuditAccumulator(shape: shape, settings: Self.settings, ranking: RankingSettings())
        accumulator.add(table)
        let restored = try Self.read(Self.bytes(accumulator))
        let names = ["a", "b", "c"]
        let before = try #require(accumulator.result(classNames: names).softTargets)
        #expect(restored.result(classNames: names).softTargets == before)
        #expect(before.crossEntropy > 0)
    }

    @Test("parts of an input split at random points merge, read back from their bytes, to the single pass: counts equal, values within 1e-12, intervals the same replicates (within 1e-12)", arguments: stores)
    func splitMergesToOnePass(c: StoreCase) throws {
        let rows = 1_200
        let whole = c.table.table(rows: rows, firstLine: 2, seed: 41)
        var onePass = c.empty()
        onePass.add(whole)
        var random = SeededGenerator(seed: 5)
        for parts in 1...7 {
            let cuts = ([0, rows] + (1..<parts).map { _ in Int.random(in: 1..<rows, using: &random) }).sorted()
            var merged: AuditAccumulator?
            for (lower, upper) in zip(cuts, cuts.dropFirst()) where lower < upper {
                var part = c.empty()
                part.add(whole, rows: lower..<upper)
                let restored = try Self.read(Self.bytes(part))
                if merged == nil { merged = restored } else { try merged!.merge(checked: restored) }
            }
            let names = AccumulatorStateTests.names(c.table)
            let a = onePass.result(classNames: names), b = merged!.result(classNames: names)
            #expect(a.rows == b.rows && a.confusion.counts.count == b.confusion.counts.count)
            for ((key, x), (_, y)) in zip(a.metrics.namedValues, b.metrics.namedValues) {
                #expect(x == y || (x.isNaN && y.isNaN) || abs(x - y) <= 1e-12 * max(abs(x), abs(y)), "\(parts) parts: \(key)")
            }
            #expect(Self.close(Self.bounds(a), Self.bounds(b)), "\(parts) parts")
        }
    }

    @Test("a row offset keys the bootstrap counts as the row's line in the whole input: a part of lines 2… with offset N draws as lines N + 2…")
    func rowOffsetShiftsTheKey() throws {
        let c = Self.stores[0]
        let whole = c.table.table(rows: 600, firstLine: 2, seed: 51)
        var onePass = c.empty()
        onePass.add(whole)
        // The second half as its own file: its rows on lines 2… again, 300 rows before it.
        let tail = c.table.table(rows: 600, firstLine: -298, seed: 51)
        var first = c.empty(), second = c.empty(), unshifted = c.empty()
        first.add(whole, rows: 0..<300)
        second.bootstrapRowOffset = 300
        second.add(tail, rows: 300..<600)
        unshifted.add(tail, rows: 300..<600)
        #expect(tail.lines[300] == 2)
        var merged = first, wrong = first
        merged.merge(second)
        wrong.merge(unshifted)
        let names = AccumulatorStateTests.names(c.table)
        let exact = Self.bounds(onePass.result(classNames: names))
        #expect(Self.close(Self.bounds(merged.result(classNames: names)), exact))
        #expect(!Self.close(Self.bounds(wrong.result(classNames: names)), exact, tolerance: 1e-6))
    }

    struct DamageCase: CustomTestStringConvertible, Sendable {
        let name: String
        let damage: @Sendable ([UInt8]) -> [UInt8]
        let expected: PartialStateFormat.Problem
        var testDescription: String { name }
    }

    static let damages: [DamageCase] = [
        DamageCase(name: "truncated by one byte", damage: { Array($0.dropLast()) }, expected: .truncated(expected: 0, found: 0)),
        DamageCase(name: "truncated in the header", damage: { Array($0.prefix(10)) }, expected: .truncated(expected: 0, found: 0)),
        DamageCase(name: "a byte more", damage: { $0 + [0] }, expected: .trailingBytes(expected: 0, found: 0)),
        DamageCase(name: "a body byte flipped", damage: { var b = $0; b[40] ^= 0x10; return b }, expected: .checksum),
        DamageCase(name: "other magic", damage: { var b = $0; b[0] = UInt8(ascii: "X"); return b }, expected: .notAPart),
        DamageCase(name: "empty", damage: { _ in [] }, expected: .notAPart),
        DamageCase(name: "version 6", damage: { var b = $0; b[8] = 6; return b }, expected: .futureVersion(6)),
        DamageCase(name: "version 1 with the four-lane checksum", damage: { var b = $0; b[8] = 1; return b }, expected: .checksum),
        DamageCase(name: "version 3 with the four-lane checksum", damage: { var b = $0; b[8] = 3; return b }, expected: .checksum),
    ]

    @Test("a damaged part is refused with its problem", arguments: damages)
    func damaged(c: DamageCase) throws {
        var accumulator = Self.stores[0].empty()
        accumulator.add(Self.tables[0].table(rows: 50, firstLine: 2, seed: 3))
        var body = PartialWriter()
        body.section("audit") { accumulator.writePartial(&$0) }
        let part = PartialStateFormat.wrap(body)
        #expect(try PartialStateFormat.unwrap(part)["audit"] != nil)
        do {
            _ = try PartialStateFormat.unwrap(c.damage(part))
            Issue.record("a damaged part was read")
        } catch {
            switch (error, c.expected) {
            case (.truncated, .truncated), (.trailingBytes, .trailingBytes): break
            default: #expect(error == c.expected)
            }
        }
    }

    @Test("FNV-1a 64 gives the published values")
    func checksum() {
        // Fowler–Noll–Vo test vectors: "" and "a".
        #expect([UInt8]().withUnsafeBytes { PartialStateFormat.fnv1a64($0) } == 0xcbf2_9ce4_8422_2325)
        #expect(Array("a".utf8).withUnsafeBytes { PartialStateFormat.fnv1a64($0) } == 0xaf63_dc4c_8601_ec8c)
    }

    @Test("a family's count beyond 2^52 is malformed (merging such parts could overflow)")
    func countLimit() throws {
        for (count, refused) in [(1 << 52, false), ((1 << 52) + 1, true), (-(1 << 53), true), (Int.max, true)] {
            var w = PartialWriter()
            w.family(FamilyState(doubles: [0.5], counts: [3, count], texts: []))
            var r = PartialReader(w.bytes[...])
            if refused {
                #expect(throws: PartialStateFormat.Problem.self, "\(count)") { _ = try r.family() }
            } else {
                #expect(try r.family().counts == [3, count])
            }
        }
    }

    @Test("the word-wise FNV-1a 64 of format 2 gives the values of its definition (computed apart in Python)")
    func wordChecksum() {
        let cases: [(bytes: [UInt8], hash: UInt64)] = [
            ([], 0xaf63_bd4c_8601_b7df),
            (Array("a".utf8), 0x089b_e307_b544_f397),
            (Array("abcdefghi".utf8), 0xb7db_aa28_7fb4_fa62),
            (Array("a".utf8) + [0], 0x089b_e407_b544_f54a),
        ]
        for c in cases { #expect(c.bytes.withUnsafeBytes { PartialStateFormat.fnv1a64Words($0) } == c.hash, "\(c.bytes)") }
    }

    @Test("the four-lane FNV-1a 64 of format 4 gives the values of its definition (computed apart in Python)")
    func laneChecksum() {
        let cases: [(bytes: [UInt8], hash: UInt64)] = [
            ([], 0x7f6e_4d21_b650_a5a3),
            (Array("a".utf8), 0x2dcc_08fc_a8b5_8aab),
            (Array("abcdefghi".utf8), 0xc4bd_2f0b_3d8f_f29a),
            (Array("a".utf8) + [0], 0x2dcc_09fc_a8b5_8c5e),
        ]
        for c in cases { #expect(c.bytes.withUnsafeBytes { PartialStateFormat.fnv1a64Lanes($0) } == c.hash, "\(c.bytes)") }
    }

    @Test("the four-lane checksum is the same however its bytes are cut into pieces", arguments: [1, 3, 8, 13, 32, 37, 100])
    func laneChecksumPieces(piece: Int) {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let whole = bytes.withUnsafeBytes { PartialStateFormat.fnv1a64Lanes($0) }
        var hash = LaneChecksum()
        bytes.withUnsafeBytes { raw in
            for start in stride(from: 0, to: raw.count, by: piece) {
                hash.add(UnsafeRawBufferPointer(rebasing: raw[start..<min(start + piece, raw.count)]))
            }
        }
        #expect(hash.value == whole)
    }

    struct OldVersion: CustomTestStringConvertible, Sendable {
        let version: UInt8
        let checksum: @Sendable (UnsafeRawBufferPointer) -> UInt64
        var testDescription: String { "version \(version)" }
    }

    @Test("a part of format versions 1 (checksum over bytes) to 3 (over words, one lane) and 4 (four lanes) still reads", arguments: [
        OldVersion(version: 1, checksum: PartialStateFormat.fnv1a64), OldVersion(version: 2, checksum: PartialStateFormat.fnv1a64Words),
        OldVersion(version: 3, checksum: PartialStateFormat.fnv1a64Words), OldVersion(version: 4, checksum: PartialStateFormat.fnv1a64Lanes),
    ])
    func oldVersions(_ old: OldVersion) throws {
        var body = PartialWriter()
        body.section("tool") { $0.string("0.1.0") }
        var part = PartialStateFormat.wrap(body)
        #expect(part[8] == UInt8(PartialStateFormat.version))
        part[8] = old.version
        let hash = part[PartialStateFormat.headerBytes..<(part.count - 8)].withUnsafeBytes { old.checksum($0) }
        withUnsafeBytes(of: hash.littleEndian) { for (i, b) in $0.enumerated() { part[part.count - 8 + i] = b } }
        var tool = try #require(try PartialStateFormat.unwrap(part)["tool"])
        #expect(try tool.string() == "0.1.0")
    }

    @Test("a part's large arrays are written where they lie, and its bytes are those of a writer that copies them")
    func arraysByReference() throws {
        let keys = (0..<UInt64(3 * PartialWriter.referenceCount)).map { $0 &* 0x9e37_79b9_7f4a_7c15 }
        let values = (0..<PartialWriter.referenceCount).map { Double($0) / 7 }
        func write(_ w: inout PartialWriter) {
            w.section("a") { $0.string("before"); $0.words(keys); $0.u8(7); $0.doubles(values); $0.doubles([0.5]) }
            w.section("b") { $0.words(Array(keys.prefix(5))) }
        }
        var kept = PartialStateFormat.begin()
        write(&kept)
        #expect(kept.spans.count == 2)
        let part = PartialStateFormat.sealed(kept)
        var copied = PartialWriter()
        write(&copied)
        #expect(copied.spans.isEmpty)
        #expect(part.bytes == PartialStateFormat.wrap(copied))
        #expect(part.count == part.bytes.count)
        var segments: [UInt8] = []
        part.forEachSegment { segments += $0 }
        #expect(segments == part.bytes)
        var a = try #require(try PartialStateFormat.unwrap(part.bytes)["a"])
        #expect(try a.string() == "before")
        #expect(try a.words() == keys)
        #expect(try a.u8() == 7)
        #expect(try a.doubles() == values)
    }

    struct KeyCase: CustomTestStringConvertible, Sendable {
        let name: String
        let scores: [Double]
        /// Moves the first key to the next bucket's start (its bucket no longer holds it).
        let misplaced: Bool
        let holds: Bool
        var testDescription: String { name }
    }

    static let keyCases = [
        KeyCase(name: "scores in [0, 1], each in its bucket", scores: [0, 1e-300, 0.25, 0.5, 0.75, 1], misplaced: false, holds: true),
        KeyCase(name: "a key in the bucket after its own", scores: [0.25, 0.5], misplaced: true, holds: false),
        KeyCase(name: "a score above 1", scores: [0.5, 1.5], misplaced: false, holds: false),
        KeyCase(name: "a score of infinity", scores: [0.5, .infinity], misplaced: false, holds: false),
        KeyCase(name: "a NaN score", scores: [0.5, .nan], misplaced: false, holds: false),
    ]

    @Test("a part's exact score store is read only when each bucket holds its own keys, of scores in [0, 1]", arguments: keyCases)
    func keysInBuckets(_ c: KeyCase) {
        let grid = ExactScores.grid
        let keys = c.scores.map { ScoreStore.key(score: $0, positive: false) }
        var starts = [UInt32](repeating: 0, count: grid.bucketCount + 1)
        // Keys past the grid (scores above 1) go to the last bucket, where a writer could claim them to be.
        let buckets = keys.map { min(grid.bucket(key: $0), grid.bucketCount - 1) }
        for b in buckets { starts[b + 1] += 1 }
        for b in 0..<grid.bucketCount { starts[b + 1] += starts[b] }
        if c.misplaced { starts[buckets[0] + 1] -= 1 }
        let order = keys.indices.sorted { buckets[$0] < buckets[$1] }
        #expect(ScoreStore.holds(order.map { keys[$0] }, in: starts) == c.holds)
    }

    @Test("parts of other settings are refused on merge, naming the setting")
    func mismatch() {
        let c = Self.stores[0]
        let base = c.empty()
        var other = AuditAccumulator(shape: c.table.shape, settings: Self.settings, ranking: RankingSettings(memoryBudget: 1 << 20),
                                     bootstrap: BootstrapSettings(replicates: 20, seed: 7))
        guard case .setting(name: "ranking", _, _)? = base.partialMismatch(with: other) else { Issue.record("ranking not named"); return }
        other = AuditAccumulator(shape: c.table.shape, settings: Self.settings, ranking: base.rankingSettings, bootstrap: BootstrapSettings(replicates: 20, seed: 8))
        #expect(base.partialMismatch(with: other) == .setting(name: "seed", expected: "7", found: "8"))
        other = AuditAccumulator(shape: c.table.shape, settings: AuditSettings(bins: 9), ranking: base.rankingSettings, bootstrap: base.bootstrapSettings)
        #expect(base.partialMismatch(with: other) == .setting(name: "bins", expected: "7", found: "9"))
        #expect(base.partialMismatch(with: base) == nil)
    }
}
