#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The smallest probability the probability path uses before taking a
/// logarithm: Double's `ulpOfOne`, scikit-learn's default `eps` for `log_loss`.
public let probabilityFloor: Double = Double.ulpOfOne

/// Numerically stable scalar primitives, named for the maths (swift-numerics style).
public enum StableMath {
    /// `log(1 + exp(x))` without overflow.
    ///
    /// ```
    /// softplus(x) = max(x, 0) + log1p(exp(-|x|))
    /// ```
    /// Edge Cases: large positive `x` gives `x`; large negative `x` gives `exp(x)` (no underflow to 0 before it must).

    public static func softplus(_ x: Double) -> Double {
        Swift.max(x, 0) + log1p(exp(-Swift.abs(x)))
    }

    /// `log σ(z) = −softplus(−z)`, the log-probability of the positive class for a binary logit `z`.

    public static func logSigmoid(_ z: Double) -> Double { -softplus(-z) }

    /// `σ(z)`, `σ(−z)`, `log σ(z)` and `log σ(−z)` of a binary logit from one
    /// `exp` and one `log1p`, with `e = exp(−|z|)` and `l = log1p(e)`:
    /// ```
    /// z ≥ 0:  σ(z) = 1/(1+e),  σ(−z) = e/(1+e),  log σ(z) = −l,       log σ(−z) = −(z + l)
    /// z < 0:  σ(z) = e/(1+e),  σ(−z) = 1/(1+e),  log σ(z) = −(−z + l), log σ(−z) = −l
    /// ```
    /// Each value is bit for bit what ``sigmoid(_:)`` and ``logSigmoid(_:)`` give.
    @inline(__always)
    public static func binaryLogit(_ z: Double) -> (positive: Double, negative: Double, logPositive: Double, logNegative: Double) {
        let e = exp(-Swift.abs(z))
        let l = log1p(e)
        let near = 1 / (1 + e)
        let far = e / (1 + e)
        if z >= 0 { return (near, far, -l, -(z + l)) }
        return (far, near, -(-z + l), -l)
    }

    /// `σ(z) = 1 / (1 + exp(−z))`, evaluated on the side that cannot overflow.

    public static func sigmoid(_ z: Double) -> Double {
        if z >= 0 { return 1 / (1 + exp(-z)) }
        let e = exp(z)
        return e / (1 + e)
    }

    /// Natural logarithm (libc `log`).
    public static func ln(_ x: Double) -> Double { log(x) }
    /// Square root (libc `sqrt`: correctly rounded, the same bits as `squareRoot()`;
    /// the compiler emits the instruction, where `squareRoot()` may be a call).
    @inline(__always)
    public static func squareRoot(_ x: Double) -> Double { sqrt(x) }
    /// Exponential (libc `exp`).
    public static func exponential(_ x: Double) -> Double { exp(x) }
    /// `x^y` (libc `pow`).
    public static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }

    /// Log-softmax of `logits` written into `logProbabilities` and the softmax into `probabilities`.
    ///
    /// ```
    /// m = max_k z_k,  lse = m + log Σ_k exp(z_k − m),  log p_k = z_k − lse
    /// ```
    /// The log-sum-exp shift makes every exponent ≤ 0, so nothing overflows and
    /// the largest term is exactly 1. No clipping is applied.

    public static func logSoftmax(
        _ logits: UnsafeBufferPointer<Double>,
        logProbabilities: UnsafeMutableBufferPointer<Double>,
        probabilities: UnsafeMutableBufferPointer<Double>
    ) {
        var m = -Double.infinity
        for z in logits where z > m { m = z }
        var total = 0.0
        for k in logits.indices {
            let e = exp(logits[k] - m)
            probabilities[k] = e
            total += e
        }
        let lse = m + log(total)
        let inverse = 1 / total
        for k in logits.indices {
            logProbabilities[k] = logits[k] - lse
            probabilities[k] *= inverse
        }
    }
}
