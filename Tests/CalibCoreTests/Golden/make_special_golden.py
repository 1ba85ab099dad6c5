#!/usr/bin/env python3
"""Makes the golden values of calib's tail probabilities (SPEC section 9 p-values).

What: special_expected.json, three tables of rows, every number written as a
string holding its repr (the shortest text that reads back to the same
Double; Foundation's JSONSerialization on Linux can round a JSON number by an
ulp, and one ulp of x moves Q(1e5, 1.1e5) by 1e-12):
  gamma:  [a, x, P, Q, P_ref, Q_ref]  regularised incomplete gamma functions,
          P = scipy.special.gammainc(a, x), Q = scipy.special.gammaincc(a, x),
          for a in {0.5, 1, 1.5, 2, 4, 8, 10, 50, 100, 1000, 1e4, 1e5, 1e6} and
          x from 1e-8 to 10a (a log grid, a linear grid, and points near a:
          a(1 +- 1e-6 ... 0.3), a +- 1, a +- m*sqrt(a)); and, beyond the range
          scipy is accurate in, a in {1e7, 1e8, 1e9, 1e10} (calib's largest
          shape) at x = a + m*sqrt(a), m in {0, +-0.1, +-1, +-5, +-10};
  chi2:   [k, x, sf, sf_ref]  scipy.stats.chi2.sf(x, k) for k = 1..200 and a few
          non-integer k, x from 0 to 500 (fixed points, and k, k/2, 2k, k +- sqrt(2k),
          k +- 4 sqrt(2k));
  normal: [z, p, p_ref]  2 * scipy.stats.norm.sf(z) for z from 0 to 38.
The *_ref columns are an independent mpmath evaluation (40 to 80 digits) (for P with
x < a the power series summed in mpmath, else mpmath.gammainc; for the normal
erfc(z / sqrt(2)) with z exact), so a test can tell calib's error from
scipy's. Rows up to a = 1e6 where scipy and mpmath differ by more than 1e-12
relative (scipy's gammainc for a = 1000 and 1e6 below the mean) are listed
in "scipyDisagrees"; the Swift tests compare those rows, and every row with
a > 1e6, to mpmath only.

Run: pip install scipy mpmath   (tested with scipy 1.17.1, mpmath 1.3.0)
     python3 Tests/CalibCoreTests/Golden/make_special_golden.py
The Swift tests read special_expected.json; they never run Python.
"""
import json
import math
import os

import mpmath
import numpy as np
import scipy
from scipy import special, stats

mpmath.mp.dps = 40
HERE = os.path.dirname(os.path.abspath(__file__))


def reference_gamma(a, x):
    """(P, Q) to 40 digits: the series of P for x < a (all terms positive), else mpmath's Q;
    for a > 1e6 (where the series would need too many terms, and P is not tiny) mpmath's Q and 1 - Q.
    mpmath's Q runs at 80 digits (at 40 it was off by 1e-11 at a = 1e10, x = a - 1e6, checked
    against the 402,585-term series)."""
    a, x = mpmath.mpf(a), mpmath.mpf(x)
    if x == 0:
        return mpmath.mpf(0), mpmath.mpf(1)
    if x < a and a <= 1e6:
        term = 1 / a
        total = term
        n = 0
        while term > total * mpmath.mpf(10) ** -38:
            n += 1
            term *= x / (a + n)
            total += term
        p = total * mpmath.exp(a * mpmath.log(x) - x - mpmath.loggamma(a))
        return p, 1 - p
    # mpmath's gammainc loses digits for large a (about 10 at a = 1e10); 80 working digits leave 60.
    with mpmath.workdps(80):
        q = mpmath.gammainc(a, x, mpmath.inf, regularized=True)
        return 1 - q, q


def relative(ours, ref):
    return abs(ours - ref) / abs(ref) if ref != 0 else abs(ours)


def exact(rows):
    """Every number as the string of its repr, read back exactly by Swift's Double(String)."""
    return [[repr(float(v)) for v in row] for row in rows]


def gamma_grid(a):
    xs = set([1e-8, 1e-4, 1e-2, 0.1, 1.0])
    xs.update(float(v) for v in np.geomspace(1e-8, 10 * a, 25))
    xs.update(float(v) for v in np.linspace(0, 10 * a, 21))
    for d in (1e-6, 1e-3, 1e-2, 0.1, 0.3):
        xs.update([a * (1 - d), a * (1 + d)])
    xs.update([a, a + 1, a - 1])
    root = math.sqrt(a)
    for m in (0.5, 1, 3, 10, 30):
        xs.update([a + m * root, a - m * root])
    return sorted(x for x in xs if 0 <= x <= 10 * a)


def main():
    disagreements = []
    gamma = []
    for a in [0.5, 1, 1.5, 2, 4, 8, 10, 50, 100, 1000, 1e4, 1e5, 1e6]:
        for x in gamma_grid(a):
            p_ref, q_ref = reference_gamma(a, x)
            row = [a, x, float(special.gammainc(a, x)), float(special.gammaincc(a, x)), float(p_ref), float(q_ref)]
            gamma.append(row)
            for name, s, r in (("P", row[2], row[4]), ("Q", row[3], row[5])):
                if r >= 1e-300 and relative(s, r) > 1e-12:
                    disagreements.append({"table": "gamma", "a": repr(float(a)), "x": repr(x), "function": name, "relativeError": relative(s, r)})

    for a in [1e7, 1e8, 1e9, 1e10]:
        for m in (0, 0.1, -0.1, 1, -1, 5, -5, 10, -10):
            x = a + m * math.sqrt(a)
            p_ref, q_ref = reference_gamma(a, x)
            gamma.append([a, x, float(special.gammainc(a, x)), float(special.gammaincc(a, x)), float(p_ref), float(q_ref)])

    chi2 = []
    fixed = [0, 1e-6, 0.01, 0.1, 0.5, 1, 2, 3.841458820694124, 5, 10, 20, 50, 100, 200, 300, 400, 500]
    for k in list(range(1, 201)) + [0.5, 2.5, 7.3]:
        xs = set(float(v) for v in fixed)
        spread = math.sqrt(2 * k)
        xs.update([float(k), k / 2, 2.0 * k, k + spread, k - spread, k + 4 * spread, k - 4 * spread])
        for x in sorted(v for v in xs if 0 <= v <= 500):
            _, q_ref = reference_gamma(k / 2, x / 2)
            row = [float(k), x, float(stats.chi2.sf(x, k)), float(q_ref)]
            chi2.append(row)
            if row[3] >= 1e-300 and relative(row[2], row[3]) > 1e-12:
                disagreements.append({"table": "chi2", "k": repr(float(k)), "x": repr(x), "relativeError": relative(row[2], row[3])})

    normal = []
    zs = sorted(set([0.0, 1e-10, 1e-3, 0.1, 1.959963984540054, 2.5758293035489004] + [float(v) for v in np.arange(0, 38.0001, 0.25)]))
    for z in zs:
        p_ref = mpmath.erfc(mpmath.mpf(z) / mpmath.sqrt(2))
        row = [z, float(2 * stats.norm.sf(z)), float(p_ref)]
        normal.append(row)
        if row[2] >= 1e-300 and relative(row[1], row[2]) > 1e-12:
            disagreements.append({"table": "normal", "z": repr(z), "relativeError": relative(row[1], row[2])})

    out = {
        "generator": f"make_special_golden.py with scipy {scipy.__version__}, mpmath {mpmath.__version__}, 40 digits",
        "columns": {"gamma": ["a", "x", "P", "Q", "P_ref", "Q_ref"], "chi2": ["k", "x", "sf", "sf_ref"], "normal": ["z", "p", "p_ref"]},
        "scipyDisagrees": disagreements,
        "gamma": exact(gamma),
        "chi2": exact(chi2),
        "normal": exact(normal),
    }
    with open(os.path.join(HERE, "special_expected.json"), "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"gamma {len(gamma)} rows, chi2 {len(chi2)} rows, normal {len(normal)} rows; "
          f"scipy differs from mpmath by > 1e-12 at {len(disagreements)} rows")
    for d in disagreements:
        print("  ", d)


if __name__ == "__main__":
    main()
