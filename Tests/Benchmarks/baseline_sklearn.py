#!/usr/bin/env python3
"""The pandas + scikit-learn pipeline a data scientist would write for the same
audit: read the CSV with pandas, compute SPEC section 3 with scikit-learn
where it has the metric and numpy where it does not, the section 4 losses
with numpy, and the section 8 ranking with scikit-learn's ranking metrics
(roc_auc_score, average_precision_score, precision_recall_curve, roc_curve
and, for the alert budgets and the sweep, the weighted counts at every
distinct threshold from confusion_matrix_at_thresholds), and section 9 the
way this ecosystem would: numpy equal-mass bins (common.equal_mass_bins, the
golden script's edge rule in Double) for the equal-mass and debiased L2 ECE
and Hosmer-Lemeshow, relplot.smECE for the smooth ECE, scipy.stats for the
normal and chi-squared tails, statsmodels' GLM (Binomial) for the calibration
slope and intercept, and scikit-learn's IsotonicRegression for the CORP
decomposition.

Prints one JSON object: `ranking`, `perClass[].rocAUC/averagePrecision` and
the section 9 keys of `metrics` in calib's layout (weighted by the
`weight`/`sample_weight` column when there is one; no smooth ECE then, relplot
has no weights), and under `summary` a few unweighted section 3/4 numbers so
that the work cannot be skipped.

Run: python3 Tests/Benchmarks/baseline_sklearn.py FILE
"""
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score, brier_score_loss,
                             confusion_matrix, confusion_matrix_at_thresholds, d2_log_loss_score, log_loss,
                             matthews_corrcoef, precision_recall_curve, precision_recall_fscore_support,
                             roc_auc_score, roc_curve)

from common import (BINS, FPR_AT, HL_GROUPS, PRECISION_AT, SWEEP, TOP, bin_sums, binned_estimates,
                    brier_ce_decomposition, ece_tables, equal_mass_bins, headline, hosmer_lemeshow_statistic,
                    logit_clipped, losses, number, probability_matrix, ranking_json, ratio, roles, smooth_ece,
                    sweep_entry)


def operating_points(positive, s, w):
    """positiveRate, recallAtPrecision, recallAtFPR, recallAtTop and the sweep
    of a binary task (SPEC section 8) from scikit-learn's curves."""
    precision, recall, pr_thresholds = precision_recall_curve(positive, s, sample_weight=w)
    fpr, tpr, roc_thresholds = roc_curve(positive, s, sample_weight=w, drop_intermediate=False)
    _, fps, _, tps, thresholds = confusion_matrix_at_thresholds(positive, s, sample_weight=w)
    at_precision = []
    for target in PRECISION_AT:
        # Increasing thresholds; the last point (recall 0, precision 1) has none.
        ok = np.flatnonzero(precision[:-1] >= target)
        if ok.size == 0:
            at_precision.append({"target": target, "recall": None, "precision": None, "threshold": None})
            continue
        j = ok[recall[ok] == recall[ok].max()].max()  # the largest recall, then the highest threshold
        at_precision.append({"target": target, "recall": recall[j], "precision": precision[j],
                             "threshold": pr_thresholds[j]})
    at_fpr = []
    for target in FPR_AT:
        # Decreasing thresholds; the first point (threshold +inf) is no candidate.
        ok = np.flatnonzero(fpr[1:] <= target) + 1
        if ok.size == 0:
            at_fpr.append({"target": target, "recall": None, "fpr": None, "threshold": None})
            continue
        j = ok[tpr[ok] == tpr[ok].max()].min()
        at_fpr.append({"target": target, "recall": tpr[j], "fpr": fpr[j], "threshold": roc_thresholds[j]})
    flagged = tps + fps  # the weight of s >= thresholds[j], decreasing thresholds
    total, positives, negatives = flagged[-1], tps[-1], fps[-1]
    at_top = []
    for fraction in TOP:
        j = np.searchsorted(flagged, fraction * total, side="left")  # the largest t flagging >= fraction * W
        if j == len(flagged):
            at_top.append({"fraction": fraction, "flaggedFraction": None, "recall": None, "precision": None,
                           "threshold": None})
            continue
        at_top.append({"fraction": fraction, "flaggedFraction": flagged[j] / total, "recall": ratio(tps[j], positives),
                       "precision": ratio(tps[j], flagged[j]), "threshold": thresholds[j]})
    sweep = []
    for t in SWEEP:
        n = np.searchsorted(-thresholds, -t, side="right")  # distinct thresholds >= t
        sweep.append(sweep_entry(t, tps[n - 1] if n else 0, fps[n - 1] if n else 0, positives, negatives))
    clean = lambda entries: [{key: number(v) for key, v in e.items()} for e in entries]
    return {"positiveRate": float(np.average(positive, weights=w)), "recallAtPrecision": clean(at_precision),
            "recallAtFPR": clean(at_fpr), "recallAtTop": clean(at_top), "sweep": clean(sweep)}


def ranking(y, P, w):
    """SPEC section 8 in calib's JSON layout: binary tasks rank by the
    positive score (the negative class, perClass[0], by 1 - s), multiclass
    tasks one-vs-rest by p_k."""
    k = P.shape[1]
    support = np.bincount(y, weights=w, minlength=k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # a class absent: NaN, printed as null
        if k == 2:
            s = P[:, 1]
            auc = [roc_auc_score(y == c, P[:, c], sample_weight=w) for c in (0, 1)]
            ap = [average_precision_score(y == c, P[:, c], sample_weight=w) for c in (0, 1)]
            return ranking_json(auc, ap, support, operating_points(y == 1, s, w))
        auc = roc_auc_score(y, P, multi_class="ovr", average=None, labels=list(range(k)), sample_weight=w)
        ap = average_precision_score(y, P, average=None, sample_weight=w)
        return ranking_json(auc, ap, support)


def glm(o, exog, w, offset=None):
    """statsmodels' weighted (freq_weights) logistic GLM; None when it warns
    of perfect separation or does not converge."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = sm.GLM(o, exog, family=sm.families.Binomial(), freq_weights=w, offset=offset).fit(tol=1e-13)
        except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError):
            return None
    return fit.params if fit.converged and np.all(np.isfinite(fit.params)) else None


def calibration(y, P, w):
    """SPEC section 9 under calib's key names: the headline-mode estimators,
    and for a binary task the tests, the logistic fits and CORP."""
    from scipy.stats import chi2, norm
    from sklearn.isotonic import IsotonicRegression
    x, o = headline(y, P)
    out = dict(zip(("equalMassECE", "debiasedL2ECE"), binned_estimates(*bin_sums(equal_mass_bins(x, w, BINS), BINS, x, o, w))))
    out.update(smooth_ece(x, o, w is not None))
    if P.shape[1] != 2:
        return out
    s, v = x, (np.ones(len(x)) if w is None else w)
    denominator = np.sum(v * (1 - 2 * s) ** 2 * s * (1 - s))
    z = np.sum(v * (o - s) * (1 - 2 * s)) / math.sqrt(denominator) if denominator else None
    out["spiegelhalterZ"], out["spiegelhalterP"] = z, (None if z is None else 2 * norm.sf(abs(z)))
    g = equal_mass_bins(s, w, HL_GROUPS)
    Wg, E, O = bin_sums(g, HL_GROUPS, s, o, w)
    F = np.bincount(g, weights=v * (1 - s), minlength=HL_GROUPS)  # summed directly, not W_g - E_g
    statistic, groups = hosmer_lemeshow_statistic(Wg, O, E, F)
    out["hosmerLemeshowStatistic"], out["hosmerLemeshowGroups"] = statistic, groups
    out["hosmerLemeshowP"] = None if statistic is None or groups < 3 else chi2.sf(statistic, groups - 2)
    lx = logit_clipped(s)
    slope = glm(o, np.column_stack([np.ones(len(s)), lx]), w)
    intercept = glm(o, np.ones((len(s), 1)), w, offset=lx)
    out["calibrationSlope"] = None if slope is None else slope[1]
    out["calibrationIntercept"] = None if intercept is None else intercept[0]
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(s, o, sample_weight=w).predict(s)
    out["decomposition"] = brier_ce_decomposition(s, o, w, iso)
    return {key: value if isinstance(value, dict) else number(value) for key, value in out.items()}


if __name__ == "__main__":
    frame = pd.read_csv(sys.argv[1])
    scores, weight = roles(list(frame.columns))
    y = frame["label"].to_numpy()
    w = frame[weight].to_numpy(dtype=float) if weight else None
    P, pred = probability_matrix(frame[scores].to_numpy())
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
    result = ranking(y, P, w)
    result["metrics"] = calibration(y, P, w)
    result["summary"] = {key: float(value) for key, value in out.items()}
    print(json.dumps(result))
