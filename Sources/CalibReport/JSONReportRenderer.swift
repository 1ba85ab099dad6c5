import CalibCore
import CalibInput

/// The JSON report of SPEC section 5: keys in a fixed order, non-finite
/// numbers as `null`, byte-identical for the same input and flags.
///
/// calib's additions come after SPEC's keys of their object, so readers of
/// schema 1 are unaffected: `gates[].undefinedReason` (why `value` is `null`,
/// e.g. "total weight is 0"; `null` when defined) and `findings.undefined`
/// (every headline metric that is `null`, the ranking's headline values
/// included, as `{"metric", "reason"}`).
public enum JSONReportRenderer {
    public static func render(_ report: Report) -> String {
        document(report).serialized()
    }

    public static func document(_ report: Report) -> JSONValue {
        let r = report.result
        let names = r.classNames
        let adjustment: [(String, JSONValue)] = report.scoreAdjustment.map { [("scoreAdjustment", JSONValue.string($0))] } ?? []
        let recalibrated: [(String, JSONValue)] = report.recalibration.map { [("recalibration", recalibration($0))] } ?? []
        let settings: JSONValue = .object([
            ("bins", .integer(r.settings.bins)),
            ("threshold", .finite(r.settings.threshold)),
            ("confidentAt", .finite(r.settings.confidentAt)),
            ("eceMode", .string(r.eceMode.rawValue)),
        ] + adjustment)
        let head: [(String, JSONValue)] = [
            ("schemaVersion", .integer(Report.schemaVersion)),
            ("tool", .object([("name", .string(report.tool.name)), ("version", .string(report.tool.version))])),
            ("input", input(report)),
            ("settings", settings),
            ("metrics", metrics(r.metrics)),
        ] + (r.ranking.map { [("ranking", ranking($0, task: r.task))] } ?? [])
            + (r.softTargets.map { [("softTargets", softTargets($0))] } ?? [])
        let body: [(String, JSONValue)] = [
            ("intervals", r.bootstrap.map(intervals) ?? .null),
            ("perClass", .array(r.perClass.indices.map { perClass(r.perClass[$0], ranking: r.ranking?.perClass[$0]) })),
            ("confusionMatrix", .object([
                ("labels", .array(names.map { .string($0) })),
                ("counts", .array((0..<names.count).map { a in
                    .array((0..<names.count).map { p in .finite(r.confusion[a, p]) })
                })),
            ])),
            ("reliability", .object([
                ("mode", .string(ECEMode.topLabel.rawValue)),
                ("ece", .finite(r.reliability.expectedCalibrationError)),
                ("table", table(r.reliability, predicted: "meanConfidence", observed: "accuracy", intervals: r.bootstrap?.reliabilityBins)),
            ])),
            ("positiveReliability", r.positiveReliability.map { t in
                .object([
                    ("mode", .string(ECEMode.positiveClass.rawValue)),
                    ("ece", .finite(t.expectedCalibrationError)),
                    ("table", table(t, predicted: "meanPredicted", observed: "observedRate", intervals: r.bootstrap?.positiveReliabilityBins)),
                ])
            } ?? .null),
            ("imbalance", imbalance(r.imbalance, names: names, finding: report.findings.imbalanceSentence)),
            ("worstRows", .array(r.worstRows.map { row in
                .object([
                    ("line", .integer(row.line)), ("source", row.source.map { .string($0) } ?? .null), ("id", row.id.map { .string($0) } ?? .null),
                    ("label", .string(names[row.label])), ("predicted", .string(names[row.predicted])),
                    ("confidence", .finite(row.confidence)), ("crossEntropy", .finite(row.crossEntropy)),
                ])
            })),
            ("gates", gates(report.gates)),
            ("segments", segments(report)),
        ]
        let tail: [(String, JSONValue)] = [
            ("findings", .object([
                ("verdict", .string(report.findings.verdict)),
                ("overconfidentBins", .array(report.findings.overconfidentBins.map { .string($0) })),
                ("overconfidentSegments", .array(report.segments.compactMap(\.flag).map { .string($0) })),
                ("undefined", .array((report.findings.undefined + (report.findings.ranking?.undefined ?? [])).map {
                    .object([("metric", .string($0.key)), ("reason", .string($0.reason))])
                })),
            ])),
        ]
        return .object(head + body + recalibrated + tail)
    }

    /// `recalibration[]` (SPEC 12, `--recalibrate`): per method `method`,
    /// `parameters` (fitted on every row, the calibrator file's names; `null`
    /// when refused), `metrics` (the cross-fitted scores' `RecalibrationMetric.all`;
    /// `null` when refused) and `refusal` (why, or `null`).
    static func recalibration(_ summary: RecalibrationSummary) -> JSONValue {
        .array(summary.entries.map { entry in
            .object([
                ("method", .string(entry.method.rawValue)),
                ("parameters", entry.calibrator.map { parameters($0.parameters, bins: summary.bins) } ?? .null),
                ("metrics", entry.crossFitted.map { result in
                    .object(RecalibrationMetric.all.map { ($0.key, .finite($0.value(in: result))) })
                } ?? .null),
                ("refusal", entry.refusal.map { .string($0) } ?? .null),
            ])
        })
    }

    /// A calibrator's parameters by the calibrator file's names.
    static func parameters(_ p: Calibrator.Parameters, bins: Int) -> JSONValue {
        var entries: [(String, JSONValue)] = []
        for (name, value) in RecalibrationSummary.parameters(p, bins: bins) {
            let json: JSONValue
            switch value {
            case let .number(x): json = .finite(x)
            case let .numbers(xs): json = .array(xs.map { JSONValue.finite($0) })
            case let .count(n): json = .integer(n)
            }
            entries.append((name, json))
        }
        return .object(entries)
    }

    /// The `gates` array: each gate's expression, metric, value, threshold, verdict, severity and undefined reason.
    static func gates(_ outcomes: [GateOutcome]) -> JSONValue {
        .array(outcomes.map { g in
            .object([
                ("expression", .string(g.expression)), ("metric", .string(g.metric)),
                ("value", .finite(g.value)), ("threshold", .finite(g.threshold)), ("passed", .bool(g.passed)),
                ("severity", .string(g.severity.rawValue)),
                ("undefinedReason", g.undefinedReason.map { .string($0) } ?? .null),
            ])
        })
    }

    static func segments(_ report: Report) -> JSONValue {
        guard let column = report.input.groupColumn else { return .null }
        return .object([
            ("column", .string(column)),
            ("minSegmentRows", .integer(report.minSegmentRows)),
            ("table", .array(report.segments.map { s in
                .object([
                    ("segment", .string(s.name)), ("rows", .integer(s.result.rows)), ("weight", .finite(s.result.totalWeight)),
                    ("gated", .bool(s.gated)), ("overconfident", .bool(s.flag != nil)),
                    ("metrics", metrics(s.result.metrics)),
                ])
            })),
        ])
    }

    static func input(_ report: Report) -> JSONValue {
        let i = report.input
        return .object([
            ("source", .string(i.source)),
            ("format", .string(i.format.rawValue)),
            ("rows", .integer(i.rows)),
            ("skippedRows", .integer(i.skipped.total)),
            ("skipped", .array(i.skipped.reasons.map { reason in
                .object([
                    ("reason", .string(reason.code)), ("count", .integer(reason.count)),
                    ("examples", .array(reason.examples.map { e in
                        .object([
                            ("line", .integer(e.line)), ("column", e.column.map { .string($0) } ?? .null),
                            ("value", e.value.map { .string($0) } ?? .null), ("message", .string(e.message)),
                        ])
                    })),
                ])
            })),
            ("classes", .array(i.classes.map { .string($0) })),
            ("task", .string(i.shape.task.rawValue)),
            ("positiveClass", i.positiveClass.map { .string($0) } ?? .null),
            ("positiveClassReason", i.positiveClassReason.map { .string($0) } ?? .null),
            ("weighted", .bool(i.weighted)),
            ("scores", .string(i.shape.scoreKind.rawValue)),
            ("clippedProbabilities", .integer(report.result.clippedProbabilities)),
            ("columns", .object([
                ("label", .string(i.labelColumn)),
                ("scores", .array(i.scoreColumns.map { .string($0) })),
                ("weight", i.weightColumn.map { .string($0) } ?? .null),
                ("id", i.idColumn.map { .string($0) } ?? .null),
                ("group", i.groupColumn.map { .string($0) } ?? .null),
            ] + (i.targetColumns.isEmpty ? [] : [("targets", .array(i.targetColumns.map { .string($0) }))]))),
        ] + (i.labelsFromTargets ? [("labelsFromTargets", .bool(true)), ("labelsNote", .string(InputSummary.targetArgmaxNote))] : []))
    }

    /// The `softTargets` object (SPEC section 13), written only when the rows
    /// carry soft targets: `SoftTargetKey.all`, then `terms[]` with `class`
    /// and `SoftTargetKey.termMembers`.
    static func softTargets(_ s: SoftTargetSummary) -> JSONValue {
        .object(SoftTargetKey.all.map { ($0.member, .finite($0.value(in: s))) } + [
            ("terms", .array(s.terms.map { t in
                .object([("class", .string(t.name))] + zip(SoftTargetKey.termMembers,
                    [t.meanTarget, t.meanPredicted, t.entropyTerm, t.crossEntropyTerm, t.klTerm]).map { ($0, .finite($1)) })
            })),
        ])
    }

    /// The `metrics` object: every key of `MetricKey.all` in its order,
    /// `null` where undefined, the averages nested as `{"macro": {"precision", "recall", "f1"}}`
    /// and the decompositions as `{"decomposition": {"brier": {"score", …}}}` (a key's group is its path).
    static func metrics(_ m: Metrics) -> JSONValue {
        var entries: [(String, JSONValue)] = []
        for key in MetricKey.all {
            let path = (key.group.map { $0.split(separator: ".").map(String.init) } ?? []) + [key.member]
            insert(JSONValue.finite(key.value(in: m)), at: path[...], into: &entries)
        }
        return .object(entries)
    }

    /// Adds `value` under `path`, joining the last entry when it is the same object.
    private static func insert(_ value: JSONValue, at path: ArraySlice<String>, into entries: inout [(String, JSONValue)]) {
        let name = path.first!
        guard path.count > 1 else { entries.append((name, value)); return }
        var members: [(String, JSONValue)] = []
        if let last = entries.last, last.0 == name, case let .object(existing) = last.1 {
            members = existing
            entries.removeLast()
        }
        insert(value, at: path.dropFirst(), into: &members)
        entries.append((name, .object(members)))
    }

    /// One `perClass[]` entry: the class, its rows, then `ClassMetricKey.counts` and `ClassMetricKey.scores` (SPEC section 3 order),
    /// then, with ranking, `RankingKey.perClass`.
    static func perClass(_ c: ClassMetrics, ranking: ClassRanking?) -> JSONValue {
        .object([("class", .string(c.name)), ("rows", .integer(c.rows))]
            + (ClassMetricKey.counts + ClassMetricKey.scores).map { ($0.name, .finite($0.value(in: c))) }
            + (ranking.map { r in RankingKey.perClass.map { ($0.member, .finite($0.value(in: r))) } } ?? []))
    }

    /// The `ranking` object (SPEC section 8), written only when the audit
    /// kept scores: the scalars of `RankingKey.all` with the lists and the
    /// cost object between `positiveRate` and `exact`; keys that do not apply
    /// to the task are `null` (scalars) or empty (lists).
    static func ranking(_ r: RankingMetrics, task: TaskKind) -> JSONValue {
        func scalar(_ key: RankingKey) -> (String, JSONValue) { (key.member, .finite(key.value(in: r, task: task))) }
        let lists: [(String, JSONValue)] = RankingKey.lists.map { list in
            (list.member, .array(list.entries(in: r).map { entry in
                .object([(list.index, .finite(entry.index))] + zip(list.fields, entry.values).map { ($0, .finite($1)) })
            }))
        }
        let cost: JSONValue = r.cost.map { c in .object(RankingKey.cost.map { ($0.name, .finite($0.read(c))) }) } ?? .null
        return .object([scalar(.rocAUC), scalar(.weightedROCAUC), scalar(.averagePrecision), scalar(.positiveRate)]
            + lists + [("cost", cost), ("exact", .bool(r.exact)), scalar(.maxAUCError)])
    }

    /// A reliability table's bins; with `intervals` (one per bin), each bin's
    /// `OBSERVED` gets its interval as `OBSERVEDInterval` (`null` for an empty bin).
    static func table(_ t: ReliabilityTable, predicted: String, observed: String, intervals: [MetricInterval?]? = nil) -> JSONValue {
        .array(t.bins.enumerated().map { i, b in
            .object([
                ("lower", .finite(b.lower)), ("upper", .finite(b.upper)),
                ("count", .integer(b.count)), ("weight", .finite(b.weight)),
                (predicted, .finite(b.meanPredicted)), (observed, .finite(b.observedRate)),
            ] + (intervals.map { [(observed + "Interval", interval($0[i]))] } ?? []) + [
                ("gap", .finite(b.gap)),
            ])
        })
    }

    /// The `intervals` object of SPEC section 10: how they were drawn, then
    /// `{lower, upper}` (or `null` when undefined) for every interval key, by its gate name.
    static func intervals(_ b: BootstrapResult) -> JSONValue {
        .object([
            ("method", .string("poisson-bootstrap")),
            ("replicates", .integer(b.settings.replicates)),
            ("confidence", .finite(b.settings.confidence)),
            ("seed", .integer(Int(b.settings.seed))),
            ("metrics", .object(b.entries.map { ($0.key.name, interval($0.interval)) })),
        ])
    }

    static func interval(_ i: MetricInterval?) -> JSONValue {
        i.map { .object([("lower", .finite($0.lower)), ("upper", .finite($0.upper))]) } ?? .null
    }

    static func imbalance(_ s: ImbalanceSummary, names: [String], finding: String) -> JSONValue {
        .object([
            ("finding", .string(finding)),
            ("imbalanceRatio", .finite(s.imbalanceRatio)),
            ("priors", .array(zip(names, s.priors).map { .object([("class", .string($0)), ("prior", .finite($1))]) })),
            ("losses", .array(s.losses.map { loss in
                .object([
                    ("name", .string(loss.name)),
                    ("parameters", .object(loss.parameters.map { p in
                        switch p.value {
                        case let .number(x): (p.key, .finite(x))
                        case let .text(t): (p.key, .string(t))
                        case let .table(rows): (p.key, .object(rows.map { ($0.0, .finite($0.1)) }))
                        }
                    })),
                    ("value", .finite(loss.value)),
                    ("perClass", .array(loss.perClass.map { c in
                        .object([
                            ("class", .string(names[c.classIndex])), ("meanLoss", .finite(c.meanLoss)),
                            ("lossShare", .finite(c.lossShare)), ("gradientShare", .finite(c.gradientShare)),
                        ])
                    })),
                ])
            })),
        ])
    }
}
