/// The single-pass, mergeable accumulator behind every metric of SPEC
/// section 3: one `add(_:)` per chunk of rows, `merge(_:)` to combine chunks
/// (in chunk order, so results do not depend on how many workers ran), and
/// ``result(classNames:)`` to finish.
///
/// Per row it derives the class probabilities `p_k` and log-probabilities
/// `ln p_k` once (stable log-sigmoid / log-softmax on the logit path; clipping
/// to `[ε, 1]` before the logarithm on the probability path) and feeds every
/// sum from them. The sums live in `AccumulatorFamily` types (scalar totals,
/// class totals, confusion, top-label and class-wise bins, losses, worst rows)
/// fed from one shared `RowContext` per row; the scalar totals' per-chunk sums
/// stay in the loop's registers. ``state`` and ``init(restoring:)`` take every
/// family's totals out of the process and back, bit for bit.
/// Complexity: O(N·K) time, O(K² + K·B) memory.
public struct AuditAccumulator: Sendable {
    public let shape: ClassificationShape
    public let settings: AuditSettings

    var scalars: ScalarTotalsFamily
    var families: AuditFamilies
    var worst: WorstRows
    /// Every row's scores, for ranking (`nil` unless asked for).
    var scores: ScoreStore?
    /// What the ranking reports, with the store's budget; `nil` without a store.
    public let rankingSettings: RankingSettings?
    /// The Poisson bootstrap's replicates (SPEC section 10); `nil` without intervals.
    var bootstrap: BootstrapReplicates?
    /// The soft-target sums (SPEC section 13); `nil` unless the shape has soft targets.
    var softTargets: SoftTargetFamily?

    /// An empty accumulator. With `ranking`, it also keeps a ``ScoreStore``
    /// of every row's scores (exact within `ranking.memoryBudget`, a sketch
    /// beyond) and its result has the ranking section; without, its memory
    /// is O(K² + K·B) at any row count. With `bootstrap`, it sums that many
    /// Poisson bootstrap replicates beside the rows (keyed by each row's
    /// line, `PredictionTable/lines`) and its result has the intervals of SPEC
    /// section 10 (the sorted estimators' intervals need `ranking` as well).
    public init(shape: ClassificationShape, settings: AuditSettings = AuditSettings(), losses: [LossSpecification] = LossSpecification.auditDefaults,
                ranking: RankingSettings? = nil, bootstrap: BootstrapSettings? = nil) {
        self.shape = shape
        self.settings = settings
        let k = shape.classCount
        scalars = ScalarTotalsFamily(confidentAt: settings.confidentAt)
        families = AuditFamilies(classCount: k, settings: settings, losses: losses)
        worst = WorstRows(limit: settings.worstRowLimit)
        rankingSettings = ranking
        scores = ranking.map { ScoreStore(shape: shape, settings: $0) }
        self.bootstrap = bootstrap.map { BootstrapReplicates(settings: $0, classCount: k, auditSettings: settings) }
        softTargets = shape.hasSoftTargets ? SoftTargetFamily(classCount: k) : nil
    }

    /// The bootstrap's settings, when the accumulator keeps replicates.
    public var bootstrapSettings: BootstrapSettings? { bootstrap?.settings }

    /// Whether the score store still holds every row (`nil` without one).
    public var rankingIsExact: Bool? { scores?.isExact }
    /// The bytes the score store holds (0 without one).
    public var scoreStoreBytes: Int { scores?.bytes ?? 0 }

    /// Rows added so far.
    public var count: Int { scalars.rows }

    /// The bytes this accumulator's sums occupy: O(K² + K·B), from the
    /// storage it holds (confusion `K²`, class-wise bins `K·B`, loss sums, soft-target sums `5K`),
    /// counted as element strides (array headers and allocator slack are
    /// left out), plus the score store's bytes when there is one. Readers use
    /// it to bound the state kept per segment.
    public var stateBytes: Int {
        let sum = MemoryLayout<CompensatedSum>.stride, int = MemoryLayout<Int>.stride
        let k = shape.classCount
        let bins = (1 + k) * settings.bins * (int + 4 * sum)
        let perClass = k * (2 * sum + int) + k * k * sum
        let rows = settings.worstRowLimit * MemoryLayout<WorstRow>.stride
        // The families' part of the stride counts their totals only, not the settings
        // copies and scratch offsets they keep for the loop, so the bound does not
        // move when a family is restructured.
        let own = MemoryLayout<AuditAccumulator>.stride - MemoryLayout<AuditFamilies>.stride + AuditFamilies.totalsHeaderBytes
            - MemoryLayout<ScalarTotalsFamily>.stride + ScalarTotalsFamily.totalsBytes
            - MemoryLayout<ScoreStore?>.stride - MemoryLayout<RankingSettings?>.stride - MemoryLayout<BootstrapReplicates?>.stride
            - MemoryLayout<SoftTargetFamily?>.stride
        // The soft targets' five sums per class, when the rows carry targets.
        let soft = softTargets == nil ? 0 : 5 * k * sum
        return own + perClass + bins + rows + soft + families.losses.stateBytes + scoreStoreBytes + (bootstrap?.bytes ?? 0)
    }

    /// Adds every row of a chunk.
    public mutating func add(_ table: PredictionTable) {
        add(table, rows: 0..<table.count)
    }

    /// Adds the given rows of a chunk (a segment's rows, say), in the order given.
    ///
    /// The rows are summed plainly into a flat scratch buffer (one pass, no
    /// copy-on-write or bounds checks in the loop) and the buffer is folded into
    /// the compensated totals once, so a chunk of a few thousand rows adds an
    /// error far below 1e-12 relative while the totals stay compensated.
    public mutating func add(_ table: PredictionTable, rows: some Sequence<Int>) {
        precondition(table.shape == shape, "chunk shape differs from the accumulator's")
        // The same loop, compiled a second time with k = 2 known (binary tasks), and a
        // third with w = 1 known as well, for a binary chunk whose rows all weigh exactly 1.
        if shape.classCount == 2 {
            if table.weights.allSatisfy({ $0 == 1 }) {
                add(table, rows: rows, classes: TwoClasses.self, weighing: UnitWeights.self)
            } else {
                add(table, rows: rows, classes: TwoClasses.self, weighing: StoredWeights.self)
            }
        } else {
            add(table, rows: rows, classes: AnyClassCount.self, weighing: StoredWeights.self)
        }
    }

    /// The loop, for `Classes` and `Weights`. With `byShape`, the bootstrap
    /// takes a binary row's pattern from an earlier row of its shape
    /// (`ReplicateBatch.BinaryRow`), and a multiclass row's class-wise
    /// tables' patterns from earlier rows' (`ReplicateBatch.recordClasswise`);
    /// the tests turn it off to compare.
    @inline(__always)
    mutating func add<Classes: ClassCountKind, Weights: RowWeightKind>(_ table: PredictionTable, rows: some Sequence<Int>,
                                                                      classes: Classes.Type, weighing: Weights.Type,
                                                                      byShape: Bool = true) {
        let k = Classes.count(shape.classCount)
        let isLogit = shape.scoreKind == .logits
        let confidentAt = settings.confidentAt
        // Bound once per chunk: a method called on a stored property inside the
        // loop's closures would copy the struct (and retain its arrays) every row.
        let rowFamilies = families
        // Layout of the scratch: the scalar totals' slots, then the families'.
        var layout = ScratchLayout()
        let scalarsAt = layout.reserve(scalars.scratchLayout)
        let familiesAt = layout.reserve(rowFamilies.scratchLayout)
        // The soft targets' slice, when the input has them (a loop-invariant test per row otherwise).
        let softFamily = softTargets
        let hasTargets = softFamily != nil
        let softAt = layout.reserve(softFamily?.scratchLayout ?? ScratchLayout())
        let sumCount = layout.doubles
        let countCount = layout.counts

        // The score store's keys for this chunk, column by column, and the kept rows' weights.
        let keepsScores = scores != nil
        let columns = scores?.columnCount ?? 0
        let keyStride = keepsScores ? table.count : 0
        // The bootstrap's replicates (SPEC section 10): one scratch per replicate, the row's
        // Poisson counts, and the grids, moved out of `self` so they are mutated in place.
        var boot = bootstrap
        bootstrap = nil
        if boot != nil && table.count > 0 { boot!.allocateCells() }
        let replicateCount = boot?.replicates ?? 0
        let replicateLayout = boot?.replicateLayout ?? (stride: ScratchLayout(), scalars: (sums: 0, counts: 0), families: (sums: 0, counts: 0))
        let replicateScalars = boot?.scalarTemplate ?? scalars
        let replicateFamilies = boot?.familyTemplate ?? rowFamilies
        let replicateScalarsBase = SlotBase(sums: replicateLayout.scalars.sums, counts: replicateLayout.scalars.counts)
        let replicateFamiliesBase = SlotBase(sums: replicateLayout.families.sums, counts: replicateLayout.families.counts)
        let seed = boot?.settings.seed ?? 0, rowOffset = boot?.rowOffset ?? 0
        let cellColumns = boot?.columns ?? 0, cellCount = boot?.cellCount ?? 0, cellShift = boot?.cellShift ?? 0
        let halfCells = cellCount / 2
        // A row's terms are found once, by the families' own formulas into the batch's
        // log, and the batch adds them to every replicate scaled by
        // `m_ir` (a weight's term), `m_ir²` (a squared weight's) or `1[m_ir > 0]` (a count):
        // slot-major sums, one slot's replicates contiguous.
        let slotsD = replicateLayout.stride.doubles, slotsC = replicateLayout.stride.counts
        var replicateSums = [Double](repeating: 0, count: replicateCount * slotsD)
        var replicateCounts = [Double](repeating: 0, count: replicateCount * slotsC)
        var batch = boot.map { $0.makeBatch() }
        defer { batch?.deallocate() }
        var cells = boot?.cells ?? ReplicateCells(replicates: 0, slots: 0)
        var fullWeights = boot?.fullWeights ?? []
        var fullScores = boot?.fullScores ?? []
        boot?.cells = ReplicateCells(replicates: replicateCount, slots: 0); boot?.fullWeights = []; boot?.fullScores = []
        replicateSums.withUnsafeMutableBufferPointer { replicateSumStorage in
        replicateCounts.withUnsafeMutableBufferPointer { replicateCountStorage in
        fullWeights.withUnsafeMutableBufferPointer { fullWeightStorage in
        fullScores.withUnsafeMutableBufferPointer { fullScoreStorage in
        PoissonCounts.thresholds.withUnsafeBufferPointer { thresholdStorage in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(1, cellColumns)) { cellStorageAt in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(1, cellColumns)) { cellScoreStorage in
        let replicateSum = replicateSumStorage.baseAddress, replicateCountAt = replicateCountStorage.baseAddress
        let fullWeight = fullWeightStorage.baseAddress, fullScore = fullScoreStorage.baseAddress
        let thresholds = thresholdStorage.baseAddress!
        let cellAt = cellStorageAt.baseAddress!, cellScore = cellScoreStorage.baseAddress!
        let columnCells = 2 * cellCount
        var keyBuffer = [UInt64](unsafeUninitializedCapacity: keyStride * columns) { _, count in count = keyStride * columns }
        var keptWeights = [Double](unsafeUninitializedCapacity: keyStride) { _, count in count = keyStride }
        var kept = 0
        keyBuffer.withUnsafeMutableBufferPointer { keyStorage in
        keptWeights.withUnsafeMutableBufferPointer { weightStorage in
        let keys = keyStorage.baseAddress
        let keptWeight = weightStorage.baseAddress
        withUnsafeTemporaryAllocation(of: Double.self, capacity: sumCount + 2 * k) { doubles in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: countCount) { ints in
                let sums = doubles.baseAddress!
                let counts = ints.baseAddress!
                sums.initialize(repeating: 0, count: sumCount)
                counts.initialize(repeating: 0, count: countCount)
                let p = sums + sumCount
                let lp = p + k
                table.scores.withUnsafeBufferPointer { scores in
                table.labels.withUnsafeBufferPointer { labels in
                table.weights.withUnsafeBufferPointer { weights in
                table.targets.withUnsafeBufferPointer { targets in
                    // Known at compile time in the binary specialisation.
                    let k = Classes.count(k)
                    let binary = k == 2
                    // The scalar totals' sums stay in registers through the loop; the kept rows are counted
                    // in a local (the captured `kept` is reached through a box on every row).
                    var scalarSums = ScalarTotalsFamily.Running()
                    var rowsKept = 0
                    for i in rows {
                        let y = Int(labels[i])
                        let w = Weights.weight(weights[i])
                        // 1. Probabilities and log-probabilities.
                        var s = 0.0
                        if binary {
                            let x = scores[i]
                            if isLogit {
                                let logit = StableMath.binaryLogit(x)
                                p[1] = logit.positive; p[0] = logit.negative
                                lp[1] = logit.logPositive; lp[0] = logit.logNegative
                            } else {
                                p[1] = x; p[0] = 1 - x
                                lp[1] = StableMath.ln(Swift.max(x, probabilityFloor))
                                lp[0] = StableMath.ln(Swift.max(1 - x, probabilityFloor))
                            }
                            s = p[1]
                        } else {
                            let base = i * k
                            if isLogit {
                                StableMath.logSoftmax(UnsafeBufferPointer(rebasing: scores[base..<(base + k)]),
                                                      logProbabilities: UnsafeMutableBufferPointer(start: lp, count: k),
                                                      probabilities: UnsafeMutableBufferPointer(start: p, count: k))
                            } else {
                                for c in 0..<k {
                                    let v = scores[base + c]
                                    p[c] = v
                                    lp[c] = StableMath.ln(Swift.max(v, probabilityFloor))
                                }
                            }
                        }
                        // 2. Top label (argmax, ties to the lowest index).
                        var top = 0
                        var topP = p[0]
                        for c in 1..<k where p[c] > topP { top = c; topP = p[c] }
                        // 3. The families, on the row's shared context: the scalar totals in registers, the rest in the scratch.
                        let row = RowContext(label: y, weight: w, classCount: k, probabilities: p, logProbabilities: lp,
                                             top: top, topProbability: topP, positiveScore: s, clipped: !isLogit,
                                             targets: hasTargets ? UnsafePointer(targets.baseAddress! + i &* k) : nil)
                        scalarSums.add(row, confidentAt: confidentAt)
                        rowFamilies.accumulate(row, sums: sums + familiesAt.sums, counts: counts + familiesAt.counts)
                        if hasTargets { softFamily!.accumulate(row, sums: sums + softAt.sums, counts: counts + softAt.counts) }
                        // 4. The score store's keys (rows of weight 0 are left out, as scikit-learn's curves drop them).
                        if keepsScores && w != 0 {
                            if binary {
                                keys![rowsKept] = ScoreStore.key(score: s, positive: y == 1)
                            } else {
                                // Column c's key at `c · keyStride + rowsKept`: one pointer stepped down the columns.
                                var column = keys! + rowsKept
                                for c in 0..<k {
                                    column.pointee = ScoreStore.key(score: p[c], positive: y == c)
                                    column += keyStride
                                }
                                // The headline column: the top-label confidence against 1[correct].
                                column.pointee = ScoreStore.key(score: topP, positive: top == y)
                            }
                            keptWeight![rowsKept] = w
                            rowsKept &+= 1
                        }
                        // 5. The bootstrap: the row's grid cells, then its terms in every replicate
                        // (scaled by `m_ir`, `m_ir²` or `1[m_ir > 0]`).
                        if replicateCount > 0 {
                            if binary {
                                cellAt[0] = 2 * BootstrapReplicates.cell(of: s, shift: cellShift, half: halfCells) + (y == 1 ? 1 : 0)
                                cellScore[0] = s
                            } else {
                                for c in 0...k {
                                    let score = c < k ? p[c] : topP
                                    let positive = c < k ? y == c : top == y
                                    cellAt[c] = c * columnCells + 2 * BootstrapReplicates.cell(of: score, shift: cellShift, half: halfCells) + (positive ? 1 : 0)
                                    cellScore[c] = score
                                }
                            }
                            for j in 0..<cellColumns {
                                fullWeight![cellAt[j]] += w
                                fullScore![cellAt[j]] += w * cellScore[j]
                            }
                            // The row's terms, by the families' own formulas, at its own weight; a binary row
                            // takes the pattern of an earlier row of its shape (`BinaryRow`).
                            let rowKey = PoissonCounts.rowKey(seed: seed, row: table.lines[i] &+ rowOffset)
                            let shape = binary && byShape
                                ? ReplicateBatch.BinaryRow(row, scalars: replicateScalars, families: replicateFamilies) : nil
                            let shaped = shape != nil && batch!.record(shape!, key: rowKey, cell: cellAt[0])
                            if !binary && byShape && w == 1 {
                                // A multiclass row: its class-wise tables' terms are logged only for the units
                                // whose shape the batch has not met (`recordClasswise`).
                                var log = batch!.log
                                replicateScalars.addTerms(row, to: &log, at: replicateScalarsBase)
                                replicateFamilies.addTermsBeforeClasswise(row, to: &log, at: replicateFamiliesBase)
                                batch!.recordClasswise(key: rowKey, cells: cellAt, log: log, probabilities: p, label: y, classCount: k,
                                                       binCount: replicateFamilies.classwise.binCount) { c, log in
                                    replicateFamilies.addClasswiseTerms(ofClass: c, row, to: &log, at: replicateFamiliesBase)
                                }
                            } else if !shaped || ReplicateBatch.checksShapedRows {
                                var log = batch!.log
                                replicateScalars.addTerms(row, to: &log, at: replicateScalarsBase)
                                replicateFamilies.addTermsBeforeLosses(row, to: &log, at: replicateFamiliesBase)
                                if shaped {
                                    batch!.checkShapedRow(log: log)
                                } else {
                                    batch!.record(key: rowKey, weight: w, cells: cellAt, log: log)
                                    if let shape { batch!.remember(shape) }
                                }
                            }
                            if batch!.isFull {
                                batch!.flush(sums: replicateSum!, counts: replicateCountAt!, cells: &cells, thresholds: thresholds)
                            }
                        }
                        // 6. The most confidently wrong rows.
                        let ce = -lp[y]
                        if top != y && worst.admits(crossEntropy: ce) {
                            worst.insert(WorstRow(line: table.lines[i], id: table.id(at: i), label: y, predicted: top,
                                                  confidence: topP, crossEntropy: ce))
                        }
                    }
                    scalarSums.store(sums: sums + scalarsAt.sums, counts: counts + scalarsAt.counts)
                    kept = rowsKept
                    if replicateCount > 0 {
                        batch!.flush(sums: replicateSum!, counts: replicateCountAt!, cells: &cells, thresholds: thresholds)
                    }
                }
                }
                }
                }
                // Fold the chunk's plain sums into the compensated totals.
                scalars.fold(sums: sums + scalarsAt.sums, counts: counts + scalarsAt.counts)
                families.fold(sums: sums + familiesAt.sums, counts: counts + familiesAt.counts)
                softTargets?.fold(sums: sums + softAt.sums, counts: counts + softAt.counts)
                if replicateCount > 0 {
                    // Each replicate's plain sums fold as a chunk's do, straight from the slot-major runs.
                    boot!.totals.fold(sums: replicateSum!, counts: replicateCountAt!)
                }
            }
        }
        if kept > 0 { scores!.append(keys: keys!, stride: keyStride, weights: keptWeight!, rows: kept) }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        if boot != nil {
            boot!.cells = cells
            boot!.fullWeights = fullWeights
            boot!.fullScores = fullScores
            bootstrap = boot
        }
    }

    /// Adds another accumulator's rows. Merge chunks in their input order for
    /// byte-identical results whatever the number of workers.
    public mutating func merge(_ other: AuditAccumulator) {
        precondition(other.shape == shape && other.settings == settings, "merging accumulators of different settings")
        precondition((scores == nil) == (other.scores == nil), "merging an accumulator with a score store and one without")
        scalars.merge(other.scalars)
        families.merge(other.families)
        worst.merge(other.worst)
        if let theirs = other.scores { scores!.merge(theirs) }
        precondition((bootstrap == nil) == (other.bootstrap == nil), "merging an accumulator with bootstrap replicates and one without")
        if let theirs = other.bootstrap { bootstrap!.merge(theirs) }
        if let theirs = other.softTargets { softTargets!.merge(theirs) }
    }
}

/// The number of classes as a type: the engine's loop is specialised for
/// ``TwoClasses`` so the compiler unrolls its per-class loops.
protocol ClassCountKind {
    static func count(_ runtime: Int) -> Int
}

enum TwoClasses: ClassCountKind {
    @inline(__always) static func count(_ runtime: Int) -> Int { 2 }
}

enum AnyClassCount: ClassCountKind {
    @inline(__always) static func count(_ runtime: Int) -> Int { runtime }
}

/// A row's weight as a type: the engine's loop is specialised for
/// ``UnitWeights`` (every row of the chunk weighs exactly 1), where each
/// product by the weight folds away at compile time. `1 · x` is `x` bit for
/// bit, so the terms and their sums are those the stored weights give.
protocol RowWeightKind {
    static func weight(_ stored: Double) -> Double
}

enum StoredWeights: RowWeightKind {
    @inline(__always) static func weight(_ stored: Double) -> Double { stored }
}

enum UnitWeights: RowWeightKind {
    @inline(__always) static func weight(_ stored: Double) -> Double { 1 }
}

extension AuditAccumulator {
    /// Everything an accumulator holds, as plain values: its shape, settings
    /// and loss specifications, and every family's totals (``FamilyState``)
    /// in the order of ``familyNames``. Doubles are kept as their exact values
    /// (a compensated sum as its two parts), so an accumulator restored from a
    /// state (``AuditAccumulator/init(restoring:)``) continues bit for bit: merged
    /// with further chunks it gives the same result as the original would.
    /// Two states are equal when every double has the same bit pattern.
    public struct State: Sendable, Hashable {
        public var shape: ClassificationShape
        public var settings: AuditSettings
        public var losses: [LossSpecification]
        /// One state per family, in the order of ``familyNames``.
        public var families: [FamilyState]

        public init(shape: ClassificationShape, settings: AuditSettings, losses: [LossSpecification], families: [FamilyState]) {
            self.shape = shape
            self.settings = settings
            self.losses = losses
            self.families = families
        }

        /// The families a state lists, in order: the scalar totals (rows,
        /// clipped rows, `W`, cross-entropy, Brier, confidence, confident and
        /// confidently wrong weight, positive score), the class totals, the
        /// confusion matrix, the top-label bins, the class-wise bins, the
        /// imbalance losses, the worst rows and the soft-target sums (an empty
        /// state when the shape has no soft targets).
        public static let familyNames = ["scalarTotals", "classTotals", "confusion", "topLabel", "classwise", "losses", "worstRows", "softTargets"]
    }

    /// Why a ``State`` cannot be restored. Nothing is restored on a failure.
    public enum RestoreError: Error, Sendable, Hashable, CustomStringConvertible {
        /// A setting no accumulator can have (fewer than one bin).
        case invalidSetting(name: String, value: String)
        /// The state lists another number of families than ``State/familyNames``.
        case familyCount(expected: Int, found: Int)
        /// A family holds fewer (`tooShort`) or more (`tooLong`) numbers than
        /// the shape, settings and losses give it: a truncated state, or one
        /// whose families were made for another shape.
        case mismatchedShape(family: String, FamilyState.Malformed)
        /// A family holds a value it can never hold: a negative count, more
        /// clipped rows than rows, more worst rows than the limit, worst rows
        /// out of rank order or with a class index outside `0..<K`.
        case malformed(family: String)

        public var description: String {
            switch self {
            case let .invalidSetting(name, value): "cannot restore an audit with \(name) \(value)"
            case let .familyCount(expected, found): "cannot restore an audit of \(found) families; expected \(expected)"
            case let .mismatchedShape(family, reason):
                "cannot restore the \(family) family: it holds \(reason == .tooShort ? "fewer" : "more") numbers than its shape gives it"
            case let .malformed(family): "cannot restore the \(family) family: it holds a value out of range"
            }
        }
    }

    /// This accumulator's state: see ``State``.
    public var state: State {
        State(shape: shape, settings: settings, losses: families.losses.specifications,
              families: [scalars.state, families.classTotals.state, families.confusion.state, families.topLabel.state,
                         families.classwise.state, families.losses.state, worst.state, softTargets?.state ?? FamilyState()])
    }

    /// The accumulator a ``State`` describes, bit for bit: its shape,
    /// settings, losses and every family's totals. Fails when the settings
    /// cannot be audited, when a family's numbers do not fit the layout the
    /// shape, settings and losses give it, or when they hold a value out of range.
    public init(restoring state: State) throws(RestoreError) {
        guard state.settings.bins >= 1 else { throw .invalidSetting(name: "bins", value: "\(state.settings.bins)") }
        let names = State.familyNames
        guard state.families.count == names.count else { throw .familyCount(expected: names.count, found: state.families.count) }
        self.init(shape: state.shape, settings: state.settings, losses: state.losses)
        let parts = state.families
        scalars = try Self.restored(scalars, parts[0], name: names[0])
        families.classTotals = try Self.restored(families.classTotals, parts[1], name: names[1])
        families.confusion = try Self.restored(families.confusion, parts[2], name: names[2])
        families.topLabel = try Self.restored(families.topLabel, parts[3], name: names[3])
        families.classwise = try Self.restored(families.classwise, parts[4], name: names[4])
        families.losses = try Self.restored(families.losses, parts[5], name: names[5])
        worst = try Self.restored(worst, parts[6], name: names[6])
        if let soft = softTargets {
            softTargets = try Self.restored(soft, parts[7], name: names[7])
        } else if parts[7] != FamilyState() {
            throw .mismatchedShape(family: names[7], .tooLong)
        }
        let k = shape.classCount
        guard worst.rows.allSatisfy({ $0.label < k && $0.predicted < k }) else { throw .malformed(family: names[6]) }
    }

    /// `family` with the totals of `state`, its failure named after the family.
    private static func restored<Family: AccumulatorFamily>(_ family: Family, _ state: FamilyState, name: String) throws(RestoreError) -> Family {
        do throws(FamilyState.Malformed) {
            return try family.restoring(state)
        } catch {
            switch error {
            case .tooShort, .tooLong: throw .mismatchedShape(family: name, error)
            case .outOfRange: throw .malformed(family: name)
            }
        }
    }
}
