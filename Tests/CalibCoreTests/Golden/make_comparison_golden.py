#!/usr/bin/env python3
"""Makes the golden values of SPEC section 11's tests (DeLong's AUC test, McNemar's exact test).

What: comparison_delong.csv (label, baseline, candidate: 400 seeded rows, scores rounded to two
decimals so that ties occur within and across classes) and comparison_expected.json with
- delong: both AUCs (scikit-learn roc_auc_score) and DeLong's z and two-sided p, computed here
  from the O(m*n) pairwise kernel psi(x, y) = 1[x > y] + 0.5*1[x = y] of DeLong, DeLong &
  Clarke-Pearson (1988): V10_i = mean_j psi(X_i, Y_j), V01_j = mean_i psi(X_i, Y_j),
  S10/S01 their sample covariance matrices (ddof 1), Var = L S10 L'/m + L S01 L'/n with
  L = (-1, 1), z = (AUC_c - AUC_b)/sqrt(Var), p = 2*norm.sf(|z|);
- mcnemar: for a table of (b, c) pairs, scipy.stats.binomtest(b, b + c, 0.5).pvalue (two-sided;
  1 when b + c = 0).

Run: python3 make_comparison_golden.py   (numpy, scipy, scikit-learn)
"""
import csv
import json
import os

import numpy as np
from scipy.stats import binomtest, norm
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))


def delong(y, a, b):
    pos, neg = y == 1, y == 0
    m, n = pos.sum(), neg.sum()
    v10, v01 = [], []
    for s in (a, b):
        x, z = s[pos][:, None], s[neg][None, :]
        psi = (x > z) + 0.5 * (x == z)
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    s10, s01 = np.cov(np.array(v10)), np.cov(np.array(v01))
    L = np.array([-1.0, 1.0])
    var = L @ s10 @ L / m + L @ s01 @ L / n
    auc_a, auc_b = v10[0].mean(), v10[1].mean()
    zval = (auc_b - auc_a) / np.sqrt(var)
    return {"baselineAUC": auc_a, "candidateAUC": auc_b, "z": zval, "p": 2 * norm.sf(abs(zval)),
            "sklearnBaselineAUC": roc_auc_score(y, a), "sklearnCandidateAUC": roc_auc_score(y, b)}


def main():
    rng = np.random.default_rng(20261130)
    n = 400
    y = (rng.random(n) < 0.3).astype(int)
    signal = y * 1.0 + rng.normal(0, 1, n)
    a = np.round(1 / (1 + np.exp(-(0.9 * signal - 1))), 2)
    b = np.round(1 / (1 + np.exp(-(1.3 * signal + 0.4 * rng.normal(0, 1, n) - 1))), 2)
    with open(os.path.join(HERE, "comparison_delong.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["label", "baseline", "candidate"])
        for row in zip(y, a, b):
            w.writerow([int(row[0]), f"{row[1]:.2f}", f"{row[2]:.2f}"])
    pairs = [(0, 0), (0, 1), (1, 0), (3, 3), (2, 9), (9, 2), (10, 25), (50, 70), (400, 460), (1234, 1300), (0, 40)]
    mcnemar = []
    for b_, c_ in pairs:
        p = 1.0 if b_ + c_ == 0 else binomtest(b_, b_ + c_, 0.5).pvalue
        mcnemar.append({"b": b_, "c": c_, "p": float(p)})
    out = {"delong": {k: float(v) for k, v in delong(y, a, b).items()}, "mcnemar": mcnemar}
    with open(os.path.join(HERE, "comparison_expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
