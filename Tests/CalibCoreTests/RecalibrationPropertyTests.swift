import CalibCore
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import CalibTestSupport
import Testing

/// Properties of SPEC section 12's calibrators and prior shifts, on seeded random data.
@Suite("Recalibration: properties")
struct RecalibrationPropertyTests {
    /// An overconfident binary model: true log-odds t ~ N(0, 1.2²), y ~ Bernoulli(σ(t)), score σ(2.5t + 0.8).
    static func binary(seed: UInt64, rows: Int = 2000, weighted: Bool = false, logits: Bool = false) -> PredictionTable {
        var rng = SeededGenerator(seed: seed)
        var labels: [Int] = [], scores: [Double] = [], weights: [Double] = []
        for _ in 0..<rows {
            let t = 1.2 * rng.normal()
            labels.append(Double.random(in: 0..<1, using: &rng) < StableMath.sigmoid(t) ? 1 : 0)
            scores.append(logits ? 2.5 * t + 0.8 : StableMath.sigmoid(2.5 * t + 0.8))
            weights.append(weighted ? Double.random(in: 0.2..<3, using: &rng) : 1)
        }
        return .binary(labels: labels, scores: scores, weights: weights, kind: logits ? .logits : .probabilities)
    }

    static func multiclass(seed: UInt64, rows: Int = 900, classes: Int = 4, logits: Bool) -> PredictionTable {
        var rng = SeededGenerator(seed: seed)
        var labels: [Int] = [], scores: [[Double]] = [], weights: [Double] = []
        for _ in 0..<rows {
            let y = Int.random(in: 0..<classes, using: &rng)
            var z = (0..<classes).map { _ in 2 * rng.normal() }
            z[y] += 2
            labels.append(y)
            if logits {
                scores.append(z)
            } else {
                let m = z.max()!
                let e = z.map { StableMath.exponential($0 - m) }
                let total = e.reduce(0, +)
                scores.append(e.map { $0 / total })
            }
            weights.append(Double.random(in: 0.5..<2, using: &rng))
        }
        return .multiclass(labels: labels, scores: scores, weights: weights, kind: logits ? .logits : .probabilities)
    }

    static func names(_ table: PredictionTable) -> [String] { (0..<table.shape.classCount).map { "c\($0)" } }

    /// Every row's output as probabilities (binary: one value).
    static func applied(_ calibrator: Calibrator, _ table: PredictionTable, as kind: ScoreKind = .probabilities) -> [Double] {
        var out = [Double](repeating: 0, count: table.scores.count)
        let per = table.shape.scoresPerRow
        table.scores.withUnsafeBufferPointer { scores in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<table.count {
                    calibrator.apply(UnsafeBufferPointer(rebasing: scores[(i * per)..<((i + 1) * per)]), kind: table.shape.scoreKind,
                                     into: UnsafeMutableBufferPointer(rebasing: o[(i * per)..<((i + 1) * per)]), as: kind)
                }
            }
        }
        return out
    }

    static func argmax(_ row: ArraySlice<Double>) -> Int { row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - row.startIndex }

    @Test("temperature scaling never changes the argmax, so never the accuracy", arguments: [(UInt64(1), false), (2, true), (3, false), (4, true)])
    func temperatureKeepsArgmax(seed: UInt64, logits: Bool) throws {
        let table = Self.multiclass(seed: seed, logits: logits)
        let calibrator = try Recalibration.fit(.temperature, table: table, classes: Self.names(table))
        guard case let .temperature(t) = calibrator.parameters else { Issue.record("not a temperature"); return }
        #expect(t != 1, "seed \(seed): a real rescaling")
        let after = Self.applied(calibrator, table)
        let k = table.shape.classCount
        for i in 0..<table.count {
            #expect(Self.argmax(table.scores[(i * k)..<((i + 1) * k)]) == Self.argmax(after[(i * k)..<((i + 1) * k)]), "seed \(seed) row \(i)")
        }
        // Binary: the decision at ½ is the sign of the logit, which T > 0 keeps.
        let binary = Self.binary(seed: seed, logits: logits)
        let b = try Recalibration.fit(.temperature, table: binary, classes: ["0", "1"])
        for (s, r) in zip(binary.scores, Self.applied(b, binary)) where s != (logits ? 0 : 0.5) {
            #expect((s > (logits ? 0 : 0.5)) == (r > 0.5))
        }
    }

    @Test("an overconfident model gets T > 1; a calibrated fit lowers the cross-entropy it minimises", arguments: [UInt64(5), 6])
    func temperatureOverconfident(seed: UInt64) throws {
        let table = Self.binary(seed: seed)
        let calibrator = try Recalibration.fit(.temperature, table: table, classes: ["0", "1"])
        guard case let .temperature(t) = calibrator.parameters else { Issue.record("not a temperature"); return }
        #expect(t > 2 && t < 3.5, "seed \(seed): T = \(t) for scores 2.5× too sharp")
        let before = audit(table).metrics.crossEntropy
        let after = audit(.binary(labels: table.labels.map(Int.init), scores: Self.applied(calibrator, table))).metrics.crossEntropy
        #expect(after < before)
    }

    @Test("isotonic output is monotone in the score, within [0, 1]", arguments: [(UInt64(7), false), (8, true)])
    func isotonicMonotone(seed: UInt64, weighted: Bool) throws {
        let table = Self.binary(seed: seed, weighted: weighted)
        let calibrator = try Recalibration.fit(.isotonic, table: table, classes: ["0", "1"])
        let probes = (0...1000).map { Double($0) / 1000 }
        let out = probes.map { calibrator.applyBinary($0, kind: .probabilities, as: .probabilities) }
        for (a, b) in zip(out, out.dropFirst()) { #expect(a <= b) }
        #expect(out.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("the identity calibrator (T = 1) returns every score bit for bit", arguments: [ScoreKind.probabilities, .logits])
    func identity(kind: ScoreKind) {
        let binary = Self.binary(seed: 9, logits: kind == .logits)
        let calibrator = Calibrator.identity(classes: ["0", "1"])
        #expect(Self.applied(calibrator, binary, as: kind).map(\.bitPattern) == binary.scores.map(\.bitPattern))
        let multi = Self.multiclass(seed: 9, logits: kind == .logits)
        #expect(Self.applied(.identity(classes: Self.names(multi)), multi, as: kind).map(\.bitPattern) == multi.scores.map(\.bitPattern))
    }

    @Test("a prior shift with train = deploy priors, or negative sampling at rate 1, is the identity bit for bit",
          arguments: [ScoreKind.probabilities, .logits])
    func priorIdentity(kind: ScoreKind) {
        for shift in [PriorShift(train: [0.9, 0.1], deploy: [0.9, 0.1]), PriorShift(negativeSampling: 1)] {
            let table = Self.binary(seed: 10, logits: kind == .logits)
            #expect(shift.isIdentity)
            #expect(table.scores.map { shift.applyBinary($0, kind: kind).bitPattern } == table.scores.map(\.bitPattern))
        }
        let multi = Self.multiclass(seed: 10, logits: kind == .logits)
        let shift = PriorShift(train: [0.1, 0.2, 0.3, 0.4], deploy: [0.1, 0.2, 0.3, 0.4])
        var out = [Double](repeating: 0, count: 4)
        for i in 0..<multi.count {
            multi.scores.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { shift.apply(UnsafeBufferPointer(rebasing: s[(i * 4)..<(i * 4 + 4)]), kind: kind, into: $0) }
            }
            #expect(out.map(\.bitPattern) == multi.scores[(i * 4)..<(i * 4 + 4)].map(\.bitPattern))
        }
    }

    @Test("negative sampling at rate β is the odds times β: s' = βs / (βs − s + 1), the same on logits", arguments: [0.01, 0.1, 0.5])
    func negativeSampling(beta: Double) {
        let shift = PriorShift(negativeSampling: beta)
        for s in [0.001, 0.2, 0.5, 0.9, 0.999] {
            let expected = beta * s / (beta * s - s + 1)
            #expect(isClose(shift.applyBinary(s, kind: .probabilities), expected, relative: 1e-15))
            let z = StableMath.ln(s / (1 - s))
            #expect(isClose(StableMath.sigmoid(shift.applyBinary(z, kind: .logits)), expected, relative: 1e-12))
        }
    }

    @Test("EM recovers a known prior shift: resampled to a new prior, the estimate is within 0.02 of the truth", arguments: [(UInt64(11), 0.05), (12, 0.3), (13, 0.6)])
    func emRecoversShift(seed: UInt64, deployed: Double) throws {
        // A calibrated model under a training prior of ½ (score = P(y=1 | x) with balanced classes),
        // deployed where positives have prior `deployed`: x | y ~ N(±1, 1), so s = σ(2x).
        var rng = SeededGenerator(seed: seed)
        var scores: [Double] = [], labels: [Int] = []
        for _ in 0..<20_000 {
            let y = Double.random(in: 0..<1, using: &rng) < deployed ? 1 : 0
            let x = rng.normal() + (y == 1 ? 1 : -1)
            scores.append(StableMath.sigmoid(2 * x))
            labels.append(y)
        }
        let table = PredictionTable.binary(labels: labels, scores: scores)
        let estimate = PriorEstimate.estimate(table, train: [0.5, 0.5])
        #expect(estimate.converged)
        #expect(estimate.iterations > 1)
        let observed = Double(labels.reduce(0, +)) / Double(labels.count)
        #expect(Swift.abs(estimate.prior[1] - observed) < 0.02, "estimate \(estimate.prior[1]), observed \(observed), deployed \(deployed)")
        #expect(isClose(estimate.prior[0] + estimate.prior[1], 1, relative: 1e-12))
        // The deployed prior lies within the basic bootstrap interval (95%, 200 replicates).
        let intervals = PriorEstimate.intervals(table, train: [0.5, 0.5], estimate: estimate, settings: BootstrapSettings(seed: seed))
        let positive = try #require(intervals[1])
        #expect(positive.lower < deployed && deployed < positive.upper, "interval [\(positive.lower), \(positive.upper)] for \(deployed)")
        #expect(positive.lower <= estimate.prior[1] && estimate.prior[1] <= positive.upper)
    }

    @Test("the EM's bootstrap interval is the same bits run on several threads")
    func emIntervalThreads() throws {
        let table = Self.binary(seed: 20, rows: 3000, weighted: true)
        let estimate = PriorEstimate.estimate(table, train: [0.7, 0.3])
        let settings = BootstrapSettings(replicates: 40, seed: 7)
        let serial = PriorEstimate.intervals(table, train: [0.7, 0.3], estimate: estimate, settings: settings)
        let threaded = PriorEstimate.intervals(table, train: [0.7, 0.3], estimate: estimate, settings: settings) { count, body in
            DispatchQueue.concurrentPerform(iterations: count) { body($0) }
        }
        #expect(serial == threaded && serial.allSatisfy { $0 != nil })
    }

    /// Hard cases: each is refused with a reason, never a silent answer.
    @Test("refused: separable data (Platt, beta, temperature), one class, all scores equal, too few distinct scores",
          arguments: [
              ("separable", RecalibrationMethod.platt, [0, 0, 1, 1], [0.1, 0.4, 0.6, 0.9]),
              ("separable", .beta, [0, 0, 1, 1], [0.1, 0.4, 0.6, 0.9]),
              ("separable, ties at the boundary", .platt, [0, 0, 1, 1, 0], [0.1, 0.5, 0.5, 0.9, 0.3]),
              ("an interval of positives", .beta, [0, 1, 1, 0, 0], [0.1, 0.4, 0.5, 0.8, 0.9]),
              ("separable", .temperature, [0, 0, 1, 1], [0.1, 0.4, 0.6, 0.9]),
              ("one class", .isotonic, [1, 1, 1], [0.2, 0.5, 0.7]),
              ("one class", .histogram, [0, 0, 0], [0.2, 0.5, 0.7]),
              ("all scores equal", .temperature, [0, 1, 1], [0.5, 0.5, 0.5]),
              ("two distinct scores", .beta, [0, 1, 1, 0], [0.2, 0.2, 0.7, 0.7]),
          ])
    func refused(what: String, method: RecalibrationMethod, labels: [Int], scores: [Double]) {
        #expect(throws: RecalibrationError.self, "\(what): \(method)") {
            try Recalibration.fit(method, table: .binary(labels: labels, scores: scores), classes: ["0", "1"])
        }
    }

    @Test("binary-only methods refuse a multiclass task", arguments: [RecalibrationMethod.platt, .beta, .isotonic, .histogram])
    func binaryOnly(method: RecalibrationMethod) {
        let table = Self.multiclass(seed: 15, logits: false)
        #expect(throws: RecalibrationError.self) { try Recalibration.fit(method, table: table, classes: Self.names(table)) }
    }

    @Test("exact 0 and 1 scores are clipped to [ε, 1 − ε] for the logistic fits and give finite parameters and outputs",
          arguments: [RecalibrationMethod.temperature, .platt, .beta, .isotonic, .histogram])
    func exactZeroOne(method: RecalibrationMethod) throws {
        var table = Self.binary(seed: 16, rows: 400)
        table = .binary(labels: table.labels.map(Int.init) + [0, 1, 1, 0], scores: table.scores + [0, 1, 0, 1])
        let calibrator = try Recalibration.fit(method, table: table, classes: ["0", "1"])
        let out = Self.applied(calibrator, table)
        #expect(out.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        let logits = Self.applied(calibrator, table, as: .logits)
        #expect(logits.allSatisfy { $0.isFinite })
    }

    @Test("logit input fits the same map as the probabilities it stands for", arguments: [RecalibrationMethod.temperature, .platt, .beta])
    func logitInput(method: RecalibrationMethod) throws {
        let onLogits = try Recalibration.fit(method, table: Self.binary(seed: 17, logits: true), classes: ["0", "1"])
        let onProbabilities = try Recalibration.fit(method, table: Self.binary(seed: 17), classes: ["0", "1"])
        for s in [0.01, 0.3, 0.7, 0.99] {
            let z = StableMath.ln(s / (1 - s))
            #expect(isClose(onLogits.applyBinary(z, kind: .logits, as: .probabilities),
                            onProbabilities.applyBinary(s, kind: .probabilities, as: .probabilities), relative: 1e-8))
        }
    }

    @Test("cross-fitting: a row's cross-fitted score does not depend on its own fold's labels", arguments: RecalibrationMethod.allCases)
    func crossFitHoldsOut(method: RecalibrationMethod) throws {
        let table = Self.binary(seed: 18, rows: 1000, weighted: true)
        let first = try Recalibration.crossFitted(method, table: table)
        var labels = table.labels.map(Int.init)
        for i in Swift.stride(from: 2, to: labels.count, by: 5) { labels[i] = 1 - labels[i] }
        let flipped = try Recalibration.crossFitted(method, table: .binary(labels: labels, scores: table.scores, weights: table.weights))
        for i in Swift.stride(from: 2, to: labels.count, by: 5) { #expect(first.scores[i] == flipped.scores[i], "\(method) row \(i)") }
        let othersChanged = (0..<labels.count).contains { $0 % 5 != 2 && first.scores[$0] != flipped.scores[$0] }
        #expect(othersChanged, "the other folds' fits saw the change")
        #expect(first.labels == table.labels && first.weights == table.weights && first.shape.scoreKind == .probabilities)
    }

    @Test("a fit and a cross-fit give the same bits run on several threads", arguments: RecalibrationMethod.allCases)
    func threaded(method: RecalibrationMethod) throws {
        let table = Self.binary(seed: 21, rows: 5000, weighted: true)
        let runner: RankingRunner = { count, body in DispatchQueue.concurrentPerform(iterations: count) { body($0) } }
        #expect(try Recalibration.fit(method, table: table, classes: ["0", "1"]) == Recalibration.fit(method, table: table, classes: ["0", "1"], runner: runner))
        let serial = try Recalibration.crossFitted(method, table: table)
        let parallel = try Recalibration.crossFitted(method, table: table, runner: runner)
        #expect(serial.scores.map(\.bitPattern) == parallel.scores.map(\.bitPattern))
    }

    @Test("fitAndCrossFit gives the bits of fit and crossFitted, serially and on threads", arguments: RecalibrationMethod.allCases)
    func fitAndCrossFitTogether(method: RecalibrationMethod) throws {
        let table = Self.binary(seed: 23, rows: 3000, weighted: true)
        let runner: RankingRunner = { count, body in DispatchQueue.concurrentPerform(iterations: count) { body($0) } }
        let fitted = try Recalibration.fit(method, table: table, classes: ["0", "1"])
        let crossFitted = try Recalibration.crossFitted(method, table: table)
        for r in [nil, runner] {
            let both = try Recalibration.fitAndCrossFit(method, table: table, classes: ["0", "1"], runner: r)
            #expect(both.calibrator == fitted)
            #expect(both.crossFitted.scores.map(\.bitPattern) == crossFitted.scores.map(\.bitPattern))
            #expect(both.crossFitted.labels == table.labels && both.crossFitted.weights == table.weights && both.crossFitted.lines == table.lines)
        }
    }

    @Test("fitAndCrossFit refuses with the whole fit's reason first, then the first fold's", arguments: [
        ("one class in every row: the whole fit's reason", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "only one class is present"),
        ("only row 0 is positive: fold 1 has no positive rows", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "cross-fitting fold 1 of 5"),
    ])
    func fitAndCrossFitErrors(name: String, labels: [Int], reason: String) {
        let table = PredictionTable.binary(labels: labels, scores: (0..<labels.count).map { 0.05 + 0.09 * Double($0) })
        for method in [RecalibrationMethod.isotonic, .histogram] {
            do {
                _ = try Recalibration.fitAndCrossFit(method, table: table, classes: ["0", "1"])
                Issue.record("\(name): \(method) fitted")
            } catch {
                #expect(error.reason.hasPrefix(reason), "\(name): \(error.reason)")
            }
        }
    }

    @Test("weights whose sum overflows are refused by every method, whole fit and cross-fit alike, with what to do", arguments: RecalibrationMethod.allCases)
    func overflowingWeights(method: RecalibrationMethod) {
        // Each weight is finite; their sum (and each class's) is not.
        let labels = [0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1]
        let table = PredictionTable.binary(labels: labels, scores: (0..<labels.count).map { 0.05 + 0.08 * Double($0) },
                                           weights: Array(repeating: 1e308, count: labels.count))
        for attempt in ["fit", "fitAndCrossFit"] {
            do {
                if attempt == "fit" {
                    _ = try Recalibration.fit(method, table: table, classes: ["0", "1"])
                } else {
                    _ = try Recalibration.fitAndCrossFit(method, table: table, classes: ["0", "1"])
                }
                Issue.record("\(method) \(attempt) fitted")
            } catch {
                #expect(error.reason.contains("the weights' sum overflows"), "\(method) \(attempt): \(error.reason)")
            }
        }
    }

    /// scikit-learn's isotonic fit transcribed on arrays (`_make_unique`, then
    /// `_inplace_contiguous_isotonic_regression` over every point, clip, `trim_duplicates`).
    static func referenceIsotonic(_ table: PredictionTable) -> (thresholds: [Double], values: [Double]) {
        let rows = (0..<table.count).filter { table.weights[$0] > 0 }
            .sorted { (table.scores[$0], table.labels[$0], $0) < (table.scores[$1], table.labels[$1], $1) }
        var x: [Double] = [], y: [Double] = [], w: [Double] = []
        var currentX = Double.nan, currentY = 0.0, currentW = 0.0
        for i in rows {
            let xi = table.scores[i], wi = table.weights[i], yi: Double = table.labels[i] == 1 ? 1 : 0
            if currentX.isNaN { currentX = xi }
            if xi - currentX >= 1e-15 {
                x.append(currentX); w.append(currentW); y.append(currentY / currentW)
                (currentX, currentW, currentY) = (xi, wi, yi * wi)
            } else {
                currentW += wi
                currentY += yi * wi
            }
        }
        x.append(currentX); w.append(currentW); y.append(currentY / currentW)
        let n = y.count
        var target = Array(0..<n)
        var i = 0
        outer: while i < n {
            var k = target[i] + 1
            if k == n { break }
            if y[i] < y[k] { i = k; continue }
            var sumWY = w[i] * y[i], sumW = w[i]
            while true {
                let previous = y[k]
                sumWY += w[k] * y[k]
                sumW += w[k]
                k = target[k] + 1
                if k == n || previous < y[k] {
                    y[i] = sumWY / sumW
                    w[i] = sumW
                    target[i] = k - 1
                    target[k - 1] = i
                    if i > 0 { i = target[i - 1] }
                    continue outer
                }
            }
        }
        i = 0
        while i < n {
            let k = target[i] + 1
            if k > i + 1 { for j in (i + 1)..<k { y[j] = y[i] } }
            i = k
        }
        y = y.map { Swift.min(Swift.max($0, 0), 1) }
        var thresholds: [Double] = [], values: [Double] = []
        for i in 0..<n where i == 0 || i == n - 1 || y[i] != y[i - 1] || y[i] != y[i + 1] {
            thresholds.append(x[i]); values.append(y[i])
        }
        return (thresholds, values)
    }

    @Test("the isotonic fit, streamed over the sorted rows, has the bits of scikit-learn's algorithm on arrays, serially and on threads", arguments: [
        ("continuous scores, unit weights", 0, false, 4000),
        ("scores rounded to 2 decimals (many ties), weights with zeros", 2, true, 4000),
        ("scores rounded to 1 decimal (few points, long blocks), weights with zeros", 1, true, 4000),
        ("100,000 rows (the sort's buckets on threads), scores rounded to 4 decimals, weights with zeros", 4, true, 100_000),
    ])
    func isotonicMatchesArrays(name: String, decimals: Int, weighted: Bool, rows: Int) throws {
        var rng = SeededGenerator(seed: 29)
        var labels: [Int] = [], scores: [Double] = [], weights: [Double] = []
        for _ in 0..<rows {
            let t = 1.2 * rng.normal()
            labels.append(Double.random(in: 0..<1, using: &rng) < StableMath.sigmoid(t) ? 1 : 0)
            var s = StableMath.sigmoid(2.5 * t + 0.8)
            if decimals > 0 { s = (s * pow(10, Double(decimals))).rounded() / pow(10, Double(decimals)) }
            scores.append(s)
            weights.append(weighted ? [0, 0.5, 1, 2.25, Double.random(in: 0..<3, using: &rng)].randomElement(using: &rng)! : 1)
        }
        let table = PredictionTable.binary(labels: labels, scores: scores, weights: weights)
        let reference = Self.referenceIsotonic(table)
        let runner: RankingRunner = { count, body in DispatchQueue.concurrentPerform(iterations: count) { body($0) } }
        for r in [nil, runner] {
            guard case let .isotonic(thresholds, values) = try Recalibration.fit(.isotonic, table: table, classes: ["0", "1"], runner: r).parameters else {
                Issue.record("\(name): not an isotonic calibrator")
                return
            }
            #expect(thresholds.map(\.bitPattern) == reference.thresholds.map(\.bitPattern), "\(name)")
            #expect(values.map(\.bitPattern) == reference.values.map(\.bitPattern), "\(name)")
        }
    }

    @Test("fits are deterministic: the same rows give the same bits")
    func deterministic() throws {
        for method in RecalibrationMethod.allCases {
            let a = try Recalibration.fit(method, table: Self.binary(seed: 19, weighted: true), classes: ["0", "1"])
            let b = try Recalibration.fit(method, table: Self.binary(seed: 19, weighted: true), classes: ["0", "1"])
            #expect(a == b)
        }
    }

    /// The weighted score equations at a fit's parameters, each divided by the
    /// sum of its terms' magnitudes: 0 at the maximum-likelihood fit.
    static func relativeGradient(_ parameters: Calibrator.Parameters, _ table: PredictionTable) -> [Double] {
        let eps = Calibrator.epsilon
        var sums: [Double] = [], scales: [Double] = []
        func add(_ terms: [Double]) {
            if sums.isEmpty { sums = Array(repeating: 0, count: terms.count); scales = sums }
            for j in terms.indices { sums[j] += terms[j]; scales[j] += Swift.abs(terms[j]) }
        }
        let k = table.shape.classCount
        for i in 0..<table.count {
            let w = table.weights[i], y = Int(table.labels[i])
            switch parameters {
            case let .platt(a, b):
                let s = Swift.min(Swift.max(table.scores[i], eps), 1 - eps)
                let l = log(s) - log1p(-s)
                let r = w * (StableMath.sigmoid(a * l + b) - Double(y))
                add([r * l, r])
            case let .beta(a, b, c):
                let s = Swift.min(Swift.max(table.scores[i], eps), 1 - eps)
                let f0 = log(s), f1 = -log1p(-s)
                let r = w * (StableMath.sigmoid(a * f0 + b * f1 + c) - Double(y))
                add([r * f0, r * f1, r])
            case let .temperature(t):
                let beta = 1 / t
                if k == 2 {
                    let s = Swift.min(Swift.max(table.scores[i], eps), 1 - eps)
                    let l = log(s) - log1p(-s)
                    add([w * (StableMath.sigmoid(beta * l) - Double(y)) * l])
                } else {
                    let z = (0..<k).map { log(Swift.max(table.scores[i * k + $0], eps)) }
                    let m = z.map { beta * $0 }.max()!
                    let e = z.map { StableMath.exponential(beta * $0 - m) }
                    let mean = zip(e, z).reduce(0) { $0 + $1.0 * $1.1 } / e.reduce(0, +)
                    add([w * (mean - z[y])])
                }
            default:
                return []
            }
        }
        return zip(sums, scales).map { $0 / $1 }
    }

    static let warmStartCases: [(String, RecalibrationMethod, PredictionTable)] = [
        ("Platt, 150,000 rows (compressed start)", .platt, binary(seed: 31, rows: 150_000, weighted: true)),
        ("beta, 150,000 rows (compressed start)", .beta, binary(seed: 32, rows: 150_000, weighted: true)),
        ("temperature, 150,000 binary rows (sampled start)", .temperature, binary(seed: 33, rows: 150_000, weighted: true)),
        ("temperature, 140,000 rows of 4 classes (sampled start)", .temperature, multiclass(seed: 34, rows: 140_000, classes: 4, logits: false)),
    ]

    @Test("fits on enough rows to start from compressed cells or a sample still end at the likelihood's maximum (the score equations vanish), with the same bits on several threads",
          arguments: warmStartCases)
    func warmStartedFitsReachTheMaximum(name: String, method: RecalibrationMethod, table: PredictionTable) throws {
        let classes = (0..<table.shape.classCount).map { "\($0)" }
        let calibrator = try Recalibration.fit(method, table: table, classes: classes)
        let gradient = Self.relativeGradient(calibrator.parameters, table)
        #expect(!gradient.isEmpty && gradient.allSatisfy { Swift.abs($0) < 1e-10 }, "\(name): \(gradient)")
        let runner: RankingRunner = { count, body in DispatchQueue.concurrentPerform(iterations: count) { body($0) } }
        #expect(try Recalibration.fit(method, table: table, classes: classes, runner: runner) == calibrator, "\(name)")
    }
}
