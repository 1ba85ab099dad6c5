#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Tail probabilities for the calibration tests (SPEC section 9): the
/// regularised incomplete gamma function, the χ² survival function and the
/// two-sided normal p-value, from the standard library and libm only.
///
/// Accuracy, measured against mpmath at 40–80 digits over the grid of
/// `Tests/CalibCoreTests/Golden/make_special_golden.py` (0.5 ≤ a ≤ 1e10,
/// 1e-8 ≤ x ≤ 10a; χ² with 1–200 degrees of freedom up to 500; |z| ≤ 38):
/// at most 2.3e-13 relative for every value ≥ 1e-300 (a few 1e-14 for
/// moderate arguments; the worst are deep tails, where the rounding of the
/// exponent `E` of `exp(E)` costs about `|E|·2⁻⁵³`), and 3e-16 for the normal
/// p. scipy 1.17 itself is up to 7.5e-13 away from mpmath on this grid, and up
/// to 3e-7 for P below the mean when a ≥ 1e7. Values below the smallest normal
/// Double (2.2e-308) lose relative accuracy gradually and underflow to 0.
///
/// Edge cases, shared by all functions: any NaN argument gives NaN; arguments
/// outside the domain (negative `x`, negative shape, non-positive degrees of
/// freedom) give NaN rather than trapping; the functions never return a value
/// outside `[0, 1]`.
public enum SpecialFunctions {
    /// The largest shape `a` the incomplete gamma functions accept. Near
    /// `x = a` the series and the continued fraction need about `8·√a` terms,
    /// so above this bound (about 10⁶ terms) they return NaN instead of
    /// iterating for seconds. χ² tests in calib use at most a few hundred degrees of freedom.
    public static let maximumShape: Double = 1e10

    /// The upper regularised incomplete gamma function
    /// ```
    /// Q(a, x) = Γ(a, x) / Γ(a) = (1/Γ(a)) ∫ₓ^∞ t^(a−1) e^(−t) dt
    /// ```
    /// Method (Numerical Recipes 3rd ed., §6.2, `gser`/`gcf`): for `x < a + 1`
    /// the series of `P = 1 − Q`, otherwise the continued fraction of `Q`
    /// evaluated by the modified Lentz method, so that the returned tail is
    /// never a difference of nearly equal numbers. The common factor
    /// `xᵃ e⁻ˣ / Γ(a)` is taken as `exp(a·ln x − x − lgamma(a))` for `a < 10`
    /// and, for larger `a`, as `√(a/2π) · exp(a·(ln(1+t) − t) − μ(a))` with
    /// `t = (x − a)/a` and `μ` the Stirling series remainder of `ln Γ(a)`
    /// (the form of Temme 1979 and DiDonato & Morris 1986, ACM TOMS 12:377),
    /// which avoids the cancellation of three terms of size `a·ln a`.
    ///
    /// Domain and edge cases: `0 < a ≤` `maximumShape`, `x ≥ 0`. `Q(a, 0) = 1`;
    /// `Q(a, +∞) = 0`; `Q(0, x) = 0` for `x > 0` (the limit, as scipy);
    /// `Q(+∞, x) = 1` for finite `x`. NaN for any NaN, for `a < 0` or
    /// `x < 0`, for `a = 0, x = 0`, for `a = x = +∞` and for `a > maximumShape`.
    public static func regularizedGammaQ(a: Double, x: Double) -> Double {
        incompleteGamma(a: a, x: x).q
    }

    /// The lower regularised incomplete gamma function
    /// `P(a, x) = γ(a, x) / Γ(a) = 1 − Q(a, x)`, computed directly (not as
    /// `1 − Q`) wherever it is the smaller of the two, so it keeps its
    /// relative accuracy for small `x`. Method, domain and edge cases as
    /// `regularizedGammaQ(a:x:)`, with `P = 1 − Q` at every special point.
    public static func regularizedGammaP(a: Double, x: Double) -> Double {
        incompleteGamma(a: a, x: x).p
    }

    /// The survival function of the χ² distribution with `k` degrees of freedom,
    /// ```
    /// Pr(χ²_k ≥ x) = Q(k/2, x/2)
    /// ```
    /// the p-value of a χ² statistic (the Hosmer–Lemeshow test). `k` need not
    /// be an integer. Edge cases: NaN for NaN, `x < 0`, `k ≤ 0` or `k = +∞`
    /// (scipy's `chi2.sf` returns 1 for `x < 0` and for `k = +∞`; calib treats
    /// both as invalid input); `x = 0` gives 1, `x = +∞` gives 0.
    public static func chiSquaredSurvival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x.isNaN || k.isNaN || x < 0 || !(k > 0) || k == .infinity { return .nan }
        return regularizedGammaQ(a: k / 2, x: x / 2)
    }

    /// The two-sided p-value of a standard normal statistic,
    /// ```
    /// p = 2·(1 − Φ(|z|)) = erfc(|z| / √2)
    /// ```
    /// from libm's `erfc` (never `1 − Φ`, which cancels to 0 beyond `|z| ≈ 8.3`),
    /// so it stays relative-accurate in the far tail (1e-300 at `z ≈ 37.07`,
    /// subnormal beyond, 0 beyond `z ≈ 38.5`). The rounding of `|z|/√2` would cost a relative
    /// error of about `z²·2⁻⁵³` (2e-13 at `z = 38`); it is removed with one
    /// first-order correction, `erfc(t + δ) ≈ erfc(t) − δ·(2/√π)·e^(−t²)`, where
    /// `t + δ` is `|z|/√2` to double-double precision.
    /// Edge cases: NaN gives NaN, `z = ±∞` gives 0, `z = 0` gives 1.
    public static func normalTwoSidedP(z: Double) -> Double {
        if z.isNaN { return .nan }
        let magnitude = Swift.abs(z)
        if magnitude == .infinity { return 0 }
        // 1/√2 = inverseRootTwoHigh + inverseRootTwoLow to about 106 bits.
        let t = magnitude * inverseRootTwoHigh
        let residual = fma(magnitude, inverseRootTwoHigh, -t) + magnitude * inverseRootTwoLow
        let p = erfc(t) - residual * twoOverRootPi * exp(-t * t)
        return Swift.min(1, Swift.max(0, p))
    }

    // MARK: - Implementation

    /// `1/√2` split into a Double and its remainder (`0x1.6a09e667f3bcdp-1` and the next 53 bits).
    static let inverseRootTwoHigh: Double = 0x1.6a09e667f3bcdp-1
    static let inverseRootTwoLow: Double = -0x1.bdd3413b26456p-55
    /// `2/√π`.
    static let twoOverRootPi: Double = 1.1283791670955126

    /// `P(a, x)` and `Q(a, x)` together; see `regularizedGammaQ(a:x:)`.
    static func incompleteGamma(a: Double, x: Double) -> (p: Double, q: Double) {
        if a.isNaN || x.isNaN || a < 0 || x < 0 || a > maximumShape && a != .infinity { return (.nan, .nan) }
        if a == .infinity { return x == .infinity ? (.nan, .nan) : (0, 1) }
        if x == .infinity { return (1, 0) }
        if a == 0 { return x == 0 ? (.nan, .nan) : (1, 0) }
        if x == 0 { return (0, 1) }
        let factor = prefactor(a: a, x: x)
        if x < a + 1 {
            // Series (NR 6.2.5): P = xᵃe⁻ˣ/Γ(a+1) · Σₙ xⁿ / ((a+1)…(a+n)), all terms positive.
            // Near x = a it runs to about 8·√a terms, so each term is carried in
            // double-double (the rounding of x/(a+n) would otherwise accumulate as
            // n·2⁻⁵³: 6.5e-13 instead of 1.9e-13 at a = x = 1e10) and the sum is compensated (Neumaier).
            var denominator = a
            var term = 1 / a
            var termLow = -fma(term, a, -1) / a
            var sum = term
            var compensation = termLow
            for _ in 0..<iterationLimit(a) {
                denominator += 1
                let ratio = x / denominator
                let ratioLow = -fma(ratio, denominator, -x) / denominator
                let high = term * ratio
                let low = fma(term, ratio, -high) + (term * ratioLow + termLow * ratio)
                term = high + low
                termLow = low - (term - high)
                let next = sum + term
                compensation += (Swift.abs(sum) >= Swift.abs(term) ? (sum - next) + term : (term - next) + sum) + termLow
                sum = next
                if term <= sum * 0x1p-56 {
                    let p = factor.times(sum + compensation)
                    return (p, 1 - p)
                }
            }
            return (.nan, .nan)
        }
        // Continued fraction (NR 6.2.7) by the modified Lentz method:
        // Q = xᵃe⁻ˣ/Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …))).
        let tiny = 0x1p-1000
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...iterationLimit(a) {
            let n = Double(i)
            let an = -n * (n - a)
            b += 2
            d = an * d + b
            if Swift.abs(d) < tiny { d = tiny }
            c = b + an / c
            if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            h *= step
            if Swift.abs(step - 1) <= 0x1p-54 {
                let q = factor.times(h)
                return (1 - q, q)
            }
        }
        return (.nan, .nan)
    }

    /// Enough terms for the series and the continued fraction near `x = a`
    /// (about `8·√a` are needed there), with a margin.
    static func iterationLimit(_ a: Double) -> Int {
        1_000 + Int(16 * a.squareRoot())
    }

    /// `xᵃ e⁻ˣ / Γ(a) = scale · exp(exponent)`, kept apart so that a tiny
    /// factor times a large sum does not underflow before it must.
    struct Prefactor {
        var exponent: Double
        var scale: Double

        func times(_ value: Double) -> Double {
            let product = scale * value
            if exponent < -700 { return Swift.min(1, exp(exponent + log(product))) }
            return Swift.min(1, exp(exponent) * product)
        }
    }

    /// `xᵃ e⁻ˣ / Γ(a)` for `a > 0`, `x > 0` (see `regularizedGammaQ(a:x:)`).
    static func prefactor(a: Double, x: Double) -> Prefactor {
        if a < 10 {
            return Prefactor(exponent: a * log(x) - x - logGamma(a), scale: 1)
        }
        // a·ln(x/a) + a − x = a·(ln(1+t) − t), t = (x − a)/a; then
        // Γ(a) = √(2π/a) · aᵃ e⁻ᵃ · e^μ(a).
        let t = (x - a) / a
        let exponent = Swift.abs(t) < 0.5 ? a * logOnePlusMinus(t) : a * log(x / a) - (x - a)
        return Prefactor(exponent: exponent - stirlingRemainder(a), scale: (a / (2 * Double.pi)).squareRoot())
    }

    /// `ln Γ(a)` for `a > 0` from libm's reentrant `lgamma_r` (plain `lgamma` writes the global `signgam`).
    static func logGamma(_ a: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(a, &sign)
    }

    /// `ln(1 + t) − t` for `|t| < 0.5` (where it is used), without the cancellation of `log1p(t) − t`
    /// for small `t`: with `u = t/(2 + t)`, `ln(1 + t) = 2·atanh(u)`, so
    /// `ln(1 + t) − t = −t²/(2 + t) + 2·(u³/3 + u⁵/5 + …)`, every term of one sign.
    static func logOnePlusMinus(_ t: Double) -> Double {
        let u = t / (2 + t)
        let u2 = u * u
        var power = u
        var sum = 0.0
        var k = 1.0
        while true {
            power *= u2
            k += 2
            let term = power / k
            sum += term
            if Swift.abs(term) <= Swift.abs(sum) * 0x1p-56 { break }
        }
        return -t * t / (2 + t) + 2 * sum
    }

    /// `μ(a) = ln Γ(a) − ((a − ½)·ln a − a + ½·ln 2π)` for `a ≥ 10`, by the
    /// Stirling series `Σ B₂ₖ / (2k(2k−1)·a^(2k−1))`; eight terms leave an
    /// error below 1e-17 at `a = 10`.
    static func stirlingRemainder(_ a: Double) -> Double {
        let coefficients: [Double] = [1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188,
                                      -691.0 / 360_360, 1.0 / 156, -3617.0 / 122_400]
        let r = 1 / a
        let r2 = r * r
        var power = r
        var sum = 0.0
        for c in coefficients {
            sum += c * power
            power *= r2
        }
        return sum
    }
}
