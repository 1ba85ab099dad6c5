/// Equal-width bins over [0, 1], accumulating per bin the row count, the
/// weight, the weighted predicted value and the weighted observed outcome.
///
/// Bin index (numpy's `histogram` rule: lower edge inclusive, last bin closed):
/// ```
/// b = min(B − 1, floor(x · B))      computed in Double
/// ```
/// scikit-learn's `calibration_curve` and Guo et al.'s code close bins on the
/// right instead; the two rules differ only for values exactly on an inner edge.
public struct ReliabilityBins: Sendable {
    public let binCount: Int
    @usableFromInline var counts: [Int]
    @usableFromInline var weights: [CompensatedSum]
    @usableFromInline var predicted: [CompensatedSum]
    @usableFromInline var observed: [CompensatedSum]
    @usableFromInline var weightSquares: [CompensatedSum]

    public init(binCount: Int) {
        precondition(binCount >= 1, "at least one bin")
        self.binCount = binCount
        counts = Array(repeating: 0, count: binCount)
        weights = Array(repeating: CompensatedSum(), count: binCount)
        predicted = Array(repeating: CompensatedSum(), count: binCount)
        observed = Array(repeating: CompensatedSum(), count: binCount)
        weightSquares = Array(repeating: CompensatedSum(), count: binCount)
    }

    /// The bin of a value in [0, 1]: `min(B − 1, floor(x · B))`, by truncation
    /// (equal to the floor for the non-negative values binned; NaN and
    /// negatives go to bin 0).
    @inline(__always)
    public static func binIndex(of x: Double, binCount: Int) -> Int {
        let scaled = x * Double(binCount)
        return scaled > 0 ? Swift.min(binCount - 1, Int(scaled)) : 0
    }

    /// The bin of a value in [0, 1] in this table.
    public func binIndex(of x: Double) -> Int { Self.binIndex(of: x, binCount: binCount) }

    /// Adds plain per-chunk sums: `counts[b]`, and `sums[4b...4b+3]` = weight,
    /// weighted prediction, weighted outcome, squared weight.
    mutating func fold(counts: UnsafePointer<Int>, sums: UnsafePointer<Double>) {
        for b in 0..<binCount where counts[b] > 0 {
            self.counts[b] &+= counts[b]
            weights[b].add(sums[4 * b])
            predicted[b].add(sums[4 * b + 1])
            observed[b].add(sums[4 * b + 2])
            weightSquares[b].add(sums[4 * b + 3])
        }
    }

    public mutating func merge(_ other: ReliabilityBins) {
        precondition(other.binCount == binCount, "merging bins of different counts")
        for b in 0..<binCount {
            counts[b] &+= other.counts[b]
            weights[b].merge(other.weights[b])
            predicted[b].merge(other.predicted[b])
            observed[b].merge(other.observed[b])
            weightSquares[b].merge(other.weightSquares[b])
        }
    }

    /// The finished table; `totalWeight` is `W`, the weight of all rows.
    public func table(totalWeight: Double) -> ReliabilityTable {
        var entries: [ReliabilityBin] = []
        entries.reserveCapacity(binCount)
        for b in 0..<binCount {
            let w = weights[b].value
            let nonEmpty = w > 0
            let mean = nonEmpty ? predicted[b].value / w : nil
            let rate = nonEmpty ? observed[b].value / w : nil
            let squares = weightSquares[b].value
            entries.append(ReliabilityBin(
                lower: Double(b) / Double(binCount),
                upper: Double(b + 1) / Double(binCount),
                count: counts[b],
                weight: w,
                meanPredicted: mean,
                observedRate: rate,
                effectiveCount: squares > 0 ? w * w / squares : 0
            ))
        }
        return ReliabilityTable(bins: entries, totalWeight: totalWeight)
    }
}

/// One bin of a reliability table. For the top-label table `meanPredicted`
/// is the mean confidence and `observedRate` the accuracy.
public struct ReliabilityBin: Sendable, Hashable {
    public let lower: Double
    public let upper: Double
    /// Rows in the bin.
    public let count: Int
    /// Summed sample weight of the rows in the bin.
    public let weight: Double
    /// Weighted mean of the binned value; `nil` for an empty bin.
    public let meanPredicted: Double?
    /// Weighted mean of the outcome; `nil` for an empty bin.
    public let observedRate: Double?
    /// Kish's effective number of rows, `(Σw)² / Σw²` (the row count when unweighted).
    public let effectiveCount: Double

    public init(lower: Double, upper: Double, count: Int, weight: Double, meanPredicted: Double?, observedRate: Double?, effectiveCount: Double) {
        self.lower = lower; self.upper = upper; self.count = count; self.weight = weight
        self.meanPredicted = meanPredicted; self.observedRate = observedRate; self.effectiveCount = effectiveCount
    }

    /// Standard error of the observed rate, `sqrt(p̃(1 − p̃) / n)` with `n` the
    /// effective count and `p̃ = (p·n + ½) / (n + 1)` kept away from 0 and 1
    /// so that a bin with no errors still has an uncertainty.
    public var observedRateStandardError: Double? {
        guard let observedRate, effectiveCount > 0 else { return nil }
        let p = (observedRate * effectiveCount + 0.5) / (effectiveCount + 1)
        return (p * (1 - p) / effectiveCount).squareRoot()
    }

    /// The default `z` of ``isSignificantlyOverconfident(z:minimumGap:)``: a two-sided 99% band.
    public static let overconfidenceZ = 2.576
    /// The default smallest gap worth a flag: one point.
    public static let overconfidenceMinimumGap = 0.01

    /// Whether the model claims more than happens by more than chance explains:
    /// `gap > z · standardError` and `gap ≥ minimumGap`.
    public func isSignificantlyOverconfident(z: Double = overconfidenceZ, minimumGap: Double = overconfidenceMinimumGap) -> Bool {
        guard let gap, let se = observedRateStandardError else { return false }
        return gap >= minimumGap && gap > z * se
    }

    /// `meanPredicted − observedRate`: positive when the model claims more than happens.
    public var gap: Double? {
        guard let meanPredicted, let observedRate else { return nil }
        return meanPredicted - observedRate
    }
    public var isEmpty: Bool { meanPredicted == nil }
}

/// Every bin of a reliability diagram, empty bins included, and the
/// calibration errors that follow from it.
public struct ReliabilityTable: Sendable, Hashable {
    public let bins: [ReliabilityBin]
    /// `W`, the weight of all rows the table was built from.
    public let totalWeight: Double

    /// Expected calibration error (Guo et al. 2017, "On Calibration of Modern Neural Networks"):
    /// ```
    /// ECE = Σ_b (W_b / W) · |gap_b|      over non-empty bins
    /// ```
    /// Edge Cases: `0` when every bin is empty; undefined (NaN, `null` in
    /// JSON) when `W` is 0 or not finite, as for every weighted mean: a file
    /// whose weights are all 0 has no calibration error to report, not a perfect one.
    public var expectedCalibrationError: Double {
        weightedSum { Swift.abs($0) }
    }

    /// Maximum calibration error: `max_b |gap_b|` over non-empty bins (0 when
    /// all are empty; NaN when `W` is 0 or not finite, as the ECE).
    public var maximumCalibrationError: Double {
        guard hasWeight else { return .nan }
        return bins.compactMap(\.gap).map(Swift.abs).max() ?? 0
    }

    /// Whether `W` is a positive finite number, so that `W_b / W` is defined.
    private var hasWeight: Bool { totalWeight > 0 && totalWeight.isFinite }

    /// `Σ_b (W_b / W) · max(gap_b, 0)`: the part of the ECE where the model claims too much.
    public var overconfidence: Double { weightedSum { Swift.max($0, 0) } }

    /// `Σ_b (W_b / W) · max(−gap_b, 0)`.
    /// Postcondition: `overconfidence + underconfidence == expectedCalibrationError` (up to rounding).
    public var underconfidence: Double { weightedSum { Swift.max(-$0, 0) } }

    /// Overconfidence error (Thulasidasan et al. 2019, "On Mixup Training"):
    /// ```
    /// OE = Σ_b (W_b / W) · conf_b · max(conf_b − acc_b, 0)
    /// ```
    public var overconfidenceError: Double {
        guard hasWeight else { return .nan }
        var total = CompensatedSum()
        for bin in bins {
            guard let gap = bin.gap, let confidence = bin.meanPredicted else { continue }
            total.add(bin.weight / totalWeight * confidence * Swift.max(gap, 0))
        }
        return total.value
    }

    private func weightedSum(_ term: (Double) -> Double) -> Double {
        guard hasWeight else { return .nan }
        var total = CompensatedSum()
        for bin in bins {
            guard let gap = bin.gap else { continue }
            total.add(bin.weight / totalWeight * term(gap))
        }
        return total.value
    }
}
