import CalibCore
import CalibTestSupport
import Testing

/// Identities and edge cases of the imbalance losses (SPEC section 4).
@Suite("Imbalance loss identities")
struct LossIdentityTests {
    static let binary = PredictionTable.binary(
        labels: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0],
        scores: [0.8, 0.1, 0.3, 0.05, 0.35, 0.6, 0.2, 0.15, 0.02, 0.4])

    static func loss(_ r: AuditResult, _ spec: LossSpecification) -> LossEvaluation {
        r.imbalance.losses.first { $0.specification == spec }!
    }

    @Test("focal loss with γ = 0 and α = 1 equals cross-entropy (multiclass)")
    func focalZeroIsCrossEntropy() {
        let data = PropertyTests.randomMulticlass(seed: 5, rows: 100, classes: 3)
        let r = audit(.multiclass(labels: data.labels, scores: data.logits, weights: data.weights, kind: .logits), losses: [.crossEntropy, .focal(gamma: 0, alpha: 1)])
        let ce = Self.loss(r, .crossEntropy), focal = Self.loss(r, .focal(gamma: 0, alpha: 1))
        #expect(isClose(ce.value, focal.value, relative: 1e-15))
        for (a, b) in zip(ce.perClass, focal.perClass) {
            #expect(isClose(a.lossShare, b.lossShare) && isClose(a.gradientShare, b.gradientShare))
        }
    }

    @Test("binary focal loss with γ = 0 and α-balancing off equals cross-entropy; α = 1 zeroes the negatives")
    func binaryFocalZeroIsCrossEntropy() {
        let specs: [LossSpecification] = [.crossEntropy, .focal(gamma: 0, alpha: -1), .focal(gamma: 0, alpha: 1)]
        let r = audit(Self.binary, losses: specs)
        let ce = Self.loss(r, .crossEntropy), focal = Self.loss(r, .focal(gamma: 0, alpha: -1))
        #expect(Self.loss(r, .focal(gamma: 0, alpha: 1)).perClass[0].lossShare == 0)
        #expect(isClose(ce.value, focal.value, relative: 1e-15))
        #expect(isClose(ce.value, r.metrics.crossEntropy, relative: 1e-12))
        for (a, b) in zip(ce.perClass, focal.perClass) {
            #expect(isClose(a.lossShare, b.lossShare) && isClose(a.gradientShare, b.gradientShare))
        }
    }

    @Test("weighted cross-entropy on a balanced file equals cross-entropy", arguments: [
        ClassWeighting.inverseFrequency, .effectiveNumber(beta: 0.9999), .effectiveNumber(beta: 0.5),
    ])
    func balancedWeightedIsCrossEntropy(weighting: ClassWeighting) {
        let table = PredictionTable.binary(labels: [1, 0, 1, 0, 1, 0], scores: [0.7, 0.2, 0.4, 0.9, 0.55, 0.1])
        let r = audit(table, losses: [.crossEntropy, .weightedCrossEntropy(weighting)])
        #expect(isClose(Self.loss(r, .crossEntropy).value, Self.loss(r, .weightedCrossEntropy(weighting)).value, relative: 1e-12))
    }

    @Test("the gradient share of binary cross-entropy is the share of |p − y|")
    func binaryGradientShare() {
        let r = audit(Self.binary)
        let ce = Self.loss(r, .crossEntropy)
        let labels = Self.binary.labels.map(Int.init)
        let residual = zip(labels, Self.binary.scores).map { abs($1 - Double($0)) }
        let positive = zip(labels, residual).filter { $0.0 == 1 }.map(\.1).reduce(0, +)
        #expect(isClose(ce.perClass[1].gradientShare, positive / residual.reduce(0, +), relative: 1e-12))
    }

    @Test("loss shares and gradient shares sum to 1 for every loss")
    func sharesSumToOne() {
        let data = PropertyTests.randomMulticlass(seed: 77, rows: 200, classes: 5)
        let r = audit(.multiclass(labels: data.labels, scores: data.logits, weights: data.weights, kind: .logits))
        for loss in r.imbalance.losses {
            #expect(isClose(loss.perClass.map(\.lossShare).reduce(0, +), 1, relative: 1e-12), "\(loss.name)")
            #expect(isClose(loss.perClass.map(\.gradientShare).reduce(0, +), 1, relative: 1e-12), "\(loss.name)")
        }
    }

    @Test("inverse-frequency weighting gives a rare class more of the gradient than plain CE")
    func inverseFrequencyFavoursRareClass() {
        let r = audit(Self.binary)
        #expect(Self.loss(r, .weightedCrossEntropy(.inverseFrequency)).perClass[1].gradientShare > Self.loss(r, .crossEntropy).perClass[1].gradientShare)
    }

    @Test("q = 0 is clipped, q = 1 costs nothing, very large γ stays finite")
    func edgeCases() {
        let table = PredictionTable.binary(labels: [1, 0, 1, 0], scores: [0, 0, 1, 0.3])
        let r = audit(table, losses: [.crossEntropy, .focal(gamma: 50, alpha: nil), .labelSmoothing(epsilon: 0.1)])
        for loss in r.imbalance.losses {
            #expect(loss.value.isFinite, "\(loss.name)")
            #expect(loss.perClass.allSatisfy { $0.lossShare.isFinite && $0.gradientShare.isFinite }, "\(loss.name)")
        }
        #expect(isClose(Self.loss(r, .crossEntropy).value, (-StableMath.ln(probabilityFloor) - StableMath.ln(0.7)) / 4, relative: 1e-12))
    }

    @Test("a class with one row is reported; a class with no rows has no mean loss and zero shares")
    func sparseClasses() {
        let r = audit(.multiclass(labels: [0, 0, 0, 1], scores: [[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1]]))
        for loss in r.imbalance.losses {
            #expect(loss.perClass[1].meanLoss != nil)
            #expect(loss.perClass[2].meanLoss == nil)
            #expect(loss.perClass[2].lossShare == 0 && loss.perClass[2].gradientShare == 0)
            #expect(loss.value.isFinite, "\(loss.name)")
        }
        #expect(r.imbalance.imbalanceRatio == .infinity)
        #expect(r.perClass[2].crossEntropy == nil)
    }
}
