"""numpy pieces both baseline pipelines share: the reliability tables and ECE
variants (SPEC section 3) and the imbalance losses (SPEC section 4), written
the way a data scientist would vectorise them; and for SPEC section 8
(ranking) the column roles, calib's default targets and the JSON layout of
`ranking` and `perClass[].rocAUC/averagePrecision`, which all three baselines
print (each computes the curves its own way)."""
import math

import numpy as np

BINS = 15
EPS = np.finfo(float).eps


def probability_matrix(scores):
    """The N x K probability matrix and the decisions from the score columns:
    one column is a binary task's positive-class score (threshold 0.5),
    several are the class probabilities (argmax)."""
    if scores.shape[1] == 1:
        s = scores[:, 0]
        return np.stack([1 - s, s], axis=1), (s >= 0.5).astype(np.int64)
    return scores, scores.argmax(axis=1)


def binned(value, outcome):
    idx = np.minimum(BINS - 1, np.floor(value * BINS).astype(np.int64))
    w = np.bincount(idx, minlength=BINS)
    mean = np.bincount(idx, weights=value, minlength=BINS)
    rate = np.bincount(idx, weights=outcome, minlength=BINS)
    nonempty = w > 0
    gap = np.zeros(BINS)
    gap[nonempty] = (mean[nonempty] - rate[nonempty]) / w[nonempty]
    return w, gap


def ece_tables(y, P):
    n, k = P.shape
    top = P.argmax(axis=1)
    conf = P[np.arange(n), top]
    correct = (top == y).astype(float)
    w, gap = binned(conf, correct)
    out = {"topLabelECE": (w / n * np.abs(gap)).sum(), "over": (w / n * np.maximum(gap, 0)).sum(),
           "under": (w / n * np.maximum(-gap, 0)).sum(), "meanConfidence": conf.mean(),
           "confidentErrorRate": (1 - correct[conf >= 0.9]).mean() if (conf >= 0.9).any() else 0.0}
    classwise = []
    for c in range(k):
        wc, gc = binned(P[:, c], (y == c).astype(float))
        classwise.append((wc / n * np.abs(gc)).sum())
    out["classwiseECE"] = float(np.mean(classwise))
    if k == 2:
        wp, gp = binned(P[:, 1], y.astype(float))
        out["positiveClassECE"] = (wp / n * np.abs(gp)).sum()
        out["mce"] = np.abs(gp[wp > 0]).max()
    return out


def losses(y, P):
    n, k = P.shape
    q = np.clip(P[np.arange(n), y], EPS, 1)
    lnq = np.log(q)
    logP = np.log(np.clip(P, EPS, 1))
    Wk = np.bincount(y, minlength=k).astype(float)
    results = []

    def shares(loss, grad, norm):
        L = np.bincount(y, weights=loss, minlength=k)
        G = np.bincount(y, weights=grad, minlength=k)
        results.append((L.sum() / norm, L / L.sum(), G / G.sum()))

    for gamma, factor in [(0, np.ones(k)), (0, n / (k * Wk))]:
        f = factor[y] * (1 - q) ** gamma
        shares(f * -lnq, f * ((1 - q) - gamma * q * lnq), (factor[y]).sum())
    e = (1 - 0.9999) / (1 - 0.9999 ** Wk)
    e = e * k / e.sum()
    f = e[y]
    shares(f * -lnq, f * (1 - q), f.sum())
    alpha = np.array([0.75, 0.25]) if k == 2 else np.ones(k)
    for gamma in [0.5, 1, 2, 5]:
        f = alpha[y] * (1 - q) ** gamma
        shares(f * -lnq, f * ((1 - q) - gamma * q * lnq), n)
    target = 0.9 * np.eye(k)[y] + 0.1 / k
    shares(-(target * logP).sum(1), 0.5 * np.abs(P - target).sum(1), n)
    return results


# SPEC section 8: calib's default targets (--precision-at, --fpr-at, --top)
# and the 99 sweep thresholds k/100 (Double division).
PRECISION_AT = [0.5, 0.8, 0.9, 0.95, 0.99]
FPR_AT = [0.001, 0.01, 0.05]
TOP = [0.001, 0.005, 0.01, 0.05]
SWEEP = [k / 100 for k in range(1, 100)]
WEIGHT_NAMES = ("weight", "sample_weight")  # calib's auto-detected weight columns


def roles(header):
    """(score columns, weight column or None) of a benchmark file: the label
    column is `label`, a column named as calib auto-detects weights is the
    weight, every other column is a score."""
    weight = next((c for c in header if c.lower() in WEIGHT_NAMES), None)
    return [c for c in header if c not in ("label", weight)], weight


def number(x):
    """A JSON number, or None for an undefined (None or NaN) value."""
    return None if x is None or math.isnan(float(x)) else float(x)


def ratio(a, b):
    """a / b, 0 when b is 0 (SPEC: zero division -> 0)."""
    return float(a) / float(b) if b else 0.0


def sweep_entry(threshold, tp, fp, positives, negatives):
    """One `ranking.sweep[]` entry from the weighted counts of flagging s >= threshold."""
    tp, fp = float(tp), float(fp)
    fn, tn = float(positives) - tp, float(negatives) - fp
    return {"threshold": threshold, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": ratio(tp, tp + fp),
            "recall": ratio(tp, tp + fn), "fpr": ratio(fp, fp + tn), "f1": ratio(2 * tp, 2 * tp + fp + fn)}


def mean(values, weights=None):
    """The (weighted) mean, None when a value is undefined."""
    if any(v is None for v in values):
        return None
    weights = [1.0] * len(values) if weights is None else [float(w) for w in weights]
    return sum(w * v for w, v in zip(weights, values)) / sum(weights)


def ranking_json(auc, ap, support, points=None):
    """The `ranking` object and the `perClass` entries calib prints, from
    each class's one-vs-rest AUC and average precision (None when undefined),
    its weighted support, and for a binary task (two classes, the positive
    class last) the operating points {positiveRate, recallAtPrecision,
    recallAtFPR, recallAtTop, sweep}. `cost`, `exact` and `maxAUCError` are
    calib's own and not printed."""
    auc, ap = [number(a) for a in auc], [number(a) for a in ap]
    if points is not None:
        ranking = {"rocAUC": auc[1], "weightedROCAUC": None, "averagePrecision": ap[1]}
        ranking.update(points)
    else:
        ranking = {"rocAUC": mean(auc), "weightedROCAUC": mean(auc, support), "averagePrecision": mean(ap),
                   "positiveRate": None, "recallAtPrecision": [], "recallAtFPR": [], "recallAtTop": [], "sweep": []}
    return {"ranking": ranking, "perClass": [{"rocAUC": a, "averagePrecision": p} for a, p in zip(auc, ap)]}
