#!/usr/bin/env python3
"""The DuckDB pipeline a data engineer would write for the same audit: SQL over
the same CSV in one statement: read once with explicit column types (no
pandas, no numpy) into a materialised CTE of the per-row values, grouped twice
(by label, decision and top label; by reliability bin). Only the small
aggregated tables (at most 2K^2 groups and (K + 1) x 15 bins) are finished in
Python. DuckDB uses every core, as calib does.

It computes what the other baselines compute (SPEC sections 3 and 4): cross-
entropy and its skill, accuracy, balanced accuracy, Brier, MCC, macro/weighted/
micro F1, the confusion matrix, the top-label, classwise and positive-class
ECE with 15 equal-width bins (bin = min(B - 1, floor(c * B)) in double, as
calib and common.binned do), MCE, over- and underconfidence, mean confidence,
the confident error rate, and the eight imbalance losses with their per-class
loss and gradient shares (as common.losses defines them).

It prints one JSON object shaped like a subset of `calib audit --format json`
(same key names and nesting), so that run_benchmarks.py can check every
number against calib's. Binary files have one score column (the positive
class, threshold 0.5); multiclass files have the K class probabilities.

Run: python3 Tests/Benchmarks/baseline_duckdb.py FILE
"""
import json
import math
import sys

import duckdb

BINS = 15
EPS = sys.float_info.epsilon  # numpy's finfo(float).eps, the clip of common.py
CONFIDENT_AT = 0.9
BETA = 0.9999
GAMMAS = [0.5, 1, 2, 5]
SMOOTHING = 0.1


def quoted(name):
    return '"' + name.replace('"', '""') + '"'


def literal(x):
    """A double literal that reads back as exactly x."""
    return f"CAST('{float(x)!r}' AS DOUBLE)"


def row_expressions(scores):
    """SQL for the per-row values: the K class probabilities, the decision
    (threshold 0.5 for one score column, else argmax), the top label (argmax,
    the first of equal maxima as numpy's argmax; may use `conf`) and its
    confidence `conf`."""
    if len(scores) == 1:
        s = quoted(scores[0])
        probabilities = [f"(1 - {s})", s]
        decision = f"CASE WHEN {s} >= {literal(0.5)} THEN 1 ELSE 0 END"
        top = f"CASE WHEN {s} > 1 - {s} THEN 1 ELSE 0 END"
        return probabilities, decision, top, f"greatest(1 - {s}, {s})"
    probabilities = [quoted(c) for c in scores]
    top = "CASE " + " ".join(f"WHEN {p} = conf THEN {c}" for c, p in enumerate(probabilities)) + " END"
    return probabilities, top, top, "greatest(" + ", ".join(probabilities) + ")"


def clip(x):
    return f"least(greatest({x}, {literal(EPS)}), 1)"


def bin_of(x):
    # floor in double, then the (exact) cast: CAST alone would round.
    return f"least({BINS - 1}, CAST(floor({x} * {BINS}) AS INTEGER))"


def audit(path):
    with open(path, newline="") as f:
        header = f.readline().rstrip("\r\n").split(",")
    scores = [c for c in header if c != "label"]
    probabilities, decision, top, confidence = row_expressions(scores)
    k = len(probabilities)
    con = duckdb.connect()
    types = ", ".join(f"'{c}': '{t}'" for c, t in [("label", "INTEGER")] + [(c.replace("'", "''"), "DOUBLE")
                                                                                for c in scores])

    # One statement, so that DuckDB reads the CSV once: the per-row values the
    # two aggregations share are materialised (r), then grouped twice.
    p_cols = [f"{p} AS p{c}" for c, p in enumerate(probabilities)]
    true_p = "CASE label " + " ".join(f"WHEN {c} THEN p{c}" for c in range(k)) + " END"
    source = "'" + path.replace("'", "''") + "'"
    rows = f"""
        SELECT label, {', '.join(f'p{c}' for c in range(k))}, {decision} AS pred, {top} AS top, conf FROM (
            SELECT *, {', '.join(p_cols)}, {confidence} AS conf
            FROM read_csv({source}, header = true, delim = ',', quote = '"', auto_detect = false,
                          columns = {{{types}}}))"""
    with_q = f"SELECT *, ln(q) AS lnq FROM (SELECT *, {clip(true_p)} AS q FROM r)"

    # Groups by (label, decision, top label): counts, log loss, Brier,
    # confident rows and every loss and gradient sum of common.losses before
    # its class factor (the factors depend on the label only).
    target = [f"(CASE WHEN label = {c} THEN {literal((1 - SMOOTHING) + SMOOTHING / k)} ELSE {literal(SMOOTHING / k)} END)"
              for c in range(k)]
    brier = (f"(p1 - label) * (p1 - label)" if len(scores) == 1 else
             " + ".join(f"(p{c} - CASE WHEN label = {c} THEN 1 ELSE 0 END) * (p{c} - CASE WHEN label = {c} THEN 1 ELSE 0 END)"
                        for c in range(k)))
    sums = [
        "count(*)", "sum(-lnq)", "sum(1 - q)", f"sum({brier})", "sum(conf)",
        f"count(*) FILTER (WHERE conf >= {literal(CONFIDENT_AT)})",
        "sum(" + " + ".join(f"-{t} * ln({clip(f'p{c}')})" for c, t in enumerate(target)) + ")",
        "sum(0.5 * (" + " + ".join(f"abs(p{c} - {t})" for c, t in enumerate(target)) + "))",
    ]
    power = {0.5: "sqrt(1 - q)", 1: "(1 - q)", 2: "(1 - q) * (1 - q)", 5: "pow(1 - q, 5)"}  # (1 - q)^gamma
    for g in GAMMAS:
        sums += [f"sum({power[g]} * -lnq)", f"sum({power[g]} * ((1 - q) - {literal(g)} * q * lnq))"]
    groups = f"SELECT 0 AS part, label, pred, top, {', '.join(f'{e} AS s{i}' for i, e in enumerate(sums))} " \
             f"FROM ({with_q}) GROUP BY label, pred, top"

    # The reliability bins, top label (kind -1) and each class (kind c).
    parts = [f"SELECT -1 AS kind, {bin_of('conf')} AS bin, conf AS v, CAST(top = label AS DOUBLE) AS o FROM r"]
    parts += [f"SELECT {c}, {bin_of(f'p{c}')}, p{c}, CAST(label = {c} AS DOUBLE) FROM r" for c in range(k)]
    bins = f"SELECT 1 AS part, kind AS label, bin AS pred, count(*) AS s0, sum(v) AS s1, sum(o) AS s2 " \
           f"FROM ({' UNION ALL '.join(parts)}) GROUP BY kind, bin"

    con.execute("SET preserve_insertion_order = false")
    result = con.execute(f"WITH r AS MATERIALIZED ({rows}) {groups} UNION ALL BY NAME {bins}").fetchall()
    names = [d[0] for d in con.description]
    at = {name: i for i, name in enumerate(names)}
    groups = [(t[at["label"]], t[at["pred"]], t[at["top"]], *(t[at[f"s{i}"]] for i in range(len(sums))))
              for t in result if t[at["part"]] == 0]
    bins = [(t[at["label"]], t[at["pred"]], t[at["s0"]], t[at["s1"]], t[at["s2"]]) for t in result if t[at["part"]] == 1]
    return finish(k, groups, bins)


def finish(k, groups, bins):
    """The metrics from the aggregated tables (a handful of rows)."""
    cm = [[0] * k for _ in range(k)]
    per_class = [[0.0] * 12 for _ in range(k)]  # the group sums by label, from sum(-lnq) on
    total = dict(n=0, brier=0.0, conf=0.0, confident=0, confident_right=0)
    for label, pred, top, n, *rest in groups:
        if not 0 <= label < k:
            sys.exit(f"label {label} outside 0..{k - 1}")
        cm[label][pred] += n
        nlnq, one_minus_q, brier, conf, confident, *losses = rest
        total["n"] += n
        total["brier"] += brier
        total["conf"] += conf
        total["confident"] += confident
        total["confident_right"] += confident if top == label else 0
        for i, value in enumerate([nlnq, one_minus_q] + losses):
            per_class[label][i] += value
    n = total["n"]
    support = [sum(row) for row in cm]
    predicted = [sum(cm[t][p] for t in range(k)) for p in range(k)]
    tp = [cm[c][c] for c in range(k)]
    precision = [tp[c] / predicted[c] if predicted[c] else 0.0 for c in range(k)]
    recall = [tp[c] / support[c] if support[c] else 0.0 for c in range(k)]
    f1 = [2 * tp[c] / (predicted[c] + support[c]) if predicted[c] + support[c] else 0.0 for c in range(k)]
    correct = sum(tp)
    mcc = ((correct * n - sum(p * s for p, s in zip(predicted, support)))
           / math.sqrt((n * n - sum(p * p for p in predicted)) * (n * n - sum(s * s for s in support))))
    ce = sum(row[0] for row in per_class) / n
    prior_ce = -sum(s / n * math.log(s / n) for s in support if s)

    tables = {}
    for kind, b, count, value, outcome in bins:
        tables.setdefault(kind, [(0, 0.0, 0.0)] * BINS)[b] = (count, value, outcome)

    def gaps(kind):
        return [(w, (v - o) / w) for w, v, o in tables.get(kind, []) if w]

    def ece(kind):
        return sum(w / n * abs(g) for w, g in gaps(kind))

    metrics = {
        "crossEntropy": ce, "logLossSkill": 1 - ce / prior_ce, "accuracy": correct / n,
        "balancedAccuracy": sum(recall[c] for c in range(k) if support[c]) / sum(1 for s in support if s),
        "brier": total["brier"] / n, "mcc": mcc,
        "macro": {"f1": sum(f1) / k}, "weighted": {"f1": sum(f * s for f, s in zip(f1, support)) / n},
        "micro": {"f1": correct / n},
        "meanConfidence": total["conf"] / n, "topLabelECE": ece(-1),
        "classwiseECE": sum(ece(c) for c in range(k)) / k,
        "overconfidence": sum(w / n * max(g, 0) for w, g in gaps(-1)),
        "underconfidence": sum(w / n * max(-g, 0) for w, g in gaps(-1)),
        "confidentErrorRate": 1 - total["confident_right"] / total["confident"] if total["confident"] else 0.0,
    }
    # MCE: of the positive-class bins for a binary task (as common.ece_tables),
    # of the top-label bins otherwise (calib's ECE mode for multiclass).
    if k == 2:
        metrics["positiveClassECE"] = ece(1)
    metrics["mce"] = max(abs(g) for _, g in gaps(1 if k == 2 else -1))

    # The imbalance losses of common.losses, in its order: per-class sums by
    # the class factors, then (value, loss shares, gradient shares).
    counts = [float(s) for s in support]
    losses = []

    def shares(L, G, norm):
        losses.append({"value": sum(L) / norm, "perClass": [
            {"lossShare": L[c] / sum(L), "gradientShare": G[c] / sum(G)} for c in range(k)]})

    sums = list(zip(*per_class))  # sums[i][c]
    nlnq, one_minus_q = sums[0], sums[1]
    inverse = [n / (k * w) if w else 0.0 for w in counts]
    for factor in ([1.0] * k, inverse):
        shares([f * s for f, s in zip(factor, nlnq)], [f * s for f, s in zip(factor, one_minus_q)],
               sum(f * w for f, w in zip(factor, counts)))
    effective = [(1 - BETA) / (1 - BETA ** w) if w else 0.0 for w in counts]
    effective = [e * k / sum(effective) for e in effective]
    shares([e * s for e, s in zip(effective, nlnq)], [e * s for e, s in zip(effective, one_minus_q)],
           sum(e * w for e, w in zip(effective, counts)))
    alpha = [0.75, 0.25] if k == 2 else [1.0] * k
    for i in range(len(GAMMAS)):
        loss, grad = sums[4 + 2 * i], sums[5 + 2 * i]
        shares([a * s for a, s in zip(alpha, loss)], [a * s for a, s in zip(alpha, grad)], n)
    shares(list(sums[2]), list(sums[3]), n)
    return {"metrics": metrics, "confusionMatrix": {"counts": cm}, "imbalance": {"losses": losses}}


if __name__ == "__main__":
    print(json.dumps(audit(sys.argv[1])))
