#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// relplot's smooth ECE of a sample and the bandwidth it was found at (SPEC 9 `smoothECE`, `smoothECEBandwidth`).
///
/// `value` is `smECE(σ*)` and `bandwidth` is `σ*`, a multiple of 2⁻¹⁰ in `[2⁻⁹, 1]`
/// found by relplot's 10-step bisection (see `SmoothECEGrid`).
public struct SmoothECEEstimate: Sendable, Hashable {
    /// The smooth ECE at the chosen bandwidth, in `[0, 1]` for scores in `[0, 1]`.
    public let value: Double
    /// The bandwidth `σ*` of the reflected Gaussian kernel.
    public let bandwidth: Double

    /// An estimate with the given smooth ECE and bandwidth.
    public init(value: Double, bandwidth: Double) {
        self.value = value
        self.bandwidth = bandwidth
    }
}

/// A fine, mergeable grid of headline pairs (score `x` in `[0, 1]`, outcome `y` in `{0, 1}`,
/// weight `w`) from which `estimate()` computes relplot 1.0.3's `smECE(f, y)` (Błasiok &
/// Nakkiran 2023, "Smooth ECE: principled reliability diagrams via kernel smoothing"),
/// weighted: each row's kernel mass is multiplied by `w`.
///
/// Storage: `G + 1` nodes `k/G` (`G = 2¹⁴`, 2 × 16385 Doubles, 262 KB, allocated on the first
/// `add`). A run of rows sharing `x` deposits its weight `W` and its residual `x·W − O`
/// (`O` the weight of its rows with `y = 1`) on the two nodes around `x`, split linearly
/// (relplot's `smooth_round_to_grid`). Merging adds the nodes elementwise.
///
/// For a bandwidth `σ`, relplot's `smooth_ece` is, line by line (`E = max(2000, round(20/σ)) // 2 + 1`,
/// `ev = max(round(10/σ), 200)`, `round` half to even as Python's):
/// ```
/// values_E    = the fine nodes redistributed onto E nodes j/(E−1) with the same linear rule
/// K[m]        = exp(−(t_m − ½)² / 2σ²) / (√(2π)·σ),   t_m = m/(E−1),  m = 0 … E−1
/// smooth[i]   = Σ_m values_E[refl(i + E//2 − m)]·K[m]   (np.convolve of the reflected grid, "valid")
/// ys, D       = smooth residual and weight, interpolated linearly to ev points t_j = j/(ev−1)
/// smECE(σ)    = Σ_j |ys_j / dens_j|·dens_j / Σ_j dens_j,   dens = D + 0.0001
/// ```
/// and `σ* = 1` when `1 < smECE(1)`, otherwise the bisection `start = 1, end = 0`, ten times
/// `mid = (start + end)/2`, `end = mid` when `mid < 0.001 or mid < smECE(mid)`, else `start = mid`;
/// `σ* = start`. Depositing on the fine grid first and then on relplot's grid is exact where the
/// two grids share nodes and moves mass by second-order amounts elsewhere (measured against
/// relplot on the golden fixtures: at most 1.5e-6 on `smECE`, every `σ*` equal).
///
/// The convolution keeps the kernel taps within 40σ of the centre: beyond that
/// `exp(−d²/2σ²) ≤ exp(−800)`, which underflows to exactly 0 in Double (below `exp(−745.2)`),
/// so relplot's own kernel holds exact zeros there and the truncation changes nothing at all;
/// only the about `2·ev` smoothed nodes the interpolation reads are convolved, so the work per
/// bandwidth is at most `min(E, 2·ev) · min(E, 80σ(E−1))` multiply-adds per grid (4.1M at σ = 2⁻⁹,
/// `E = 5121`; 0.4M at σ ≥ 1/16, where `E = 1001` and `ev = 200`), about 5M for a whole estimate on
/// a 1M-row file (11 bandwidths, σ* ≈ 0.034).
///
/// The nodes are plain Double sums: a node's rounding error is at most about `n·ε` of its terms'
/// magnitude (2e-9 for 10M rows), far below the 1e-4 agreement asked of `smECE`.
///
/// Edge cases: no weight → `nil`. Weights of any magnitude: the nodes and the 0.0001 floor are
/// scaled by one power of two (exact) so that the total weight is in `[1, 2)`, so the result is
/// relplot's formula for the weights as given (with weights of 1e300 the floor is negligible); a
/// total weight that overflows to infinity gives `nil`. Scores outside `[0, 1]`
/// are deposited at the nearer end (their residual keeps the score as given); a NaN score makes
/// the value NaN.
struct SmoothECEGrid: Sendable, Equatable {
    /// `G`, the number of fine cells (a power of two, so that `x·G` and `k/G` are exact).
    static let cells = 1 << 14
    /// relplot's `eps` for the bandwidth search and the density floor of `smooth`.
    static let searchFloor = 0.001
    static let densityFloor = 0.0001
    /// Kernel taps further than this many σ from the centre are exactly 0 in Double.
    static let truncation = 40.0

    /// relplot's `kernel_ev(E)`: the Gaussian of width `sigma` at
    /// `linspace(0, 1, E)` centred on ½, taps beyond `truncation`·σ exactly 0;
    /// with the first and last nonzero taps (`lo > hi` when none is).
    static func kernelTaps(points e: Int, sigma: Double) -> (taps: [Double], lo: Int, hi: Int) {
        let step = 1 / Double(e - 1)
        let variance = sigma * sigma
        let norm = (2 * Double.pi).squareRoot() * sigma
        var kernel = [Double](repeating: 0, count: e)
        var lo = e, hi = -1
        for m in 0..<e {
            let t = m == e - 1 ? 1.0 : Double(m) * step
            let d = t - 0.5
            guard Swift.abs(d) <= truncation * sigma else { continue }
            kernel[m] = exp(-d * d / (2 * variance)) / norm
            lo = Swift.min(lo, m)
            hi = Swift.max(hi, m)
        }
        return (kernel, lo, hi)
    }

    /// Weight per fine node (empty until the first `add`).
    private(set) var weight: [Double] = []
    /// Residual `Σ w·(x − y)` per fine node (empty until the first `add`).
    private(set) var residual: [Double] = []
    /// The total weight added.
    private(set) var totalWeight: Double = 0

    init() {}

    private mutating func allocate() {
        if weight.isEmpty {
            weight = [Double](repeating: 0, count: Self.cells + 1)
            residual = [Double](repeating: 0, count: Self.cells + 1)
        }
    }

    /// Adds a run of rows that share score `x`: their total weight and the weight of those with outcome 1.
    mutating func add(score x: Double, weight w: Double, positiveWeight: Double) {
        allocate()
        let g = Self.cells
        let position = x > 0 ? (x < 1 ? x : 1) : 0          // NaN → 0 (its residual stays NaN)
        let u = position * Double(g)                          // exact: G is a power of two
        let k = Swift.min(Int(u), g - 1)
        let frac = u - Double(k)
        let r = x * w - positiveWeight
        weight[k] += (1 - frac) * w
        weight[k + 1] += frac * w
        residual[k] += (1 - frac) * r
        residual[k + 1] += frac * r
        totalWeight += w
    }

    /// Adds a partial's deposits onto its nodes (in the order partials join: deterministic).
    mutating func add(_ deposits: SmoothDeposits) {
        guard deposits.first >= 0 else { return }
        allocate()
        totalWeight += deposits.totalWeight
        let first = deposits.first
        weight.withUnsafeMutableBufferPointer { weight in
            residual.withUnsafeMutableBufferPointer { residual in
                deposits.nodes.withUnsafeBufferPointer { nodes in
                    for j in 0..<nodes.count / 2 {
                        weight[first + j] += nodes[2 * j]
                        residual[first + j] += nodes[2 * j + 1]
                    }
                }
            }
        }
    }

    /// The grid as `init()` makes it, its storage kept, when only `nodes` may
    /// hold anything but +0 (every other node took only the +0 of a
    /// partial's untouched nodes): the bootstrap's replicates reuse one grid
    /// a worker (`ReplicateScratch`) instead of zeroing 262 KB each.
    mutating func clear(nodes: [Int]) {
        totalWeight = 0
        guard !weight.isEmpty else { return }
        weight.withUnsafeMutableBufferPointer { weight in
            residual.withUnsafeMutableBufferPointer { residual in
                for k in nodes {
                    weight[k] = 0
                    residual[k] = 0
                }
            }
        }
    }

    /// Adds another grid node by node (deterministic; order-independent up to rounding).
    mutating func merge(_ other: SmoothECEGrid) {
        totalWeight += other.totalWeight
        guard !other.weight.isEmpty else { return }
        allocate()
        for k in weight.indices {
            weight[k] += other.weight[k]
            residual[k] += other.residual[k]
        }
    }

    static func == (lhs: SmoothECEGrid, rhs: SmoothECEGrid) -> Bool {
        func same(_ a: [Double], _ b: [Double]) -> Bool {
            if a.isEmpty { return b.allSatisfy { $0 == 0 } }
            if b.isEmpty { return a.allSatisfy { $0 == 0 } }
            return a == b
        }
        return lhs.totalWeight == rhs.totalWeight && same(lhs.weight, rhs.weight) && same(lhs.residual, rhs.residual)
    }

    /// relplot's smECE and its bandwidth σ*; nil when the grid holds no weight (or its total overflows).
    /// With `bandwidth`, the smooth ECE at that bandwidth, with no search.
    func estimate(bandwidth fixed: Double? = nil) -> SmoothECEEstimate? {
        guard let evaluator = Evaluator(scaling: self) else { return nil }
        if let fixed { return SmoothECEEstimate(value: evaluator.smoothECE(bandwidth: fixed), bandwidth: fixed) }
        // relplot.metrics.search_param(check_smooth_ece, start=1, refine=10)
        let atOne = evaluator.smoothECE(bandwidth: 1)
        if 1 < atOne { return SmoothECEEstimate(value: atOne, bandwidth: 1) }
        var start = 1.0, end = 0.0, atStart = atOne
        for _ in 0..<10 {
            let mid = (start + end) / 2
            if mid < Self.searchFloor {
                end = mid
                continue
            }
            let value = evaluator.smoothECE(bandwidth: mid)
            if mid < value {
                end = mid
            } else {
                start = mid
                atStart = value
            }
        }
        return SmoothECEEstimate(value: atStart, bandwidth: start)
    }

    /// Python's `round` (half to even) of a positive Double, as an Int.
    static func roundHalfEven(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }

    /// `smooth_ece(f, y, σ)` of one grid at any bandwidth, with the nodes and the density floor scaled by `scale`.
    struct Evaluator {
        let grid: SmoothECEGrid
        let scale: Double
        let floor: Double

        /// `grid` with its nodes and the floor scaled by one power of two so that
        /// the total weight is in [1, 2): that changes no rounding (barring
        /// underflow), and 1e300 weights cannot overflow the sums. `nil` when the
        /// grid holds no weight or its total overflows.
        init?(scaling grid: SmoothECEGrid) {
            guard grid.totalWeight > 0, grid.totalWeight.isFinite, !grid.weight.isEmpty else { return nil }
            let exponent = Swift.max(grid.totalWeight.exponent, -1022)
            self.grid = grid
            scale = Double(sign: .plus, exponent: -exponent, significand: 1)
            floor = Double(sign: .plus, exponent: -exponent, significand: SmoothECEGrid.densityFloor)
        }

        /// relplot's `E` nodes and `ev` interpolation points at bandwidth `sigma`.
        static func nodeCounts(bandwidth sigma: Double) -> (points: Int, evaluations: Int) {
            (Swift.max(2000, roundHalfEven(20 / sigma)) / 2 + 1, Swift.max(roundHalfEven(10 / sigma), 200))
        }

        /// The smoothed nodes the interpolation onto `ev` points reads (about 2·ev of the `E`).
        static func interpolationReads(points e: Int, evaluations ev: Int) -> [Bool] {
            let step = 1 / Double(ev - 1)
            var needed = [Bool](repeating: false, count: e)
            for j in 0..<ev {
                let t = j == ev - 1 ? 1.0 : Double(j) * step
                let i = Swift.min(Swift.max(Int(t * Double(e - 1)), 0), e - 2)
                needed[i] = true
                needed[i + 1] = true
            }
            return needed
        }

        /// relplot.kernels.interpolate of the smoothed nodes onto linspace(0, 1, ev), then the ratio of sums.
        func interpolatedRatio(weight smoothedWeight: [Double], residual smoothedResidual: [Double], evaluations ev: Int) -> Double {
            let e = smoothedWeight.count
            let step = 1 / Double(ev - 1)
            let bucket = 1 / Double(e - 1)
            var numerator = 0.0, denominator = 0.0
            for j in 0..<ev {
                let t = j == ev - 1 ? 1.0 : Double(j) * step
                let i = Swift.min(Swift.max(Int(t * Double(e - 1)), 0), e - 2)
                let res = (t - Double(i) * bucket) / bucket
                let ys = smoothedResidual[i] * (1 - res) + smoothedResidual[i + 1] * res
                let dens = smoothedWeight[i] * (1 - res) + smoothedWeight[i + 1] * res + floor
                numerator += Swift.abs(ys / dens) * dens
                denominator += dens
            }
            return numerator / denominator
        }

        /// The scaled fine nodes redistributed onto `E` nodes (smooth_round_to_grid of node k/G: bin
        /// ⌊k(E−1)/G⌋, fraction exact in integers) and reflected: the grid `j = c − hi … E−1 + c − lo`
        /// (`c = E//2`) that taps `lo…hi` read, from index `jLo = c − hi`. With `nodes` (ascending), only
        /// those fine nodes are read, the others being known to be zero (the bootstrap's replicates:
        /// `ReplicateWalk.nodes`); a zero node adds nothing either way.
        func reflectedNodes(points e: Int, lo: Int, hi: Int, nodes: [Int]? = nil) -> (values: [Double], residuals: [Double], jLo: Int) {
            let g = SmoothECEGrid.cells
            var values = [Double](repeating: 0, count: e)
            var residuals = [Double](repeating: 0, count: e)
            grid.weight.withUnsafeBufferPointer { weight in
                grid.residual.withUnsafeBufferPointer { residual in
                    @inline(__always) func redistribute(_ k: Int) {
                        guard weight[k] != 0 || residual[k] != 0 else { return }
                        let (quotient, remainder) = (k * (e - 1)).quotientAndRemainder(dividingBy: g)
                        let q = Swift.min(quotient, e - 2)
                        let frac = quotient > e - 2 ? 1 : Double(remainder) / Double(g)
                        let w = weight[k] * scale, d = residual[k] * scale
                        values[q] += (1 - frac) * w
                        values[q + 1] += frac * w
                        residuals[q] += (1 - frac) * d
                        residuals[q + 1] += frac * d
                    }
                    if let nodes {
                        for k in nodes { redistribute(k) }
                    } else {
                        for k in 0...g { redistribute(k) }
                    }
                }
            }
            let c = e / 2
            let jLo = c - hi, jHi = e - 1 + c - lo
            var extValues = [Double](repeating: 0, count: jHi - jLo + 1)
            var extResiduals = [Double](repeating: 0, count: jHi - jLo + 1)
            for j in jLo...jHi {
                let source = j < 0 ? -j : (j > e - 1 ? 2 * (e - 1) - j : j)
                extValues[j - jLo] = values[source]
                extResiduals[j - jLo] = residuals[source]
            }
            return (extValues, extResiduals, jLo)
        }

        /// relplot.metrics.smooth_ece(f, y, σ) with ReflectedGaussianKernel(σ): the convolution 8 outputs a
        /// vector in `calib_smooth_convolve` (`FixedBandwidthSmoothECE`), the same doubles as
        /// ``referenceSmoothECE(bandwidth:)``, which takes a kernel without taps.
        func smoothECE(bandwidth sigma: Double) -> Double {
            FixedBandwidthSmoothECE(bandwidth: sigma)?.smoothECE(self) ?? referenceSmoothECE(bandwidth: sigma)
        }

        /// ``smoothECE(bandwidth:)`` with the convolution in Swift, two outputs at a time (the reference in tests).
        func referenceSmoothECE(bandwidth sigma: Double) -> Double {
            let (e, ev) = Self.nodeCounts(bandwidth: sigma)
            let needed = Self.interpolationReads(points: e, evaluations: ev)
            var smoothedWeight = [Double](repeating: 0, count: e)
            var smoothedResidual = [Double](repeating: 0, count: e)
            convolve(sigma: sigma, points: e, needed: needed, weight: &smoothedWeight, residual: &smoothedResidual)
            return interpolatedRatio(weight: smoothedWeight, residual: smoothedResidual, evaluations: ev)
        }

        /// The fine nodes redistributed onto `E` nodes, reflected, and convolved with relplot's kernel (`kernel_ev`)
        /// at the `needed` outputs (the others stay 0). Each output sums its taps in the order of `m`, from 0,
        /// as `np.convolve`'s direct sum does; two neighbouring outputs share a SIMD lane pair and four
        /// pairs run at once (independent sums: the same bits as one output at a time).
        func convolve(sigma: Double, points e: Int, needed: [Bool], weight outWeight: inout [Double], residual outResidual: inout [Double]) {
            let (kernel, lo, hi) = SmoothECEGrid.kernelTaps(points: e, sigma: sigma)
            // smooth[i] = Σ_m values[refl(i + c − m)]·K[m], c = E//2.
            let c = e / 2
            let (extValues, extResiduals, jLo) = reflectedNodes(points: e, lo: lo, hi: hi)
            // Pairs of outputs (i, i + 1) covering every needed one (a run of odd length ends with an overlapping pair).
            var pairs: [Int] = []
            var i = 0
            while i < e {
                guard needed[i] else { i += 1; continue }
                var end = i
                while end < e && needed[end] { end += 1 }
                var start = Swift.min(i, e - 2)
                while start < end {
                    let first = Swift.min(start, Swift.max(end - 2, 0), e - 2)
                    pairs.append(first)
                    start += 2
                }
                i = end
            }
            extValues.withUnsafeBufferPointer { xw in
                extResiduals.withUnsafeBufferPointer { xr in
                    outWeight.withUnsafeMutableBufferPointer { ow in
                        outResidual.withUnsafeMutableBufferPointer { orr in
                            kernel.withUnsafeBufferPointer { k in
                                let w = xw.baseAddress!, r = xr.baseAddress!
                                // Output i's tap m reads the reflected grid at i + c − m − jLo.
                                let shift = c - jLo
                                @inline(__always) func pair(_ p: UnsafePointer<Double>, _ at: Int) -> SIMD2<Double> {
                                    SIMD2(p[at], p[at + 1])
                                }
                                var q = 0
                                while q + 4 <= pairs.count {
                                    let i0 = pairs[q] + shift, i1 = pairs[q + 1] + shift, i2 = pairs[q + 2] + shift, i3 = pairs[q + 3] + shift
                                    var w0 = SIMD2<Double>(), w1 = SIMD2<Double>(), w2 = SIMD2<Double>(), w3 = SIMD2<Double>()
                                    var r0 = SIMD2<Double>(), r1 = SIMD2<Double>(), r2 = SIMD2<Double>(), r3 = SIMD2<Double>()
                                    for m in lo...hi {
                                        let kv = SIMD2(repeating: k[m])
                                        w0 += pair(w, i0 - m) * kv; r0 += pair(r, i0 - m) * kv
                                        w1 += pair(w, i1 - m) * kv; r1 += pair(r, i1 - m) * kv
                                        w2 += pair(w, i2 - m) * kv; r2 += pair(r, i2 - m) * kv
                                        w3 += pair(w, i3 - m) * kv; r3 += pair(r, i3 - m) * kv
                                    }
                                    for (index, (sw, sr)) in [(w0, r0), (w1, r1), (w2, r2), (w3, r3)].enumerated() {
                                        let o = pairs[q + index]
                                        ow[o] = sw[0]; ow[o + 1] = sw[1]
                                        orr[o] = sr[0]; orr[o + 1] = sr[1]
                                    }
                                    q += 4
                                }
                                while q < pairs.count {
                                    let i0 = pairs[q] + shift
                                    var w0 = SIMD2<Double>(), r0 = SIMD2<Double>()
                                    for m in lo...hi {
                                        let kv = SIMD2(repeating: k[m])
                                        w0 += pair(w, i0 - m) * kv
                                        r0 += pair(r, i0 - m) * kv
                                    }
                                    let o = pairs[q]
                                    ow[o] = w0[0]; ow[o + 1] = w0[1]
                                    orr[o] = r0[0]; orr[o + 1] = r0[1]
                                    q += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The smooth ECE's grid deposits of one `CalibrationPartial`'s runs, on
/// the nodes from `first` on (`nodes` holds weight and residual, interleaved):
/// each run of score `x`, weight `W` and positive weight `O` puts `W` and
/// `x·W − O` on the two fine nodes around `x`, split linearly, as
/// `SmoothECEGrid.add(score:weight:positiveWeight:)` does. The runs come in
/// ascending order, so a node's deposits are summed in registers while the
/// runs stay in its cell, and the local array only grows upwards.
/// `SmoothECEGrid.add(_:)` adds them onto the grid as the partials join.
struct SmoothDeposits {
    /// The first node, or -1 before the first run.
    private(set) var first = -1
    private(set) var nodes: [Double] = []
    /// `Σ W` of the runs (plain).
    private(set) var totalWeight = 0.0

    /// Empties the deposits as new ones, keeping the nodes' storage (`CalibrationPartial.restart`).
    mutating func restart() {
        first = -1
        nodes.removeAll(keepingCapacity: true)
        totalWeight = 0
    }

    /// The fine cell of a score in `[0, 1]` and its position in it.
    @inline(__always)
    static func cell(_ x: Double) -> (k: Int, fraction: Double) {
        let g = SmoothECEGrid.cells
        let position = x > 0 ? (x < 1 ? x : 1) : 0          // NaN → 0 (its residual stays NaN)
        let u = position * Double(g)                          // exact: G is a power of two
        let k = Swift.min(Int(u), g - 1)
        return (k, u - Double(k))
    }

    /// Deposits runs, lowest score first (and above every run added before).
    mutating func add(_ runs: UnsafeBufferPointer<CalibrationWalk.Run>) {
        guard let lowest = runs.first, let highest = runs.last else { return }
        deposit(lowest: lowest.score, highest: highest.score) { cursor in
            for run in runs { cursor.add(score: run.score, positive: run.positive, negative: run.negative) }
        }
    }

    /// Calls `body` with a cursor that deposits runs whose scores lie in
    /// `lowest...highest` (ascending, and above every run added before), the
    /// nodes they reach allocated first; the last node's sums are stored and
    /// the total kept when `body` returns.
    @inline(__always)
    mutating func deposit(lowest: Double, highest: Double, _ body: (inout Cursor) -> Void) {
        if first < 0 { first = SmoothDeposits.cell(lowest).k }
        let needed = 2 * (SmoothDeposits.cell(highest).k + 2 - first)
        if nodes.count < needed { nodes.append(contentsOf: repeatElement(0, count: needed - nodes.count)) }
        let base = first, total = totalWeight
        totalWeight = nodes.withUnsafeMutableBufferPointer { nodes in
            var cursor = Cursor(nodes: nodes.baseAddress!, base: base, cell: SmoothDeposits.cell(lowest).k, total: total)
            body(&cursor)
            cursor.store()
            return cursor.total
        }
    }

    /// The deposits of consecutive runs while their cell stays the same, in locals.
    struct Cursor {
        let nodes: UnsafeMutablePointer<Double>
        let base: Int
        var k: Int
        var lowWeight = 0.0, highWeight = 0.0, lowResidual = 0.0, highResidual = 0.0
        var total: Double

        init(nodes: UnsafeMutablePointer<Double>, base: Int, cell: Int, total: Double) {
            self.nodes = nodes
            self.base = base
            k = cell
            self.total = total
        }

        /// Deposits a run of score `x` whose rows of outcome 1 weigh `positive` and the others `negative`.
        @inline(__always)
        mutating func add(score x: Double, positive: Double, negative: Double) {
            let (cell, frac) = SmoothDeposits.cell(x)
            if cell != k {
                store()
                lowWeight = 0; highWeight = 0; lowResidual = 0; highResidual = 0
                k = cell
            }
            let w = positive + negative
            let r = x * w - positive
            lowWeight += (1 - frac) * w
            highWeight += frac * w
            lowResidual += (1 - frac) * r
            highResidual += frac * r
            total += w
        }

        /// `add` of one row of weight 1 and outcome `y` (0 or 1): its weight
        /// `y + (1 − y)` is exactly 1, so each product by it is its other
        /// factor, bit for bit, and is left out.
        @inline(__always)
        mutating func addOne(score x: Double, positive y: Double) {
            let (cell, frac) = SmoothDeposits.cell(x)
            if cell != k {
                store()
                lowWeight = 0; highWeight = 0; lowResidual = 0; highResidual = 0
                k = cell
            }
            let r = x - y
            lowWeight += 1 - frac
            highWeight += frac
            lowResidual += (1 - frac) * r
            highResidual += frac * r
            total += 1
        }

        /// Adds the current cell's sums onto its two nodes.
        @inline(__always)
        func store() {
            let at = nodes + 2 * (k - base)
            at[0] += lowWeight; at[1] += lowResidual; at[2] += highWeight; at[3] += highResidual
        }
    }
}
