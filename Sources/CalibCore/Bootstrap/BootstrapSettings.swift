/// How the intervals of SPEC section 10 are drawn: `--bootstrap N`
/// replicates (0 turns intervals off), `--confidence` and `--seed`.
public struct BootstrapSettings: Sendable, Hashable {
    /// Replicates `R` (default 200).
    public var replicates: Int
    /// Coverage `1 − α` of every interval (default 0.95), in (0, 1).
    public var confidence: Double
    /// Picks the replicates' Poisson counts (default 0): the same seed gives the same intervals.
    public var seed: UInt64

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
/// How: `k_i = mix(seed ⊕ mix(i))` keys the row; replicates `2j` and `2j + 1`
/// take the two 32-bit halves `u` of `mix(k_i + (j + 1)·γ)` (`mix` is
/// SplitMix64's finaliser, `γ` its golden-ratio increment; Steele, Lea &
/// Flood 2014) and invert Poisson(1)'s CDF: `m = #{k : u ≥ T_k}` with
/// `T_k = ⌊2³² · P(M ≤ k)⌋`. Each probability is Poisson's to within 2⁻³²;
/// counts stop at 12 (`P(M > 12) ≈ 1.4·10⁻¹⁰`).
///
/// Complexity: one 64-bit mix per two counts.
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

    /// `T_k = ⌊2³² · P(M ≤ k)⌋`, `M ~ Poisson(1)`, for k = 0…11 (computed in
    /// `init` from `e⁻¹ Σ_{j≤k} 1/j!`).
    static let thresholds: [UInt64] = {
        var t: [UInt64] = []
        var term = 1.0, cdf = 0.0
        let e1 = 0.36787944117144233
        for k in 0..<12 {
            if k > 0 { term /= Double(k) }
            cdf += term
            t.append(UInt64((cdf * e1 * 4_294_967_296.0).rounded(.down)))
        }
        return t
    }()

    /// The thresholds as the bootstrap's kernel takes them (each below 2³²).
    static let thresholds32: [UInt32] = thresholds.map { UInt32($0) }

    /// The count of a 32-bit uniform `u`: the number of thresholds at or below it.
    /// The first four comparisons (98.1% of the counts, `P(M ≤ 3)`) are
    /// branch-free, `1 − borrow(u − T_k)`: a uniform `u` would mispredict a branch.
    @inline(__always)
    static func count(uniform u: UInt64, _ t: UnsafePointer<UInt64>) -> UInt32 {
        let below = ((u &- t[0]) >> 63) &+ ((u &- t[1]) >> 63) &+ ((u &- t[2]) >> 63) &+ ((u &- t[3]) >> 63)
        var m = UInt32(truncatingIfNeeded: 4 &- below)
        if _slowPath(m == 4) {
            var k = 4
            while k < 12 && u >= t[k] { m &+= 1; k &+= 1 }
        }
        return m
    }

    /// `m_ir` for one row and replicate (what the bootstrap's kernel draws, `calib_poisson_counts`; for tests and references).
    public static func count(seed: UInt64, replicate r: Int, row: Int) -> Int {
        precondition(r >= 0, "replicate index ≥ 0")
        let x = mix(rowKey(seed: seed, row: row) &+ UInt64(r / 2 + 1) &* gamma)
        let u = r % 2 == 0 ? x & 0xFFFF_FFFF : x >> 32
        return thresholds.withUnsafeBufferPointer { Int(PoissonCounts.count(uniform: u, $0.baseAddress!)) }
    }
}
