import CalibKernels

/// The smooth ECE (SPEC 9 `smoothECE`) at one fixed bandwidth σ, with what
/// depends on σ alone found once: each step of the full sample's bandwidth
/// search (`SmoothECEGrid.Evaluator.smoothECE(bandwidth:)`), and the
/// bootstrap's replicates at the full sample's σ*, bit for bit
/// `SmoothECEGrid.estimate(bandwidth:)`.
///
/// Every evaluation at σ uses the same `E` nodes, `ev` interpolation points,
/// outputs the interpolation reads and `E` kernel taps `K[m]` (an `exp`
/// each); each grid redistributes its own fine grid onto the `E` nodes,
/// reflects it and convolves. The convolution runs 8 outputs a vector in
/// `calib_smooth_convolve` (AVX-512 or AVX2), each output's taps summed from 0
/// in ascending `m`, a product then a sum, as the Swift reference two outputs
/// at a time (`SmoothECEGrid.Evaluator.referenceSmoothECE`): the same doubles
/// (checked in `ReplicateKernelTests`). It was the largest part of a
/// replicate's sorted estimators once the ranking and the fits were
/// specialised, and a quarter of a small audit's instructions.
struct FixedBandwidthSmoothECE: Sendable {
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
        let (e, ev) = SmoothECEGrid.Evaluator.nodeCounts(bandwidth: sigma)
        guard e >= 8 else { return nil }
        let needed = SmoothECEGrid.Evaluator.interpolationReads(points: e, evaluations: ev)
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

    /// `grid.estimate(bandwidth: bandwidth)`; with `nodes` (ascending), the only fine nodes that may
    /// be nonzero (`ReplicateWalk.nodes`), which are all the redistribution then reads.
    func estimate(_ grid: SmoothECEGrid, nodes: [Int]? = nil) -> SmoothECEEstimate? {
        guard let evaluator = SmoothECEGrid.Evaluator(scaling: grid) else { return nil }
        return SmoothECEEstimate(value: smoothECE(evaluator, nodes: nodes), bandwidth: bandwidth)
    }

    /// `evaluator.smoothECE(bandwidth: bandwidth)`, `nodes` as in ``estimate(_:nodes:)``.
    func smoothECE(_ evaluator: SmoothECEGrid.Evaluator, nodes: [Int]? = nil) -> Double {
        let e = points
        // Output i's tap m reads the reflected grid at i + c − m − jLo.
        let c = e / 2
        let (extValues, extResiduals, jLo) = evaluator.reflectedNodes(points: e, lo: lo, hi: hi, nodes: nodes)
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
        return evaluator.interpolatedRatio(weight: smoothedWeight, residual: smoothedResidual, evaluations: evaluations)
    }
}
