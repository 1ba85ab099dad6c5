#!/usr/bin/env python3
"""Makes the golden values of SPEC section 12 (recalibration) for calib's tests.

What: for every binary and multiclass golden fixture in this folder (read from their CSV files,
never regenerated) and three fixtures written here with seed 16 -- recal_overconfident.csv (1500
rows, s = sigmoid(2.5 * true logit + 0.8): overconfident and shifted), recal_weighted.csv (the same
model, 1200 rows, weights from a lognormal) and recal_logits.csv (800 rows, a binary `logit`
column) -- it writes recalibration_expected.json with, per fixture and method:
the fitted parameters (or `refused` with the reason when the fit has no maximum), and the
reference's recalibrated probabilities of every row of the fixture.

How (reference libraries; versions written into the JSON):
- temperature: the root in beta = 1/T of dL/dbeta = sum w (E_beta[z] - z_y) by scipy.optimize.brentq
  (xtol 1e-300, rtol 8.9e-16) -- L is convex in beta, so this is scipy's minimum of the 1-D convex problem
  in ln T; z = logits, or ln p with p clipped to [eps, 1] (binary: z = (0, logit(s')), s' clipped to
  [eps, 1 - eps]).
- platt: sklearn LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-14) (no penalty) on
  logit(s') with sample_weight; beta: the same on [ln s', -ln(1 - s')] (logit input: log_expit(z),
  -log_expit(-z)); both checked against an independent numpy Newton iteration (1e-9 relative).
  Refused when the classes are (quasi-)separable in the model's features: decided independently by a
  linear programme (scipy.optimize.linprog: is there theta != 0 with sign(y)*(theta . x) >= 0 for every
  row?), or when there are fewer distinct scores than parameters.
- isotonic: sklearn IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(s, y,
  sample_weight=w): X_thresholds_, y_thresholds_, predict(s) (logit input: s = expit(z)).
- histogram: SPEC 9's equal-mass edges t_j = min{x : C(x) >= j W / B} with the comparison in exact
  rationals (fractions.Fraction), each bin's weighted positive rate, B = 5 and 15.
Classes: binary [negative, positive] (the positive class named by the score column, else the second
of a known pair); multiclass in score-column order. Rows of weight 0 take no part in a fit.

Run: pip install scikit-learn==1.9.1 numpy scipy
     python3 Tests/CalibCoreTests/Golden/make_recalibration_golden.py
"""
import csv
import importlib.metadata as md
import json
import math
import os
from fractions import Fraction

import numpy as np
from scipy.optimize import brentq, linprog
from scipy.special import expit, log_expit, logit, logsumexp
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 2.220446049250313e-16
LABELS = ["label", "y", "y_true", "target", "class", "actual"]
SCORES = ["prob", "probability", "p", "score", "y_prob", "y_score", "pred", "prediction", "logit"]
PREFIXES = ["p_", "prob_", "proba_", "logit_"]
WEIGHTS = ["weight", "sample_weight"]
PAIRS = [("0", "1"), ("false", "true"), ("no", "yes"), ("neg", "pos"), ("negative", "positive")]
rng = np.random.default_rng(16)

BINARY = ["calibrated_binary.csv", "weighted_binary.csv", "binary_01.csv", "string_labels.csv",
          "ties_rounded.csv", "ties_rounded_weighted.csv", "ties_two_values.csv", "ties_two_values_weighted.csv",
          "separable_binary.csv", "edge_ten_rows.csv", "recal_overconfident.csv", "recal_weighted.csv", "recal_logits.csv"]
MULTICLASS = ["multiclass_probs.csv", "multiclass_logits.csv", "weighted_multiclass.csv", "multiclass_rounded_weighted.csv"]


def write_fixtures():
    def model(n):
        t = rng.normal(0, 1.2, n)
        y = (rng.random(n) < expit(t)).astype(int)
        return t, y
    t, y = model(1500)
    with open(os.path.join(HERE, "recal_overconfident.csv"), "w", newline="") as f:
        f.write("label,prob\n")
        for yi, ti in zip(y, t):
            f.write(f"{yi},{repr(float(expit(2.5 * ti + 0.8)))}\n")
    t, y = model(1200)
    w = rng.lognormal(0, 0.7, 1200)
    with open(os.path.join(HERE, "recal_weighted.csv"), "w", newline="") as f:
        f.write("label,prob,weight\n")
        for yi, ti, wi in zip(y, t, w):
            f.write(f"{yi},{repr(float(expit(2.5 * ti + 0.8)))},{repr(float(wi))}\n")
    t, y = model(800)
    with open(os.path.join(HERE, "recal_logits.csv"), "w", newline="") as f:
        f.write("label,logit\n")
        for yi, ti in zip(y, t):
            f.write(f"{yi},{repr(float(0.4 * ti - 0.3))}\n")


def read(name):
    with open(os.path.join(HERE, name), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    low = [h.lower() for h in header]
    label = next(i for i, h in enumerate(low) if h in LABELS)
    weight = next((i for i, h in enumerate(low) if h in WEIGHTS), None)
    prefixed = [i for i, h in enumerate(low) if any(h.startswith(p) and len(h) > len(p) for p in PREFIXES) and i != label]
    single = [i for i, h in enumerate(low) if h in SCORES and i != label]
    cols = prefixed or single
    logits = all(low[i].startswith("logit") for i in cols)
    w = np.array([float(r[weight]) for r in body]) if weight is not None else np.ones(len(body))
    if len(cols) == 1:
        h = header[cols[0]]
        named = next((h[len(p):] for p in PREFIXES if h.lower().startswith(p) and len(h) > len(p)), None)
        labels = sorted(set(r[label] for r in body))
        if named is not None:
            classes = [next(l for l in labels if l != named), named]
        else:
            pair = next((p for p in PAIRS if set(l.lower() for l in labels) <= set(p)), None)
            classes = [next(l for l in labels if l.lower() == pair[0]) if any(l.lower() == pair[0] for l in labels) else pair[0],
                       next(l for l in labels if l.lower() == pair[1]) if any(l.lower() == pair[1] for l in labels) else pair[1]]
        y = np.array([classes.index(r[label]) for r in body])
        s = np.array([float(r[cols[0]]) for r in body])
        return dict(task="binary", classes=classes, y=y, s=s, w=w, logits=logits)
    classes = [next(header[i][len(p):] for p in PREFIXES if low[i].startswith(p)) for i in cols]
    y = np.array([classes.index(r[label]) if r[label] in classes else int(r[label]) for r in body])
    s = np.array([[float(r[i]) for i in cols] for r in body])
    return dict(task="multiclass", classes=classes, y=y, s=s, w=w, logits=logits)


def binary_logit(d):
    return d["s"] if d["logits"] else logit(np.clip(d["s"], EPS, 1 - EPS))


def temperature(d):
    y, w = d["y"], d["w"]
    if d["task"] == "binary":
        z = np.stack([np.zeros(len(y)), binary_logit(d)], axis=1)
    else:
        z = d["s"] if d["logits"] else np.log(np.clip(d["s"], EPS, 1))
    keep = w > 0
    z, y, w = z[keep], y[keep], w[keep]
    zy = z[np.arange(len(y)), y]
    if np.all(z.max(axis=1) == z.min(axis=1)):
        return dict(refused="all scores equal")
    if np.all(zy == z.max(axis=1)):
        return dict(refused="separated: every true class has the top score")

    def grad(beta):
        a = beta * z
        p = np.exp(a - logsumexp(a, axis=1, keepdims=True))
        return float(np.sum(w * ((p * z).sum(axis=1) - zy)))
    if grad(0.0) >= 0:
        return dict(refused="no better than uniform")
    hi = 1.0
    while grad(hi) < 0:
        hi *= 2
    beta = brentq(grad, 0.0, hi, xtol=1e-300, rtol=8.9e-16, maxiter=1000)
    T = 1 / beta
    a = beta * z
    if d["task"] == "binary":
        applied = expit(binary_logit(d) / T)
    else:
        zz = d["s"] if d["logits"] else np.log(np.clip(d["s"], EPS, 1))
        applied = np.exp(zz / T - logsumexp(zz / T, axis=1, keepdims=True))
    return dict(parameters=dict(T=T), applied=np.ravel(applied).tolist())  # row-major


def separable(X, y, w):
    """Quasi-complete separation: theta != 0 (with intercept) and sign(y) * (theta . x) >= 0 everywhere."""
    keep = w > 0
    X, y = X[keep], y[keep]
    A = np.hstack([X, np.ones((len(y), 1))])
    sgn = np.where(y == 1, 1.0, -1.0)
    # maximise sum sign*(theta.x) subject to sign*(theta.x) >= 0 and a box: positive optimum = separable.
    M = sgn[:, None] * A
    res = linprog(-M.sum(axis=0), A_ub=-M, b_ub=np.zeros(len(y)), bounds=[(-1, 1)] * A.shape[1], method="highs")
    return res.status == 0 and -res.fun > 1e-9 * len(y)


def newton(X, y, w, theta):
    A = np.hstack([X, np.ones((len(y), 1))])
    for _ in range(200):
        p = expit(A @ theta)
        g = A.T @ (w * (p - y))
        H = (A * (w * p * (1 - p))[:, None]).T @ A
        step = np.linalg.solve(H, -g)
        theta = theta + step
        if np.all(np.abs(step) <= 1e-13 * np.maximum(1, np.abs(theta))):
            break
    return theta


def logistic(d, features, start, nparams, name):
    X, y, w = features, d["y"], d["w"]
    keep = w > 0
    distinct = len(np.unique(binary_logit(d)[keep]))
    if distinct < nparams:
        return dict(refused=f"fewer than {nparams} distinct scores")
    if separable(X, y, w):
        return dict(refused="separable")
    lr = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    lr.fit(X[keep], y[keep], sample_weight=w[keep])
    theta = np.concatenate([lr.coef_[0], lr.intercept_])
    own = newton(X[keep], y[keep], w[keep], np.array(start, dtype=float))
    assert np.allclose(theta, own, rtol=1e-9, atol=1e-12), (name, theta, own)
    applied = lr.predict_proba(X)[:, 1]
    return dict(parameters=theta.tolist(), applied=applied.tolist())


def platt(d):
    r = logistic(d, binary_logit(d)[:, None], [0, 0], 2, "platt")
    if "parameters" in r:
        r["parameters"] = dict(a=r["parameters"][0], b=r["parameters"][1])
    return r


def beta(d):
    if d["logits"]:
        f = np.stack([log_expit(d["s"]), -log_expit(-d["s"])], axis=1)
    else:
        s = np.clip(d["s"], EPS, 1 - EPS)
        f = np.stack([np.log(s), -np.log1p(-s)], axis=1)
    r = logistic(d, f, [0, 0, 0], 3, "beta")
    if "parameters" in r:
        r["parameters"] = dict(a=r["parameters"][0], b=r["parameters"][1], c=r["parameters"][2])
    return r


def probability(d):
    return expit(d["s"]) if d["logits"] else d["s"]


def isotonic(d):
    x, y, w = probability(d), d["y"], d["w"]
    ir = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(x, y, sample_weight=w)
    return dict(parameters=dict(thresholds=ir.X_thresholds_.tolist(), values=ir.y_thresholds_.tolist()),
                applied=ir.predict(x).tolist())


def histogram(d, B):
    x, y, w = probability(d), d["y"], d["w"]
    keep = w > 0
    x, y, w = x[keep], y[keep], w[keep]
    W = sum(Fraction(v) for v in w)
    order = np.argsort(x, kind="stable")
    xs = sorted(set(x.tolist()))
    cum, C = Fraction(0), {}
    for v in xs:
        cum += sum(Fraction(wi) for wi in w[x == v])
        C[v] = cum
    edges = [min(v for v in xs if C[v] * B >= j * W) for j in range(1, B)]
    def bin_of(v):
        return sum(1 for t in edges if t < v)
    bins = np.array([bin_of(v) for v in x])
    used = sorted(set(bins.tolist()))
    values = {b: float(np.sum(w[(bins == b) & (y == 1)]) / np.sum(w[bins == b])) for b in used}
    upper = [float(np.max(x[bins == b])) for b in used[:-1]]
    allx = probability(d)
    applied = []
    for v in allx:
        k = sum(1 for u in upper if u < v)
        applied.append(values[used[k]])
    return dict(parameters=dict(edges=upper, values=[values[b] for b in used]), applied=applied)


def main():
    write_fixtures()
    out = dict(generator="make_recalibration_golden.py",
               versions={p: md.version(p) for p in ["scikit-learn", "numpy", "scipy"]},
               fixtures={})
    for name in BINARY + MULTICLASS:
        d = read(name)
        entry = dict(file=name, task=d["task"], classes=d["classes"], logits=d["logits"],
                     weighted=bool(np.any(d["w"] != 1)), methods={})
        entry["methods"]["temperature"] = temperature(d)
        if d["task"] == "binary":
            entry["methods"]["platt"] = platt(d)
            entry["methods"]["beta"] = beta(d)
            entry["methods"]["isotonic"] = isotonic(d)
            entry["methods"]["histogram5"] = histogram(d, 5)
            entry["methods"]["histogram15"] = histogram(d, 15)
        out["fixtures"][name] = entry
    with open(os.path.join(HERE, "recalibration_expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for name, e in out["fixtures"].items():
        print(name, {m: (v.get("refused") or v["parameters"] if m in ("temperature", "platt", "beta") else "ok") for m, v in e["methods"].items()})


if __name__ == "__main__":
    main()
