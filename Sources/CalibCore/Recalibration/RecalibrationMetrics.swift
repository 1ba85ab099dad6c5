/// The six numbers of the recalibration comparison (SPEC 12): cross-entropy,
/// Brier score, ECE (positive class for binary tasks, top label otherwise),
/// equal-mass ECE, smooth ECE and ROC AUC of a table's scores, the same bits
/// as the engine's audit of the table with the comparison's settings
/// (`Recalibration.comparisonAudit`: cross-entropy loss only, ranking on,
/// no bootstrap, the whole table added as one chunk). NaN where undefined.
///
/// A binary table computes only what the six read, bit for bit as the
/// audit does: one pass over the rows in order with the audit's own per-row
/// terms (`ScalarTotalsFamily.Running`, the positive class's
/// `ReliabilityBins`), but only the true class's log-probability (the one
/// the cross-entropy reads; the audit takes both) and none of the other
/// families (confusion, top-label and negative-class bins, losses, worst
/// rows); then the same `ScoreStore` of the rows' keys (with no weights
/// copied when every kept row weighs 1, as the store keeps them) ranked and
/// walked as the audit's `finish` does. A multiclass table is the whole audit.
public struct RecalibrationMetrics: Sendable, Hashable {
    public let crossEntropy, brier, ece, equalMassECE, smoothECE, rocAUC: Double

    public init(crossEntropy: Double, brier: Double, ece: Double, equalMassECE: Double, smoothECE: Double, rocAUC: Double) {
        (self.crossEntropy, self.brier, self.ece) = (crossEntropy, brier, ece)
        (self.equalMassECE, self.smoothECE, self.rocAUC) = (equalMassECE, smoothECE, rocAUC)
    }

    /// The six values of an audit (NaN where it has none).
    public init(_ result: AuditResult) {
        let m = result.metrics
        self.init(crossEntropy: m.crossEntropy, brier: m.brier, ece: m.ece, equalMassECE: m.calibration.equalMassECE,
                  smoothECE: m.calibration.smoothECE,
                  rocAUC: result.ranking.flatMap { RankingKey.rocAUC.value(in: $0, task: result.task) } ?? .nan)
    }

    /// The metrics of `table`'s scores with `settings` (its `bins` and
    /// `confidentAt`); `runner` runs the ranking's tasks (the same bits for any).
    public init(of table: PredictionTable, settings: AuditSettings, runner: RankingRunner? = nil) {
        guard table.shape.task == .binary else {
            let names = (0..<table.shape.classCount).map { "\($0)" }
            self.init(Recalibration.comparisonAudit(table, classes: names, settings: settings, runner: runner))
            return
        }
        self = Self.binary(table, settings: settings, runner: runner)
    }

    /// The binary table's pass: see the type's notes.
    private static func binary(_ table: PredictionTable, settings: AuditSettings, runner: RankingRunner?) -> RecalibrationMetrics {
        let n = table.count
        let isLogit = table.shape.scoreKind == .logits
        let binCount = settings.bins, confidentAt = settings.confidentAt
        var scalars = ScalarTotalsFamily(confidentAt: confidentAt)
        var positiveBins = ReliabilityBins(binCount: binCount)
        // The store's keys (rows of weight 0 left out), and their weights once one is not 1.
        var keys = [UInt64](unsafeUninitializedCapacity: n) { _, count in count = n }
        var keptWeights: [Double] = []
        var kept = 0
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 7 + 4 * binCount + 4) { doubles in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 + binCount) { ints in
                let sums = doubles.baseAddress!, counts = ints.baseAddress!
                sums.initialize(repeating: 0, count: 7 + 4 * binCount + 4)
                counts.initialize(repeating: 0, count: 2 + binCount)
                let p = sums + 7 + 4 * binCount, lp = p + 2
                var sink = ScratchSink(sums: sums + 7, counts: counts + 2)
                var running = ScalarTotalsFamily.Running()
                var unit = true
                table.scores.withUnsafeBufferPointer { scores in
                    table.labels.withUnsafeBufferPointer { labels in
                        table.weights.withUnsafeBufferPointer { weights in
                            keys.withUnsafeMutableBufferPointer { keyBuffer in
                                let key = keyBuffer.baseAddress!
                                for i in 0..<n {
                                    let y = Int(labels[i]), w = weights[i], x = scores[i]
                                    // The audit's probabilities; of the logarithms only the true class's, `lp[y]`.
                                    if isLogit {
                                        let logit = StableMath.binaryLogit(x)
                                        p[1] = logit.positive; p[0] = logit.negative
                                        lp[1] = logit.logPositive; lp[0] = logit.logNegative
                                    } else {
                                        p[1] = x; p[0] = 1 - x
                                        lp[y] = StableMath.ln(Swift.max(p[y], probabilityFloor))
                                    }
                                    let s = p[1]
                                    let top = p[1] > p[0] ? 1 : 0
                                    let row = RowContext(label: y, weight: w, classCount: 2, probabilities: p, logProbabilities: lp,
                                                         top: top, topProbability: p[top], positiveScore: s, clipped: !isLogit)
                                    running.add(row, confidentAt: confidentAt)
                                    ReliabilityBins.addTerms(value: s, outcome: y == 1 ? 1 : 0, weight: w, binCount: binCount,
                                                             to: &sink, at: .zero)
                                    guard w != 0 else { continue }
                                    key[kept] = ScoreStore.key(score: s, positive: y == 1)
                                    if w != 1 && unit {
                                        // The first kept row weighing other than 1: the kept rows so far weigh 1.
                                        unit = false
                                        keptWeights = [Double](repeating: 1, count: n)
                                    }
                                    if !unit { keptWeights[kept] = w }
                                    kept &+= 1
                                }
                            }
                        }
                    }
                }
                running.store(sums: sums, counts: counts)
                scalars.fold(sums: sums, counts: counts)
                positiveBins.fold(counts: counts + 2, sums: sums + 7)
            }
        }
        let totals = scalars.result(FamilyResultContext(totalWeight: .nan, classWeights: [], classNames: []))
        let w = totals.totalWeight
        let crossEntropy = totals.crossEntropy / w, brier = totals.brier / w
        let ece = positiveBins.table(totalWeight: w).expectedCalibrationError
        // The audit's score store, ranked and walked as its `finish` does.
        let rankingSettings = Recalibration.comparisonRanking
        var store = ScoreStore(shape: table.shape, settings: rankingSettings)
        if kept > 0 {
            keys.withUnsafeBufferPointer { k in
                keptWeights.withUnsafeBufferPointer { weights in
                    store.append(keys: k.baseAddress!, stride: n, weights: weights.isEmpty ? nil : weights.baseAddress, rows: kept)
                }
            }
        }
        keys = []
        keptWeights = []
        let (ranking, sorted) = store.takeRankingAndCalibration(settings: rankingSettings, binCount: binCount, runner: runner)
        var equalMassECE = Double.nan, smoothECE = Double.nan
        if case let .walked(walked, smooth, fits) = sorted {
            let estimates = CalibrationEstimates(walked, binary: true, smooth: smooth, fits: fits, brier: brier, crossEntropy: crossEntropy)
            (equalMassECE, smoothECE) = (estimates.equalMassECE, estimates.smoothECE)
        }
        return RecalibrationMetrics(crossEntropy: crossEntropy, brier: brier, ece: ece, equalMassECE: equalMassECE,
                                    smoothECE: smoothECE, rocAUC: RankingKey.rocAUC.value(in: ranking, task: .binary) ?? .nan)
    }
}

extension Recalibration {
    /// The ranking of the comparison's audits: no operating points (recall
    /// at a precision, an FPR or an alert budget), which none of its numbers read.
    static let comparisonRanking = RankingSettings(precisionTargets: [], fprTargets: [], topFractions: [])

    /// The engine's audit of a whole table as the recalibration comparison
    /// reads it (SPEC 12): `settings` with no worst rows, the cross-entropy
    /// loss only, ranking on with no operating points, no bootstrap, the
    /// table added as one chunk.
    public static func comparisonAudit(_ table: PredictionTable, classes: [String], settings: AuditSettings,
                                       runner: RankingRunner?) -> AuditResult {
        var settings = settings
        settings.worstRowLimit = 0
        var accumulator = AuditAccumulator(shape: table.shape, settings: settings, losses: [.crossEntropy], ranking: comparisonRanking)
        accumulator.add(table)
        return accumulator.finish(classNames: classes, runner: runner)
    }
}
