#!/usr/bin/env python3
"""The polars + numpy pipeline for the same audit: read with polars, compute
every metric of SPEC sections 3 and 4 with numpy (confusion matrix and bins
by bincount), and the section 8 ranking as a numpy transcription: sort the
scores once per ranked class, cumulative (weighted) sums of positives and
negatives, kept at the last row of each distinct score; the AUC by the
trapezoid rule, the average precision as sum of recall steps times
precision, the operating points by searchsorted.

Prints one JSON object: `ranking` and `perClass[].rocAUC/averagePrecision`
in calib's layout (weighted by the `weight`/`sample_weight` column when there
is one), and under `summary` a few unweighted section 3/4 numbers so that the
work cannot be skipped.

Run: python3 Tests/Benchmarks/baseline_polars.py FILE
"""
import json
import sys

import numpy as np
import polars as pl

from common import FPR_AT, PRECISION_AT, SWEEP, TOP, ece_tables, losses, probability_matrix, ranking_json, roles, sweep_entry


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
    result["summary"] = {key: float(value) for key, value in out.items()}
    print(json.dumps(result))
