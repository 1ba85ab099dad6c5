/// What a paired delta's interval says about the candidate (SPEC section 11).
///
/// By the key's ``MetricPolarity``: `better` when the interval lies wholly on
/// the side of improvement (above 0 for higher-is-better keys, below 0 for
/// lower-is-better ones), `worse` when wholly on the other side, and
/// `noDetectableDifference` when it contains 0. Keys of polarity `neither`
/// (`calibrationInTheLarge`, `priorCrossEntropy`: no direction is better) get
/// `differs` when the interval excludes 0 — never `better` or `worse`.
public enum DeltaVerdict: String, Sendable, Hashable, CaseIterable {
    case better
    case worse
    case noDetectableDifference = "no detectable difference"
    case differs

    /// The verdict of an interval for a key of `polarity`.
    public static func of(_ interval: MetricInterval, polarity: MetricPolarity) -> DeltaVerdict {
        guard interval.excludesZero else { return .noDetectableDifference }
        let up = interval.lower > 0
        switch polarity {
        case .higherIsBetter: return up ? .better : .worse
        case .lowerIsBetter: return up ? .worse : .better
        case .neither: return .differs
        }
    }
}

/// One interval key compared (SPEC section 11): `{baseline, candidate, delta,
/// lower, upper, verdict}` with `delta = candidate − baseline`.
///
/// The interval is the basic bootstrap interval (``BasicBootstrapInterval``)
/// of the paired replicate deltas `θ*_c,r − θ*_b,r` around `delta`: both
/// audits drew the same Poisson counts for a pair of rows (the same seed and
/// row index), so the deltas carry the pairing. It is clipped to the delta's
/// natural range, `[a − b, b − a]` for a key of range `[a, b]` (`[−1, 1]` for
/// rates and AUCs, the whole line for unbounded losses). No interval (`nil`,
/// and no verdict) when either estimate is undefined or fewer than two
/// replicates have both values.
public struct PairedDelta: Sendable {
    public let key: IntervalKey
    public let baseline: Double
    public let candidate: Double
    public let delta: Double
    public let interval: MetricInterval?
    public let verdict: DeltaVerdict?

    /// The delta of `key` from two audits' entries (each `nil` when the audit had none).
    public init(key: IntervalKey, baseline: BootstrapResult.Entry, candidate: BootstrapResult.Entry, confidence: Double) {
        self.key = key
        self.baseline = baseline.estimate
        self.candidate = candidate.estimate
        delta = candidate.estimate - baseline.estimate
        let r = Swift.min(baseline.replicates.count, candidate.replicates.count)
        let deltas = (0..<r).map { candidate.replicates[$0] - baseline.replicates[$0] }
        // Keys read off the sorted scores have replicates only when both audits kept their scores.
        let available = baseline.interval != nil || candidate.interval != nil || !key.needsSortedScores
        interval = available ? BasicBootstrapInterval.interval(estimate: delta, replicates: deltas, confidence: confidence,
                                                               range: PairedDelta.deltaRange(key.range)) : nil
        verdict = interval.map { DeltaVerdict.of($0, polarity: key.polarity) }
    }

    /// `[a − b, b − a]` for a key of range `[a, b]`.
    public static func deltaRange(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
        let width = range.upperBound - range.lowerBound
        return width.isFinite ? -width...width : -Double.infinity...Double.infinity
    }
}

/// The comparison of two audits of the same rows (SPEC section 11): every
/// interval key's ``PairedDelta``, DeLong's test of the AUC difference
/// (binary tasks) and McNemar's exact test on the rows one model gets right
/// and the other wrong.
public struct ComparisonResult: Sendable {
    public let baseline: AuditResult
    public let candidate: AuditResult
    /// In ``IntervalKey/keys(for:)`` order; empty without intervals (`--bootstrap 0`).
    public let deltas: [PairedDelta]
    public let confidence: Double?
    public let deLong: DeLongTest?
    public let mcNemar: McNemarTest

    /// Compares two audits of the same task and classes that drew their
    /// intervals with the same settings (so their replicates pair), and the
    /// paired rows' tests (`PairedRows`).
    public init(baseline: AuditResult, candidate: AuditResult, rows: PairedRows) {
        self.init(baseline: baseline, candidate: candidate, deLong: rows.deLong(), mcNemar: rows.mcNemar)
    }

    /// Compares two audits as ``init(baseline:candidate:rows:)`` does, with the
    /// paired rows' tests already done (`PairedRows/takeDeLong()`, `PairedRows/mcNemar`).
    public init(baseline: AuditResult, candidate: AuditResult, deLong: DeLongTest?, mcNemar: McNemarTest) {
        precondition(baseline.classNames == candidate.classNames, "the audits compare the same classes")
        self.baseline = baseline
        self.candidate = candidate
        if let b = baseline.bootstrap, let c = candidate.bootstrap {
            precondition(b.settings == c.settings, "paired replicates need the same bootstrap settings")
            confidence = b.settings.confidence
            deltas = b.entries.compactMap { entry in
                c.entry(entry.key.name).map { PairedDelta(key: entry.key, baseline: entry, candidate: $0, confidence: b.settings.confidence) }
            }
        } else {
            confidence = nil
            deltas = []
        }
        self.deLong = deLong
        self.mcNemar = mcNemar
    }

    /// The delta of the key called `name`, or `nil`.
    public func delta(_ name: String) -> PairedDelta? { deltas.first { $0.key.name == name } }
}

/// What the row-level tests need from two paired tables: per row with a
/// non-zero weight, whether each model decides right (binary: `1[s ≥ threshold]`
/// against the label; multiclass: the top label, ties to the lowest index, as
/// the audit's confusion matrix) and, for binary tasks, both models' order keys
/// (`DeLongTest.orderKey`) of their positive-class probabilities (logits
/// through σ, as the audit), the positive rows' and the negative rows' apart,
/// each in row order: 16 bytes a binary row, what DeLong's sorts take.
/// Multiclass logits decide by their own argmax (softmax keeps the order).
public struct PairedRows: Sendable {
    /// Binary tasks: each model's keys of the positive rows and of the negative rows.
    var baselinePositive: [UInt64] = [], baselineNegative: [UInt64] = []
    var candidatePositive: [UInt64] = [], candidateNegative: [UInt64] = []
    /// McNemar's counts.
    public private(set) var baselineOnlyRight = 0
    public private(set) var candidateOnlyRight = 0
    let binary: Bool

    public init(shape: ClassificationShape) {
        binary = shape.task == .binary
    }

    /// Positive and negative rows kept for DeLong's test (binary tasks; 0 otherwise).
    public var positives: Int { baselinePositive.count }
    public var negatives: Int { baselineNegative.count }

    /// Adds paired rows: row `i` of `baseline` and of `candidate` are the same
    /// row (same label and weight; the caller checks). `threshold` is the audit's decision threshold.
    public mutating func add(baseline: PredictionTable, candidate: PredictionTable, threshold: Double) {
        precondition(baseline.count == candidate.count, "paired tables hold the same rows")
        precondition(baseline.shape.classCount == candidate.shape.classCount, "paired tables have the same classes")
        let k = baseline.shape.scoresPerRow
        let baseKind = baseline.shape.scoreKind, candKind = candidate.shape.scoreKind
        baseline.labels.withUnsafeBufferPointer { labels in
        baseline.weights.withUnsafeBufferPointer { weights in
        if binary {
            // The keys' arrays reserved at their final size: no regrowth.
            var positives = 0, kept = 0
            for i in 0..<labels.count where weights[i] != 0 {
                kept += 1
                positives += labels[i] == 1 ? 1 : 0
            }
            reserve(positives: positives, negatives: kept - positives)
        }
        baseline.scores.withUnsafeBufferPointer { baseScores in
        candidate.scores.withUnsafeBufferPointer { candScores in
            for i in 0..<labels.count where weights[i] != 0 {
                let y = Int(labels[i])
                let rightB: Bool, rightC: Bool
                if binary {
                    let sb = PairedRows.positiveProbability(baseScores[i], baseKind)
                    let sc = PairedRows.positiveProbability(candScores[i], candKind)
                    if y == 1 {
                        baselinePositive.append(DeLongTest.orderKey(sb))
                        candidatePositive.append(DeLongTest.orderKey(sc))
                    } else {
                        baselineNegative.append(DeLongTest.orderKey(sb))
                        candidateNegative.append(DeLongTest.orderKey(sc))
                    }
                    rightB = (sb >= threshold ? 1 : 0) == y
                    rightC = (sc >= threshold ? 1 : 0) == y
                } else {
                    rightB = PairedRows.top(baseScores, at: i * k, count: k) == y
                    rightC = PairedRows.top(candScores, at: i * k, count: k) == y
                }
                if rightB && !rightC { baselineOnlyRight += 1 }
                if rightC && !rightB { candidateOnlyRight += 1 }
            }
        }
        }
        }
        }
    }

    /// Reserves room for this many more positive and negative rows.
    public mutating func reserve(positives: Int, negatives: Int) {
        baselinePositive.reserveCapacity(baselinePositive.count + positives)
        candidatePositive.reserveCapacity(candidatePositive.count + positives)
        baselineNegative.reserveCapacity(baselineNegative.count + negatives)
        candidateNegative.reserveCapacity(candidateNegative.count + negatives)
    }

    /// Appends the paired rows of `other`, which follow this one's.
    public mutating func append(_ other: PairedRows) {
        precondition(binary == other.binary, "paired rows of the same task")
        baselinePositive.append(contentsOf: other.baselinePositive)
        baselineNegative.append(contentsOf: other.baselineNegative)
        candidatePositive.append(contentsOf: other.candidatePositive)
        candidateNegative.append(contentsOf: other.candidateNegative)
        baselineOnlyRight += other.baselineOnlyRight
        candidateOnlyRight += other.candidateOnlyRight
    }

    static func positiveProbability(_ x: Double, _ kind: ScoreKind) -> Double {
        kind == .logits ? StableMath.binaryLogit(x).positive : x
    }

    static func top(_ scores: UnsafeBufferPointer<Double>, at base: Int, count k: Int) -> Int {
        var top = 0
        var best = scores[base]
        for c in 1..<k where scores[base + c] > best { top = c; best = scores[base + c] }
        return top
    }

    public var mcNemar: McNemarTest { McNemarTest(b: baselineOnlyRight, c: candidateOnlyRight) }

    /// DeLong's test on the binary rows (`nil` for multiclass tasks or too few rows of a class).
    public func deLong() -> DeLongTest? {
        var copy = self
        return copy.takeDeLong()
    }

    /// ``deLong()``, sorting the keys in place: they are gone afterwards (no
    /// copy of 16 bytes a row); the two models' placements are two tasks of `runner`.
    public mutating func takeDeLong(runner: RankingRunner? = nil) -> DeLongTest? {
        guard binary else { return nil }
        var keys = DeLongTest.Keys(baselinePositive: baselinePositive, baselineNegative: baselineNegative,
                                   candidatePositive: candidatePositive, candidateNegative: candidateNegative)
        baselinePositive = []; baselineNegative = []; candidatePositive = []; candidateNegative = []
        return DeLongTest.test(&keys, runner: runner)
    }
}
