@testable import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// SPEC 9's `calibrationSlope` (`P(y = 1) = σ(a + b·logit(s))`) and
/// `calibrationIntercept` (`σ(a₀ + logit(s))`), fitted from the exact score
/// store: against `make_calibration_golden.py` (the exact weighted MLE,
/// checked there against statsmodels), against a textbook Newton over the
/// rows written here, and their properties (calibrated data gives 1 and 0;
/// chunking, merging and threads change no bit; weights are frequencies;
/// separable data gives `nil` with a reason).
@Suite("Calibration slope and intercept")
struct CalibrationFitTests {
    // MARK: Data

    struct Rows {
        var scores: [Double]
        var labels: [Int]
        var weights: [Double]?
        var count: Int { labels.count }

        func slice(_ range: Range<Int>) -> Rows {
            Rows(scores: Array(scores[range]), labels: Array(labels[range]), weights: weights.map { Array($0[range]) })
        }
    }

    static func logistic(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// `s = σ(N(mean, spread²))`, `y ~ Bernoulli(σ(intercept + slope·logit(s)))` (so 0 and 1 on data from the scores themselves).
    static func simulated(rows: Int, seed: UInt64, mean: Double = -1, spread: Double = 1.5,
                          slope: Double = 1, intercept: Double = 0, weighted: Bool = false) -> Rows {
        var g = SeededGenerator(seed: seed)
        var out = Rows(scores: [], labels: [], weights: weighted ? [] : nil)
        for _ in 0..<rows {
            let z = mean + spread * g.normal()
            let s = logistic(z)
            out.scores.append(s)
            out.labels.append(Double.random(in: 0..<1, using: &g) < logistic(intercept + slope * z) ? 1 : 0)
            if weighted { out.weights!.append(Double(Int.random(in: 1...4, using: &g))) }
        }
        return out
    }

    static func store(_ rows: Rows, chunk: Int? = nil) -> ScoreStore {
        var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: RankingSettings())
        let step = chunk ?? Swift.max(1, rows.count)
        for start in stride(from: 0, to: rows.count, by: step) {
            let part = rows.slice(start..<Swift.min(rows.count, start + step))
            store.append(scores: part.scores, labels: part.labels, weights: part.weights)
        }
        return store
    }

    static func pieces(_ store: ScoreStore) -> [ExactScores.Piece] {
        guard case .exact(let exact) = store.storage else { Issue.record("the store is exact"); return [] }
        return exact.columns[0]
    }

    static func fits(_ rows: Rows, chunk: Int? = nil, runner: RankingRunner? = nil) -> CalibrationFits {
        CalibrationFits.fit(pieces: pieces(store(rows, chunk: chunk)), runner: runner)
    }

    static let twoThreads: RankingRunner = { count, body in runConcurrently(count, threads: 2, body) }
    /// Runs the tasks last to first: results must not depend on the order tasks run in.
    static let backwards: RankingRunner = { count, body in for task in (0..<count).reversed() { body(task) } }

    /// A textbook damped Newton over every row (no moments, no grouping), to 1e-15:
    /// the weighted MLE of `σ(a + b·x)` (`slope`) or `σ(a + x)`, `x = logit(clip(s, ε, 1 − ε))`.
    static func textbook(_ rows: Rows, slope: Bool) -> (a: Double, b: Double)? {
        let eps = 2.220446049250313e-16
        let x = rows.scores.map { s -> Double in let c = Swift.min(Swift.max(s, eps), 1 - eps); return log(c / (1 - c)) }
        let w = rows.weights ?? Array(repeating: 1, count: rows.count)
        func loglik(_ a: Double, _ b: Double) -> Double {
            var sum = 0.0
            for i in 0..<rows.count {
                let eta = a + b * x[i]
                let softplus = Swift.max(eta, 0) + log1p(exp(-Swift.abs(eta)))
                sum += w[i] * (Double(rows.labels[i]) * eta - softplus)
            }
            return sum
        }
        var a = 0.0, b = 1.0
        for _ in 0..<500 {
            var g0 = 0.0, g1 = 0.0, h00 = 0.0, h01 = 0.0, h11 = 0.0
            for i in 0..<rows.count {
                let mu = logistic(a + b * x[i])
                let r = w[i] * (Double(rows.labels[i]) - mu), q = w[i] * mu * (1 - mu)
                g0 += r; g1 += r * x[i]; h00 += q; h01 += q * x[i]; h11 += q * x[i] * x[i]
            }
            var da = g0 / h00, db = 0.0
            if slope {
                let det = h00 * h11 - h01 * h01
                da = (h11 * g0 - h01 * g1) / det
                db = (h00 * g1 - h01 * g0) / det
            }
            guard da.isFinite && db.isFinite else { return nil }
            var lambda = 1.0
            let base = loglik(a, b)
            while loglik(a + lambda * da, b + lambda * db) < base - 1e-12 * Swift.abs(base) && lambda > 1e-12 { lambda /= 2 }
            a += lambda * da
            b += lambda * db
            if Swift.abs(lambda * da) <= 1e-15 * Swift.max(1, Swift.abs(a)) && Swift.abs(lambda * db) <= 1e-15 * Swift.max(1, Swift.abs(b)) { break }
        }
        return (a, b)
    }

    // MARK: Golden values

    static var reference: [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/calibration_expected.json"))
        return (try! JSONSerialization.jsonObject(with: data) as! [String: Any])["fixtures"] as! [String: Any]
    }
    static var binaryFixtures: [String] {
        reference.filter { ($0.value as! [String: Any])["binary"] is [String: Any] }.keys.sorted()
    }

    /// A fixture's rows, read from its CSV as `input` describes them.
    static func rows(fixture name: String) throws -> Rows {
        let input = try #require((reference[name] as? [String: Any])?["input"] as? [String: Any])
        let file = try #require(input["file"] as? String)
        let classes = try #require(input["classes"] as? [String])
        let scoreColumn = try #require((input["scores"] as? [String])?.first)
        let text = try String(contentsOfFile: TestPaths.golden + "/" + file, encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        let labelColumn = try #require(input["label"] as? String)
        let label = try #require(header.firstIndex(of: labelColumn))
        let score = try #require(header.firstIndex(of: scoreColumn))
        let weight = (input["weight"] as? String).flatMap { header.firstIndex(of: $0) }
        var out = Rows(scores: [], labels: [], weights: weight == nil ? nil : [])
        for line in lines.dropFirst() where !line.isEmpty {
            out.scores.append(try #require(Double(line[score])))
            out.labels.append(try #require(classes.firstIndex(of: line[label])))
            if let weight { out.weights!.append(try #require(Double(line[weight]))) }
        }
        return out
    }

    /// The kind of a golden reason: its text before statsmodels' remark.
    static func kind(_ reason: String?) -> String? {
        reason.map { String($0.split(separator: " (statsmodels").first ?? "") }
    }

    @Test("slope and intercept match the golden MLE to 1e-12 relative, nil exactly where it is null", arguments: binaryFixtures)
    func golden(fixture: String) throws {
        let tolerance = 1e-12
        let expected = try #require((Self.reference[fixture] as? [String: Any])?["binary"] as? [String: Any])
        let reasons = expected["nullReasons"] as? [String: String] ?? [:]
        let fits = Self.fits(try Self.rows(fixture: fixture))
        for (what, ours, reason, key) in [("slope", fits.slope, fits.slopeUndefinedReason, "calibrationSlope"),
                                          ("intercept", fits.intercept, fits.interceptUndefinedReason, "calibrationIntercept")] {
            let golden = (expected[key] as? NSNumber)?.doubleValue
            #expect(isClose(ours, golden, relative: tolerance, absolute: 1e-12), "\(fixture) \(what): calib \(String(describing: ours)), golden \(String(describing: golden))")
            #expect(reason == Self.kind(reasons[key]), "\(fixture) \(what) reason")
            if let ours { #expect(ours.isFinite) }
        }
    }

    @Test("two distinct scores: the slope is the saturated fit's (logit(ȳ₂) − logit(ȳ₁))/(x₂ − x₁) to 1e-13",
          arguments: ["ties_two_values", "ties_two_values_weighted", "edge_scores_0_1"])
    func twoScores(fixture: String) throws {
        let rows = try Self.rows(fixture: fixture)
        let eps = CalibrationFits.epsilon
        var weight: [Double: (all: Double, positive: Double)] = [:]
        for i in 0..<rows.count {
            let w = rows.weights?[i] ?? 1
            let x = Swift.min(Swift.max(rows.scores[i], eps), 1 - eps)
            weight[x, default: (0, 0)].all += w
            if rows.labels[i] == 1 { weight[x, default: (0, 0)].positive += w }
        }
        let groups = weight.sorted { $0.key < $1.key }
        try #require(groups.count == 2)
        func logit(_ p: Double) -> Double { log(p / (1 - p)) }
        let low = groups[0], high = groups[1]
        let expected = (logit(high.value.positive / high.value.all) - logit(low.value.positive / low.value.all))
            / (logit(high.key) - logit(low.key))
        let slope = try #require(Self.fits(rows).slope)
        #expect(isClose(slope, expected, relative: 1e-13), "\(fixture): calib \(slope), closed form \(expected)")
    }

    // MARK: Properties

    @Test("data simulated from the scores themselves gives slope 1 and intercept 0 within 4 standard errors",
          arguments: [UInt64(1), 2, 3, 4])
    func calibrated(seed: UInt64) throws {
        let rows = Self.simulated(rows: 50_000, seed: seed)
        let fits = Self.fits(rows)
        let slope = try #require(fits.slope), intercept = try #require(fits.intercept)
        // Standard errors from the Fisher information at the ideal (a, b) = (0, 1).
        var h00 = 0.0, h01 = 0.0, h11 = 0.0
        for s in rows.scores {
            let x = log(s / (1 - s)), q = s * (1 - s)
            h00 += q; h01 += q * x; h11 += q * x * x
        }
        let slopeError = (h00 / (h00 * h11 - h01 * h01)).squareRoot(), interceptError = (1 / h00).squareRoot()
        #expect(Swift.abs(slope - 1) <= 4 * slopeError, "seed \(seed): slope \(slope), standard error \(slopeError)")
        #expect(Swift.abs(intercept) <= 4 * interceptError, "seed \(seed): intercept \(intercept), standard error \(interceptError)")
    }

    /// Distributions that reach every path of the fit: one cell per store bucket, the general
    /// cells (scores ≥ ½, below 2⁻⁴⁰, exactly 0 and 1) and the exact passes (a steep slope).
    enum Shape: String, CaseIterable, CustomTestStringConvertible {
        case calibrated, overconfident, weighted, extremes, steep, nearlySeparable
        var testDescription: String { rawValue }

        func rows(_ count: Int, seed: UInt64) -> Rows {
            switch self {
            case .calibrated: return simulated(rows: count, seed: seed)
            case .overconfident: return simulated(rows: count, seed: seed, mean: -2, spread: 4, slope: 0.6, intercept: 0.3)
            case .weighted: return simulated(rows: count, seed: seed, mean: 0.5, spread: 2, slope: 1.3, intercept: -0.2, weighted: true)
            case .extremes:
                var rows = simulated(rows: count, seed: seed, mean: 0, spread: 15, slope: 0.2)
                for i in Swift.stride(from: 0, to: count, by: 9) { rows.scores[i] = Double(rows.labels[i] ^ (i % 2)) }
                for i in Swift.stride(from: 4, to: count, by: 9) { rows.scores[i] = 1e-300 }
                return rows
            case .steep: return simulated(rows: count, seed: seed, mean: 0, spread: 0.05, slope: 40)
            case .nearlySeparable:
                // y = 1[s > ½] but for the rows within 0.01 of ½, whose labels are coin flips: a steep, finite maximum.
                var g = SeededGenerator(seed: seed)
                var rows = Rows(scores: [], labels: [], weights: nil)
                for _ in 0..<count {
                    let s = Double.random(in: 0.05..<0.95, using: &g)
                    let flip = Double.random(in: 0..<1, using: &g) < 0.5
                    rows.scores.append(s)
                    rows.labels.append(Swift.abs(s - 0.5) < 0.01 ? (flip ? 1 : 0) : (s > 0.5 ? 1 : 0))
                }
                return rows
            }
        }
    }

    @Test("slope and intercept agree with a textbook Newton over the rows to 1e-11", arguments: Shape.allCases)
    func textbookAgreement(shape: Shape) throws {
        let rows = shape.rows(20_000, seed: 7)
        let fits = Self.fits(rows)
        let full = try #require(Self.textbook(rows, slope: true)), fixed = try #require(Self.textbook(rows, slope: false))
        #expect(isClose(fits.slope, full.b, relative: 1e-11), "\(shape) slope \(String(describing: fits.slope)) vs \(full.b)")
        #expect(isClose(fits.intercept, fixed.a, relative: 1e-11, absolute: 1e-13), "\(shape) intercept \(String(describing: fits.intercept)) vs \(fixed.a)")
    }

    @Test("the moments' sums (gradient, Hessian, log-likelihood) equal the sums over the rows to 1e-12 of the total weight",
          arguments: [Shape.calibrated, .overconfident, .weighted, .extremes])
    func momentSumsMatchRowSums(shape: Shape) {
        let rows = shape.rows(20_000, seed: 13)
        let pieces = Self.pieces(Self.store(rows, chunk: 5000))
        let views = pieces.map { p in
            PieceView(keys: p.keys.withUnsafeBufferPointer { $0.baseAddress! }, weights: p.weights?.withUnsafeBufferPointer { $0.baseAddress! },
                      starts: p.starts.withUnsafeBufferPointer { $0.baseAddress! })
        }
        withExtendedLifetime(pieces) {
            let cells = FitCells(views: views, runner: nil)
            let logits = cells.logitSeries()
            let total = (rows.weights ?? Array(repeating: 1, count: rows.count)).reduce(0, +)
            for (a, b) in [(0.0, 1.0), (0.3, 0.7), (-1.0, 2.5)] {
                let moments = cells.evaluate(a: a, b: b, slope: true, terms: FitCells.terms, logits: logits)
                let exact = cells.exactSums(a: a, b: b, slope: true, views: views, runner: nil)
                for (what, ours, theirs) in [("G_a", moments.ga, exact.ga), ("G_b", moments.gb, exact.gb), ("H_aa", moments.haa, exact.haa),
                                             ("H_ab", moments.hab, exact.hab), ("H_bb", moments.hbb, exact.hbb), ("LL", moments.ll, exact.ll)] {
                    #expect(Swift.abs(ours - theirs) <= 1e-12 * total, "\(shape) at (\(a), \(b)) \(what): moments \(ours), rows \(theirs)")
                }
                #expect(moments.tailA <= 1e-12 * total && moments.tailB <= 1e-12 * total, "\(shape): the truncation bound is small")
            }
        }
    }

    @Test("a steep slope (|b| ≈ 40), beyond the moments' reach, is finished by exact passes over the rows")
    func steepSlopeTakesExactPasses() throws {
        let rows = Shape.steep.rows(20_000, seed: 7)
        let store = Self.store(rows)
        let pieces = Self.pieces(store)
        let views = pieces.map { p in
            PieceView(keys: p.keys.withUnsafeBufferPointer { $0.baseAddress! }, weights: nil,
                      starts: p.starts.withUnsafeBufferPointer { $0.baseAddress! })
        }
        let outcome = withExtendedLifetime(pieces) { CalibrationFits.fitted(views: views, runner: nil) }
        let slope = try #require(outcome.slope)
        #expect(slope.exactPasses > 0 && slope.b > 30, "slope \(slope.b) after \(slope.exactPasses) exact passes")
        #expect(try #require(outcome.intercept).exactPasses == 0, "the intercept fit (b = 1) stays on the moments")
    }

    @Test("chunking, merging in halves and the runner change no bit", arguments: Shape.allCases)
    func deterministic(shape: Shape) {
        let rows = shape.rows(30_000, seed: 11)
        let whole = Self.fits(rows)
        for chunk in [97, 4096] {
            #expect(Self.fits(rows, chunk: chunk) == whole, "\(shape) in chunks of \(chunk)")
        }
        var first = Self.store(rows.slice(0..<12_345), chunk: 1000)
        first.merge(Self.store(rows.slice(12_345..<rows.count), chunk: 3000))
        #expect(CalibrationFits.fit(pieces: Self.pieces(first), runner: nil) == whole, "\(shape) merged halves")
        #expect(Self.fits(rows, chunk: 1000, runner: Self.twoThreads) == whole, "\(shape) on 2 threads")
        #expect(Self.fits(rows, chunk: 1000, runner: Self.backwards) == whole, "\(shape) tasks run last to first")
    }

    @Test("integer weights act as repeated rows (1e-12)")
    func weightsAreFrequencies() throws {
        let rows = Shape.weighted.rows(8_000, seed: 5)
        var repeated = Rows(scores: [], labels: [], weights: nil)
        for i in 0..<rows.count {
            for _ in 0..<Int(rows.weights![i]) {
                repeated.scores.append(rows.scores[i])
                repeated.labels.append(rows.labels[i])
            }
        }
        let weighted = Self.fits(rows), plain = Self.fits(repeated)
        #expect(weighted.slope != nil && weighted.intercept != nil)
        #expect(isClose(weighted.slope, plain.slope, relative: 1e-12), "\(String(describing: weighted.slope)) vs \(String(describing: plain.slope))")
        #expect(isClose(weighted.intercept, plain.intercept, relative: 1e-12))
    }

    @Test("scaling every weight by a power of two (2⁻⁹⁰⁰ to 2⁹⁰⁰) changes no bit: the fits depend on relative weights only",
          arguments: [-900, -100, 100, 900])
    func weightScale(power: Int) {
        let rows = Shape.weighted.rows(5_000, seed: 17)
        var scaled = rows
        let factor = Double(sign: .plus, exponent: power, significand: 1)
        scaled.weights = rows.weights!.map { $0 * factor }
        #expect(Self.fits(scaled) == Self.fits(rows))
    }

    struct Undefined: CustomTestStringConvertible, Sendable {
        var name: String
        var scores: [Double]
        var labels: [Int]
        var slopeReason: String?
        var interceptReason: String?
        var testDescription: String { name }
    }

    static let undefined: [Undefined] = [
        Undefined(name: "complete separation", scores: [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], labels: [0, 0, 0, 1, 1, 1],
                  slopeReason: CalibrationFits.separable),
        Undefined(name: "quasi-complete separation (a tie at the boundary)", scores: [0.1, 0.2, 0.4, 0.4, 0.7, 0.9],
                  labels: [0, 0, 0, 1, 1, 1], slopeReason: CalibrationFits.separable),
        Undefined(name: "reversed separation", scores: [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], labels: [1, 1, 1, 0, 0, 0],
                  slopeReason: CalibrationFits.separable),
        Undefined(name: "separated only after clipping (1e-300 and 0 are both ε)", scores: [0, 1e-300, 1e-300, 0.5],
                  labels: [1, 0, 1, 0], slopeReason: CalibrationFits.separable),
        Undefined(name: "all scores equal", scores: [0.3, 0.3, 0.3, 0.3], labels: [0, 1, 1, 0],
                  slopeReason: CalibrationFits.allScoresEqual),
        Undefined(name: "no positive row", scores: [0.3, 0.5, 0.9], labels: [0, 0, 0],
                  slopeReason: CalibrationFits.oneClassAbsent, interceptReason: CalibrationFits.oneClassAbsent),
        Undefined(name: "no negative row", scores: [0.3, 0.5, 0.9], labels: [1, 1, 1],
                  slopeReason: CalibrationFits.oneClassAbsent, interceptReason: CalibrationFits.oneClassAbsent),
        Undefined(name: "no row", scores: [], labels: [],
                  slopeReason: CalibrationFits.oneClassAbsent, interceptReason: CalibrationFits.oneClassAbsent),
    ]

    @Test("separable data, equal scores and a missing class give nil with the reason, never a crash or NaN", arguments: undefined)
    func undefinedFits(example: Undefined) throws {
        let rows = Rows(scores: example.scores, labels: example.labels, weights: nil)
        let fits = Self.fits(rows)
        #expect(fits.slopeUndefinedReason == example.slopeReason && (fits.slope == nil) == (example.slopeReason != nil))
        #expect(fits.interceptUndefinedReason == example.interceptReason && (fits.intercept == nil) == (example.interceptReason != nil))
        if example.interceptReason == nil {
            let expected = try #require(Self.textbook(rows, slope: false))
            #expect(isClose(fits.intercept, expected.a, relative: 1e-11, absolute: 1e-13), "the intercept exists: \(String(describing: fits.intercept)) vs \(expected.a)")
        }
    }

    @Test("weights whose sums overflow give nil with the reason the fit does not converge, never NaN or a trap")
    func overflowingWeights() {
        let rows = Rows(scores: [0.2, 0.4, 0.6, 0.8], labels: [0, 1, 0, 1], weights: [1e308, 1e308, 1e308, 1e308])
        let fits = Self.fits(rows)
        #expect(fits.slope == nil && fits.slopeUndefinedReason == CalibrationFits.notConverged)
        #expect(fits.intercept == nil && fits.interceptUndefinedReason == CalibrationFits.notConverged)
    }

    @Test("exact 0 and 1 scores are clipped to ε and 1 − ε: finite fits equal to those of the clipped scores")
    func exactZeroAndOne() throws {
        var rows = Self.simulated(rows: 3_000, seed: 3)
        for i in Swift.stride(from: 0, to: rows.count, by: 5) { rows.scores[i] = Double(rows.labels[i] ^ (i % 3 == 0 ? 1 : 0)) }
        var clipped = rows
        clipped.scores = rows.scores.map { Swift.min(Swift.max($0, CalibrationFits.epsilon), 1 - CalibrationFits.epsilon) }
        let fits = Self.fits(rows), reference = Self.fits(clipped)
        let slope = try #require(fits.slope), intercept = try #require(fits.intercept)
        #expect(slope.isFinite && intercept.isFinite)
        #expect(isClose(fits.slope, reference.slope, relative: 1e-13) && isClose(fits.intercept, reference.intercept, relative: 1e-13))
    }
}
