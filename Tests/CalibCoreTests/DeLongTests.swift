import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// DeLong's test (SPEC section 11) against the O(m·n) placement values of
/// DeLong et al. (1988) transcribed here, and against
/// `Golden/make_comparison_golden.py` (numpy's pairwise kernel, scipy's normal tail).
@Suite("DeLong's test of two correlated AUCs")
struct DeLongTests {
    /// The pairwise form: `ψ(x, y) = 1[x > y] + ½·1[x = y]` over every positive/negative pair.
    static func quadratic(positive: [Bool], a: [Double], b: [Double]) -> (aucA: Double, aucB: Double, z: Double) {
        let pos = positive.indices.filter { positive[$0] }, neg = positive.indices.filter { !positive[$0] }
        func psi(_ x: Double, _ y: Double) -> Double { x > y ? 1 : x == y ? 0.5 : 0 }
        func placements(_ s: [Double]) -> ([Double], [Double]) {
            let v10 = pos.map { i in neg.map { psi(s[i], s[$0]) }.reduce(0, +) / Double(neg.count) }
            let v01 = neg.map { j in pos.map { psi(s[$0], s[j]) }.reduce(0, +) / Double(pos.count) }
            return (v10, v01)
        }
        func cov(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            return zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +) / Double(x.count - 1)
        }
        let (a10, a01) = placements(a), (b10, b01) = placements(b)
        let aucA = a10.reduce(0, +) / Double(a10.count), aucB = b10.reduce(0, +) / Double(b10.count)
        let variance = (cov(a10, a10) + cov(b10, b10) - 2 * cov(a10, b10)) / Double(pos.count)
            + (cov(a01, a01) + cov(b01, b01) - 2 * cov(a01, b01)) / Double(neg.count)
        return (aucA, aucB, (aucB - aucA) / variance.squareRoot())
    }

    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let rows: Int
        let positiveRate: Double
        /// Scores rounded to this many decimals (ties), or nil.
        let decimals: Int?
    }

    static let cases = [
        Case(description: "continuous scores", rows: 300, positiveRate: 0.3, decimals: nil),
        Case(description: "scores with many ties", rows: 300, positiveRate: 0.4, decimals: 1),
        Case(description: "rare positives", rows: 500, positiveRate: 0.03, decimals: 2),
        Case(description: "two positives", rows: 40, positiveRate: 0.05, decimals: nil),
    ]

    @Test("placements by sorting equal the pairwise O(m·n) placements", arguments: cases)
    func againstQuadratic(_ c: Case) throws {
        var g = SeededGenerator(seed: 41)
        var positive: [Bool] = [], a: [Double] = [], b: [Double] = []
        for i in 0..<c.rows {
            let y = c.description == "two positives" ? i < 2 : Double.random(in: 0..<1, using: &g) < c.positiveRate
            let signal = (y ? 1.0 : 0) + g.normal()
            func round(_ x: Double) -> Double {
                guard let d = c.decimals else { return x }
                let scale = Foundation.pow(10, Double(d))
                return (x * scale).rounded() / scale
            }
            positive.append(y)
            a.append(round(1 / (1 + Foundation.exp(-signal))))
            b.append(round(1 / (1 + Foundation.exp(-(1.5 * signal + 0.5 * g.normal())))))
        }
        let test = try #require(DeLongTest.test(positive: positive, baseline: a, candidate: b))
        let reference = Self.quadratic(positive: positive, a: a, b: b)
        #expect(isClose(test.baselineAUC, reference.aucA, relative: 1e-12))
        #expect(isClose(test.candidateAUC, reference.aucB, relative: 1e-12))
        #expect(isClose(test.z, reference.z, relative: 1e-9), "z \(test.z) against \(reference.z)")
        #expect(isClose(test.p, 2 * (1 - 0.5 * Foundation.erfc(-Swift.abs(reference.z) / 2.0.squareRoot())), relative: 1e-6, absolute: 1e-12))
    }

    @Test("the two models' placements as tasks of a runner give the same test", arguments: cases)
    func withRunner(_ c: Case) throws {
        var g = SeededGenerator(seed: 43)
        var keys = DeLongTest.Keys()
        var positive: [Bool] = [], a: [Double] = [], b: [Double] = []
        for i in 0..<c.rows {
            let y = c.description == "two positives" ? i < 2 : Double.random(in: 0..<1, using: &g) < c.positiveRate
            let x = (y ? 0.8 : 0) + g.normal(), z = x + g.normal()
            let scale = c.decimals.map { Foundation.pow(10, Double($0)) }
            let (sa, sb) = scale.map { ((x * $0).rounded() / $0, (z * $0).rounded() / $0) } ?? (x, z)
            positive.append(y)
            a.append(sa)
            b.append(sb)
            if y {
                keys.baselinePositive.append(DeLongTest.orderKey(sa))
                keys.candidatePositive.append(DeLongTest.orderKey(sb))
            } else {
                keys.baselineNegative.append(DeLongTest.orderKey(sa))
                keys.candidateNegative.append(DeLongTest.orderKey(sb))
            }
        }
        // The tasks run in reverse order on other threads.
        let runner: RankingRunner = { count, body in
            DispatchQueue.concurrentPerform(iterations: count) { body(count - 1 - $0) }
        }
        let tasked = try #require(DeLongTest.test(&keys, runner: runner))
        #expect(tasked == DeLongTest.test(positive: positive, baseline: a, candidate: b))
        #expect(keys.baselinePositive.isEmpty && keys.candidateNegative.isEmpty)
    }

    @Test("logits of both signs, −0 beside +0 and ties across classes give the pairwise placements")
    func signedScores() throws {
        var g = SeededGenerator(seed: 5)
        var positive: [Bool] = [], a: [Double] = [], b: [Double] = []
        for i in 0..<400 {
            let y = i % 3 == 0
            let signal = (y ? 0.8 : -0.4) + g.normal()
            positive.append(y)
            // Half-unit logits: many ties, within and across classes, on both sides of 0.
            a.append((signal * 2).rounded() / 2)
            b.append(i % 7 == 0 ? (i % 2 == 0 ? -0.0 : 0.0) : signal * 3)
        }
        let test = try #require(DeLongTest.test(positive: positive, baseline: a, candidate: b))
        let reference = Self.quadratic(positive: positive, a: a, b: b)
        #expect(isClose(test.baselineAUC, reference.aucA, relative: 1e-12))
        #expect(isClose(test.candidateAUC, reference.aucB, relative: 1e-12))
        #expect(isClose(test.z, reference.z, relative: 1e-9), "z \(test.z) against \(reference.z)")
    }

    @Test("z, p and both AUCs equal numpy/scipy/scikit-learn's on the golden file")
    func golden() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/comparison_expected.json"))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let expected = try #require(all["delong"] as? [String: Double])
        let text = try String(contentsOfFile: TestPaths.golden + "/comparison_delong.csv", encoding: .utf8)
        var positive: [Bool] = [], a: [Double] = [], b: [Double] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            positive.append(fields[0] == "1")
            a.append(try #require(Double(fields[1])))
            b.append(try #require(Double(fields[2])))
        }
        let test = try #require(DeLongTest.test(positive: positive, baseline: a, candidate: b))
        #expect(isClose(test.baselineAUC, expected["sklearnBaselineAUC"], relative: 1e-12))
        #expect(isClose(test.candidateAUC, expected["sklearnCandidateAUC"], relative: 1e-12))
        #expect(isClose(test.z, expected["z"], relative: 1e-9))
        #expect(isClose(test.p, expected["p"], relative: 1e-9))
    }

    struct Edge: CustomStringConvertible, Sendable {
        let description: String
        let positive: [Bool]
        let a: [Double]
        let b: [Double]
        /// nil: no test.
        let z: Double?
    }

    static let edges = [
        Edge(description: "one positive row: no test", positive: [true, false, false, false], a: [0.9, 0.1, 0.2, 0.3], b: [0.8, 0.1, 0.2, 0.3], z: nil),
        Edge(description: "one negative row: no test", positive: [true, true, true, false], a: [0.9, 0.1, 0.2, 0.3], b: [0.8, 0.1, 0.2, 0.3], z: nil),
        Edge(description: "identical rankings: z 0, p 1", positive: [true, true, false, false, true], a: [0.9, 0.4, 0.3, 0.5, 0.7], b: [0.8, 0.3, 0.2, 0.4, 0.6], z: 0),
    ]

    @Test("edge cases", arguments: edges)
    func edge(_ e: Edge) {
        let test = DeLongTest.test(positive: e.positive, baseline: e.a, candidate: e.b)
        #expect(test?.z == e.z)
        if e.z == 0 { #expect(test?.p == 1) }
    }
}
