/// The soft-target decomposition of SPEC section 13: per row, with a target
/// distribution `t` (teacher probabilities, vote shares, smoothed labels) and
/// the prediction `p`,
/// ```
/// H(t)    = −Σ_k t_k ln t_k            (0 ln 0 = 0)
/// H(t, p) = −Σ_k t_k ln p_k            (p clipped to [ε, 1] on the probability path)
/// KL(t‖p) =  Σ_k t_k (ln t_k − ln p_k)
/// ```
/// so that `H(t, p) = H(t) + KL(t‖p)`: the part no model can remove and the
/// part that is the model's. Every value is a weighted mean over the rows.
public struct SoftTargetSummary: Sendable, Hashable {
    /// Mean `H(t, p)`, the sum of the terms' ``SoftTargetTerm/crossEntropyTerm``.
    public let crossEntropy: Double
    /// Mean `H(t)`, the sum of the terms' ``SoftTargetTerm/entropyTerm``.
    public let entropy: Double
    /// Mean `KL(t‖p)`, the sum of the terms' ``SoftTargetTerm/klTerm``.
    public let kl: Double
    /// The term-by-term table, one entry per class in class-index order.
    public let terms: [SoftTargetTerm]
}

/// One class's row of the soft-target table (SPEC section 13): its share of
/// each total. The columns sum to ``SoftTargetSummary``'s totals.
public struct SoftTargetTerm: Sendable, Hashable {
    /// The class name.
    public let name: String
    /// Mean `t_k`.
    public let meanTarget: Double
    /// Mean `p_k`.
    public let meanPredicted: Double
    /// Mean `−t_k ln t_k` (0 where `t_k = 0`).
    public let entropyTerm: Double
    /// Mean `−t_k ln p_k`.
    public let crossEntropyTerm: Double
    /// Mean `t_k ln(t_k / p_k)`, computed per row as `t_k (ln t_k − ln p_k)`.
    public let klTerm: Double
}

/// The sums behind ``SoftTargetSummary``: per class `k` the weighted sums
/// ```
/// Σ w t_k    Σ w p_k    Σ w (−t_k ln t_k)    Σ w (−t_k ln p_k)    Σ w t_k (ln t_k − ln p_k)
/// ```
/// with `ln p_k` the row context's (clipped on the probability path, a
/// log-softmax or log-sigmoid on the logit path). A target of exactly 0 adds
/// nothing to the three log terms (`0 ln 0 = 0`, and `0 · ln p = 0` even
/// where `ln p` is very negative). The row's targets come in
/// `RowContext.targets`, `K` values in class order.
struct SoftTargetFamily: AccumulatorFamily {
    let classCount: Int
    var target: [CompensatedSum]
    var predicted: [CompensatedSum]
    var entropy: [CompensatedSum]
    var crossEntropy: [CompensatedSum]
    var divergence: [CompensatedSum]

    init(classCount: Int) {
        self.classCount = classCount
        target = Array(repeating: CompensatedSum(), count: classCount)
        predicted = target
        entropy = target
        crossEntropy = target
        divergence = target
    }

    /// Sums: class `k`'s five sums at `5k…5k+4` in the order above; no counts.
    var scratchLayout: ScratchLayout { ScratchLayout(doubles: 5 * classCount, counts: 0) }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        guard let t = row.targets else { return }
        let w = row.weight, p = row.probabilities, lp = row.logProbabilities
        for c in 0..<row.classCount {
            let s = sums + 5 * c
            let tc = t[c]
            s[0] += w * tc
            s[1] += w * p[c]
            if tc > 0 {
                let lt = StableMath.ln(tc)
                s[2] += w * (-tc * lt)
                s[3] += w * (-tc * lp[c])
                s[4] += w * (tc * (lt - lp[c]))
            }
        }
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) {
        for c in 0..<classCount {
            let s = sums + 5 * c
            target[c].add(s[0]); predicted[c].add(s[1]); entropy[c].add(s[2])
            crossEntropy[c].add(s[3]); divergence[c].add(s[4])
        }
    }

    func mismatch(with other: SoftTargetFamily) -> MergeMismatch? {
        other.classCount == classCount ? nil : .classCount(expected: classCount, found: other.classCount)
    }

    mutating func merge(_ other: SoftTargetFamily) {
        for c in 0..<classCount {
            target[c].merge(other.target[c]); predicted[c].merge(other.predicted[c]); entropy[c].merge(other.entropy[c])
            crossEntropy[c].merge(other.crossEntropy[c]); divergence[c].merge(other.divergence[c])
        }
    }

    /// `doubles`: class after class, its five sums in the order above, each as two parts; no counts.
    var state: FamilyState {
        var state = FamilyState()
        for c in 0..<classCount {
            for sum in [target[c], predicted[c], entropy[c], crossEntropy[c], divergence[c]] { state.append(sum) }
        }
        return state
    }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        for c in 0..<classCount {
            target[c] = try reader.sum(); predicted[c] = try reader.sum(); entropy[c] = try reader.sum()
            crossEntropy[c] = try reader.sum(); divergence[c] = try reader.sum()
        }
    }

    /// The weighted means (NaN when `W` is 0); each total is the sum of its column.
    func result(_ context: FamilyResultContext) -> SoftTargetSummary {
        let w = context.totalWeight
        let terms = (0..<classCount).map { c in
            SoftTargetTerm(name: context.classNames[c], meanTarget: target[c].value / w, meanPredicted: predicted[c].value / w,
                           entropyTerm: entropy[c].value / w, crossEntropyTerm: crossEntropy[c].value / w,
                           klTerm: divergence[c].value / w)
        }
        var ce = CompensatedSum(), h = CompensatedSum(), kl = CompensatedSum()
        for term in terms { ce.add(term.crossEntropyTerm); h.add(term.entropyTerm); kl.add(term.klTerm) }
        return SoftTargetSummary(crossEntropy: ce.value, entropy: h.value, kl: kl.value, terms: terms)
    }
}

/// One scalar of the JSON `softTargets` object (SPEC section 13), spelled
/// once for the JSON report and the gates (`softTargets.kl > 0.05`).
public struct SoftTargetKey: Sendable, Hashable, CustomStringConvertible {
    /// The key inside the `softTargets` object.
    public let member: String
    public let polarity: MetricPolarity
    public let summary: String
    private let read: @Sendable (SoftTargetSummary) -> Double

    init(_ member: String, _ polarity: MetricPolarity, _ summary: String, read: @escaping @Sendable (SoftTargetSummary) -> Double) {
        self.member = member
        self.polarity = polarity
        self.summary = summary
        self.read = read
    }

    /// The name gates use: `softTargets.kl`.
    public var name: String { SoftTargetKey.prefix + member }
    public var description: String { name }
    /// `softTargets.`, the prefix of every soft-target key in gates.
    public static let prefix = "softTargets."

    public func value(in summary: SoftTargetSummary) -> Double { read(summary) }

    public static func == (a: SoftTargetKey, b: SoftTargetKey) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The scalar called `name` (`softTargets.kl`), or `nil`.
    public static func named(_ name: String) -> SoftTargetKey? { all.first { $0.name == name } }

    /// The scalars, in JSON order (`terms` follows them).
    public static let all: [SoftTargetKey] = [crossEntropy, entropy, kl]

    public static let crossEntropy = SoftTargetKey("crossEntropy", .lowerIsBetter,
        "mean cross-entropy of the predictions against the soft targets, in nats (entropy + kl)") { $0.crossEntropy }
    public static let entropy = SoftTargetKey("entropy", .neither,
        "mean entropy of the targets: the part of the cross-entropy no model can remove") { $0.entropy }
    public static let kl = SoftTargetKey("kl", .lowerIsBetter,
        "mean KL divergence from the targets to the predictions: the model's excess over the targets' entropy") { $0.kl }

    /// The members of each `terms[]` entry after `class`, in JSON order.
    public static let termMembers = ["meanTarget", "meanPredicted", "entropyTerm", "crossEntropyTerm", "klTerm"]
}
