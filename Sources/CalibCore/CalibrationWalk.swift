/// One pass over the headline column of the exact score store in ascending
/// score order, for the estimators of SPEC section 9 that need sorted scores:
/// the equal-mass bins (`equalMassECE`, `debiasedL2ECE`), the Hosmer–Lemeshow
/// groups, the Spiegelhalter sums and the isotonic (PAV) fit of the CORP
/// decomposition, plus the smooth ECE's fine grid.
///
/// The column's grid buckets are split into a fixed set of tasks of about
/// equal rows (the split depends on the data only), each task gathers and
/// radix-sorts one bucket at a time (as the ranking walk does) and folds its
/// runs of equal scores into a `CalibrationPartial`; the partials then join
/// in bucket order. Every sum is compensated, so the result does not depend
/// on the runner or the thread count, and moves by far less than 1e-12
/// relative with the chunking.
struct CalibrationWalk {
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

    let binCount: Int
    let groupCount: Int
    /// Whether the column holds a binary task's positive score (the tests and
    /// the decomposition are for binary tasks only).
    let binary: Bool

    /// Walks the pieces of one column (the store's headline column).
    func walk(_ pieces: [ExactScores.Piece], runner: RankingRunner?) -> CalibrationPartial.Totals {
        let buckets = ExactScores.grid.bucketCount
        let weighted = pieces.contains { $0.weights != nil }
        var sizes = [Int](repeating: 0, count: buckets)
        for piece in pieces {
            piece.starts.withUnsafeBufferPointer { starts in
                for b in 0..<buckets { sizes[b] += Int(starts[b + 1] &- starts[b]) }
            }
        }
        let views = pieces.map { piece in
            PieceView(keys: piece.keys.withUnsafeBufferPointer { $0.baseAddress! },
                      weights: piece.weights?.withUnsafeBufferPointer { $0.baseAddress! },
                      starts: piece.starts.withUnsafeBufferPointer { $0.baseAddress! })
        }
        defer { withExtendedLifetime(pieces) {} }
        // 1. Each bucket's weight (compensated; counts with unit weights), then the weight below each bucket.
        var bucketWeights = [CompensatedSum](repeating: CompensatedSum(), count: buckets)
        if weighted {
            for b in 0..<buckets where sizes[b] > 0 {
                var sum = CompensatedSum()
                for piece in views {
                    for i in Int(piece.starts[b])..<Int(piece.starts[b + 1]) { sum.add(piece.weights?[i] ?? 1) }
                }
                bucketWeights[b] = sum
            }
        } else {
            for b in 0..<buckets { bucketWeights[b] = CompensatedSum(Double(sizes[b])) }
        }
        var below = [CompensatedSum](repeating: CompensatedSum(), count: buckets)
        var running = CompensatedSum()
        for b in 0..<buckets {
            below[b] = running
            running.merge(bucketWeights[b])
        }
        let total = running.value
        // 2. Tasks: runs of buckets of about equal rows, ascending (a fixed split).
        var ranges: [Range<Int>] = []
        let rows = sizes.reduce(0, +)
        let share = Swift.max(1, rows / 16)
        var lower = 0, filled = 0
        for b in 0..<buckets {
            filled += sizes[b]
            if filled >= share || b == buckets - 1 { ranges.append(lower..<(b + 1)); lower = b + 1; filled = 0 }
        }
        let taskRanges = ranges, bucketSizes = sizes, belowBucket = below
        let binCount = binCount, groupCount = groupCount, binary = binary
        var partials = [CalibrationPartial?](repeating: nil, count: taskRanges.count)
        partials.withUnsafeMutableBufferPointer { out in
            let shared = SendablePointer(out.baseAddress!)
            let body: @Sendable (Int) -> Void = { task in
                let range = taskRanges[task]
                var partial = CalibrationPartial(binCount: binCount, groupCount: groupCount, binary: binary,
                                                 totalWeight: total, weightBelow: belowBucket[range.lowerBound])
                let largest = Swift.min(range.map { bucketSizes[$0] }.max() ?? 0, ScoreStore.gatherLimit)
                var runs: [Run] = []
                runs.reserveCapacity(largest)
                let scratchCount = Swift.min(largest, RadixSort.inPlaceAbove)
                let words = Swift.max(1, (largest + scratchCount) * (weighted ? 2 : 1))
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { memory in
                    let keys = memory.baseAddress!, scratch = keys + largest
                    let weights = weighted ? UnsafeMutableRawPointer(scratch + scratchCount).assumingMemoryBound(to: Double.self) : nil
                    let weightScratch = weights.map { $0 + largest }
                    for b in range where bucketSizes[b] > 0 {
                        let parts = bucketSizes[b] > ScoreStore.gatherLimit
                            ? ScoreStore.parts(of: b, views).reversed()
                            : [ScoreStore.BucketPart(digits: nil, count: bucketSizes[b])]
                        for part in parts {
                            if part.count <= largest {
                                CalibrationWalk.sortedRuns(of: part, bucket: b, views, keys: keys, scratch: scratch,
                                                           weights: weights, weightScratch: weightScratch, into: &runs)
                                runs.withUnsafeBufferPointer { partial.add($0) }
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
                                    let k = big.baseAddress!, ks = k + size
                                    let w = weighted ? UnsafeMutableRawPointer(ks + scratchSize).assumingMemoryBound(to: Double.self) : nil
                                    CalibrationWalk.sortedRuns(of: part, bucket: b, views, keys: k, scratch: ks,
                                                               weights: w, weightScratch: w.map { $0 + size }, into: &runs)
                                    runs.withUnsafeBufferPointer { partial.add($0) }
                                }
                            }
                        }
                    }
                }
                partial.closeTask()
                shared.pointer[task] = partial
            }
            if let runner { runner(taskRanges.count, body) } else { for task in 0..<taskRanges.count { body(task) } }
        }
        // 3. The partials joined in bucket order.
        var totals = CalibrationPartial.Totals(binCount: binCount, groupCount: groupCount, totalWeight: total)
        for partial in partials { totals.join(partial!) }
        totals.finish()
        return totals
    }

    /// Gathers one part of a bucket, sorts it and writes its runs of equal
    /// scores to `runs` in ascending order (weights summed plainly within a
    /// run, in sorted order).
    static func sortedRuns(of part: ScoreStore.BucketPart, bucket b: Int, _ views: [PieceView],
                           keys: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>,
                           weights: UnsafeMutablePointer<Double>?, weightScratch: UnsafeMutablePointer<Double>?,
                           into runs: inout [Run]) {
        runs.removeAll(keepingCapacity: true)
        var count = 0
        for piece in views {
            let lower = Int(piece.starts[b]), upper = Int(piece.starts[b + 1])
            guard lower < upper else { continue }
            if let digits = part.digits {
                for i in lower..<upper where digits.range.contains(digits.digit(piece.keys[i])) {
                    keys[count] = piece.keys[i]
                    weights?[count] = piece.weights?[i] ?? 1
                    count += 1
                }
                continue
            }
            (keys + count).update(from: piece.keys + lower, count: upper - lower)
            if let weights {
                if let w = piece.weights {
                    (weights + count).update(from: w + lower, count: upper - lower)
                } else {
                    (weights + count).update(repeating: 1, count: upper - lower)
                }
            }
            count += upper - lower
        }
        RadixSort.sort(keys, scratch: scratch, payload: weights, payloadScratch: weightScratch, count: count)
        var i = 0
        while i < count {
            let score = keys[i] >> 1
            var run = Run(score: Double(bitPattern: score), positive: 0, negative: 0, rows: 0)
            let start = i
            if let weights {
                repeat {
                    if keys[i] & 1 == 1 { run.positive += weights[i] } else { run.negative += weights[i] }
                    i += 1
                } while i < count && keys[i] >> 1 == score
            } else {
                var ones = 0
                repeat {
                    ones &+= Int(truncatingIfNeeded: keys[i] & 1)
                    i += 1
                } while i < count && keys[i] >> 1 == score
                run.positive = Double(ones)
                run.negative = Double(i - start - ones)
            }
            run.rows = i - start
            runs.append(run)
        }
    }
}

extension ScoreStore {
    /// What the sorted calibration walk found: its totals (and, binary, the
    /// logistic fits), or that the store is a sketch and keeps no scores.
    enum SortedCalibration {
        case walked(CalibrationPartial.Totals, CalibrationFits?)
        case sketch
    }

    /// Walks the headline column in ascending order (SPEC section 9) with
    /// `binCount` equal-mass bins; a multiclass store then releases that
    /// column (ranking does not read it), a binary one keeps it for ranking.
    mutating func takeCalibration(binCount: Int, runner: RankingRunner?) -> SortedCalibration {
        guard case .exact(var exact) = storage else { return .sketch }
        let column = headlineColumn
        let binary = rankedColumnCount == 1
        var pieces: [ExactScores.Piece] = []
        if binary {
            pieces = exact.columns[column]
        } else {
            storage = .exact(ExactScores(columnCount: 0)) // release the reference before mutating
            swap(&pieces, &exact.columns[column])
            storage = .exact(exact)
        }
        let walk = CalibrationWalk(binCount: binCount, groupCount: CalibrationWalk.hosmerLemeshowGroups, binary: binary)
        let totals = walk.walk(pieces, runner: runner)
        let fits = binary ? CalibrationFits.fit(pieces: pieces, runner: runner) : nil
        return .walked(totals, fits)
    }
}
