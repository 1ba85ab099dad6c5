import CalibKernels

/// How the intervals of SPEC section 10 are drawn: `--bootstrap N`
/// replicates (0 turns intervals off), `--confidence` and `--seed`.
public struct BootstrapSettings: Sendable, Hashable {
    /// Replicates `R` (default 200).
    public var replicates: Int
    /// Coverage `1 − α` of every interval (default 0.95), in (0, 1).
    public var confidence: Double
    /// Picks the replicates' Poisson counts (default 0): the same seed gives the same intervals.
    public var seed: UInt64
    /// Which generator drew the counts (``PoissonCounts``): ``Draws/quarters``
    /// for every audit this calib runs; ``Draws/halves`` only in a part read
    /// from partial-state format version 4 or older, whose replicates merge
    /// with other such parts but not with this calib's.
    public var draws = Draws.quarters

    /// How a replicate's Poisson counts were drawn; the raw value is what a part stores.
    public enum Draws: Int, Sendable, Hashable {
        /// Two 32-bit uniforms a SplitMix64 mix (partial-state format versions 1 to 4).
        case halves = 1
        /// Four 16-bit uniforms a mix (partial-state format version 5 on).
        case quarters = 2
    }

    public static let defaultReplicates = 200
    /// The most replicates accepted: each costs a pass of the streaming sums over every row.
    public static let maximumReplicates = 10_000

    public init(replicates: Int = BootstrapSettings.defaultReplicates, confidence: Double = 0.95, seed: UInt64 = 0) {
        precondition(replicates >= 1 && replicates <= BootstrapSettings.maximumReplicates, "replicates in 1…\(BootstrapSettings.maximumReplicates)")
        precondition(confidence > 0 && confidence < 1, "confidence in (0, 1)")
        self.replicates = replicates
        self.confidence = confidence
        self.seed = seed
    }
}

/// The Poisson bootstrap's counts `m_ir ~ Poisson(1)`: how many times row
/// `i` counts in replicate `r` (SPEC section 10). Each count is a pure
/// function of the seed, `r` and the row's index (its 1-based line in the
/// input), so replicates stream, merge across blocks and threads, and two
/// models scored on the same rows get the same counts (a paired bootstrap).
///
/// How: `k_i = mix(seed ⊕ mix(i))` keys the row; replicates `4j … 4j + 3`
/// take the four 16-bit quarters `u` of `mix(k_i + (j + 1)·γ)`, lowest first
/// (`mix` is SplitMix64's finaliser, `γ` its golden-ratio increment; Steele,
/// Lea & Flood 2014), and invert Poisson(1)'s CDF: `m = #{k < 8 : u ≥ T_k}`
/// with `T_k = round(2¹⁶ · P(M ≤ k))`. Each `P(m = k)` is Poisson's to within
/// 2⁻¹⁶ (`P(m = 0)` is 0.3678741 for 0.3678794); counts stop at 8 (`P(M > 8)
/// ≈ 10⁻⁶`). The counts' mean is exactly 1 and their variance 0.99997, so
/// the draws' own error is a thousandth of the Monte Carlo error of 200
/// replicates' quantiles. Which generator drew a part's counts:
/// ``BootstrapSettings/draws``.
///
/// Complexity: one 64-bit mix per four counts. (Until partial-state format
/// version 5, two 32-bit uniforms per mix and 12 thresholds: twice the
/// mixes for no difference a bootstrap interval can show.)
public enum PoissonCounts {
    /// SplitMix64's increment, `⌊2⁶⁴/φ⌋`.
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// SplitMix64's output function (the `mix64` variant of Stafford's Mix13).
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The key of the row at index `row` under `seed`.
    @inline(__always)
    public static func rowKey(seed: UInt64, row: Int) -> UInt64 {
        mix(seed ^ mix(UInt64(bitPattern: Int64(row)) &+ gamma))
    }

    /// `T_k = round(2¹⁶ · P(M ≤ k))`, `M ~ Poisson(1)`, for k = 0…7 (computed
    /// from `e⁻¹ Σ_{j≤k} 1/j!`; each below 2¹⁶), as the kernel takes them.
    static let thresholds: [UInt16] = {
        var t: [UInt16] = []
        var term = 1.0, cdf = 0.0
        let e1 = 0.36787944117144233
        for k in 0..<Int(CALIB_POISSON_THRESHOLDS) {
            if k > 0 { term /= Double(k) }
            cdf += term
            t.append(UInt16((cdf * e1 * 65_536.0).rounded()))
        }
        return t
    }()

    /// The count of a 16-bit uniform `u`: the number of thresholds at or below it.
    @inline(__always)
    static func count(uniform u: UInt16, _ t: [UInt16]) -> Int {
        t.reduce(0) { $0 + (u >= $1 ? 1 : 0) }
    }

    /// `m_ir` for one row and replicate (what the bootstrap's kernel draws, `calib_poisson_counts`; for tests and references).
    public static func count(seed: UInt64, replicate r: Int, row: Int) -> Int {
        precondition(r >= 0, "replicate index ≥ 0")
        let x = mix(rowKey(seed: seed, row: row) &+ UInt64(r / 4 + 1) &* gamma)
        return count(uniform: UInt16(truncatingIfNeeded: x >> UInt64(16 * (r % 4))), thresholds)
    }
}
