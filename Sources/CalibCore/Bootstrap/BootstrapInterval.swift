/// A two-sided interval for one value (SPEC section 10): `{lower, upper}`.
public struct MetricInterval: Sendable, Hashable {
    public let lower: Double
    public let upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// Whether the interval lies wholly above 0 or wholly below it (a difference is detectable).
    public var excludesZero: Bool { lower > 0 || upper < 0 }
}

/// The basic (reflected) bootstrap interval of SPEC section 10.
///
/// ```
/// [2θ̂ − q(1 − α/2), 2θ̂ − q(α/2)]  clipped to the value's range
/// ```
/// with `q` the quantiles of the replicate values by numpy's default linear
/// interpolation (`numpy.quantile(method="linear")`: position `p·(R − 1)` in
/// the sorted values) and `θ̂` the full-sample value. Unlike the percentile
/// interval it corrects a statistic's bias to first order (the upward bias of
/// binned calibration errors), so it need not contain `θ̂`.
///
/// Edge cases: a NaN `θ̂` gives no interval; replicates whose value is NaN
/// (a replicate with no positive row, say) are left out, and with fewer than
/// two finite replicates there is no interval. Reference: Davison & Hinkley
/// (1997), *Bootstrap Methods and their Application*, eq. 5.6.
public enum BasicBootstrapInterval {
    /// The interval of `estimate` from `replicates`, or `nil` (see the edge cases).
    public static func interval(estimate: Double, replicates: [Double], confidence: Double,
                                range: ClosedRange<Double> = -Double.infinity...Double.infinity) -> MetricInterval? {
        guard estimate.isFinite else { return nil }
        let finite = replicates.filter(\.isFinite).sorted()
        guard finite.count >= 2 else { return nil }
        let alpha = 1 - confidence
        let low = quantile(sorted: finite, alpha / 2)
        let high = quantile(sorted: finite, 1 - alpha / 2)
        let lower = Swift.min(Swift.max(2 * estimate - high, range.lowerBound), range.upperBound)
        let upper = Swift.min(Swift.max(2 * estimate - low, range.lowerBound), range.upperBound)
        return MetricInterval(lower: lower, upper: upper)
    }

    /// numpy's default (`linear`) quantile of sorted values: `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])`, `h = p(n − 1)`.
    public static func quantile(sorted x: [Double], _ p: Double) -> Double {
        precondition(!x.isEmpty, "quantile of no values")
        let h = p * Double(x.count - 1)
        let i = Swift.min(Int(h.rounded(.down)), x.count - 1)
        let fraction = h - Double(i)
        guard i + 1 < x.count else { return x[i] }
        // numpy's `_lerp`: a + (b − a)·t, switching to b − (b − a)(1 − t) for t ≥ ½.
        let a = x[i], b = x[i + 1], d = b - a
        return fraction >= 0.5 ? b - d * (1 - fraction) : a + d * fraction
    }
}
