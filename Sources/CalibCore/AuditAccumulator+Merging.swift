/// Why two accumulators cannot be merged: they describe different audits, so
/// their sums do not add up to one. Shards audited apart (other processes,
/// other machines) must be checked before they are merged; accumulators of
/// one pipeline always agree.
public enum MergeMismatch: Error, Sendable, Hashable, CustomStringConvertible {
    /// A different number of classes.
    case classCount(expected: Int, found: Int)
    /// Probabilities merged with logits (their clipping counts differ in meaning).
    case scoreKind(expected: ScoreKind, found: ScoreKind)
    /// A setting that changes the sums: bins, threshold, confidence level or worst-row count.
    case setting(name: String, expected: String, found: String)
    /// Different imbalance losses (their per-class sums have other layouts).
    case losses(expected: [String], found: [String])

    public var description: String {
        switch self {
        case let .classCount(expected, found):
            "cannot merge an audit of \(found) classes into one of \(expected)"
        case let .scoreKind(expected, found):
            "cannot merge an audit of \(found.rawValue) into one of \(expected.rawValue)"
        case let .setting(name, expected, found):
            "cannot merge an audit with \(name) \(found) into one with \(name) \(expected)"
        case let .losses(expected, found):
            "cannot merge an audit of the losses [\(found.joined(separator: ", "))] into one of [\(expected.joined(separator: ", "))]"
        }
    }
}

extension AuditAccumulator {
    /// The first way `other` differs from this accumulator in what it sums, or
    /// `nil` when the two can be merged. Checks the class count, the score
    /// kind, every ``AuditSettings`` field and the loss specifications, in that order.
    public func mismatch(with other: AuditAccumulator) -> MergeMismatch? {
        if other.shape.classCount != shape.classCount {
            return .classCount(expected: shape.classCount, found: other.shape.classCount)
        }
        if other.shape.scoreKind != shape.scoreKind {
            return .scoreKind(expected: shape.scoreKind, found: other.shape.scoreKind)
        }
        let settings: [(String, String, String)] = [
            ("bins", "\(self.settings.bins)", "\(other.settings.bins)"),
            ("threshold", "\(self.settings.threshold)", "\(other.settings.threshold)"),
            ("confidentAt", "\(self.settings.confidentAt)", "\(other.settings.confidentAt)"),
            ("worstRowLimit", "\(self.settings.worstRowLimit)", "\(other.settings.worstRowLimit)"),
        ]
        if let (name, expected, found) = settings.first(where: { $0.1 != $0.2 }) {
            return .setting(name: name, expected: expected, found: found)
        }
        if other.shape.hasSoftTargets != shape.hasSoftTargets {
            return .setting(name: "softTargets", expected: "\(shape.hasSoftTargets)", found: "\(other.shape.hasSoftTargets)")
        }
        // The settings above cover the families' own checks but the losses; every family still
        // checks its own, so a family added later cannot be merged unchecked.
        return scalars.mismatch(with: other.scalars)
            ?? families.mismatch(with: other.families)
            ?? worst.mismatch(with: other.worst)
            ?? softTargets.flatMap { mine in other.softTargets.flatMap { mine.mismatch(with: $0) } }
    }

    /// Names `source` as the input of every kept worst row that names none,
    /// so that rows keep their own input's name and line once the sums of
    /// several inputs are merged (`calib merge`).
    public mutating func attributeWorstRows(to source: String) {
        worst.attribute(to: source)
    }

    /// Merges `other` after checking that it describes the same audit
    /// (``mismatch(with:)``); on a mismatch nothing changes. ``merge(_:)`` is
    /// the unchecked form, for the accumulators of one pipeline.
    public mutating func merge(checked other: AuditAccumulator) throws(MergeMismatch) {
        if let mismatch = mismatch(with: other) { throw mismatch }
        merge(other)
    }
}
