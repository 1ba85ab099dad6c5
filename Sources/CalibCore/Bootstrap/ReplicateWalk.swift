/// The sorted calibration walk (SPEC section 9; `CalibrationWalk`) of the
/// bootstrap grid's pseudo-rows of the headline column
/// (`BootstrapReplicates.pseudoPieces`), bit for bit the totals that
/// `CalibrationWalk(pieces, …)` and its `walk` and `totals` find on them, for
/// one replicate at a time.
///
/// **Why.** Every replicate's grid holds the same pseudo-rows, only their
/// weights differ, and they are few (about 1,800 for a binary task's
/// benchmark scores) but spread over about 500 grid buckets, one partial each.
/// The general walk pays per replicate for a score store of them (a counting
/// sort over the grid's 5,122 buckets), three zeroed arrays of a value per
/// bucket for the weight below each, and per bucket a dozen arrays of a fresh
/// `CalibrationPartial`, a copy into the list of partials and another into
/// the join: about 4.5M instructions and 3,400 allocations a replicate, for
/// a few thousand runs.
///
/// **How.** The rows' store order (grid bucket, then slot) is found once.
/// A replicate gathers its rows of positive weight in that order, sums each
/// bucket's weight and the weight below it as `CalibrationWalk.init` does
/// (an empty bucket's merge of nothing is skipped where it changes no bit:
/// `mergeEmpty`), then walks the buckets as `CalibrationWalk.walk` does
/// (each bucket's keys sorted by `RadixSort` with their weights, its runs by
/// `CalibrationWalk.runs`, added to the partial of its range: a binary task's
/// one per bucket, a multiclass task's about 1/16 of the rows) and joins each
/// partial into the totals as soon as its range ends, in bucket order, as
/// `CalibrationWalk.totals` does; one partial, restarted
/// (`CalibrationPartial.restart`), serves every range, and a worker's
/// replicates one after another (`ReplicateScratch`), as does the smooth
/// ECE's fine grid, whose only nodes the rows can reach (`nodes`) are zeroed
/// again after each. Checked against the score store's walk in `ReplicateGridTests`.
struct ReplicateWalk: Sendable {
    /// The pseudo-rows in store order: each row's slot (of the whole grid) and key.
    let slots: [Int]
    let keys: [UInt64]
    /// The non-empty grid buckets (ascending) and where each one's rows start, then `slots.count`.
    let buckets: [Int]
    let starts: [Int]
    let binCount: Int
    /// Whether the task is binary: a partial per bucket (`CalibrationWalk.walk(_:only:runner:)`
    /// with every non-empty bucket), else one per range of about 1/16 of the rows.
    let binary: Bool
    /// The smooth ECE's fine nodes the rows deposit on (`SmoothDeposits`: the
    /// two around each score), ascending: every other node of a replicate's grid stays +0.
    let nodes: [Int]

    /// The headline column's pseudo-rows of `bootstrap`'s grid (the slots with weight in the full sample)
    /// for walks with `binCount` equal-mass bins.
    init(_ bootstrap: BootstrapReplicates, binCount: Int) {
        let cells = 2 * bootstrap.cellCount, column = bootstrap.columns - 1
        var rows: [(bucket: Int, slot: Int, key: UInt64)] = []
        for slot in (column * cells)..<((column + 1) * cells) {
            guard let score = bootstrap.pseudoScore(slot: slot) else { continue }
            let key = ScoreStore.key(score: score, positive: slot % 2 == 1)
            rows.append((ExactScores.grid.bucket(key: key), slot, key))
        }
        // `ExactScores.piece`'s stable counting sort: by bucket, slot order within.
        rows.sort { ($0.bucket, $0.slot) < ($1.bucket, $1.slot) }
        var buckets: [Int] = [], starts: [Int] = []
        for (i, row) in rows.enumerated() where buckets.last != row.bucket {
            buckets.append(row.bucket)
            starts.append(i)
        }
        starts.append(rows.count)
        slots = rows.map(\.slot)
        keys = rows.map(\.key)
        self.buckets = buckets
        self.starts = starts
        self.binCount = binCount
        binary = bootstrap.columns == 1
        let fineCells = Set(rows.map { SmoothDeposits.cell(Double(bitPattern: $0.key >> 1)).k })
        nodes = Set(fineCells.flatMap { [$0, $0 + 1] }).sorted()
    }

    /// A bucket with rows of positive weight: its rows' place in the gathered
    /// arrays and the exact weight of the rows in the buckets below it.
    private struct Bucket {
        let start: Int
        let count: Int
        let below: CompensatedSum
    }

    /// The walk's totals for the grid's pseudo-rows weighing `weight(slot)`
    /// (a row of weight 0 is absent, as in `pseudoPieces`), their smooth
    /// grid `scratch`'s (to be handed back: `reuse`).
    func totals(weight: (Int) -> Double, scratch: inout ReplicateScratch) -> CalibrationPartial.Totals {
        let rows = slots.count, bucketCount = ExactScores.grid.bucketCount
        let groupCount = CalibrationWalk.hosmerLemeshowGroups
        // Keys and weights: the gathered rows, then the sort's scratch (a bucket's rows at most).
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Swift.max(1, 2 * rows)) { keyMemory in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(1, 2 * rows)) { weightMemory in
        withUnsafeTemporaryAllocation(of: Bucket.self, capacity: Swift.max(1, buckets.count)) { bucketMemory in
        withUnsafeTemporaryAllocation(of: CalibrationWalk.Run.self, capacity: Swift.max(1, rows)) { runMemory in
            let gatheredKeys = keyMemory.baseAddress!, keyScratch = gatheredKeys + rows
            let gatheredWeights = weightMemory.baseAddress!, weightScratch = gatheredWeights + rows
            let present = bucketMemory.baseAddress!, runs = runMemory.baseAddress!
            // 1. Each bucket's rows of positive weight in store order; the weight below each (`CalibrationWalk.init`).
            var gathered = 0, presentCount = 0, previous = -1
            var running = CompensatedSum()
            keys.withUnsafeBufferPointer { keys in
                slots.withUnsafeBufferPointer { slots in
                    for g in buckets.indices {
                        let start = gathered
                        var bucketWeight = CompensatedSum()
                        for i in starts[g]..<starts[g + 1] {
                            let w = weight(slots[i])
                            guard w > 0 else { continue }
                            gatheredKeys[gathered] = keys[i]
                            gatheredWeights[gathered] = w
                            bucketWeight.add(w)
                            gathered += 1
                        }
                        guard gathered > start else { continue }
                        let b = buckets[g]
                        Self.mergeEmpty(&running, buckets: b - previous - 1)
                        present[presentCount] = Bucket(start: start, count: gathered - start, below: running)
                        presentCount += 1
                        running.merge(bucketWeight)
                        previous = b
                    }
                }
            }
            Self.mergeEmpty(&running, buckets: bucketCount - previous - 1)
            let totalWeight = running.value
            var totals = CalibrationPartial.Totals(binCount: binCount, groupCount: groupCount, totalWeight: totalWeight)
            swap(&totals.smooth, &scratch.smooth)
            guard presentCount > 0 else {
                totals.finish()
                return totals
            }
            // 2. The partials, range by range, each joined as its range ends (`CalibrationWalk.walk` and `totals`).
            var partial = scratch.partial.take()
                ?? CalibrationPartial(binCount: binCount, groupCount: groupCount, binary: binary, totalWeight: totalWeight,
                                      unitWeights: false, weightBelow: present[0].below)
            defer { scratch.partial = partial }
            let share = CalibrationWalk.rangeShare(rows: gathered)
            var first = 0, filled = 0
            for p in 0..<presentCount {
                let bucket = present[p]
                if p == first { partial.restart(totalWeight: totalWeight, weightBelow: bucket.below) }
                let bucketKeys = gatheredKeys + bucket.start, bucketWeights = gatheredWeights + bucket.start
                RadixSort.sort(bucketKeys, scratch: keyScratch, payload: bucketWeights, payloadScratch: weightScratch, count: bucket.count)
                let runCount = CalibrationWalk.runs(keys: bucketKeys, weights: bucketWeights, count: bucket.count, into: runs)
                partial.add(UnsafeBufferPointer(start: runs, count: runCount))
                filled += bucket.count
                if binary || filled >= share || p == presentCount - 1 {
                    totals.join(partial)
                    first = p + 1
                    filled = 0
                }
            }
            totals.finish()
            return totals
        }
        }
        }
        }
    }

    /// Hands the smooth grid of `totals` (from `totals(weight:scratch:)`) back to `scratch`, zeroed.
    func reuse(_ totals: inout CalibrationPartial.Totals, in scratch: inout ReplicateScratch) {
        swap(&totals.smooth, &scratch.smooth)
        scratch.smooth.clear(nodes: nodes)
    }

    /// `count` empty buckets' merges into the running weight below
    /// (`running.merge(CompensatedSum())`, as `CalibrationWalk.init` makes for
    /// every bucket). Adding +0 to a finite sum that is not −0, and to a
    /// compensation that is not −0, changes no bit, so they are skipped
    /// then; otherwise they are made.
    @inline(__always)
    static func mergeEmpty(_ running: inout CompensatedSum, buckets count: Int) {
        guard count > 0 else { return }
        let minusZero = (-0.0).bitPattern
        if running.sum.isFinite && running.compensation.isFinite
            && running.sum.bitPattern != minusZero && running.compensation.bitPattern != minusZero { return }
        for _ in 0..<count { running.merge(CompensatedSum()) }
    }
}

/// What one worker of the bootstrap's finish keeps from one replicate to the
/// next (`ReplicateWalk`): the partial restarted for every range of buckets,
/// and the smooth ECE's fine grid (2 × 16,385 nodes), zero between replicates.
struct ReplicateScratch {
    var partial: CalibrationPartial?
    var smooth = SmoothECEGrid()
}
