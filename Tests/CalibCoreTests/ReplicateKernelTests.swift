@testable import CalibCore
import CalibKernels
import Foundation
import Testing

/// The bootstrap's C kernels (Sources/CalibKernels) on every vector path this
/// CPU runs, bit for bit against plain Swift references of the same formulas:
/// the Poisson counts against `PoissonCounts.count`, the replicate sums
/// against `fma` lane by lane in row order.
@Suite("Bootstrap kernels", .serialized)
struct ReplicateKernelTests {
    /// Every level this machine runs (the set clamps to the CPU's).
    static var levels: [Int32] {
        let top = calib_set_kernel_level(2)
        defer { calib_set_kernel_level(top) }
        return Array(0...top)
    }

    struct CountCase: CustomTestStringConvertible, Sendable {
        let name: String
        let replicates: Int
        let seed: UInt64
        var testDescription: String { name }
    }

    static let countCases = [
        CountCase(name: "one replicate (every lane but the first zero)", replicates: 1, seed: 0),
        CountCase(name: "7 replicates (a partial vector)", replicates: 7, seed: 3),
        CountCase(name: "16 replicates (one whole vector)", replicates: 16, seed: 1),
        CountCase(name: "200 replicates (the default: 12 vectors and a half)", replicates: 200, seed: 0),
        CountCase(name: "201 replicates (an odd last pair)", replicates: 201, seed: 99),
    ]

    @Test("Poisson counts equal the documented generator, lanes past R zero", arguments: countCases)
    func counts(_ c: CountCase) {
        let stride = (c.replicates + 7) & ~7
        // Rows near 0, ordinary lines and huge offsets (`--row-offset`).
        let rows = Array(1...300) + [1 << 40, Int.max - 1]
        let keys = rows.map { PoissonCounts.rowKey(seed: c.seed, row: $0) }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var counts = [UInt8](repeating: 0xFF, count: rows.count * stride)
            PoissonCounts.thresholds.withUnsafeBufferPointer { t in
                calib_poisson_counts(keys, rows.count, c.replicates, 0, stride, t.baseAddress!, &counts, stride)
            }
            var mismatches = 0
            for (i, row) in rows.enumerated() {
                for r in 0..<stride {
                    let expected = r < c.replicates ? PoissonCounts.count(seed: c.seed, replicate: r, row: row) : 0
                    if Int(counts[i * stride + r]) != expected { mismatches += 1 }
                }
            }
            #expect(mismatches == 0, "level \(level): \(mismatches) counts differ")
        }
        calib_set_kernel_level(2)
    }

    @Test("a block of lanes wholly past R, however far, draws zero counts on every level")
    func countsPastReplicates() {
        let keys = (0..<40).map { PoissonCounts.rowKey(seed: 5, row: $0) }
        for level in Self.levels {
            calib_set_kernel_level(level)
            for first in [64, 192, 320] {
                var counts = [UInt8](repeating: 0xFF, count: keys.count * 64)
                PoissonCounts.thresholds.withUnsafeBufferPointer { t in
                    calib_poisson_counts(keys, keys.count, 60, first, 64, t.baseAddress!, &counts, 64)
                }
                #expect(counts.allSatisfy { $0 == 0 }, "level \(level), lanes from \(first)")
            }
        }
        calib_set_kernel_level(2)
    }

    @Test("the thresholds increase from at least 1 (the AVX2 path's signed compare) and stop below 2¹⁶")
    func thresholds() {
        let t = PoissonCounts.thresholds
        #expect(t.count == Int(CALIB_POISSON_THRESHOLDS) && t.first! >= 1)
        #expect(zip(t, t.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("the counts' tail: u = 2¹⁶ − 1 counts 8, every threshold at or below it; u = 0 counts 0")
    func countTail() {
        #expect(PoissonCounts.count(uniform: .max, PoissonCounts.thresholds) == Int(CALIB_POISSON_THRESHOLDS))
        #expect(PoissonCounts.count(uniform: 0, PoissonCounts.thresholds) == 0)
    }

    @Test("each count's probability is Poisson(1)'s to within 2⁻¹⁶ (the thresholds' rounding), below 8")
    func countProbabilities() {
        // P(m = k) over all 2¹⁶ uniforms, against e⁻¹/k!.
        var share = [Int](repeating: 0, count: Int(CALIB_POISSON_THRESHOLDS) + 1)
        for u in 0...Int(UInt16.max) { share[PoissonCounts.count(uniform: UInt16(u), PoissonCounts.thresholds)] += 1 }
        var factorial = 1.0
        for k in 0..<Int(CALIB_POISSON_THRESHOLDS) {
            if k > 0 { factorial *= Double(k) }
            let poisson = exp(-1) / factorial
            #expect(abs(Double(share[k]) / 65_536 - poisson) <= 1 / 65_536, "P(m = \(k))")
        }
    }

    struct SumCase: CustomTestStringConvertible, Sendable {
        let name: String
        let replicates: Int
        let linear: Int, squared: Int, counted: Int
        let rows: Int
        var testDescription: String { name }
    }

    static let sumCases = [
        SumCase(name: "a binary row's 5 linear, 1 squared, 1 counted value", replicates: 200, linear: 5, squared: 1, counted: 1, rows: 37),
        SumCase(name: "one linear value (the grid's weights)", replicates: 200, linear: 1, squared: 0, counted: 0, rows: 100),
        SumCase(name: "more than 8 values of one kind (two register blocks)", replicates: 40, linear: 11, squared: 9, counted: 2, rows: 13),
        SumCase(name: "8 replicates and one row", replicates: 8, linear: 3, squared: 2, counted: 1, rows: 1),
        SumCase(name: "no rows", replicates: 24, linear: 2, squared: 1, counted: 1, rows: 0),
    ]

    @Test("replicate sums equal fma lane by lane, rows in the order given", arguments: sumCases)
    func sums(_ c: SumCase) {
        let stride = (c.replicates + 7) & ~7
        let d = c.linear + c.squared + c.counted
        var generator = SplitMix(seed: 7)
        // A count matrix of more rows than used, rows taken out of order, values with room between rows.
        let matrixRows = c.rows + 5
        let counts = (0..<(matrixRows * stride)).map { _ in UInt8(generator.next() % 7) }
        let rows = (0..<c.rows).map { UInt32(($0 * 7 + 3) % matrixRows) }
        let valueAt = (0..<c.rows).map { UInt32($0 * (d + 2)) }
        let values = (0..<(c.rows * (d + 2) + 1)).map { _ in Double(generator.next() % 1_000_000) / 997.0 - 300 }
        let start = (0..<(d * stride)).map { Double($0 % 13) * 0.25 }
        var expected = start
        for t in 0..<c.rows {
            for q in 0..<d {
                for r in 0..<stride {
                    let m = Double(counts[Int(rows[t]) * stride + r])
                    let s = q < c.linear ? m : q < c.linear + c.squared ? m * m : Swift.min(m, 1)
                    expected[q * stride + r] = expected[q * stride + r].addingProduct(s, values[Int(valueAt[t]) + q])
                }
            }
        }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var sums = start
            calib_replicate_sums(&sums, stride, stride, counts, stride, rows, valueAt, c.rows, values, c.linear, c.squared, c.counted)
            #expect(sums.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level)")
        }
        calib_set_kernel_level(2)
    }
}

extension ReplicateKernelTests {
    @Test("the counts' own sums (terms equal to 1) equal the sums of m, m² and min(m, 1)",
          arguments: [(replicates: 200, rows: 50, outputs: 3), (replicates: 20, rows: 9, outputs: 3),
                      (replicates: 200, rows: 31, outputs: 1), (replicates: 8, rows: 0, outputs: 3)])
    func countSums(_ c: (replicates: Int, rows: Int, outputs: Int)) {
        let stride = (c.replicates + 7) & ~7
        var generator = SplitMix(seed: 11)
        let matrixRows = c.rows + 3
        let counts = (0..<(matrixRows * stride)).map { _ in UInt8(generator.next() % 9) }
        let rows = (0..<c.rows).map { UInt32(($0 * 5 + 2) % matrixRows) }
        var expected = [Double](repeating: 0, count: 3 * stride)
        for t in 0..<c.rows {
            for r in 0..<stride {
                let m = Double(counts[Int(rows[t]) * stride + r])
                expected[r] += m; expected[stride + r] += m * m; expected[2 * stride + r] += Swift.min(m, 1)
            }
        }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var out = [Double](repeating: -1, count: 3 * stride)
            calib_count_sums(&out, c.outputs, stride, stride, counts, stride, rows, c.rows)
            #expect(Array(out[0..<(c.outputs * stride)]) == Array(expected[0..<(c.outputs * stride)]), "level \(level)")
            #expect(out[(c.outputs * stride)...].allSatisfy { $0 == -1 }, "level \(level): nothing written past the sums asked for")
        }
        calib_set_kernel_level(2)
    }
}

extension ReplicateKernelTests {
    struct BlockCase: CustomTestStringConvertible, Sendable {
        let name: String
        let replicates: Int
        /// Lanes per block (the last block takes what is left of the stride).
        let block: Int
        var testDescription: String { name }
    }

    static let blockCases = [
        BlockCase(name: "200 replicates in blocks of 64 (the flush's: 64, 64, 64, 8)", replicates: 200, block: 64),
        BlockCase(name: "201 replicates in blocks of 16 (an odd last pair in the last block)", replicates: 201, block: 16),
        BlockCase(name: "36 replicates in blocks of 32 (the last block's lanes past R zero)", replicates: 36, block: 32),
        BlockCase(name: "one block of every lane", replicates: 24, block: 32),
    ]

    @Test("counts drawn a block of lanes at a time are the whole row's counts", arguments: blockCases)
    func countsInBlocks(_ c: BlockCase) {
        let stride = (c.replicates + 7) & ~7
        let rows = Array(1...150) + [1 << 40]
        let keys = rows.map { PoissonCounts.rowKey(seed: 5, row: $0) }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var whole = [UInt8](repeating: 0xFF, count: rows.count * stride)
            var blocks = [UInt8](repeating: 0xFF, count: rows.count * stride)
            PoissonCounts.thresholds.withUnsafeBufferPointer { t in
                calib_poisson_counts(keys, rows.count, c.replicates, 0, stride, t.baseAddress!, &whole, stride)
                for first in Swift.stride(from: 0, to: stride, by: c.block) {
                    var block = [UInt8](repeating: 0xFF, count: rows.count * c.block)
                    let lanes = Swift.min(c.block, stride - first)
                    calib_poisson_counts(keys, rows.count, c.replicates, first, lanes, t.baseAddress!, &block, c.block)
                    for i in rows.indices {
                        for l in 0..<lanes { blocks[i * stride + first + l] = block[i * c.block + l] }
                        #expect(block[(i * c.block + lanes)..<((i + 1) * c.block)].allSatisfy { $0 == 0xFF },
                                "level \(level): nothing written past the block's lanes")
                    }
                }
            }
            #expect(blocks == whole, "level \(level)")
        }
        calib_set_kernel_level(2)
    }

    @Test("sums over a block of lanes are those lanes of the whole sums, the others untouched", arguments: blockCases)
    func sumsInBlocks(_ c: BlockCase) {
        let stride = (c.replicates + 7) & ~7
        var generator = SplitMix(seed: 13)
        let matrixRows = 20
        let counts = (0..<(matrixRows * stride)).map { _ in UInt8(generator.next() % 5) }
        let rows = (0..<17).map { UInt32(($0 * 3 + 1) % matrixRows) }
        let (linear, squared, counted) = (3, 1, 1)
        let d = linear + squared + counted
        let valueAt = rows.indices.map { UInt32($0 * d) }
        let values = (0..<(rows.count * d)).map { _ in Double(generator.next() % 10_000) / 77.0 }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var whole = [Double](repeating: 0, count: d * stride)
            var wholeCounts = [Double](repeating: 0, count: 3 * stride)
            calib_replicate_sums(&whole, stride, stride, counts, stride, rows, valueAt, rows.count, values, linear, squared, counted)
            calib_count_sums(&wholeCounts, 3, stride, stride, counts, stride, rows, rows.count)
            var blocks = [Double](repeating: 0, count: d * stride)
            var blockCounts = [Double](repeating: 0, count: 3 * stride)
            for first in Swift.stride(from: 0, to: stride, by: c.block) {
                let lanes = Swift.min(c.block, stride - first)
                var sums = [Double](repeating: 0, count: d * c.block)
                var own = [Double](repeating: -1, count: 3 * c.block)
                counts.withUnsafeBufferPointer { m in
                    calib_replicate_sums(&sums, c.block, lanes, m.baseAddress! + first, stride, rows, valueAt, rows.count,
                                         values, linear, squared, counted)
                    calib_count_sums(&own, 3, c.block, lanes, m.baseAddress! + first, stride, rows, rows.count)
                }
                for q in 0..<d {
                    for l in 0..<lanes { blocks[q * stride + first + l] = sums[q * c.block + l] }
                    #expect(sums[(q * c.block + lanes)..<((q + 1) * c.block)].allSatisfy { $0 == 0 }, "level \(level)")
                }
                for q in 0..<3 {
                    for l in 0..<lanes { blockCounts[q * stride + first + l] = own[q * c.block + l] }
                    #expect(own[(q * c.block + lanes)..<((q + 1) * c.block)].allSatisfy { $0 == -1 }, "level \(level)")
                }
            }
            #expect(blocks.map(\.bitPattern) == whole.map(\.bitPattern), "level \(level)")
            #expect(blockCounts == wholeCounts, "level \(level)")
        }
        calib_set_kernel_level(2)
    }
}

/// SplitMix64, for reproducible test data.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The smooth ECE at a fixed bandwidth (`FixedBandwidthSmoothECE`: the replicates' and each step of the
/// full sample's search), its convolution in `calib_smooth_convolve`, against the Swift reference.
extension ReplicateKernelTests {
    struct SmoothCase: CustomTestStringConvertible, Sendable {
        let name: String
        let bandwidth: Double
        /// Rows deposited on the grid, and how far their scores spread from ½.
        let rows: Int
        let spread: Double
        var testDescription: String { name }
    }

    static let smoothCases = [
        SmoothCase(name: "the benchmark's bandwidth (E = 1001, every tap)", bandwidth: 0.0341796875, rows: 3_000, spread: 0.5),
        SmoothCase(name: "the narrowest bandwidth, 2⁻⁹ (E = 5121, taps within 40σ)", bandwidth: 0x1p-9, rows: 500, spread: 0.5),
        SmoothCase(name: "a wide bandwidth, σ = 1", bandwidth: 1, rows: 200, spread: 0.5),
        SmoothCase(name: "scores near one end (most outputs unread)", bandwidth: 0.01, rows: 50, spread: 0.05),
    ]

    @Test("the smooth ECE at a fixed bandwidth is the Swift reference's, bit for bit, on every kernel path", arguments: smoothCases)
    func smoothECE(_ c: SmoothCase) throws {
        var grid = SmoothECEGrid()
        var state: UInt64 = 0x1234_5678
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) * 0x1p-53
        }
        for _ in 0..<c.rows {
            let x = Swift.min(1, Swift.max(0, 0.5 + c.spread * (2 * uniform() - 1)))
            let w = 0.5 + uniform()
            grid.add(score: x, weight: w, positiveWeight: uniform() < x ? w : 0)
        }
        // The reference: the convolution in Swift, two outputs at a time.
        let evaluator = try #require(SmoothECEGrid.Evaluator(scaling: grid))
        let expected = evaluator.referenceSmoothECE(bandwidth: c.bandwidth)
        let smoothing = try #require(FixedBandwidthSmoothECE(bandwidth: c.bandwidth))
        for level in Self.levels {
            calib_set_kernel_level(level)
            let got = try #require(smoothing.estimate(grid))
            #expect(got.value.bitPattern == expected.bitPattern && got.bandwidth == c.bandwidth, "level \(level): \(got.value) vs \(expected)")
            let searched = try #require(grid.estimate(bandwidth: c.bandwidth))
            #expect(searched.value.bitPattern == expected.bitPattern, "level \(level): the full sample's evaluation, \(searched.value)")
        }
        calib_set_kernel_level(2)
        #expect(smoothing.estimate(SmoothECEGrid()) == nil)
    }
}

extension ReplicateKernelTests {
    @Test("the counts' sums added to a run are the sums written out, then added, lane by lane; lanes past `used` untouched",
          arguments: [(replicates: 200, used: 200, rows: 40), (replicates: 201, used: 73, rows: 12),
                      (replicates: 72, used: 72, rows: 5), (replicates: 16, used: 9, rows: 0)])
    func countSumsAdded(_ c: (replicates: Int, used: Int, rows: Int)) {
        let stride = (c.replicates + 7) & ~7
        var generator = SplitMix(seed: 13)
        let matrixRows = c.rows + 4
        let counts = (0..<(matrixRows * stride)).map { _ in UInt8(generator.next() % 9) }
        let rows = (0..<c.rows).map { UInt32(($0 * 3 + 1) % matrixRows) }
        // A run of inexact values (thirds), then a sentinel past the lanes used.
        let start = (0..<(c.used + 4)).map { Double($0 % 11) / 3 + 0.1 }
        var sums = [Double](repeating: 0, count: stride)
        calib_count_sums(&sums, 1, stride, stride, counts, stride, rows, c.rows)
        var expected = start
        for l in 0..<c.used { expected[l] += sums[l] }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var target = start
            calib_count_sums_add(&target, c.used, stride, counts, stride, rows, c.rows)
            #expect(target.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level)")
        }
        calib_set_kernel_level(2)
    }
}

extension ReplicateKernelTests {
    @Test("a pattern's sums scattered to its slots are the plain loop's adds, pairs in order, lanes past `used` untouched",
          arguments: [(replicates: 200, first: 64, used: 64), (replicates: 200, first: 128, used: 72), (replicates: 13, first: 0, used: 13)])
    func scatter(_ c: (replicates: Int, first: Int, used: Int)) {
        let slots = 6, sumStride = 80
        // Pairs (slot, sum index); slot 2 is hit twice, so the order of the adds matters.
        let targets = [2, 0, 5, 1, 2, 3, 0, 2]
        let sums = (0..<(4 * sumStride)).map { Double($0 % 17) / 7 + 0.3 }
        let start = (0..<(slots * c.replicates)).map { Double($0 % 23) / 3 }
        var expected = start
        for e in 0..<(targets.count / 2) {
            for l in 0..<c.used { expected[targets[2 * e] * c.replicates + c.first + l] += sums[targets[2 * e + 1] * sumStride + l] }
        }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var base = start
            calib_scatter_add(&base, c.replicates, c.first, targets, targets.count / 2, sums, sumStride, c.used)
            #expect(base.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level)")
        }
        calib_set_kernel_level(2)
    }
}

extension ReplicateKernelTests {
    struct GroupedCase: CustomTestStringConvertible, Sendable {
        let name: String
        let replicates: Int
        let used: Int
        /// Rows in (pattern, cell) groups: each group's cell, and how many rows it has.
        let groups: [Group]
        struct Group: Sendable { let cell: Int; let rows: Int }
        var testDescription: String { name }
    }

    static let groupedCases = [
        GroupedCase(name: "200 replicates, cells met again in later groups", replicates: 200, used: 72,
                    groups: [.init(cell: 0, rows: 3), .init(cell: 2, rows: 1), .init(cell: 1, rows: 4), .init(cell: 0, rows: 2), .init(cell: 2, rows: 5)]),
        GroupedCase(name: "lanes of an 8-wide tail, one row a group", replicates: 24, used: 24,
                    groups: [.init(cell: 1, rows: 1), .init(cell: 0, rows: 1), .init(cell: 1, rows: 1)]),
        GroupedCase(name: "one group, no lanes used past 5", replicates: 16, used: 5, groups: [.init(cell: 0, rows: 7)]),
        GroupedCase(name: "groups and patterns longer than a 16-bit sum of m² holds (455 rows of m ≤ 12)", replicates: 200, used: 200,
                    groups: [.init(cell: 0, rows: 500), .init(cell: 1, rows: 3), .init(cell: 0, rows: 1_400), .init(cell: 2, rows: 455)]),
        GroupedCase(name: "spans of 255 rows (the AVX2 path's byte counts of zeros) met at, before and after a group's end",
                    replicates: 24, used: 20,
                    groups: [.init(cell: 0, rows: 255), .init(cell: 1, rows: 1), .init(cell: 0, rows: 253), .init(cell: 2, rows: 256),
                             .init(cell: 1, rows: 510)]),
        GroupedCase(name: "more cells than the adds fetch ahead, in no order", replicates: 200, used: 200,
                    groups: [5, 0, 9, 2, 7, 1, 8, 3, 6, 4, 0, 9].map { .init(cell: $0, rows: $0 % 3 + 1) }),
    ]

    @Test("grouped count sums: the three sums of calib_count_sums, and each cell's sum over its groups added once as calib_count_sums_add",
          arguments: groupedCases)
    func groupedCountSums(_ c: GroupedCase) {
        let stride = (c.replicates + 7) & ~7
        var generator = SplitMix(seed: 29)
        let total = c.groups.reduce(0) { $0 + $1.rows }
        let matrixRows = total + 3
        // Counts 0 to 12 (the most a count reaches), the largest ones often.
        let counts = (0..<(matrixRows * stride)).map { _ in UInt8(Swift.min(generator.next() % 16, 12)) }
        let rows = (0..<total).map { UInt32(($0 * 5 + 2) % matrixRows) }
        var ends: [UInt32] = [], groupCells: [UInt32] = [], seen = Set<Int>()
        var cellRows = [Int: [UInt32]]()
        var at = 0
        for group in c.groups {
            cellRows[group.cell, default: []] += rows[at..<(at + group.rows)]
            at += group.rows
            ends.append(UInt32(at))
            groupCells.append(UInt32(group.cell << 1) | (seen.insert(group.cell).inserted ? 1 : 0))
        }
        var expectedOut = [Double](repeating: 0, count: 3 * stride)
        calib_count_sums(&expectedOut, 3, stride, stride, counts, stride, rows, rows.count)
        let cellCount = cellRows.keys.max()! + 1
        // Each cell's run: inexact values (thirds), so that one add or several would differ.
        let start = (0..<(cellCount * c.replicates)).map { Double($0 % 13) / 3 + 0.1 }
        var expectedRuns = start
        for (cell, its) in cellRows {
            expectedRuns.withUnsafeMutableBufferPointer { runs in
                calib_count_sums_add(runs.baseAddress! + cell * c.replicates, c.used, stride, counts, stride, its, its.count)
            }
        }
        for level in Self.levels {
            calib_set_kernel_level(level)
            var out = [Double](repeating: .nan, count: 3 * stride)
            var cellCounts = [UInt32](repeating: 0xDEAD, count: cellCount * stride)
            calib_count_sums_grouped(&out, stride, stride, counts, stride, rows, ends, groupCells, ends.count, &cellCounts, stride)
            #expect(out.map(\.bitPattern) == expectedOut.map(\.bitPattern), "level \(level)")
            var runs = start
            let offsets = (0..<cellCount).map { $0 * c.replicates }
            calib_add_cell_counts(&runs, offsets, cellCount, cellCounts, stride, c.used)
            #expect(runs.map(\.bitPattern) == expectedRuns.map(\.bitPattern), "level \(level)")
        }
        calib_set_kernel_level(2)
    }
}
