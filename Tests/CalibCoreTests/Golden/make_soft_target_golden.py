#!/usr/bin/env python3
"""Makes the golden values of calib's soft-target decomposition (SPEC section 13).

What: soft_target_expected.json, a list of named cases. Each holds the rows
(predicted probabilities or logits, row-major; soft targets, row-major; weights
or null) and the expected `softTargets` object:
  entropyTerm_k      = sum_i w_i entr(t_ik) / W                 (scipy.special.entr: -t ln t, 0 at t = 0)
  crossEntropyTerm_k = sum_i w_i (-t_ik ln q_ik) / W            (0 where t_ik = 0)
  klTerm_k           = sum_i w_i rel_entr(t_ik, q_ik) / W       (scipy.special.rel_entr)
  meanTarget_k, meanPredicted_k: weighted means of t_ik and p_ik,
with q = max(p, eps), eps = 2.220446049250313e-16, on the probability path
(calib clips as its cross-entropy does) and q = softmax(z) with
ln q = scipy.special.log_softmax(z) on the logit path (no clipping); the
totals are the sums of the columns (math.fsum throughout). Every number is a
string holding its repr, read back exactly by the Swift test.

Cases: unweighted and weighted 4-class Dirichlet rows, exact zeros in the
targets (one-hot rows included), zeros in the predictions (clipped), a binary
task (one score per row, targets [1 - t, t]) and multiclass logits.

Run: pip install numpy scipy   (tested with numpy 2.4.6, scipy 1.17.1)
     python3 Tests/CalibCoreTests/Golden/make_soft_target_golden.py
The Swift test (SoftTargetGoldenTests) reads the JSON; it never runs Python.
"""
import json
import math
import os

import numpy as np
from scipy import special

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 2.220446049250313e-16


def expected(p, t, w, log_q=None):
    """The softTargets object for rows p (probabilities), t (targets), weights w."""
    n, k = t.shape
    if log_q is None:
        q = np.maximum(p, EPS)
        log_q = np.log(q)
    else:
        q = np.exp(log_q)
    total = math.fsum(w)
    terms = []
    for c in range(k):
        ce = [(-t[i, c] * log_q[i, c]) if t[i, c] > 0 else 0.0 for i in range(n)]
        if p is None:
            kl = [special.rel_entr(t[i, c], q[i, c]) if t[i, c] > 0 else 0.0 for i in range(n)]
        else:
            kl = [float(special.rel_entr(t[i, c], q[i, c])) for i in range(n)]
        terms.append({
            "meanTarget": math.fsum(w * t[:, c]) / total,
            "meanPredicted": math.fsum(w * (q[:, c] if p is None else p[:, c])) / total,
            "entropyTerm": math.fsum(w * special.entr(t[:, c])) / total,
            "crossEntropyTerm": math.fsum(w[i] * ce[i] for i in range(n)) / total,
            "klTerm": math.fsum(w[i] * kl[i] for i in range(n)) / total,
        })
    return {
        "crossEntropy": math.fsum(x["crossEntropyTerm"] for x in terms),
        "entropy": math.fsum(x["entropyTerm"] for x in terms),
        "kl": math.fsum(x["klTerm"] for x in terms),
        "terms": terms,
    }


def strings(value):
    if isinstance(value, dict):
        return {key: strings(v) for key, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [strings(v) for v in value]
    if value is None:
        return None
    return repr(float(value))


def case(name, scores, t, w, kind="probabilities", binary=False):
    n, k = t.shape
    weights = np.ones(n) if w is None else w
    if kind == "logits":
        result = expected(None, t, weights, log_q=special.log_softmax(scores, axis=1))
    elif binary:
        p = np.column_stack([1 - scores, scores])
        result = expected(p, t, weights)
    else:
        result = expected(scores, t, weights)
    return {
        "name": name, "classCount": k, "scoreKind": kind,
        "scores": strings(np.ravel(scores)), "targets": strings(np.ravel(t)),
        "weights": None if w is None else strings(w), "expected": strings(result),
    }


def main():
    rng = np.random.default_rng(17)
    cases = []
    p = rng.dirichlet(np.ones(4), size=60)
    t = rng.dirichlet(np.ones(4) * 0.7, size=60)
    cases.append(case("unweighted, 4 classes", p, t, None))
    w = rng.uniform(0, 3, size=60)
    w[5] = 0.0
    cases.append(case("weighted, 4 classes", p, t, w))

    zero_t = t.copy()
    zero_t[:10] = np.eye(4)[rng.integers(0, 4, size=10)]
    zero_t[10:20, 1] = 0.0
    zero_t[10:20] /= zero_t[10:20].sum(axis=1, keepdims=True)
    cases.append(case("exact zeros in the targets", p, zero_t, w))

    zero_p = p.copy()
    zero_p[:15, 2] = 0.0
    zero_p[:15] /= zero_p[:15].sum(axis=1, keepdims=True)
    zero_p[15, :] = [1.0, 0.0, 0.0, 0.0]
    cases.append(case("zeros in the predictions (clipped)", zero_p, t, w))

    s = rng.uniform(0, 1, size=40)
    s[:3] = [0.0, 1.0, 0.5]
    tb = rng.uniform(0, 1, size=40)
    tb[3:5] = [0.0, 1.0]
    cases.append(case("binary, one score per row", s, np.column_stack([1 - tb, tb]), rng.uniform(0.5, 2, size=40), binary=True))

    z = rng.normal(0, 3, size=(50, 5))
    tz = rng.dirichlet(np.ones(5), size=50)
    tz[:5] = np.eye(5)
    cases.append(case("logits, 5 classes", z, tz, None, kind="logits"))

    with open(os.path.join(HERE, "soft_target_expected.json"), "w") as f:
        json.dump({"generator": "make_soft_target_golden.py", "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
