import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// The tail probabilities of the calibration tests against scipy and against a
/// mpmath evaluation at 40–80 digits, both written by `Golden/make_special_golden.py`
/// into `Golden/special_expected.json`.
@Suite("Special functions: incomplete gamma, χ² and normal tails")
struct SpecialFunctionTests {
    /// The agreement the brief asks for, with scipy, wherever scipy's value is at least `smallest`.
    static let scipyTolerance = 1e-12
    /// The agreement measured with the mpmath reference (the worst rows are deep tails near 1e-300).
    static let referenceTolerance = 4e-13
    /// The normal p against erfc(z/√2) to 40 digits: a few ulps of libm's `erfc` (measured 2.9e-16);
    /// without the correction for the rounding of `z/√2` it would be 1.1e-13, as scipy is.
    static let normalReferenceTolerance = 2e-15
    /// Below this, a tail probability is compared absolutely (it may be subnormal or 0).
    static let smallest = 1e-300

    struct Golden: Sendable {
        /// [a, x, P, Q, P_ref, Q_ref]
        var gamma: [[Double]]
        /// [k, x, sf, sf_ref]
        var chi2: [[Double]]
        /// [z, p, p_ref]
        var normal: [[Double]]
        /// (a, x, "P"/"Q") where scipy itself is more than 1e-12 from the reference.
        var scipyDisagrees: Set<String>
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: TestPaths.golden + "/special_expected.json")
        guard let data = try? Data(contentsOf: url),
              let all = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return Golden(gamma: [], chi2: [], normal: [], scipyDisagrees: [])
        }
        func table(_ name: String) -> [[Double]] {
            // Numbers are stored as strings and read by Double(String), which rounds correctly.
            ((all[name] as? [[String]]) ?? []).map { $0.map { Double($0) ?? .nan } }
        }
        let disagreements = (all["scipyDisagrees"] as? [[String: Any]] ?? []).compactMap { row -> String? in
            guard row["table"] as? String == "gamma", let a = (row["a"] as? String).flatMap(Double.init),
                  let x = (row["x"] as? String).flatMap(Double.init), let f = row["function"] as? String else { return nil }
            return key(a, x, f)
        }
        return Golden(gamma: table("gamma"), chi2: table("chi2"), normal: table("normal"), scipyDisagrees: Set(disagreements))
    }()

    static func key(_ a: Double, _ x: Double, _ function: String) -> String { "\(a) \(x) \(function)" }

    /// The worst relative error of `ours` against `reference` over the rows where the reference is at
    /// least `smallest`, and the worst absolute error elsewhere, with the row that gave each.
    struct Agreement {
        var worstRelative = 0.0
        var worstRelativeAt = ""
        var worstAbsoluteBelowSmallest = 0.0
        var compared = 0

        mutating func add(_ ours: Double, _ reference: Double, _ at: @autoclosure () -> String) {
            compared += 1
            if reference >= SpecialFunctionTests.smallest {
                let error = relativeDifference(ours, reference)
                if !(error <= worstRelative) { worstRelative = error; worstRelativeAt = at() }
            } else {
                worstAbsoluteBelowSmallest = Swift.max(worstAbsoluteBelowSmallest, Swift.abs(ours - reference))
            }
        }

        func expect(within tolerance: Double, _ what: String) {
            #expect(compared > 0, "\(what): no rows")
            #expect(worstRelative <= tolerance, "\(what): worst relative error \(worstRelative) at \(worstRelativeAt)")
            #expect(worstAbsoluteBelowSmallest <= SpecialFunctionTests.smallest, "\(what): below 1e-300, absolute error \(worstAbsoluteBelowSmallest)")
        }
    }

    // MARK: - Golden values

    static let shapes: [Double] = [0.5, 1, 1.5, 2, 4, 8, 10, 50, 100, 1000, 1e4, 1e5, 1e6]
    /// Shapes beyond scipy's accurate range (its P below the mean is off by up to 3e-7 there), up to `maximumShape`.
    static let largeShapes: [Double] = [1e7, 1e8, 1e9, 1e10]

    @Test("P(a, x) and Q(a, x) equal scipy's gammainc and gammaincc to 1e-12 relative", arguments: shapes)
    func incompleteGammaAgreesWithScipy(a: Double) {
        let rows = Self.golden.gamma.filter { $0[0] == a }
        var p = Agreement(), q = Agreement()
        for row in rows {
            let x = row[1]
            if !Self.golden.scipyDisagrees.contains(Self.key(a, x, "P")) {
                p.add(SpecialFunctions.regularizedGammaP(a: a, x: x), row[2], "x = \(x)")
            }
            if !Self.golden.scipyDisagrees.contains(Self.key(a, x, "Q")) {
                q.add(SpecialFunctions.regularizedGammaQ(a: a, x: x), row[3], "x = \(x)")
            }
        }
        p.expect(within: Self.scipyTolerance, "P(\(a), x) against scipy")
        q.expect(within: Self.scipyTolerance, "Q(\(a), x) against scipy")
    }

    @Test("P(a, x) and Q(a, x) equal the mpmath reference to 4e-13 relative, including where scipy does not", arguments: shapes + largeShapes)
    func incompleteGammaAgreesWithReference(a: Double) {
        let rows = Self.golden.gamma.filter { $0[0] == a }
        #expect(rows.count >= (a > 1e6 ? 9 : 40), "a grid of x from 1e-8 to 10a, or a ± 10√a for the largest shapes")
        var p = Agreement(), q = Agreement()
        for row in rows {
            p.add(SpecialFunctions.regularizedGammaP(a: a, x: row[1]), row[4], "x = \(row[1])")
            q.add(SpecialFunctions.regularizedGammaQ(a: a, x: row[1]), row[5], "x = \(row[1])")
        }
        p.expect(within: Self.referenceTolerance, "P(\(a), x) against mpmath")
        q.expect(within: Self.referenceTolerance, "Q(\(a), x) against mpmath")
    }

    /// Degrees of freedom by range; "non-integer" is k = 0.5, 2.5 and 7.3.
    static let degreeRanges: [(String, ClosedRange<Double>)] = [("k 1–10", 1...10), ("k 11–50", 11...50), ("k 51–200", 51...200)]

    @Test("chiSquaredSurvival equals scipy's chi2.sf to 1e-12 relative and the reference to 4e-13", arguments: ["k 1–10", "k 11–50", "k 51–200", "non-integer k"])
    func chiSquaredAgreesWithScipy(range name: String) throws {
        let rows: [[Double]]
        if let range = Self.degreeRanges.first(where: { $0.0 == name })?.1 {
            rows = Self.golden.chi2.filter { range.contains($0[0]) && $0[0].rounded() == $0[0] }
        } else {
            rows = Self.golden.chi2.filter { $0[0].rounded() != $0[0] }
        }
        var scipy = Agreement(), reference = Agreement()
        for row in rows {
            let ours = SpecialFunctions.chiSquaredSurvival(row[1], degreesOfFreedom: row[0])
            scipy.add(ours, row[2], "k = \(row[0]), x = \(row[1])")
            reference.add(ours, row[3], "k = \(row[0]), x = \(row[1])")
        }
        scipy.expect(within: Self.scipyTolerance, "χ² \(name) against scipy")
        reference.expect(within: Self.referenceTolerance, "χ² \(name) against mpmath")
    }

    @Test("normalTwoSidedP equals 2·norm.sf(z) to 1e-12 relative and erfc(z/√2) to 2e-15, out to z = 38", arguments: ["z 0–8", "z 8.25–38"])
    func normalAgreesWithScipy(range name: String) {
        let rows = Self.golden.normal.filter { name == "z 0–8" ? $0[0] <= 8 : $0[0] > 8 }
        var scipy = Agreement(), reference = Agreement()
        for row in rows {
            scipy.add(SpecialFunctions.normalTwoSidedP(z: row[0]), row[1], "z = \(row[0])")
            reference.add(SpecialFunctions.normalTwoSidedP(z: row[0]), row[2], "z = \(row[0])")
            #expect(SpecialFunctions.normalTwoSidedP(z: -row[0]) == SpecialFunctions.normalTwoSidedP(z: row[0]), "symmetric at \(row[0])")
        }
        scipy.expect(within: Self.scipyTolerance, "normal \(name) against scipy")
        reference.expect(within: Self.normalReferenceTolerance, "normal \(name) against mpmath")
    }

    @Test("the far normal tail stays relative-accurate: p(37) ≈ 1.1e-299, p(38) ≈ 5.8e-316 is subnormal but not 0, p(40) underflows")
    func farNormalTail() throws {
        let row37 = try #require(Self.golden.normal.first { $0[0] == 37 })
        #expect(relativeDifference(SpecialFunctions.normalTwoSidedP(z: 37), row37[2]) <= Self.normalReferenceTolerance)
        #expect(SpecialFunctions.normalTwoSidedP(z: 38) > 0)
        #expect(SpecialFunctions.normalTwoSidedP(z: 40) == 0, "below the smallest subnormal")
    }

    // MARK: - Edge cases

    struct EdgeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var value: @Sendable () -> Double
        var expected: Double
        var testDescription: String { name }
    }

    static let nan = Double.nan
    static let inf = Double.infinity

    static let edgeCases: [EdgeCase] = [
        EdgeCase(name: "Q(NaN, 1) is NaN", value: { SpecialFunctions.regularizedGammaQ(a: nan, x: 1) }, expected: nan),
        EdgeCase(name: "Q(1, NaN) is NaN", value: { SpecialFunctions.regularizedGammaQ(a: 1, x: nan) }, expected: nan),
        EdgeCase(name: "P(NaN, 1) is NaN", value: { SpecialFunctions.regularizedGammaP(a: nan, x: 1) }, expected: nan),
        EdgeCase(name: "Q(1, −1) is NaN (x < 0)", value: { SpecialFunctions.regularizedGammaQ(a: 1, x: -1) }, expected: nan),
        EdgeCase(name: "P(1, −1e-300) is NaN (x < 0)", value: { SpecialFunctions.regularizedGammaP(a: 1, x: -1e-300) }, expected: nan),
        EdgeCase(name: "Q(−1, 1) is NaN (a < 0)", value: { SpecialFunctions.regularizedGammaQ(a: -1, x: 1) }, expected: nan),
        EdgeCase(name: "Q(0, 0) is NaN", value: { SpecialFunctions.regularizedGammaQ(a: 0, x: 0) }, expected: nan),
        EdgeCase(name: "Q(0, 1) is 0 (the limit a → 0)", value: { SpecialFunctions.regularizedGammaQ(a: 0, x: 1) }, expected: 0),
        EdgeCase(name: "P(0, 1) is 1", value: { SpecialFunctions.regularizedGammaP(a: 0, x: 1) }, expected: 1),
        EdgeCase(name: "Q(a, 0) is 1", value: { SpecialFunctions.regularizedGammaQ(a: 2.5, x: 0) }, expected: 1),
        EdgeCase(name: "P(a, 0) is 0", value: { SpecialFunctions.regularizedGammaP(a: 2.5, x: 0) }, expected: 0),
        EdgeCase(name: "Q(a, +∞) is 0", value: { SpecialFunctions.regularizedGammaQ(a: 2.5, x: inf) }, expected: 0),
        EdgeCase(name: "P(a, +∞) is 1", value: { SpecialFunctions.regularizedGammaP(a: 2.5, x: inf) }, expected: 1),
        EdgeCase(name: "Q(+∞, 5) is 1", value: { SpecialFunctions.regularizedGammaQ(a: inf, x: 5) }, expected: 1),
        EdgeCase(name: "Q(+∞, +∞) is NaN", value: { SpecialFunctions.regularizedGammaQ(a: inf, x: inf) }, expected: nan),
        EdgeCase(name: "Q above the largest shape is NaN", value: { SpecialFunctions.regularizedGammaQ(a: SpecialFunctions.maximumShape * 2, x: 1) }, expected: nan),
        EdgeCase(name: "Q(1, x) is e^−x at x = 30", value: { SpecialFunctions.regularizedGammaQ(a: 1, x: 30) / exp(-30.0) }, expected: 1),
        EdgeCase(name: "Q(0.5, 800) underflows to 0", value: { SpecialFunctions.regularizedGammaQ(a: 0.5, x: 800) }, expected: 0),
        EdgeCase(name: "χ²(NaN, 3) is NaN", value: { SpecialFunctions.chiSquaredSurvival(nan, degreesOfFreedom: 3) }, expected: nan),
        EdgeCase(name: "χ²(1, NaN) is NaN", value: { SpecialFunctions.chiSquaredSurvival(1, degreesOfFreedom: nan) }, expected: nan),
        EdgeCase(name: "χ²(−1, 3) is NaN (x < 0)", value: { SpecialFunctions.chiSquaredSurvival(-1, degreesOfFreedom: 3) }, expected: nan),
        EdgeCase(name: "χ²(3, 0) is NaN (k ≤ 0)", value: { SpecialFunctions.chiSquaredSurvival(3, degreesOfFreedom: 0) }, expected: nan),
        EdgeCase(name: "χ²(3, −2) is NaN (k ≤ 0)", value: { SpecialFunctions.chiSquaredSurvival(3, degreesOfFreedom: -2) }, expected: nan),
        EdgeCase(name: "χ²(3, +∞) is NaN (k infinite)", value: { SpecialFunctions.chiSquaredSurvival(3, degreesOfFreedom: inf) }, expected: nan),
        EdgeCase(name: "χ²(+∞, 3) is 0", value: { SpecialFunctions.chiSquaredSurvival(inf, degreesOfFreedom: 3) }, expected: 0),
        EdgeCase(name: "χ²(0, 3) is 1", value: { SpecialFunctions.chiSquaredSurvival(0, degreesOfFreedom: 3) }, expected: 1),
        EdgeCase(name: "χ²(x, 2) is e^(−x/2)", value: { SpecialFunctions.chiSquaredSurvival(7, degreesOfFreedom: 2) / exp(-3.5) }, expected: 1),
        EdgeCase(name: "p(NaN) is NaN", value: { SpecialFunctions.normalTwoSidedP(z: nan) }, expected: nan),
        EdgeCase(name: "p(+∞) is 0", value: { SpecialFunctions.normalTwoSidedP(z: inf) }, expected: 0),
        EdgeCase(name: "p(−∞) is 0", value: { SpecialFunctions.normalTwoSidedP(z: -inf) }, expected: 0),
        EdgeCase(name: "p(0) is 1", value: { SpecialFunctions.normalTwoSidedP(z: 0) }, expected: 1),
        EdgeCase(name: "p(−0) is 1", value: { SpecialFunctions.normalTwoSidedP(z: -0.0) }, expected: 1),
    ]

    @Test("edge cases: NaN in, NaN out; outside the domain NaN; infinities and zeros at their limits", arguments: edgeCases)
    func edgeCase(_ edge: EdgeCase) {
        let value = edge.value()
        if edge.expected.isNaN {
            #expect(value.isNaN, "got \(value)")
        } else {
            #expect(isClose(value, edge.expected, relative: 1e-13, absolute: 0), "got \(value)")
        }
    }

    // MARK: - Properties

    @Test("Q(a, x) falls and P(a, x) rises with x, P + Q = 1, both within [0, 1]", arguments: shapes)
    func monotoneInX(a: Double) {
        var rng = SeededGenerator(seed: UInt64(a * 10))
        var xs = (0..<400).map { _ in Double.random(in: 0...(10 * a), using: &rng) }
        // Dense around the switch from the series to the continued fraction at x = a + 1.
        xs += (0..<200).map { _ in a + 1 + Double.random(in: -1e-3...1e-3, using: &rng) * Swift.max(1, a.squareRoot()) }
        xs.sort()
        var previous = (p: 0.0, q: 1.0)
        for x in xs where x >= 0 {
            let p = SpecialFunctions.regularizedGammaP(a: a, x: x)
            let q = SpecialFunctions.regularizedGammaQ(a: a, x: x)
            #expect((0...1).contains(p) && (0...1).contains(q), "P, Q in [0, 1] at x = \(x)")
            #expect(Swift.abs(p + q - 1) <= 4 * Double.ulpOfOne, "P + Q = 1 at x = \(x): \(p) + \(q)")
            // Non-increasing up to the rounding of the result (a few ulps), never more.
            #expect(q <= previous.q * (1 + 1e-14), "Q(\(a), x) rises at x = \(x): \(previous.q) → \(q)")
            #expect(p >= previous.p * (1 - 1e-14), "P(\(a), x) falls at x = \(x): \(previous.p) → \(p)")
            previous = (p, q)
        }
    }

    @Test("the χ² survival falls with the statistic and rises with the degrees of freedom; the normal p falls with |z|")
    func monotoneTails() {
        var rng = SeededGenerator(seed: 14)
        for k in [1.0, 2, 3, 8, 10, 30, 100, 200] {
            let xs = (0..<300).map { _ in Double.random(in: 0...500, using: &rng) }.sorted()
            let values = xs.map { SpecialFunctions.chiSquaredSurvival($0, degreesOfFreedom: k) }
            for i in values.indices.dropFirst() {
                #expect(values[i] <= values[i - 1] * (1 + 1e-14), "χ²(·, \(k)) rises between \(xs[i - 1]) and \(xs[i])")
            }
        }
        for x in [0.5, 3.84, 20, 100, 400] {
            let values = (1...200).map { SpecialFunctions.chiSquaredSurvival(x, degreesOfFreedom: Double($0)) }
            for k in values.indices.dropFirst() {
                #expect(values[k] >= values[k - 1] * (1 - 1e-14), "χ²(\(x), k) falls from k = \(k) to \(k + 1)")
            }
        }
        let zs = (0..<2000).map { _ in Double.random(in: 0...38, using: &rng) }.sorted()
        let ps = zs.map { SpecialFunctions.normalTwoSidedP(z: $0) }
        for i in ps.indices.dropFirst() {
            #expect(ps[i] <= ps[i - 1] * (1 + 1e-14), "p rises between z = \(zs[i - 1]) and \(zs[i])")
        }
    }

    @Test("χ² with 1 degree of freedom is the two-sided normal p of √x")
    func chiSquaredOneIsNormal() {
        for z in stride(from: 0.0, through: 37.0, by: 0.37) {
            let chi = SpecialFunctions.chiSquaredSurvival(z * z, degreesOfFreedom: 1)
            let normal = SpecialFunctions.normalTwoSidedP(z: z)
            // z² rounds to a relative 2⁻⁵³, which moves the tail by about z²·2⁻⁵³ relative.
            #expect(isClose(chi, normal, relative: 1e-14 + z * z * Double.ulpOfOne, absolute: 0), "z = \(z): \(chi) vs \(normal)")
        }
    }
}
