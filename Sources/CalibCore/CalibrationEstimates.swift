#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One equal-mass bin of the headline pairs (SPEC section 9).
public struct EqualMassBin: Sendable, Hashable {
    /// Rows in the bin (weight 0 left out).
    public let rows: Int
    /// `W_b = Σ w`.
    public let weight: Double
    /// `x̄_b`: the weighted mean headline score.
    public let meanScore: Double
    /// `ȳ_b`: the weighted share of outcome 1 (positive label, or correct top label).
    public let observedRate: Double
    /// The lowest and highest score in the bin.
    public let lowest: Double
    public let highest: Double
}

/// One Hosmer–Lemeshow group: observed and expected positives, summed directly.
public struct HosmerLemeshowGroup: Sendable, Hashable {
    public let rows: Int
    /// `W_g = Σ w`.
    public let weight: Double
    /// `O_g = Σ w·y`.
    public let observed: Double
    /// `E_g = Σ w·s`.
    public let expected: Double
    /// `F_g = Σ w·(1 − s)` (not `W_g − E_g`, which cancels for scores near 1).
    public let expectedNegative: Double
}

/// The CORP decomposition of one proper score (Dimitriadis, Gneiting & Jordan 2021):
/// `score = miscalibration − discrimination + uncertainty`.
public struct ScoreDecomposition: Sendable, Hashable {
    /// `S(s)`: the mean score of the model's probabilities (the audit's `brier` or `crossEntropy`).
    public let score: Double
    /// `MCB = S(s) − S(s_iso)`: what recalibrating by the isotonic fit would remove (≥ 0).
    public let miscalibration: Double
    /// `DSC = S(ȳ) − S(s_iso)`: how far the recalibrated scores beat the base rate (≥ 0).
    public let discrimination: Double
    /// `UNC = S(ȳ)`: the score of always predicting the observed positive rate.
    public let uncertainty: Double

    static let undefined = ScoreDecomposition(score: .nan, miscalibration: .nan, discrimination: .nan, uncertainty: .nan)
}

/// One step of the isotonic (CORP) reliability curve: scores from `lowest`
/// to `highest` are recalibrated to `value`, over rows of total `weight`.
public struct IsotonicStep: Sendable, Hashable {
    public let lowest: Double
    public let highest: Double
    public let value: Double
    public let weight: Double
}

/// The estimators, tests and decompositions of SPEC section 9 (<doc:Calibration>).
///
/// Headline mode: the positive score `s` against `1[y = positive]` (binary)
/// or the top-label confidence against `1[correct]` (multiclass). The values
/// that need every score sorted come from the exact score store; when there
/// is none (a segment) or it became a sketch they are NaN, with the reason in
/// ``undefinedReasons``. Binary-only values are NaN on multiclass tasks (the
/// catalogue leaves them out there).
public struct CalibrationEstimates: Sendable, Hashable {
    /// Whether the task is binary: the tests, fits and decompositions exist for binary tasks only.
    public let isBinary: Bool
    /// `Σ_b (W_b/W)·|ȳ_b − x̄_b|` over `B = --bins` equal-mass bins.
    public let equalMassECE: Double
    /// `sqrt(max(0, Σ_b (W_b/W)·[(ȳ_b − x̄_b)² − ȳ_b(1 − ȳ_b)/(W_b − 1)]))`, bins with `W_b < 2` adding 0 (Kumar, Liang & Ma 2019).
    public let debiasedL2ECE: Double
    /// The non-empty equal-mass bins, lowest scores first.
    public let equalMassBins: [EqualMassBin]
    /// relplot's smooth ECE (Błasiok & Nakkiran 2023) and its bandwidth σ*.
    public let smoothECE: Double
    public let smoothECEBandwidth: Double
    /// Binary: `z = Σ w(y − s)(1 − 2s) / sqrt(Σ w(1 − 2s)² s(1 − s))` and its two-sided normal p.
    public let spiegelhalterZ: Double
    public let spiegelhalterP: Double
    /// Binary: `Σ_g (O_g − E_g)²·W_g / (E_g·F_g)` over the non-empty of 10 equal-mass groups,
    /// and its χ² p-value with `groups − 2` degrees of freedom.
    public let hosmerLemeshowStatistic: Double
    public let hosmerLemeshowP: Double
    /// Binary: the non-empty groups (NaN when not computed).
    public let hosmerLemeshowGroups: Double
    public let hosmerLemeshowTable: [HosmerLemeshowGroup]
    /// Binary: slope `b` of `σ(a + b·logit s)` and intercept `a₀` of `σ(a₀ + logit s)` (weighted maximum likelihood).
    public let calibrationSlope: Double
    public let calibrationIntercept: Double
    /// Binary: the CORP decompositions of the Brier score and of cross-entropy.
    public let brierDecomposition: ScoreDecomposition
    public let crossEntropyDecomposition: ScoreDecomposition
    /// Binary: the isotonic fit as steps (adjacent blocks pooled to at most ``isotonicCurveLimit`` steps for drawing).
    public let isotonicCurve: [IsotonicStep]
    /// Why a value is NaN, by its metric key (`calibrationSlope`, `decomposition.brier.score`).
    public let undefinedReasons: [String: String]

    /// Two results are equal when every value has the same bits (NaN equals
    /// NaN: an undefined value is a result like any other) and the tables and reasons are equal.
    public static func == (a: CalibrationEstimates, b: CalibrationEstimates) -> Bool {
        a.isBinary == b.isBinary && a.scalarBits == b.scalarBits && a.equalMassBins == b.equalMassBins && a.hosmerLemeshowTable == b.hosmerLemeshowTable
            && a.isotonicCurve == b.isotonicCurve && a.undefinedReasons == b.undefinedReasons
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(scalarBits)
        hasher.combine(undefinedReasons)
    }

    /// A binary-only value: `nil` on a multiclass task (the catalogue's "not defined for the task").
    func binaryOnly(_ value: Double) -> Double? { isBinary ? value : nil }

    private var scalarBits: [UInt64] {
        let d = [brierDecomposition, crossEntropyDecomposition].flatMap { [$0.score, $0.miscalibration, $0.discrimination, $0.uncertainty] }
        return ([equalMassECE, debiasedL2ECE, smoothECE, smoothECEBandwidth, spiegelhalterZ, spiegelhalterP,
                 hosmerLemeshowStatistic, hosmerLemeshowP, hosmerLemeshowGroups, calibrationSlope, calibrationIntercept] + d).map(\.bitPattern)
    }

    /// The most steps ``isotonicCurve`` keeps.
    public static let isotonicCurveLimit = 256

    /// Every value NaN with one reason (no exact score store).
    static func unavailable(_ reason: String, binary: Bool) -> CalibrationEstimates {
        CalibrationEstimates(
            isBinary: binary, equalMassECE: .nan, debiasedL2ECE: .nan, equalMassBins: [], smoothECE: .nan, smoothECEBandwidth: .nan,
            spiegelhalterZ: .nan, spiegelhalterP: .nan, hosmerLemeshowStatistic: .nan, hosmerLemeshowP: .nan,
            hosmerLemeshowGroups: .nan, hosmerLemeshowTable: [], calibrationSlope: .nan, calibrationIntercept: .nan,
            brierDecomposition: .undefined, crossEntropyDecomposition: .undefined, isotonicCurve: [],
            undefinedReasons: Dictionary(uniqueKeysWithValues: MetricKey.sortedScoreKeys
                .filter { binary || $0.applies(to: .multiclass) }.map { ($0.name, reason) }))
    }
}

extension CalibrationEstimates {
    /// The estimates from the sorted walk's totals. `score` gives the audit's
    /// own `brier` and `crossEntropy` (the decompositions' `S(s)`).
    init(_ totals: CalibrationPartial.Totals, binary: Bool, smooth: SmoothECEEstimate?, fits: CalibrationFits?,
         brier: Double, crossEntropy: Double) {
        var reasons: [String: String] = [:]
        isBinary = binary
        let w = totals.totalWeight
        // Equal-mass bins.
        var ece = CompensatedSum(), square = CompensatedSum()
        var bins: [EqualMassBin] = []
        for bin in totals.bins where bin.rows > 0 {
            let wb = bin.weight.value
            let x = bin.score.value / wb, y = bin.positive.value / wb
            ece.add(wb / w * Swift.abs(y - x))
            if wb >= 2 { square.add(wb / w * ((y - x) * (y - x) - y * (1 - y) / (wb - 1))) }
            bins.append(EqualMassBin(rows: bin.rows, weight: wb, meanScore: x, observedRate: y, lowest: bin.lowest, highest: bin.highest))
        }
        equalMassECE = ece.value
        debiasedL2ECE = (Swift.max(0, square.value)).squareRoot()
        equalMassBins = bins
        if let smooth {
            smoothECE = smooth.value
            smoothECEBandwidth = smooth.bandwidth
        } else {
            smoothECE = .nan
            smoothECEBandwidth = .nan
        }
        guard binary else {
            spiegelhalterZ = .nan; spiegelhalterP = .nan
            hosmerLemeshowStatistic = .nan; hosmerLemeshowP = .nan; hosmerLemeshowGroups = .nan; hosmerLemeshowTable = []
            calibrationSlope = .nan; calibrationIntercept = .nan
            brierDecomposition = .undefined; crossEntropyDecomposition = .undefined
            isotonicCurve = []
            undefinedReasons = reasons
            return
        }
        // Spiegelhalter.
        let denominator = totals.spiegelhalterDenominator.value
        if denominator > 0 {
            spiegelhalterZ = totals.spiegelhalterNumerator.value / denominator.squareRoot()
            spiegelhalterP = SpecialFunctions.normalTwoSidedP(z: spiegelhalterZ)
        } else {
            spiegelhalterZ = .nan; spiegelhalterP = .nan
            let why = "its variance Σ w(1 − 2s)²s(1 − s) is 0: every score is 0, 0.5 or 1"
            reasons[MetricKey.spiegelhalterZ.name] = why
            reasons[MetricKey.spiegelhalterP.name] = why
        }
        // Hosmer–Lemeshow.
        var table: [HosmerLemeshowGroup] = []
        var statistic = CompensatedSum()
        var degenerate = false
        for group in totals.groups where group.rows > 0 {
            let o = group.positive.value, e = group.score.value, f = group.complement.value, wg = group.weight.value
            table.append(HosmerLemeshowGroup(rows: group.rows, weight: wg, observed: o, expected: e, expectedNegative: f))
            if e == 0 || f == 0 { degenerate = true; continue }
            statistic.add((o - e) * (o - e) * wg / (e * f))
        }
        hosmerLemeshowTable = table
        hosmerLemeshowGroups = table.isEmpty ? .nan : Double(table.count)
        if degenerate {
            hosmerLemeshowStatistic = .nan; hosmerLemeshowP = .nan
            let why = "a group's expected positives or negatives are 0 (its scores are all 0 or all 1)"
            reasons[MetricKey.hosmerLemeshowStatistic.name] = why
            reasons[MetricKey.hosmerLemeshowP.name] = why
        } else if table.count < 3 {
            hosmerLemeshowStatistic = table.isEmpty ? .nan : statistic.value
            hosmerLemeshowP = .nan
            reasons[MetricKey.hosmerLemeshowP.name] = "only \(table.count) non-empty group\(table.count == 1 ? "" : "s") (tied scores share a group): the χ² test needs 3"
            if table.isEmpty { reasons[MetricKey.hosmerLemeshowStatistic.name] = "no rows" }
        } else {
            hosmerLemeshowStatistic = statistic.value
            hosmerLemeshowP = SpecialFunctions.chiSquaredSurvival(statistic.value, degreesOfFreedom: Double(table.count - 2))
        }
        // The logistic fits.
        calibrationSlope = fits?.slope ?? .nan
        calibrationIntercept = fits?.intercept ?? .nan
        if fits?.slope == nil { reasons[MetricKey.calibrationSlope.name] = fits?.slopeUndefinedReason ?? "no rows" }
        if fits?.intercept == nil { reasons[MetricKey.calibrationIntercept.name] = fits?.interceptUndefinedReason ?? "no rows" }
        // CORP: S(s_iso) block by block (each block's value is its positive share).
        var isoBrier = CompensatedSum(), isoLog = CompensatedSum(), positives = CompensatedSum()
        for block in totals.blocks {
            let p = block.positive.value, n = block.negative.value, wb = p + n
            isoBrier.add(p * n / wb)
            if p > 0 { isoLog.add(-p * log(p / wb)) }
            if n > 0 { isoLog.add(-n * log(n / wb)) }
            positives.add(p)
        }
        let rate = positives.value / w
        let uncertaintyBrier = rate * (1 - rate)
        let uncertaintyLog = (rate > 0 ? -rate * log(rate) : 0) + (rate < 1 ? -(1 - rate) * log1p(-rate) : 0)
        let sisoBrier = isoBrier.value / w, sisoLog = isoLog.value / w
        brierDecomposition = ScoreDecomposition(score: brier, miscalibration: brier - sisoBrier,
                                                discrimination: uncertaintyBrier - sisoBrier, uncertainty: uncertaintyBrier)
        crossEntropyDecomposition = ScoreDecomposition(score: crossEntropy, miscalibration: crossEntropy - sisoLog,
                                                       discrimination: uncertaintyLog - sisoLog, uncertainty: uncertaintyLog)
        isotonicCurve = CalibrationEstimates.curve(totals.blocks, limit: CalibrationEstimates.isotonicCurveLimit)
        undefinedReasons = reasons
    }

    /// The isotonic blocks as steps; above `limit`, runs of adjacent blocks
    /// are pooled (weighted means, still non-decreasing) so that each step
    /// holds about `W/limit` weight or is one block heavier than that.
    static func curve(_ blocks: [CalibrationPartial.IsotonicBlock], limit: Int) -> [IsotonicStep] {
        let steps = blocks.map { IsotonicStep(lowest: $0.lowest, highest: $0.highest, value: $0.mean, weight: $0.weight) }
        guard steps.count > limit else { return steps }
        let share = steps.reduce(0) { $0 + $1.weight } / Double(limit)
        var pooled: [IsotonicStep] = []
        var first = 0
        while first < steps.count {
            var last = first, weight = steps[first].weight, positive = steps[first].value * steps[first].weight
            while last + 1 < steps.count && weight + steps[last + 1].weight <= share {
                last += 1
                weight += steps[last].weight
                positive += steps[last].value * steps[last].weight
            }
            pooled.append(IsotonicStep(lowest: steps[first].lowest, highest: steps[last].highest, value: positive / weight, weight: weight))
            first = last + 1
        }
        return pooled
    }
}
