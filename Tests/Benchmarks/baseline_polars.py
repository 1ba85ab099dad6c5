#!/usr/bin/env python3
"""The polars + numpy pipeline for the same audit: read with polars, compute
every metric of SPEC sections 3 and 4 with numpy (confusion matrix and bins
by bincount), and the section 8 ranking as a numpy transcription: sort the
scores once per ranked class, cumulative (weighted) sums of positives and
negatives, kept at the last row of each distinct score; the AUC by the
trapezoid rule, the average precision as sum of recall steps times
precision, the operating points by searchsorted.

Section 9 in polars expressions where polars can say it: the headline pairs
(x, o) come from numpy (common.headline), then polars groups the rows by
distinct score once, orders the groups and places each in its equal-mass bin
from the weight before it (bin = min(B - 1, floor(C_before * B / W)), the SPEC's
edge rule), and sums the bins (equal-mass and debiased L2 ECE, Hosmer-
Lemeshow); the Spiegelhalter sums, and the calibration slope and intercept by
Newton's method with each iteration's gradient and Hessian as one polars
aggregate. Falling back to Python: relplot.smECE for the smooth ECE,
scipy.stats for the normal and chi-squared tails, and scikit-learn's
isotonic_regression (PAV) on polars' distinct-score groups for the CORP
decomposition.

Prints one JSON object: `ranking`, `perClass[].rocAUC/averagePrecision` and
the section 9 keys of `metrics` in calib's layout (weighted by the
`weight`/`sample_weight` column when there is one; no smooth ECE then,
relplot has no weights), and under `summary` a few unweighted section 3/4
numbers so that the work cannot be skipped.

Run: python3 Tests/Benchmarks/baseline_polars.py FILE
"""
import json
import math
import sys

import numpy as np
import polars as pl

from common import (BINS, EPS, FPR_AT, HL_GROUPS, PRECISION_AT, SWEEP, TOP, binned_estimates, ece_tables,
                    grouped_decomposition, headline, hosmer_lemeshow_statistic, losses, number, probability_matrix,
                    ranking_json, roles, smooth_ece, sweep_entry)


def curve(positive, score, weight):
    """(thresholds, tps, fps): the distinct scores, decreasing, and the
    weighted positives and negatives with a score >= each."""
    order = np.argsort(score)[::-1]
    s = score[order]
    if weight is None:
        tps = np.cumsum(positive[order], dtype=np.int64).astype(float)
        fps = np.arange(1, len(s) + 1, dtype=float) - tps
    else:
        tps = np.cumsum(np.where(positive, weight, 0.0)[order])
        fps = np.cumsum(np.where(positive, 0.0, weight)[order])
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), len(s) - 1]  # the last row of each distinct score
    return s[last], tps[last], fps[last]


def divide(a, b):
    return np.divide(a, b, out=np.zeros(len(a)), where=b != 0)


def auc_ap(tps, fps):
    """ROC-AUC (ties half: trapezoids) and average precision, None when a
    class is empty."""
    P, N = tps[-1], fps[-1]
    if P == 0 or N == 0:
        return None, None
    previous = np.r_[0.0, tps[:-1]]
    auc = np.sum(np.diff(fps, prepend=0.0) * (tps + previous)) / 2 / (P * N)
    ap = np.sum((tps - previous) * divide(tps, tps + fps)) / P
    return auc, ap


def operating_points(thresholds, tps, fps):
    """positiveRate, recallAtPrecision, recallAtFPR, recallAtTop and the sweep
    (SPEC section 8) from the positive class's curve."""
    P, N = tps[-1], fps[-1]
    flagged = tps + fps
    W = flagged[-1]
    precision, recall, fpr = divide(tps, flagged), divide(tps, np.full(len(tps), P)), divide(fps, np.full(len(fps), N))

    def best(ok):  # the largest recall among ok, then the highest threshold (the first index)
        ok = np.flatnonzero(ok)
        return None if ok.size == 0 else ok[np.argmax(tps[ok])]

    at_precision = []
    for target in PRECISION_AT:
        j = best(precision >= target)
        at_precision.append({"target": target, "recall": None, "precision": None, "threshold": None} if j is None else
                            {"target": target, "recall": recall[j], "precision": precision[j], "threshold": thresholds[j]})
    at_fpr = []
    for target in FPR_AT:
        j = best(fpr <= target)
        at_fpr.append({"target": target, "recall": None, "fpr": None, "threshold": None} if j is None else
                      {"target": target, "recall": recall[j], "fpr": fpr[j], "threshold": thresholds[j]})
    at_top = []
    for fraction in TOP:
        j = np.searchsorted(flagged, fraction * W)
        at_top.append({"fraction": fraction, "flaggedFraction": None, "recall": None, "precision": None,
                       "threshold": None} if j == len(flagged) else
                      {"fraction": fraction, "flaggedFraction": flagged[j] / W, "recall": recall[j],
                       "precision": precision[j], "threshold": thresholds[j]})
    at = np.searchsorted(-thresholds, -np.array(SWEEP), side="right") - 1  # the last threshold >= t, -1: none
    sweep = [sweep_entry(t, tps[j] if j >= 0 else 0, fps[j] if j >= 0 else 0, P, N) for t, j in zip(SWEEP, at)]
    floats = lambda entries: [{k: None if v is None else float(v) for k, v in e.items()} for e in entries]
    return {"positiveRate": P / W, "recallAtPrecision": floats(at_precision), "recallAtFPR": floats(at_fpr),
            "recallAtTop": floats(at_top), "sweep": floats(sweep)}


def ranking(y, P, w):
    """SPEC section 8 in calib's JSON layout: class k one-vs-rest by p_k (for
    a binary task the negative class by 1 - s, the positive by s)."""
    k = P.shape[1]
    curves = [curve(y == c, P[:, c], w) for c in range(k)]
    auc, ap = zip(*(auc_ap(tps, fps) for _, tps, fps in curves))
    support = np.bincount(y, weights=w, minlength=k)
    return ranking_json(auc, ap, support, operating_points(*curves[1]) if k == 2 else None)


def distinct(frame, sums):
    """The rows grouped by distinct x in increasing order, with their weight
    "W", the `sums` (name: expression) and the weight before each group."""
    return frame.group_by("x").agg(W=pl.col("w").sum(), **sums).sort("x").with_columns(
        before=pl.col("W").cum_sum() - pl.col("W"))


def equal_mass(groups, B, names):
    """The sums `names` of each equal-mass bin as numpy arrays, with the bin
    weights as "W": each distinct score's group goes to bin
    min(B - 1, floor(before * B / W)) (integer arithmetic when unweighted)."""
    total = groups["W"].sum()
    index = (pl.col("before") * B // total) if groups["W"].dtype.is_integer() else (pl.col("before") * B / total).floor()
    bins = groups.with_columns(bin=pl.min_horizontal(index.cast(pl.Int64), B - 1)).group_by("bin").agg(
        pl.col("W").sum(), *(pl.col(name).sum() for name in names))
    return {name: bins[name].cast(pl.Float64).to_numpy() for name in ["W", *names]}


def newton(frame, eta, parameters):
    """The weighted logistic maximum-likelihood fit P(o = 1) = sigma(eta) by
    Newton's method from `parameters`, eta(params) a polars expression
    linear in them with "gradient columns" d eta / d param (here 1 and x):
    each iteration one aggregate of the gradient and Hessian. None when it
    does not converge (separable data) or one class is absent."""
    beta = np.array(parameters, dtype=float)
    for _ in range(100):
        e, columns = eta(beta)
        mu = pl.col("mu")
        r, h = pl.col("w") * (pl.col("o") - mu), pl.col("w") * mu * (1 - mu)
        k = len(columns)
        sums = frame.lazy().with_columns(mu=1 / (1 + (-e).exp())).select(
            *[(r * columns[i]).sum().alias(f"g{i}") for i in range(k)],
            *[(h * columns[i] * columns[j]).sum().alias(f"h{i}{j}") for i in range(k) for j in range(i, k)]).collect().row(0)
        g = np.array(sums[:k])
        H = np.zeros((k, k))
        at = k
        for i in range(k):
            for j in range(i, k):
                H[i, j] = H[j, i] = sums[at]
                at += 1
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if not np.all(np.isfinite(beta)):
            return None
        if np.max(np.abs(step)) <= 1e-10 * max(1.0, np.max(np.abs(beta))):  # quadratic: the error is ~ step^2
            return beta
    return None


def calibration(y, P, w):
    """SPEC section 9 under calib's key names (see the module's comment)."""
    from scipy.stats import chi2, norm
    from sklearn.isotonic import isotonic_regression
    x, o = headline(y, P)
    frame = pl.DataFrame({"x": x, "o": o, "w": np.ones(len(x), dtype=np.int64) if w is None else w})
    wx, wo = pl.col("w") * pl.col("x"), pl.col("w") * pl.col("o")
    F = {"F": (pl.col("w") * (1 - pl.col("x"))).sum()} if P.shape[1] == 2 else {}  # summed directly, not W_g - E_g
    groups = distinct(frame, {"X": wx.sum(), "O": wo.sum(), **F})
    b = equal_mass(groups, BINS, ["X", "O"])
    out = dict(zip(("equalMassECE", "debiasedL2ECE"), binned_estimates(b["W"], b["X"], b["O"])))
    out.update(smooth_ece(x, o, w is not None))
    if P.shape[1] != 2:
        return out
    s, lx = pl.col("x"), pl.col("lx")
    frame = frame.with_columns(pl.col("w").cast(pl.Float64),
                               lx=pl.col("x").clip(EPS, 1 - EPS).log() - (-pl.col("x").clip(EPS, 1 - EPS)).log1p())
    w_ = pl.col("w")
    num, den, brier, ce, W, Y = frame.select(
        (w_ * (pl.col("o") - s) * (1 - 2 * s)).sum(), (w_ * (1 - 2 * s) ** 2 * s * (1 - s)).sum().alias("d"),
        (w_ * (s - pl.col("o")) ** 2).sum().alias("b"),
        (-w_ * pl.when(pl.col("o") == 1).then(s).otherwise(1 - s).clip(EPS, None).log()).sum().alias("c"),
        w_.sum().alias("W"), (w_ * pl.col("o")).sum().alias("Y")).row(0)
    z = num / math.sqrt(den) if den else None
    out["spiegelhalterZ"], out["spiegelhalterP"] = z, (None if z is None else 2 * norm.sf(abs(z)))
    g = equal_mass(groups, HL_GROUPS, ["O", "X", "F"])
    statistic, nonempty = hosmer_lemeshow_statistic(g["W"], g["O"], g["X"], g["F"])
    out["hosmerLemeshowStatistic"], out["hosmerLemeshowGroups"] = statistic, nonempty
    out["hosmerLemeshowP"] = None if statistic is None or nonempty < 3 else chi2.sf(statistic, nonempty - 2)
    both = 0 < Y < W
    slope = newton(frame, lambda b: (b[0] + b[1] * lx, [pl.lit(1.0), lx]), [0.0, 1.0]) if both else None
    intercept = newton(frame, lambda b: (b[0] + lx, [pl.lit(1.0)]), [0.0]) if both else None
    out["calibrationSlope"] = None if slope is None else slope[1]
    out["calibrationIntercept"] = None if intercept is None else intercept[0]
    Wg, Yg = groups["W"].cast(pl.Float64).to_numpy(), groups["O"].to_numpy()
    iso = isotonic_regression(Yg / Wg, sample_weight=Wg, y_min=0, y_max=1)
    out["decomposition"] = grouped_decomposition(ce / W, Yg, Wg, iso, brier / W)
    return {key: value if isinstance(value, dict) else number(value) for key, value in out.items()}


if __name__ == "__main__":
    frame = pl.read_csv(sys.argv[1])
    scores, weight = roles(frame.columns)
    y = frame["label"].to_numpy()
    w = frame[weight].cast(pl.Float64).to_numpy() if weight else None
    P, pred = probability_matrix(frame.select(scores).to_numpy())
    n, k = P.shape
    eps = np.finfo(float).eps
    ce = -np.log(np.clip(P[np.arange(n), y], eps, 1)).mean()
    prior = np.bincount(y, minlength=k) / n
    prior_ce = -(prior[prior > 0] * np.log(prior[prior > 0])).sum()
    onehot = np.eye(k)[y]
    brier = ((P[:, 1] - y) ** 2).mean() if k == 2 else ((P - onehot) ** 2).sum(1).mean()
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(float)
    tp = np.diag(cm); support = cm.sum(1); predicted = cm.sum(0)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * tp, predicted + support, out=np.zeros(k), where=predicted + support > 0)
    c, s_ = tp.sum(), n
    mcc = (c * s_ - predicted @ support) / np.sqrt((s_ ** 2 - predicted @ predicted) * (s_ ** 2 - support @ support))
    out = {"crossEntropy": ce, "skill": 1 - ce / prior_ce, "accuracy": tp.sum() / n, "brier": brier, "mcc": mcc,
           "macroF1": f1.mean(), "balanced": recall[support > 0].mean()}
    out.update(ece_tables(y, P))
    out["losses"] = len(losses(y, P))
    result = ranking(y, P, w)
    result["metrics"] = calibration(y, P, w)
    result["summary"] = {key: float(value) for key, value in out.items()}
    print(json.dumps(result))
