/// Isotonic calibration, step for step as scikit-learn 1.9's
/// `IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)` with
/// `sample_weight`:
/// 1. rows of weight 0 are dropped; the rest are sorted by score, then label
///    (`np.lexsort((y, X))`);
/// 2. scores less than `1e-15` (`np.finfo(float64).resolution`) above the first
///    score of their group are pooled into it (`_make_unique`: the group keeps
///    its first score, the weighted mean label and the summed weight);
/// 3. pool adjacent violators on those means (`_inplace_contiguous_isotonic_regression`,
///    transcribed: the same pooling order, so the same rounding), clipped to [0, 1];
/// 4. interior points equal in value to both neighbours are dropped
///    (`trim_duplicates`), leaving `X_thresholds_` and `y_thresholds_`.
/// A new score is clipped to `[first, last]` threshold and interpolated linearly
/// (scipy's `interp1d`: `slope·(x − x_lo) + y_lo`); one threshold is a constant.
/// Ties: exactly tied scores are one point (their mean label), as scikit-learn.
/// Probability scores are used unclipped; logits through `σ(z)`.
///
/// How: one pass over the sorted rows, with no array the size of the data:
/// steps 1–3 stream, `_make_unique`'s points pulled one at a time into a
/// stack of pooled blocks that replays scikit-learn's pooling (its forward
/// scan, pooling each non-increasing run onto the block before it, then
/// backtracking one block) step for step, so the same sums in the same
/// order; step 4 reads each block's first and last point.
enum IsotonicFit {
    static let resolution = 1e-15

    static func fit(_ data: FitData) -> (thresholds: [Double], values: [Double]) {
        var points = UniquePoints(sorted: data.table.sorted!, excludedFold: data.excludedFold)
        let blocks = pav(&points)
        // Clip to [0, 1], then trim_duplicates over the points: a point is kept when it is
        // the first or the last, or its value differs from a neighbour's. Within a block
        // every point has the block's value, so only a block's first and last points can be kept.
        let v = blocks.map { Swift.min(Swift.max($0.y, 0), 1) }
        var thresholds: [Double] = [], values: [Double] = []
        for b in blocks.indices {
            let last = b == blocks.count - 1
            let single = blocks[b].points == 1
            // Its first point: neighbours are the block before and (alone) the block after, else itself.
            let keepFirst = b == 0 || (single && last) || v[b] != v[b - 1] || (single && v[b] != v[b + 1])
            if keepFirst { thresholds.append(blocks[b].firstX); values.append(v[b]) }
            // Its last point (a block of two or more): neighbours are itself and the block after.
            if !single && (last || v[b] != v[b + 1]) { thresholds.append(blocks[b].lastX); values.append(v[b]) }
        }
        return (thresholds, values)
    }

    /// `_make_unique` as a stream over the included sorted rows: each point is
    /// a group of scores less than `resolution` above the group's first, with
    /// the first score, the weighted mean label `Σ y·w / Σ w` and the summed weight.
    struct UniquePoints {
        let sorted: SortedRows
        let excludedFold: Int?
        var next = 0
        var currentX = Double.nan, currentY = 0.0, currentW = 0.0
        var done = false

        init(sorted: SortedRows, excludedFold: Int?) {
            self.sorted = sorted
            self.excludedFold = excludedFold
        }

        /// The next point `(x, y, w)`, `nil` after the last.
        mutating func pull() -> (x: Double, y: Double, w: Double)? {
            guard !done else { return nil }
            while next < sorted.count {
                let j = next
                next += 1
                guard sorted.includes(j, excludedFold: excludedFold) else { continue }
                let x = sorted.score(j), w = sorted.weights[j]
                let y: Double = sorted.positive(j) ? 1 : 0
                if currentX.isNaN { currentX = x }
                if x - currentX >= resolution {
                    let point = (x: currentX, y: currentY / currentW, w: currentW)
                    currentX = x
                    currentW = w
                    currentY = y * w
                    return point
                }
                currentW += w
                currentY += y * w
            }
            done = true
            return (currentX, currentY / currentW, currentW)
        }
    }

    /// A pooled block of points: its value and weight (scikit-learn's `y[i]`
    /// and `w[i]` at the block's head), its first and last points' scores, and its number of points.
    struct Block {
        var y: Double
        var w: Double
        var firstX: Double
        var lastX: Double
        var points: Int
    }

    /// scikit-learn's `_inplace_contiguous_isotonic_regression` on the
    /// points as they are pulled, its blocks kept on a stack: its scan
    /// position `i` is always the top block or the one below it (after a
    /// backtrack, when the top is the block just pooled, its `k`); the
    /// blocks after `k` are points not yet pulled. Returns the final blocks in order.
    static func pav(_ points: inout UniquePoints) -> [Block] {
        guard let first = points.pull() else { return [] }
        var stack = [Block(y: first.y, w: first.w, firstX: first.x, lastX: first.x, points: 1)]
        var pending = points.pull()
        // Whether `i` is the block below the top (so `k` is the top) rather than the top (`k` the next point).
        var belowTop = false
        while true {
            let i = belowTop ? stack.count - 2 : stack.count - 1
            let nextY: Double
            if belowTop {
                nextY = stack[stack.count - 1].y
            } else {
                guard let p = pending else { break }
                nextY = p.y
            }
            if stack[i].y < nextY {
                // i = k
                if belowTop {
                    belowTop = false
                } else {
                    let p = pending!
                    stack.append(Block(y: p.y, w: p.w, firstX: p.x, lastX: p.x, points: 1))
                    pending = points.pull()
                }
                continue
            }
            var sumWY = stack[i].w * stack[i].y
            var sumW = stack[i].w
            var previous: Double
            // k: the top block, or the next point.
            if belowTop {
                let k = stack.removeLast()
                previous = k.y
                sumWY += k.w * k.y
                sumW += k.w
                stack[i].lastX = k.lastX
                stack[i].points += k.points
            } else {
                let p = pending!
                previous = p.y
                sumWY += p.w * p.y
                sumW += p.w
                stack[i].lastX = p.x
                stack[i].points += 1
                pending = points.pull()
            }
            // Then the points after it while they do not rise.
            while let p = pending, !(previous < p.y) {
                previous = p.y
                sumWY += p.w * p.y
                sumW += p.w
                stack[i].lastX = p.x
                stack[i].points += 1
                pending = points.pull()
            }
            stack[i].y = sumWY / sumW
            stack[i].w = sumW
            // Backtrack if we can; otherwise restart from the same point.
            belowTop = i > 0
        }
        return stack
    }

    /// The fitted function at `x`: clipped to the thresholds' range, then linear interpolation.
    static func interpolate(_ x: Double, thresholds: [Double], values: [Double]) -> Double {
        let n = thresholds.count
        if n == 1 { return values[0] }
        let t = Swift.min(Swift.max(x, thresholds[0]), thresholds[n - 1])
        return thresholds.withUnsafeBufferPointer { th in
            values.withUnsafeBufferPointer { v in
                interpolate(clipped: t, searching: 0..<n, count: n, thresholds: th.baseAddress!, values: v.baseAddress!)
            }
        }
    }

    /// The line between the thresholds around the clipped score `t`: the first
    /// threshold ≥ `t` (numpy's searchsorted, side "left", at least 1), searched
    /// for within `range` (the whole `0..<count`, or a part known to hold it).
    @inline(__always)
    static func interpolate(clipped t: Double, searching range: Range<Int>, count n: Int,
                            thresholds: UnsafePointer<Double>, values: UnsafePointer<Double>) -> Double {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi {
            let mid = (lo + hi) / 2
            if thresholds[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        let above = Swift.max(1, Swift.min(lo, n - 1))
        let below = above - 1
        let slope = (values[above] - values[below]) / (thresholds[above] - thresholds[below])
        return slope * (t - thresholds[below]) + values[below]
    }
}

/// A step function's thresholds indexed for many lookups (the cross-fit's
/// rescoring, `FitTable.rescore`): `IsotonicFit.interpolate` bit for bit,
/// its binary search narrowed to one of 2¹⁶ cells of the thresholds' range.
/// A clipped score `t` has cell `key(t) = ⌊(t − x₀)·scale⌋` (clamped), which is
/// monotone in `t` under rounding, so every threshold of a lower cell is
/// below `t` and every threshold of a higher cell above it: the first
/// threshold `≥ t` lies between the first index of `t`'s cell and the first
/// of the next (`starts`), the same index the whole search finds. The
/// storage is the object's own; `lookup` reads it through plain pointers
/// (no reference counting per row) while the object is alive.
final class ThresholdIndex: @unchecked Sendable {
    static let cells = 1 << 16
    let lookup: Lookup

    /// A copyable view of the index, valid while its `ThresholdIndex` lives.
    struct Lookup: @unchecked Sendable {
        let count: Int
        let thresholds: UnsafeMutablePointer<Double>
        let values: UnsafeMutablePointer<Double>
        /// `starts[k]`: the number of thresholds whose cell is below `k` (`cells + 1` entries).
        let starts: UnsafeMutablePointer<Int>
        let scale: Double

        @inline(__always)
        func key(_ t: Double) -> Int {
            Int(Swift.min(Swift.max((t - thresholds[0]) * scale, 0), Double(ThresholdIndex.cells - 1)))
        }

        /// `IsotonicFit.interpolate(x, thresholds:, values:)`, bit for bit.
        @inline(__always)
        func interpolate(_ x: Double) -> Double {
            let n = count
            let t = Swift.min(Swift.max(x, thresholds[0]), thresholds[n - 1])
            var range = 0..<n
            if !t.isNaN {
                let k = key(t)
                range = starts[k]..<starts[k + 1]
            }
            return IsotonicFit.interpolate(clipped: t, searching: range, count: n, thresholds: thresholds, values: values)
        }
    }

    /// `nil` for fewer than two thresholds or a range too narrow to scale.
    init?(thresholds: [Double], values: [Double]) {
        let n = thresholds.count
        guard n >= 2, values.count == n else { return nil }
        let scale = Double(Self.cells) / (thresholds[n - 1] - thresholds[0])
        guard scale.isFinite && scale > 0 else { return nil }
        let x = UnsafeMutablePointer<Double>.allocate(capacity: n)
        x.initialize(from: thresholds, count: n)
        let y = UnsafeMutablePointer<Double>.allocate(capacity: n)
        y.initialize(from: values, count: n)
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: Self.cells + 1)
        starts.initialize(repeating: n, count: Self.cells + 1)
        lookup = Lookup(count: n, thresholds: x, values: y, starts: starts, scale: scale)
        var k = 0
        for j in 0..<n {
            let cell = lookup.key(thresholds[j])
            while k <= cell { starts[k] = j; k += 1 }
        }
    }

    deinit {
        lookup.thresholds.deallocate()
        lookup.values.deallocate()
        lookup.starts.deallocate()
    }
}
