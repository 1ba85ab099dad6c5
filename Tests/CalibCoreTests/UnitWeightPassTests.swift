@testable import CalibCore
import CalibTestSupport
import Testing

/// The audit's finish takes shorter ways when every row weighs 1: the
/// ranking walk of a sorted bucket in locals (`RankingWalk.visitUnitCounts`),
/// the equal-mass bins, Spiegelhalter sums and smooth-ECE deposits in one
/// pass over the keys (`CalibrationPartial.addUnitKeys`), and the isotonic
/// fit's sums added plainly (`CountPooling`). Each must give the bits of the
/// general way (per point, per run, compensated), on distinct scores, tied
/// scores and scores whose `1 − s` round together.
@Suite("Unit-weight finish: the same bits as the general way")
struct UnitWeightPassTests {
    struct Sample: CustomTestStringConvertible, Sendable {
        let name: String
        let rows: Int
        /// Scores from a seeded generator.
        let draw: @Sendable (inout SeededGenerator) -> Double
        var testDescription: String { name }
    }

    static let samples = [
        Sample(name: "distinct scores", rows: 5_000) { Double.random(in: 0..<1, using: &$0) },
        Sample(name: "scores rounded to 2 decimals (ties, sweep thresholds hit)", rows: 5_000) {
            (Double.random(in: 0..<1, using: &$0) * 100).rounded() / 100
        },
        Sample(name: "neighbouring scores below ½ whose 1 − s round together", rows: 3_000) {
            0.3 + Double(Int.random(in: 0..<2_000, using: &$0)) * 0x1p-54
        },
        Sample(name: "one score", rows: 500) { _ in 0.25 },
        Sample(name: "scores near 1 (isotonic groups within 1e-15)", rows: 3_000) {
            1 - Double(Int.random(in: 1..<40, using: &$0)) * 0x1p-53
        },
    ]

    /// Sorted keys (ascending) of `sample`'s rows, labels Bernoulli(s).
    static func keys(_ sample: Sample, seed: UInt64 = 3) -> [UInt64] {
        var g = SeededGenerator(seed: seed)
        return (0..<sample.rows).map { _ -> UInt64 in
            let s = sample.draw(&g)
            return ScoreStore.key(score: s, positive: Double.random(in: 0..<1, using: &g) < s)
        }.sorted()
    }

    static func bits(_ sum: CompensatedSum) -> [UInt64] { [sum.sum.bitPattern, sum.compensation.bitPattern] }

    static func bits(_ block: CalibrationPartial.IsotonicBlock?) -> [UInt64] {
        guard let block else { return [] }
        let extremes: [UInt64] = [block.lowest.bitPattern, block.highest.bitPattern, UInt64(bitPattern: Int64(block.purity))]
        return bits(block.positive) + bits(block.negative) + extremes
    }

    static func bits(_ bins: [(index: Int, sums: CalibrationPartial.BinSums)]) -> [UInt64] {
        bins.flatMap { entry -> [UInt64] in
            let sums = entry.sums
            var out: [UInt64] = [UInt64(entry.index), UInt64(sums.rows)]
            for sum in [sums.weight, sums.positive, sums.score, sums.complement] { out += bits(sum) }
            out += [sums.lowest.bitPattern, sums.highest.bitPattern]
            return out
        }
    }

    /// Everything a partial holds, as bit patterns.
    static func bits(_ p: CalibrationPartial) -> [UInt64] {
        var out: [UInt64] = bits(p.bins)
        out.append(UInt64.max)
        out += bits(p.groups)
        for sum in [p.spiegelhalterNumerator, p.spiegelhalterDenominator, p.below] { out += bits(sum) }
        out += [UInt64(bitPattern: Int64(p.smooth.first)), p.smooth.totalWeight.bitPattern]
        out += p.smooth.nodes.map(\.bitPattern)
        out += bits(p.pools.first)
        out.append(UInt64.max)
        out += bits(p.pools.last)
        out.append(UInt64.max)
        for block in p.pools.closedBlocks { out += bits(block) }
        return out
    }

    static func partial(binary: Bool, rows: Int, below: Int) -> CalibrationPartial {
        CalibrationPartial(binCount: 15, groupCount: 10, binary: binary, totalWeight: Double(rows + 2 * below), unitWeights: true,
                           weightBelow: CompensatedSum(Double(below)))
    }

    @Test("one pass over a sorted bucket's keys gives the partial its runs give, bit for bit", arguments: samples, [true, false])
    func onePass(sample: Sample, binary: Bool) {
        let keys = Self.keys(sample)
        // Two batches after rows below, so that the second starts from the first's state; edges of bins and groups fall inside.
        let cut = keys.count / 3
        var byRuns = Self.partial(binary: binary, rows: keys.count, below: 777)
        var byKeys = byRuns
        keys.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: CalibrationWalk.Run.self, capacity: keys.count) { buffer in
                for range in [0..<cut, cut..<keys.count] {
                    let start = k.baseAddress! + range.lowerBound
                    let n = CalibrationWalk.runs(keys: start, weights: nil, count: range.count, into: buffer.baseAddress!)
                    byRuns.add(UnsafeBufferPointer(start: buffer.baseAddress!, count: n))
                    byKeys.addUnitKeys(start, count: range.count)
                }
            }
        }
        #expect(Self.bits(byKeys) == Self.bits(byRuns))
        #expect(!byKeys.bins.isEmpty && byKeys.smooth.totalWeight == Double(keys.count))
    }

    @Test("the isotonic fit of unit-weight runs pools the same blocks with plain adds as with compensated sums", arguments: samples)
    func countPooling(sample: Sample) {
        let keys = Self.keys(sample, seed: 5)
        var compensated = CalibrationPartial.PoolSegment(), counted = compensated
        keys.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: CalibrationWalk.Run.self, capacity: keys.count) { buffer in
                let n = CalibrationWalk.runs(keys: k.baseAddress!, weights: nil, count: keys.count, into: buffer.baseAddress!)
                let runs = UnsafeBufferPointer(start: buffer.baseAddress!, count: n)
                compensated.add(runs, counts: false)
                counted.add(runs, counts: true)
            }
        }
        #expect(Self.bits(counted.first) == Self.bits(compensated.first))
        #expect(Self.bits(counted.last) == Self.bits(compensated.last))
        #expect(counted.closedBlocks.flatMap { Self.bits($0) } == compensated.closedBlocks.flatMap { Self.bits($0) })
    }

    /// A walk's results (operating points and curves as text, where NaN equals NaN and −0 differs from +0).
    struct Walked: Equatable {
        var areas: [UInt64]
        var points: String
        var cuts: [Double: [UInt64]]
        var cost: [UInt64]
        var curves: String
        var complement: [UInt64]
    }

    /// A bucket's walk (the rows above it: `above`) per point, or by `visitUnitCounts`; with the complement's when `full`.
    static func walk(_ keys: [UInt64], above: (tp: Int, fp: Int), full: Bool, costs: MisclassificationCosts?, perPoint: Bool) -> Walked {
        let ones = keys.reduce(0) { $0 + Int($1 & 1) }
        let positives = Double(ones + above.tp + 11), negatives = Double(keys.count - ones + above.fp + 13)
        let settings = RankingSettings(costs: costs)
        var cuts = RankingSettings.sweepThresholds
        if let costs { cuts.append(costs.bayesThreshold) }
        let start = (tp: Double(above.tp), fp: Double(above.fp))
        var walk = RankingWalk(positives: positives, negatives: negatives, settings: settings, cuts: cuts, full: full, start: start)
        walk.unitCounts = true
        var complement: ComplementWalk? = full ? ComplementWalk(positives: positives, negatives: negatives, start: start) : nil
        var tp = above.tp, fp = above.fp
        keys.withUnsafeBufferPointer { k in
            if perPoint {
                var i = keys.count
                while i > 0 {
                    let score = k[i - 1] >> 1
                    repeat {
                        i -= 1
                        tp += Int(k[i] & 1)
                        fp += 1 - Int(k[i] & 1)
                    } while i > 0 && k[i - 1] >> 1 == score
                    walk.visit(threshold: Double(bitPattern: score), tp: Double(tp), fp: Double(fp), spread: false, rank: tp)
                    complement?.visit(score: Double(bitPattern: score), tp: Double(tp), fp: Double(fp))
                }
            } else {
                // In two parts, as a bucket walked in parts is (equal scores never straddle two parts).
                var cut = keys.count / 2
                while cut > 0 && k[cut - 1] >> 1 == k[cut] >> 1 { cut -= 1 }
                walk.visitUnitCounts(keys: k.baseAddress! + cut, count: keys.count - cut, tp: &tp, fp: &fp, complement: &complement)
                walk.visitUnitCounts(keys: k.baseAddress!, count: cut, tp: &tp, fp: &fp, complement: &complement)
            }
        }
        let areas = walk.areas()
        let finished = walk.finish()
        let joined = complement.map { ComplementWalk.joined([$0], positives: positives, negatives: negatives) }
        return Walked(areas: [areas.rocAUC.bitPattern, areas.averagePrecision.bitPattern, areas.slack.bitPattern],
                      points: "\(finished.precision) \(finished.fpr) \(finished.top)",
                      cuts: finished.cuts.mapValues { [$0.tp.bitPattern, $0.fp.bitPattern] },
                      cost: [finished.cost.value.bitPattern, finished.cost.threshold.bitPattern],
                      curves: "\(finished.roc) \(finished.pr)",
                      complement: joined.map { [$0.rocAUC.bitPattern, $0.averagePrecision.bitPattern] } ?? [])
    }

    @Test("a bucket's walk in locals visits the points the per-point walk visits, bit for bit", arguments: samples, [false, true])
    func walk(sample: Sample, withCosts: Bool) {
        let keys = Self.keys(sample, seed: 9)
        let costs = withCosts ? MisclassificationCosts(falsePositive: 1, falseNegative: 20) : nil
        // The last rows above make the areas' sums pass 2⁵³, where they round.
        for (above, full) in [((0, 0), true), ((5, 7), true), ((3, 2), false), ((70_000_000, 90_000_000), true)] {
            let general = Self.walk(keys, above: above, full: full, costs: costs, perPoint: true)
            let local = Self.walk(keys, above: above, full: full, costs: costs, perPoint: false)
            #expect(local == general, "rows above \(above), full \(full)")
        }
    }

    /// Samples whose scores also fill the fits' fine cells (below 2⁻⁴⁰, and from ⅞ up).
    static let tailSamples = samples + [
        Sample(name: "scores below 2⁻⁴⁰ and from ⅞ up (fine cells)", rows: 4_000) {
            Bool.random(using: &$0) ? Double.random(in: 0..<0x1p-40, using: &$0) : Double.random(in: 0.875...1, using: &$0)
        },
    ]

    @Test("the ranking from the fits' bucket counts is the ranking's own count pass, bit for bit", arguments: tailSamples, [1, 2])
    func bucketCounts(sample: Sample, threads: Int) {
        var g = SeededGenerator(seed: 21)
        var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: RankingSettings())
        var scores: [Double] = [], labels: [Int] = []
        for _ in 0..<sample.rows {
            let s = sample.draw(&g)
            scores.append(s)
            labels.append(Double.random(in: 0..<1, using: &g) < s ? 1 : 0)
        }
        for start in stride(from: 0, to: scores.count, by: 700) {
            let end = Swift.min(scores.count, start + 700)
            store.append(scores: Array(scores[start..<end]), labels: Array(labels[start..<end]))
        }
        let runner = CalibrationWalkTests.runner(threads: threads)
        var counted = store, shared = store
        let own = counted.takeRanking(settings: RankingSettings(), runner: runner)
        let (fromFits, _) = shared.takeRankingAndCalibration(settings: RankingSettings(), binCount: 15, runner: runner)
        #expect("\(fromFits)" == "\(own)")
        #expect(fromFits.rocAUC.bitPattern == own.rocAUC.bitPattern && fromFits.averagePrecision.bitPattern == own.averagePrecision.bitPattern)
    }
}
