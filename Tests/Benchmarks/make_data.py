#!/usr/bin/env python3
"""Writes the benchmark inputs (fixed seed) into a folder, default .build/bench:

- binary_10m.csv: 10,000,000 rows `label,prob`, probabilities printed to
  17 significant digits (about 219 MB);
- multiclass_1m.csv: 1,000,000 rows `label,p_0..p_9` (about 205 MB);
- multiclass_1m_logits.csv: the same rows as logits.

Options for checking the baselines' ranking (SPEC section 8) on small files:
--weights adds a `weight` column (gamma-distributed, its own seed, so the
other columns stay as without it); --decimals D prints the binary file's
probabilities rounded to D decimals (heavily tied scores).

Run: python3 Tests/Benchmarks/make_data.py [folder] [--rows N] [--multiclass-rows N] [--weights] [--decimals D]
"""
import argparse
import os

import numpy as np


def weight_columns(weights, n):
    """(header suffix, per-row suffixes): a `weight` column from the weights'
    own generator, or nothing."""
    if weights is None:
        return "", [""] * n
    return ",weight", [f",{v!r}" for v in weights.gamma(2.0, 0.5, size=n).tolist()]


def write_binary(path, rows, rng, weights=None, decimals=None):
    chunk = 1_000_000
    with open(path, "w") as f:
        f.write("label,prob" + weight_columns(weights, 0)[0] + "\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            z = rng.normal(-2.0, 1.6, size=n)
            p = 1 / (1 + np.exp(-z))
            y = (rng.random(n) < 1 / (1 + np.exp(-(z * 0.8)))).astype(int)
            score = "{:.17g}" if decimals is None else "{:.%df}" % decimals
            f.write("".join(f"{a},{score.format(b)}{w}\n" for a, b, w in zip(y, p, weight_columns(weights, n)[1])))


def write_multiclass(path, logits_path, rows, rng, k=10, weights=None):
    chunk = 200_000
    with open(path, "w") as f, open(logits_path, "w") as g:
        header = ",".join(f"p_{c}" for c in range(k))
        suffix = weight_columns(weights, 0)[0]
        f.write("label," + header + suffix + "\n")
        g.write("label," + ",".join(f"logit_{c}" for c in range(k)) + suffix + "\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            y = rng.integers(0, k, size=n)
            z = rng.normal(size=(n, k))
            z[np.arange(n), y] += 2.0
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            w = weight_columns(weights, n)[1]
            f.write("".join(str(y[i]) + "," + ",".join(f"{v:.17g}" for v in p[i]) + w[i] + "\n" for i in range(n)))
            g.write("".join(str(y[i]) + "," + ",".join(f"{v:.17g}" for v in z[i]) + w[i] + "\n" for i in range(n)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "..", ".build", "bench"))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--multiclass-rows", type=int, default=1_000_000)
    parser.add_argument("--weights", action="store_true", help="add a weight column")
    parser.add_argument("--decimals", type=int, help="round the binary probabilities to this many decimals")
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    rng = np.random.default_rng(6)
    weights = np.random.default_rng(7) if args.weights else None
    write_binary(os.path.join(args.folder, "binary_10m.csv"), args.rows, rng, weights, args.decimals)
    write_multiclass(os.path.join(args.folder, "multiclass_1m.csv"), os.path.join(args.folder, "multiclass_1m_logits.csv"),
                     args.multiclass_rows, rng, weights=weights)
