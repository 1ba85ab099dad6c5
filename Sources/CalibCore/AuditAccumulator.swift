/// The single-pass, mergeable accumulator behind every metric of SPEC
/// section 3: one `add(_:)` per chunk of rows, `merge(_:)` to combine chunks
/// (in chunk order, so results do not depend on how many workers ran), and
/// ``result(classNames:)`` to finish.
///
/// Per row it derives the class probabilities `p_k` and log-probabilities
/// `ln p_k` once (stable log-sigmoid / log-softmax on the logit path; clipping
/// to `[ε, 1]` before the logarithm on the probability path) and feeds every
/// sum from them. Complexity: O(N·K) time, O(K² + K·B) memory.
public struct AuditAccumulator: Sendable {
    public let shape: ClassificationShape
    public let settings: AuditSettings

    var rowCount = 0
    var clippedRows = 0
    var totalWeight = CompensatedSum()
    var classWeight: [CompensatedSum]
    var classRows: [Int]
    var classCrossEntropy: [CompensatedSum]
    var crossEntropy = CompensatedSum()
    var brier = CompensatedSum()
    var confidence = CompensatedSum()
    var confusion: [CompensatedSum]
    var confidentWeight = CompensatedSum()
    var confidentWrongWeight = CompensatedSum()
    var positiveScore = CompensatedSum()
    var topLabel: ReliabilityBins
    var classwise: [ReliabilityBins]
    var worst: WorstRows
    var losses: LossAccumulator

    public init(shape: ClassificationShape, settings: AuditSettings = AuditSettings(), losses: [LossSpecification] = LossSpecification.auditDefaults) {
        self.shape = shape
        self.settings = settings
        let k = shape.classCount
        classWeight = Array(repeating: CompensatedSum(), count: k)
        classRows = Array(repeating: 0, count: k)
        classCrossEntropy = Array(repeating: CompensatedSum(), count: k)
        confusion = Array(repeating: CompensatedSum(), count: k * k)
        topLabel = ReliabilityBins(binCount: settings.bins)
        classwise = Array(repeating: ReliabilityBins(binCount: settings.bins), count: k)
        worst = WorstRows(limit: settings.worstRowLimit)
        self.losses = LossAccumulator(classCount: k, specifications: losses)
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
        return MemoryLayout<AuditAccumulator>.stride + perClass + bins + rows + losses.stateBytes
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
        let bins = settings.bins
        let isLogit = shape.scoreKind == .logits
        let threshold = settings.threshold
        let confidentAt = settings.confidentAt
        // Layout of the Double sums.
        let scalars = 7
        let classWeightAt = scalars, classCEAt = classWeightAt + k, confusionAt = classCEAt + k
        let topAt = confusionAt + k * k
        let classwiseAt = topAt + 4 * bins
        let lossAt = classwiseAt + 4 * bins * k
        let sumCount = lossAt + losses.scratchCount
        // Layout of the counts.
        let classRowsAt = 2, topCountAt = classRowsAt + k
        let classwiseCountAt = topCountAt + bins
        let countCount = classwiseCountAt + bins * k
        // Bound once per chunk: a method called on the stored property inside the
        // loop's closures would copy the struct (and retain its arrays) every row.
        let lossModel = losses

        withUnsafeTemporaryAllocation(of: Double.self, capacity: sumCount + 2 * k + lossModel.powerScratchCount) { doubles in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: countCount) { ints in
                let sums = doubles.baseAddress!
                let counts = ints.baseAddress!
                sums.initialize(repeating: 0, count: sumCount)
                counts.initialize(repeating: 0, count: countCount)
                let p = sums + sumCount
                let lp = p + k
                let powers = lp + k
                @inline(__always) func addBin(_ sumsAt: Int, _ countsAt: Int, _ value: Double, _ outcome: Double, _ w: Double) {
                    let b = ReliabilityBins.binIndex(of: value, binCount: bins)
                    counts[countsAt + b] &+= 1
                    let s = sums + sumsAt + 4 * b
                    s[0] += w
                    s[1] += w * value
                    s[2] += w * outcome
                    s[3] += w * w
                }
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
                        counts[classRowsAt + y] &+= 1
                        weightSum += w
                        crossEntropySum += w * ce
                        sums[classWeightAt + y] += w
                        sums[classCEAt + y] += w * ce
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
                        // 3. Top label (argmax, ties to the lowest index) and the decision.
                        var top = 0
                        var topP = p[0]
                        for c in 1..<k where p[c] > topP { top = c; topP = p[c] }
                        let decided = binary ? (s >= threshold ? 1 : 0) : top
                        sums[confusionAt + y * k + decided] += w
                        let topCorrect = top == y
                        confidenceSum += w * topP
                        addBin(topAt, topCountAt, topP, topCorrect ? 1 : 0, w)
                        if topP >= confidentAt {
                            confidentSum += w
                            if !topCorrect { confidentWrongSum += w }
                        }
                        // 4. Class-wise reliability (for a binary task class 1's table is
                        //    the positive-class table: the same value, the same outcome).
                        for c in 0..<k {
                            addBin(classwiseAt + 4 * bins * c, classwiseCountAt + bins * c, p[c], c == y ? 1 : 0, w)
                        }
                        // 5. The most confidently wrong rows.
                        if !topCorrect && worst.admits(crossEntropy: ce) {
                            worst.insert(WorstRow(line: table.lines[i], id: table.id(at: i), label: y, predicted: top,
                                                  confidence: topP, crossEntropy: ce))
                        }
                        // 6. Imbalance losses.
                        lossModel.accumulate(into: sums + lossAt, label: y, classCount: k, weight: w, probabilities: p, logProbabilities: lp,
                                             clipped: !isLogit, powers: powers)
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
                for c in 0..<k {
                    classRows[c] += counts[classRowsAt + c]
                    classWeight[c].add(sums[classWeightAt + c])
                    classCrossEntropy[c].add(sums[classCEAt + c])
                    classwise[c].fold(counts: counts + classwiseCountAt + bins * c, sums: sums + classwiseAt + 4 * bins * c)
                }
                for j in 0..<(k * k) { confusion[j].add(sums[confusionAt + j]) }
                topLabel.fold(counts: counts + topCountAt, sums: sums + topAt)
                losses.fold(sums + lossAt)
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
        for c in 0..<shape.classCount {
            classWeight[c].merge(other.classWeight[c])
            classRows[c] += other.classRows[c]
            classCrossEntropy[c].merge(other.classCrossEntropy[c])
            classwise[c].merge(other.classwise[c])
        }
        crossEntropy.merge(other.crossEntropy)
        brier.merge(other.brier)
        confidence.merge(other.confidence)
        for j in confusion.indices { confusion[j].merge(other.confusion[j]) }
        confidentWeight.merge(other.confidentWeight)
        confidentWrongWeight.merge(other.confidentWrongWeight)
        positiveScore.merge(other.positiveScore)
        topLabel.merge(other.topLabel)
        worst.merge(other.worst)
        losses.merge(other.losses)
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
