#!/usr/bin/env python3
"""Makes the golden intervals of SPEC section 10 (the Poisson bootstrap) for calib's tests.

What: for four golden fixtures of this folder (read from their CSV files, never regenerated) it
writes bootstrap_expected.json: with R = 200 replicates, confidence 0.95 and seed 7, the basic
bootstrap interval of crossEntropy, brier, accuracy, ece, topLabelECE, meanConfidence,
precision[c], recall[c], ece[c] and ranking.rocAUC, ranking.averagePrecision, plus each
replicate's count total (a check of the draws themselves).

How: an independent numpy transcription of SPEC 10.
- The counts m_ir: calib's documented generator (PoissonCounts: SplitMix64's mix of the seed and
  the row's 1-based line, four 16-bit uniforms per mix, Poisson(1)'s CDF inverted at 16 bits
  with 8 rounded thresholds),
  transcribed with numpy's wrapping uint64 arithmetic. A row of line L is the data row of index
  L - 2 (one header line; these fixtures have no blank or quoted lines).
- Each replicate statistic is computed from scratch on the reweighted rows (weight m_ir * w_i) by
  numpy formulas of SPEC 3 (15 equal-width bins, bin = min(B - 1, floor(x * B)); probabilities
  clipped to eps = 2.220446049250313e-16 before the log; binary decision s >= 0.5, multiclass
  argmax) and by scikit-learn for the ranking: roc_auc_score / average_precision_score with
  sample_weight (multiclass: one-vs-rest, macro mean over the classes).
- The interval: [2θ - q(0.975), 2θ - q(0.025)] with numpy.quantile's default (linear) method,
  clipped to [0, inf) for losses and errors and [0, 1] for rates.
calib computes the section 3 replicates with its own sums, so they must agree to ~1e-12; its
ranking replicates come from a fine score grid (cells of 2^-5 of a binade of s below 1/2 and of 1 - s above) centred on the exact
estimate, so they agree only to a fraction of the interval's width (the test's tolerance).

A second reference, with other draws: numpy's own Poisson bootstrap (numpy.random.default_rng(SEED)
.poisson(1, (4000, n))) of crossEntropy, brier, accuracy, ece and ranking.rocAUC on two fixtures
("numpyRNG"). With 4000 replicates its ends are ~4.5x more precise than calib's 200; calib's ends
have a Monte Carlo standard error of about 5% of the interval's width at R = 200 (the 2.5% quantile
of 200 normal draws: sqrt(0.025 * 0.975 / 200) / phi(1.96) = 0.19 sd, the width 3.92 sd), so the
test allows 25% of the width (about five standard errors).

Run: python3 make_bootstrap_golden.py   (numpy, scikit-learn)
"""
import csv
import json
import math
import os

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
R, CONFIDENCE, SEED, BINS = 200, 0.95, 7, 15
EPS = 2.220446049250313e-16
M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix(z):
    """SplitMix64's output function on a numpy uint64 array (wrapping)."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def thresholds():
    t, term, cdf, e1 = [], 1.0, 0.0, 0.36787944117144233
    for k in range(8):
        if k > 0:
            term /= k
        cdf += term
        t.append(int(round(cdf * e1 * 65536.0)))
    return np.array(t, dtype=np.uint64)


def counts(lines, seed=SEED, replicates=R):
    """m[r, i] for rows at the given 1-based lines."""
    lines = np.asarray(lines, dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = mix(np.uint64(seed) ^ mix(lines + np.uint64(GAMMA)))
        t = thresholds()
        m = np.zeros((replicates, len(lines)), dtype=np.int64)
        for r in range(replicates):
            x = mix(key + np.uint64(r // 4 + 1) * np.uint64(GAMMA))
            u = (x >> np.uint64(16 * (r % 4))) & np.uint64(0xFFFF)
            m[r] = (u[:, None] >= t[None, :]).sum(axis=1)
    return m


def fixture(name, file, label, scores, classes, weight=None):
    return dict(name=name, file=file, label=label, scores=scores, classes=classes, weight=weight)


FIXTURES = [
    fixture("calibrated_binary", "calibrated_binary.csv", "label", ["prob"], ["0", "1"]),
    fixture("weighted_binary", "weighted_binary.csv", "y_true", ["score"], ["no", "yes"], "sample_weight"),
    fixture("multiclass_probs", "multiclass_probs.csv", "label", ["p_cat", "p_dog", "p_bird"], ["cat", "dog", "bird"]),
    fixture("weighted_multiclass", "weighted_multiclass.csv", "class", ["proba_a", "proba_b", "proba_c"], ["a", "b", "c"], "weight"),
]


def load(fx):
    with open(os.path.join(HERE, fx["file"]), newline="") as f:
        rows = list(csv.DictReader(f))
    y = np.array([fx["classes"].index(r[fx["label"]]) for r in rows], dtype=int)
    z = np.array([[float(r[c]) for c in fx["scores"]] for r in rows], dtype=float)
    w = np.ones(len(rows)) if fx["weight"] is None else np.array([float(r[fx["weight"]]) for r in rows])
    if z.shape[1] == 1:
        z = np.column_stack([1 - z[:, 0], z[:, 0]])
    return y, z, w


def ece(x, outcome, w):
    b = np.minimum(BINS - 1, np.floor(x * BINS).astype(int))
    b[x * BINS <= 0] = 0
    W = w.sum()
    total = 0.0
    for j in range(BINS):
        sel = b == j
        wj = w[sel].sum()
        if wj > 0:
            total += abs((w[sel] * x[sel]).sum() - (w[sel] * outcome[sel]).sum()) / W
    return total


def statistics(y, p, w, classes):
    """Every golden statistic of one (re)weighted sample, by its gate name."""
    k = p.shape[1]
    keep = w > 0
    y, p, w = y[keep], p[keep], w[keep]
    W = w.sum()
    out = {}
    out["crossEntropy"] = float((w * -np.log(np.maximum(p[np.arange(len(y)), y], EPS))).sum() / W)
    onehot = np.eye(k)[y]
    if k == 2:
        out["brier"] = float((w * (p[:, 1] - y) ** 2).sum() / W)
        pred = (p[:, 1] >= 0.5).astype(int)
    else:
        out["brier"] = float((w * ((p - onehot) ** 2).sum(axis=1)).sum() / W)
        pred = np.argmax(p, axis=1)
    out["accuracy"] = float((w * (pred == y)).sum() / W)
    top = np.argmax(p, axis=1)
    conf = p[np.arange(len(y)), top]
    out["meanConfidence"] = float((w * conf).sum() / W)
    out["topLabelECE"] = ece(conf, (top == y).astype(float), w)
    per_class_ece = [ece(p[:, c], (y == c).astype(float), w) for c in range(k)]
    out["ece"] = per_class_ece[1] if k == 2 else out["topLabelECE"]
    for c, name in enumerate(classes):
        predicted = (w * (pred == c)).sum()
        actual = (w * (y == c)).sum()
        hit = (w * ((pred == c) & (y == c))).sum()
        out[f"precision[{name}]"] = float(hit / predicted) if predicted > 0 else 0.0
        out[f"recall[{name}]"] = float(hit / actual) if actual > 0 else 0.0
        out[f"ece[{name}]"] = per_class_ece[c]
    if k == 2:
        out["ranking.rocAUC"] = float(roc_auc_score(y, p[:, 1], sample_weight=w))
        out["ranking.averagePrecision"] = float(average_precision_score(y, p[:, 1], sample_weight=w))
    else:
        aucs = [roc_auc_score(y == c, p[:, c], sample_weight=w) for c in range(k)]
        aps = [average_precision_score(y == c, p[:, c], sample_weight=w) for c in range(k)]
        out["ranking.rocAUC"] = float(np.mean(aucs))
        out["ranking.averagePrecision"] = float(np.mean(aps))
    return out


NUMPY_RNG_FIXTURES = ("calibrated_binary", "multiclass_probs")
NUMPY_RNG_REPLICATES = 4000
NUMPY_RNG_KEYS = ("crossEntropy", "brier", "accuracy", "ece", "ranking.rocAUC")
RANGES = {"crossEntropy": (0, math.inf), "brier": (0, math.inf), "topLabelECE": (0, math.inf), "ece": (0, math.inf)}


def basic(theta, replicates, key):
    lo, hi = RANGES.get(key.split("[")[0] if not key.startswith("ece[") else "ece", (0.0, 1.0))
    q_low, q_high = np.quantile(np.array(replicates), [(1 - CONFIDENCE) / 2, 1 - (1 - CONFIDENCE) / 2])
    return [float(min(max(2 * theta - q_high, lo), hi)), float(min(max(2 * theta - q_low, lo), hi))]


def main():
    out = {"description": __doc__.split("\n\n")[1], "replicates": R, "confidence": CONFIDENCE, "seed": SEED,
           "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__}, "fixtures": {}}
    for fx in FIXTURES:
        y, p, w = load(fx)
        lines = np.arange(len(y)) + 2
        m = counts(lines)
        full = statistics(y, p, w, fx["classes"])
        reps = [statistics(y, p, w * m[r], fx["classes"]) for r in range(R)]
        intervals = {key: {"estimate": full[key], "interval": basic(full[key], [rep[key] for rep in reps], key)}
                     for key in full}
        out["fixtures"][fx["name"]] = {"file": fx["file"], "rows": len(y),
                                       "countTotals": [int(t) for t in m.sum(axis=1)],
                                       "firstCounts": [int(c) for c in m[:, 0]],
                                       "intervals": intervals}
        if fx["name"] in NUMPY_RNG_FIXTURES:
            rng = np.random.default_rng(SEED)
            mr = rng.poisson(1.0, size=(NUMPY_RNG_REPLICATES, len(y)))
            reps = [statistics(y, p, w * mr[r], fx["classes"]) for r in range(NUMPY_RNG_REPLICATES)]
            out["fixtures"][fx["name"]]["numpyRNG"] = {
                "replicates": NUMPY_RNG_REPLICATES,
                "intervals": {key: basic(full[key], [rep[key] for rep in reps], key) for key in NUMPY_RNG_KEYS}}
    with open(os.path.join(HERE, "bootstrap_expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
