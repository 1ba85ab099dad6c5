#!/usr/bin/env python3
"""Makes the golden values of SPEC section 8 (ranking and operating points) for calib's tests.

What: for every golden fixture in this folder -- the six that make_golden.py
writes (read here from their CSV files, never regenerated) and the tie and
edge-case fixtures that this script writes with a fixed seed (ties_*.csv,
multiclass_rounded*.csv, edge_*.csv) -- it writes ranking_expected.json:
the input description (file, columns, classes in order, positive class,
weight column, logits flag) and every key of the JSON `ranking` object
(rocAUC, weightedROCAUC, averagePrecision, positiveRate, recallAtPrecision,
recallAtFPR, recallAtTop, the 99-entry sweep), the cost object for two
(costFP, costFN) pairs, per-class one-vs-rest rocAUC and averagePrecision,
and for binary tasks the raw curves (roc_curve(drop_intermediate=False) and
precision_recall_curve).

How: AUC, AP and the curves are scikit-learn's (roc_auc_score,
average_precision_score, roc_curve, precision_recall_curve,
confusion_matrix_at_thresholds). The operating points are read off those
curves as SPEC section 8 says (see rank_binary). The sweep and the costs are
a direct numpy transcription of SPEC section 8. Everything is checked a
second time by independent code: AUC by a Mann-Whitney count over
scipy.stats.rankdata groups, AP by a step sum over the same groups, the
operating points by brute force over the distinct thresholds, the costs
against scikit-learn's cumulative counts -- all asserted to agree to 1e-12.
Non-finite values are written as null; numbers as repr (full precision).
The Swift tests read ranking_expected.json; they never run Python.

Conventions (as make_golden.py): binary tasks order their classes
[negative, positive] and rank by the positive score s; the negative class's
per-class values rank by 1 - s. Multiclass logits become p = exp(log_softmax(z)).
Undefined values (a class with no rows, or no rows outside it) are null, for
AUC and AP alike (the lead's JSON note), although scikit-learn returns an AP
of 0.0 for a class with no rows and 1.0 for one with no rows outside it; the
fixture's "notes" say so where it happens.

Run: pip install scikit-learn==1.9.1 numpy scipy
     python3 Tests/CalibCoreTests/Golden/make_ranking_golden.py
"""
import csv
import json
import math
import os
import warnings

import numpy as np
import sklearn
from scipy.special import log_softmax
from scipy.stats import rankdata
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (average_precision_score, confusion_matrix_at_thresholds,
                             precision_recall_curve, roc_auc_score, roc_curve)
from sklearn.preprocessing import label_binarize

HERE = os.path.dirname(os.path.abspath(__file__))
PRECISION_AT = [0.5, 0.8, 0.9, 0.95, 0.99]   # --precision-at default
FPR_AT = [0.001, 0.01, 0.05]                 # --fpr-at default
TOP = [0.001, 0.005, 0.01, 0.05]             # --top default
COSTS = [(1.0, 10.0), (5.0, 1.0)]            # (--cost-fp, --cost-fn) pairs
TOL = 1e-12
rng = np.random.default_rng(13)              # only the new fixtures; make_golden.py's seed 7 is untouched

# Operating-point comparisons that fall this close to their boundary (relative)
# on a weighted file, where summation order could flip them, are reported.
FRAGILE = 1e-9
fragile = []


# ---------------------------------------------------------------- fixtures

def fixture(name, file, label, scores, classes, positive=None, weight=None, logits=False, description=""):
    return dict(name=name, file=file, label=label, scores=scores, classes=classes, positive=positive,
                weight=weight, logits=logits, description=description)


EXISTING = [
    fixture("binary_01", "binary_01.csv", "label", ["prob"], ["0", "1"], "1",
            description="make_golden.py: 1000 rows, unweighted, exact 0 and 1 among the scores"),
    fixture("string_labels", "string_labels.csv", "label", ["p_spam"], ["ham", "spam"], "spam",
            description="make_golden.py: 700 rows, unweighted, string labels"),
    fixture("weighted_binary", "weighted_binary.csv", "y_true", ["score"], ["no", "yes"], "yes",
            weight="sample_weight", description="make_golden.py: 500 rows, gamma weights"),
    fixture("multiclass_probs", "multiclass_probs.csv", "label", ["p_cat", "p_dog", "p_bird"],
            ["cat", "dog", "bird"], description="make_golden.py: 800 rows, 3 classes, probabilities"),
    fixture("multiclass_logits", "multiclass_logits.csv", "target", [f"logit_{k}" for k in range(5)],
            [str(k) for k in range(5)], logits=True,
            description="make_golden.py: 800 rows, 5 classes, logits (p = exp(log_softmax(z)))"),
    fixture("weighted_multiclass", "weighted_multiclass.csv", "class", ["proba_a", "proba_b", "proba_c"],
            ["a", "b", "c"], weight="weight", description="make_golden.py: 600 rows, 3 classes, uniform weights"),
]


def write_csv(name, header, rows):
    """Numbers are written as repr (exact round trip) unless already strings (e.g. '0.37')."""
    with open(os.path.join(HERE, name), "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(v if isinstance(v, str) else repr(float(v)) for v in row) + "\n")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def binary_labels_scores(n, intercept):
    risk = rng.normal(size=n)
    y = (rng.random(n) < sigmoid(intercept + 2 * risk)).astype(int)
    s = sigmoid(intercept + 2 * (risk + 0.4 * rng.normal(size=n)))
    return y, s


def grid_probabilities(n, k, prior):
    """n rows of k probabilities on the 0.01 grid whose hundredths sum to exactly 100.

    Softmax of noisy logits, scaled to 100 and rounded by largest remainder, so
    every row is valid as written ("0.xx" strings, sum off by < 1e-15 after
    parsing, far inside --sum-tolerance) and no row is renormalised.
    """
    y = rng.choice(k, size=n, p=prior)
    z = rng.normal(size=(n, k)) + np.log(prior)
    z[np.arange(n), y] += 1.5
    p = np.exp(log_softmax(z, axis=1)) * 100
    cents = np.floor(p).astype(int)
    for i in range(n):
        short = 100 - cents[i].sum()
        order = np.argsort(-(p[i] - cents[i]), kind="stable")
        cents[i, order[:short]] += 1
    assert (cents.sum(axis=1) == 100).all()
    return y, cents


def cent(c):
    return f"{c // 100}.{c % 100:02d}"


def make_new_fixtures():
    """The tie and edge-case fixtures, written here with seed 13. Returns their descriptions."""
    out = []
    # "0.xx" parses to the same Double as the sweep threshold k/100, so rounded scores sit exactly on it
    assert all(float(f"{k / 100:.2f}") == k / 100 for k in range(1, 100))

    y, _ = binary_labels_scores(200, -1.0)
    write_csv("ties_all_equal.csv", ["label", "prob"], [(str(y[i]), "0.3") for i in range(len(y))])
    out.append(fixture("ties_all_equal", "ties_all_equal.csv", "label", ["prob"], ["0", "1"], "1",
                       description="200 rows, unweighted, every score 0.3"))

    y, s = binary_labels_scores(400, -0.5)
    two = np.where(s >= 0.4, "0.7", "0.2")
    write_csv("ties_two_values.csv", ["label", "prob"], [(str(y[i]), two[i]) for i in range(len(y))])
    out.append(fixture("ties_two_values", "ties_two_values.csv", "label", ["prob"], ["0", "1"], "1",
                       description="400 rows, unweighted, scores 0.2 or 0.7"))

    y, s = binary_labels_scores(300, -0.5)
    two = np.where(s >= 0.4, "0.7", "0.2")
    w = rng.gamma(2.0, 1.5, size=len(y))
    write_csv("ties_two_values_weighted.csv", ["label", "prob", "weight"],
              [(str(y[i]), two[i], w[i]) for i in range(len(y))])
    out.append(fixture("ties_two_values_weighted", "ties_two_values_weighted.csv", "label", ["prob"], ["0", "1"],
                       "1", weight="weight", description="300 rows, gamma weights, scores 0.2 or 0.7"))

    y, s = binary_labels_scores(600, -1.2)
    write_csv("ties_rounded.csv", ["label", "prob"], [(str(y[i]), f"{s[i]:.2f}") for i in range(len(y))])
    out.append(fixture("ties_rounded", "ties_rounded.csv", "label", ["prob"], ["0", "1"], "1",
                       description="600 rows, unweighted, scores rounded to 2 decimals (equal to the sweep thresholds k/100)"))

    y, s = binary_labels_scores(500, -1.5)
    w = rng.uniform(0.2, 3.0, size=len(y))
    names = ["legit", "fraud"]
    write_csv("ties_rounded_weighted.csv", ["label", "p_fraud", "weight"],
              [(names[y[i]], f"{s[i]:.2f}", w[i]) for i in range(len(y))])
    out.append(fixture("ties_rounded_weighted", "ties_rounded_weighted.csv", "label", ["p_fraud"], names, "fraud",
                       weight="weight", description="500 rows, uniform weights, scores rounded to 2 decimals"))

    names = ["red", "green", "blue"]
    y, cents = grid_probabilities(500, 3, [0.5, 0.3, 0.2])
    write_csv("multiclass_rounded.csv", ["label"] + [f"p_{c}" for c in names],
              [(names[y[i]], *map(cent, cents[i])) for i in range(len(y))])
    out.append(fixture("multiclass_rounded", "multiclass_rounded.csv", "label", [f"p_{c}" for c in names], names,
                       description="500 rows, 3 classes, probabilities on the 0.01 grid summing to exactly 1 "
                                   "in decimal (largest-remainder rounding; no renormalisation)"))

    y, cents = grid_probabilities(400, 3, [0.6, 0.3, 0.1])
    w = rng.gamma(2.0, 1.0, size=len(y))
    write_csv("multiclass_rounded_weighted.csv", ["label"] + [f"p_{c}" for c in names] + ["weight"],
              [(names[y[i]], *map(cent, cents[i]), w[i]) for i in range(len(y))])
    out.append(fixture("multiclass_rounded_weighted", "multiclass_rounded_weighted.csv", "label",
                       [f"p_{c}" for c in names], names, weight="weight",
                       description="400 rows, 3 classes, 0.01-grid probabilities, gamma weights"))

    s = rng.random(50)
    write_csv("edge_no_positive.csv", ["label", "prob"], [("0", s[i]) for i in range(len(s))])
    out.append(fixture("edge_no_positive", "edge_no_positive.csv", "label", ["prob"], ["0", "1"], "1",
                       description="50 rows, every label 0: the positive class is absent (AUC and AP undefined); "
                                   "calib reads the classes 0/1 as the known pair"))

    write_csv("edge_single_row.csv", ["label", "prob"], [("1", "0.8")])
    out.append(fixture("edge_single_row", "edge_single_row.csv", "label", ["prob"], ["0", "1"], "1",
                       description="one row, label 1, score 0.8 (no negatives: AUC undefined, AP 1); "
                                   "calib reads the classes 0/1 as the known pair"))

    y = (rng.random(100) < 0.4).astype(int)
    hit = rng.random(100) < 0.8
    s01 = np.where(hit, y, 1 - y)
    write_csv("edge_scores_0_1.csv", ["label", "prob"], [(str(y[i]), str(float(s01[i]))) for i in range(len(y))])
    out.append(fixture("edge_scores_0_1", "edge_scores_0_1.csv", "label", ["prob"], ["0", "1"], "1",
                       description="100 rows, unweighted, every score exactly 0.0 or 1.0"))

    rows = [("1", "0.9"), ("0", "0.9"), ("1", "0.75"), ("0", "0.6"), ("1", "0.55"),
            ("0", "0.4"), ("0", "0.3"), ("1", "0.25"), ("0", "0.1"), ("0", "0.05")]
    write_csv("edge_ten_rows.csv", ["label", "prob"], rows)
    out.append(fixture("edge_ten_rows", "edge_ten_rows.csv", "label", ["prob"], ["0", "1"], "1",
                       description="10 rows, unweighted: every default alert budget times W (at most 0.5) is less "
                                   "than one row, and the top score 0.9 is tied by two rows, so flaggedFraction 0.2"))
    return out


def load(fx):
    """(y as class indices, scores as read, weights or None) from the fixture's CSV."""
    with open(os.path.join(HERE, fx["file"]), newline="") as f:
        rows = list(csv.DictReader(f))
    y = np.array([fx["classes"].index(r[fx["label"]]) for r in rows], dtype=int)
    z = np.array([[float(r[c]) for c in fx["scores"]] for r in rows], dtype=float)
    w = None if fx["weight"] is None else np.array([float(r[fx["weight"]]) for r in rows], dtype=float)
    return y, z, w


# ------------------------------------------------------- helpers

def fin(x):
    """A finite float, or None (JSON null) for nan/±inf/None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def fins(xs):
    return [fin(x) for x in xs]


def note_fragile(fx, what, value, boundary):
    if fx["weight"] is not None and value != boundary and abs(value - boundary) <= FRAGILE * max(abs(boundary), 1e-300):
        fragile.append(f"{fx['name']}: {what}: {value!r} vs {boundary!r}")


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", UserWarning)
        return f(*args, **kwargs)


# ------------------------------------------------------- independent checks

def mann_whitney_auc(yb, s, w):
    """Weighted Mann-Whitney: Σ_pos Σ_neg w_i w_j ([s_i > s_j] + ½[s_i = s_j]) / (P N), via rankdata groups."""
    g = rankdata(s, method="dense").astype(int) - 1          # tie group of each row, ascending score
    negw = np.bincount(g, weights=w * (1 - yb))
    below = np.concatenate([[0.0], np.cumsum(negw)[:-1]])
    P, N = np.sum(w * yb), np.sum(w * (1 - yb))
    if P <= 0 or N <= 0:
        return None
    auc = np.sum(w * yb * (below[g] + 0.5 * negw[g])) / (P * N)
    if np.all(w == 1):                                        # the textbook U statistic, average ranks
        n1, n0 = yb.sum(), (1 - yb).sum()
        u = rankdata(s)[yb == 1].sum() - n1 * (n1 + 1) / 2
        assert abs(u / (n1 * n0) - auc) <= TOL, (u / (n1 * n0), auc)
    return float(auc)


def step_average_precision(yb, s, w):
    """Σ over tie groups, highest score first, of (ΔR) · P at that group's threshold."""
    g = rankdata(-s, method="dense").astype(int) - 1          # group 0 = highest score
    tp = np.cumsum(np.bincount(g, weights=w * yb))
    flagged = np.cumsum(np.bincount(g, weights=w))
    P = np.sum(w * yb)
    if P <= 0:
        return None
    recall = tp / P
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * tp / flagged))


# ------------------------------------------------------- binary ranking

def counts_at(yb, s, w, t):
    """Direct weighted confusion counts for flagging s >= t (SPEC: "threshold t flags a row" means s ≥ t)."""
    flag = s >= t
    tp = float(np.sum(w[flag & (yb == 1)]))
    fp = float(np.sum(w[flag & (yb == 0)]))
    fn = float(np.sum(w[~flag & (yb == 1)]))
    tn = float(np.sum(w[~flag & (yb == 0)]))
    return tp, fp, fn, tn


def div0(a, b):
    return a / b if b != 0 else 0.0


def sweep(yb, s, w):
    """SPEC 8 `sweep[]`: t = k/100 (Double division), weighted counts, zero division -> 0, F1 = 2tp/(2tp+fp+fn)."""
    out = []
    for k in range(1, 100):
        t = k / 100
        tp, fp, fn, tn = counts_at(yb, s, w, t)
        out.append(dict(threshold=t, tp=tp, fp=fp, fn=fn, tn=tn, precision=div0(tp, tp + fp),
                        recall=div0(tp, tp + fn), fpr=div0(fp, fp + tn), f1=div0(2 * tp, 2 * tp + fp + fn)))
    return out


def cost(fx, yb, s, w, A, B):
    """SPEC 8 `ranking.cost`: cost per unit weight (A·FP + B·FN)/W for flagging s >= t.

    bestThreshold: least cost among the distinct scores and +inf (flag nothing), ties -> the highest
    threshold (candidates are scanned from +inf downwards and only a strictly smaller cost replaces
    the best). Cross-checked against scikit-learn's cumulative counts (confusion_matrix_at_thresholds).
    """
    W = float(np.sum(w))
    bayes = A / (A + B)
    tp, fp, fn, tn = counts_at(yb, s, w, bayes)
    at_bayes = (A * fp + B * fn) / W
    candidates = [math.inf] + sorted(set(s.tolist()), reverse=True)
    costs = []
    for t in candidates:
        tp, fp, fn, tn = counts_at(yb, s, w, t)
        costs.append((A * fp + B * fn) / W)
    best_i = 0
    for i, c in enumerate(costs):
        if c < costs[best_i]:
            best_i = i
    best = costs[best_i]
    # near ties that summation order could flip on weighted files
    for i, c in enumerate(costs):
        if i != best_i:
            note_fragile(fx, f"cost({A},{B}) at {candidates[i]!r} vs best at {candidates[best_i]!r}", c, best)
    # cross-check with scikit-learn's cumulative counts at the distinct thresholds (descending)
    _, fps, fns, _, thr = quiet(confusion_matrix_at_thresholds, yb, s, pos_label=1,
                                sample_weight=None if fx["weight"] is None else w)
    sk = np.concatenate([[B * float(np.sum(w * yb)) / W], (A * fps + B * fns) / W])
    assert np.allclose(sk, costs, rtol=TOL, atol=TOL), (fx["name"], A, B)
    assert list(thr) == candidates[1:]
    return dict(costFP=A, costFN=B, bayesThreshold=bayes, costAtBayesThreshold=at_bayes,
                bestThreshold=fin(candidates[best_i]), bestCost=best, regret=at_bayes - best)


def rank_binary(fx, yb, s, w):
    sw = None if fx["weight"] is None else w
    W = float(np.sum(w))
    P = float(np.sum(w * yb))
    N = W - P
    notes = []

    # --- AUC and AP: scikit-learn, null when undefined (no positives or no negatives)
    auc = fin(quiet(roc_auc_score, yb, s, sample_weight=sw))
    ap = fin(quiet(average_precision_score, yb, s, sample_weight=sw))
    if P <= 0 or N <= 0:
        assert auc is None
        notes.append("AUC undefined (scikit-learn: nan)")
    if P <= 0:
        notes.append(f"AP undefined here (no positives), scikit-learn returns {ap!r}")
        ap = None
    mw, step = mann_whitney_auc(yb, s, w), step_average_precision(yb, s, w)
    assert (auc is None and mw is None) or abs(auc - mw) <= TOL, (fx["name"], auc, mw)
    assert (ap is None and step is None) or abs(ap - step) <= TOL, (fx["name"], ap, step)

    # --- raw curves
    fpr, tpr, roc_thr = quiet(roc_curve, yb, s, sample_weight=sw, drop_intermediate=False)
    prec, rec, pr_thr = quiet(precision_recall_curve, yb, s, sample_weight=sw)
    distinct = sorted(set(s.tolist()), reverse=True)
    assert list(roc_thr[1:]) == distinct and list(pr_thr) == distinct[::-1]

    # --- recallAtPrecision: precision_recall_curve's points i < len(thresholds) (the appended last
    # point, recall 0 / precision 1, has no threshold and is no candidate) with precision >= target;
    # the largest recall, ties -> the highest threshold; all fields null when none qualifies or
    # when recall is undefined (no positives: scikit-learn then sets recall to 1, precision is 0).
    rap = []
    for target in PRECISION_AT:
        best = None
        if P > 0:
            for i in range(len(pr_thr)):
                note_fragile(fx, f"precision at {pr_thr[i]!r} vs target {target}", prec[i], target)
                if prec[i] >= target and (best is None or rec[i] > rec[best]
                                          or (rec[i] == rec[best] and pr_thr[i] > pr_thr[best])):
                    best = i
        # brute force: over the distinct thresholds, direct counts
        brute = None
        for t in distinct:
            tp, fp, fn, tn = counts_at(yb, s, w, t)
            if P > 0 and tp / (tp + fp) >= target - 1e-15:
                r = tp / P
                if brute is None or r > brute[0] + 1e-15:
                    brute = (r, t)
        assert (best is None) == (brute is None) and (best is None or
                                                      (abs(rec[best] - brute[0]) <= TOL and pr_thr[best] == brute[1])), \
            (fx["name"], target, best, brute)
        rap.append(dict(target=target, recall=None if best is None else float(rec[best]),
                        precision=None if best is None else float(prec[best]),
                        threshold=None if best is None else float(pr_thr[best])))

    # --- recallAtFPR: roc_curve(drop_intermediate=False)'s points i >= 1 (the point at threshold +inf
    # is no candidate) with fpr <= target; the largest tpr, ties -> the highest threshold; all fields
    # null when none qualifies, when fpr is undefined (no negatives, scikit-learn's fpr is nan) or
    # when tpr is undefined (no positives, scikit-learn's tpr is nan).
    raf = []
    for target in FPR_AT:
        best = None
        if P > 0 and N > 0:
            for i in range(1, len(roc_thr)):
                note_fragile(fx, f"fpr at {roc_thr[i]!r} vs target {target}", fpr[i], target)
                if fpr[i] <= target and (best is None or tpr[i] > tpr[best]
                                         or (tpr[i] == tpr[best] and roc_thr[i] > roc_thr[best])):
                    best = i
        brute = None
        for t in distinct:
            tp, fp, fn, tn = counts_at(yb, s, w, t)
            if P > 0 and N > 0 and fp / N <= target + 1e-15:
                r = tp / P
                if brute is None or r > brute[0] + 1e-15:
                    brute = (r, t)
        assert (best is None) == (brute is None) and (best is None or
                                                      (abs(tpr[best] - brute[0]) <= TOL and roc_thr[best] == brute[1])), \
            (fx["name"], target, best, brute)
        raf.append(dict(target=target, recall=None if best is None else float(tpr[best]),
                        fpr=None if best is None else float(fpr[best]),
                        threshold=None if best is None else float(roc_thr[best])))

    # --- recallAtTop: scikit-learn's cumulative weighted counts at the distinct scores, highest first
    # (confusion_matrix_at_thresholds, the counts behind both curves): t = the first (largest) score
    # whose flagged weight tps + fps reaches budget·W; ties at t are all flagged. recall null when
    # there are no positives (0/0).
    _, fps, _, tps, thr = quiet(confusion_matrix_at_thresholds, yb, s, pos_label=1, sample_weight=sw)
    flagged = tps + fps
    rat = []
    for budget in TOP:
        need = budget * W
        i = int(np.argmax(flagged >= need))
        assert flagged[i] >= need
        note_fragile(fx, f"flagged weight at {thr[i]!r} vs {budget}·W", flagged[i], need)
        if i > 0:
            note_fragile(fx, f"flagged weight at {thr[i - 1]!r} vs {budget}·W", flagged[i - 1], need)
        t = float(thr[i])
        tp, fp, fn, tn = counts_at(yb, s, w, t)      # brute force check
        assert abs(tp + fp - flagged[i]) <= TOL * W and abs(tp - tps[i]) <= TOL * W
        assert all(np.sum(w[s >= u]) < need for u in distinct if u > t)
        rat.append(dict(fraction=budget, flaggedFraction=float(flagged[i] / W),
                        recall=fin(tps[i] / P) if P > 0 else None, precision=float(tps[i] / flagged[i]),
                        threshold=t))

    ranking = dict(rocAUC=auc, weightedROCAUC=None, averagePrecision=ap, positiveRate=P / W,
                   recallAtPrecision=rap, recallAtFPR=raf, recallAtTop=rat, sweep=sweep(yb, s, w),
                   cost=None, exact=True, maxAUCError=0)
    costs = [cost(fx, yb, s, w, A, B) for A, B in COSTS]
    curves = dict(roc=dict(fpr=fins(fpr), tpr=fins(tpr), thresholds=fins(roc_thr)),
                  precisionRecall=dict(precision=fins(prec), recall=fins(rec), thresholds=fins(pr_thr)))
    return ranking, costs, curves, notes


# ------------------------------------------------------- per class and multiclass

def one_vs_rest(fx, yk, pk, w):
    """(rocAUC, averagePrecision, note) of one class against the rest; null when undefined."""
    sw = None if fx["weight"] is None else w
    auc = fin(quiet(roc_auc_score, yk, pk, sample_weight=sw))
    ap = fin(quiet(average_precision_score, yk, pk, sample_weight=sw))
    note = None
    Pk, W = float(np.sum(w * yk)), float(np.sum(w))
    if Pk <= 0 or Pk >= W:
        assert auc is None
        note = "AUC undefined"
    if Pk <= 0:
        note = f"AUC undefined; AP undefined here (no positives), scikit-learn returns {ap!r}"
        ap = None
    mw, step = mann_whitney_auc(yk, pk, w), step_average_precision(yk, pk, w)
    assert (auc is None and mw is None) or abs(auc - mw) <= TOL
    assert (ap is None and step is None) or abs(ap - step) <= TOL
    return auc, ap, note


def swift_softmax(z):
    """calib's StableMath.logSoftmax probabilities: e_k = exp(z_k - max), p_k = e_k · (1 / Σ e) (sequential sum)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    total = np.zeros(len(z))
    for k in range(z.shape[1]):
        total = total + e[:, k]
    return e * (1 / total)[:, None]


def min_relative_gap(v):
    u = np.unique(v)
    u = u[u != 0]
    return float(np.min(np.diff(u) / u[1:])) if len(u) > 1 else None


def expected(fx):
    y, z, w0 = load(fx)
    n, k = len(y), len(fx["classes"])
    w = np.ones(n) if w0 is None else w0
    notes = []
    if k == 2:
        assert z.shape[1] == 1 and not fx["logits"], "binary logits are not among the fixtures"
        s = z[:, 0]
        yb = (y == 1).astype(int)
        ranking, costs, curves, more = rank_binary(fx, yb, s, w)
        notes += more
        scored = [1 - s, s]       # the negative class ranks by 1 - s (computed in Double, as calib does)
    else:
        P = np.exp(log_softmax(z, axis=1)) if fx["logits"] else z
        if fx["logits"]:
            # calib computes p_k as exp(z_k - max) / Σ; AUC/AP depend only on each class's order, so
            # check that both computations order every class's scores identically.
            Q = swift_softmax(z)
            for c in range(k):
                assert (rankdata(P[:, c], method="dense") == rankdata(Q[:, c], method="dense")).all()
            gaps = [min_relative_gap(P[:, c]) for c in range(k)]
            notes.append("p = exp(log_softmax(z)); calib's exp(z - max)/sum orders every class identically; "
                         f"smallest relative gap between distinct p_k per class: {gaps}")
        scored = [P[:, c] for c in range(k)]
        sw = None if w0 is None else w
        present = [c for c in range(k) if 0 < np.sum(w[y == c]) < np.sum(w)]
        auc = ap = wauc = None
        if len(present) == k:
            auc = float(roc_auc_score(y, P, multi_class="ovr", average="macro", sample_weight=sw, labels=list(range(k))))
            wauc = float(roc_auc_score(y, P, multi_class="ovr", average="weighted", sample_weight=sw, labels=list(range(k))))
            ap = float(average_precision_score(label_binarize(y, classes=list(range(k))), P, average="macro", sample_weight=sw))
        ranking = dict(rocAUC=auc, weightedROCAUC=wauc, averagePrecision=ap, positiveRate=None,
                       recallAtPrecision=[], recallAtFPR=[], recallAtTop=[], sweep=[], cost=None,
                       exact=True, maxAUCError=0)
        costs, curves = [], None
    per_class = []
    for c in range(k):
        yk = (y == c).astype(int)
        auc_c, ap_c, note = one_vs_rest(fx, yk, scored[c], w)
        if note:
            notes.append(f"class {fx['classes'][c]}: {note}")
        per_class.append({"class": fx["classes"][c], "rocAUC": auc_c, "averagePrecision": ap_c})
    if k > 2 and ranking["rocAUC"] is not None:   # macro and support-weighted means, checked again
        aucs = np.array([p["rocAUC"] for p in per_class])
        aps = np.array([p["averagePrecision"] for p in per_class])
        Wk = np.array([np.sum(w[y == c]) for c in range(k)])
        assert abs(aucs.mean() - ranking["rocAUC"]) <= TOL
        assert abs(np.sum(aucs * Wk) / Wk.sum() - ranking["weightedROCAUC"]) <= TOL
        assert abs(aps.mean() - ranking["averagePrecision"]) <= TOL
    return dict(
        input=dict(file=fx["file"], label=fx["label"], scores=fx["scores"], classes=fx["classes"],
                   positiveClass=fx["positive"], weight=fx["weight"], logits=fx["logits"], rows=n,
                   description=fx["description"]),
        ranking=ranking, costs=costs, perClass=per_class, curves=curves, notes=notes)


def dumps(value, indent=""):
    """JSON with sorted keys, one key per line, lists of plain numbers on one line; floats as repr."""
    if isinstance(value, dict):
        inner = indent + " "
        items = [f"{inner}{json.dumps(k)}: {dumps(v, inner)}" for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        inner = indent + " "
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


if __name__ == "__main__":
    fixtures = EXISTING + make_new_fixtures()
    result = dict(
        about="SPEC section 8 golden values; written by make_ranking_golden.py, do not edit",
        sklearnVersion=sklearn.__version__,
        options=dict(precisionAt=PRECISION_AT, fprAt=FPR_AT, top=TOP,
                     costs=[dict(costFP=a, costFN=b) for a, b in COSTS]),
        fixtures={fx["name"]: expected(fx) for fx in fixtures},
    )
    with open(os.path.join(HERE, "ranking_expected.json"), "w") as f:
        f.write(dumps(result) + "\n")
    for line in fragile:
        print("near a boundary (weighted, summation order could flip it):", line)
    print(f"{'fixture':30} {'rocAUC':>22} {'averagePrecision':>22}")
    for name, e in result["fixtures"].items():
        print(f"{name:30} {e['ranking']['rocAUC']!r:>22} {e['ranking']['averagePrecision']!r:>22}")
