/// How class weights `a_k` are chosen for weighted cross-entropy.
public enum ClassWeighting: Sendable, Hashable {
    /// `a_k = W / (K · W_k)`: scikit-learn's `class_weight='balanced'`.
    case inverseFrequency
    /// Cui et al. 2019, "Class-Balanced Loss Based on Effective Number of Samples":
    /// `a_k = (1 − β) / (1 − β^{W_k})`, rescaled so that `Σ_k a_k = K`.
    case effectiveNumber(beta: Double)
    /// A user-given table of weights by class name; a class it does not name
    /// gets no weight (NaN), which the caller should reject first.
    case given(weights: [String: Double])
}

/// One loss evaluated on the same predictions (SPEC section 4).
public enum LossSpecification: Sendable, Hashable {
    /// `ℓ = −ln q`.
    case crossEntropy
    /// `ℓ = a_y · (−ln q)`, normalised by `Σ w_i a_{y_i}` (PyTorch's `reduction='mean'` with `weight`).
    case weightedCrossEntropy(ClassWeighting)
    /// Focal loss (Lin et al. 2017): `ℓ = −α_t (1 − q)^γ ln q`. `alpha == nil`
    /// takes the default: 0.25 for the positive class of a binary task (RetinaNet,
    /// torchvision's `sigmoid_focal_loss`), 1 for every class of a multiclass one.
    /// A binary `α_t` is `α` for the positive class and `1 − α` for the negative;
    /// a negative `alpha` turns α-balancing off (`α_t = 1`), as in torchvision.
    case focal(gamma: Double, alpha: Double?)
    /// Label-smoothed cross-entropy, PyTorch's convention:
    /// `ℓ = −Σ_k ỹ_k ln p_k`, `ỹ = (1 − ε)·onehot + ε / K`.
    case labelSmoothing(epsilon: Double)

    /// The set `calib audit` evaluates: CE; weighted CE with inverse-frequency and
    /// effective-number (β = 0.9999) weights; focal with γ ∈ {0.5, 1, 2, 5}; label smoothing ε = 0.1.
    public static let auditDefaults: [LossSpecification] = [
        .crossEntropy,
        .weightedCrossEntropy(.inverseFrequency),
        .weightedCrossEntropy(.effectiveNumber(beta: 0.9999)),
        .focal(gamma: 0.5, alpha: nil),
        .focal(gamma: 1, alpha: nil),
        .focal(gamma: 2, alpha: nil),
        .focal(gamma: 5, alpha: nil),
        .labelSmoothing(epsilon: 0.1),
    ]

    /// The JSON `name` of the loss.
    public var name: String {
        switch self {
        case .crossEntropy: "cross-entropy"
        case .weightedCrossEntropy: "weighted-cross-entropy"
        case .focal: "focal"
        case .labelSmoothing: "label-smoothing"
        }
    }

    /// The focusing exponent γ of the CE/weighted/focal family (0 for CE); `nil` for label smoothing.
    var focusingExponent: Double? {
        switch self {
        case .crossEntropy, .weightedCrossEntropy: 0
        case let .focal(gamma, _): gamma
        case .labelSmoothing: nil
        }
    }
}
