@testable import CalibCore
import CalibTestSupport
import Testing

/// A row's bootstrap pattern, as `ReplicateBatch.Signature` reads it from
/// a `TermLog` and `PatternTable` finds it, against a plain reference: in
/// each unit, the row's nonzero terms in the order logged, the sums' then the
/// counts', each as its slot and the index of its value among the unit's
/// distinct values of the slot's kind (linear, squared, counted; by bits, in
/// order of first appearance; none for a term equal to 1). Rows share a
/// pattern exactly when those lists are equal, patterns are numbered in order
/// of first appearance, and a pattern's targets with the row's values give
/// back every term.
struct ReplicatePatternTests {
    /// Three units: one with a squared slot in every fourth place, one of a few slots, one of a count alone.
    static let units = [
        BootstrapReplicates.Unit(doubles: 0..<12, counts: 0..<3),
        BootstrapReplicates.Unit(doubles: 12..<20, counts: 3..<5),
        BootstrapReplicates.Unit(doubles: 20..<20, counts: 5..<6),
    ]
    static let squared = (0..<20).map { $0 % 4 == 3 }
    /// Values that repeat, equal 1 or zero of either sign, and differ in their last bit.
    static let sumValues: [Double] = [1, 0, -0.0, 0.25, 0.25, 0.5, 2, 2.nextUp, -1, 1e-300]
    static let countValues = [0, 1, 1, 2, 3]

    /// A row's terms: per unit its sums and counts, `(slot, value)`, slots ascending, logged interleaved.
    struct Row {
        var terms: [(unit: Int, isCount: Bool, slot: Int, sum: Double, count: Int)] = []
    }

    static func randomRow(_ generator: inout SeededGenerator) -> Row {
        var row = Row()
        for (u, unit) in units.enumerated() {
            var sums = unit.doubles.filter { _ in generator.next() % 3 != 0 }[...]
            var counts = unit.counts.filter { _ in generator.next() % 2 == 0 }[...]
            while !sums.isEmpty || !counts.isEmpty {
                if let slot = counts.first, sums.isEmpty || generator.next() % 3 == 0 {
                    row.terms.append((u, true, slot, 0, countValues[Int(generator.next() % UInt64(countValues.count))]))
                    counts.removeFirst()
                } else {
                    row.terms.append((u, false, sums.removeFirst(), sumValues[Int(generator.next() % UInt64(sumValues.count))], 0))
                }
            }
        }
        return row
    }

    /// The reference: each unit's key (`[unit, slot, index, …, −1, count slot, index, …]`, index −1 for a 1) and distinct values.
    static func reference(_ row: Row) -> [(key: [Int], values: [Double])] {
        units.indices.map { u in
            var linear: [Double] = [], squaredValues: [Double] = [], counted: [Double] = []
            func index(_ value: Double, _ distinct: inout [Double]) -> Int {
                if let q = distinct.firstIndex(where: { $0.bitPattern == value.bitPattern }) { return q }
                distinct.append(value)
                return distinct.count - 1
            }
            var sumKey: [Int] = [], countKey: [Int] = []
            for term in row.terms where term.unit == u {
                if term.isCount {
                    guard term.count != 0 else { continue }
                    countKey += [term.slot, term.count == 1 ? -1 : index(Double(term.count), &counted)]
                } else {
                    guard term.sum != 0 else { continue }
                    sumKey += [term.slot, term.sum == 1 ? -1 : squared[term.slot] ? index(term.sum, &squaredValues) : index(term.sum, &linear)]
                }
            }
            return ([u] + sumKey + [-1] + countKey, linear + squaredValues + counted)
        }
    }

    @Test("rows share a pattern exactly when the reference's keys are equal, in order of first appearance, and the targets give back the terms")
    func patternsMatchTheReference() {
        var generator = SeededGenerator(seed: 7)
        let isSquared = UnsafeMutablePointer<Bool>.allocate(capacity: Self.squared.count)
        isSquared.initialize(from: Self.squared, count: Self.squared.count)
        let slots = 20 + 6
        let values = UnsafeMutablePointer<Double>.allocate(capacity: slots)
        let signature = UnsafeMutablePointer<UInt32>.allocate(capacity: 1 + slots)
        let scratch = (UnsafeMutablePointer<Double>.allocate(capacity: ReplicateBatch.Signature.maxDistinct),
                       UnsafeMutablePointer<Double>.allocate(capacity: ReplicateBatch.Signature.maxDistinct))
        let template = TermLog(sums: 20, counts: 6)
        defer {
            template.deallocate(); isSquared.deallocate(); values.deallocate(); signature.deallocate()
            scratch.0.deallocate(); scratch.1.deallocate()
        }
        var table = ReplicateBatch.PatternTable()
        var referenceIndex: [[Int]: Int] = [:]
        for _ in 0..<3000 {
            let row = Self.randomRow(&generator)
            var log = template.emptied
            for term in row.terms {
                if term.isCount { log.addCount(term.count, at: term.slot) } else { log.addSum(term.sum, at: term.slot) }
            }
            var e = 0, c = 0
            for (u, expected) in Self.reference(row).enumerated() {
                let read = ReplicateBatch.Signature.read(unit: u, of: log, sums: &e, counts: &c,
                                                         ends: (Self.units[u].doubles.upperBound, Self.units[u].counts.upperBound),
                                                         isSquared: isSquared, into: signature, values: values, scratch: scratch)
                let p = Int(table.index(of: UnsafeBufferPointer(start: signature, count: read.length), isSquared: isSquared))
                let q = referenceIndex[expected.key] ?? referenceIndex.count
                referenceIndex[expected.key] = q
                #expect(p == q)
                #expect((0..<read.values).map { values[$0].bitPattern } == expected.values.map(\.bitPattern))
                // The pattern's targets and the row's values give back each nonzero term at its slot.
                let pattern = table.patterns[p]
                let d = pattern.linear + pattern.squared + pattern.counted
                func value(_ t: Int, one: Int) -> Double { t < d ? values[t] : t == d + one ? 1 : .nan }
                var sums: [Int: UInt64] = [:], counts: [Int: UInt64] = [:]
                for k in Swift.stride(from: pattern.sumTargets.lowerBound, to: pattern.sumTargets.upperBound, by: 2) {
                    let slot = table.targets[k]
                    sums[slot] = value(table.targets[k + 1], one: Self.squared[slot] ? 1 : 0).bitPattern
                }
                for k in Swift.stride(from: pattern.countTargets.lowerBound, to: pattern.countTargets.upperBound, by: 2) {
                    counts[table.targets[k]] = value(table.targets[k + 1], one: 2).bitPattern
                }
                let logged = row.terms.filter { $0.unit == u }
                #expect(sums == Dictionary(uniqueKeysWithValues: logged.filter { !$0.isCount && $0.sum != 0 }.map { ($0.slot, $0.sum.bitPattern) }))
                #expect(counts == Dictionary(uniqueKeysWithValues: logged.filter { $0.isCount && $0.count != 0 }.map { ($0.slot, Double($0.count).bitPattern) }))
            }
            #expect(e == log.sumTerms && c == log.countTerms)
        }
        #expect(table.count == referenceIndex.count)
        #expect(table.count > 100)
    }
}
