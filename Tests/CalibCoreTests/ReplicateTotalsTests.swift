import CalibKernels
@testable import CalibCore
import Testing

/// The replicates' flat totals (`ReplicateTotals`) against `R` copies of the
/// families they replace: chunks folded and parts merged give the same
/// states, bit for bit, on every kernel level.
struct ReplicateTotalsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let classCount: Int
        let replicates: Int
        let bins: Int
        /// Chunks folded into each of the two parts.
        let chunks: Int
        /// A value put in one bin's sum in the first two chunks (a total that overflows shows an empty bin's skip:
        /// `+∞` with a compensation of `−∞`, which adding a 0 would make NaN).
        let special: Double?
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "binary, 200 replicates, 15 bins", classCount: 2, replicates: 200, bins: 15, chunks: 3, special: nil),
        Case(name: "three classes, 9 replicates, 4 bins", classCount: 3, replicates: 9, bins: 4, chunks: 2, special: nil),
        Case(name: "one replicate, one bin", classCount: 2, replicates: 1, bins: 1, chunks: 4, special: nil),
        Case(name: "a bin weight that overflows, then chunks where the bin is empty", classCount: 2, replicates: 17, bins: 3, chunks: 5,
             special: 1e308),
    ]

    static var levels: [Int32] {
        let top = calib_set_kernel_level(2)
        defer { calib_set_kernel_level(top) }
        return Array(0...top)
    }

    /// Chunk `t`'s slot-major sums and counts: inexact values (so the order of
    /// operations shows), with every bin empty in some replicates.
    static func chunk(_ t: Int, _ c: Case, _ totals: ReplicateTotals) -> (sums: [Double], counts: [Double]) {
        let r = c.replicates
        var sums = [Double](repeating: 0, count: totals.sumSlots * r)
        var counts = [Double](repeating: 0, count: totals.countSlots * r)
        for slot in 0..<totals.countSlots {
            for l in 0..<r { counts[slot * r + l] = Double((slot * 7 + l * 3 + t) % 4) }
        }
        // The scalar totals' clipped rows (slot 1) are some of its rows (slot 0).
        for l in 0..<r { counts[r + l] = Swift.min(counts[r + l], counts[l]) }
        // With a special value: its bin has rows in replicate 0 at the first two chunks only.
        let binSlot = totals.guards.firstIndex { $0 >= 0 }!
        if c.special != nil { counts[totals.guards[binSlot] * r] = t < 2 ? 1 : 0 }
        for slot in 0..<totals.sumSlots {
            for l in 0..<r {
                let guardSlot = totals.guards[slot]
                // A bin without rows has zero sums, as the flush leaves them.
                let empty = guardSlot >= 0 && counts[guardSlot * r + l] == 0
                sums[slot * r + l] = empty ? 0 : Double(slot * 13 + l + t * 101) / 3 + 1e-9 * Double(t)
            }
        }
        if let special = c.special, t < 2 { sums[binSlot * r] = special }
        return (sums, counts)
    }

    /// Both forms after `chunks` chunks from `offset`: the flat totals and each replicate's families.
    static func folded(_ c: Case, offset: Int) -> (ReplicateTotals, [ScalarTotalsFamily], [AuditFamilies]) {
        var settings = AuditSettings()
        settings.bins = c.bins
        let scalarsTemplate = ScalarTotalsFamily(confidentAt: settings.confidentAt)
        let familiesTemplate = AuditFamilies(classCount: c.classCount, settings: settings, losses: [])
        var totals = ReplicateTotals(replicates: c.replicates, scalars: scalarsTemplate, families: familiesTemplate)
        var scalars = Array(repeating: scalarsTemplate, count: c.replicates)
        var families = Array(repeating: familiesTemplate, count: c.replicates)
        let r = c.replicates, d = totals.sumSlots, n = totals.countSlots, at = totals.familiesAt
        for t in offset..<(offset + c.chunks) {
            let (sums, counts) = chunk(t, c, totals)
            sums.withUnsafeBufferPointer { s in counts.withUnsafeBufferPointer { k in totals.fold(sums: s.baseAddress!, counts: k.baseAddress!) } }
            for l in 0..<r {
                // The per-replicate gather the flat form replaces.
                let replicateSums = (0..<d).map { sums[$0 * r + l] }, replicateCounts = (0..<n).map { Int(counts[$0 * r + l]) }
                scalars[l].fold(sums: replicateSums, counts: replicateCounts)
                families[l].fold(sums: Array(replicateSums[at.sums...]), counts: Array(replicateCounts[at.counts...]))
            }
        }
        return (totals, scalars, families)
    }

    @Test("folded chunks read back as the families' fold, on every kernel level", arguments: cases)
    func folds(_ c: Case) {
        for level in Self.levels {
            calib_set_kernel_level(level)
            let (totals, scalars, families) = Self.folded(c, offset: 0)
            for r in 0..<c.replicates {
                #expect(totals.scalars(r, template: scalars[r]).state == scalars[r].state, "level \(level), replicate \(r)")
                #expect(totals.families(r, template: families[r]).state == families[r].state, "level \(level), replicate \(r)")
            }
        }
        calib_set_kernel_level(2)
    }

    @Test("merged parts read back as the families' merge", arguments: cases)
    func merges(_ c: Case) {
        var (first, scalars, families) = Self.folded(c, offset: 0)
        let (second, otherScalars, otherFamilies) = Self.folded(c, offset: 50)
        first.merge(second)
        for r in 0..<c.replicates {
            scalars[r].merge(otherScalars[r])
            families[r].merge(otherFamilies[r])
            #expect(first.scalars(r, template: scalars[r]).state == scalars[r].state)
            #expect(first.families(r, template: families[r]).state == families[r].state)
        }
    }

    @Test("a replicate's families written in read back unchanged, the others untouched", arguments: cases)
    func writes(_ c: Case) {
        var (totals, _, _) = Self.folded(c, offset: 0)
        let (source, scalars, families) = Self.folded(c, offset: 7)
        let before = totals
        let r = c.replicates - 1
        totals.setScalars(scalars[r], r)
        totals.setFamilies(families[r], r)
        #expect(totals.scalars(r, template: scalars[r]).state == source.scalars(r, template: scalars[r]).state)
        #expect(totals.families(r, template: families[r]).state == source.families(r, template: families[r]).state)
        for other in 0..<r {
            #expect(totals.families(other, template: families[other]).state == before.families(other, template: families[other]).state)
        }
    }
}
