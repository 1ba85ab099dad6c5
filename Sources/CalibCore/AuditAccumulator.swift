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
    var positive: ReliabilityBins
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
        positive = ReliabilityBins(binCount: shape.task == .binary ? settings.bins : 1)
        classwise = Array(repeating: ReliabilityBins(binCount: settings.bins), count: k)
        worst = WorstRows(limit: settings.worstRowLimit)
        self.losses = LossAccumulator(classCount: k, specifications: losses)
    }

    /// Rows added so far.
    public var count: Int { rowCount }

    /// Adds every row of a chunk.
    public mutating func add(_ table: PredictionTable) {
        add(table, rows: 0..<table.count)
    }

    /// Adds the given rows of a chunk (a segment's rows, say), in the order given.
    public mutating func add(_ table: PredictionTable, rows: some Sequence<Int>) {
        precondition(table.shape == shape, "chunk shape differs from the accumulator's")
        let k = shape.classCount
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * k) { scratch in
            let p = UnsafeMutableBufferPointer(rebasing: scratch[0..<k])
            let lp = UnsafeMutableBufferPointer(rebasing: scratch[k..<(2 * k)])
            table.scores.withUnsafeBufferPointer { scores in
                for i in rows {
                    addRow(i, of: table, scores: scores, p: p, lp: lp)
                }
            }
        }
    }

    @inline(__always)
    private mutating func addRow(
        _ i: Int, of table: PredictionTable, scores: UnsafeBufferPointer<Double>,
        p: UnsafeMutableBufferPointer<Double>, lp: UnsafeMutableBufferPointer<Double>
    ) {
        let k = shape.classCount
        let y = Int(table.labels[i])
        let w = table.weights[i]
        let isLogit = shape.scoreKind == .logits

        // 1. Probabilities and log-probabilities.
        var positiveScoreValue = 0.0
        if k == 2 {
            let x = scores[i]
            if isLogit {
                p[1] = StableMath.sigmoid(x); p[0] = StableMath.sigmoid(-x)
                lp[1] = StableMath.logSigmoid(x); lp[0] = StableMath.logSigmoid(-x)
            } else {
                p[1] = x; p[0] = 1 - x
                lp[1] = StableMath.ln(Swift.max(x, probabilityFloor))
                lp[0] = StableMath.ln(Swift.max(1 - x, probabilityFloor))
            }
            positiveScoreValue = p[1]
        } else {
            let base = i * k
            if isLogit {
                StableMath.logSoftmax(
                    UnsafeBufferPointer(rebasing: scores[base..<(base + k)]),
                    logProbabilities: lp, probabilities: p)
            } else {
                for c in 0..<k {
                    let v = scores[base + c]
                    p[c] = v
                    lp[c] = StableMath.ln(Swift.max(v, probabilityFloor))
                }
            }
        }

        // 2. Cross-entropy and Brier.
        if !isLogit && p[y] < probabilityFloor { clippedRows += 1 }
        let ce = -lp[y]
        rowCount += 1
        totalWeight.add(w)
        classWeight[y].add(w)
        classRows[y] += 1
        crossEntropy.add(w * ce)
        classCrossEntropy[y].add(w * ce)
        if k == 2 {
            let d = positiveScoreValue - (y == 1 ? 1.0 : 0.0)
            brier.add(w * d * d)
            positiveScore.add(w * positiveScoreValue)
        } else {
            var b = 0.0
            for c in 0..<k {
                let d = p[c] - (c == y ? 1.0 : 0.0)
                b += d * d
            }
            brier.add(w * b)
        }

        // 3. Top label (argmax, ties to the lowest index) and the decision.
        var top = 0
        var topP = p[0]
        for c in 1..<k where p[c] > topP { top = c; topP = p[c] }
        let decided = k == 2 ? (positiveScoreValue >= settings.threshold ? 1 : 0) : top
        confusion[y * k + decided].add(w)
        let topCorrect = top == y
        confidence.add(w * topP)
        topLabel.add(value: topP, outcome: topCorrect ? 1 : 0, weight: w)
        if topP >= settings.confidentAt {
            confidentWeight.add(w)
            if !topCorrect { confidentWrongWeight.add(w) }
        }

        // 4. Positive-class and class-wise reliability.
        if k == 2 { positive.add(value: positiveScoreValue, outcome: y == 1 ? 1 : 0, weight: w) }
        for c in 0..<k { classwise[c].add(value: p[c], outcome: c == y ? 1 : 0, weight: w) }

        // 5. The most confidently wrong rows.
        if !topCorrect && worst.admits(crossEntropy: ce) {
            worst.insert(WorstRow(
                line: table.lines[i], id: table.id(at: i), label: y, predicted: top,
                confidence: topP, crossEntropy: ce))
        }

        // 6. Imbalance losses.
        losses.add(label: y, weight: w, probabilities: UnsafeBufferPointer(p), logProbabilities: UnsafeBufferPointer(lp), clipped: !isLogit)
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
        positive.merge(other.positive)
        worst.merge(other.worst)
        losses.merge(other.losses)
    }
}
