#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The recalibration methods of SPEC section 12.
public enum RecalibrationMethod: String, Sendable, Hashable, CaseIterable {
    /// `softmax(z / T)` (binary `σ(logit(s) / T)`), one parameter `T > 0` (Guo et al. 2017).
    case temperature
    /// Binary `σ(a·logit(s) + b)`, plain maximum likelihood (Platt 1999, without target smoothing).
    case platt
    /// Binary isotonic regression, as scikit-learn's `IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)`.
    case isotonic
    /// Binary histogram binning on the equal-mass bins of SPEC section 9 (Zadrozny & Elkan 2001).
    case histogram
    /// Binary beta calibration `σ(a·ln s − b·ln(1 − s) + c)`, unconstrained (Kull, Silva Filho & Flach 2017).
    case beta

    /// Whether the method fits multiclass tasks too (only temperature does).
    public var handlesMulticlass: Bool { self == .temperature }
}

/// A fitted calibrator: a map from one row's scores (probabilities or
/// logits, binary or multiclass) to recalibrated probabilities.
///
/// Binary scores are the positive class's probability `s` (or logit `z`);
/// the maps of `Parameters` read them as (ε = 2⁻⁵², as SPEC 9's slope fit):
/// - `logit(s)`: `ln s' − ln(1 − s')` with `s' = s` clipped to `[ε, 1 − ε]`; on logit input `z` itself;
/// - `ln s`, `ln(1 − s)` (beta): of the clipped `s'`; on logit input `log σ(z)`, `log σ(−z)` (exact, no clipping);
/// - isotonic and histogram read the probability `s` unclipped (on logit input `σ(z)`).
/// Multiclass temperature scales the logits, or `ln p` with `p` clipped to `[ε, 1]`.
public struct Calibrator: Sendable, Hashable {
    /// The fitted map.
    public enum Parameters: Sendable, Hashable {
        /// `T > 0`.
        case temperature(Double)
        /// `σ(a·logit(s) + b)`.
        case platt(a: Double, b: Double)
        /// `σ(a·ln s − b·ln(1 − s) + c)`.
        case beta(a: Double, b: Double, c: Double)
        /// scikit-learn's fitted step function: ascending `thresholds` (its
        /// `X_thresholds_`) and `values` (`y_thresholds_`); a score is
        /// clipped to `[thresholds.first, thresholds.last]` and interpolated
        /// linearly between neighbouring thresholds (scipy's `interp1d`).
        case isotonic(thresholds: [Double], values: [Double])
        /// Ascending distinct bin edges `u_1 < … < u_m` and `m + 1` values:
        /// a score `x` gets `values[#{j : u_j < x}]` (bins are closed above, as SPEC 9's edges).
        case histogram(edges: [Double], values: [Double])
    }

    public var method: RecalibrationMethod {
        switch parameters {
        case .temperature: .temperature
        case .platt: .platt
        case .beta: .beta
        case .isotonic: .isotonic
        case .histogram: .histogram
        }
    }

    /// Class names in score order (binary: `[negative, positive]`).
    public var classes: [String]
    /// The positive class of a binary task (`classes[1]`), `nil` for multiclass.
    public var positiveClass: String? { classes.count == 2 ? classes[1] : nil }
    public var parameters: Parameters

    public init(classes: [String], parameters: Parameters) {
        self.classes = classes
        self.parameters = parameters
    }

    /// The identity calibrator (`T = 1`).
    public static func identity(classes: [String]) -> Calibrator {
        Calibrator(classes: classes, parameters: .temperature(1))
    }

    /// ε = 2⁻⁵², the clipping bound of the probability path.
    public static let epsilon = 2.220446049250313e-16

    /// The recalibrated scores of one row: `scores` holds one value (binary)
    /// or one per class, of kind `input`; `output` receives as many values,
    /// of kind `outputKind`. Probabilities out are in `[0, 1]`; logits out
    /// are the map's linear predictor (temperature `z/T`, Platt and beta
    /// `η`), or for isotonic and histogram `logit(v)` of the value clipped
    /// to `[ε, 1 − ε]` (finite). Applying `T = 1` to probabilities returns
    /// them unchanged, bit for bit, as it does to logits.
    public func apply(_ scores: UnsafeBufferPointer<Double>, kind input: ScoreKind, into output: UnsafeMutableBufferPointer<Double>, as outputKind: ScoreKind) {
        precondition(scores.count == output.count, "one output per score")
        if scores.count == 1 {
            output[0] = applyBinary(scores[0], kind: input, as: outputKind)
            return
        }
        guard case let .temperature(t) = parameters else {
            preconditionFailure("only temperature scaling applies to multiclass scores")
        }
        if t == 1 {
            for k in scores.indices { output[k] = scores[k] }
            return
        }
        let k = scores.count
        if input == .logits && outputKind == .logits {
            for j in 0..<k { output[j] = scores[j] / t }
            return
        }
        // z_k / T with z = logits or ln p (p clipped to ε), then a stable softmax.
        var m = -Double.infinity
        for j in 0..<k {
            let z = input == .logits ? scores[j] : log(Swift.max(scores[j], Self.epsilon))
            output[j] = z / t
            if output[j] > m { m = output[j] }
        }
        if outputKind == .logits { return }
        var total = 0.0
        for j in 0..<k { output[j] = exp(output[j] - m); total += output[j] }
        for j in 0..<k { output[j] /= total }
    }

    /// The recalibrated positive score of a binary row.
    public func applyBinary(_ score: Double, kind input: ScoreKind, as outputKind: ScoreKind) -> Double {
        switch parameters {
        case let .temperature(t):
            if t == 1 && input == outputKind { return score }
            return Self.finish(Self.logit(score, kind: input) / t, as: outputKind)
        case let .platt(a, b):
            return Self.finish(a * Self.logit(score, kind: input) + b, as: outputKind)
        case let .beta(a, b, c):
            let (lnS, lnComplement) = Self.logs(score, kind: input)
            return Self.finish(a * lnS - b * lnComplement + c, as: outputKind)
        case let .isotonic(thresholds, values):
            return Self.finishValue(IsotonicFit.interpolate(Self.probability(score, kind: input), thresholds: thresholds, values: values), as: outputKind)
        case let .histogram(edges, values):
            return Self.finishValue(HistogramFit.value(Self.probability(score, kind: input), edges: edges, values: values), as: outputKind)
        }
    }

    /// `logit(s')` of a clipped probability, or the logit itself.
    @inline(__always)
    static func logit(_ score: Double, kind: ScoreKind) -> Double {
        if kind == .logits { return score }
        let s = Swift.min(Swift.max(score, epsilon), 1 - epsilon)
        return log(s) - log1p(-s)
    }

    /// `(ln s', ln(1 − s'))` of a clipped probability, or `(log σ(z), log σ(−z))` of a logit.
    @inline(__always)
    static func logs(_ score: Double, kind: ScoreKind) -> (Double, Double) {
        if kind == .logits { return (StableMath.logSigmoid(score), StableMath.logSigmoid(-score)) }
        let s = Swift.min(Swift.max(score, epsilon), 1 - epsilon)
        return (log(s), log1p(-s))
    }

    /// The probability `s` (unclipped), or `σ(z)`.
    @inline(__always)
    static func probability(_ score: Double, kind: ScoreKind) -> Double {
        kind == .logits ? StableMath.sigmoid(score) : score
    }

    @inline(__always)
    static func finish(_ eta: Double, as kind: ScoreKind) -> Double {
        kind == .logits ? eta : StableMath.sigmoid(eta)
    }

    @inline(__always)
    static func finishValue(_ v: Double, as kind: ScoreKind) -> Double {
        guard kind == .logits else { return v }
        let s = Swift.min(Swift.max(v, epsilon), 1 - epsilon)
        return log(s) - log1p(-s)
    }
}
