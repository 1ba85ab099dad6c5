/// The six numbers of the recalibration comparison (SPEC 12): cross-entropy,
/// Brier score, ECE (positive class for binary tasks, top label otherwise),
/// equal-mass ECE, smooth ECE and ROC AUC of a table's scores, the same bits
/// as the engine's audit of the table with the comparison's settings
/// (`Recalibration.comparisonAudit`: cross-entropy loss only, ranking on,
/// no bootstrap, the whole table added as one chunk). NaN where undefined.
///
/// A binary table computes only what the six read, bit for bit as the
/// audit does: one pass over the rows in order with the audit's own
/// operations for the sums read (`ScalarTotalsFamily.Running`'s `W`,
/// cross-entropy and Brier sums, `ReliabilityBins.addTerms` for the
/// positive class's bins), folded as the audit folds them, but only the
/// true class's log-probability (the one the cross-entropy reads; the audit
/// takes both) and none of the other sums (confusion, top-label and
/// negative-class bins, losses, worst rows); then the same `ScoreStore` of
/// the rows' keys (with no weights copied when every kept row weighs 1, as
/// the store keeps them) ranked and walked as the audit's `finish` does.
/// A multiclass table is the whole audit.
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
        // The scalar totals' chunk sums `W`, cross-entropy and Brier (`ScalarTotalsFamily.Running`'s
        // operations for a binary row), and the positive class's bins (`ReliabilityBins.addTerms`').
        // With a runner, two passes over the rows in the same order on two cores, each sum added as one loop
        // would (the same bits): the weights and the cross-entropy's logarithms in one, the rest in the other.
        // Without one, and for logits (whose probability and log-probability come from one computation), one pass.
        nonisolated(unsafe) var weight = 0.0, crossEntropySum = 0.0, brierSum = 0.0
        var binSums = [Double](repeating: 0, count: 4 * binCount)
        var binCounts = [Int](repeating: 0, count: binCount)
        // The store's keys (rows of weight 0 left out), and their weights once one is not 1.
        var keys = [UInt64](unsafeUninitializedCapacity: n) { _, count in count = n }
        nonisolated(unsafe) var keptWeights: [Double] = []
        nonisolated(unsafe) var kept = 0
        table.scores.withUnsafeBufferPointer { scoreBuffer in
            table.labels.withUnsafeBufferPointer { labelBuffer in
                table.weights.withUnsafeBufferPointer { weightBuffer in
                    keys.withUnsafeMutableBufferPointer { keyBuffer in
                        binSums.withUnsafeMutableBufferPointer { sumBuffer in
                            binCounts.withUnsafeMutableBufferPointer { countBuffer in
                                let scores = SendablePointer(UnsafeMutablePointer(mutating: scoreBuffer.baseAddress!))
                                let labels = SendablePointer(UnsafeMutablePointer(mutating: labelBuffer.baseAddress!))
                                let weights = SendablePointer(UnsafeMutablePointer(mutating: weightBuffer.baseAddress!))
                                let key = SendablePointer(keyBuffer.baseAddress!), sums = SendablePointer(sumBuffer.baseAddress!)
                                let counts = SendablePointer(countBuffer.baseAddress!)
                                let pass: @Sendable (_ logs: Bool, _ rest: Bool) -> Void = { logs, rest in
                                    var unit = true
                                    for i in 0..<n {
                                        let positive = labels.pointer[i] == 1, w = weights.pointer[i], x = scores.pointer[i]
                                        // The audit's positive probability and the true class's log-probability.
                                        var s = x
                                        if isLogit {
                                            let logit = StableMath.binaryLogit(x)
                                            s = logit.positive
                                            weight += w
                                            crossEntropySum += w * -(positive ? logit.logPositive : logit.logNegative)
                                        } else if logs {
                                            weight += w
                                            crossEntropySum += w * -StableMath.ln(Swift.max(positive ? x : 1 - x, probabilityFloor))
                                        }
                                        guard rest else { continue }
                                        let d = s - (positive ? 1.0 : 0.0)
                                        brierSum += w * d * d
                                        let b = ReliabilityBins.binIndex(of: s, binCount: binCount)
                                        counts.pointer[b] &+= 1
                                        let at = sums.pointer + 4 * b
                                        at[0] += w
                                        at[1] += w * s
                                        at[2] += w * (positive ? 1.0 : 0.0)
                                        at[3] += w * w
                                        guard w != 0 else { continue }
                                        key.pointer[kept] = ScoreStore.key(score: s, positive: positive)
                                        if w != 1 && unit {
                                            // The first kept row weighing other than 1: the kept rows so far weigh 1.
                                            unit = false
                                            keptWeights = [Double](repeating: 1, count: n)
                                        }
                                        if !unit { keptWeights[kept] = w }
                                        kept &+= 1
                                    }
                                }
                                if !isLogit, let runner {
                                    runner(2) { task in pass(task == 0, task == 1) }
                                } else {
                                    pass(true, true)
                                }
                            }
                        }
                    }
                }
            }
        }
        var positiveBins = ReliabilityBins(binCount: binCount)
        binSums.withUnsafeBufferPointer { sums in
            binCounts.withUnsafeBufferPointer { counts in positiveBins.fold(counts: counts.baseAddress!, sums: sums.baseAddress!) }
        }
        // Folded into compensated sums, as the audit's scalar totals are.
        var scalars = ScalarTotalsFamily(confidentAt: confidentAt)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 7) { sums in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 2) { counts in
                var running = ScalarTotalsFamily.Running()
                (running.weight, running.crossEntropy, running.brier, running.rows) = (weight, crossEntropySum, brierSum, n)
                running.store(sums: sums.baseAddress!, counts: counts.baseAddress!)
                scalars.fold(sums: sums.baseAddress!, counts: counts.baseAddress!)
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
