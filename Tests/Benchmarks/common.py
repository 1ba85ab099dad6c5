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


# SPEC section 9: calibration estimators, tests and decompositions. Every
# baseline prints them under `metrics` with calib's key names; the binned
# estimators use calib's default `--bins` (BINS, 15), Hosmer-Lemeshow 10 groups.
HL_GROUPS = 10
SECTION9 = ("equalMassECE", "debiasedL2ECE", "smoothECE", "smoothECEBandwidth", "spiegelhalterZ", "spiegelhalterP",
            "hosmerLemeshowStatistic", "hosmerLemeshowP", "hosmerLemeshowGroups", "calibrationSlope",
            "calibrationIntercept", "decomposition")


def headline(y, P):
    """SPEC section 9's headline pairs (x, o): the positive score against
    1[y = positive] for a binary task, else the top-label confidence
    (argmax, ties to the lowest index) against 1[correct]."""
    if P.shape[1] == 2:
        return P[:, 1], (y == 1).astype(float)
    top = P.argmax(axis=1)
    return P[np.arange(len(y)), top], (top == y).astype(float)


def equal_mass_bins(x, w, B):
    """Each row's equal-mass bin (SPEC 9): the edges t_j = min{x_i : C(x_i) >=
    j*W/B}, j = 1..B-1, compared as C*B >= j*W (exact for unweighted rows:
    integer counts), and bin = #{j : t_j < x_i}. The logic of
    make_calibration_golden.equal_mass_bins in Double instead of Fractions."""
    values, group = np.unique(x, return_inverse=True)
    C = np.cumsum(np.bincount(group, weights=w, minlength=len(values)))  # int64 when unweighted
    first = np.searchsorted(C * B, np.arange(1, B) * C[-1], side="left")  # the first C*B >= j*W
    return np.searchsorted(values[first], values, side="left")[group]


def bin_sums(index, groups, x, o, w):
    """(weight, sum w*x, sum w*o) of each of `groups` bins."""
    wx, wo = (x, o) if w is None else (w * x, w * o)
    weight = np.bincount(index, weights=w, minlength=groups).astype(float)
    return weight, np.bincount(index, weights=wx, minlength=groups), np.bincount(index, weights=wo, minlength=groups)


def binned_estimates(W, X, O):
    """equalMassECE and debiasedL2ECE (SPEC 9, Kumar et al. 2019) from the
    bins' weight W_b, sum w*x and sum w*o; empty bins skipped, bins with
    W_b < 2 contribute 0 to the debiased sum."""
    keep = W > 0
    W, X, O = W[keep], X[keep], O[keep]
    xb, yb, total = X / W, O / W, W.sum()
    ece = float(np.sum(W / total * np.abs(yb - xb)))
    safe = np.where(W < 2, 2.0, W)
    terms = np.where(W < 2, 0.0, (yb - xb) ** 2 - yb * (1 - yb) / (safe - 1))
    return ece, math.sqrt(max(0.0, float(np.sum(W / total * terms))))


def hosmer_lemeshow_statistic(W, O, E, F):
    """(statistic, non-empty groups), statistic None when a non-empty group
    has E_g = 0 or F_g = 0: sum_g (O_g - E_g)^2 W_g / (E_g F_g) (SPEC 9)."""
    keep = W > 0
    W, O, E, F = W[keep], O[keep], E[keep], F[keep]
    if np.any(E == 0) or np.any(F == 0):
        return None, int(keep.sum())
    return float(np.sum((O - E) ** 2 * W / (E * F))), int(keep.sum())


def smooth_ece(x, o, weighted):
    """relplot 1.0.3's smECE and its bandwidth (relplot has no weights: None
    on a weighted file, so those keys are left out there)."""
    if weighted:
        return {}
    import relplot
    value, sigma = relplot.smECE(x, o, return_width=True)
    return {"smoothECE": float(value), "smoothECEBandwidth": float(sigma)}


def logit_clipped(s):
    """logit(s) with s clipped to [eps, 1 - eps] (SPEC 9)."""
    s = np.clip(s, EPS, 1 - EPS)
    return np.log(s) - np.log1p(-s)


def decomposition(S_s, S_iso, S_bar):
    """CORP's {score, miscalibration, discrimination, uncertainty} from the
    mean scores of s, of the isotonic fit and of the base rate."""
    return {"score": float(S_s), "miscalibration": float(S_s - S_iso), "discrimination": float(S_bar - S_iso),
            "uncertainty": float(S_bar)}


def brier_ce_decomposition(s, o, w, iso):
    """decomposition.brier and decomposition.crossEntropy (SPEC 9) from the
    rows and their isotonic fit; cross-entropy of s clips the true-class
    probability at eps (SPEC 3), 0 ln 0 = 0 on the isotonic and base-rate side."""
    from scipy.special import xlogy
    w = np.ones(len(s)) if w is None else w
    W = w.sum()
    ybar = float(np.sum(w * o) / W)
    mean = lambda v: float(np.sum(w * v) / W)  # noqa: E731
    ce = lambda p: mean(-(xlogy(o, p) + xlogy(1 - o, 1 - p)))  # noqa: E731
    ce_s = mean(-np.log(np.clip(np.where(o == 1, s, 1 - s), EPS, None)))
    bar = np.full(len(s), ybar)
    return {"brier": decomposition(mean((s - o) ** 2), mean((iso - o) ** 2), mean((bar - o) ** 2)),
            "crossEntropy": decomposition(ce_s, ce(iso), ce(bar))}


def grouped_decomposition(S_s, Y, Wg, iso, brier_s):
    """The same from the distinct scores' groups (weight Wg, sum w*y Y) and
    each group's isotonic value: S(s_iso) summed per group (y is 0 or 1, so
    sum w*y^2 = Y); `S_s` is the cross-entropy of s, `brier_s` its Brier score."""
    W = Wg.sum()
    ybar = Y.sum() / W

    def xlogy(a, b):
        return np.where(a == 0, 0.0, a * np.log(np.where(a == 0, 1.0, b)))

    brier_iso = float(np.sum(Wg * iso * iso - 2 * iso * Y + Y) / W)
    ce_iso = float(-np.sum(xlogy(Y, iso) + xlogy(Wg - Y, 1 - iso)) / W)
    brier_bar = ybar * (1 - ybar)
    ce_bar = -(xlogy(np.array(ybar), np.array(ybar)) + xlogy(np.array(1 - ybar), np.array(1 - ybar)))
    return {"brier": decomposition(brier_s, brier_iso, brier_bar), "crossEntropy": decomposition(S_s, ce_iso, float(ce_bar))}
