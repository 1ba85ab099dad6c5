@testable import CalibCore
import Testing

/// The bootstrap grid's sparse replicate weights (`ReplicateCells`) against
/// the dense layout they replace: the same doubles, bit for bit, slot by slot.
struct ReplicateCellsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let replicates: Int
        let slots: Int
        /// The slots reached, in order (a slot may come back).
        let first: [Int]
        let second: [Int]
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "one replicate, every slot once", replicates: 1, slots: 5, first: [0, 1, 2, 3, 4], second: [4, 3]),
        Case(name: "200 replicates, few slots, revisited", replicates: 200, slots: 4996, first: [7, 3, 7, 4995, 3, 0], second: [3, 12, 7]),
        Case(name: "the other part reaches none of these slots", replicates: 9, slots: 40, first: [1, 2], second: [30, 39, 30]),
        Case(name: "the first part has no rows", replicates: 16, slots: 40, first: [], second: [5, 6]),
    ]

    /// Lanes of the `t`-th addition: distinct, inexact sums (thirds), so that order matters.
    static func lanes(_ t: Int, _ replicates: Int) -> [Double] {
        (0..<replicates).map { Double(t * 31 + $0 % 7) / 3 + 0.1 }
    }

    /// The cells after `slots`' additions, and the dense reference the old layout kept.
    static func filled(_ c: Case, _ slots: [Int], offset: Int) -> (ReplicateCells, [Double]) {
        var cells = ReplicateCells(replicates: c.replicates, slots: c.slots)
        var dense = [Double](repeating: 0, count: c.replicates * c.slots)
        guard !slots.isEmpty else { return (cells, []) }
        cells.allocate()
        for (t, slot) in slots.enumerated() {
            let source = lanes(t + offset, c.replicates)
            source.withUnsafeBufferPointer { cells.add($0.baseAddress!, to: slot) }
            for l in 0..<c.replicates { dense[slot * c.replicates + l] += source[l] }
        }
        return (cells, dense)
    }

    static func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

    @Test("added lanes read back as the dense layout's doubles, unreached slots 0", arguments: cases)
    func adds(_ c: Case) {
        let (cells, dense) = Self.filled(c, c.first, offset: 0)
        #expect(Self.bits(cells.dense) == Self.bits(dense))
        for slot in 0..<c.slots {
            for r in 0..<c.replicates where !dense.isEmpty {
                #expect(cells.weight(slot: slot, replicate: r).bitPattern == dense[slot * c.replicates + r].bitPattern)
            }
        }
    }

    @Test("only the slots reached hold a run", arguments: cases)
    func memory(_ c: Case) {
        let (cells, _) = Self.filled(c, c.first, offset: 0)
        #expect(cells.runCount == Set(c.first).count)
        #expect(cells.bytes == 8 * c.replicates * Set(c.first).count + (c.first.isEmpty ? 0 : 4 * c.slots))
    }

    @Test("a merge equals the dense layout's lane-by-lane sum", arguments: cases)
    func merge(_ c: Case) {
        let (first, dense) = Self.filled(c, c.first, offset: 0)
        let (other, otherDense) = Self.filled(c, c.second, offset: 100)
        var merged = first
        merged.merge(other)
        let expected = dense.isEmpty ? otherDense : zip(dense, otherDense).map { $0 + $1 }
        #expect(Self.bits(merged.dense) == Self.bits(expected))
        #expect(merged.runCount == Set(c.first + c.second).count)
    }

    @Test("the partial state reads back run for run, bit for bit, and writes the same bytes again", arguments: cases)
    func roundTrip(_ c: Case) throws {
        let (cells, dense) = Self.filled(c, c.first, offset: 0)
        var w = PartialWriter()
        cells.writePartial(&w)
        var r = PartialReader(w.bytes[...])
        let restored = try ReplicateCells(readingPartial: &r, replicates: c.replicates, slots: c.slots)
        try r.requireEnd("the cells")
        #expect(Self.bits(restored.dense) == Self.bits(dense))
        #expect(restored.runCount == Set(c.first).count)
        var again = PartialWriter()
        restored.writePartial(&again)
        #expect(again.bytes == w.bytes)
        // Sparse: the runs of the slots reached, not the grid.
        #expect(w.bytes.count < 8 * (Set(c.first).count * c.replicates + Set(c.first).count) + 64)
    }

    struct Damage: CustomTestStringConvertible, Sendable {
        let name: String
        let allocated: Bool
        let slots: [Int]
        let lanes: Int
        var testDescription: String { name }
    }

    static let damages = [
        Damage(name: "a slot past the grid", allocated: true, slots: [2, 4], lanes: 6),
        Damage(name: "a negative slot", allocated: true, slots: [-1], lanes: 3),
        Damage(name: "a slot twice", allocated: true, slots: [1, 1], lanes: 6),
        Damage(name: "lanes short of the runs", allocated: true, slots: [0, 1], lanes: 5),
        Damage(name: "runs without a slot table", allocated: false, slots: [0], lanes: 3),
    ]

    @Test("a partial state whose slots or lanes do not fit the grid is refused", arguments: damages)
    func refused(_ d: Damage) {
        var w = PartialWriter()
        w.bool(d.allocated)
        w.ints(d.slots)
        w.doubles((0..<d.lanes).map(Double.init))
        var r = PartialReader(w.bytes[...])
        #expect(throws: PartialStateFormat.Problem.self) { try ReplicateCells(readingPartial: &r, replicates: 3, slots: 4) }
    }
}
