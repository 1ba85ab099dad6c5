/// What the sorted calibration walk (`CalibrationWalk`) sums: per task a
/// `CalibrationPartial`, joined in bucket order into its `Totals`.
///
/// Equal-mass bins follow SPEC section 9: with `C(x⁻)` the weight of the rows
/// scored below `x`, a run at score `x` falls in bin `#{j ∈ 1…B−1 : C(x⁻)·B ≥ j·W}`
/// (the number of edges `t_j = min{x_i : C(x_i) ≥ j·W/B}` below `x`), the
/// comparison made exactly for the two doubles (`exactlyAtLeast`). Tied scores
/// are one run, so they share a bin. The Hosmer–Lemeshow groups are the same
/// rule with `G = 10`.
struct CalibrationPartial {
    /// Sums of one equal-mass bin (or Hosmer–Lemeshow group).
    struct BinSums {
        var rows = 0
        /// `Σ w`, `Σ w·y`, `Σ w·x` and `Σ w·(1 − x)` (the last summed directly, not `W − Σ w·x`).
        var weight = CompensatedSum(), positive = CompensatedSum(), score = CompensatedSum(), complement = CompensatedSum()
        var lowest = Double.infinity, highest = -Double.infinity

        mutating func add(_ run: CalibrationWalk.Run) {
            let w = run.weight
            rows += run.rows
            weight.add(w)
            positive.add(run.positive)
            score.add(w * run.score)
            complement.add(w * (1 - run.score))
            lowest = Swift.min(lowest, run.score)
            highest = Swift.max(highest, run.score)
        }

        mutating func merge(_ other: BinSums) {
            rows += other.rows
            weight.merge(other.weight)
            positive.merge(other.positive)
            score.merge(other.score)
            complement.merge(other.complement)
            lowest = Swift.min(lowest, other.lowest)
            highest = Swift.max(highest, other.highest)
        }
    }

    /// A block of the isotonic fit: rows pooled to one fitted value `positive / weight`.
    struct IsotonicBlock {
        var positive: CompensatedSum
        var negative: CompensatedSum
        var lowest: Double
        var highest: Double
        var weight: Double { positive.value + negative.value }
        var mean: Double { positive.value / weight }

        init(_ run: CalibrationWalk.Run) {
            positive = CompensatedSum(run.positive)
            negative = CompensatedSum(run.negative)
            lowest = run.score
            highest = run.score
        }

        mutating func pool(_ later: IsotonicBlock) {
            positive.merge(later.positive)
            negative.merge(later.negative)
            highest = later.highest
        }
    }

    /// scikit-learn's `IsotonicRegression` first pools scores less than this
    /// far above the first score of their group (`np.finfo(float64).resolution`).
    static let poolingDistance = 1e-15

    /// The isotonic fit of a task's runs: its first and last groups of
    /// near-equal scores stay open (a group may continue into the next task,
    /// and a changed last group could undo pools), the groups between are
    /// pooled by PAV (pooling adjacent violators in any order reaches the
    /// same fit, so a task may pool its own).
    struct PoolSegment {
        var first: IsotonicBlock?
        var middle: [IsotonicBlock] = []
        var last: IsotonicBlock?

        mutating func add(_ run: CalibrationWalk.Run) {
            guard let open = last ?? first else { first = IsotonicBlock(run); return }
            if run.score - open.lowest < CalibrationPartial.poolingDistance {
                if last != nil { last!.pool(IsotonicBlock(run)) } else { first!.pool(IsotonicBlock(run)) }
                return
            }
            if let closed = last { PoolSegment.push(closed, onto: &middle) }
            last = IsotonicBlock(run)
        }

        /// PAV: pools the new block with the blocks before it while their
        /// fitted value is not below its own (scikit-learn pools ties too).
        static func push(_ block: IsotonicBlock, onto stack: inout [IsotonicBlock]) {
            var block = block
            while let top = stack.last, top.mean >= block.mean {
                stack.removeLast()
                var pooled = top
                pooled.pool(block)
                block = pooled
            }
            stack.append(block)
        }
    }

    let binCount: Int
    let groupCount: Int
    let binary: Bool
    let totalWeight: Double
    /// Weight of the rows before the next run.
    var below: CompensatedSum
    var bins: [BinSums]
    var groups: [BinSums]
    var spiegelhalterNumerator = CompensatedSum()
    var spiegelhalterDenominator = CompensatedSum()
    var pools = PoolSegment()
    var smooth = SmoothECEGrid()

    init(binCount: Int, groupCount: Int, binary: Bool, totalWeight: Double, weightBelow: CompensatedSum) {
        self.binCount = binCount
        self.groupCount = groupCount
        self.binary = binary
        self.totalWeight = totalWeight
        below = weightBelow
        bins = Array(repeating: BinSums(), count: binCount)
        groups = binary ? Array(repeating: BinSums(), count: groupCount) : []
    }

    mutating func add(_ run: CalibrationWalk.Run) {
        let c = below.value
        bins[CalibrationPartial.equalMassIndex(below: c, total: totalWeight, count: binCount)].add(run)
        smooth.add(score: run.score, weight: run.weight, positiveWeight: run.positive)
        if binary {
            groups[CalibrationPartial.equalMassIndex(below: c, total: totalWeight, count: groupCount)].add(run)
            // Spiegelhalter: Σ w(y − s)(1 − 2s) and Σ w(1 − 2s)² s(1 − s).
            let s = run.score, d = 1 - 2 * s
            spiegelhalterNumerator.add((run.positive - s * run.weight) * d)
            spiegelhalterDenominator.add(run.weight * d * d * s * (1 - s))
            pools.add(run)
        }
        below.add(run.weight)
    }

    /// Nothing to close: the open groups travel to the join.
    mutating func closeTask() {}

    /// The equal-mass bin of a score with `c` weight below it: `#{j ∈ 1…count−1 : c·count ≥ j·total}`.
    static func equalMassIndex(below c: Double, total: Double, count: Int) -> Int {
        guard total > 0 && total.isFinite else { return 0 }
        var j = Swift.min(count - 1, Swift.max(0, Int((c / total * Double(count)).rounded(.down))))
        while j < count - 1 && exactlyAtLeast(c, Double(count), Double(j + 1), total) { j += 1 }
        while j > 0 && !exactlyAtLeast(c, Double(count), Double(j), total) { j -= 1 }
        return j
    }

    /// Whether `a·b ≥ c·d` for the exact products of four doubles (each
    /// product as a rounded value and its exact error, by `fma`).
    static func exactlyAtLeast(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> Bool {
        let p = a * b, q = c * d
        let ep = (-p).addingProduct(a, b), eq = (-q).addingProduct(c, d)
        // p − q is exact when the two are within a factor 2 (Sterbenz); otherwise its sign decides.
        if p != q && (p > 2 * q || q > 2 * p || p <= 0 || q <= 0) { return p > q }
        return (p - q) + (ep - eq) >= 0
    }

    /// The partials of the tasks, joined in bucket order.
    struct Totals {
        var bins: [BinSums]
        var groups: [BinSums]
        var spiegelhalterNumerator = CompensatedSum()
        var spiegelhalterDenominator = CompensatedSum()
        /// The isotonic fit's closed blocks, and the last group while it may still grow.
        var blocks: [IsotonicBlock] = []
        var open: IsotonicBlock?
        var smooth = SmoothECEGrid()
        let totalWeight: Double

        init(binCount: Int, groupCount: Int, totalWeight: Double) {
            bins = Array(repeating: BinSums(), count: binCount)
            groups = Array(repeating: BinSums(), count: groupCount)
            self.totalWeight = totalWeight
        }

        mutating func join(_ partial: CalibrationPartial) {
            for b in bins.indices { bins[b].merge(partial.bins[b]) }
            for g in partial.groups.indices { groups[g].merge(partial.groups[g]) }
            spiegelhalterNumerator.merge(partial.spiegelhalterNumerator)
            spiegelhalterDenominator.merge(partial.spiegelhalterDenominator)
            smooth.merge(partial.smooth)
            guard var first = partial.pools.first else { return }
            // A group of near-equal scores that the task boundary cut is one group.
            // (Scores the task grouped from its own first score stay in that group.)
            if let previous = open {
                if first.lowest - previous.lowest < CalibrationPartial.poolingDistance {
                    var joined = previous
                    joined.pool(first)
                    first = joined
                } else {
                    PoolSegment.push(previous, onto: &blocks)
                }
            }
            guard let last = partial.pools.last else { open = first; return }
            PoolSegment.push(first, onto: &blocks)
            for block in partial.pools.middle { PoolSegment.push(block, onto: &blocks) }
            open = last
        }

        mutating func finish() {
            if let last = open { PoolSegment.push(last, onto: &blocks) }
            open = nil
        }
    }
}
