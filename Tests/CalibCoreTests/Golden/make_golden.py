#!/usr/bin/env python3
"""Makes the golden fixtures and their expected values for calib's tests.

Every fixture is a small input file written here with a fixed seed; the
expected values come from scikit-learn (log_loss, brier_score_loss,
accuracy, balanced accuracy, precision/recall/F1, MCC, d2_log_loss_score,
confusion_matrix, calibration_curve) and, for what scikit-learn lacks
(ECE, MCE, over/under-confidence, class-wise ECE, reliability tables and
the SPEC section 4 losses), from a direct numpy transcription of SPEC.md.
The Swift tests read expected.json; they never run Python.

Run: pip install scikit-learn==1.9.1 numpy scipy
     python3 Tests/CalibCoreTests/Golden/make_golden.py
"""
import json
import os

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, brier_score_loss,
                             confusion_matrix, d2_log_loss_score, log_loss, matthews_corrcoef,
                             precision_recall_fscore_support)

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = np.finfo(np.float64).eps
BINS = 15
rng = np.random.default_rng(7)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------- fixtures

def write_csv(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(v if isinstance(v, str) else repr(float(v)) for v in row) + "\n")


def binary_scores(n, intercept, temperature):
    risk = rng.normal(size=n)
    y = (rng.random(n) < sigmoid(intercept + 2 * risk)).astype(int)
    s = sigmoid(intercept + temperature * 2 * (risk + 0.3 * rng.normal(size=n)))
    return y, s


def multiclass_logits(n, prior, sharpen):
    k = len(prior)
    y = rng.choice(k, size=n, p=prior)
    z = rng.normal(size=(n, k)) + np.log(prior)
    z[np.arange(n), y] += 2.0
    return y, z * sharpen


def make_fixtures():
    fixtures = []

    y, s = binary_scores(1000, -1.5, 1.4)
    s[:3] = [0.0, 1.0, 1.0]      # exact 0 and 1: clipping, and a true-class probability of 0
    y[:3] = [1, 1, 0]
    write_csv("binary_01.csv", ["id", "label", "prob"], [(f"r{i}", str(y[i]), s[i]) for i in range(len(y))])
    fixtures.append(dict(name="binary_01", file="binary_01.csv", classes=["0", "1"], y=y, scores=s,
                         kind="probabilities", weights=None, options={}))

    y, s = binary_scores(700, -1.0, 0.7)
    names = ["ham", "spam"]
    write_csv("string_labels.csv", ["label", "p_spam"], [(names[y[i]], s[i]) for i in range(len(y))])
    fixtures.append(dict(name="string_labels", file="string_labels.csv", classes=names, y=y, scores=s,
                         kind="probabilities", weights=None, options={}))

    y, s = binary_scores(500, -2.0, 1.2)
    w = rng.gamma(2.0, 1.5, size=len(y))
    names = ["no", "yes"]
    write_csv("weighted_binary.csv", ["y_true", "score", "sample_weight"],
              [(names[y[i]], s[i], w[i]) for i in range(len(y))])
    fixtures.append(dict(name="weighted_binary", file="weighted_binary.csv", classes=names, y=y, scores=s,
                         kind="probabilities", weights=w, options={}))

    y, z = multiclass_logits(800, [0.5, 0.3, 0.2], 1.3)
    p = softmax(z, axis=1)
    names = ["cat", "dog", "bird"]
    write_csv("multiclass_probs.csv", ["label"] + [f"p_{c}" for c in names],
              [(names[y[i]], *p[i]) for i in range(len(y))])
    p = np.loadtxt(os.path.join(HERE, "multiclass_probs.csv"), delimiter=",", skiprows=1, usecols=(1, 2, 3))
    fixtures.append(dict(name="multiclass_probs", file="multiclass_probs.csv", classes=names, y=y, scores=p,
                         kind="probabilities", weights=None, options={}))

    y, z = multiclass_logits(800, [0.3, 0.25, 0.2, 0.15, 0.1], 1.6)
    names = [str(k) for k in range(5)]
    write_csv("multiclass_logits.csv", ["target"] + [f"logit_{c}" for c in names],
              [(names[y[i]], *z[i]) for i in range(len(y))])
    fixtures.append(dict(name="multiclass_logits", file="multiclass_logits.csv", classes=names, y=y, scores=z,
                         kind="logits", weights=None, options={}))

    y, z = multiclass_logits(600, [0.7, 0.25, 0.05], 1.1)
    p = softmax(z, axis=1)
    w = rng.uniform(0.2, 3.0, size=len(y))
    names = ["a", "b", "c"]
    write_csv("weighted_multiclass.csv", ["class", "proba_a", "proba_b", "proba_c", "weight"],
              [(names[y[i]], *p[i], w[i]) for i in range(len(y))])
    p = np.loadtxt(os.path.join(HERE, "weighted_multiclass.csv"), delimiter=",", skiprows=1, usecols=(1, 2, 3))
    fixtures.append(dict(name="weighted_multiclass", file="weighted_multiclass.csv", classes=names, y=y, scores=p,
                         kind="probabilities", weights=w, options={}))
    return fixtures


# ------------------------------------------------------- reference values

def probabilities(fx):
    """(P, logP) as SPEC section 2 defines them for each path."""
    s = np.asarray(fx["scores"], dtype=float)
    if s.ndim == 1:
        if fx["kind"] == "logits":
            logp = np.stack([-np.logaddexp(0, s), -np.logaddexp(0, -s)], axis=1)
            return np.exp(logp), logp
        p = np.stack([1 - s, s], axis=1)
    else:
        if fx["kind"] == "logits":
            logp = log_softmax(s, axis=1)
            return np.exp(logp), logp
        p = s
    return p, np.log(np.clip(p, EPS, None))


def bin_table(value, outcome, w, total):
    idx = np.minimum(BINS - 1, np.floor(value * BINS).astype(int))
    rows = []
    for b in range(BINS):
        m = idx == b
        wb = w[m].sum()
        if m.any() and wb > 0:
            rows.append(dict(count=int(m.sum()), weight=float(wb),
                             meanPredicted=float(np.sum(w[m] * value[m]) / wb),
                             observedRate=float(np.sum(w[m] * outcome[m]) / wb)))
        else:
            rows.append(dict(count=int(m.sum()), weight=float(wb), meanPredicted=None, observedRate=None))
    return rows


def ece_of(table, total):
    return sum(r["weight"] / total * abs(r["meanPredicted"] - r["observedRate"]) for r in table if r["meanPredicted"] is not None)


def losses(P, logP, y, w, kind, k):
    clipped = kind == "probabilities"
    q = np.clip(P[np.arange(len(y)), y], EPS, None) if clipped else P[np.arange(len(y)), y]
    lnq = logP[np.arange(len(y)), y]
    Wk = np.array([w[y == c].sum() for c in range(k)])
    W = Wk.sum()
    out = []

    def finish(name, params, per_row_loss, per_row_grad, normaliser):
        L = np.array([np.sum(w[y == c] * per_row_loss[y == c]) for c in range(k)])
        G = np.array([np.sum(w[y == c] * per_row_grad[y == c]) for c in range(k)])
        out.append(dict(name=name, parameters=params, value=float(L.sum() / normaliser),
                        perClass=[dict(meanLoss=float(L[c] / Wk[c]) if Wk[c] > 0 else None,
                                       lossShare=float(L[c] / L.sum()), gradientShare=float(G[c] / G.sum()))
                                  for c in range(k)]))

    def family(gamma, factor):
        f = factor[y] * (1 - q) ** gamma
        return f * -lnq, f * ((1 - q) - gamma * q * lnq)

    ones = np.ones(k)
    finish("cross-entropy", {}, *family(0, ones), W)
    a = W / (k * Wk)
    finish("weighted-cross-entropy", {"scheme": "inverse-frequency", "classWeights": list(map(float, a))},
           *family(0, a), np.sum(w * a[y]))
    beta = 0.9999
    e = (1 - beta) / (1 - beta ** Wk)
    e = e * k / e.sum()
    finish("weighted-cross-entropy", {"scheme": "effective-number", "beta": beta, "classWeights": list(map(float, e))},
           *family(0, e), np.sum(w * e[y]))
    for gamma in [0.5, 1, 2, 5]:
        alpha = 0.25 if k == 2 else 1.0
        factor = np.array([1 - alpha, alpha]) if k == 2 else np.full(k, alpha)
        finish("focal", {"gamma": gamma, "alpha": alpha}, *family(gamma, factor), W)
    eps = 0.1
    target = (1 - eps) * np.eye(k)[y] + eps / k
    finish("label-smoothing", {"epsilon": eps}, -(target * logP).sum(1), 0.5 * np.abs(P - target).sum(1), W)
    return dict(imbalanceRatio=float(Wk.max() / Wk.min()), priors=list(map(float, Wk / W)), losses=out)


def expected(fx):
    y = np.asarray(fx["y"])
    k = len(fx["classes"])
    n = len(y)
    w = np.ones(n) if fx["weights"] is None else np.asarray(fx["weights"])
    sw = None if fx["weights"] is None else w
    P, logP = probabilities(fx)
    W = w.sum()
    binary = k == 2
    s = P[:, 1] if binary else None
    pred = (s >= 0.5).astype(int) if binary else np.argmax(P, axis=1)
    top = np.argmax(P, axis=1)
    conf = P[np.arange(n), top]
    correct = (top == y).astype(float)
    onehot = np.eye(k)[y]

    m = {}
    # scikit-learn
    m["crossEntropy"] = log_loss(y, P, sample_weight=sw, labels=list(range(k)))
    if fx["kind"] == "logits":
        # log_loss clips the softmax; on the logit path SPEC takes log-softmax unclipped.
        m["crossEntropy"] = float(np.sum(w * -logP[np.arange(n), y]) / W)
    m["crossEntropyBits"] = m["crossEntropy"] / np.log(2)
    m["perplexity"] = float(np.exp(m["crossEntropy"]))
    prior = np.array([w[y == c].sum() for c in range(k)]) / W
    m["priorCrossEntropy"] = float(-np.sum(prior[prior > 0] * np.log(prior[prior > 0])))
    m["logLossSkill"] = d2_log_loss_score(y, P, sample_weight=sw, labels=list(range(k)))
    m["accuracy"] = accuracy_score(y, pred, sample_weight=sw)
    m["balancedAccuracy"] = balanced_accuracy_score(y, pred, sample_weight=sw)
    m["brier"] = brier_score_loss(y, s, sample_weight=sw) if binary else brier_score_loss(y, P, sample_weight=sw, labels=list(range(k)))
    m["mcc"] = matthews_corrcoef(y, pred, sample_weight=sw)
    for avg in ["macro", "weighted", "micro"]:
        pr, rc, f1, _ = precision_recall_fscore_support(y, pred, average=avg, sample_weight=sw, zero_division=0)
        m[f"{avg}.precision"], m[f"{avg}.recall"], m[f"{avg}.f1"] = pr, rc, f1
    # numpy, following SPEC
    m["meanConfidence"] = float(np.sum(w * conf) / W)
    top_table = bin_table(conf, correct, w, W)
    m["topLabelECE"] = ece_of(top_table, W)
    class_tables = [bin_table(P[:, c], onehot[:, c], w, W) for c in range(k)]
    class_ece = [ece_of(t, W) for t in class_tables]
    m["classwiseECE"] = float(np.mean(class_ece))
    pos_table = bin_table(s, y.astype(float), w, W) if binary else None
    if binary:
        m["positiveClassECE"] = ece_of(pos_table, W)
    head = pos_table if binary else top_table
    m["ece"] = ece_of(head, W)
    m["mce"] = max(abs(r["meanPredicted"] - r["observedRate"]) for r in head if r["meanPredicted"] is not None)
    gaps = [(r["weight"] / W, r["meanPredicted"], r["meanPredicted"] - r["observedRate"]) for r in top_table if r["meanPredicted"] is not None]
    m["overconfidence"] = sum(f * max(g, 0) for f, _, g in gaps)
    m["underconfidence"] = sum(f * max(-g, 0) for f, _, g in gaps)
    m["overconfidenceError"] = sum(f * c * max(g, 0) for f, c, g in gaps)
    if binary:
        m["calibrationInTheLarge"] = float(np.sum(w * s) / W - np.sum(w * y) / W)
    confident = conf >= 0.9
    m["confidentErrorRate"] = float(np.sum(w[confident] * (1 - correct[confident])) / np.sum(w[confident])) if confident.any() else 0.0

    prf = precision_recall_fscore_support(y, pred, labels=list(range(k)), average=None, sample_weight=sw, zero_division=0)
    ce_rows = -logP[np.arange(n), y]
    per_class = [dict(support=float(w[y == c].sum()), prior=float(prior[c]), precision=float(prf[0][c]),
                      recall=float(prf[1][c]), f1=float(prf[2][c]), ece=float(class_ece[c]),
                      crossEntropy=float(np.sum(w[y == c] * ce_rows[y == c]) / w[y == c].sum()))
                 for c in range(k)]
    curve = None
    if binary and fx["weights"] is None:
        prob_true, prob_pred = calibration_curve(y, s, n_bins=BINS, strategy="uniform")
        curve = dict(probTrue=list(map(float, prob_true)), probPred=list(map(float, prob_pred)))
    clipped = int(np.sum(P[np.arange(n), y] < EPS)) if fx["kind"] == "probabilities" else 0
    return dict(
        file=fx["file"], classes=fx["classes"], rows=n, clippedProbabilities=clipped,
        metrics={key: float(v) for key, v in m.items()}, perClass=per_class,
        confusion=confusion_matrix(y, pred, labels=list(range(k)), sample_weight=sw).astype(float).tolist(),
        reliability=top_table, positiveReliability=pos_table, calibrationCurve=curve,
        imbalance=losses(P, logP, y, w, fx["kind"], k),
    )


if __name__ == "__main__":
    result = {fx["name"]: expected(fx) for fx in make_fixtures()}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
