public import CalibCore
public import CalibInput

/// A gate expression, `METRIC OP NUMBER` (SPEC section 6), parsed but not yet evaluated.
///
/// `METRIC` is a key of `metrics` (`ece`, `macro.f1`, …); `KEY[CLASS]` a per-class
/// value (`recall[fraud]`); `rows`, `skippedRows` or `clippedProbabilities`;
/// `max-segment-KEY` / `min-segment-KEY` over the segments with at least
/// `--min-segment-rows` rows; or any of these `@SEGMENT` for one segment;
/// `KEY.lower` / `KEY.upper`, a bound of the key's bootstrap interval (SPEC
/// section 10; whole input only), for every key with an interval.
/// The gate fails when the comparison holds: `--fail-on 'ece>0.05'` fails when ECE exceeds 0.05.
public struct GateExpression: Sendable, Hashable {
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="

        func holds(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .greater: value > threshold
            case .greaterOrEqual: value >= threshold
            case .less: value < threshold
            case .lessOrEqual: value <= threshold
            }
        }
    }

    public enum Severity: String, Sendable, Hashable { case error, warning }

    public let text: String
    /// The metric as written, without the comparison.
    public let metric: String
    public let comparison: Comparison
    public let threshold: Double
    public let severity: Severity

    /// Parses an expression; a malformed one is a ``GateError``.
    public init(_ text: String, severity: Severity = .error) throws(GateError) {
        self.text = text
        self.severity = severity
        var depth = 0
        var split: (String.Index, Comparison)?
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "[" { depth += 1 } else if c == "]" { depth = Swift.max(0, depth - 1) }
            if depth == 0 && (c == ">" || c == "<") {
                let next = text.index(after: i)
                let orEqual = next < text.endIndex && text[next] == "="
                split = (i, c == ">" ? (orEqual ? .greaterOrEqual : .greater) : (orEqual ? .lessOrEqual : .less))
                break
            }
            i = text.index(after: i)
        }
        guard let (at, comparison) = split else {
            throw GateError("'\(GateEvaluator.shown(text))' is not a gate: write METRIC OP NUMBER with OP one of > >= < <=, e.g. 'ece>0.05' or 'recall[fraud]<0.8'")
        }
        let name = String(text[..<at]).trimmingSpacesAndTabs()
        let numberText = String(text[text.index(at, offsetBy: comparison.rawValue.count)...]).trimmingSpacesAndTabs()
        guard !name.isEmpty else { throw GateError("'\(GateEvaluator.shown(text))' names no metric before '\(comparison.rawValue)'") }
        guard let threshold = Double(numberText), threshold.isFinite else {
            throw GateError("'\(GateEvaluator.shown(text))': \"\(GateEvaluator.shown(numberText))\" is not a number")
        }
        metric = name
        self.comparison = comparison
        self.threshold = threshold
    }
}

/// A gate that cannot be parsed or names no known value (exit 64).
public struct GateError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The outcome of one gate.
public struct GateOutcome: Sendable, Hashable {
    public let expression: String
    public let metric: String
    /// The value compared; `nil` when undefined for this input (the gate then fails).
    public let value: Double?
    public let threshold: Double
    public let passed: Bool
    public let severity: GateExpression.Severity
    /// Why `value` is undefined (`"total weight is 0"`); `nil` when it is defined.
    public let undefinedReason: String?
    /// A gate on an interval bound (`ece.lower`): the key's name (`ece`), its
    /// estimate and its interval, which reports print as `value [lower, upper]`; `nil` otherwise.
    public let bound: IntervalBound?

    /// The key, estimate and interval behind a gate on `KEY.lower` or `KEY.upper`.
    public struct IntervalBound: Sendable, Hashable {
        /// The interval key without the bound (`ece`, `precision[fraud]`).
        public let key: String
        public let estimate: Double
        public let interval: MetricInterval?
        public init(key: String, estimate: Double, interval: MetricInterval?) {
            self.key = key; self.estimate = estimate; self.interval = interval
        }
    }

    public init(expression: String, metric: String, value: Double?, threshold: Double, passed: Bool, severity: GateExpression.Severity = .error,
                undefinedReason: String? = nil, bound: IntervalBound? = nil) {
        self.expression = expression; self.metric = metric; self.value = value
        self.threshold = threshold; self.passed = passed; self.severity = severity
        self.undefinedReason = value == nil ? (undefinedReason ?? "the value is not a finite number for this input") : nil
        self.bound = bound
    }

    /// A failed error-severity gate: the run exits 1.
    public var fails: Bool { !passed && severity == .error }

    /// The value as reports print it: fixed to `decimals` places, or `undefined: REASON`.
    public func valueText(_ decimals: Int) -> String {
        value.map { NumberText.fixed($0, decimals) } ?? "undefined: \(undefinedReason ?? "")"
    }

    /// A gate on an interval bound: its key's estimate and interval,
    /// `ece 0.014800 [0.013094, 0.016686]` (``NumberText/interval(_:_:_:)``); `nil` for other gates.
    public func intervalText(_ decimals: Int) -> String? {
        bound.map { "\($0.key) \(NumberText.interval($0.estimate, $0.interval, decimals))" }
    }

    /// One line on a gate that did not pass, for annotations and JUnit:
    /// `ece = 0.081234, gate 'ece>0.05' failed`, or with the reason when
    /// undefined; a gate on a bound adds its key's interval:
    /// `ece.lower = 0.013094, gate 'ece.lower>0.01' failed (ece 0.014754 [0.013094, 0.016686])`.
    public var failureMessage: String {
        "\(metric) = \(valueText(6)), gate '\(expression)' \(severity == .error ? "failed" : "warns")"
            + (value == nil ? "" : intervalText(6).map { " (\($0))" } ?? "")
    }
}

/// Evaluates gates against one input's results.
public enum GateEvaluator {
    /// The names `KEY[CLASS]` takes (`ClassMetricKey.all`).
    public static let perClassKeys = ClassMetricKey.all.map(\.name)
    public static let inputKeys = ["rows", "skippedRows", "clippedProbabilities"]

    public static func evaluate(_ gates: [GateExpression], result: AuditResult, input: InputSummary, segments: [SegmentAudit], minSegmentRows: Int) throws(GateError) -> [GateOutcome] {
        var outcomes: [GateOutcome] = []
        for gate in gates {
            var bound: GateOutcome.IntervalBound?
            let (value, reason) = try self.value(of: gate.metric, result: result, input: input, segments: segments, minSegmentRows: minSegmentRows, bound: &bound)
            let defined = value.map(\.isFinite) ?? false
            let holds = defined && gate.comparison.holds(value!, gate.threshold)
            outcomes.append(GateOutcome(expression: gate.text, metric: gate.metric, value: defined ? value : nil,
                                        threshold: gate.threshold, passed: defined && !holds, severity: gate.severity,
                                        undefinedReason: defined ? nil : reason, bound: bound))
        }
        return outcomes
    }

    /// The value a metric name refers to, and why it is undefined when it is.
    /// A bound of an interval (`ece.lower`) sets `bound` to its key, estimate and interval.
    static func value(of metric: String, result: AuditResult, input: InputSummary, segments: [SegmentAudit], minSegmentRows: Int,
                      bound: inout GateOutcome.IntervalBound?) throws(GateError) -> (Double?, String?) {
        for (prefix, isMax) in [("max-segment-", true), ("min-segment-", false)] where metric.hasPrefix(prefix) {
            let inner = String(metric.dropFirst(prefix.count))
            guard !segments.isEmpty else { throw GateError("'\(shown(metric))' needs segments: add --group COL") }
            var values: [Double] = []
            var large = 0
            for segment in segments where segment.result.rows >= minSegmentRows {
                large += 1
                if let v = try plainValue(inner, result: segment.result, input: nil, whole: metric).0, v.isFinite { values.append(v) }
            }
            // Check the name even when no segment is large enough.
            _ = try plainValue(inner, result: result, input: nil, whole: metric)
            let reason = large == 0 ? "no segment has at least \(NumberText.count(minSegmentRows)) rows (--min-segment-rows)"
                : "\(inner) is undefined in every segment with at least \(NumberText.count(minSegmentRows)) rows"
            return (isMax ? values.max() : values.min(), reason)
        }
        if let at = metric.lastIndex(of: "@"), !metric[..<at].contains("[") || metric[..<at].contains("]") {
            let inner = String(metric[..<at])
            let name = String(metric[metric.index(after: at)...])
            guard !segments.isEmpty else { throw GateError("'\(shown(metric))' names a segment: add --group COL") }
            guard let segment = segments.first(where: { $0.name == name }) else {
                throw GateError("'\(shown(metric))': no segment '\(shown(name))'; segments: \(list(segments.map(\.name)))")
            }
            let (value, reason) = try plainValue(inner, result: segment.result, input: nil, whole: metric)
            return (value, reason.map { "in segment '\(shown(name))': \($0)" })
        }
        if let (key, upper) = intervalBound(metric) {
            return try intervalValue(key, upper: upper, result: result, input: input, whole: metric, bound: &bound)
        }
        return try plainValue(metric, result: result, input: input, whole: metric)
    }

    /// `(KEY, isUpper)` when `metric` names a bound, `KEY.lower` or `KEY.upper`,
    /// outside any brackets (`precision[a.lower]` is a class's value); `nil` otherwise.
    static func intervalBound(_ metric: String) -> (String, Bool)? {
        for (suffix, upper) in [(".lower", false), (".upper", true)] where metric.hasSuffix(suffix) {
            let key = String(metric.dropLast(suffix.count))
            guard !key.isEmpty else { return nil }
            return (key, upper)
        }
        return nil
    }

    /// The bound of `key`'s interval: an unknown key is the error of the
    /// key itself; a known key without an interval (a p-value, `crossEntropyBits`)
    /// names the keys that have one; an undefined interval (no bootstrap, or no
    /// interval for this input) is undefined with its reason (``UndefinedReasons/intervalReason(_:result:)``).
    private static func intervalValue(_ key: String, upper: Bool, result: AuditResult, input: InputSummary, whole: String,
                                      bound: inout GateOutcome.IntervalBound?) throws(GateError) -> (Double?, String?) {
        // The key's own value: the same errors as a gate on the key itself (unknown name, class, task).
        let (estimate, _) = try plainValue(key, result: result, input: input, whole: whole)
        let names = IntervalKey.keys(for: result).map(\.name)
        guard names.contains(key) else {
            throw GateError("'\(shown(whole))': \(shown(key)) has no interval; KEY.lower and KEY.upper take KEY one of \(intervalKeyList(result))")
        }
        let interval = result.bootstrap?.interval(key)
        bound = GateOutcome.IntervalBound(key: key, estimate: estimate ?? .nan, interval: interval)
        let value = interval.map { upper ? $0.upper : $0.lower }
        return (value, UndefinedReasons.intervalReason(key, result: result))
    }

    private static func plainValue(_ metric: String, result: AuditResult, input: InputSummary?, whole: String) throws(GateError) -> (Double?, String?) {
        // The whole input's bounds are read before; a bound here is a segment's.
        if intervalBound(metric) != nil {
            throw GateError("'\(shown(whole))': intervals are computed for the whole input only, not per segment")
        }
        if metric.hasPrefix(SoftTargetKey.prefix) {
            guard let key = SoftTargetKey.named(metric) else {
                throw GateError("'\(shown(whole))': unknown soft-target key '\(shown(metric))'; use one of \(softTargetForms)")
            }
            guard let soft = result.softTargets else {
                throw GateError("'\(shown(whole))': \(key.name) needs soft targets (t_<class> columns, or --target COL,…)")
            }
            let value = key.value(in: soft)
            return (value, value.isFinite ? nil : "the total weight is 0")
        }
        if metric.hasPrefix(RankingKey.prefix) {
            guard let ranking = result.ranking else {
                throw GateError("'\(shown(whole))': ranking values are computed for the whole input only, not per segment")
            }
            return try rankingValue(String(metric.dropFirst(RankingKey.prefix.count)), ranking: ranking, result: result, whole: whole)
        }
        if let open = metric.firstIndex(of: "["), metric.hasSuffix("]") {
            let keyName = String(metric[..<open])
            let className = String(metric[metric.index(after: open)..<metric.index(before: metric.endIndex)])
            guard let key = ClassMetricKey.named(keyName) else {
                throw GateError("'\(shown(whole))': '\(shown(keyName))' is not a per-class value; use one of \(list(perClassKeys))")
            }
            guard let c = result.perClass.first(where: { $0.name == className }) else {
                throw GateError("'\(shown(whole))': no class '\(shown(className))'; classes: \(list(result.classNames))")
            }
            let value = key.value(in: c)
            return (value, UndefinedReasons.perClassReason(key: key, class: c, result: result))
        }
        if let input, let index = inputKeys.firstIndex(of: metric) {
            return ([Double(input.rows), Double(input.skipped.total), Double(result.clippedProbabilities)][index], nil)
        }
        if input == nil, metric == "rows" { return (Double(result.rows), nil) }
        if let key = MetricKey.named(metric) {
            guard let value = key.value(in: result.metrics) else {
                let tasks = key.tasks.map(\.rawValue).sorted().joined(separator: " and ")
                throw GateError("'\(shown(whole))': \(key.name) is defined for \(tasks) tasks only; this input has \(result.classNames.count) classes")
            }
            return (value, UndefinedReasons.reason(for: key, result: result))
        }
        let metricKeys = MetricKey.all.filter { $0.applies(to: result.task) }.map(\.name)
        // A nested key's group (`decomposition.brier`) or a misspelt member: name that group's keys first.
        let group = metric.split(separator: ".").dropLast().joined(separator: ".")
        let members = metricKeys.filter { $0.hasPrefix(metric + ".") || (!group.isEmpty && $0.hasPrefix(group + ".")) }
        if !members.isEmpty {
            throw GateError("'\(shown(whole))': unknown metric '\(shown(metric))'; use one of \(list(members))")
        }
        throw GateError("'\(shown(whole))': unknown metric '\(shown(metric))'; use one of \(list(metricKeys + inputKeys)), KEY[CLASS] with KEY one of \(list(perClassKeys)), max-segment-KEY, min-segment-KEY or KEY@SEGMENT, a ranking key (\(rankingForms)), a soft-target key (\(softTargetForms)), or KEY.lower / KEY.upper (the bounds of KEY's interval) with KEY one of \(intervalKeyList(result))")
    }

    /// The keys with an interval as `KEY.lower` / `KEY.upper` take them, for
    /// messages: the task's keys, then `precision[CLASS]`, `recall[CLASS]`, `ece[CLASS]`.
    static func intervalKeyList(_ result: AuditResult) -> String {
        let keys = IntervalKey.keys(for: result).map(\.name).filter { !$0.contains("[") }
        let perClass = ClassMetricKey.all.filter(\.hasInterval).map { "\($0.name)[CLASS]" }
        return (keys + perClass).joined(separator: ", ")
    }

    /// The option that sets each list's targets.
    static let listOptions = ["recallAtPrecision": "--precision-at", "recallAtFPR": "--fpr-at", "recallAtTop": "--top"]

    /// The soft-target gate keys (SPEC section 13), for messages.
    static let softTargetForms = SoftTargetKey.all.map(\.name).joined(separator: ", ")

    /// The ranking gate forms, for messages.
    static let rankingForms = (RankingKey.all.map(\.name) + RankingKey.perClass.map { "ranking.\($0.member)[CLASS]" }
        + RankingKey.lists.map { "\($0.name)[\($0.index.uppercased())]" } + ["ranking.cost.FIELD"]).joined(separator: ", ")

    /// A `ranking.` key (without the prefix): a scalar (`rocAUC`), a class's
    /// value (`averagePrecision[fraud]`), an operating point by its target
    /// (`recallAtPrecision[0.9]`, its recall; `recallAtTop[0.005].precision`),
    /// or a cost field (`cost.regret`).
    private static func rankingValue(_ key: String, ranking: RankingMetrics, result: AuditResult, whole: String) throws(GateError) -> (Double?, String?) {
        let undefined = "undefined for this input (it needs rows of both kinds: of the class and outside it)"
        // The reports' own reasons ("no row is 'fraud' (the positive class)"), so a gate and its report agree.
        let findings = RankingFindings(result: result, ranking: ranking, positiveClass: result.positiveClassIndex.map { result.classNames[$0] })
        if let scalar = RankingKey.named(RankingKey.prefix + key) {
            guard let value = scalar.value(in: ranking, task: result.task) else {
                throw GateError("'\(shown(whole))': \(scalar.name) is defined for \(scalar.tasks.map(\.rawValue).sorted().joined(separator: " and ")) tasks only")
            }
            return (value, findings.reason(scalar.name) ?? undefined)
        }
        if key.hasPrefix("cost.") {
            let field = String(key.dropFirst("cost.".count))
            guard let entry = RankingKey.cost.first(where: { $0.name == field }) else {
                throw GateError("'\(shown(whole))': ranking.cost has no field '\(shown(field))'; fields: \(list(RankingKey.cost.map(\.name)))")
            }
            guard let cost = ranking.cost else {
                throw GateError("'\(shown(whole))': the cost section needs --cost-fp and --cost-fn (binary tasks)")
            }
            return (entry.read(cost), "undefined for this input")
        }
        guard let open = key.firstIndex(of: "["), let close = key.lastIndex(of: "]"), open < close else {
            throw GateError("'\(shown(whole))': unknown ranking key; use one of \(rankingForms)")
        }
        let member = String(key[..<open])
        let inside = String(key[key.index(after: open)..<close])
        let rest = key[key.index(after: close)...]
        if let perClass = RankingKey.perClass.first(where: { $0.member == member }), rest.isEmpty {
            guard let c = result.classNames.firstIndex(of: inside) else {
                throw GateError("'\(shown(whole))': no class '\(shown(inside))'; classes: \(list(result.classNames))")
            }
            let reasons: (rocAUC: String?, averagePrecision: String?) = findings.perClassReasons.indices.contains(c) ? findings.perClassReasons[c] : (nil, nil)
            return (perClass.value(in: ranking.perClass[c]), (perClass.member == RankingKey.rocAUC.member ? reasons.rocAUC : reasons.averagePrecision) ?? undefined)
        }
        guard let listKey = RankingKey.lists.first(where: { $0.member == member }) else {
            throw GateError("'\(shown(whole))': unknown ranking key '\(shown(member))'; use one of \(rankingForms)")
        }
        let entries = listKey.entries(in: ranking)
        guard !entries.isEmpty else {
            throw GateError("'\(shown(whole))': \(listKey.name) is defined for binary tasks only")
        }
        guard let target = Double(inside), let entry = entries.first(where: { $0.index == target }) else {
            throw GateError("'\(shown(whole))': \(listKey.name) has no entry \(shown(inside)); entries: \(list(entries.map { "\($0.index)" }))\(listOptions[listKey.member].map { " (set them with \($0))" } ?? "")")
        }
        var field = listKey.gateField
        if !rest.isEmpty {
            guard rest.hasPrefix("."), listKey.fields.contains(String(rest.dropFirst())) else {
                throw GateError("'\(shown(whole))': \(listKey.name) entries have the fields \(list(listKey.fields))")
            }
            field = String(rest.dropFirst())
        }
        let kind: OperatingPoint.Kind? = ["recallAtPrecision": .precision, "recallAtFPR": .fpr, "recallAtTop": .top][listKey.member]
        let point = findings.operatingPoints.first { $0.kind == kind && $0.target == target }
        return (entry.values[listKey.fields.firstIndex(of: field)!], point?.undefinedReason ?? "no threshold reaches \(listKey.index) \(inside)")
    }

    /// The longest name quoted in a gate message; longer ones are cut with "…".
    static let shownNameLimit = 60
    /// The most names a gate message lists.
    static let listedNamesLimit = 20

    /// A name from the input or the command line as a message shows it: control characters escaped, cut at ``shownNameLimit``.
    static func shown(_ name: String) -> String { TextEscaping.plain(name, limit: shownNameLimit) }

    /// Names for a message, each ``shown(_:)``, at most ``listedNamesLimit`` of them and a count of the rest.
    static func list(_ names: [String]) -> String {
        let listed = names.prefix(listedNamesLimit).map(shown).joined(separator: ", ")
        return names.count > listedNamesLimit ? listed + " and \(names.count - listedNamesLimit) more" : listed
    }
}
