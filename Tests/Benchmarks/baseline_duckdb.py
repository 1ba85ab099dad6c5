#!/usr/bin/env python3
"""The DuckDB pipeline a data engineer would write for the same audit: SQL over
the same CSV, read once with explicit column types (no pandas, no numpy) into
a temporary table of the per-row values, grouped twice in one statement (by
label, decision and top label; by reliability bin). Only the small aggregated
tables (at most 2K^2 groups and (K + 1) x 15 bins) are finished in Python.
DuckDB uses every core, as calib does.

It computes what the other baselines compute (SPEC sections 3 and 4): cross-
entropy and its skill, accuracy, balanced accuracy, Brier, MCC, macro/weighted/
micro F1, the confusion matrix, the top-label, classwise and positive-class
ECE with 15 equal-width bins (bin = min(B - 1, floor(c * B)) in double, as
calib and common.binned do), MCE, over- and underconfidence, mean confidence,
the confident error rate, and the eight imbalance losses with their per-class
loss and gradient shares (as common.losses defines them).

And SPEC section 8 (ranking), weighted by the `weight`/`sample_weight`
column when there is one: the rows of every ranked class (a binary task ranks
the positive class by s and the negative by 1 - s, a multiclass task class k
by p_k) grouped by distinct score, cumulative sums of positive and negative
weight by window functions over the scores in decreasing order (a table of
the distinct scores), then one aggregate each for the per-class AUC (ties
half) and average precision, the operating points at calib's default targets
(max over a struct: the largest recall, then the highest threshold) and the
99-threshold sweep (the scores bucketed by the thresholds k/100 they reach).

And SPEC section 9 (calibration), weighted likewise, from a table of the
headline pairs (x, o, w): the distinct scores with their sums and the weight
before each in increasing order (for a binary task straight from the
ranking's table of the positive class: unweighted, W minus the window sums at
or above each score; for weights or a multiclass headline a window sum), which
places each in its equal-mass bin (bin = min(B - 1, floor(C_before * B / W)),
the SPEC's edge rule); one GROUP BY each for the equal-mass and debiased L2
ECE (B = 15) and Hosmer-Lemeshow (10 groups); one aggregate for the
Spiegelhalter sums, the Brier score and cross-entropy of s; the calibration
slope and intercept by Newton's method, both fits in lockstep, each iteration
one aggregate of their gradients and Hessians (the 2 x 2 solve in Python).
What SQL cannot say falls back to Python: relplot.smECE on the fetched
headline columns for the smooth ECE (left out on a weighted file: relplot
has no weights), math.erfc for the Spiegelhalter p, scipy.stats.chi2 for the
Hosmer-Lemeshow p, and scikit-learn's isotonic_regression (PAV) on the
distinct-score groups for the CORP decomposition.

It prints one JSON object shaped like a subset of `calib audit --format json`
(same key names and nesting), so that run_benchmarks.py can check every
number against calib's. Binary files have one score column (the positive
class, threshold 0.5); multiclass files have the K class probabilities. On a
weighted file it prints only `ranking`, `perClass[].rocAUC/averagePrecision`
and the section 9 keys of `metrics` (sections 3 and 4 here are unweighted).

Run: python3 Tests/Benchmarks/baseline_duckdb.py FILE
"""
import json
import math
import sys

import duckdb

from common import FPR_AT, HL_GROUPS, PRECISION_AT, SWEEP, TOP, grouped_decomposition, ranking_json, roles, sweep_entry

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
    scores, weight = roles(header)
    probabilities, decision, top, confidence = row_expressions(scores)
    k = len(probabilities)
    con = duckdb.connect()
    types = ", ".join(f"'{c}': '{t}'" for c, t in [("label", "INTEGER")] + [(c.replace("'", "''"), "DOUBLE")
                                                                                for c in scores + [weight] if c])

    # The per-row values every aggregation shares (table r, read once).
    p_cols = [f"{p} AS p{c}" for c, p in enumerate(probabilities)]
    true_p = "CASE label " + " ".join(f"WHEN {c} THEN p{c}" for c in range(k)) + " END"
    source = "'" + path.replace("'", "''") + "'"
    rows = f"""
        SELECT label, {', '.join(f'p{c}' for c in range(k))}, {decision} AS pred, {top} AS top, conf, w FROM (
            SELECT *, {', '.join(p_cols)}, {confidence} AS conf, {quoted(weight) if weight else 'CAST(1 AS DOUBLE)'} AS w
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
    # The per-row values, read once and shared by every statement below.
    con.execute(f"CREATE TEMP TABLE r AS {rows}")
    ranked = ranking(con, k)
    calibrated = calibration(con, k, weighted=weight is not None)
    if weight:
        return {**ranked, "metrics": calibrated}
    result = con.execute(f"{groups} UNION ALL BY NAME {bins}").fetchall()
    names = [d[0] for d in con.description]
    at = {name: i for i, name in enumerate(names)}
    groups = [(t[at["label"]], t[at["pred"]], t[at["top"]], *(t[at[f"s{i}"]] for i in range(len(sums))))
              for t in result if t[at["part"]] == 0]
    bins = [(t[at["label"]], t[at["pred"]], t[at["s0"]], t[at["s1"]], t[at["s2"]]) for t in result if t[at["part"]] == 1]
    out = finish(k, groups, bins)
    out["metrics"].update(calibrated)
    out["ranking"] = ranked["ranking"]
    out["perClass"] = ranked["perClass"]
    return out


def ranking(con, k):
    """SPEC section 8 from the per-row table r: `ranking` and
    `perClass[].rocAUC/averagePrecision` in calib's layout."""
    # Each ranked class's distinct scores (decreasing) with the positive and
    # negative weight there and at or above (tp, fp); the class totals.
    by_class = " UNION ALL ".join(
        f"SELECT {c} AS class, p{c} AS score, CASE WHEN label = {c} THEN w ELSE 0 END AS pos, "
        f"CASE WHEN label = {c} THEN 0 ELSE w END AS neg FROM r" for c in range(k))
    con.execute(f"""
        CREATE TEMP TABLE curve AS
        SELECT class, score, pos, neg,
               sum(pos) OVER above AS tp, sum(neg) OVER above AS fp
        FROM (SELECT class, score, sum(pos) AS pos, sum(neg) AS neg FROM ({by_class}) GROUP BY class, score)
        WINDOW above AS (PARTITION BY class ORDER BY score DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)""")
    con.execute("CREATE TEMP TABLE totals AS SELECT class, sum(pos) AS P, sum(neg) AS N FROM curve GROUP BY class")

    # AUC: each negative weight beats the positives above it and ties half;
    # AP: each positive weight times the precision at its score.
    per_class = con.execute("""
        SELECT class, P,
               CASE WHEN P > 0 AND N > 0 THEN sum(neg * (tp - pos / 2)) / (P * N) END AS auc,
               CASE WHEN P > 0 AND N > 0 THEN sum(CASE WHEN pos > 0 THEN pos * tp / (tp + fp) ELSE 0 END) / P END AS ap
        FROM curve JOIN totals USING (class) GROUP BY class, P, N ORDER BY class""").fetchall()
    if [row[0] for row in per_class] != list(range(k)):
        sys.exit("the file has no rows")
    auc, ap, support = [row[2] for row in per_class], [row[3] for row in per_class], [row[1] for row in per_class]
    if k != 2:
        return ranking_json(auc, ap, support)

    # The operating points of the positive class: one aggregate, a FILTER per
    # target; max over a struct orders by its first fields (the largest tp,
    # then the highest score; for the budgets the highest score).
    point = "{'tp': tp, 'score': score, 'fp': fp}"
    filters = ([f"max({point}) FILTER (WHERE CASE WHEN tp + fp > 0 THEN tp / (tp + fp) ELSE 0 END >= {literal(t)})"
                for t in PRECISION_AT] +
               [f"max({point}) FILTER (WHERE fp / N <= {literal(t)})" for t in FPR_AT] +
               [f"max({{'score': score, 'tp': tp, 'fp': fp}}) FILTER (WHERE tp + fp >= {literal(t)} * (P + N))"
                for t in TOP])
    found = con.execute(f"SELECT P, N, {', '.join(filters)} FROM curve JOIN totals USING (class) "
                        f"WHERE class = 1 GROUP BY P, N").fetchone()
    P, N, found = found[0], found[1], list(found[2:])
    W = P + N

    at_precision = [{"target": t, **({"recall": None, "precision": None, "threshold": None} if h is None else
                                     {"recall": h["tp"] / P, "precision": h["tp"] / (h["tp"] + h["fp"]),
                                      "threshold": h["score"]})}
                    for t, h in zip(PRECISION_AT, found[:len(PRECISION_AT)])]
    found = found[len(PRECISION_AT):]
    at_fpr = [{"target": t, **({"recall": None, "fpr": None, "threshold": None} if h is None else
                               {"recall": h["tp"] / P, "fpr": h["fp"] / N, "threshold": h["score"]})}
              for t, h in zip(FPR_AT, found[:len(FPR_AT)])]
    at_top = [{"fraction": t, **({"flaggedFraction": None, "recall": None, "precision": None, "threshold": None}
                                 if h is None else
                                 {"flaggedFraction": (h["tp"] + h["fp"]) / W, "recall": h["tp"] / P,
                                  "precision": h["tp"] / (h["tp"] + h["fp"]), "threshold": h["score"]})}
              for t, h in zip(TOP, found[len(FPR_AT):])]

    # The sweep: each distinct score's bucket b = the number of thresholds
    # k/100 (Double division) it reaches (floor(s * 100) corrected by one
    # where the product rounds), then the weight in buckets >= k.
    hundredths = "CAST(floor(score * 100) AS INTEGER)"
    bucket = (f"CASE WHEN CAST({hundredths} + 1 AS DOUBLE) / 100 <= score THEN {hundredths} + 1 "
              f"WHEN CAST({hundredths} AS DOUBLE) / 100 > score THEN {hundredths} - 1 ELSE {hundredths} END")
    counts = dict((j, (tp, fp)) for j, tp, fp in con.execute(f"""
        SELECT k, coalesce(sum(pos), 0), coalesce(sum(neg), 0)
        FROM range(1, 100) thresholds(k) LEFT JOIN (
            SELECT {bucket} AS b, sum(pos) AS pos, sum(neg) AS neg FROM curve WHERE class = 1 GROUP BY b
        ) buckets ON b >= k GROUP BY k""").fetchall())
    sweep = [sweep_entry(t, *counts[j], P, N) for j, t in enumerate(SWEEP, start=1)]
    return ranking_json(auc, ap, support, {"positiveRate": P / W, "recallAtPrecision": at_precision,
                                           "recallAtFPR": at_fpr, "recallAtTop": at_top, "sweep": sweep})


def calibration(con, k, weighted):
    """SPEC section 9 from the per-row table r (and, for a binary task, the
    ranking's table `curve` of distinct scores), under calib's key names (see
    the module's comment)."""
    headline = "p1 AS x, CAST(label = 1 AS DOUBLE) AS o" if k == 2 else "conf AS x, CAST(top = label AS DOUBLE) AS o"
    clipped = f"least(greatest(x, {literal(EPS)}), {literal(1 - EPS)})"
    con.execute(f"CREATE TEMP TABLE h AS SELECT *, ln({clipped}) - ln(1 - {clipped}) AS lx FROM (SELECT {headline}, w FROM r)")
    # The distinct scores in increasing order with the weight before each. A
    # binary task has them in the ranking's table of the positive class (its
    # scores are s); unweighted, the weight before a score is W minus the
    # count at or above it (exact: integers), weighted a window sum upwards
    # (a difference of rounded sums could move an edge). A multiclass headline
    # (the top-label confidence) needs its own table.
    before = ("coalesce(sum(pos + neg) OVER (ORDER BY score ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
              if weighted else "(P + N) - (tp + fp)")
    if k == 2:
        con.execute(f"""
            CREATE TEMP TABLE g AS
            SELECT score AS x, pos + neg AS wg, score * (pos + neg) AS xg, pos AS og, (1 - score) * (pos + neg) AS fg,
                   {before} AS before, P + N AS total
            FROM curve JOIN totals USING (class) WHERE class = 1""")
    else:
        con.execute("""
            CREATE TEMP TABLE g AS
            SELECT x, wg, xg, og, fg,
                   coalesce(sum(wg) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
                   sum(wg) OVER () AS total
            FROM (SELECT x, sum(w) AS wg, sum(w * x) AS xg, sum(w * o) AS og, sum(w * (1 - x)) AS fg FROM h GROUP BY x)""")

    def bins(B):
        return con.execute(f"""
            SELECT sum(wg), sum(xg), sum(og), sum(fg) FROM g
            GROUP BY least({B - 1}, CAST(floor(before * {B} / total) AS INTEGER))""").fetchall()

    out = {}
    table = [b for b in bins(BINS) if b[0] > 0]
    W = sum(b[0] for b in table)
    ece = sq = 0.0
    for Wb, X, O, _ in table:
        xb, yb = X / Wb, O / Wb
        ece += Wb / W * abs(yb - xb)
        sq += 0.0 if Wb < 2 else Wb / W * ((yb - xb) ** 2 - yb * (1 - yb) / (Wb - 1))
    out["equalMassECE"], out["debiasedL2ECE"] = ece, math.sqrt(max(0.0, sq))
    if not weighted:
        import relplot
        columns = con.execute("SELECT x, o FROM h").fetchnumpy()
        value, sigma = relplot.smECE(columns["x"], columns["o"], return_width=True)
        out["smoothECE"], out["smoothECEBandwidth"] = float(value), float(sigma)
    if k != 2:
        return out

    num, den, brier, ce, W, Y = con.execute(f"""
        SELECT sum(w * (o - x) * (1 - 2 * x)), sum(w * (1 - 2 * x) * (1 - 2 * x) * x * (1 - x)),
               sum(w * (x - o) * (x - o)), sum(-w * ln(greatest(CASE WHEN o = 1 THEN x ELSE 1 - x END, {literal(EPS)}))),
               sum(w), sum(w * o) FROM h""").fetchone()
    z = num / math.sqrt(den) if den else None
    out["spiegelhalterZ"], out["spiegelhalterP"] = z, (None if z is None else math.erfc(abs(z) / math.sqrt(2)))

    groups = [b for b in bins(HL_GROUPS) if b[0] > 0]
    undefined = any(E == 0 or F == 0 for _, E, _, F in groups)
    statistic = None if undefined else sum((O - E) ** 2 * Wg / (E * F) for Wg, E, O, F in groups)
    out["hosmerLemeshowStatistic"], out["hosmerLemeshowGroups"] = statistic, len(groups)
    if statistic is not None and len(groups) >= 3:
        from scipy.stats import chi2
        out["hosmerLemeshowP"] = float(chi2.sf(statistic, len(groups) - 2))
    else:
        out["hosmerLemeshowP"] = None
    out["calibrationSlope"], out["calibrationIntercept"] = fits(con) if 0 < Y < W else (None, None)

    from sklearn.isotonic import isotonic_regression
    import numpy as np
    groups = con.execute("SELECT wg, og FROM g ORDER BY x").fetchnumpy()
    Wg, Yg = groups["wg"], groups["og"]
    iso = isotonic_regression(Yg / Wg, sample_weight=Wg, y_min=0, y_max=1)
    out["decomposition"] = grouped_decomposition(ce / W, Yg, Wg, np.asarray(iso), brier / W)
    return out


def fits(con):
    """(calibrationSlope, calibrationIntercept): the weighted logistic fits
    sigma(a + b * lx) and sigma(a0 + lx) of SPEC 9 by Newton's method from
    (0, 1) and 0, both in one aggregate per iteration; None for a fit that
    does not converge in 100 iterations (separable data)."""
    a, b, a0 = 0.0, 1.0, 0.0
    done, failed = [False, False], [False, False]
    for _ in range(100):
        mu = f"1 / (1 + exp(least(-({literal(a)} + {literal(b)} * lx), 700)))"
        mu0 = f"1 / (1 + exp(least(-({literal(a0)} + lx), 700)))"
        g0, g1, h00, h01, h11, g, h = con.execute(f"""
            SELECT sum(w * (o - mu)), sum(w * (o - mu) * lx), sum(w * mu * (1 - mu)), sum(w * mu * (1 - mu) * lx),
                   sum(w * mu * (1 - mu) * lx * lx), sum(w * (o - mu0)), sum(w * mu0 * (1 - mu0))
            FROM (SELECT *, {mu} AS mu, {mu0} AS mu0 FROM h)""").fetchone()
        det = h00 * h11 - h01 * h01
        failed = [failed[0] or (not done[0] and det == 0), failed[1] or (not done[1] and h == 0)]
        if not (done[0] or failed[0]):
            da, db = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det
            a, b = a + da, b + db
            done[0] = max(abs(da), abs(db)) <= 1e-10 * max(1.0, abs(a), abs(b))  # quadratic: the error is ~ step^2
        if not (done[1] or failed[1]):
            a0 += g / h
            done[1] = abs(g / h) <= 1e-10 * max(1.0, abs(a0))
        if not all(math.isfinite(v) for v in (a, b, a0)):
            break
        if all(d or f for d, f in zip(done, failed)):
            break
    return (b if done[0] else None), (a0 if done[1] else None)


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
