/// The ascending walk over the headline column of the exact score store
/// for the estimators of SPEC section 9 that need sorted scores: the
/// equal-mass bins (`equalMassECE`, `debiasedL2ECE`), the Hosmer–Lemeshow
/// groups, the Spiegelhalter sums, the isotonic (PAV) fit of the CORP
/// decomposition and the smooth ECE's grid (which needs no order, but the
/// sorted runs deposit on a few neighbouring nodes at a time).
///
/// A binary task's positive column is sorted once: the ranking walk, which
/// gathers and radix-sorts every grid bucket anyway, hands each sorted
/// bucket to `partial(sortedKeys:…)` (`ScoreStore.takeRankingAndCalibration`);
/// the few buckets it walks in parts (above `ScoreStore.gatherLimit` keys)
/// and a multiclass task's headline column are walked here, bucket ranges
/// by tasks. Either way each bucket (or range) becomes a
/// `CalibrationPartial` started from the exact weight below it, and the
/// partials join in bucket order, so the result depends on the data only,
/// never on the runner or the thread count. A binary column's logistic fits
/// sum their cells' moments before the ranking walks (`FitCells`): with unit
/// weights that pass counts each bucket's positive and negative rows
/// exactly, which the ranking takes instead of counting them again.
struct CalibrationWalk: Sendable {
    /// A bucket's (or a range's, from its first bucket) partial. A struct,
    /// not a tuple: a tuple of these is copied through the runtime's generic
    /// witnesses wherever the join reads one.
    struct BucketPartial {
        let bucket: Int
        let partial: CalibrationPartial
    }

    /// One run of rows sharing a score, in ascending order of scores.
    struct Run {
        var score: Double
        /// Weight of the rows whose outcome is 1 (positive label, or correct top label).
        var positive: Double
        /// Weight of the rows whose outcome is 0.
        var negative: Double
        var rows: Int
        var weight: Double { positive + negative }
    }

    /// SPEC section 9: Hosmer–Lemeshow uses 10 equal-mass groups.
    static let hosmerLemeshowGroups = 10

    /// The rows a range of buckets takes when a walk splits its column into
    /// ranges (about 1/16 of `rows` each, a range closing at the bucket that
    /// reaches it): `walk`'s tasks, and `ReplicateWalk`'s partials, which must match them.
    static func rangeShare(rows: Int) -> Int { Swift.max(1, rows / 16) }

    let binCount: Int
    let groupCount: Int
    /// Whether the column holds a binary task's positive score (the tests and
    /// the decomposition are for binary tasks only).
    let binary: Bool
    /// Rows per grid bucket.
    let sizes: [Int]
    /// The weight of the rows in the buckets below each bucket (exact prefix sums).
    let below: [CompensatedSum]
    /// `W`, the column's total weight.
    let totalWeight: Double
    /// Whether every row of the column weighs 1.
    let unitWeights: Bool

    /// The walk of one column's pieces: bucket sizes, and the weight below each bucket.
    init(_ pieces: [ExactScores.Piece], binCount: Int, binary: Bool) {
        self.binCount = binCount
        groupCount = CalibrationWalk.hosmerLemeshowGroups
        self.binary = binary
        let buckets = ExactScores.grid.bucketCount
        let sizes = ExactScores.bucketSizes(pieces)
        var below = [CompensatedSum](repeating: CompensatedSum(), count: buckets)
        var running = CompensatedSum()
        unitWeights = !pieces.contains { $0.weights != nil }
        if !unitWeights {
            var bucketWeights = [CompensatedSum](repeating: CompensatedSum(), count: buckets)
            for piece in pieces {
                piece.starts.withUnsafeBufferPointer { starts in
                    for b in 0..<buckets where starts[b] < starts[b + 1] {
                        for i in Int(starts[b])..<Int(starts[b + 1]) { bucketWeights[b].add(piece.weights?[i] ?? 1) }
                    }
                }
            }
            for b in 0..<buckets {
                below[b] = running
                running.merge(bucketWeights[b])
            }
        } else {
            for b in 0..<buckets {
                below[b] = running
                running.add(Double(sizes[b]))
            }
        }
        self.sizes = sizes
        self.below = below
        totalWeight = running.value
    }

    /// An empty partial starting at bucket `b`.
    func partial(startingAt b: Int) -> CalibrationPartial {
        CalibrationPartial(binCount: binCount, groupCount: groupCount, binary: binary, totalWeight: totalWeight,
                           unitWeights: unitWeights, weightBelow: below[b])
    }

    /// Bucket `b`'s partial from its keys sorted in place (the ranking walk's buffer).
    func partial(bucket b: Int, sortedKeys keys: UnsafePointer<UInt64>, weights: UnsafePointer<Double>?, count: Int) -> CalibrationPartial {
        var partial = partial(startingAt: b)
        guard weights != nil else {
            partial.addUnitKeys(keys, count: count)
            return partial
        }
        withUnsafeTemporaryAllocation(of: Run.self, capacity: Swift.max(1, count)) { buffer in
            let runs = CalibrationWalk.runs(keys: keys, weights: weights, count: count, into: buffer.baseAddress!)
            partial.add(UnsafeBufferPointer(start: buffer.baseAddress!, count: runs))
        }
        return partial
    }

    /// Walks `buckets` (ascending; all non-empty ones by default) with its own
    /// gathering and sorting, a task per run of buckets of about equal rows
    /// (a fixed split). Returns the partials with the first bucket of each.
    func walk(_ pieces: [ExactScores.Piece], only buckets: [Int]? = nil, runner: RankingRunner?) -> [BucketPartial] {
        let chosen = buckets ?? sizes.indices.filter { sizes[$0] > 0 }
        guard !chosen.isEmpty else { return [] }
        // With a subset (the ranking walked the rest), one partial per bucket; else ranges of about 1/16 of the rows.
        var ranges: [ArraySlice<Int>] = []
        if buckets != nil {
            ranges = chosen.indices.map { chosen[$0...$0] }
        } else {
            let share = CalibrationWalk.rangeShare(rows: chosen.reduce(0) { $0 + sizes[$1] })
            var first = 0, filled = 0
            for (i, b) in chosen.enumerated() {
                filled += sizes[b]
                if filled >= share || i == chosen.count - 1 { ranges.append(chosen[first...i]); first = i + 1; filled = 0 }
            }
        }
        let weighted = pieces.contains { $0.weights != nil }
        let views = PieceView.views(of: pieces)
        defer { withExtendedLifetime(pieces) {} }
        let taskRanges = ranges, walk = self
        let windowed = buckets == nil && !weighted
        var partials = [CalibrationPartial?](repeating: nil, count: taskRanges.count)
        partials.withUnsafeMutableBufferPointer { out in
            let shared = SendablePointer(out.baseAddress!)
            let body: @Sendable (Int) -> Void = { task in
                let range = taskRanges[task]
                var partial = walk.partial(startingAt: range.first!)
                let largest = Swift.min(range.map { walk.sizes[$0] }.max() ?? 0, ScoreStore.gatherLimit)
                let scratchCount = Swift.min(largest, RadixSort.inPlaceAbove)
                let words = Swift.max(1, (largest + scratchCount) * (weighted ? 2 : 1))
                // Unit weights over all buckets: runs of the range's buckets copied out piece by piece (`BucketWindow`).
                let room = windowed ? range.reduce(0) { $0 + walk.sizes[$1] } : 0
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { memory in
                withUnsafeTemporaryAllocation(of: Run.self, capacity: Swift.max(1, largest)) { runBuffer in
                BucketWindow.with(keys: room) { window in
                    let runs = runBuffer.baseAddress!
                    let keys = memory.baseAddress!, scratch = keys + largest
                    let weights = weighted ? UnsafeMutableRawPointer(scratch + scratchCount).assumingMemoryBound(to: Double.self) : nil
                    let weightScratch = weights.map { $0 + largest }
                    for b in range where walk.sizes[b] > 0 {
                        let parts = walk.sizes[b] > ScoreStore.gatherLimit
                            ? ScoreStore.parts(of: b, views).reversed()
                            : [ScoreStore.BucketPart(digits: nil, count: walk.sizes[b])]
                        for part in parts {
                            if part.digits == nil, window.fits(part.count) {
                                let count = window.sorted(bucket: b, count: part.count, toward: range.last!, sizes: walk.sizes, views,
                                                          keys: keys, scratch: scratch)
                                partial.addUnitKeys(keys, count: count)
                            } else if part.count <= largest, weights == nil {
                                let count = ScoreStore.gatherSorted(part, bucket: b, views, keys: keys, scratch: scratch, weights: nil,
                                                                    weightScratch: nil)
                                partial.addUnitKeys(keys, count: count)
                            } else if part.count <= largest {
                                let count = CalibrationWalk.sortedRuns(of: part, bucket: b, views, keys: keys, scratch: scratch,
                                                                       weights: weights, weightScratch: weightScratch, into: runs)
                                partial.add(UnsafeBufferPointer(start: runs, count: count))
                            } else if part.digits == nil {
                                // A large bucket of one score (all 0, say): one run, summed where its keys lie.
                                var run = Run(score: 0, positive: 0, negative: 0, rows: 0)
                                var p = CompensatedSum(), n = CompensatedSum()
                                for piece in views {
                                    for i in Int(piece.starts[b])..<Int(piece.starts[b + 1]) {
                                        let w = piece.weights?[i] ?? 1
                                        if piece.keys[i] & 1 == 1 { p.add(w) } else { n.add(w) }
                                        run.score = Double(bitPattern: piece.keys[i] >> 1)
                                        run.rows += 1
                                    }
                                }
                                run.positive = p.value
                                run.negative = n.value
                                withUnsafePointer(to: run) { partial.add(UnsafeBufferPointer(start: $0, count: 1)) }
                            } else {
                                // A part longer than the shared buffer (a score repeated past the limit): its own buffer.
                                let size = part.count, scratchSize = Swift.min(size, RadixSort.inPlaceAbove)
                                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: (size + scratchSize) * (weighted ? 2 : 1)) { big in
                                withUnsafeTemporaryAllocation(of: Run.self, capacity: size) { bigRuns in
                                    let k = big.baseAddress!, ks = k + size
                                    let w = weighted ? UnsafeMutableRawPointer(ks + scratchSize).assumingMemoryBound(to: Double.self) : nil
                                    let count = CalibrationWalk.sortedRuns(of: part, bucket: b, views, keys: k, scratch: ks, weights: w,
                                                                           weightScratch: w.map { $0 + size }, into: bigRuns.baseAddress!)
                                    partial.add(UnsafeBufferPointer(start: bigRuns.baseAddress!, count: count))
                                }
                                }
                            }
                        }
                    }
                }
                }
                }
                shared.pointer[task] = partial
            }
            if let runner { runner(taskRanges.count, body) } else { for task in 0..<taskRanges.count { body(task) } }
        }
        // Moved out, not copied: a partial holds a dozen arrays, and the bootstrap walks a
        // thousand buckets in each of its replicates.
        var result: [BucketPartial] = []
        result.reserveCapacity(taskRanges.count)
        for task in taskRanges.indices { result.append(BucketPartial(bucket: taskRanges[task].first!, partial: partials[task].take()!)) }
        return result
    }

    /// The partials joined in ascending order of buckets (sorted only when
    /// they are not already: a sort copies every partial).
    func totals(_ partials: [BucketPartial]) -> CalibrationPartial.Totals {
        var totals = CalibrationPartial.Totals(binCount: binCount, groupCount: groupCount, totalWeight: totalWeight)
        let ascending = partials.indices.dropFirst().allSatisfy { partials[$0 - 1].bucket < partials[$0].bucket }
        let ordered = ascending ? partials : partials.sorted(by: { $0.bucket < $1.bucket })
        for i in ordered.indices { totals.join(ordered[i].partial) }
        totals.finish()
        return totals
    }

    /// Gathers one part of a bucket, sorts it and writes its runs of equal
    /// scores to `runs` in ascending order (weights summed plainly within a
    /// run, in sorted order); returns how many.
    static func sortedRuns(of part: ScoreStore.BucketPart, bucket b: Int, _ views: [PieceView],
                           keys: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>,
                           weights: UnsafeMutablePointer<Double>?, weightScratch: UnsafeMutablePointer<Double>?,
                           into runs: UnsafeMutablePointer<Run>) -> Int {
        let count = ScoreStore.gatherSorted(part, bucket: b, views, keys: keys, scratch: scratch, weights: weights,
                                            weightScratch: weightScratch)
        return CalibrationWalk.runs(keys: keys, weights: weights, count: count, into: runs)
    }

    /// Writes the runs of equal scores of sorted keys to `runs` (room for
    /// `count`), ascending, and returns how many (weights summed plainly
    /// within a run, in sorted order; unit weights counted in integers).
    static func runs(keys: UnsafePointer<UInt64>, weights: UnsafePointer<Double>?, count: Int, into runs: UnsafeMutablePointer<Run>) -> Int {
        var i = 0, n = 0
        if let weights {
            while i < count {
                let score = keys[i] >> 1
                let start = i
                var positive = 0.0, negative = 0.0
                repeat {
                    if keys[i] & 1 == 1 { positive += weights[i] } else { negative += weights[i] }
                    i += 1
                } while i < count && keys[i] >> 1 == score
                runs[n] = Run(score: Double(bitPattern: score), positive: positive, negative: negative, rows: i - start)
                n += 1
            }
        } else {
            var unit = CalibrationPartial.KeyRuns(keys: keys, count: count)
            while unit.hasNext {
                runs[n] = unit.next().run
                n &+= 1
            }
        }
        return n
    }
}

extension ScoreStore {
    /// What the sorted calibration walk found: its totals, the smooth ECE's
    /// grid and (binary) the logistic fits, or that the store is a sketch
    /// and keeps no scores.
    enum SortedCalibration {
        case walked(CalibrationPartial.Totals, SmoothECEEstimate?, CalibrationFits?)
        case sketch
    }

    /// The ranking (SPEC section 8) and the sorted calibration estimators
    /// (section 9, `binCount` equal-mass bins) from the store's own pieces;
    /// the store is left empty. A binary column is sorted once, for both.
    /// With `smoothBandwidth`, the smooth ECE is evaluated at that bandwidth
    /// instead of searching for its own (the bootstrap's replicates).
    mutating func takeRankingAndCalibration(settings: RankingSettings, binCount: Int, smoothBandwidth: Double? = nil,
                                           runner: RankingRunner? = nil) -> (RankingMetrics, SortedCalibration) {
        guard case .exact(var exact) = storage else {
            return (takeRanking(settings: settings, runner: runner), .sketch)
        }
        storage = .exact(ExactScores(columnCount: 0))
        let column = headlineColumn
        let binary = rankedColumnCount == 1
        var pieces: [ExactScores.Piece] = []
        if binary {
            pieces = exact.columns[column]
        } else {
            swap(&pieces, &exact.columns[column])
        }
        let walk = CalibrationWalk(pieces, binCount: binCount, binary: binary)
        var partials: [CalibrationWalk.BucketPartial]
        let ranking: RankingMetrics
        // Pointers into `pieces`, which the fits keep (`fitted`) until they end.
        let views = binary ? PieceView.views(of: pieces) : []
        var cells: FitCells?
        if binary {
            // The fits' moments first: their pass over the keys counts each bucket's classes (exactly, with
            // unit weights), which the ranking then need not count again.
            cells = FitCells(views: views, sizes: walk.sizes, runner: runner)
            let counts = walk.unitWeights ? zip(cells!.bucketPositive, cells!.bucketNegative).map { (positives: Int($0), negatives: Int($1)) } : nil
            // The ranking sorts each bucket; the calibration reads the sorted keys before the ranking walks them.
            let slots = UnsafeMutableBufferPointer<CalibrationPartial?>.allocate(capacity: walk.sizes.count)
            slots.initialize(repeating: nil)
            defer { slots.deinitialize(); slots.deallocate() }
            let shared = SendablePointer(slots.baseAddress!)
            let hook: SortedBucketHook = { b, keys, weights, count in
                shared.pointer[b] = walk.partial(bucket: b, sortedKeys: keys, weights: weights, count: count)
            }
            ranking = ScoreStore.rankExact(&exact, columnCount: rankedColumnCount, settings: settings, cuts: cuts,
                                           runner: runner, sortedBucket: hook, bucketCounts: counts)
            partials = slots.indices.compactMap { b in slots[b].map { CalibrationWalk.BucketPartial(bucket: b, partial: $0) } }
            let missed = walk.sizes.indices.filter { walk.sizes[$0] > 0 && slots[$0] == nil }
            if !missed.isEmpty { partials += walk.walk(pieces, only: missed, runner: runner) }
        } else {
            partials = walk.walk(pieces, runner: runner)
            pieces = []
            ranking = ScoreStore.rankExact(&exact, columnCount: rankedColumnCount, settings: settings, cuts: cuts, runner: runner)
        }
        let totals = walk.totals(partials)
        // The smooth ECE's bandwidth search runs on one thread: beside the fits (binary), not after them.
        let grid = totals.smooth, fitted = pieces, fitCells = cells
        nonisolated(unsafe) var smooth: SmoothECEEstimate?
        nonisolated(unsafe) var fits: CalibrationFits?
        let both: @Sendable (Int) -> Void = { task in
            if task == 0 { smooth = grid.estimate(bandwidth: smoothBandwidth) } else { fits = withExtendedLifetime(fitted) { CalibrationFits.fitted(cells: fitCells!, views: views, runner: runner).fits } }
        }
        if let runner, binary { runner(2, both) } else { both(0); if binary { both(1) } }
        return (ranking, .walked(totals, smooth, fits))
    }
}

/// Called by the ranking walk with a grid bucket's keys, sorted ascending, before it walks them.
typealias SortedBucketHook = @Sendable (_ bucket: Int, _ keys: UnsafePointer<UInt64>, _ weights: UnsafePointer<Double>?, _ count: Int) -> Void
