#!/usr/bin/env python3
"""The pandas + scikit-learn pipeline a data scientist would write for the same
audit: read the CSV with pandas, compute SPEC section 3 with scikit-learn
where it has the metric and numpy where it does not, and the section 4 losses
with numpy. Prints a few numbers so that the work cannot be skipped.

Run: python3 Tests/Benchmarks/baseline_sklearn.py FILE
"""
import sys

import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, brier_score_loss, confusion_matrix,
                             d2_log_loss_score, log_loss, matthews_corrcoef, precision_recall_fscore_support)

from common import ece_tables, losses, probability_matrix

frame = pd.read_csv(sys.argv[1])
y = frame["label"].to_numpy()
P, pred = probability_matrix(frame[[c for c in frame.columns if c != "label"]].to_numpy())
k = P.shape[1]
labels = list(range(k))
out = {
    "crossEntropy": log_loss(y, P, labels=labels),
    "skill": d2_log_loss_score(y, P, labels=labels),
    "accuracy": accuracy_score(y, pred),
    "balanced": balanced_accuracy_score(y, pred),
    "brier": brier_score_loss(y, P[:, 1]) if k == 2 else brier_score_loss(y, P, labels=labels),
    "mcc": matthews_corrcoef(y, pred),
}
for average in ["macro", "weighted", "micro"]:
    out[average] = precision_recall_fscore_support(y, pred, average=average, zero_division=0)[2]
per_class = precision_recall_fscore_support(y, pred, labels=labels, average=None, zero_division=0)
matrix = confusion_matrix(y, pred, labels=labels)
if k == 2:
    calibration_curve(y, P[:, 1], n_bins=15)
out.update(ece_tables(y, P))
out["losses"] = len(losses(y, P))
print(out)
