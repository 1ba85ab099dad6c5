#!/usr/bin/env python3
"""Golden values for the multi-label summary (SPEC section 13, `--multilabel`).

Writes three fixtures (fixed seed) and multilabel_expected.json with, per
fixture, the summary computed by scikit-learn 1.9.1 and numpy:
- hammingLoss: sklearn.metrics.hamming_loss(Y, Yhat, sample_weight=w)
- subsetAccuracy: accuracy_score(Y, Yhat, sample_weight=w) (exact match of every label)
- micro./macro. precision, recall, f1: precision_recall_fscore_support(
  Y, Yhat, average="micro"/"macro", sample_weight=w, zero_division=0)
- micro./macro. rocAUC and averagePrecision: roc_auc_score / average_precision_score(
  Y, S, average="micro"/"macro", sample_weight=w)
- meanBinaryCrossEntropy: PyTorch's BCELoss (probabilities: −[y ln p + (1−y) ln(1−p)],
  logarithms clamped at −100) / BCEWithLogitsLoss (logits: max(z, 0) − z·y + ln(1 + e^−|z|))
  in numpy, mean over rows and labels with the sample weights as frequency weights
  (Σ_i w_i Σ_l ℓ_il / (L Σ_i w_i); PyTorch's own `weight=` divides by N·L instead)
- microECE: the positive-class ECE (15 equal-width bins, bin min(14, floor(15 s)))
  of all (row, label) scores pooled; macroECE: the mean of the labels' ECEs.
Yhat = 1[σ ≥ 0.5] (σ the probability, or the sigmoid of the logit).

Run: python3 Tests/CalibCoreTests/Golden/make_multilabel_golden.py
"""
import json
import os

import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, hamming_loss,
                             precision_recall_fscore_support, roc_auc_score)

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261213)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ece(y, s, w, bins=15):
    index = np.minimum(bins - 1, np.floor(s * bins).astype(int))
    total = 0.0
    for b in range(bins):
        m = index == b
        wb = w[m].sum()
        if wb > 0:
            total += wb / w.sum() * abs((w[m] * s[m]).sum() / wb - (w[m] * y[m]).sum() / wb)
    return total


def summary(Y, scores, w, logits):
    S = sigmoid(scores) if logits else scores
    Yhat = (S >= 0.5).astype(int)
    n, k = Y.shape
    if logits:
        z = scores
        loss = np.maximum(z, 0) - z * Y + np.log1p(np.exp(-np.abs(z)))
    else:
        loss = -(Y * np.maximum(np.log(S), -100) + (1 - Y) * np.maximum(np.log(1 - S), -100))
    out = {
        "meanBinaryCrossEntropy": float((w[:, None] * loss).sum() / (k * w.sum())),
        "hammingLoss": float(hamming_loss(Y, Yhat, sample_weight=w)),
        "subsetAccuracy": float(accuracy_score(Y, Yhat, sample_weight=w)),
    }
    for average in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(Y, Yhat, average=average, sample_weight=w, zero_division=0)
        out[f"{average}.precision"] = float(p)
        out[f"{average}.recall"] = float(r)
        out[f"{average}.f1"] = float(f)
        out[f"{average}.rocAUC"] = float(roc_auc_score(Y, S, average=average, sample_weight=w))
        out[f"{average}.averagePrecision"] = float(average_precision_score(Y, S, average=average, sample_weight=w))
    out["microECE"] = float(ece(Y.ravel(), S.ravel(), np.repeat(w, k)))
    out["macroECE"] = float(np.mean([ece(Y[:, j], S[:, j], w) for j in range(k)]))
    return out


def fixture(name, n, labels, weighted, logits):
    risk = rng.normal(size=(n, 1))
    Y = np.zeros((n, len(labels)), dtype=int)
    raw = np.zeros((n, len(labels)))
    for j in range(len(labels)):
        truth = -1.0 + 0.5 * j * (-1) ** j + 1.5 * risk[:, 0] + rng.normal(size=n)
        Y[:, j] = rng.random(n) < sigmoid(truth)
        z = 1.3 * truth + 0.8 * rng.normal(size=n)
        # Rounded scores make ties, as real scores have.
        raw[:, j] = np.round(z, 2) if logits else np.clip(np.round(sigmoid(z), 2), 0.01, 0.99)
    w = rng.choice([0.5, 1.0, 2.0, 3.0], size=n) if weighted else np.ones(n)
    header = [f"y_{l}" for l in labels] + [("logit_" if logits else "p_") + l for l in labels] + (["weight"] if weighted else [])
    with open(os.path.join(HERE, name), "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for i in range(n):
            cells = [str(v) for v in Y[i]] + [repr(float(v)) for v in raw[i]] + ([repr(float(w[i]))] if weighted else [])
            f.write(",".join(cells) + "\n")
    return {"file": name, "labels": labels, "multilabel": summary(Y, raw, w, logits)}


if __name__ == "__main__":
    fixtures = {
        "probabilities": fixture("multilabel_probs.csv", 400, ["spam", "phishing", "adult", "promo"], weighted=False, logits=False),
        "weighted": fixture("multilabel_weighted.csv", 400, ["spam", "phishing", "adult"], weighted=True, logits=False),
        "logits": fixture("multilabel_logits.csv", 300, ["a", "b", "c"], weighted=True, logits=True),
    }
    with open(os.path.join(HERE, "multilabel_expected.json"), "w") as f:
        json.dump({"generator": "make_multilabel_golden.py", "sklearn": "1.9.1", "fixtures": fixtures}, f, indent=1, sort_keys=True)
        f.write("\n")
