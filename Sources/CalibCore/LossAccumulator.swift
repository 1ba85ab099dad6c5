/// Accumulates, in the audit's single pass, what every ``LossSpecification``
/// needs, as per-class sums. Class weights `a_k` and focal `α_t` depend only
/// on the class, so they are applied when the result is built:
/// ```
/// F_γ[k] = Σ_{y_i = k} w_i (1 − q_i)^γ (−ln q_i)                       loss part
/// G_γ[k] = Σ_{y_i = k} w_i (1 − q_i)^γ [(1 − q_i) − γ q_i ln q_i]       |∂ℓ/∂z| part
/// ```
/// and for label smoothing `Σ w_i ℓ_i` and `Σ w_i · ½ Σ_k |p_ik − ỹ_ik|` per class.
/// `q_i = p_i[y_i]`, clipped to `[ε, 1]` on the probability path.
public struct LossAccumulator: Sendable {
    public let classCount: Int
    public let specifications: [LossSpecification]
    // The stored properties keep the stride they had before the focal terms were
    // tabulated (``AuditAccumulator/stateBytes`` counts it): the exponents and
    // the smoothing strengths live in `focalTerms` and `smoothedTargets` only.
    /// Per distinct focusing exponent the specifications need, in first-use
    /// order: `γ` and where a row's table of powers holds `u^γ` (``FocusingPower``).
    let focalTerms: [FocalTerm]
    /// The highest whole power a row needs (`u^0 … u^maxWholePower` are kept per row).
    let maxWholePower: Int
    /// The exponents a row's table of powers holds past `u^maxWholePower`, in
    /// `focalTerms` order: first those with a half (`u^whole · √u`, `√u` once
    /// per row), then those raised by `pow`.
    let extendedPowers: [FocusingPower]
    /// Per distinct smoothing strength the specifications need, in first-use order: its targets.
    let smoothedTargets: [SmoothedTargets]
    var focalLoss: [CompensatedSum]
    var focalGradient: [CompensatedSum]
    var smoothedLoss: [CompensatedSum]
    var smoothedGradient: [CompensatedSum]

    public init(classCount: Int, specifications: [LossSpecification]) {
        self.classCount = classCount
        self.specifications = specifications
        var exponents: [Double] = []
        var smoothings: [Double] = []
        for spec in specifications {
            if let gamma = spec.focusingExponent {
                if !exponents.contains(gamma) { exponents.append(gamma) }
            } else if case let .labelSmoothing(epsilon) = spec, !smoothings.contains(epsilon) {
                smoothings.append(epsilon)
            }
        }
        let powers = exponents.map(FocusingPower.init)
        // At least u^0, so the table's layout holds whatever the exponents.
        let maxWholePower = Swift.max(0, powers.map(\.whole).max() ?? 0)
        self.maxWholePower = maxWholePower
        let rooted = powers.filter(\.timesRoot), raised = powers.filter { $0.whole < 0 }
        extendedPowers = rooted + raised
        // The table: u^0 … u^max, then the rooted exponents' values, then `pow`'s.
        var rootedAt = maxWholePower + 1, raisedAt = rootedAt + rooted.count
        focalTerms = powers.map { plan in
            let source: Int
            if plan.whole < 0 {
                source = raisedAt; raisedAt += 1
            } else if plan.timesRoot {
                source = rootedAt; rootedAt += 1
            } else {
                source = plan.whole
            }
            return FocalTerm(gamma: plan.gamma, source: source)
        }
        smoothedTargets = smoothings.map { SmoothedTargets(epsilon: $0, classCount: classCount) }
        focalLoss = Array(repeating: CompensatedSum(), count: exponents.count * classCount)
        focalGradient = focalLoss
        smoothedLoss = Array(repeating: CompensatedSum(), count: smoothings.count * classCount)
        smoothedGradient = smoothedLoss
    }

    /// The bytes of the loss sums (focal and smoothed, loss and gradient, per class).
    var stateBytes: Int {
        (focalLoss.count + focalGradient.count + smoothedLoss.count + smoothedGradient.count) * MemoryLayout<CompensatedSum>.stride
    }

    /// Plain sums this accumulator folds per chunk: per exponent and class the
    /// loss and gradient parts, then per smoothing and class the same.
    var scratchCount: Int { (focalTerms.count + smoothedTargets.count) * classCount * 2 }

    /// Room ``accumulate(into:label:classCount:weight:probabilities:logProbabilities:clipped:powers:)`` needs for one row's
    /// table of powers: `u^0 … u^maxWholePower`, then one value per rooted and per `pow` exponent.
    var powerScratchCount: Int { maxWholePower + 1 + extendedPowers.count }

    /// Adds one row's terms to a chunk's plain sums (layout of ``scratchCount``);
    /// `k` is ``classCount`` (passed in so a specialised caller knows it).
    /// `clipped` is true on the probability path; `powers` has room for
    /// ``powerScratchCount`` values.
    @inline(__always)
    func accumulate(into sums: UnsafeMutablePointer<Double>, label y: Int, classCount k: Int, weight w: Double, probabilities p: UnsafeMutablePointer<Double>,
                    logProbabilities lp: UnsafeMutablePointer<Double>, clipped: Bool, powers scratch: UnsafeMutablePointer<Double>) {
        let lnQ = lp[y]
        let q: Double
        let oneMinusQ: Double
        if clipped {
            q = Swift.max(p[y], probabilityFloor)
            oneMinusQ = 1 - q
        } else {
            q = p[y]
            var rest = 0.0
            for c in 0..<k where c != y { rest += p[c] }
            oneMinusQ = rest
        }
        // The row's table of powers (layout of `focalTerms`): u^0 … u^n by
        // multiplication, the rooted exponents' u^n · √u with √u once, then `pow`'s.
        let u = oneMinusQ
        scratch[0] = 1
        var power = 1.0
        var n = 1
        while n <= maxWholePower { power *= u; scratch[n] = power; n &+= 1 }
        if let first = extendedPowers.first {
            // libm's `sqrt` (correctly rounded, as `squareRoot()`), inlined as one instruction.
            let root = first.timesRoot ? StableMath.squareRoot(u) : 1
            var at = maxWholePower &+ 1
            for plan in extendedPowers {
                scratch[at] = plan.timesRoot ? scratch[plan.whole] * root : StableMath.power(u, plan.gamma)
                at &+= 1
            }
        }
        // Each exponent then costs a product: its u^γ, looked up without a branch.
        let loss = -lnQ
        let qLnQ = q * lnQ
        var slot = 2 &* y
        for term in focalTerms {
            let factor = scratch[term.source] * w
            sums[slot] += factor * loss
            sums[slot &+ 1] += factor * (u - term.gamma * qLnQ)
            slot &+= 2 &* k
        }
        for targets in smoothedTargets {
            var loss = 0.0
            var gradient = 0.0
            for c in 0..<k {
                let target = c == y ? targets.label : targets.other
                loss -= target * lp[c]
                gradient += Swift.abs(p[c] - target)
            }
            sums[slot] += w * loss
            sums[slot &+ 1] += w * 0.5 * gradient
            slot &+= 2 &* k
        }
    }

    /// Adds a chunk's plain sums into the compensated totals.
    mutating func fold(_ sums: UnsafePointer<Double>) {
        let k = classCount
        for g in focalTerms.indices {
            for c in 0..<k {
                focalLoss[g * k + c].add(sums[(g * k + c) * 2])
                focalGradient[g * k + c].add(sums[(g * k + c) * 2 + 1])
            }
        }
        let base = focalTerms.count * k * 2
        for e in smoothedTargets.indices {
            for c in 0..<k {
                smoothedLoss[e * k + c].add(sums[base + (e * k + c) * 2])
                smoothedGradient[e * k + c].add(sums[base + (e * k + c) * 2 + 1])
            }
        }
    }

    public mutating func merge(_ other: LossAccumulator) {
        precondition(other.specifications == specifications && other.classCount == classCount)
        for j in focalLoss.indices {
            focalLoss[j].merge(other.focalLoss[j])
            focalGradient[j].merge(other.focalGradient[j])
        }
        for j in smoothedLoss.indices {
            smoothedLoss[j].merge(other.smoothedLoss[j])
            smoothedGradient[j].merge(other.smoothedGradient[j])
        }
    }

    /// Finishes every loss given the class weights `W_k`.
    public func result(classWeights: [Double], classNames: [String]) -> ImbalanceSummary {
        let k = classCount
        let total = classWeights.reduce(0, +)
        let present = classWeights.filter { $0 > 0 }
        let ratio = (present.max() ?? .nan) / (classWeights.min() ?? .nan)
        let priors = classWeights.map { total > 0 ? $0 / total : .nan }

        var evaluations: [LossEvaluation] = []
        for spec in specifications {
            var factor = Array(repeating: 1.0, count: k)
            var parameters: [LossParameter] = []
            var lossParts: [Double]
            var gradientParts: [Double]
            var normaliser = total
            switch spec {
            case .crossEntropy, .weightedCrossEntropy, .focal:
                let g = focalTerms.firstIndex { $0.gamma == spec.focusingExponent! }!
                lossParts = (0..<k).map { focalLoss[g * k + $0].value }
                gradientParts = (0..<k).map { focalGradient[g * k + $0].value }
                if case let .weightedCrossEntropy(weighting) = spec {
                    factor = Self.classWeights(weighting, classWeights: classWeights, classNames: classNames)
                    normaliser = zip(factor, classWeights).reduce(0) { $0 + ($1.1 > 0 ? $1.0 * $1.1 : 0) }
                    parameters = Self.parameters(of: weighting, factor: factor, classNames: classNames)
                }
                if case let .focal(gamma, alpha) = spec {
                    let resolved = alpha ?? (k == 2 ? 0.25 : 1)
                    if resolved < 0 {
                        // torchvision's convention: a negative α turns α-balancing off.
                        factor = Array(repeating: 1, count: k)
                        parameters = [.init("gamma", .number(gamma)), .init("alpha", .text("none"))]
                    } else {
                        factor = k == 2 ? [1 - resolved, resolved] : Array(repeating: resolved, count: k)
                        parameters = [.init("gamma", .number(gamma)), .init("alpha", .number(resolved))]
                    }
                }
            case let .labelSmoothing(epsilon):
                let e = smoothedTargets.firstIndex { $0.epsilon == epsilon }!
                lossParts = (0..<k).map { smoothedLoss[e * k + $0].value }
                gradientParts = (0..<k).map { smoothedGradient[e * k + $0].value }
                parameters = [.init("epsilon", .number(epsilon))]
            }
            for c in 0..<k where classWeights[c] > 0 {
                lossParts[c] *= factor[c]
                gradientParts[c] *= factor[c]
            }
            for c in 0..<k where classWeights[c] <= 0 {
                lossParts[c] = 0
                gradientParts[c] = 0
            }
            let lossTotal = lossParts.reduce(0, +)
            let gradientTotal = gradientParts.reduce(0, +)
            let perClass = (0..<k).map { c in
                ClassLossShare(
                    classIndex: c,
                    meanLoss: classWeights[c] > 0 ? lossParts[c] / classWeights[c] : nil,
                    lossShare: lossTotal > 0 ? lossParts[c] / lossTotal : .nan,
                    gradientShare: gradientTotal > 0 ? gradientParts[c] / gradientTotal : .nan)
            }
            evaluations.append(LossEvaluation(
                specification: spec, name: spec.name, parameters: parameters,
                value: normaliser > 0 ? lossTotal / normaliser : .nan, perClass: perClass))
        }
        return ImbalanceSummary(imbalanceRatio: ratio, priors: priors, losses: evaluations)
    }

    /// The class weights `a_k` of a weighting scheme; classes with no rows get 0
    /// (they contribute nothing, and their inverse frequency is undefined).
    static func classWeights(_ weighting: ClassWeighting, classWeights w: [Double], classNames: [String]) -> [Double] {
        let k = w.count
        let total = w.reduce(0, +)
        switch weighting {
        case .inverseFrequency:
            return w.map { $0 > 0 ? total / (Double(k) * $0) : 0 }
        case let .effectiveNumber(beta):
            let raw = w.map { $0 > 0 ? (1 - beta) / (1 - StableMath.power(beta, $0)) : 0 }
            let presentCount = Double(w.filter { $0 > 0 }.count)
            let sum = raw.reduce(0, +)
            return raw.map { sum > 0 ? $0 * presentCount / sum : 0 }
        case let .given(weights):
            return classNames.map { weights[$0] ?? .nan }
        }
    }

    static func parameters(of weighting: ClassWeighting, factor: [Double], classNames: [String]) -> [LossParameter] {
        let table = LossParameter("classWeights", .table(zip(classNames, factor).map { ($0, $1) }))
        switch weighting {
        case .inverseFrequency: return [.init("scheme", .text("inverse-frequency")), table]
        case let .effectiveNumber(beta): return [.init("scheme", .text("effective-number")), .init("beta", .number(beta)), table]
        case .given: return [.init("scheme", .text("given")), table]
        }
    }
}

/// How `u^γ` is computed for one focusing exponent, decided once per
/// accumulator: whole exponents up to 8 by repeated multiplication, times `√u`
/// for a half (0.5, 2.5 …), anything else by `pow`.
struct FocusingPower: Sendable {
    let gamma: Double
    /// The whole part's index in a row's table of powers; -1 for `pow`.
    let whole: Int
    let timesRoot: Bool

    init(_ gamma: Double) {
        self.gamma = gamma
        let doubled = 2 * gamma
        if gamma >= 0 && gamma <= 8 && doubled == doubled.rounded() {
            whole = Int(gamma.rounded(.down))
            timesRoot = gamma != gamma.rounded(.down)
        } else {
            whole = -1
            timesRoot = false
        }
    }
}

/// One focusing exponent as a row's loop uses it: `γ`, and the index of
/// `u^γ` in the row's table of powers (`LossAccumulator.focalTerms`).
struct FocalTerm: Sendable {
    let gamma: Double
    let source: Int
}

/// Label smoothing's targets for one strength `ε` over `K` classes:
/// `(1 − ε) + ε/K` for the row's label and `0 + ε/K` for every other class,
/// found once per accumulator rather than once per row and class.
struct SmoothedTargets: Sendable {
    let epsilon: Double
    let label: Double
    let other: Double

    init(epsilon: Double, classCount k: Int) {
        self.epsilon = epsilon
        let off = epsilon / Double(k)
        label = (1 - epsilon) + off
        other = 0 + off
    }
}

/// A named parameter of a loss, as reported.
public struct LossParameter: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case number(Double)
        case text(String)
        case table([(String, Double)])

        public static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case let (.number(x), .number(y)): x == y
            case let (.text(x), .text(y)): x == y
            case let (.table(x), .table(y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
            default: false
            }
        }
        public func hash(into hasher: inout Hasher) {
            switch self {
            case let .number(x): hasher.combine(x)
            case let .text(x): hasher.combine(x)
            case let .table(x): for (n, v) in x { hasher.combine(n); hasher.combine(v) }
            }
        }
    }
    public let key: String
    public let value: Value
    public init(_ key: String, _ value: Value) { self.key = key; self.value = value }
}

/// How one loss spreads over one class.
public struct ClassLossShare: Sendable, Hashable {
    public let classIndex: Int
    /// Weighted mean of `ℓ_i` over the rows of the class; `nil` when it has none.
    public let meanLoss: Double?
    /// `Σ_{y_i=k} w_i ℓ_i / Σ_i w_i ℓ_i`.
    public let lossShare: Double
    /// The same share of the gradient magnitude with respect to the logits.
    public let gradientShare: Double
}

/// One loss evaluated on the predictions.
public struct LossEvaluation: Sendable, Hashable {
    public let specification: LossSpecification
    public let name: String
    public let parameters: [LossParameter]
    /// The normalised loss (SPEC section 4's normalisation column).
    public let value: Double
    public let perClass: [ClassLossShare]
}

/// The imbalance section: priors, the imbalance ratio and every loss.
public struct ImbalanceSummary: Sendable, Hashable {
    /// Largest over smallest class weight (∞ when a class has no rows).
    public let imbalanceRatio: Double
    /// `W_k / W` per class.
    public let priors: [Double]
    public let losses: [LossEvaluation]
}

extension LossAccumulator: AccumulatorFamily {
    /// ``scratchCount`` plain sums, then ``powerScratchCount`` values of
    /// per-row working room (the row's powers of `1 − q`; not folded).
    var scratchLayout: ScratchLayout { ScratchLayout(doubles: scratchCount + powerScratchCount, counts: 0) }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        accumulate(into: sums, label: row.label, classCount: row.classCount, weight: row.weight,
                   probabilities: row.probabilities, logProbabilities: row.logProbabilities,
                   clipped: row.clipped, powers: sums + scratchCount)
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) { fold(sums) }

    func mismatch(with other: LossAccumulator) -> MergeMismatch? {
        if other.classCount != classCount { return .classCount(expected: classCount, found: other.classCount) }
        if other.specifications != specifications {
            return .losses(expected: specifications.map { "\($0)" }, found: other.specifications.map { "\($0)" })
        }
        return nil
    }

    /// `doubles`: the focal loss parts, focal gradient parts, smoothed loss
    /// parts and smoothed gradient parts (each per exponent or strength, then
    /// per class), every sum as two parts; no counts.
    var state: FamilyState {
        var state = FamilyState()
        for sums in [focalLoss, focalGradient, smoothedLoss, smoothedGradient] {
            for sum in sums { state.append(sum) }
        }
        return state
    }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        focalLoss = try reader.sums(focalLoss.count)
        focalGradient = try reader.sums(focalGradient.count)
        smoothedLoss = try reader.sums(smoothedLoss.count)
        smoothedGradient = try reader.sums(smoothedGradient.count)
    }

    func result(_ context: FamilyResultContext) -> ImbalanceSummary {
        result(classWeights: context.classWeights, classNames: context.classNames)
    }
}
