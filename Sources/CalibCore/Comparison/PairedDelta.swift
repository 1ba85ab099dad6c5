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
        deLong = rows.deLong()
        mcNemar = rows.mcNemar
    }

    /// The delta of the key called `name`, or `nil`.
    public func delta(_ name: String) -> PairedDelta? { deltas.first { $0.key.name == name } }
}

/// What the row-level tests need from two paired tables: per row with a
/// non-zero weight, whether each model decides right (binary: `1[s ≥ threshold]`
/// against the label; multiclass: the top label, ties to the lowest index, as
/// the audit's confusion matrix) and, for binary tasks, the positive label and
/// both models' positive-class probabilities (logits through σ, as the audit).
/// Multiclass logits decide by their own argmax (softmax keeps the order).
public struct PairedRows: Sendable {
    public private(set) var positive: [Bool] = []
    public private(set) var baselineScores: [Double] = []
    public private(set) var candidateScores: [Double] = []
    /// McNemar's counts.
    public private(set) var baselineOnlyRight = 0
    public private(set) var candidateOnlyRight = 0
    let binary: Bool

    public init(shape: ClassificationShape) {
        binary = shape.task == .binary
    }

    /// Adds paired rows: row `i` of `baseline` and of `candidate` are the same
    /// row (same label and weight; the caller checks). `threshold` is the audit's decision threshold.
    public mutating func add(baseline: PredictionTable, candidate: PredictionTable, threshold: Double) {
        precondition(baseline.count == candidate.count, "paired tables hold the same rows")
        precondition(baseline.shape.classCount == candidate.shape.classCount, "paired tables have the same classes")
        let k = baseline.shape.scoresPerRow
        for i in 0..<baseline.count where baseline.weights[i] != 0 {
            let y = Int(baseline.labels[i])
            let rightB: Bool, rightC: Bool
            if binary {
                let sb = PairedRows.positiveProbability(baseline.scores[i], baseline.shape.scoreKind)
                let sc = PairedRows.positiveProbability(candidate.scores[i], candidate.shape.scoreKind)
                positive.append(y == 1)
                baselineScores.append(sb)
                candidateScores.append(sc)
                rightB = (sb >= threshold ? 1 : 0) == y
                rightC = (sc >= threshold ? 1 : 0) == y
            } else {
                rightB = PairedRows.top(baseline.scores, at: i * k, count: k) == y
                rightC = PairedRows.top(candidate.scores, at: i * k, count: k) == y
            }
            if rightB && !rightC { baselineOnlyRight += 1 }
            if rightC && !rightB { candidateOnlyRight += 1 }
        }
    }

    static func positiveProbability(_ x: Double, _ kind: ScoreKind) -> Double {
        kind == .logits ? StableMath.binaryLogit(x).positive : x
    }

    static func top(_ scores: [Double], at base: Int, count k: Int) -> Int {
        var top = 0
        var best = scores[base]
        for c in 1..<k where scores[base + c] > best { top = c; best = scores[base + c] }
        return top
    }

    public var mcNemar: McNemarTest { McNemarTest(b: baselineOnlyRight, c: candidateOnlyRight) }

    /// DeLong's test on the binary rows (`nil` for multiclass tasks or too few rows of a class).
    public func deLong() -> DeLongTest? {
        binary ? DeLongTest.test(positive: positive, baseline: baselineScores, candidate: candidateScores) : nil
    }
}
