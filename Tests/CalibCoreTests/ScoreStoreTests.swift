@testable import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// The score store's guarantees (SPEC section 8, "Exactness and memory"):
/// the exact store gives the same ranking however its rows are chunked and
/// merged; beyond the budget the sketch has a fixed size, says `exact: false`
/// unless every bucket holds one score, and its `maxAUCError` bounds the
/// true error of every AUC and average precision; its sweep, cost at the
/// Bayes threshold and operating points are real counts.
@Suite("Score store: exact merges, the sketch's bounds")
struct ScoreStoreTests {
    // MARK: Data

    /// Seeded score distributions.
    enum Distribution: String, CaseIterable, CustomTestStringConvertible {
        /// `s ~ U(0, 1)`, label `~ Bernoulli(s)`.
        case uniform
        /// 1% positives spread over (0, 1); negatives `0.05·u³`, piled up near 0.
        case fraudLike
        /// Uniform, rounded to 2 decimals: 101 distinct scores.
        case rounded
        /// Uniform with weights in [0.1, 3) and every 17th row of weight 0.
        case weighted
        /// Logistic scores of two normals (a realistic model), 5% positives.
        case logistic

        var testDescription: String { rawValue }
    }

    struct Rows {
        var scores: [Double]
        var labels: [Int]
        var weights: [Double]?
        var classes = 2

        var count: Int { labels.count }
        var columns: Int { classes == 2 ? 1 : classes }

        /// Rows `range`, in order.
        func slice(_ range: Range<Int>) -> Rows {
            Rows(scores: Array(scores[(range.lowerBound * columns)..<(range.upperBound * columns)]), labels: Array(labels[range]),
                 weights: weights.map { Array($0[range]) }, classes: classes)
        }
    }

    static func binary(_ distribution: Distribution, rows: Int, seed: UInt64) -> Rows {
        var g = SeededGenerator(seed: seed)
        var scores: [Double] = [], labels: [Int] = [], weights: [Double] = []
        for i in 0..<rows {
            let u = Double.random(in: 0..<1, using: &g)
            switch distribution {
            case .uniform, .rounded, .weighted:
                let y = Double.random(in: 0..<1, using: &g) < u ? 1 : 0
                scores.append(distribution == .rounded ? (u * 100).rounded() / 100 : u)
                labels.append(y)
                weights.append(i % 17 == 0 ? 0 : Double.random(in: 0.1..<3, using: &g))
            case .fraudLike:
                let y = Double.random(in: 0..<1, using: &g) < 0.01 ? 1 : 0
                scores.append(y == 1 ? u.squareRoot() : u * u * u * 0.05)
                labels.append(y)
            case .logistic:
                let y = Double.random(in: 0..<1, using: &g) < 0.05 ? 1 : 0
                let z = g.normal() * 1.5 + (y == 1 ? -0.5 : -4)
                scores.append(1 / (1 + exp(-z)))
                labels.append(y)
            }
        }
        return Rows(scores: scores, labels: labels, weights: distribution == .weighted ? weights : nil)
    }

    /// Three classes, Dirichlet-like rows leaning towards the label.
    static func multiclass(rows: Int, seed: UInt64) -> Rows {
        var g = SeededGenerator(seed: seed)
        var scores: [Double] = [], labels: [Int] = []
        for _ in 0..<rows {
            let y = Int.random(in: 0..<3, using: &g)
            var raw = (0..<3).map { _ in Double.random(in: 0.01..<1, using: &g) }
            raw[y] += Double.random(in: 0..<1.5, using: &g)
            let total = raw.reduce(0, +)
            scores += raw.map { $0 / total }
            labels.append(y)
        }
        return Rows(scores: scores, labels: labels, weights: nil, classes: 3)
    }

    static let costs = MisclassificationCosts(falsePositive: 1, falseNegative: 30)! // Bayes threshold 1/31, no sweep threshold
    static func settings(budget: Int = RankingSettings.defaultMemoryBudget) -> RankingSettings {
        RankingSettings(costs: costs, memoryBudget: budget)
    }

    static func store(_ rows: Rows, budget: Int = RankingSettings.defaultMemoryBudget, chunk: Int? = nil) -> ScoreStore {
        var store = ScoreStore(shape: ClassificationShape(classCount: rows.classes, scoreKind: .probabilities), settings: settings(budget: budget))
        let step = chunk ?? Swift.max(1, rows.count)
        for start in stride(from: 0, to: rows.count, by: step) {
            let part = rows.slice(start..<Swift.min(rows.count, start + step))
            store.append(scores: part.scores, labels: part.labels, weights: part.weights)
        }
        return store
    }

    static func ranking(_ rows: Rows, budget: Int = RankingSettings.defaultMemoryBudget, chunk: Int? = nil) -> RankingMetrics {
        store(rows, budget: budget, chunk: chunk).ranking(settings: settings(budget: budget))
    }

    /// The budgets the sketch tests use: 64 KiB gives the coarsest grid (4 mantissa bits), 1 MiB 7 bits.
    static let sketchBudgets = [64 << 10, 1 << 20]
    /// Enough rows to spill past `budget` (8 bytes a row and column).
    static func rowsBeyond(_ budget: Int) -> Int { budget / 8 * 3 / 2 }

    // MARK: The exact store

    @Test("merging two halves equals one pass, bit for bit", arguments: Distribution.allCases)
    func mergeHalves(distribution: Distribution) {
        let rows = Self.binary(distribution, rows: 5000, seed: 1)
        let whole = Self.ranking(rows)
        for cut in [0, 1, 2500, 4999] {
            var first = Self.store(rows.slice(0..<cut))
            first.merge(Self.store(rows.slice(cut..<rows.count)))
            #expect(first.isExact && first.rowCount == rows.count - (rows.weights?.filter { $0 == 0 }.count ?? 0))
            expectIdentical(first.ranking(settings: Self.settings()), whole, "\(distribution) cut at \(cut)")
        }
    }

    @Test("any chunking of the appends gives the same ranking, bit for bit", arguments: [1, 7, 100, 4096])
    func chunking(chunk: Int) {
        for distribution in [Distribution.weighted, .rounded] {
            let rows = Self.binary(distribution, rows: 3000, seed: 2)
            expectIdentical(Self.ranking(rows, chunk: chunk), Self.ranking(rows), "\(distribution) in chunks of \(chunk)")
        }
        let rows = Self.multiclass(rows: 3000, seed: 2)
        expectIdentical(Self.ranking(rows, chunk: chunk), Self.ranking(rows), "multiclass in chunks of \(chunk)")
    }

    @Test("append(scores:labels:weights:) ranks as the pairwise definition (ties half), binary and multiclass")
    func publicAppend() {
        let binary = Self.binary(.weighted, rows: 400, seed: 3)
        let ranked = Self.ranking(binary)
        #expect(isClose(ranked.rocAUC, Self.pairwiseAUC(binary, column: 0, positive: 1), relative: 1e-12))
        #expect(isClose(ranked.perClass[0].rocAUC, Self.pairwiseAUC(binary, column: 0, positive: 0), relative: 1e-12))
        #expect(isClose(ranked.averagePrecision, Self.averagePrecision(binary, column: 0, positive: 1), relative: 1e-12))
        #expect(ranked.exact && ranked.maxAUCError == 0)

        let multi = Self.multiclass(rows: 300, seed: 3)
        let multiRanked = Self.ranking(multi)
        for c in 0..<3 {
            #expect(isClose(multiRanked.perClass[c].rocAUC, Self.pairwiseAUC(multi, column: c, positive: c), relative: 1e-12), "class \(c)")
            #expect(isClose(multiRanked.perClass[c].averagePrecision, Self.averagePrecision(multi, column: c, positive: c), relative: 1e-12), "class \(c)")
        }
    }

    @Test("rows of weight 0 are left out, as scikit-learn drops them from its curves")
    func zeroWeights() {
        // Without the zero-weight rows every threshold of theirs would be a point of the curves.
        let rows = Rows(scores: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], labels: [1, 0, 1, 0, 0, 1], weights: [1, 0, 2, 0, 1, 1])
        let kept = [0, 2, 4, 5]
        let without = Rows(scores: kept.map { rows.scores[$0] }, labels: kept.map { rows.labels[$0] }, weights: kept.map { rows.weights![$0] })
        let store = Self.store(rows)
        #expect(store.rowCount == 4)
        expectIdentical(store.ranking(settings: Self.settings()), Self.ranking(without), "zero-weight rows dropped")
        // The same holds for unit weights elsewhere: the weights are then not kept at all.
        let unit = Rows(scores: rows.scores, labels: rows.labels, weights: [1, 0, 1, 1, 0, 1])
        let unitKept = [0, 2, 3, 5]
        let unitWithout = Rows(scores: unitKept.map { rows.scores[$0] }, labels: unitKept.map { rows.labels[$0] }, weights: nil)
        #expect(Self.store(unit).bytes == Self.store(unitWithout).bytes, "4 keys, no weights")
    }

    @Test("the radix sort orders the keys and carries each key's weight, partitioning in place beyond its scratch",
          arguments: ["distinct scores", "100 tied values", "scores near 0", "all equal"],
          [RadixSort.inPlaceAbove - 1, RadixSort.inPlaceAbove + 1, 5 * RadixSort.inPlaceAbove + 7])
    func radixSort(keys kind: String, count: Int) {
        var g = SeededGenerator(seed: UInt64(count))
        var keys: [UInt64] = [], weights: [Double] = []
        for _ in 0..<count {
            let u = Double.random(in: 0..<1, using: &g)
            let score = switch kind {
            case "distinct scores": u
            case "100 tied values": (u * 100).rounded(.down) / 100
            case "scores near 0": u * u * u * u * u * u * u * u * 1e-3
            default: 0.25
            }
            keys.append(ScoreStore.key(score: score, positive: Bool.random(using: &g)))
            weights.append(Double(Int.random(in: 1...1000, using: &g)))
        }
        let reference = zip(keys, weights).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var payload: [Double]? = weights
        // The engine's call: the keys and weights in place, scratch of at most `inPlaceAbove` each.
        let scratchCount = Swift.min(count, RadixSort.inPlaceAbove)
        var scratch = [UInt64](repeating: 0, count: scratchCount), payloadScratch = [Double](repeating: 0, count: scratchCount)
        keys.withUnsafeMutableBufferPointer { k in
        scratch.withUnsafeMutableBufferPointer { ks in
        payload!.withUnsafeMutableBufferPointer { p in
        payloadScratch.withUnsafeMutableBufferPointer { ps in
            RadixSort.sort(k.baseAddress!, scratch: ks.baseAddress!, payload: p.baseAddress!, payloadScratch: ps.baseAddress!, count: count)
        }}}}
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 <= $1 }, "\(kind), \(count): ascending")
        let sorted = zip(keys, payload!).sorted { ($0.0, $0.1) < ($1.0, $1.1) } // equal keys may carry their weights in any order
        #expect(sorted.elementsEqual(reference, by: { $0 == $1 }), "\(kind), \(count): every key keeps its weight")
    }

    @Test("each grid bucket gathered from the pieces comes out sorted, the same keys as gathering then sorting",
          arguments: ["distinct scores", "one narrow range", "tied values", "tied values, beyond the scratch", "scores near 0"], [false, true])
    func gatherSorted(keys kind: String, weighted: Bool) {
        var g = SeededGenerator(seed: 11)
        var scores: [UInt64] = [], weights: [Double] = []
        // Buckets of at most `RadixSort.inPlaceAbove` keys are scattered from the scratch; larger ones sort as before.
        let rows = kind == "one narrow range" || kind == "tied values" ? RadixSort.inPlaceAbove - 1000 : 300_000
        for _ in 0..<rows {
            let u = Double.random(in: 0..<1, using: &g)
            let score = switch kind {
            case "distinct scores": u
            case "one narrow range": 0.3 + u * 1e-3 // a few grid buckets of thousands of keys
            case "tied values", "tied values, beyond the scratch": 0.25 + (u * 40).rounded(.down) * 1e-9 // 40 values in one bucket, runs of thousands
            default: u * u * u * u * u * u * u * u * 1e-3
            }
            scores.append(ScoreStore.key(score: score, positive: Bool.random(using: &g)))
            weights.append(Double(Int.random(in: 1...9, using: &g)))
        }
        // Chunks of 8,192 rows, as the audit appends them: several pieces per bucket.
        var exact = ExactScores(columnCount: 1)
        for start in stride(from: 0, to: scores.count, by: 8192) {
            let rows = Swift.min(8192, scores.count - start)
            scores.withUnsafeBufferPointer { k in
                weights.withUnsafeBufferPointer { w in
                    exact.append(keys: k.baseAddress! + start, stride: rows, weights: weighted ? w.baseAddress! + start : nil, rows: rows)
                }
            }
        }
        let pieces = exact.columns[0]
        let views = PieceView.views(of: pieces)
        var sizes = [Int](repeating: 0, count: ExactScores.grid.bucketCount)
        for piece in pieces { for b in sizes.indices { sizes[b] += Int(piece.starts[b + 1] - piece.starts[b]) } }
        var checked = 0
        for b in sizes.indices where sizes[b] > 0 {
            let n = sizes[b]
            let part = ScoreStore.BucketPart(digits: nil, count: n)
            var gathered = [UInt64](repeating: 0, count: n), sorted = gathered, scratch = gathered
            var gatheredWeights = [Double](repeating: 0, count: n), sortedWeights = gatheredWeights, weightScratch = gatheredWeights
            let count = gathered.withUnsafeMutableBufferPointer { k in
                gatheredWeights.withUnsafeMutableBufferPointer { w in
                    ScoreStore.gather(part, bucket: b, views, keys: k.baseAddress!, weights: weighted ? w.baseAddress! : nil)
                }
            }
            let sortedCount = sorted.withUnsafeMutableBufferPointer { k in
                scratch.withUnsafeMutableBufferPointer { ks in
                    sortedWeights.withUnsafeMutableBufferPointer { w in
                        weightScratch.withUnsafeMutableBufferPointer { ws in
                            ScoreStore.gatherSorted(part, bucket: b, views, keys: k.baseAddress!, scratch: ks.baseAddress!,
                                                    weights: weighted ? w.baseAddress! : nil, weightScratch: weighted ? ws.baseAddress! : nil)
                        }
                    }
                }
            }
            #expect(count == n && sortedCount == n, "\(kind), bucket \(b): every key")
            #expect(sorted == gathered.sorted(), "\(kind), bucket \(b): the bucket's keys, ascending")
            if weighted {
                let pairs = zip(sorted, sortedWeights).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
                let reference = zip(gathered, gatheredWeights).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
                #expect(pairs.elementsEqual(reference, by: { $0 == $1 }), "\(kind), bucket \(b): every key keeps its weight")
            }
            checked += n > 48 ? 1 : 0
        }
        #expect(checked > 0, "\(kind): some bucket holds more than 48 keys")
        withExtendedLifetime(pieces) {}
    }

    @Test("a window of buckets holds each bucket's keys in merge order, as gathering gives them, and sorts them alike",
          arguments: ["distinct scores", "one narrow range", "tied values", "scores near 0"], [true, false])
    func bucketWindow(keys kind: String, descending: Bool) {
        var g = SeededGenerator(seed: 12)
        var scores: [UInt64] = []
        for i in 0..<200_000 {
            let u = Double.random(in: 0..<1, using: &g)
            let score = switch kind {
            case "distinct scores": u
            case "one narrow range": 0.3 + u * 0.02 // ten buckets of 20,000 keys: a window holds one to three
            case "tied values": i.isMultiple(of: 2) ? 0.25 + (u * 40).rounded(.down) * 1e-9 : u // one bucket beyond any window
            default: u * u * u * u * u * u * u * u * 1e-3 // bucket 0 and many sparse buckets
            }
            scores.append(ScoreStore.key(score: score, positive: Bool.random(using: &g)))
        }
        // Chunks of 8,192 rows, as the audit appends them: several pieces per bucket.
        var exact = ExactScores(columnCount: 1)
        for start in stride(from: 0, to: scores.count, by: 8192) {
            let rows = Swift.min(8192, scores.count - start)
            scores.withUnsafeBufferPointer { exact.append(keys: $0.baseAddress! + start, stride: rows, weights: nil, rows: rows) }
        }
        let pieces = exact.columns[0]
        let views = PieceView.views(of: pieces)
        var sizes = [Int](repeating: 0, count: ExactScores.grid.bucketCount)
        for piece in pieces { for b in sizes.indices { sizes[b] += Int(piece.starts[b + 1] - piece.starts[b]) } }
        let filled = sizes.indices.filter { sizes[$0] > 0 }
        // A walk's range of buckets, room for all its keys (and a small room: windows of few buckets).
        for room in [scores.count, 30_000] {
            var held = 0, loads = 0, outside = 0
            BucketWindow.with(keys: room) { window in
                for b in descending ? filled.reversed() : filled {
                    guard window.fits(sizes[b]) else { outside += 1; continue }
                    if !window.holds(b) {
                        window.load(b, toward: descending ? 0 : sizes.count - 1, sizes: sizes, views)
                        loads += 1
                    }
                    let n = sizes[b]
                    var gathered = [UInt64](repeating: 0, count: n), sorted = gathered, scratch = gathered
                    _ = gathered.withUnsafeMutableBufferPointer {
                        ScoreStore.gather(ScoreStore.BucketPart(digits: nil, count: n), bucket: b, views, keys: $0.baseAddress!, weights: nil)
                    }
                    #expect(Array(UnsafeBufferPointer(start: window.keys(of: b), count: n)) == gathered,
                            "\(kind), room \(room), bucket \(b): the bucket's keys in merge order")
                    let count = sorted.withUnsafeMutableBufferPointer { k in
                        scratch.withUnsafeMutableBufferPointer { ks in
                            ScoreStore.sortedBucket(from: window.keys(of: b), count: n, bucket: b, keys: k.baseAddress!, scratch: ks.baseAddress!)
                        }
                    }
                    #expect(count == n && sorted == gathered.sorted(), "\(kind), room \(room), bucket \(b): sorted")
                    held += 1
                }
            }
            #expect(held + outside == filled.count && held > 0, "\(kind), room \(room): every bucket visited")
            #expect(loads < held, "\(kind), room \(room): a window holds several buckets when they fit")
            if kind == "tied values" { #expect(outside > 0, "a bucket beyond the window's capacity is left to the pieces") }
        }
        withExtendedLifetime(pieces) {}
    }

    // MARK: The sketch

    @Test("beyond the budget the store becomes a sketch of fixed size", arguments: Self.sketchBudgets)
    func spill(budget: Int) {
        let rows = Self.binary(.uniform, rows: Self.rowsBeyond(budget), seed: 4)
        let within = Self.store(rows.slice(0..<(budget / 64)), budget: budget)
        #expect(within.isExact && within.bytes <= budget, "within the budget the store is exact")
        var store = Self.store(rows, budget: budget, chunk: 1000)
        #expect(!store.isExact && store.rowCount == rows.count)
        let bytes = store.bytes
        #expect(bytes <= Swift.max(budget / 4, 642 * 32) + 101 * 16, "a quarter of the budget (or the coarsest grid), and 101 cut cells")
        // Ten times the rows, the same bytes.
        for _ in 0..<9 { store.append(scores: rows.scores, labels: rows.labels) }
        #expect(store.rowCount == 10 * rows.count && store.bytes == bytes)
        let ranking = store.ranking(settings: Self.settings(budget: budget))
        #expect(!ranking.exact && ranking.maxAUCError > 0)
    }

    @Test("a sketch keeps its size from 200k to 2M rows and through merges")
    func fixedSize() {
        let rows = Self.binary(.uniform, rows: 200_000, seed: 5)
        var small = Self.store(rows, budget: 1 << 20)
        var large = small
        for _ in 0..<9 { large.append(scores: rows.scores, labels: rows.labels) }
        #expect(!small.isExact && small.bytes == large.bytes && large.rowCount == 2_000_000)
        small.merge(large)
        #expect(small.bytes == large.bytes && small.rowCount == 2_200_000, "a merge keeps the size")
    }

    @Test("maxAUCError bounds the error of every AUC and average precision", arguments: Distribution.allCases, Self.sketchBudgets)
    func errorBound(distribution: Distribution, budget: Int) {
        for seed: UInt64 in [6, 7] {
            let rows = Self.binary(distribution, rows: Self.rowsBeyond(budget), seed: seed)
            let exact = Self.ranking(rows)
            let sketch = Self.ranking(rows, budget: budget, chunk: 10_000)
            let what = "\(distribution), budget \(budget), seed \(seed)"
            #expect(exact.exact)
            expectWithinBound(sketch, exact, what)
            if distribution == .rounded {
                // 101 distinct scores 0.01 apart: 7 mantissa bits (1 MiB) give each its own bucket
                // (buckets at most 2⁻⁸ wide), and the sketch is exact and says so; 4 bits (64 KiB,
                // buckets up to 2⁻⁵ wide) do not.
                let separated = budget >= 1 << 20
                #expect(sketch.exact == separated && (sketch.maxAUCError == 0) == separated, "\(what)")
            } else {
                #expect(!sketch.exact, "\(what)")
                // Fraud-like positives and negatives rarely share a bucket (none above 0.05 is negative):
                // where no bucket mixes them AUC and AP are exact, and the bound rightly says 0.
                #expect(sketch.maxAUCError > 0 || distribution == .fraudLike, "\(what)")
            }
        }
    }

    @Test("a sketch whose buckets each hold one score equals the exact store (to the order of its sums)")
    func singleValuedBuckets() {
        // 1 MiB: 7 mantissa bits, buckets at most 2⁻⁸ wide, so 0.01 apart each score is alone in its bucket.
        let rows = Self.binary(.rounded, rows: 150_000, seed: 9)
        var exact = Self.ranking(rows)
        let sketch = Self.ranking(rows, budget: 1 << 20, chunk: 30_000)
        #expect(sketch.exact && sketch.maxAUCError == 0 && !Self.store(rows, budget: 1 << 20).isExact)
        // The exact store sums each grid bucket apart and joins the sums; the sketch sums down its buckets.
        expectClose(sketch, exact, relative: 1e-13, "2-decimal scores")
        // Weighted: the same values up to the order of the sums.
        var weighted = rows
        var g = SeededGenerator(seed: 9)
        weighted.weights = rows.labels.map { _ in Double.random(in: 0.5..<2, using: &g) }
        exact = Self.ranking(weighted)
        // Chart points may differ where a weighted sum lands on a grid line in one order and not the other.
        expectClose(Self.ranking(weighted, budget: 1 << 20, chunk: 30_000), exact, relative: 1e-12, ignoringCurves: true, "weighted 2-decimal scores")
    }

    @Test("scores that differ but whose complements 1 − s are equal tie for the negative class in a sketch too")
    func complementTiesAcrossBuckets() {
        // 2⁻³⁹ and the double below it lie in different binades (buckets) but 1 − s rounds to one value:
        // ranked by 1 − s the two rows tie. Negative class (label 0) pairs: (a, b) tie ½, (a, c) 1,
        // (d, b) 0, (d, c) 0: AUC 1.5 / 4; a sketch that ordered a above b would say 2 / 4.
        let low = 0x1p-39
        let rows = Rows(scores: [low.nextDown, low, 0.5, 0.75], labels: [0, 1, 1, 0], weights: nil)
        #expect(1 - low.nextDown == 1 - low)
        let exact = Self.ranking(rows)
        let sketch = Self.ranking(rows, budget: 0)
        #expect(exact.perClass[0].rocAUC == 0.375, "scikit-learn roc_auc_score(y == 0, 1 − s)")
        #expect(sketch.exact && sketch.maxAUCError == 0)
        expectIdentical(sketch, exact, "complement ties")
    }

    @Test("the average-precision bound stays useful where the highest bucket is nearly all positives")
    func averagePrecisionBoundAtTheTop() {
        // 990 positives and 10 negatives share the highest bucket of the coarsest grid ([0.96875, 1)), 1000
        // negatives and 10 positives lie below. Bounding the bucket's precisions by 0 and 1 would allow an
        // error of 0.98 in AP; the positives-last order still gives at least 990 − 10·ln(100) of its 990.
        var g = SeededGenerator(seed: 14)
        var rows = Rows(scores: [], labels: [], weights: nil)
        for i in 0..<2010 {
            let top = i < 1000
            rows.scores.append(top ? Double.random(in: 0.97..<1, using: &g) : Double.random(in: 0.1..<0.9, using: &g))
            rows.labels.append(top ? (i < 990 ? 1 : 0) : (i < 1010 ? 1 : 0))
        }
        let exact = Self.ranking(rows)
        let sketch = Self.ranking(rows, budget: 0)
        expectWithinBound(sketch, exact, "nearly pure top bucket")
        #expect(sketch.maxAUCError < 0.05, "bound \(sketch.maxAUCError)")
        #expect(Swift.abs(sketch.averagePrecision - exact.averagePrecision) < 0.005, "the even-mix estimate")
    }

    @Test("the sweep and the cost at the Bayes threshold stay exact in a sketch", arguments: Distribution.allCases)
    func sweepStaysExact(distribution: Distribution) throws {
        let rows = Self.binary(distribution, rows: 20_000, seed: 10)
        let exact = Self.ranking(rows)
        let sketch = Self.ranking(rows, budget: 0, chunk: 4096)
        #expect(sketch.sweep.count == 99)
        #expect(sketch.sweep.allSatisfy { $0.tp >= 0 && $0.fp >= 0 && $0.fn >= 0 && $0.tn >= 0 }, "no count below 0 by rounding")
        let tolerance = rows.weights == nil ? 0 : 1e-12 // unit weights: integer counts, equal
        for (a, b) in zip(sketch.sweep, exact.sweep) {
            #expect(a.threshold == b.threshold)
            for (x, y) in [(a.tp, b.tp), (a.fp, b.fp), (a.fn, b.fn), (a.tn, b.tn)] {
                #expect(isClose(x, y, relative: tolerance, absolute: tolerance), "\(distribution) sweep at \(a.threshold): \(x) vs \(y)")
            }
        }
        let sketchCost = try #require(sketch.cost), exactCost = try #require(exact.cost)
        #expect(isClose(sketchCost.costAtBayesThreshold, exactCost.costAtBayesThreshold, relative: tolerance, absolute: tolerance))
        // The best threshold is the best of fewer candidates: never cheaper than the exact best.
        #expect(sketchCost.bestCost >= exactCost.bestCost * (1 - 1e-12))
    }

    @Test("each operating point of a sketch is a real point: its counts are the exact counts at its threshold",
          arguments: Distribution.allCases)
    func operatingPointsAreReal(distribution: Distribution) throws {
        let rows = Self.binary(distribution, rows: 20_000, seed: 11)
        let sketch = Self.ranking(rows, budget: 0, chunk: 5000)
        let (p, n) = Self.totals(rows)
        var checked = 0
        for point in sketch.recallAtPrecision where !point.threshold.isNaN {
            let (tp, fp) = Self.flagged(rows, atOrAbove: point.threshold)
            #expect(isClose(point.recall, tp / p, relative: 1e-12) && isClose(point.precision, tp / (tp + fp), relative: 1e-12),
                    "\(distribution) recall at precision \(point.target)")
            #expect(point.precision >= point.target)
            checked += 1
        }
        for point in sketch.recallAtFPR where !point.threshold.isNaN {
            let (tp, fp) = Self.flagged(rows, atOrAbove: point.threshold)
            #expect(isClose(point.recall, tp / p, relative: 1e-12) && isClose(point.fpr, fp / n, relative: 1e-12),
                    "\(distribution) recall at FPR \(point.target)")
            #expect(point.fpr <= point.target)
            checked += 1
        }
        for point in sketch.recallAtTop where !point.threshold.isNaN {
            let (tp, fp) = Self.flagged(rows, atOrAbove: point.threshold)
            #expect(isClose(point.recall, tp / p, relative: 1e-12) && isClose(point.precision, tp / (tp + fp), relative: 1e-12)
                    && isClose(point.flaggedFraction, (tp + fp) / (p + n), relative: 1e-12), "\(distribution) recall at top \(point.fraction)")
            #expect(point.flaggedFraction >= point.fraction)
            checked += 1
        }
        let cost = try #require(sketch.cost)
        let (tp, fp) = Self.flagged(rows, atOrAbove: cost.bestThreshold)
        #expect(isClose(cost.bestCost, (cost.costFP * fp + cost.costFN * (p - tp)) / (p + n), relative: 1e-12), "\(distribution) best cost")
        #expect(checked >= 7, "\(distribution): most targets are reached")
    }

    @Test("merging two sketched halves equals the sketch of the whole", arguments: Distribution.allCases)
    func sketchMerge(distribution: Distribution) {
        let rows = Self.binary(distribution, rows: 20_000, seed: 12)
        let whole = Self.ranking(rows, budget: 64 << 10, chunk: 2000)
        for cut in [1, 9000, 15_000] {
            var first = Self.store(rows.slice(0..<cut), budget: 64 << 10, chunk: 2000)
            let second = Self.store(rows.slice(cut..<rows.count), budget: 64 << 10, chunk: 2000)
            #expect(!(first.isExact && second.isExact), "at least one half is a sketch")
            first.merge(second)
            let merged = first.ranking(settings: Self.settings(budget: 64 << 10))
            #expect(merged.sweep.allSatisfy { $0.tp >= 0 && $0.fp >= 0 && $0.fn >= 0 && $0.tn >= 0 }, "\(distribution): no count below 0 by rounding")
            if rows.weights == nil {
                expectIdentical(merged, whole, "\(distribution) cut at \(cut)")
            } else {
                expectClose(merged, whole, relative: 1e-12, "\(distribution) cut at \(cut)")
            }
        }
    }

    @Test("a multiclass sketch bounds every class's AUC and average precision", arguments: Self.sketchBudgets)
    func multiclassSketch(budget: Int) {
        let rows = Self.multiclass(rows: Self.rowsBeyond(budget) / 3, seed: 13)
        let exact = Self.ranking(rows)
        let sketch = Self.ranking(rows, budget: budget, chunk: 5000)
        #expect(!sketch.exact && sketch.maxAUCError > 0 && exact.exact)
        expectWithinBound(sketch, exact, "multiclass, budget \(budget)")
        #expect(Swift.abs(sketch.weightedROCAUC - exact.weightedROCAUC) <= sketch.maxAUCError + 1e-12)
    }

    // MARK: Helpers

    /// Every AUC and average precision of `sketch` lies within its `maxAUCError` of `exact`'s.
    func expectWithinBound(_ sketch: RankingMetrics, _ exact: RankingMetrics, _ what: String) {
        let bound = sketch.maxAUCError + 1e-12 // the proof is in exact arithmetic; both sides round
        var pairs = [("rocAUC", sketch.rocAUC, exact.rocAUC), ("averagePrecision", sketch.averagePrecision, exact.averagePrecision)]
        for (c, (a, b)) in zip(sketch.perClass, exact.perClass).enumerated() {
            pairs += [("class \(c) rocAUC", a.rocAUC, b.rocAUC), ("class \(c) averagePrecision", a.averagePrecision, b.averagePrecision)]
        }
        for (name, a, b) in pairs {
            #expect(Swift.abs(a - b) <= bound, "\(what) \(name): sketch \(a), exact \(b), error \(Swift.abs(a - b)) > bound \(sketch.maxAUCError)")
        }
    }

    static func totals(_ rows: Rows) -> (positives: Double, negatives: Double) {
        var p = 0.0, n = 0.0
        for i in 0..<rows.count {
            let w = rows.weights?[i] ?? 1
            if rows.labels[i] == 1 { p += w } else { n += w }
        }
        return (p, n)
    }

    /// The weight of positive and negative rows with `s ≥ threshold`.
    static func flagged(_ rows: Rows, atOrAbove threshold: Double) -> (tp: Double, fp: Double) {
        var tp = 0.0, fp = 0.0
        for i in 0..<rows.count where rows.scores[i] >= threshold {
            let w = rows.weights?[i] ?? 1
            if rows.labels[i] == 1 { tp += w } else { fp += w }
        }
        return (tp, fp)
    }

    /// ROC AUC from its definition: the weighted share of (positive, negative) pairs ranked right, ties half.
    /// `column`'s score ranks; a row is positive when its label is `positive` (binary column 0, positive 0: ranked by 1 − s).
    static func pairwiseAUC(_ rows: Rows, column: Int, positive: Int) -> Double {
        let ranked = (0..<rows.count).map { i -> (score: Double, positive: Bool, weight: Double) in
            let s = rows.scores[i * rows.columns + column]
            return (rows.classes == 2 && positive == 0 ? 1 - s : s, rows.labels[i] == positive, rows.weights?[i] ?? 1)
        }
        var right = 0.0, pairs = 0.0
        for a in ranked where a.positive {
            for b in ranked where !b.positive {
                pairs += a.weight * b.weight
                right += a.weight * b.weight * (a.score > b.score ? 1 : a.score == b.score ? 0.5 : 0)
            }
        }
        return right / pairs
    }

    /// Average precision from its definition: `Σ (R_n − R_{n−1}) P_n` over the distinct thresholds.
    static func averagePrecision(_ rows: Rows, column: Int, positive: Int) -> Double {
        let thresholds = Set((0..<rows.count).map { rows.scores[$0 * rows.columns + column] }).sorted(by: >)
        var total = 0.0
        for i in 0..<rows.count where rows.labels[i] == positive { total += rows.weights?[i] ?? 1 }
        var previousRecall = 0.0, sum = 0.0
        for t in thresholds {
            var tp = 0.0, flagged = 0.0
            for i in 0..<rows.count where rows.scores[i * rows.columns + column] >= t {
                let w = rows.weights?[i] ?? 1
                flagged += w
                if rows.labels[i] == positive { tp += w }
            }
            let recall = tp / total
            sum += (recall - previousRecall) * (flagged > 0 ? tp / flagged : 0)
            previousRecall = recall
        }
        return sum
    }
}

/// Two rankings are the same, bit for bit (NaN equal to NaN), or within `relative`.
func expectIdentical(_ a: RankingMetrics, _ b: RankingMetrics, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let differing = rankingDifferences(a, b)
    #expect(differing.isEmpty, "\(what): \(differing.count) fields differ, first \(differing.first ?? "")", sourceLocation: sourceLocation)
}

func expectClose(_ a: RankingMetrics, _ b: RankingMetrics, relative: Double, ignoringCurves: Bool = false, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let differing = rankingDifferences(a, b, relative: relative, ignoringCurves: ignoringCurves)
    #expect(differing.isEmpty, "\(what): \(differing.count) fields differ, first \(differing.first ?? "")", sourceLocation: sourceLocation)
}
