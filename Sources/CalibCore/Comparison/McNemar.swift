/// McNemar's exact test on paired right/wrong decisions (SPEC section 11).
///
/// `b` = rows the baseline gets right and the candidate wrong, `c` = rows the
/// candidate gets right and the baseline wrong. Under the null hypothesis
/// each discordant row goes either way with probability ½, so
/// `p = min(1, 2·P(X ≤ min(b, c)))` with `X ~ Binomial(b + c, ½)` — the
/// two-sided exact binomial test (`scipy.stats.binomtest(b, b + c, 0.5)`;
/// for p = ½ its "as or less likely" rule is this doubled tail). `p = 1` when
/// `b = c`, including `b = c = 0`. Unweighted: every row counts once, whatever
/// its weight (the test needs counts, not frequency weights).
///
/// Complexity: the tail is summed from `min(b, c)` down by the pmf's
/// recurrence until the terms no longer change the sum (O(min(b, c)) at worst).
/// Reference: McNemar (1947), Psychometrika 12(2); Fagerland, Lydersen &
/// Laake (2013), BMC Med. Res. Methodol. 13:91 (the exact conditional test).
public struct McNemarTest: Sendable, Hashable {
    /// Rows the baseline gets right and the candidate wrong.
    public let b: Int
    /// Rows the candidate gets right and the baseline wrong.
    public let c: Int
    /// Two-sided exact p-value.
    public let p: Double

    public init(b: Int, c: Int) {
        precondition(b >= 0 && c >= 0, "counts are not negative")
        self.b = b
        self.c = c
        p = McNemarTest.exactP(b: b, c: c)
    }

    /// `min(1, 2·Σ_{k ≤ min(b,c)} C(n, k)/2ⁿ)`, `n = b + c`.
    static func exactP(b: Int, c: Int) -> Double {
        let n = b + c
        let s = Swift.min(b, c)
        if b == c { return 1 }
        // log pmf at k = s, then pmf(k − 1) = pmf(k) · k / (n − k + 1).
        let nd = Double(n)
        let logTerm = SpecialFunctions.logGamma(nd + 1) - SpecialFunctions.logGamma(Double(s) + 1)
            - SpecialFunctions.logGamma(nd - Double(s) + 1) - nd * 0.6931471805599453
        var term = StableMath.exponential(logTerm)
        var sum = 0.0
        var k = s
        while k >= 0 {
            sum += term
            if term <= sum * 1e-17 { break }
            term *= Double(k) / (nd - Double(k) + 1)
            k -= 1
        }
        return Swift.min(1, 2 * sum)
    }
}
