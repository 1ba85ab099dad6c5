import CalibKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The smooth ECE of the bootstrap's replicates (SPEC 9 `smoothECE`) at one
/// fixed bandwidth σ (the full sample's σ*): `SmoothECEGrid.estimate(bandwidth:)`,
/// bit for bit, with what depends on σ alone found once for all replicates.
///
/// Every replicate evaluates relplot's formula (`SmoothECEGrid`'s doc) at the
/// same σ, so the `E` nodes, the `ev` interpolation points, the outputs the
/// interpolation reads and the `E` kernel taps `K[m]` (an `exp` each) are the
/// same; each replicate redistributes its own fine grid onto the `E` nodes,
/// reflects it and convolves. The convolution, `SmoothECEGrid`'s two outputs
/// at a time in `SIMD2`, runs 8 outputs a vector in `calib_smooth_convolve`
/// (AVX-512 or AVX2), each output's taps summed from 0 in ascending `m`, a
/// product then a sum, as before: the same doubles (checked against
/// `SmoothECEGrid.estimate(bandwidth:)` in `ReplicateGridTests`). It was the
/// largest part of a replicate's sorted estimators once the ranking and the
/// fits were specialised.
struct ReplicateSmoothECE: Sendable {
    let bandwidth: Double
    /// `E` and `ev` (`SmoothECEGrid.Evaluator.smoothECE`).
    let points: Int
    let evaluations: Int
    /// The kernel's taps (0 beyond `40σ` of ½) and the range of the nonzero ones.
    let kernel: [Double]
    let lo: Int, hi: Int
    /// Starts of 8-output blocks covering every output the interpolation reads (the last block may overlap the one before).
    let blocks: [Int]

    /// The shared parts at bandwidth `sigma`; `nil` when the kernel has no tap (then `SmoothECEGrid` evaluates it).
    init?(bandwidth sigma: Double) {
        let e = Swift.max(2000, SmoothECEGrid.roundHalfEven(20 / sigma)) / 2 + 1
        let ev = Swift.max(SmoothECEGrid.roundHalfEven(10 / sigma), 200)
        guard e >= 8 else { return nil }
        let step = 1 / Double(ev - 1)
        var needed = [Bool](repeating: false, count: e)
        for j in 0..<ev {
            let t = j == ev - 1 ? 1.0 : Double(j) * step
            let i = Swift.min(Swift.max(Int(t * Double(e - 1)), 0), e - 2)
            needed[i] = true
            needed[i + 1] = true
        }
        // kernel_ev(E), as `SmoothECEGrid.Evaluator.convolve` takes it.
        let (kernel, lo, hi) = SmoothECEGrid.kernelTaps(points: e, sigma: sigma)
        guard lo <= hi else { return nil }
        var blocks: [Int] = []
        var covered = 0
        for o in 0..<e where needed[o] && o >= covered {
            let start = Swift.min(o, e - 8)
            blocks.append(start)
            covered = start + 8
        }
        bandwidth = sigma
        points = e
        evaluations = ev
        self.kernel = kernel
        self.lo = lo
        self.hi = hi
        self.blocks = blocks
    }

    /// `grid.estimate(bandwidth: bandwidth)`.
    func estimate(_ grid: SmoothECEGrid) -> SmoothECEEstimate? {
        guard grid.totalWeight > 0, grid.totalWeight.isFinite, !grid.weight.isEmpty else { return nil }
        // As `SmoothECEGrid.estimate`: nodes and floor scaled so that the total weight is in [1, 2).
        let exponent = Swift.max(grid.totalWeight.exponent, -1022)
        let scale = Double(sign: .plus, exponent: -exponent, significand: 1)
        let floor = Double(sign: .plus, exponent: -exponent, significand: SmoothECEGrid.densityFloor)
        let e = points, g = SmoothECEGrid.cells
        // smooth_round_to_grid of node k/G onto E nodes: bin ⌊k(E−1)/G⌋, fraction exact in integers.
        var values = [Double](repeating: 0, count: e)
        var residuals = [Double](repeating: 0, count: e)
        grid.weight.withUnsafeBufferPointer { weight in
            grid.residual.withUnsafeBufferPointer { residual in
                for k in 0...g where weight[k] != 0 || residual[k] != 0 {
                    let (quotient, remainder) = (k * (e - 1)).quotientAndRemainder(dividingBy: g)
                    let q = Swift.min(quotient, e - 2)
                    let frac = quotient > e - 2 ? 1 : Double(remainder) / Double(g)
                    let w = weight[k] * scale, d = residual[k] * scale
                    values[q] += (1 - frac) * w
                    values[q + 1] += frac * w
                    residuals[q] += (1 - frac) * d
                    residuals[q + 1] += frac * d
                }
            }
        }
        // The reflected grid covers j = c − hi … E−1 + c − lo; output i's tap m reads it at i + c − m − jLo.
        let c = e / 2
        let jLo = c - hi, jHi = e - 1 + c - lo
        var extValues = [Double](repeating: 0, count: jHi - jLo + 1)
        var extResiduals = [Double](repeating: 0, count: jHi - jLo + 1)
        for j in jLo...jHi {
            let source = j < 0 ? -j : (j > e - 1 ? 2 * (e - 1) - j : j)
            extValues[j - jLo] = values[source]
            extResiduals[j - jLo] = residuals[source]
        }
        var smoothedWeight = [Double](repeating: 0, count: e)
        var smoothedResidual = [Double](repeating: 0, count: e)
        extValues.withUnsafeBufferPointer { w in
        extResiduals.withUnsafeBufferPointer { r in
        kernel.withUnsafeBufferPointer { k in
        blocks.withUnsafeBufferPointer { b in
        smoothedWeight.withUnsafeMutableBufferPointer { ow in
        smoothedResidual.withUnsafeMutableBufferPointer { orr in
            calib_smooth_convolve(w.baseAddress!, r.baseAddress!, k.baseAddress!, lo, hi, c - jLo,
                                  b.baseAddress!, b.count, ow.baseAddress!, orr.baseAddress!)
        }
        }
        }
        }
        }
        }
        // relplot.kernels.interpolate onto linspace(0, 1, ev), then the ratio of sums (as `smoothECE(bandwidth:)`).
        let ev = evaluations
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
        return SmoothECEEstimate(value: numerator / denominator, bandwidth: bandwidth)
    }
}
