/// The single-pass, mergeable accumulator behind every metric of SPEC
/// section 3: one `add(_:)` per chunk of rows, `merge(_:)` to combine chunks
/// (in chunk order, so results do not depend on how many workers ran), and
/// ``result(classNames:)`` to finish.
///
/// Per row it derives the class probabilities `p_k` and log-probabilities
/// `ln p_k` once (stable log-sigmoid / log-softmax on the logit path; clipping
/// to `[ε, 1]` before the logarithm on the probability path) and feeds every
/// sum from them. The sums live in `AccumulatorFamily` types (class totals,
/// confusion, top-label and class-wise bins, losses) fed from one shared
/// `RowContext` per row; the scalar sums stay in the loop's registers.
/// Complexity: O(N·K) time, O(K² + K·B) memory.
public struct AuditAccumulator: Sendable {
    public let shape: ClassificationShape
    public let settings: AuditSettings

    var rowCount = 0
    var clippedRows = 0
    var totalWeight = CompensatedSum()
    var crossEntropy = CompensatedSum()
    var brier = CompensatedSum()
    var confidence = CompensatedSum()
    var confidentWeight = CompensatedSum()
    var confidentWrongWeight = CompensatedSum()
    var positiveScore = CompensatedSum()
    var families: AuditFamilies
    var worst: WorstRows

    public init(shape: ClassificationShape, settings: AuditSettings = AuditSettings(), losses: [LossSpecification] = LossSpecification.auditDefaults) {
        self.shape = shape
        self.settings = settings
        let k = shape.classCount
        families = AuditFamilies(classCount: k, settings: settings, losses: losses)
        worst = WorstRows(limit: settings.worstRowLimit)
    }

    /// Rows added so far.
    public var count: Int { rowCount }

    /// The bytes this accumulator's sums occupy: O(K² + K·B), from the
    /// storage it holds (confusion `K²`, class-wise bins `K·B`, loss sums),
    /// counted as element strides (array headers and allocator slack are
    /// left out). Readers use it to bound the state kept per segment.
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
        return own + perClass + bins + rows + families.losses.stateBytes
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
        // The same loop, compiled a second time with k = 2 known (binary tasks).
        if shape.classCount == 2 {
            add(table, rows: rows, classes: TwoClasses.self)
        } else {
            add(table, rows: rows, classes: AnyClassCount.self)
        }
    }

    @inline(__always)
    private mutating func add<Classes: ClassCountKind>(_ table: PredictionTable, rows: some Sequence<Int>, classes: Classes.Type) {
        let k = Classes.count(shape.classCount)
        let isLogit = shape.scoreKind == .logits
        let confidentAt = settings.confidentAt
        // Bound once per chunk: a method called on a stored property inside the
        // loop's closures would copy the struct (and retain its arrays) every row.
        let rowFamilies = families
        // Layout of the scratch: the scalar sums (7 sums, 2 counts), then the families'.
        var layout = ScratchLayout()
        _ = layout.reserve(ScratchLayout(doubles: 7, counts: 2))
        let familiesAt = layout.reserve(rowFamilies.scratchLayout)
        let sumCount = layout.doubles
        let countCount = layout.counts

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
                    // Known at compile time in the binary specialisation.
                    let k = Classes.count(k)
                    let binary = k == 2
                    // The scalar sums stay in registers through the loop.
                    var added = 0, clipped = 0
                    var weightSum = 0.0, crossEntropySum = 0.0, brierSum = 0.0, confidenceSum = 0.0
                    var confidentSum = 0.0, confidentWrongSum = 0.0, positiveSum = 0.0
                    for i in rows {
                        let y = Int(labels[i])
                        let w = weights[i]
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
                        // 2. Cross-entropy and Brier.
                        if !isLogit && p[y] < probabilityFloor { clipped &+= 1 }
                        let ce = -lp[y]
                        added &+= 1
                        weightSum += w
                        crossEntropySum += w * ce
                        if binary {
                            let d = s - (y == 1 ? 1.0 : 0.0)
                            brierSum += w * d * d
                            positiveSum += w * s
                        } else {
                            var b = 0.0
                            for c in 0..<k {
                                let d = p[c] - (c == y ? 1.0 : 0.0)
                                b += d * d
                            }
                            brierSum += w * b
                        }
                        // 3. Top label (argmax, ties to the lowest index).
                        var top = 0
                        var topP = p[0]
                        for c in 1..<k where p[c] > topP { top = c; topP = p[c] }
                        let topCorrect = top == y
                        confidenceSum += w * topP
                        if topP >= confidentAt {
                            confidentSum += w
                            if !topCorrect { confidentWrongSum += w }
                        }
                        // 4. The families, on the row's shared context.
                        let row = RowContext(label: y, weight: w, classCount: k, probabilities: p, logProbabilities: lp,
                                             top: top, topProbability: topP, positiveScore: s, clipped: !isLogit)
                        rowFamilies.accumulate(row, sums: sums + familiesAt.sums, counts: counts + familiesAt.counts)
                        // 5. The most confidently wrong rows.
                        if !topCorrect && worst.admits(crossEntropy: ce) {
                            worst.insert(WorstRow(line: table.lines[i], id: table.id(at: i), label: y, predicted: top,
                                                  confidence: topP, crossEntropy: ce))
                        }
                    }
                    counts[0] = added
                    counts[1] = clipped
                    sums[0] = weightSum
                    sums[1] = crossEntropySum
                    sums[2] = brierSum
                    sums[3] = confidenceSum
                    sums[4] = confidentSum
                    sums[5] = confidentWrongSum
                    sums[6] = positiveSum
                }
                }
                }
                // Fold the chunk's plain sums into the compensated totals.
                rowCount += counts[0]
                clippedRows += counts[1]
                totalWeight.add(sums[0])
                crossEntropy.add(sums[1])
                brier.add(sums[2])
                confidence.add(sums[3])
                confidentWeight.add(sums[4])
                confidentWrongWeight.add(sums[5])
                positiveScore.add(sums[6])
                families.fold(sums: sums + familiesAt.sums, counts: counts + familiesAt.counts)
            }
        }
    }

    /// Adds another accumulator's rows. Merge chunks in their input order for
    /// byte-identical results whatever the number of workers.
    public mutating func merge(_ other: AuditAccumulator) {
        precondition(other.shape == shape && other.settings == settings, "merging accumulators of different settings")
        rowCount += other.rowCount
        clippedRows += other.clippedRows
        totalWeight.merge(other.totalWeight)
        families.merge(other.families)
        crossEntropy.merge(other.crossEntropy)
        brier.merge(other.brier)
        confidence.merge(other.confidence)
        confidentWeight.merge(other.confidentWeight)
        confidentWrongWeight.merge(other.confidentWrongWeight)
        positiveScore.merge(other.positiveScore)
        worst.merge(other.worst)
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
