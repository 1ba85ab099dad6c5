#!/usr/bin/env python3
"""Makes the golden values of SPEC section 9 (calibration estimators, tests, decompositions) for calib's tests.

What: for every golden fixture in this folder -- the six of make_golden.py, the tie and edge
fixtures of make_ranking_golden.py (all read from their CSV files, never regenerated) and two
fixtures written here with seed 14 (calibrated_binary.csv: 2000 rows, y ~ Bernoulli(s);
separable_binary.csv: 300 rows, y = 1[s > 0.5]) -- it writes calibration_expected.json:
the input description, the headline mode, and for B in {5, 10, 15, 30, 50}
`equalMassECE` and `debiasedL2ECE` with their bins; `smoothECE` and `smoothECEBandwidth`;
for binary tasks `spiegelhalterZ/P`, `hosmerLemeshowStatistic/P/Groups`, `calibrationSlope`,
`calibrationIntercept` and `decomposition.brier` / `decomposition.crossEntropy`.

How (reference libraries; the versions used are written into the JSON):
- equal-mass bins, equalMassECE and debiasedL2ECE: an independent numpy transcription of SPEC 9,
  with the edge comparison C(x) >= j*W/B done in exact rational arithmetic (fractions.Fraction of
  the Doubles read), so the golden bins do not depend on a summation order. On unweighted
  fixtures they are compared with uncertainty-calibration 0.1.4 (Kumar et al.):
  lower_bound_scaling_ce(p=1, debias=False) (= get_ece_em) and lower_bound_scaling_ce(p=2,
  debias=True), num_bins=B, binning_scheme=get_equal_bins, and at B=15 also with
  get_calibration_error(p=2, debias=True); asserted equal (1e-12) where SPEC says the binnings
  coincide (N divisible by B, distinct scores), recorded everywhere (crossChecks).
- smoothECE: relplot 1.0.3 relplot.smECE(f, y, return_width=True) on unweighted fixtures. relplot
  has no weights, so weighted fixtures get a numpy transcription of relplot's algorithm in which
  every row's kernel mass (both the residual and the density grids) is multiplied by its weight;
  the transcription is asserted to reproduce relplot exactly (==) on every unweighted fixture, and,
  with the weights rounded to integers, to match relplot on the rows repeated that often (1e-12,
  same bandwidth): weights act as frequency weights.
- Spiegelhalter: numpy + scipy.stats.norm; Hosmer-Lemeshow: SPEC's 10 equal-mass groups (the same
  exact edge rule) and formula, scipy.stats.chi2.sf.
- slope / intercept: statsmodels GLM(family=Binomial(), freq_weights=w), exog [1, logit(s)] resp.
  exog [1] with offset logit(s); s clipped to [eps, 1 - eps], eps = 2.220446049250313e-16; fitted
  until the deviance changes by at most 1e-15 relative (atol=0, rtol=1e-15), then checked against an
  independent Newton iteration (1e-11 relative) and a zero score.
  null (with a reason) when statsmodels warns of perfect separation / does not converge, or the
  design is singular (all scores equal) or one class is absent; the separation check is repeated
  independently (1-D overlap test) and asserted to agree.
- CORP: scikit-learn IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(s, y,
  sample_weight=w).predict(s); the identity S = MCB - DSC + UNC is asserted to 1e-12, and the
  isotonic fit is checked against an independent weighted PAV on exactly tied groups.

Conventions (as make_golden.py / make_ranking_golden.py): binary tasks order the classes
[negative, positive], headline x = s vs 1[y = positive]; multiclass headline x = top-label
confidence max_k p_k, argmax ties to the lowest index, vs 1[correct]; logits become
p = exp(log_softmax(z)). Numbers are written as repr (full precision); non-finite as null.

Run: pip install scikit-learn==1.9.1 numpy scipy statsmodels==0.15.0 relplot==1.0.3 \
         uncertainty-calibration==0.1.4
     python3 Tests/CalibCoreTests/Golden/make_calibration_golden.py
"""
import csv
import importlib.metadata as md
import json
import math
import os
import warnings
from fractions import Fraction

import numpy as np
import relplot
import relplot.kernels
import relplot.metrics
import calibration as kumar
import statsmodels.api as sm
from scipy.optimize import brentq
from scipy.special import expit, log_softmax, logit, xlogy
from scipy.stats import chi2, norm
from sklearn.isotonic import IsotonicRegression
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 2.220446049250313e-16
assert EPS == np.finfo(np.float64).eps
BINS = [5, 10, 15, 30, 50]
HL_GROUPS = 10
TOL = 1e-12
rng = np.random.default_rng(14)   # only the new fixtures; the other scripts' seeds are untouched


# ---------------------------------------------------------------- fixtures

def fixture(name, file, label, scores, classes, positive=None, weight=None, logits=False, description=""):
    return dict(name=name, file=file, label=label, scores=scores, classes=classes, positive=positive,
                weight=weight, logits=logits, description=description)


def binary(name, file, classes=("0", "1"), label="label", score="prob", weight=None, description=""):
    return fixture(name, file, label, [score], list(classes), classes[1], weight, description=description)


EXISTING = [
    binary("binary_01", "binary_01.csv", description="make_golden.py: 1000 rows, unweighted, exact 0 and 1 among the scores"),
    binary("string_labels", "string_labels.csv", ("ham", "spam"), score="p_spam",
           description="make_golden.py: 700 rows, unweighted, string labels"),
    binary("weighted_binary", "weighted_binary.csv", ("no", "yes"), "y_true", "score", "sample_weight",
           description="make_golden.py: 500 rows, gamma weights"),
    fixture("multiclass_probs", "multiclass_probs.csv", "label", ["p_cat", "p_dog", "p_bird"], ["cat", "dog", "bird"],
            description="make_golden.py: 800 rows, 3 classes, probabilities"),
    fixture("multiclass_logits", "multiclass_logits.csv", "target", [f"logit_{k}" for k in range(5)],
            [str(k) for k in range(5)], logits=True,
            description="make_golden.py: 800 rows, 5 classes, logits (p = exp(log_softmax(z)))"),
    fixture("weighted_multiclass", "weighted_multiclass.csv", "class", ["proba_a", "proba_b", "proba_c"],
            ["a", "b", "c"], weight="weight", description="make_golden.py: 600 rows, 3 classes, uniform weights"),
    # make_ranking_golden.py's tie and edge fixtures
    binary("ties_all_equal", "ties_all_equal.csv", description="200 rows, every score 0.3"),
    binary("ties_two_values", "ties_two_values.csv", description="400 rows, scores 0.2 or 0.7"),
    binary("ties_two_values_weighted", "ties_two_values_weighted.csv", weight="weight",
           description="300 rows, gamma weights, scores 0.2 or 0.7"),
    binary("ties_rounded", "ties_rounded.csv", description="600 rows, scores rounded to 2 decimals"),
    binary("ties_rounded_weighted", "ties_rounded_weighted.csv", ("legit", "fraud"), score="p_fraud", weight="weight",
           description="500 rows, uniform weights, scores rounded to 2 decimals"),
    fixture("multiclass_rounded", "multiclass_rounded.csv", "label", ["p_red", "p_green", "p_blue"],
            ["red", "green", "blue"], description="500 rows, 3 classes, probabilities on the 0.01 grid (class ties)"),
    fixture("multiclass_rounded_weighted", "multiclass_rounded_weighted.csv", "label", ["p_red", "p_green", "p_blue"],
            ["red", "green", "blue"], weight="weight", description="400 rows, 3 classes, 0.01-grid probabilities, gamma weights"),
    binary("edge_no_positive", "edge_no_positive.csv", description="50 rows, every label 0"),
    binary("edge_single_row", "edge_single_row.csv", description="one row, label 1, score 0.8"),
    binary("edge_scores_0_1", "edge_scores_0_1.csv", description="100 rows, every score exactly 0.0 or 1.0"),
    binary("edge_ten_rows", "edge_ten_rows.csv", description="10 rows, the top score 0.9 tied by two rows"),
]


def write_csv(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(v if isinstance(v, str) else repr(float(v)) for v in row) + "\n")


def make_new_fixtures():
    out = []
    s = expit(rng.normal(-0.8, 1.6, size=2000))
    y = (rng.random(2000) < s).astype(int)
    write_csv("calibrated_binary.csv", ["label", "prob"], [(str(y[i]), s[i]) for i in range(len(y))])
    out.append(binary("calibrated_binary", "calibrated_binary.csv",
                      description="2000 rows, unweighted, perfectly calibrated: s = sigmoid(N(-0.8, 1.6^2)), "
                                  "y ~ Bernoulli(s) (seed 14)"))
    s = rng.uniform(0.05, 0.95, size=300)
    y = (s > 0.5).astype(int)
    write_csv("separable_binary.csv", ["label", "prob"], [(str(y[i]), s[i]) for i in range(len(y))])
    out.append(binary("separable_binary", "separable_binary.csv",
                      description="300 rows, unweighted, completely separable: y = 1[s > 0.5] "
                                  "(the slope fit diverges: null); 300 is divisible by every B, so "
                                  "uncertainty-calibration's binning coincides at B = 15 and 30 too"))
    return out


def load(fx):
    with open(os.path.join(HERE, fx["file"]), newline="") as f:
        rows = list(csv.DictReader(f))
    y = np.array([fx["classes"].index(r[fx["label"]]) for r in rows], dtype=int)
    z = np.array([[float(r[c]) for c in fx["scores"]] for r in rows], dtype=float)
    w = None if fx["weight"] is None else np.array([float(r[fx["weight"]]) for r in rows], dtype=float)
    return y, z, w


def fin(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------- equal-mass bins (SPEC 9)

def equal_mass_bins(x, w, B):
    """Bin index of every row: t_j = min{x_i : C(x_i) >= j*W/B}, j = 1..B-1; bin = #{j : t_j < x_i}.

    C and W are exact rational sums of the Doubles, the comparison C*B >= j*W is exact.
    Also returns the edges and whether Double arithmetic (cumsum C >= (j*W)/B, or j*(W/B)) would
    choose any edge differently (fragile)."""
    values = np.unique(x)                                   # distinct scores, ascending
    group = np.searchsorted(values, x)
    wq = [Fraction(0)] * len(values)
    for g, wi in zip(group, w):
        wq[g] += Fraction(float(wi))
    C, acc = [], Fraction(0)
    for v in wq:
        acc += v
        C.append(acc)
    W = acc
    edges, fragile = [], set()
    Cd = np.cumsum(np.bincount(group, weights=w))            # the Double versions
    Wd = float(np.sum(w))
    for j in range(1, B):
        g = next(i for i, c in enumerate(C) if c * B >= j * W)
        edges.append(float(values[g]))
        for what, need in (("C >= (j*W)/B", j * Wd / B), ("C >= j*(W/B)", j * (Wd / B))):
            if int(np.argmax(Cd >= need)) != g:
                fragile.add(what)
    fragile = sorted(fragile)
    idx = np.searchsorted(np.array(edges), x, side="left")   # #{j : t_j < x}
    return idx, edges, fragile


def binned(x, o, w, B):
    idx, edges, fragile = equal_mass_bins(x, w, B)
    W = float(np.sum(w))
    bins, ece, sq = [], 0.0, 0.0
    for b in range(B):
        m = idx == b
        if not m.any():
            continue                                         # empty bins are skipped
        Wb = float(np.sum(w[m]))
        xb = float(np.sum(w[m] * x[m]) / Wb)
        yb = float(np.sum(w[m] * o[m]) / Wb)
        ece += Wb / W * abs(yb - xb)
        term = 0.0 if Wb < 2 else (yb - xb) ** 2 - yb * (1 - yb) / (Wb - 1)
        sq += Wb / W * term
        bins.append(dict(bin=b, count=int(m.sum()), weight=Wb, meanScore=xb, observedRate=yb,
                         lower=float(x[m].min()), upper=float(x[m].max())))
    return dict(equalMassECE=ece, debiasedL2ECE=math.sqrt(max(0.0, sq)), debiasedSquare=sq,
                edges=edges, bins=bins, fragileInDouble=fragile)


def kumar_check(x, o, B):
    """uncertainty-calibration's estimators on the same headline pairs (unweighted only)."""
    lab = o.astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        l1 = kumar.lower_bound_scaling_ce(x, lab, p=1, debias=False, num_bins=B, binning_scheme=kumar.get_equal_bins)
        l2 = kumar.lower_bound_scaling_ce(x, lab, p=2, debias=True, num_bins=B, binning_scheme=kumar.get_equal_bins)
        gce = kumar.get_calibration_error(x, lab, p=2, debias=True) if B == 15 else None
        discrete = bool(kumar.is_discrete(x))
    return float(l1), float(l2), (None if gce is None else float(gce)), discrete


# ---------------------------------------------------------------- smooth ECE (relplot 1.0.3)

def grid_apply(sigma, f, v):
    """relplot GaussianKernel.apply with ReflectedGaussianKernel.convolve, line by line."""
    eval_points = max(2000, round(20 / sigma))
    eval_points = (eval_points // 2) + 1
    values = np.zeros(eval_points)                          # smooth_round_to_grid
    bins = (f * (eval_points - 1)).astype(int).clip(0, eval_points - 2)
    frac = f * (eval_points - 1) - bins
    np.add.at(values, bins, (1 - frac) * v)
    np.add.at(values, bins + 1, frac * v)
    t = np.linspace(0, 1, eval_points)                       # kernel_ev
    ker = np.exp(-(t - 0.5) * (t - 0.5) / (2 * sigma ** 2))
    ker /= np.sqrt(2 * np.pi) * sigma
    ext = np.concatenate([np.flip(values)[:-1], values, np.flip(values)[1:]])
    return np.convolve(ext, ker, "valid")[eval_points // 2: eval_points // 2 + eval_points]


def weighted_smooth_ece_at(f, y, w, sigma):
    """relplot.metrics.smooth_ece with every row's kernel mass multiplied by w."""
    ev_points = max(round(10 / sigma), 200)
    t = np.linspace(0, 1, ev_points)
    r = f - y

    def interp(sm):                                          # relplot.kernels.interpolate
        n = len(sm)
        inds = (t * (n - 1)).astype(int).clip(0, n - 2)
        res = (t - inds * (1 / (n - 1))) / (1 / (n - 1))
        return sm[inds] * (1 - res) + sm[inds + 1] * res

    ys = interp(grid_apply(sigma, f, w * r))
    dens = interp(grid_apply(sigma, f, w * np.ones_like(r))) + 0.0001
    rs = ys / dens
    return np.sum(np.abs(rs) * dens) / np.sum(dens)


def weighted_smece(f, y, w, eps=0.001):
    """relplot.metrics.smECE / search_param with the weighted smooth_ece."""
    def pred(a):
        return a < eps or a < weighted_smooth_ece_at(f, y, w, a)
    if pred(1):
        sigma = 1
    else:
        start, end = 1, 0
        for _ in range(10):
            mid = (start + end) / 2
            if pred(mid):
                end = mid
            else:
                start = mid
        sigma = start
    return float(weighted_smooth_ece_at(f, y, w, sigma)), float(sigma)


# ---------------------------------------------------------------- binary tests and fits

def spiegelhalter(s, yb, w):
    num = np.sum(w * (yb - s) * (1 - 2 * s))
    den = np.sum(w * (1 - 2 * s) ** 2 * s * (1 - s))
    if den == 0:
        return None, None
    z = num / math.sqrt(den)
    return float(z), float(2 * norm.sf(abs(z)))


def hosmer_lemeshow(s, yb, w):
    idx, _, fragile = equal_mass_bins(s, w, HL_GROUPS)
    stat, groups, table = 0.0, 0, []
    undefined = False
    for g in range(HL_GROUPS):
        m = idx == g
        if not m.any():
            continue
        groups += 1
        O = np.sum(w[m] * yb[m]); E = np.sum(w[m] * s[m]); F = np.sum(w[m] * (1 - s[m])); Wg = np.sum(w[m])
        table.append(dict(group=g, count=int(m.sum()), weight=float(Wg), observed=float(O), expected=float(E),
                          expectedNegative=float(F)))
        if E == 0 or F == 0:
            undefined = True
            continue
        stat += (O - E) ** 2 * Wg / (E * F)
    df = groups - 2
    if undefined:
        return None, None, groups, table, fragile, "a non-empty group has E_g = 0 or F_g = 0"
    p = float(chi2.sf(stat, df)) if df >= 1 else None
    return float(stat), p, groups, table, fragile, (None if df >= 1 else f"{groups} non-empty groups: df < 1, p null")


def separated(x, yb, w):
    """Complete or quasi-complete separation of a 1-D logistic fit with intercept (MLE does not exist)."""
    pos, neg = x[(yb == 1) & (w > 0)], x[(yb == 0) & (w > 0)]
    if len(pos) == 0 or len(neg) == 0:
        return True
    return neg.max() <= pos.min() or pos.max() <= neg.min()


def loglik(X, yb, w, offset, b):
    eta = X @ b + offset
    return -np.sum(w * (yb * np.logaddexp(0, -eta) + (1 - yb) * np.logaddexp(0, eta)))


def newton(X, yb, w, offset):
    """Damped Newton on the weighted log-likelihood (step halving), independent of statsmodels."""
    beta = np.zeros(X.shape[1])
    for _ in range(500):
        mu = expit(X @ beta + offset)
        g = X.T @ (w * (yb - mu))
        H = (X * (w * mu * (1 - mu))[:, None]).T @ X
        step = np.linalg.lstsq(H, g, rcond=None)[0]
        lam, base = 1.0, loglik(X, yb, w, offset, beta)
        # Halve only on a real decrease: near the maximum the log-likelihood's rounding (about 1e-16 of it)
        # would otherwise stop the iteration a step short (ties_two_values' slope was 2.6e-10 off).
        while loglik(X, yb, w, offset, beta + lam * step) < base - 1e-13 * max(1.0, abs(base)) and lam > 2.0 ** -80:
            lam /= 2
        beta = beta + lam * step
        if np.max(np.abs(lam * step)) <= 1e-15 * max(1.0, np.max(np.abs(beta))):
            break
    return beta


def intercept_root(yb, w, offset):
    """The intercept with slope fixed at 1: the root of the (decreasing) score Σ w (y - σ(a + x))."""
    score = lambda a: float(np.sum(w * (yb - expit(a + offset))))         # noqa: E731
    lo, hi = -1.0, 1.0
    while score(lo) <= 0:
        lo *= 2
    while score(hi) >= 0:
        hi *= 2
    return brentq(score, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)


def statsmodels_fit(X, yb, w, offset):
    """(params or None, what statsmodels said)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = sm.GLM(yb, X, family=sm.families.Binomial(), freq_weights=w,
                         offset=offset).fit(maxiter=200, atol=0.0, rtol=1e-15)
        except Exception as e:  # noqa: BLE001 -- separation, singular design: recorded as the reason
            return None, f"{type(e).__name__}"
    if not res.converged or not np.all(np.isfinite(res.params)):
        return None, "not converged"
    return np.asarray(res.params, dtype=float), "converged"


def slope_intercept(s, yb, w, logits):
    """calibrationSlope / calibrationIntercept: the exact weighted MLE (score 0), with statsmodels beside it.

    statsmodels clips mu to [eps, 1 - eps] inside its IRLS (Logit link _clean): where rows sit at the
    clipped scores (logit +-36.04) its estimate moves (~1e-10 on binary_01) or runs away
    (edge_scores_0_1), so the golden value is the solution of the score equations, and statsmodels'
    value and difference are recorded."""
    x = s if logits else logit(np.clip(s, EPS, 1 - EPS))
    n = len(x)
    reasons, check = {}, {}
    ones = np.ones((n, 1))
    if np.sum(w * yb) == 0 or np.sum(w * (1 - yb)) == 0:
        reasons["calibrationSlope"] = reasons["calibrationIntercept"] = "one class absent: the fit diverges"
        check["statsmodelsSlope"] = statsmodels_fit(np.column_stack([ones, x]), yb, w, np.zeros(n))[1]
        check["statsmodelsIntercept"] = statsmodels_fit(ones, yb, w, x)[1]
        return None, None, reasons, check
    X = np.column_stack([ones, x])
    sm_b, said = statsmodels_fit(X, yb, w, np.zeros(n))
    if np.all(x == x[0]):
        slope = None
        reasons["calibrationSlope"] = f"all scores equal: the slope is not identifiable (statsmodels: {said})"
        assert sm_b is None
    elif separated(x, yb, w):
        slope = None
        reasons["calibrationSlope"] = f"separable data: the fit does not converge (statsmodels: {said})"
        assert sm_b is None, sm_b
    else:
        b = newton(X, yb, w, np.zeros(n))
        mu = expit(X @ b)
        assert np.max(np.abs(X.T @ (w * (yb - mu)))) <= 1e-10 * np.sum(w), "score not 0"
        slope = float(b[1])
        check["statsmodelsSlope"] = None if sm_b is None else float(sm_b[1])
        check["statsmodelsSlopeAbsDiff"] = None if sm_b is None else abs(float(sm_b[1]) - slope)
        check["statsmodelsSlopeSays"] = said
    a = intercept_root(yb, w, x)
    na = newton(ones, yb, w, x)[0]
    assert abs(na - a) <= 1e-9 * max(1, abs(a)), (a, na)
    sm_a, said = statsmodels_fit(ones, yb, w, x)
    check["statsmodelsIntercept"] = None if sm_a is None else float(sm_a[0])
    check["statsmodelsInterceptAbsDiff"] = None if sm_a is None else abs(float(sm_a[0]) - a)
    check["statsmodelsInterceptSays"] = said
    return slope, float(a), reasons, check


def pav_on_groups(s, yb, w):
    """Independent weighted PAV (non-decreasing) on exactly tied score groups, for checking."""
    vals, g = np.unique(s, return_inverse=True)
    W = np.bincount(g, weights=w); Y = np.bincount(g, weights=w * yb)
    blocks = []                                              # [sumY, sumW, n_groups]
    for i in range(len(vals)):
        blocks.append([Y[i], W[i], 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            y2, w2, k2 = blocks.pop()
            blocks[-1][0] += y2; blocks[-1][1] += w2; blocks[-1][2] += k2
    fit = np.concatenate([[b[0] / b[1]] * b[2] for b in blocks])
    return fit[g]


def corp(s, yb, w):
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
    iso.fit(s, yb.astype(float), sample_weight=w)
    siso = iso.predict(s)
    u = np.unique(s)
    close = int(np.sum(np.diff(u) < np.finfo(np.float64).resolution))
    if close == 0:
        assert np.max(np.abs(siso - pav_on_groups(s, yb, w))) <= 1e-12
    W = np.sum(w)
    ybar = np.sum(w * yb) / W

    def mean(v):
        return float(np.sum(w * v) / W)

    brier = lambda p: mean((p - yb) ** 2)                                          # noqa: E731
    # crossEntropy as SPEC 3 (true-class probability clipped at eps) for s; 0 ln 0 = 0 on the isotonic side
    ce_s = mean(-np.log(np.clip(np.where(yb == 1, s, 1 - s), EPS, None)))
    ce = lambda p: mean(-(xlogy(yb, p) + xlogy(1 - yb, 1 - p)))                   # noqa: E731
    out = {}
    for key, Ss, Siso, Sbar in [("brier", brier(s), brier(siso), brier(np.full_like(s, ybar))),
                                ("crossEntropy", ce_s, ce(siso), ce(np.full_like(s, ybar)))]:
        mcb, dsc, unc = Ss - Siso, Sbar - Siso, Sbar
        assert abs(Ss - (mcb - dsc + unc)) <= TOL, (key, Ss, mcb - dsc + unc)
        out[key] = dict(score=fin(Ss), miscalibration=fin(mcb), discrimination=fin(dsc), uncertainty=fin(unc))
    return out, [float(v) for v in siso], close


# ---------------------------------------------------------------- per fixture

def expected(fx):
    y, z, w0 = load(fx)
    n, k = len(y), len(fx["classes"])
    w = np.ones(n) if w0 is None else w0
    notes = []
    if k == 2:
        s = z[:, 0]
        x, o = s, (y == 1).astype(float)
        mode = "positive score s vs 1[y = positive]"
    else:
        P = np.exp(log_softmax(z, axis=1)) if fx["logits"] else z
        top = np.argmax(P, axis=1)                            # ties -> lowest index
        x, o = P[np.arange(n), top], (top == y).astype(float)
        mode = "top-label confidence max_k p_k (argmax ties to the lowest index) vs 1[correct]"
        ties = int(np.sum(np.sum(P == x[:, None], axis=1) > 1))
        if ties:
            notes.append(f"{ties} rows have a tie for the top class; argmax takes the lowest index")
    distinct = len(np.unique(x)) == n
    per_bins, checks = {}, []
    for B in BINS:
        r = binned(x, o, w, B)
        if r["fragileInDouble"]:
            notes.append(f"B={B}: in Double, {' and '.join(r['fragileInDouble'])} would move an edge; "
                         "the golden bins use exact rational sums (C*B >= j*W)")
        per_bins[str(B)] = r
        if w0 is None and n >= B:
            l1, l2, gce, discrete = kumar_check(x, o, B)
            coincide = distinct and n % B == 0
            d1, d2 = abs(l1 - r["equalMassECE"]), abs(l2 - r["debiasedL2ECE"])
            if coincide:
                assert d1 <= TOL and d2 <= TOL, (fx["name"], B, d1, d2)
            c = dict(bins=B, specSaysCoincide=coincide, kumarEqualMassECE=l1, kumarDebiasedL2ECE=l2,
                     absDiffEqualMassECE=d1, absDiffDebiasedL2ECE=d2, agreeTo1e12=bool(d1 <= TOL and d2 <= TOL))
            if gce is not None:
                c["kumarGetCalibrationError"] = gce
                c["kumarTreatsAsDiscrete"] = discrete
                c["absDiffGetCalibrationError"] = abs(gce - r["debiasedL2ECE"])
            checks.append(c)

    # smooth ECE
    if w0 is None:
        sm_val, sigma = relplot.smECE(x, o, return_width=True)
        mine = weighted_smece(x, o, w)
        assert mine == (float(sm_val), float(sigma)), (fx["name"], mine, sm_val, sigma)
        smooth = dict(smoothECE=fin(sm_val), smoothECEBandwidth=fin(sigma),
                      smoothECESource="relplot 1.0.3 smECE(f, y, return_width=True)",
                      transcriptionReproducesRelplot=True)
    else:
        v, sigma = weighted_smece(x, o, w)
        # frequency-weight semantics: integer weights must equal relplot on rows repeated that often
        iw = np.maximum(1, np.round(w)).astype(int)
        rep_v, rep_s = relplot.smECE(np.repeat(x, iw), np.repeat(o, iw), return_width=True)
        my_v, my_s = weighted_smece(x, o, iw.astype(float))
        assert my_s == rep_s and abs(my_v - rep_v) <= 1e-12, (fx["name"], my_v, rep_v, my_s, rep_s)
        smooth = dict(smoothECE=fin(v), smoothECEBandwidth=fin(sigma),
                      smoothECESource="numpy transcription of relplot 1.0.3 smECE with weights "
                                      "(relplot has no weights: each row's kernel mass times w)",
                      transcriptionReproducesRelplot=None,
                      integerWeightCheck=dict(what="weights rounded to integers (at least 1): the transcription "
                                                   "vs relplot.smECE on the rows repeated that often",
                                              transcription=float(my_v), relplotOnRepeatedRows=float(rep_v),
                                              absDiff=abs(float(my_v) - float(rep_v)), sameBandwidth=True))
    metrics = dict(smooth)
    metrics["bins"] = per_bins
    binary_part = None
    if k == 2:
        yb = o.astype(int)
        sz, sp = spiegelhalter(s, yb, w)
        hs, hp, hg, htable, hfragile, hwhy = hosmer_lemeshow(s, yb, w)
        if hwhy:
            notes.append(f"Hosmer-Lemeshow: {hwhy}")
        slope, intercept, why, fitcheck = slope_intercept(s, yb, w, fx["logits"])
        dec, siso, close = corp(s, yb, w)
        if close:
            notes.append(f"{close} pairs of distinct scores less than 1e-15 apart (scikit-learn pools them)")
        binary_part = dict(spiegelhalterZ=fin(sz), spiegelhalterP=fin(sp),
                           hosmerLemeshowStatistic=fin(hs), hosmerLemeshowP=fin(hp), hosmerLemeshowGroups=hg,
                           hosmerLemeshowTable=htable,
                           calibrationSlope=fin(slope), calibrationIntercept=fin(intercept), nullReasons=why,
                           fitCrossCheck=fitcheck,
                           decomposition=dec, isotonic=siso)
        if sz is None:
            why["spiegelhalterZ"] = why["spiegelhalterP"] = "denominator 0"
    return dict(
        input=dict(file=fx["file"], label=fx["label"], scores=fx["scores"], classes=fx["classes"],
                   positiveClass=fx["positive"], weight=fx["weight"], logits=fx["logits"], rows=n,
                   description=fx["description"]),
        headline=dict(mode=mode, distinctScores=distinct, totalWeight=float(np.sum(w))),
        metrics=metrics, binary=binary_part, crossChecks=checks, notes=notes)


def dumps(value, indent=""):
    """JSON with sorted keys, lists of plain numbers on one line; floats as repr."""
    if isinstance(value, dict):
        inner = indent + " "
        items = [f"{inner}{json.dumps(k)}: {dumps(v, inner)}" for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        inner = indent + " "
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


if __name__ == "__main__":
    fixtures = EXISTING + make_new_fixtures()
    versions = {p: md.version(p) for p in ["numpy", "scipy", "scikit-learn", "statsmodels", "relplot",
                                           "uncertainty-calibration"]}
    result = dict(
        about="SPEC section 9 golden values; written by make_calibration_golden.py, do not edit",
        versions=versions, bins=BINS, epsilon=EPS, hosmerLemeshowGroups=HL_GROUPS,
        fixtures={fx["name"]: expected(fx) for fx in fixtures},
    )
    with open(os.path.join(HERE, "calibration_expected.json"), "w") as f:
        f.write(dumps(result) + "\n")
    print(f"{'fixture':28} {'B':>3} {'equalMassECE':>22} {'debiasedL2ECE':>22} {'smoothECE':>22}")
    for name, e in result["fixtures"].items():
        for B in BINS:
            b = e["metrics"]["bins"][str(B)]
            print(f"{name:28} {B:>3} {b['equalMassECE']!r:>22} {b['debiasedL2ECE']!r:>22} {e['metrics']['smoothECE']!r:>22}")
    print()
    print(f"{'fixture':28} {'B':>3} {'Kumar agrees':>12} {'SPEC: coincide':>14} {'|d EM-ECE|':>10} {'|d dL2|':>10}")
    for name, e in result["fixtures"].items():
        for c in e["crossChecks"]:
            print(f"{name:28} {c['bins']:>3} {str(c['agreeTo1e12']):>12} {str(c['specSaysCoincide']):>14} "
                  f"{c['absDiffEqualMassECE']:10.2e} {c['absDiffDebiasedL2ECE']:10.2e}")
    print()
    for name, e in result["fixtures"].items():
        if e["binary"]:
            b = e["binary"]
            print(f"{name:28} z={b['spiegelhalterZ']!r} HL={b['hosmerLemeshowStatistic']!r} p={b['hosmerLemeshowP']!r} "
                  f"slope={b['calibrationSlope']!r} intercept={b['calibrationIntercept']!r}")
        for note in e["notes"]:
            print(f"  note {name}: {note}")
