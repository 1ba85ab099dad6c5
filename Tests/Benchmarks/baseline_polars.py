#!/usr/bin/env python3
"""The polars + numpy pipeline for the same audit: read with polars, compute
every metric of SPEC sections 3 and 4 with numpy (confusion matrix and bins
by bincount). Prints a few numbers so that the work cannot be skipped.

Run: python3 Tests/Benchmarks/baseline_polars.py FILE
"""
import sys

import numpy as np
import polars as pl

from common import ece_tables, losses, probability_matrix

frame = pl.read_csv(sys.argv[1])
y = frame["label"].to_numpy()
P, pred = probability_matrix(frame.select([c for c in frame.columns if c != "label"]).to_numpy())
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
print(out)
