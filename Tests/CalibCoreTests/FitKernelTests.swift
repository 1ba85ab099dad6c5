import CalibKernels
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The C passes of the Platt, beta and temperature fits
/// (Sources/CalibKernels/FitKernels.c) against their sums written out in
/// Swift, row by row in order: each must give the same bits.
@Suite("Recalibration: the fits' passes in C")
struct FitKernelTests {
    /// Rows with features spread over ±12 (so `|η|` reaches the tails), some
    /// of weight 0, the others of weights 0.25 to 2.
    static func rows(_ n: Int, featureCount m: Int, seed: UInt64) -> (features: [Double], labels: [Int32], weights: [Double]) {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var features: [Double] = [], labels: [Int32] = [], weights: [Double] = []
        for i in 0..<n {
            for _ in 0..<m { features.append(24 * next() - 12) }
            labels.append(next() < 0.4 ? 1 : 0)
            weights.append(i % 11 == 3 ? 0 : 0.25 + 1.75 * next())
        }
        return (features, labels, weights)
    }

    /// `LogisticRows.evaluate`'s sums over `range` as specified: `x` the
    /// features and 1, `η = Σ θ_j·x_j`, the loss, its floor, `Σ r·x_j` and
    /// `Σ (v·x_j)·x_k` (the upper triangle mirrored), rows in order.
    static func logisticSums(_ f: [Double], m: Int, _ y: [Int32], _ w: [Double], _ range: Range<Int>, excluded: Int,
                             theta: [Double], loss withLoss: Bool) -> [Double] {
        let d = m + 1
        var loss = 0.0, floor = 0.0
        var g = [Double](repeating: 0, count: d), h = [Double](repeating: 0, count: d * d)
        for i in range where i % 5 != excluded && w[i] > 0 {
            let x = (0..<m).map { f[i * m + $0] } + [1]
            var eta = theta[0] * x[0]
            for j in 1..<d { eta += j == m ? theta[j] : theta[j] * x[j] }
            let e = exp(-Swift.abs(eta))
            let near = 1 / (1 + e), far = e / (1 + e)
            let (p, q) = eta >= 0 ? (near, far) : (far, near)
            let positive = y[i] == 1
            if withLoss { loss += w[i] * (Swift.max(eta, 0) + log1p(e) - (positive ? eta : 0)) }
            floor += w[i] * Swift.max(positive ? -eta : eta, 0)
            let r = w[i] * (positive ? -q : p), v = w[i] * p * q
            for j in 0..<d { g[j] += j == m ? r : r * x[j] }
            for j in 0..<d {
                for k in 0...j {
                    let vj = j == m ? v : v * x[j]
                    h[j * d + k] += k == m ? vj : vj * x[k]
                }
            }
        }
        for j in 0..<d { for k in (j + 1)..<d { h[j * d + k] = h[k * d + j] } }
        return [loss, floor] + g + h
    }

    static let logisticCases: [(String, Int, Range<Int>, Int, Bool)] = [
        ("Platt, every row, with the loss", 1, 0..<3_000, -1, true),
        ("Platt, fold 2 left out, no loss, a range from row 7", 1, 7..<2_993, 2, false),
        ("beta, every row, with the loss", 2, 0..<3_000, -1, true),
        ("beta, fold 4 left out, with the loss, a range from row 601", 2, 601..<3_000, 4, true),
        ("beta, fold 0 left out, no loss, fewer rows than a block", 2, 13..<200, 0, false),
    ]

    @Test("calib_logistic_pass gives the bits of the loss, floor, gradient and Hessian written out", arguments: logisticCases)
    func logisticPass(name: String, m: Int, range: Range<Int>, excluded: Int, withLoss: Bool) {
        let (f, y, w) = Self.rows(3_000, featureCount: m, seed: UInt64(17 + m))
        for theta in [[0.8, -0.3, 0.1], [2.5, 1.2, -4]] {
            let t = Array(theta.prefix(m + 1))
            let expected = Self.logisticSums(f, m: m, y, w, range, excluded: excluded, theta: t, loss: withLoss)
            var out = [Double](repeating: .nan, count: expected.count)
            calib_logistic_pass(f, m, y, w, range.lowerBound, range.upperBound, excluded, t, withLoss ? 1 : 0, &out)
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "\(name), θ = \(t)")
        }
    }

    /// `TemperatureRows.binaryPass`'s sums as specified: `L'(β)`, `L''(β)`, `L'(0)`.
    static func temperatureSums(_ z: [Double], _ y: [Int32], _ w: [Double], _ range: Range<Int>, excluded: Int, beta: Double) -> [Double] {
        var g = 0.0, h = 0.0, g0 = 0.0
        for i in range where i % 5 != excluded && w[i] > 0 {
            let l = z[i], eta = beta * l
            let e = exp(-Swift.abs(eta))
            let near = 1 / (1 + e), far = e / (1 + e)
            let (p, q) = eta >= 0 ? (near, far) : (far, near)
            g += w[i] * (p * l - (y[i] == 1 ? l : 0))
            h += w[i] * p * q * l * l
            g0 += w[i] * ((l.isFinite ? 0.5 : .nan) * l - (y[i] == 1 ? l : 0))
        }
        return [g, h, g0]
    }

    @Test("calib_temperature_pass gives the bits of L'(β), L''(β) and L'(0) written out",
          arguments: [("every row", 0..<3_000, -1), ("fold 3 left out, a range from row 9", 9..<2_000, 3)])
    func temperaturePass(name: String, range: Range<Int>, excluded: Int) {
        let (z, y, w) = Self.rows(3_000, featureCount: 1, seed: 29)
        for beta in [0.4, 1.0, 3.0] {
            let expected = Self.temperatureSums(z, y, w, range, excluded: excluded, beta: beta)
            var out = [Double](repeating: .nan, count: 3)
            calib_temperature_pass(z, y, w, range.lowerBound, range.upperBound, excluded, beta, 1, &out)
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "\(name), β = \(beta)")
            var withoutSlope = [Double](repeating: .nan, count: 3)
            calib_temperature_pass(z, y, w, range.lowerBound, range.upperBound, excluded, beta, 0, &withoutSlope)
            #expect(withoutSlope[0].bitPattern == expected[0].bitPattern && withoutSlope[1].bitPattern == expected[1].bitPattern)
            #expect(withoutSlope[2].isNaN, "L'(0) is not written without slopeAtZero")
        }
    }
}
