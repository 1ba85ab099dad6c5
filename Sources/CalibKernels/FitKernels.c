#include "CalibKernels.h"
#include <math.h>
#include <string.h>

// The recalibration fits' passes over the rows (`LogisticRows.evaluate`,
// `TemperatureRows.binaryPass`), in C so that the sums stay in registers:
// a pass calls `exp` (and `log1p`) once a row, and every call clobbers every
// vector register, so a loop that calls them and adds a dozen sums spills and
// reloads each sum every row. Here a block of rows first gets its `exp`
// (and `log1p`) values, calls one after another, then a loop with no calls
// adds the block's terms. Each row's operations are the Swift loop's, in the
// same order, with the same libm functions, and the rows are added in order:
// the same bits. No fused multiply-add is formed from a multiply and an add.
// The choices a row makes by its label are bitwise selects, not branches
// (labels follow no pattern, and a mispredicted branch costs more than the
// row's arithmetic); its `σ(±η)` come from a loop of their own, two rows a
// vector.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#define FIT_BLOCK 256

/// Swift's `max(x, 0)`: `0 >= x ? 0 : x` (NaN stays NaN, −0 gives +0).
static inline double max0(double x) { return 0.0 >= x ? 0.0 : x; }

/// `a` where `mask` is all ones, `b` where it is 0: the bits of `cond ? a : b`, with no branch.
static inline double pick(uint64_t mask, double a, double b) {
    uint64_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    const uint64_t r = (ua & mask) | (ub & ~mask);
    double out;
    memcpy(&out, &r, sizeof out);
    return out;
}

/// All ones when `condition` holds, else 0. The empty `asm` hides from the
/// compiler that the mask is one or the other, which it would otherwise
/// turn back into a branch.
static inline uint64_t maskOf(int condition) {
    uint64_t mask = (uint64_t)0 - (uint64_t)(condition != 0);
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(mask));
#endif
    return mask;
}

/// `σ(η)` and `σ(−η)` of a block's rows from `e = exp(−|η|)`: `1/(1 + e)`
/// on the side of `η`'s sign and `e/(1 + e)` on the other. A loop of its own
/// with no call, which the compiler runs two rows a vector (one packed
/// division for two, the same correctly rounded quotients).
static void sigmoids(const double *eta, const double *e, double *p, double *q, size_t count) {
    for (size_t k = 0; k < count; k++) {
        const double near = 1 / (1 + e[k]), far = e[k] / (1 + e[k]);
        p[k] = eta[k] >= 0 ? near : far;
        q[k] = eta[k] >= 0 ? far : near;
    }
}

void calib_logistic_pass(const double *features, size_t featureCount, const int32_t *labels, const double *weights,
                         size_t start, size_t end, ptrdiff_t excludedFold, const double *theta, int withLoss,
                         double *out) {
    const int two = featureCount == 2;
    const double t0 = theta[0], t1 = theta[1], t2 = two ? theta[2] : 0.0;
    double loss = 0.0, floor = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0;
    double h00 = 0.0, h10 = 0.0, h11 = 0.0, h20 = 0.0, h21 = 0.0, h22 = 0.0;
    ptrdiff_t fold = (ptrdiff_t)(start % calib_fit_folds);
    size_t rowAt[FIT_BLOCK];
    double etaAt[FIT_BLOCK], expAt[FIT_BLOCK], logAt[FIT_BLOCK], pAt[FIT_BLOCK], qAt[FIT_BLOCK];
    size_t i = start;
    while (i < end) {
        // The block's included rows, their η and exp(−|η|) (and log1p of it).
        size_t count = 0;
        for (; i < end && count < FIT_BLOCK; i++) {
            const double w = weights[i];
            const int included = fold != excludedFold && w > 0;
            fold = fold == calib_fit_folds - 1 ? 0 : fold + 1;
            if (!included) continue;
            double eta;
            if (two) {
                eta = t0 * features[2 * i] + t1 * features[2 * i + 1] + t2;
            } else {
                eta = t0 * features[i] + t1;
            }
            rowAt[count] = i;
            etaAt[count] = eta;
            count++;
        }
        for (size_t k = 0; k < count; k++) expAt[k] = exp(-fabs(etaAt[k]));
        if (withLoss) {
            for (size_t k = 0; k < count; k++) logAt[k] = log1p(expAt[k]);
        }
        sigmoids(etaAt, expAt, pAt, qAt, count);
        // Their terms, added in row order.
        for (size_t k = 0; k < count; k++) {
            const size_t r = rowAt[k];
            const double weight = weights[r], eta = etaAt[k], p = pAt[k], q = qAt[k];
            const uint64_t positive = maskOf(labels[r] == 1);
            if (withLoss) loss += weight * (max0(eta) + logAt[k] - pick(positive, eta, 0.0));
            floor += weight * max0(pick(positive, -eta, eta));
            const double rr = weight * pick(positive, -q, p);
            const double v = weight * p * q;
            if (two) {
                const double x0 = features[2 * r], x1 = features[2 * r + 1];
                g0 += rr * x0; g1 += rr * x1; g2 += rr;
                h00 += v * x0 * x0;
                h10 += v * x1 * x0; h11 += v * x1 * x1;
                h20 += v * x0; h21 += v * x1; h22 += v;
            } else {
                const double x0 = features[r];
                g0 += rr * x0; g1 += rr;
                h00 += v * x0 * x0;
                h10 += v * x0; h11 += v;
            }
        }
    }
    out[0] = loss;
    out[1] = floor;
    if (two) {
        out[2] = g0; out[3] = g1; out[4] = g2;
        out[5] = h00; out[6] = h10; out[7] = h20;
        out[8] = h10; out[9] = h11; out[10] = h21;
        out[11] = h20; out[12] = h21; out[13] = h22;
    } else {
        out[2] = g0; out[3] = g1;
        out[4] = h00; out[5] = h10; out[6] = h10; out[7] = h11;
    }
}

void calib_temperature_pass(const double *z, const int32_t *labels, const double *weights, size_t start, size_t end,
                            ptrdiff_t excludedFold, double beta, int slopeAtZero, double *out) {
    double g = 0.0, h = 0.0, gz = 0.0;
    ptrdiff_t fold = (ptrdiff_t)(start % calib_fit_folds);
    size_t rowAt[FIT_BLOCK];
    double etaAt[FIT_BLOCK], expAt[FIT_BLOCK], pAt[FIT_BLOCK], qAt[FIT_BLOCK];
    size_t i = start;
    while (i < end) {
        size_t count = 0;
        for (; i < end && count < FIT_BLOCK; i++) {
            const double w = weights[i];
            const int included = fold != excludedFold && w > 0;
            fold = fold == calib_fit_folds - 1 ? 0 : fold + 1;
            if (!included) continue;
            rowAt[count] = i;
            etaAt[count] = beta * z[i];
            count++;
        }
        for (size_t k = 0; k < count; k++) expAt[k] = exp(-fabs(etaAt[k]));
        sigmoids(etaAt, expAt, pAt, qAt, count);
        for (size_t k = 0; k < count; k++) {
            const size_t r = rowAt[k];
            const double w = weights[r], l = z[r], p = pAt[k], q = qAt[k];
            const double y = pick(maskOf(labels[r] == 1), l, 0.0);
            g += w * (p * l - y);
            h += w * p * q * l * l;
            if (slopeAtZero) {
                // σ(0·ℓ) is 0.5 for a finite ℓ, NaN otherwise.
                const double p0 = isfinite(l) ? 0.5 : NAN;
                gz += w * (p0 * l - y);
            }
        }
    }
    out[0] = g;
    out[1] = h;
    if (slopeAtZero) out[2] = gz;
}
