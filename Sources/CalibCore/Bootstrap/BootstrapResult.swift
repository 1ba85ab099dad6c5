/// A value that gets a bootstrap interval (SPEC section 10), as gates, the
/// JSON `intervals.metrics` object and `calib compare` name it: every
/// ``MetricKey`` with an interval (`ece`, `macro.f1`, `decomposition.brier.miscalibration`),
/// the ranking's (`ranking.rocAUC`) and the per-class `precision[CLASS]`,
/// `recall[CLASS]` and `ece[CLASS]`, in that order.
public struct IntervalKey: Sendable {
    public let name: String
    public let polarity: MetricPolarity
    /// The values it can take: its interval is clipped to them.
    public let range: ClosedRange<Double>
    /// Whether the value needs the scores in order (ranking, SPEC section 9):
    /// its replicates come from the bootstrap's grid (see `BootstrapReplicates`).
    let needsSortedScores: Bool
    let read: @Sendable (AuditResult) -> Double?

    /// The keys of a result's task and classes, in order.
    public static func keys(for result: AuditResult) -> [IntervalKey] {
        let task = result.task
        let sortedNames = Set(MetricKey.sortedScoreKeys.map(\.name))
        var keys = MetricKey.all.filter { $0.hasInterval && $0.applies(to: task) }.map { key in
            IntervalKey(name: key.name, polarity: key.polarity, range: key.range, needsSortedScores: sortedNames.contains(key.name)) {
                key.value(in: $0.metrics)
            }
        }
        keys += RankingKey.all.filter { $0.hasInterval && $0.tasks.contains(task) }.map { key in
            IntervalKey(name: key.name, polarity: key.polarity, range: key.range, needsSortedScores: true) { result in
                result.ranking.flatMap { key.value(in: $0, task: task) }
            }
        }
        for key in ClassMetricKey.all where key.hasInterval {
            for (c, name) in result.classNames.enumerated() {
                keys.append(IntervalKey(name: "\(key.name)[\(name)]", polarity: key.polarity, range: key.range, needsSortedScores: false) {
                    key.value(in: $0.perClass[c])
                })
            }
        }
        return keys
    }
}

/// The intervals of one audit (SPEC section 10): for every ``IntervalKey``
/// its estimate, its basic bootstrap interval (``BasicBootstrapInterval``)
/// and its replicate values (what `calib compare` pairs), and the interval
/// of each reliability bin's observed rate.
public struct BootstrapResult: Sendable {
    /// One key's estimate, interval (`nil` when undefined: a NaN estimate,
    /// or fewer than two replicates where it is defined) and replicates.
    public struct Entry: Sendable {
        public let key: IntervalKey
        public let estimate: Double
        public let interval: MetricInterval?
        /// `θ*_r` for r = 0..<R (NaN where a replicate leaves the value undefined).
        public let replicates: [Double]
    }

    public let settings: BootstrapSettings
    /// In ``IntervalKey/keys(for:)`` order.
    public let entries: [Entry]
    /// Per bin of ``AuditResult/reliability`` (top-label): the interval of the observed rate (`nil` for an empty bin).
    public let reliabilityBins: [MetricInterval?]
    /// Per bin of ``AuditResult/positiveReliability`` (binary tasks).
    public let positiveReliabilityBins: [MetricInterval?]?
    /// Why the keys that need sorted scores have no interval, when they have none
    /// (no score store, or one past its memory budget).
    public let sortedUnavailableReason: String?

    /// The entry of the key called `name`, or `nil`.
    public func entry(_ name: String) -> Entry? { entries.first { $0.key.name == name } }
    /// The interval of the key called `name`, or `nil`.
    public func interval(_ name: String) -> MetricInterval? { entry(name)?.interval }

    /// The bins' intervals of the headline table (positive-class for binary tasks, top-label otherwise).
    public var headlineBins: [MetricInterval?] { positiveReliabilityBins ?? reliabilityBins }
}

extension BootstrapReplicates {
    /// The replicates' intervals. `base` is the accumulator whose `estimate`
    /// this is (its sums, settings and losses; its score store is not read).
    /// Each replicate's metrics are `base`'s result with the replicate's sums
    /// and, for the sorted estimators, a score store of the replicate's grid
    /// pseudo-rows; `runner` may finish replicates on several threads (the
    /// result is the same for any).
    func finish(base: AuditAccumulator, estimate: AuditResult, runner: RankingRunner?) -> BootstrapResult {
        let keys = IntervalKey.keys(for: estimate)
        let template = {
            var copy = base
            copy.scores = nil
            copy.bootstrap = nil
            return copy
        }()
        let names = estimate.classNames
        let sortedReason: String? = if base.rankingSettings == nil {
            "ranking is off: the sorted estimators have no score store"
        } else if estimate.ranking?.exact == false {
            "the score store passed its memory budget and keeps a sketch, not every score (raise --memory-budget)"
        } else if !(fullWeights.allSatisfy(\.isFinite) && fullScores.allSatisfy(\.isFinite)) {
            "the weights' sums are not finite"
        } else { nil }
        let withGrid = sortedReason == nil && !fullWeights.isEmpty
        // Replicates smooth at the full sample's bandwidth: one evaluation each instead of relplot's search.
        let sigma = estimate.metrics.calibration.smoothECEBandwidth
        let bandwidth: Double? = sigma.isFinite && sigma > 0 ? sigma : nil
        let smoothing = bandwidth.flatMap { FixedBandwidthSmoothECE(bandwidth: $0) }
        // A binary task's logistic fits on the grid: the full sample's first, each replicate's from its solution.
        var replicateFits = withGrid && columns == 1 ? ReplicateFits(self) : nil
        let gridFits = replicateFits?.fitFullSample(self)
        let fits = replicateFits
        // The ranked columns' pseudo-rows in order, once for every replicate.
        let ranking = withGrid ? ReplicateRanking(self, rankedColumns: columns == 1 ? 1 : columns - 1) : nil
        // The headline column's pseudo-rows in store order, once for every replicate's sorted walk.
        let walk = withGrid ? ReplicateWalk(self, binCount: template.settings.bins) : nil
        // The grid's own values for the full sample: what each replicate's grid value is measured from.
        let gridEstimate: AuditResult? = ranking.map {
            template.resultOnGrid(self, replicate: nil, classNames: names, smoothBandwidth: bandwidth, smoothing: smoothing,
                                  ranking: $0, fits: gridFits, walk: walk)
        }

        let r = replicates, keyCount = keys.count
        let topBins = estimate.reliability.bins.count
        let positiveBins = estimate.positiveReliability?.bins.count ?? 0
        var values = [Double](repeating: .nan, count: keyCount * r)
        var binValues = [Double](repeating: .nan, count: (topBins + positiveBins) * r)
        values.withUnsafeMutableBufferPointer { valueStorage in
            binValues.withUnsafeMutableBufferPointer { binStorage in
                let valueAt = SendablePointer(valueStorage.baseAddress!), binAt = SendablePointer(binStorage.baseAddress!)
                let body: @Sendable (Int, inout ReplicateScratch) -> Void = { replicate, scratch in
                    var copy = template
                    copy.scalars = scalars[replicate]
                    copy.families = families[replicate]
                    let result = if let ranking, let walk {
                        copy.resultOnGrid(self, replicate: replicate, classNames: names, smoothBandwidth: bandwidth,
                                          smoothing: smoothing, ranking: ranking, fits: fits?.fit(self, replicate: replicate),
                                          walk: walk, scratch: &scratch)
                    } else {
                        copy.result(classNames: names, ranking: nil, sorted: nil)
                    }
                    for (i, key) in keys.enumerated() {
                        guard var value = key.read(result) else { continue }
                        if key.needsSortedScores {
                            guard let gridEstimate, let full = key.read(gridEstimate), let exact = key.read(estimate) else { continue }
                            value = exact + (value - full)
                        }
                        valueAt.pointer[i * r + replicate] = value
                    }
                    for (b, bin) in result.reliability.bins.enumerated() {
                        binAt.pointer[b * r + replicate] = bin.observedRate ?? .nan
                    }
                    for (b, bin) in (result.positiveReliability?.bins ?? []).enumerated() {
                        binAt.pointer[(topBins + b) * r + replicate] = bin.observedRate ?? .nan
                    }
                }
                // Blocks of a few replicates, each finished by one worker with one scratch (any split gives the same values).
                let block = Self.finishBlock, blocks = (r + block - 1) / block
                let finishBlock: @Sendable (Int) -> Void = { b in
                    var scratch = ReplicateScratch()
                    for replicate in (b * block)..<Swift.min(r, (b + 1) * block) { body(replicate, &scratch) }
                }
                if let runner { runner(blocks, finishBlock) } else { for b in 0..<blocks { finishBlock(b) } }
            }
        }

        let confidence = settings.confidence
        let entries = keys.enumerated().map { i, key in
            let replicateValues = Array(values[(i * r)..<((i + 1) * r)])
            let value = key.read(estimate) ?? .nan
            let available = !key.needsSortedScores || withGrid
            return BootstrapResult.Entry(
                key: key, estimate: value,
                interval: available ? BasicBootstrapInterval.interval(estimate: value, replicates: replicateValues, confidence: confidence, range: key.range) : nil,
                replicates: replicateValues)
        }
        func binIntervals(_ table: ReliabilityTable, from first: Int) -> [MetricInterval?] {
            table.bins.enumerated().map { b, bin in
                bin.observedRate.flatMap { rate in
                    BasicBootstrapInterval.interval(estimate: rate, replicates: Array(binValues[((first + b) * r)..<((first + b + 1) * r)]),
                                                    confidence: confidence, range: 0...1)
                }
            }
        }
        return BootstrapResult(
            settings: settings, entries: entries,
            reliabilityBins: binIntervals(estimate.reliability, from: 0),
            positiveReliabilityBins: estimate.positiveReliability.map { binIntervals($0, from: topBins) },
            sortedUnavailableReason: sortedReason)
    }

    /// Replicates a worker finishes in a row with one `ReplicateScratch`: its grid is zeroed once for
    /// them (262 KB), and at R = 200 they are 50 tasks, enough to keep any common count of threads busy.
    static let finishBlock = 4

    /// The pseudo-rows of replicate `replicate`'s grid (`nil`: the full
    /// sample's), column by column: each non-empty cell's negatives and
    /// positives as one row each, at the full sample's mean score of the
    /// cell's negatives (positives), weighing the replicate's weight there.
    func pseudoStore(replicate: Int?, shape: ClassificationShape, settings: RankingSettings) -> ScoreStore {
        var exact = ExactScores(columnCount: columns)
        for j in 0..<columns {
            let (keys, weights) = pseudoRows(column: j, replicate: replicate)
            keys.withUnsafeBufferPointer { k in
                weights.withUnsafeBufferPointer { w in
                    exact.append(column: j, keys: k.baseAddress!, weights: w.baseAddress!, rows: k.count)
                }
            }
        }
        var store = ScoreStore(shape: shape, settings: settings)
        store.storage = .exact(exact)
        return store
    }

    /// Column `j`'s pseudo-rows (`pseudoStore`), keys and weights in slot order.
    func pseudoRows(column j: Int, replicate: Int?) -> (keys: [UInt64], weights: [Double]) {
        var keys: [UInt64] = [], weights: [Double] = []
        keys.reserveCapacity(2 * cellCount)
        weights.reserveCapacity(2 * cellCount)
        let column = j * 2 * cellCount
        for slot in 0..<(2 * cellCount) {
            guard let score = pseudoScore(slot: column + slot) else { continue }
            let weight = replicate.map { cells.weight(slot: column + slot, replicate: $0) } ?? fullWeights[column + slot]
            guard weight > 0 else { continue }
            keys.append(ScoreStore.key(score: score, positive: slot % 2 == 1))
            weights.append(weight)
        }
        return (keys, weights)
    }

    /// The grid's pieces of column `j` as `pseudoStore` holds them (one piece, or none without rows).
    func pseudoPieces(column j: Int, replicate: Int?) -> [ExactScores.Piece] {
        let (keys, weights) = pseudoRows(column: j, replicate: replicate)
        guard !keys.isEmpty else { return [] }
        return keys.withUnsafeBufferPointer { k in
            weights.withUnsafeBufferPointer { w in [ExactScores.piece(keys: k.baseAddress!, weights: w.baseAddress!, rows: k.count)] }
        }
    }
}

extension AuditAccumulator {
    /// This accumulator's result with the sorted estimators run on the bootstrap grid of `replicate`
    /// (`nil`: the full sample): what `ScoreStore.takeRankingAndCalibration` gives on the grid's
    /// `pseudoStore`, on one thread, but with the ranking's areas from `ranking` (`ReplicateRanking`,
    /// the same bits, no operating points) and a binary task's logistic fits given (`ReplicateFits`).
    /// The headline column's sorted walk is `CalibrationWalk`'s, one partial per bucket for a binary
    /// task (as the ranking's hook makes them) and by ranges for a multiclass one, as `walk` makes it
    /// (`ReplicateWalk`: the same bits; made here when not given); the smooth ECE is
    /// evaluated at `smoothBandwidth` (the full sample's σ*), not searched for, by `smoothing` when given
    /// (`FixedBandwidthSmoothECE` at that bandwidth: the same bits).
    func resultOnGrid(_ bootstrap: BootstrapReplicates, replicate: Int?, classNames: [String], smoothBandwidth: Double?,
                      smoothing: FixedBandwidthSmoothECE?, ranking: ReplicateRanking, fits: CalibrationFits?,
                      walk: ReplicateWalk? = nil) -> AuditResult {
        var scratch = ReplicateScratch()
        return resultOnGrid(bootstrap, replicate: replicate, classNames: classNames, smoothBandwidth: smoothBandwidth,
                            smoothing: smoothing, ranking: ranking, fits: fits,
                            walk: walk ?? ReplicateWalk(bootstrap, binCount: settings.bins), scratch: &scratch)
    }

    /// `resultOnGrid` with the walk's buffers of `scratch`, a worker's from one replicate to the next.
    func resultOnGrid(_ bootstrap: BootstrapReplicates, replicate: Int?, classNames: [String], smoothBandwidth: Double?,
                      smoothing: FixedBandwidthSmoothECE?, ranking: ReplicateRanking, fits: CalibrationFits?,
                      walk: ReplicateWalk, scratch: inout ReplicateScratch) -> AuditResult {
        let metrics = replicate.map { r in ranking.ranking { bootstrap.cells.weight(slot: $0, replicate: r) } }
            ?? ranking.ranking { bootstrap.fullWeights[$0] }
        let binary = bootstrap.columns == 1
        var totals = replicate.map { r in walk.totals(weight: { bootstrap.cells.weight(slot: $0, replicate: r) }, scratch: &scratch) }
            ?? walk.totals(weight: { bootstrap.fullWeights[$0] }, scratch: &scratch)
        let smooth = smoothing.map { $0.estimate(totals.smooth, nodes: walk.nodes) } ?? totals.smooth.estimate(bandwidth: smoothBandwidth)
        walk.reuse(&totals, in: &scratch)
        return result(classNames: classNames, ranking: metrics, sorted: .walked(totals, smooth, binary ? fits : nil))
    }
}
