public import CalibCore

/// A headline metric that is undefined for this input (not a finite number,
/// `null` in JSON), with the reason in words, e.g. `accuracy`: "total weight is 0".
public struct UndefinedValue: Sendable, Hashable {
    /// The metric's JSON key (`crossEntropy`, `macro.f1`, …), as `--fail-on` names it.
    public let key: String
    /// Why it is undefined, lower case, no final stop.
    public let reason: String
}

/// Why a value is undefined, worked out from the engine's result alone, so
/// that every report and every gate gives the same reason.
///
/// Order of causes: no rows; total weight 0 (all weights zero) or not finite
/// (weights whose sum passes the largest double, about 1.8e308); then the
/// metric's own causes (a single class for the log-loss skill, an overflowing
/// `e^CE` for the perplexity, an infinite row loss from logits near ±1e308);
/// else an intermediate weighted sum that is not finite.
public enum UndefinedReasons {
    /// The reason every weighted mean is undefined, when there is one.
    public static func weightReason(_ r: AuditResult) -> String? {
        if r.rows == 0 { return "no rows were read" }
        if r.totalWeight == 0 { return "total weight is 0" }
        if !r.totalWeight.isFinite { return "total weight is not finite: the weights sum past the largest double (about 1.8e308)" }
        return nil
    }

    /// Generic cause when the weights are fine.
    static let overflow = "a weighted sum behind it is not a finite number (weights, scores or logits near the limits of double precision, about ±1.8e308)"

    /// Why the headline metric called `key` (`crossEntropy`, `macro.f1`) is undefined for `r`.
    public static func reason(key: String, result r: AuditResult) -> String {
        MetricKey.named(key).map { reason(for: $0, result: r) } ?? weightReason(r) ?? overflow
    }

    /// Why the headline metric `key` is undefined for `r`.
    public static func reason(for key: MetricKey, result r: AuditResult) -> String {
        if let weight = weightReason(r) { return weight }
        let m = r.metrics
        if let engine = m.calibration.undefinedReasons[key.name] { return engine }
        switch key {
        case .crossEntropy, .crossEntropyBits:
            return "a row's cross-entropy or their weighted sum is infinite (logits or scores near the limits of double precision, e.g. ±1e308)"
        case .perplexity:
            if m.crossEntropy.isFinite {
                return "e^cross-entropy overflows: cross-entropy \(NumberText.fixed(m.crossEntropy, 2)) nats is above 709.78"
            }
            return "cross-entropy is undefined: " + reason(for: .crossEntropy, result: r)
        case .logLossSkill:
            if m.priorCrossEntropy == 0 {
                return "the labels have a single class (prior cross-entropy 0), so there is no base rate to beat"
            }
            if !m.crossEntropy.isFinite { return "cross-entropy is undefined: " + reason(for: .crossEntropy, result: r) }
            return overflow
        case .balancedAccuracy:
            return r.perClass.allSatisfy({ $0.support == 0 }) ? "no class has weight" : overflow
        default:
            return overflow
        }
    }

    /// Every headline metric of `r` that is not a finite number, in SPEC order.
    public static func undefinedValues(_ r: AuditResult) -> [UndefinedValue] {
        MetricKey.all.compactMap { key in
            guard let value = key.value(in: r.metrics), !value.isFinite else { return nil }
            return UndefinedValue(key: key.name, reason: reason(for: key, result: r))
        }
    }

    /// Why a per-class value (`recall[fraud]`) is undefined.
    static func perClassReason(key: ClassMetricKey, class c: ClassMetrics, result r: AuditResult) -> String {
        if let weight = weightReason(r) { return weight }
        if key == .crossEntropy && c.rows == 0 { return "class '\(c.name)' has no rows" }
        if c.support == 0 && (key == .crossEntropy || key == .ece) { return "class '\(c.name)' has no weight" }
        return overflow
    }

    /// The reason when there are no intervals at all (`--bootstrap 0`).
    public static let noIntervals = "no intervals: the audit ran with --bootstrap 0"

    /// Why the interval key called `name` (`ece`, `ranking.rocAUC`,
    /// `precision[fraud]`) has no interval in `r`; `nil` when it has one.
    /// In order: no bootstrap at all; the value itself undefined (its own
    /// reason); a key that needs the scores in order (ranking, SPEC section 9)
    /// when the bootstrap could not run those (`BootstrapResult.sortedUnavailableReason`);
    /// else fewer than two replicates where the value is defined (a class rare enough
    /// that most replicates have none of it).
    public static func intervalReason(_ name: String, result r: AuditResult) -> String? {
        guard let bootstrap = r.bootstrap else { return noIntervals }
        guard let entry = bootstrap.entry(name) else { return "\(name) has no interval" }
        guard entry.interval == nil else { return nil }
        if !entry.estimate.isFinite {
            if let weight = weightReason(r) { return weight }
            if let key = MetricKey.named(name) { return "the value is undefined: " + reason(for: key, result: r) }
            return "the value is undefined for this input"
        }
        if let sorted = bootstrap.sortedUnavailableReason, name.hasPrefix(RankingKey.prefix) || MetricKey.sortedScoreKeys.contains(where: { $0.name == name }) {
            return "no interval: " + sorted
        }
        return "no interval: fewer than two bootstrap replicates define it"
    }

    /// Groups undefined values by reason, keeping the first appearance's order:
    /// `[(["crossEntropy", "accuracy"], "total weight is 0")]`.
    public static func grouped(_ values: [UndefinedValue]) -> [(keys: [String], reason: String)] {
        var groups: [(keys: [String], reason: String)] = []
        for value in values {
            if let i = groups.firstIndex(where: { $0.reason == value.reason }) { groups[i].keys.append(value.key) } else { groups.append(([value.key], value.reason)) }
        }
        return groups
    }
}
