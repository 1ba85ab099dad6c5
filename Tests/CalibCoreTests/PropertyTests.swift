import CalibCore
import CalibTestSupport
import Testing

/// Properties every audit must have, on seeded random data.
@Suite("Metric properties")
struct PropertyTests {
    static func randomMulticlass(seed: UInt64, rows: Int = 600, classes: Int = 4) -> (labels: [Int], logits: [[Double]], weights: [Double]) {
        var rng = SeededGenerator(seed: seed)
        var labels: [Int] = [], logits: [[Double]] = [], weights: [Double] = []
        for _ in 0..<rows {
            let y = Int.random(in: 0..<classes, using: &rng)
            var z = (0..<classes).map { _ in rng.normal() }
            z[y] += 1.5
            labels.append(y); logits.append(z); weights.append(Double.random(in: 0.5..<2, using: &rng))
        }
        return (labels, logits, weights)
    }

    static func softmax(_ z: [Double]) -> [Double] {
        let m = z.max()!
        let e = z.map { StableMath.exponential($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// Every scalar that a report prints, for whole-result comparison.
    static func values(_ r: AuditResult) -> [Double] {
        r.metrics.namedValues.map(\.value)
            + r.perClass.flatMap { [$0.support, $0.precision, $0.recall, $0.f1, $0.ece, $0.crossEntropy ?? -1] }
            + r.imbalance.losses.flatMap { [$0.value] + $0.perClass.flatMap { [$0.lossShare, $0.gradientShare] } }
    }

    static func expectSame(_ a: AuditResult, _ b: AuditResult, relative: Double = 1e-12, _ what: String) {
        let x = values(a), y = values(b)
        #expect(x.count == y.count)
        for (i, (u, v)) in zip(x, y).enumerated() {
            #expect(isClose(u, v, relative: relative, absolute: 1e-13), "\(what): value \(i) differs: \(u) vs \(v)")
        }
    }

    @Test("permuting rows changes nothing", arguments: [UInt64(1), 2, 3])
    func permutation(seed: UInt64) {
        let data = Self.randomMulticlass(seed: seed)
        let probabilities = data.logits.map(Self.softmax)
        var rng = SeededGenerator(seed: seed &+ 100)
        let order = Array(data.labels.indices).shuffled(using: &rng)
        let a = audit(.multiclass(labels: data.labels, scores: probabilities, weights: data.weights))
        let b = audit(.multiclass(labels: order.map { data.labels[$0] }, scores: order.map { probabilities[$0] }, weights: order.map { data.weights[$0] }))
        Self.expectSame(a, b, "seed \(seed)")
    }

    @Test("a weight of 2 equals a duplicated row")
    func weightTwoIsDuplicate() {
        let data = Self.randomMulticlass(seed: 11, rows: 300)
        let p = data.logits.map(Self.softmax)
        let weights = data.labels.indices.map { $0 % 3 == 0 ? 2.0 : 1.0 }
        var labels: [Int] = [], scores: [[Double]] = []
        for i in data.labels.indices {
            labels.append(data.labels[i]); scores.append(p[i])
            if i % 3 == 0 { labels.append(data.labels[i]); scores.append(p[i]) }
        }
        let weighted = audit(.multiclass(labels: data.labels, scores: p, weights: weights))
        let duplicated = audit(.multiclass(labels: labels, scores: scores))
        Self.expectSame(weighted, duplicated, relative: 1e-11, "weight 2 vs duplicate")
    }

    @Test("top-label ECE is overconfidence plus underconfidence", arguments: [UInt64(4), 5, 6])
    func eceDecomposes(seed: UInt64) {
        let data = Self.randomMulticlass(seed: seed)
        let r = audit(.multiclass(labels: data.labels, scores: data.logits.map { $0.map { $0 * 2 } }, weights: data.weights, kind: .logits))
        #expect(isClose(r.metrics.topLabelECE, r.metrics.overconfidence + r.metrics.underconfidence, relative: 1e-12))
        #expect(r.metrics.overconfidenceError <= r.metrics.overconfidence + 1e-15)
    }

    @Test("logits and their softmax probabilities give the same metrics")
    func logitsEqualProbabilities() {
        let data = Self.randomMulticlass(seed: 21)
        let fromLogits = audit(.multiclass(labels: data.labels, scores: data.logits, weights: data.weights, kind: .logits))
        let fromProbabilities = audit(.multiclass(labels: data.labels, scores: data.logits.map(Self.softmax), weights: data.weights))
        Self.expectSame(fromLogits, fromProbabilities, relative: 1e-9, "logits vs softmax")
    }

    @Test("a binary logit and its sigmoid give the same metrics")
    func binaryLogitEqualsSigmoid() {
        var rng = SeededGenerator(seed: 31)
        let z = (0..<500).map { _ in 2 * rng.normal() }
        let y = z.map { Double.random(in: 0..<1, using: &rng) < StableMath.sigmoid($0) ? 1 : 0 }
        let a = audit(.binary(labels: y, scores: z, kind: .logits))
        let b = audit(.binary(labels: y, scores: z.map(StableMath.sigmoid)))
        Self.expectSame(a, b, relative: 1e-9, "logit vs sigmoid")
    }

    @Test("a perfectly calibrated sample has ECE near 0")
    func calibratedSample() {
        var rng = SeededGenerator(seed: 41)
        let n = 200_000
        let s = (0..<n).map { _ in Double.random(in: 0..<1, using: &rng) }
        let y = s.map { Double.random(in: 0..<1, using: &rng) < $0 ? 1 : 0 }
        let r = audit(.binary(labels: y, scores: s))
        #expect(r.metrics.ece < 0.01, "positive-class ECE \(r.metrics.ece)")
        #expect(r.metrics.topLabelECE < 0.01, "top-label ECE \(r.metrics.topLabelECE)")
        #expect(abs(r.metrics.calibrationInTheLarge!) < 0.01)
    }

    @Test("a model that always says 0.99 on a 50% task has ECE near 0.49")
    func alwaysConfident() {
        var rng = SeededGenerator(seed: 51)
        let y = (0..<100_000).map { _ in Int.random(in: 0...1, using: &rng) }
        let r = audit(.binary(labels: y, scores: Array(repeating: 0.99, count: y.count)))
        #expect(abs(r.metrics.ece - 0.49) < 0.01, "ECE \(r.metrics.ece)")
        #expect(abs(r.metrics.topLabelECE - 0.49) < 0.01)
        #expect(r.metrics.overconfidence > 0.48 && r.metrics.underconfidence == 0)
        #expect(r.metrics.confidentErrorRate > 0.49 && r.metrics.confidentErrorRate < 0.51)
    }

    @Test("auditing in chunks and merging equals one pass")
    func chunkedMergeEqualsOnePass() {
        let data = Self.randomMulticlass(seed: 61, rows: 1000)
        let whole = audit(.multiclass(labels: data.labels, scores: data.logits, weights: data.weights, kind: .logits))
        let shape = ClassificationShape(classCount: 4, scoreKind: .logits)
        var total = AuditAccumulator(shape: shape)
        for start in stride(from: 0, to: 1000, by: 137) {
            let end = min(1000, start + 137)
            var part = AuditAccumulator(shape: shape)
            part.add(.multiclass(labels: Array(data.labels[start..<end]), scores: Array(data.logits[start..<end]), weights: Array(data.weights[start..<end]), kind: .logits))
            total.merge(part)
        }
        let merged = total.result(classNames: ["c0", "c1", "c2", "c3"])
        Self.expectSame(whole, merged, relative: 1e-12, "chunked")
        // Chunk tables number their lines from 2 again, so compare what the rows are.
        #expect(whole.worstRows.map(\.crossEntropy) == merged.worstRows.map(\.crossEntropy))
        #expect(whole.worstRows.map(\.label) == merged.worstRows.map(\.label))
    }

    @Test("the worst rows are the wrong predictions with the largest cross-entropy, worst first")
    func worstRows() {
        let r = audit(.binary(labels: [1, 0, 1, 0, 1], scores: [0.9, 0.2, 0.05, 0.99, 0.4]), settings: AuditSettings(worstRowLimit: 2))
        #expect(r.worstRows.map(\.line) == [5, 4])
        #expect(r.worstRows.allSatisfy { $0.label != $0.predicted })
        #expect(isClose(r.worstRows[0].crossEntropy, -StableMath.ln(0.01), relative: 1e-12))
    }

    @Test("binary ties: top-label argmax at 0.5 picks the negative class; the threshold decides ≥ 0.5 as positive")
    func binaryTies() {
        let r = audit(.binary(labels: [1], scores: [0.5]))
        #expect(r.confusion[1, 1] == 1)          // threshold rule: 0.5 ≥ 0.5 → positive
        #expect(r.metrics.topLabelECE == 0.5)     // top label is the negative (index 0): wrong at confidence 0.5
    }

    @Test("probabilities of exactly 0 for the true class are clipped to ε and counted")
    func clipping() {
        let r = audit(.binary(labels: [1, 0, 1], scores: [0, 1, 1]))
        #expect(r.clippedProbabilities == 2)
        #expect(isClose(r.metrics.crossEntropy, -2 * StableMath.ln(probabilityFloor) / 3))
    }

    @Test("extreme logits stay finite without clipping")
    func extremeLogits() {
        let r = audit(.multiclass(labels: [0, 1], scores: [[-800, 800, 0], [1000, -1000, 5]], kind: .logits))
        #expect(r.metrics.crossEntropy.isFinite)
        #expect(isClose(r.metrics.crossEntropy, (1600 + 2000) / 2, relative: 1e-12))
        #expect(r.clippedProbabilities == 0)
    }
}

@Suite("Reliability bins")
struct ReliabilityBinTests {
    @Test("bin edges: lower edge inclusive, last bin closed", arguments: [
        (0.0, 0), (1.0 / 15, 1), (0.5, 7), (14.0 / 15, 14), (0.9999999, 14), (1.0, 14),
    ])
    func binIndex(value: Double, bin: Int) {
        #expect(ReliabilityBins(binCount: 15).binIndex(of: value) == bin)
    }

    @Test("empty bins are kept with nil means")
    func emptyBins() {
        let r = audit(.binary(labels: [1, 0], scores: [0.95, 0.05]))
        #expect(r.reliability.bins.count == 15)
        #expect(r.reliability.bins.filter { !$0.isEmpty }.count == 1)
        #expect(r.reliability.bins[0].gap == nil && r.reliability.bins[0].count == 0)
    }

    @Test("compensated sums keep a million small terms exact to 1e-15")
    func compensatedSum() {
        var sum = CompensatedSum(1e8)
        for _ in 0..<1_000_000 { sum.add(0.1) }
        sum.add(-1e8)
        #expect(abs(sum.value - 100_000) < 1e-9)
    }
}
