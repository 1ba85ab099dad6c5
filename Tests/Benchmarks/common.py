"""numpy pieces both baseline pipelines share: the reliability tables and ECE
variants (SPEC section 3) and the imbalance losses (SPEC section 4), written
the way a data scientist would vectorise them."""
import numpy as np

BINS = 15
EPS = np.finfo(float).eps


def probability_matrix(scores):
    """The N x K probability matrix and the decisions from the score columns:
    one column is a binary task's positive-class score (threshold 0.5),
    several are the class probabilities (argmax)."""
    if scores.shape[1] == 1:
        s = scores[:, 0]
        return np.stack([1 - s, s], axis=1), (s >= 0.5).astype(np.int64)
    return scores, scores.argmax(axis=1)


def binned(value, outcome):
    idx = np.minimum(BINS - 1, np.floor(value * BINS).astype(np.int64))
    w = np.bincount(idx, minlength=BINS)
    mean = np.bincount(idx, weights=value, minlength=BINS)
    rate = np.bincount(idx, weights=outcome, minlength=BINS)
    nonempty = w > 0
    gap = np.zeros(BINS)
    gap[nonempty] = (mean[nonempty] - rate[nonempty]) / w[nonempty]
    return w, gap


def ece_tables(y, P):
    n, k = P.shape
    top = P.argmax(axis=1)
    conf = P[np.arange(n), top]
    correct = (top == y).astype(float)
    w, gap = binned(conf, correct)
    out = {"topLabelECE": (w / n * np.abs(gap)).sum(), "over": (w / n * np.maximum(gap, 0)).sum(),
           "under": (w / n * np.maximum(-gap, 0)).sum(), "meanConfidence": conf.mean(),
           "confidentErrorRate": (1 - correct[conf >= 0.9]).mean() if (conf >= 0.9).any() else 0.0}
    classwise = []
    for c in range(k):
        wc, gc = binned(P[:, c], (y == c).astype(float))
        classwise.append((wc / n * np.abs(gc)).sum())
    out["classwiseECE"] = float(np.mean(classwise))
    if k == 2:
        wp, gp = binned(P[:, 1], y.astype(float))
        out["positiveClassECE"] = (wp / n * np.abs(gp)).sum()
        out["mce"] = np.abs(gp[wp > 0]).max()
    return out


def losses(y, P):
    n, k = P.shape
    q = np.clip(P[np.arange(n), y], EPS, 1)
    lnq = np.log(q)
    logP = np.log(np.clip(P, EPS, 1))
    Wk = np.bincount(y, minlength=k).astype(float)
    results = []

    def shares(loss, grad, norm):
        L = np.bincount(y, weights=loss, minlength=k)
        G = np.bincount(y, weights=grad, minlength=k)
        results.append((L.sum() / norm, L / L.sum(), G / G.sum()))

    for gamma, factor in [(0, np.ones(k)), (0, n / (k * Wk))]:
        f = factor[y] * (1 - q) ** gamma
        shares(f * -lnq, f * ((1 - q) - gamma * q * lnq), (factor[y]).sum())
    e = (1 - 0.9999) / (1 - 0.9999 ** Wk)
    e = e * k / e.sum()
    f = e[y]
    shares(f * -lnq, f * (1 - q), f.sum())
    alpha = np.array([0.75, 0.25]) if k == 2 else np.ones(k)
    for gamma in [0.5, 1, 2, 5]:
        f = alpha[y] * (1 - q) ** gamma
        shares(f * -lnq, f * ((1 - q) - gamma * q * lnq), n)
    target = 0.9 * np.eye(k)[y] + 0.1 / k
    shares(-(target * logP).sum(1), 0.5 * np.abs(P - target).sum(1), n)
    return results
