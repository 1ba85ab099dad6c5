/// What the sorted calibration walk (`CalibrationWalk`) sums over a run of
/// consecutive grid buckets (one bucket, or a task's range of them): the
/// partials join in bucket order into `Totals`.
///
/// Equal-mass bins follow SPEC section 9: with `C(x⁻)` the weight of the rows
/// scored below `x`, a run at score `x` falls in bin `#{j ∈ 1…B−1 : C(x⁻)·B ≥ j·W}`
/// (the number of edges `t_j = min{x_i : C(x_i) ≥ j·W/B}` below `x`), the
/// comparison made exactly for the two doubles (`exactlyAtLeast`). Tied scores
/// are one run, so they share a bin. The Hosmer–Lemeshow groups are the same
/// rule with `G = 10`.
struct CalibrationPartial {
    /// Sums of one equal-mass bin (or Hosmer–Lemeshow group): each batch's
    /// plain sums (`RunningSums`) folded into compensated totals.
    struct BinSums {
        var rows = 0
        /// `Σ w`, `Σ w·y`, `Σ w·x` and `Σ w·(1 − x)` (the last summed directly, not `W − Σ w·x`; used by the groups).
        var weight = CompensatedSum(), positive = CompensatedSum(), score = CompensatedSum(), complement = CompensatedSum()
        var lowest = Double.infinity, highest = -Double.infinity

        mutating func fold(_ sums: RunningSums) {
            guard sums.rows > 0 else { return }
            rows += sums.rows
            weight.add(sums.weight)
            positive.add(sums.positive)
            score.add(sums.score)
            complement.add(sums.complement)
            lowest = Swift.min(lowest, sums.lowest)
            highest = Swift.max(highest, sums.highest)
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

    /// Which equal-mass bin the runs fall in as the weight below them grows:
    /// the exact rule (`equalMassIndex`) runs only when the weight comes
    /// within a relative 1e-13 of the next edge `j·W/B`, so a run costs one comparison.
    struct EqualMassCursor {
        let count: Int
        let total: Double
        private(set) var bin: Int
        /// Below this weight no run reaches the next edge.
        private(set) var next: Double

        init(count: Int, total: Double, below c: Double) {
            self.count = count
            self.total = total
            bin = CalibrationPartial.equalMassIndex(below: c, total: total, count: count)
            next = 0
            next = threshold(bin + 1)
        }

        /// Below this weight no run reaches edge `j` (the rounding of `j·W/B` is far inside the margin).
        private func threshold(_ j: Int) -> Double {
            j >= count ? .infinity : Double(j) * total / Double(count) * (1 - 1e-13)
        }

        @inline(__always)
        mutating func advance(below c: Double) {
            guard c >= next else { return }
            let moved = CalibrationPartial.equalMassIndex(below: c, total: total, count: count)
            if moved != bin {
                bin = moved
                next = threshold(bin + 1)
            }
        }
    }

    /// A block of the isotonic fit (or a group of runs while it forms):
    /// rows pooled to one fitted value `mean = positive / weight`. Its sums
    /// are compensated (`CompensatedSum`; pooling merges them), and blocks
    /// compare their means by cross products, with no division (equal means
    /// may pool or not: the fitted values are the same).
    struct IsotonicBlock {
        var positive: CompensatedSum
        var negative: CompensatedSum
        var lowest: Double
        var highest: Double
        /// 0 when every row's outcome is 0, 1 when every row's is 1, else -1.
        private(set) var purity: Int
        var weight: Double { positive.value + negative.value }
        var mean: Double { positive.value / weight }

        @inline(__always)
        init(_ run: CalibrationWalk.Run) { self.init(run, purity: IsotonicBlock.purity(run)) }

        /// `init(run)` with the run's purity known (`IsotonicBlock.purity(run)`).
        @inline(__always)
        init(_ run: CalibrationWalk.Run, purity: Int) {
            positive = CompensatedSum(run.positive)
            negative = CompensatedSum(run.negative)
            lowest = run.score
            highest = run.score
            self.purity = purity
        }

        /// A pure block (`purity` 0 or 1) of the given weight.
        @inline(__always)
        init(pure weight: CompensatedSum, purity: Int, lowest: Double, highest: Double) {
            positive = purity == 1 ? weight : CompensatedSum()
            negative = purity == 1 ? CompensatedSum() : weight
            self.lowest = lowest
            self.highest = highest
            self.purity = purity
        }

        /// A run's purity, without branches: 0 when `positive` is 0, 1 when only `negative` is, else -1.
        @inline(__always)
        static func purity(_ run: CalibrationWalk.Run) -> Int {
            let hasPositive = nonzero(run.positive), hasNegative = nonzero(run.negative)
            return hasPositive &- 2 &* (hasPositive & hasNegative)
        }

        /// 1 when `x` is not ±0 (NaN included), else 0, in integer operations
        /// (a floating-point compare turned into a select compiles to branches
        /// that a run's random outcome mispredicts).
        @inline(__always)
        static func nonzero(_ x: Double) -> Int {
            let magnitude = x.bitPattern &<< 1
            return Int(truncatingIfNeeded: (magnitude | (0 &- magnitude)) >> 63)
        }

        /// Adds a run of the same group (a score less than `poolingDistance` above `lowest`).
        @inline(__always)
        mutating func add(_ run: CalibrationWalk.Run) { add(run, purity: IsotonicBlock.purity(run), CompensatedPooling.self) }

        /// `add(run)` with the run's purity known (`IsotonicBlock.purity(run)`).
        @inline(__always)
        mutating func add<A: PoolArithmetic>(_ run: CalibrationWalk.Run, purity runPurity: Int, _: A.Type) {
            A.add(&positive, run.positive)
            A.add(&negative, run.negative)
            highest = run.score
            if purity != runPurity { purity = -1 }
        }

        @inline(__always)
        mutating func pool(_ later: IsotonicBlock) { pool(later, CompensatedPooling.self) }

        @inline(__always)
        mutating func pool<A: PoolArithmetic>(_ later: IsotonicBlock, _: A.Type) {
            A.merge(&positive, later.positive)
            A.merge(&negative, later.negative)
            highest = later.highest
            if purity != later.purity { purity = -1 }
        }

        /// Whether this block's mean is at least `other`'s: `p·w' ≥ p'·w`.
        @inline(__always)
        func meanIsAtLeast(_ other: IsotonicBlock) -> Bool { meanIsAtLeast(other, CompensatedPooling.self) }

        @inline(__always)
        func meanIsAtLeast<A: PoolArithmetic>(_ other: IsotonicBlock, _: A.Type) -> Bool {
            A.value(positive) * (A.value(other.positive) + A.value(other.negative))
                >= A.value(other.positive) * (A.value(positive) + A.value(negative))
        }
    }

    /// How the isotonic fit adds and compares its blocks' sums.
    protocol PoolArithmetic {
        static func add(_ sum: inout CompensatedSum, _ x: Double)
        static func merge(_ sum: inout CompensatedSum, _ other: CompensatedSum)
        static func value(_ sum: CompensatedSum) -> Double
    }

    /// Any weights: compensated sums.
    enum CompensatedPooling: PoolArithmetic {
        @inline(__always) static func add(_ sum: inout CompensatedSum, _ x: Double) { sum.add(x) }
        @inline(__always) static func merge(_ sum: inout CompensatedSum, _ other: CompensatedSum) { sum.merge(other) }
        @inline(__always) static func value(_ sum: CompensatedSum) -> Double { sum.value }
    }

    /// Unit weights: every sum is a count of rows, an integer below 2⁵³, so
    /// each compensated add is exact and leaves the compensation at +0, and
    /// the value is the running sum. Plain adds of the running sums then give
    /// the same bits as `CompensatedPooling`, without its branches.
    enum CountPooling: PoolArithmetic {
        @inline(__always) static func add(_ sum: inout CompensatedSum, _ x: Double) { sum.sum += x }
        @inline(__always) static func merge(_ sum: inout CompensatedSum, _ other: CompensatedSum) { sum.sum += other.sum }
        @inline(__always) static func value(_ sum: CompensatedSum) -> Double { sum.sum }
    }

    /// scikit-learn's `IsotonicRegression` first pools scores less than this
    /// far above the first score of their group (`np.finfo(float64).resolution`).
    static let poolingDistance = 1e-15

    /// The isotonic fit of a task's runs: its first and last groups of
    /// near-equal scores stay open (a group may continue into the next task,
    /// and a changed last group could undo pools), the groups between are
    /// pooled by PAV (pooling adjacent violators in any order reaches the
    /// same fit, so a task may pool its own).
    ///
    /// Closed groups of one outcome only (all 0 or all 1) wait in `pending`
    /// and pool there: PAV pools such neighbours anyway (their means are
    /// equal), so the stack sees a block per change of outcome, not per
    /// score. The stack's top block is kept apart (`top`), so that the common
    /// push (pool into the top, compare with the block below) touches no array.
    struct PoolSegment {
        private(set) var first: IsotonicBlock?
        /// The closed blocks (non-decreasing means).
        private var stack = PoolStack()
        /// The pending pure block: its weight (of its one outcome), purity (-2: none) and scores.
        private var pendingWeight = CompensatedSum()
        private var pendingPurity = -2
        private var pendingLowest = 0.0, pendingHighest = 0.0
        private var current = IsotonicBlock(CalibrationWalk.Run(score: 0, positive: 0, negative: 0, rows: 0))
        private var hasCurrent = false

        /// The last group, open (`nil` while the first group is the only one).
        var last: IsotonicBlock? { hasCurrent ? current : nil }

        /// Empties the segment as a new one, keeping the stack's storage (`CalibrationPartial.restart`).
        mutating func restart() {
            first = nil
            stack.below.removeAll(keepingCapacity: true)
            stack.hasTop = false
            pendingWeight = CompensatedSum()
            pendingPurity = -2
            pendingLowest = 0
            pendingHighest = 0
            hasCurrent = false
            // `stack.top` and `current` are read only while `hasTop` and `hasCurrent` hold.
        }

        /// A PAV stack whose top block is kept apart from the array below it.
        struct PoolStack {
            var below: [IsotonicBlock] = []
            var top = IsotonicBlock(CalibrationWalk.Run(score: 0, positive: 0, negative: 0, rows: 0))
            var hasTop = false

            var blocks: [IsotonicBlock] { hasTop ? below + [top] : below }
        }

        /// `PoolStack` while `scan` runs: the blocks below the top in a buffer
        /// of its own (no array checks a push), handed back as an array at the end.
        struct ScanStack {
            private var pointer: UnsafeMutablePointer<IsotonicBlock>
            private var count: Int
            private var capacity: Int
            private var top: IsotonicBlock
            private var hasTop: Bool

            init(_ stack: PoolStack) {
                let size = stack.below.count, room = Swift.max(64, 2 * size)
                let buffer = UnsafeMutablePointer<IsotonicBlock>.allocate(capacity: room)
                stack.below.withUnsafeBufferPointer { if let base = $0.baseAddress { buffer.initialize(from: base, count: size) } }
                pointer = buffer
                capacity = room
                count = size
                top = stack.top
                hasTop = stack.hasTop
            }

            /// The stack as a `PoolStack`; the buffer is freed.
            func finish() -> PoolStack {
                defer { pointer.deallocate() }
                return PoolStack(below: Array(UnsafeBufferPointer(start: pointer, count: count)), top: top, hasTop: hasTop)
            }

            /// PAV: pools `block` into the top while the top's fitted value is not below its own
            /// (scikit-learn pools ties too), then the top into the blocks below it while they violate.
            @inline(__always)
            mutating func push<A: PoolArithmetic>(_ block: IsotonicBlock, _ arithmetic: A.Type) {
                guard hasTop else { top = block; hasTop = true; return }
                guard top.meanIsAtLeast(block, arithmetic) else {
                    if count == capacity { grow() }
                    (pointer + count).initialize(to: top)
                    count += 1
                    top = block
                    return
                }
                top.pool(block, arithmetic)
                while count > 0 && pointer[count - 1].meanIsAtLeast(top, arithmetic) {
                    var merged = pointer[count - 1]
                    merged.pool(top, arithmetic)
                    top = merged
                    count -= 1
                }
            }

            @inline(never)
            private mutating func grow() {
                let larger = UnsafeMutablePointer<IsotonicBlock>.allocate(capacity: 2 * capacity)
                larger.moveInitialize(from: pointer, count: count)
                pointer.deallocate()
                pointer = larger
                capacity *= 2
            }
        }

        /// Adds runs, lowest score first, in one loop with the state in locals;
        /// `counts` when every row weighs 1 (`CountPooling`).
        mutating func add(_ runs: UnsafeBufferPointer<CalibrationWalk.Run>, counts: Bool = false) {
            var source = BufferRuns(runs: runs)
            if counts { add(&source, CountPooling.self) } else { add(&source, CompensatedPooling.self) }
        }

        /// `add(runs, counts: true)` of the runs of `count` sorted keys of
        /// unit weight (`CalibrationWalk.runs(keys:weights:count:into:)`),
        /// formed from the keys as the fit reads them (`KeyRuns`), never
        /// written out.
        mutating func addUnitKeys(_ keys: UnsafePointer<UInt64>, count: Int) {
            var source = KeyRuns(keys: keys, count: count)
            add(&source, CountPooling.self)
        }

        @inline(__always)
        private mutating func add<S: PoolRuns, A: PoolArithmetic>(_ runs: inout S, _ arithmetic: A.Type) {
            // The first group stays open: runs join it until one is `poolingDistance` above its lowest score.
            if !hasCurrent {
                while runs.hasNext {
                    let (run, _) = runs.next()
                    if first == nil {
                        first = IsotonicBlock(run)
                    } else if run.score - first!.lowest < CalibrationPartial.poolingDistance {
                        first!.add(run)
                    } else {
                        current = IsotonicBlock(run)
                        hasCurrent = true
                        break
                    }
                }
            }
            guard runs.hasNext else { return }
            var stack = ScanStack(self.stack)
            let start = ScanState(current: current, pendingWeight: pendingWeight, pendingPurity: pendingPurity,
                                  pendingLowest: pendingLowest, pendingHighest: pendingHighest)
            let state = PoolSegment.scan(&runs, state: start, stack: &stack, arithmetic)
            self.stack = stack.finish()
            current = state.current
            pendingWeight = state.pendingWeight
            pendingPurity = state.pendingPurity
            pendingLowest = state.pendingLowest
            pendingHighest = state.pendingHighest
        }

        /// The open group and the pending block, as `scan` carries them.
        struct ScanState {
            var current: IsotonicBlock
            var pendingWeight: CompensatedSum
            var pendingPurity: Int
            var pendingLowest: Double
            var pendingHighest: Double
        }

        /// The groups after the first: closed groups into `pending` or onto the stack.
        /// A function of its own, so that its state stays in registers (not in `self`).
        @inline(never)
        private static func scan<S: PoolRuns, A: PoolArithmetic>(_ runs: inout S, state: ScanState, stack: inout ScanStack,
                                                                 _ arithmetic: A.Type) -> ScanState {
            var current = state.current
            var pendingWeight = state.pendingWeight, pendingPurity = state.pendingPurity
            var pendingLowest = state.pendingLowest, pendingHighest = state.pendingHighest
            let distance = CalibrationPartial.poolingDistance
            while runs.hasNext {
                let (run, runPurity) = runs.next()
                if run.score - current.lowest < distance {
                    current.add(run, purity: runPurity, arithmetic)
                    continue
                }
                // `current` is closed: into `pending` while the outcome stays pure (its other sum is exactly 0,
                // so the two sums' total is its weight), else onto the stack.
                let purity = current.purity
                if purity == pendingPurity {
                    A.add(&pendingWeight, A.value(current.positive) + A.value(current.negative))
                    pendingHighest = current.highest
                } else {
                    if pendingPurity >= 0 {
                        stack.push(IsotonicBlock(pure: pendingWeight, purity: pendingPurity, lowest: pendingLowest, highest: pendingHighest),
                                   arithmetic)
                    }
                    if purity >= 0 {
                        pendingWeight = CompensatedSum(A.value(current.positive) + A.value(current.negative))
                        pendingLowest = current.lowest
                        pendingHighest = current.highest
                    } else {
                        stack.push(current, arithmetic)
                    }
                    pendingPurity = purity >= 0 ? purity : -2
                }
                current = IsotonicBlock(run, purity: runPurity)
            }
            return ScanState(current: current, pendingWeight: pendingWeight, pendingPurity: pendingPurity,
                             pendingLowest: pendingLowest, pendingHighest: pendingHighest)
        }

        /// The closed blocks, `pending` pushed.
        var closedBlocks: [IsotonicBlock] {
            var blocks = stack.blocks
            if pendingPurity >= 0 {
                PoolSegment.push(IsotonicBlock(pure: pendingWeight, purity: pendingPurity, lowest: pendingLowest, highest: pendingHighest),
                                 onto: &blocks)
            }
            return blocks
        }

        /// PAV: pools the new block into the blocks before it while their
        /// fitted value is not below its own (scikit-learn pools ties too),
        /// in place at the top of the stack.
        static func push(_ block: IsotonicBlock, onto stack: inout [IsotonicBlock]) {
            guard let top = stack.last, top.meanIsAtLeast(block) else {
                stack.append(block)
                return
            }
            stack[stack.count - 1].pool(block)
            while stack.count > 1 && stack[stack.count - 2].meanIsAtLeast(stack[stack.count - 1]) {
                let later = stack.removeLast()
                stack[stack.count - 1].pool(later)
            }
        }
    }

    /// Runs in ascending order of scores, each with its purity
    /// (`IsotonicBlock.purity`), as the isotonic fit reads them.
    protocol PoolRuns {
        var hasNext: Bool { get }
        mutating func next() -> (run: CalibrationWalk.Run, purity: Int)
    }

    /// Runs from a buffer.
    struct BufferRuns: PoolRuns {
        let runs: UnsafeBufferPointer<CalibrationWalk.Run>
        var i = 0
        var hasNext: Bool { i < runs.count }
        @inline(__always)
        mutating func next() -> (run: CalibrationWalk.Run, purity: Int) {
            let run = runs[i]
            i &+= 1
            return (run, IsotonicBlock.purity(run))
        }
    }

    /// The runs of sorted keys of unit weight, formed as they are read (the
    /// one place that forms them: `CalibrationWalk.runs(keys:weights:count:into:)`,
    /// `addUnitKeys` and the isotonic fit all read them here). A run of
    /// one row (distinct scores) has `y` and `1 − y` for sums and its label
    /// bit for its purity (1 when positive, else 0: `IsotonicBlock.purity`).
    struct KeyRuns: PoolRuns {
        let keys: UnsafePointer<UInt64>
        let count: Int
        var i = 0
        var hasNext: Bool { i < count }
        @inline(__always)
        mutating func next() -> (run: CalibrationWalk.Run, purity: Int) {
            let score = keys[i] >> 1
            if i &+ 1 == count || keys[i &+ 1] >> 1 != score {
                let label = Int(truncatingIfNeeded: keys[i] & 1), y = Double(label)
                i &+= 1
                return (CalibrationWalk.Run(score: Double(bitPattern: score), positive: y, negative: 1 - y, rows: 1), label)
            }
            let start = i
            var ones = 0
            repeat {
                ones &+= Int(truncatingIfNeeded: keys[i] & 1)
                i &+= 1
            } while i < count && keys[i] >> 1 == score
            let run = CalibrationWalk.Run(score: Double(bitPattern: score), positive: Double(ones), negative: Double(i - start - ones),
                                          rows: i - start)
            return (run, IsotonicBlock.purity(run))
        }
    }

    let binCount: Int
    let groupCount: Int
    let binary: Bool
    private(set) var totalWeight: Double
    /// Whether every row weighs 1: the weight below is then a count (an integer sum, exact).
    let unitWeights: Bool
    /// Weight of the rows before the next run.
    var below: CompensatedSum
    /// The bins (and groups) the runs fell in, ascending, with their sums.
    var bins: [(index: Int, sums: BinSums)] = []
    var groups: [(index: Int, sums: BinSums)] = []
    var spiegelhalterNumerator = CompensatedSum()
    var spiegelhalterDenominator = CompensatedSum()
    var pools = PoolSegment()
    /// The smooth ECE's grid deposits of the runs.
    var smooth = SmoothDeposits()
    var binCursor: EqualMassCursor
    var groupCursor: EqualMassCursor

    init(binCount: Int, groupCount: Int, binary: Bool, totalWeight: Double, unitWeights: Bool, weightBelow: CompensatedSum) {
        self.unitWeights = unitWeights
        self.binCount = binCount
        self.groupCount = groupCount
        self.binary = binary
        self.totalWeight = totalWeight
        below = weightBelow
        binCursor = EqualMassCursor(count: binCount, total: totalWeight, below: weightBelow.value)
        groupCursor = EqualMassCursor(count: groupCount, total: totalWeight, below: weightBelow.value)
    }

    /// This partial as `init` makes it with the same bins, groups and task,
    /// for a column of `totalWeight` and starting at `weightBelow`, but with
    /// its arrays' storage kept: the bootstrap walks each replicate's grid
    /// buckets as some 500 partials (`ReplicateWalk`), which one partial
    /// restarted serves without allocating a dozen arrays for each.
    mutating func restart(totalWeight: Double, weightBelow: CompensatedSum) {
        self.totalWeight = totalWeight
        below = weightBelow
        bins.removeAll(keepingCapacity: true)
        groups.removeAll(keepingCapacity: true)
        spiegelhalterNumerator = CompensatedSum()
        spiegelhalterDenominator = CompensatedSum()
        pools.restart()
        smooth.restart()
        binCursor = EqualMassCursor(count: binCount, total: totalWeight, below: weightBelow.value)
        groupCursor = EqualMassCursor(count: groupCount, total: totalWeight, below: weightBelow.value)
    }

    /// Folds a batch's plain sums into bin `index`'s entry (the last one, or a new one after it).
    private static func fold(_ sums: RunningSums, into entries: inout [(index: Int, sums: BinSums)], at index: Int) {
        guard sums.rows > 0 else { return }
        if entries.last?.index != index { entries.append((index, BinSums())) }
        entries[entries.count - 1].sums.fold(sums)
    }

    /// Adds a bucket's runs, lowest score first, in three tight loops over
    /// them: the equal-mass bins and groups with the Spiegelhalter sums, the
    /// smooth ECE's deposits (`SmoothDeposits`), and (binary) the isotonic
    /// fit (`PoolSegment`). Within the batch the sums of the rows since the
    /// last edge of a bin or a group (`RunningSums`) and Spiegelhalter's are
    /// plain sums in locals (a bucket holds a few thousand runs), folded into
    /// the compensated totals of the bin and the group at an edge and at the
    /// end; the weight below, which places the edges, stays compensated (or a
    /// count, with unit weights).
    mutating func add(_ runs: UnsafeBufferPointer<CalibrationWalk.Run>) {
        guard let lowest = runs.first, let highest = runs.last else { return }
        var walker = BinWalker(&self)
        for run in runs { walker.add(run) }
        walker.finish(into: &self)
        smooth.deposit(lowest: lowest.score, highest: highest.score) { cursor in
            for run in runs { cursor.add(score: run.score, positive: run.positive, negative: run.negative) }
        }
        if binary { pools.add(runs, counts: unitWeights) }
    }

    /// `add(runs)` of the runs of `count` sorted keys of unit weight
    /// (`CalibrationWalk.runs(keys:weights:count:into:)`) in one pass over
    /// the keys: each run feeds the bins, groups and Spiegelhalter sums and
    /// the smooth ECE's deposits as it is formed (each sum takes the same
    /// terms in the same order as `add`'s loops; a run of one row, of weight
    /// exactly 1, skips the products by its weight: `addOne`); the isotonic
    /// fit (binary) then reads the same runs from the keys again
    /// (`PoolSegment.addUnitKeys`), in a loop of its own (its state and this
    /// pass's would not fit the registers together), instead of a buffer of
    /// runs four times the keys' size.
    mutating func addUnitKeys(_ keys: UnsafePointer<UInt64>, count: Int) {
        guard count > 0 else { return }
        precondition(unitWeights, "keys of unit weight")
        var walker = BinWalker(&self)
        smooth.deposit(lowest: Double(bitPattern: keys[0] >> 1), highest: Double(bitPattern: keys[count - 1] >> 1)) { cursor in
            var runs = KeyRuns(keys: keys, count: count)
            while runs.hasNext {
                let run = runs.next().run
                if run.rows == 1 {
                    // One row (the common case with distinct scores): its weight `y + (1 − y)` is exactly 1.
                    walker.addOne(score: run.score, positive: run.positive)
                    cursor.addOne(score: run.score, positive: run.positive)
                } else {
                    walker.add(run)
                    cursor.add(score: run.score, positive: run.positive, negative: run.negative)
                }
            }
        }
        walker.finish(into: &self)
        if binary { pools.addUnitKeys(keys, count: count) }
    }

    /// The bins, groups and Spiegelhalter sums of a batch of runs, in
    /// locals (see `add`): built from the partial, fed run by run, written back by `finish`.
    struct BinWalker {
        var below: CompensatedSum
        let unit: Bool
        let binary: Bool
        var count: Int
        var binCursor: EqualMassCursor
        var groupCursor: EqualMassCursor
        var segment = RunningSums()
        var numerator = 0.0, denominator = 0.0
        /// Below this weight no run reaches the next edge of a bin (or a group).
        var limit: Double
        var bins: [(index: Int, sums: BinSums)]
        var groups: [(index: Int, sums: BinSums)]

        /// The partial's state; its bins and groups are moved out (`finish` moves them back).
        init(_ partial: inout CalibrationPartial) {
            below = partial.below
            unit = partial.unitWeights
            binary = partial.binary
            count = unit ? Int(below.value) : 0
            binCursor = partial.binCursor
            groupCursor = partial.groupCursor
            limit = binary ? Swift.min(binCursor.next, groupCursor.next) : binCursor.next
            bins = []
            groups = []
            swap(&bins, &partial.bins)
            swap(&groups, &partial.groups)
        }

        @inline(__always)
        mutating func add(_ run: CalibrationWalk.Run) {
            let c = unit ? Double(count) : below.value
            if c >= limit { crossEdge(c) }
            let w = run.weight
            segment.add(run, weight: w)
            if unit { count &+= run.rows } else { below.add(w) }
            if binary {
                // Spiegelhalter: Σ w(y − s)(1 − 2s) and Σ w(1 − 2s)² s(1 − s).
                let x = run.score
                let d = 1 - 2 * x
                numerator += (run.positive - x * w) * d
                denominator += w * d * d * x * (1 - x)
            }
        }

        /// `add` of a run of one row of unit weight (`unit`), score `x` and
        /// outcome `y` (0 or 1): its weight `w = y + (1 − y)` is exactly 1,
        /// so each product by `w` is its other factor, bit for bit, and is left out.
        @inline(__always)
        mutating func addOne(score x: Double, positive y: Double) {
            let c = Double(count)
            if c >= limit { crossEdge(c) }
            segment.addOne(score: x, positive: y)
            count &+= 1
            if binary {
                let d = 1 - 2 * x
                numerator += (y - x) * d
                denominator += d * d * x * (1 - x)
            }
        }

        /// A run whose weight below may reach the next edge: the sums since the last edge are folded when it does.
        @inline(never)
        private mutating func crossEdge(_ c: Double) {
            let binBefore = binCursor.bin, groupBefore = groupCursor.bin
            binCursor.advance(below: c)
            if binary { groupCursor.advance(below: c) }
            if binCursor.bin != binBefore || groupCursor.bin != groupBefore {
                CalibrationPartial.fold(segment, into: &bins, at: binBefore)
                if binary { CalibrationPartial.fold(segment, into: &groups, at: groupBefore) }
                segment = RunningSums()
            }
            limit = binary ? Swift.min(binCursor.next, groupCursor.next) : binCursor.next
        }

        /// The batch's last sums folded, and the state written back to `partial`.
        mutating func finish(into partial: inout CalibrationPartial) {
            if unit { below = CompensatedSum(Double(count)) }
            CalibrationPartial.fold(segment, into: &bins, at: binCursor.bin)
            if binary {
                CalibrationPartial.fold(segment, into: &groups, at: groupCursor.bin)
                partial.spiegelhalterNumerator.add(numerator)
                partial.spiegelhalterDenominator.add(denominator)
            }
            partial.below = below
            partial.binCursor = binCursor
            partial.groupCursor = groupCursor
            swap(&partial.bins, &bins)
            swap(&partial.groups, &groups)
        }
    }

    /// The plain sums of a batch's runs since the last edge of a bin or a group.
    struct RunningSums {
        var rows = 0
        var weight = 0.0, positive = 0.0, score = 0.0, complement = 0.0
        var lowest = Double.infinity, highest = -Double.infinity

        @inline(__always)
        mutating func add(_ run: CalibrationWalk.Run, weight w: Double) {
            rows &+= run.rows
            weight += w
            positive += run.positive
            score += w * run.score
            complement += w * (1 - run.score)
            if run.score < lowest { lowest = run.score }
            highest = run.score
        }

        /// `add` of a run of one row of weight 1 (see `BinWalker.addOne`).
        @inline(__always)
        mutating func addOne(score x: Double, positive y: Double) {
            rows &+= 1
            weight += 1
            positive += y
            score += x
            complement += 1 - x
            if x < lowest { lowest = x }
            highest = x
        }
    }

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
        /// The smooth ECE's grid: the partials' deposits added in bucket order.
        var smooth = SmoothECEGrid()
        let totalWeight: Double

        init(binCount: Int, groupCount: Int, totalWeight: Double) {
            bins = Array(repeating: BinSums(), count: binCount)
            groups = Array(repeating: BinSums(), count: groupCount)
            self.totalWeight = totalWeight
        }

        mutating func join(_ partial: CalibrationPartial) {
            for (b, sums) in partial.bins { bins[b].merge(sums) }
            for (g, sums) in partial.groups { groups[g].merge(sums) }
            spiegelhalterNumerator.merge(partial.spiegelhalterNumerator)
            spiegelhalterDenominator.merge(partial.spiegelhalterDenominator)
            smooth.add(partial.smooth)
            guard var first = partial.pools.first else { return }
            // A group of near-equal scores that a partial's boundary cut is one group.
            // (Scores the partial grouped from its own first score stay in that group.)
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
            for block in partial.pools.closedBlocks { PoolSegment.push(block, onto: &blocks) }
            open = last
        }

        mutating func finish() {
            if let last = open { PoolSegment.push(last, onto: &blocks) }
            open = nil
        }
    }
}
