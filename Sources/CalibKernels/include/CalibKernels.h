#ifndef CALIB_KERNELS_H
#define CALIB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The bootstrap's inner loops over replicates (SPEC section 10), in C so
/// that one source runs 8 doubles at a time on AVX-512, AVX2 or SSE2, chosen at
/// run time. Every lane does the same IEEE operations in the same order on every
/// path (a fused multiply-add is `fma`'s exact rounding on each), so the results
/// are bit-identical whatever the CPU.

/// The Poisson count thresholds `calib_poisson_counts` takes: counts stop at this many.
#define CALIB_POISSON_THRESHOLDS 8

/// Poisson(1) counts `m_ir` of `rows` rows, lanes `first ..< first + lanes`
/// (`first` a multiple of 16, `lanes` of 8): row `i`, keyed `keys[i]`, gets
/// `counts[i * countStride + r - first]`, the count for `r < replicates` and 0
/// from `replicates` on. Replicates `4j ..< 4j + 4` take the 16-bit quarters
/// `u` of `mix(key + (j + 1)·γ)` (SplitMix64's finaliser and increment), lowest
/// first, and `m = #{k < CALIB_POISSON_THRESHOLDS : u ≥ thresholds[k]}`; so a
/// lane's count is the same whatever block of lanes it is drawn in. The
/// thresholds increase and each is at least 1 (the AVX2 path compares `u ≥ T`
/// as the signed `u ⊕ 2¹⁵ > (T − 1) ⊕ 2¹⁵`).
void calib_poisson_counts(const uint64_t *keys, size_t rows, size_t replicates, size_t first, size_t lanes,
                          const uint16_t *thresholds, uint8_t *counts, size_t countStride);

/// Adds `n` rows' terms to per-replicate sums: for `t < n`, the row with counts
/// `m = counts + rows[t] * countStride` and values `v = values + valueAt[t]`,
/// and each lane `r < lanes` (a multiple of 8):
/// `sums[q * stride + r] = fma(s_q(m_r), v[q], sums[q * stride + r])`, where `s_q(m) = m` for the first
/// `linear` values, `m · m` for the next `squared` and `min(m, 1)` for the next
/// `counted`. Rows are added in the order given.
void calib_replicate_sums(double *sums, size_t stride, size_t lanes, const uint8_t *counts, size_t countStride,
                          const uint32_t *rows, const uint32_t *valueAt, size_t n, const double *values,
                          size_t linear, size_t squared, size_t counted);

/// The counts' own sums over `n` rows (`n < 2²⁴`), for terms equal to 1:
/// `out[r] = Σ_t m_r`, and with `outputs` 3 also `out[stride + r] = Σ_t m_r²`
/// and `out[2 * stride + r] = Σ_t min(m_r, 1)`, for each lane `r < lanes`
/// (a multiple of 8), with `m = counts + rows[t] * countStride`. Exact: the
/// same doubles as `calib_replicate_sums` on values of 1.
void calib_count_sums(double *out, size_t outputs, size_t stride, size_t lanes, const uint8_t *counts, size_t countStride,
                      const uint32_t *rows, size_t n);

/// `calib_count_sums` with one output, added to `target`: for each lane `r < used`
/// (`used ≤ lanes`, `lanes` a multiple of 8), `target[r] += Σ_t m_r` over the `n`
/// rows, `m = counts + rows[t] * countStride` (`n < 2²⁴`): the same doubles as
/// the sums written out and then added.
void calib_count_sums_add(double *target, size_t used, size_t lanes, const uint8_t *counts, size_t countStride,
                          const uint32_t *rows, size_t n);

/// A pattern's sums added to the slots they go to: for each pair `e < pairs`
/// and lane `l < used`, `base[targets[2e] * stride + first + l] += sums[targets[2e + 1] * sumStride + l]`,
/// pairs in order (the same doubles as the plain loop).
void calib_scatter_add(double *base, size_t stride, size_t first, const ptrdiff_t *targets, size_t pairs,
                       const double *sums, size_t sumStride, size_t used);

/// `calib_count_sums` with 3 outputs, and each group's own `Σ m`, in one
/// pass over rows that come in `groups` runs: `out` gets `Σ m`, `Σ m²` and
/// `Σ min(m, 1)` over all the rows `rows[0 ..< groupEnds[groups − 1]]` (lanes
/// `r < lanes`, a multiple of 8), and group `g`, rows `groupEnds[g − 1] ..< groupEnds[g]`
/// (from 0), adds its `Σ m` to the lanes `cellCounts[(groupCells[g] >> 1) · cellStride + r]`,
/// or stores it there when `groupCells[g]` is odd (its cell's first group).
/// Exact in 32-bit integers while a cell's rows are fewer than 2²⁴.
void calib_count_sums_grouped(double *out, size_t stride, size_t lanes, const uint8_t *counts, size_t countStride,
                              const uint32_t *rows, const uint32_t *groupEnds, const uint32_t *groupCells, size_t groups,
                              uint32_t *cellCounts, size_t cellStride);

/// Each cell's integer sums added to its run, as `calib_count_sums_add` adds
/// them: `targets[offsets[v] + r] += cellCounts[v · cellStride + r]` for each
/// cell `v < cells` and lane `r < used`.
void calib_add_cell_counts(double *targets, const size_t *offsets, size_t cells, const uint32_t *cellCounts,
                           size_t cellStride, size_t used);

/// A chunk's plain sums folded into compensated totals, lane by lane:
/// for each `i < n` with `guard == NULL` or `guard[i] != 0`, `CompensatedSum.add`
/// of `x[i]` to the running sum `sums[i]` and compensation `compensations[i]`:
/// `t = s + x; c += |s| ≥ |x| ? (s − t) + x : (x − t) + s; s = t` (the same
/// doubles as the Swift method; lanes whose guard is 0 are left as they are).
void calib_fold_sums(double *sums, double *compensations, const double *x, const double *guard, size_t n);

/// The smooth ECE's convolution at 8 neighbouring outputs a block: for each
/// block start `o = blocks[b]` and each `i < 8`,
/// `outWeights[o + i] = Σ_{m = lo…hi} weights[o + i + shift − m] · kernel[m]`
/// (and `outResiduals` from `residuals` alike), each sum from 0 in ascending
/// `m`, a product then a sum (no fused multiply-add): `SmoothECEGrid`'s
/// convolution, output by output, to the bit.
void calib_smooth_convolve(const double *weights, const double *residuals, const double *kernel, size_t lo, size_t hi,
                           ptrdiff_t shift, const size_t *blocks, size_t blockCount, double *outWeights, double *outResiduals);

/// The path the kernels take: 2 AVX-512, 1 AVX2, 0 the baseline (SSE2, or
/// plain C elsewhere); the widest this CPU runs unless set.
int calib_kernel_level(void);

/// Makes the kernels take `level`'s path, clamped to what this CPU runs, and
/// returns the level taken (for tests: every path must give the same bits).
int calib_set_kernel_level(int level);

#endif

// Fit kernels
#ifndef CALIB_FIT_KERNELS_H
#define CALIB_FIT_KERNELS_H

/// The cross-fit's folds: row `i` is in fold `i mod calib_fit_folds` (`Recalibration.folds` reads it).
enum { calib_fit_folds = 5 };

/// One chunk of a Platt or beta fit's pass (`LogisticRows.evaluate`, Sources/CalibKernels/FitKernels.c):
/// over rows `start ..< end` with positive weight whose fold (`i mod 5`) is not
/// `excludedFold` (−1: none), `η = θ₀·x₀ + θ₁` (`featureCount` 1, `x₀ = features[i]`) or
/// `θ₀·x₀ + θ₁·x₁ + θ₂` (2, row-major), `e = exp(−|η|)`, `σ(η)` and `σ(−η)` as
/// `1/(1 + e)` and `e/(1 + e)`; writes the sums of the loss `w·(max(η, 0) + log1p(e) − y·η)`
/// (only when `withLoss`, else 0), its floor `w·max(±η, 0)`, the gradient and the Hessian
/// (row-major): `out[0 ..< 2 + d + d²]`, `d = featureCount + 1`, each sum in row order, the
/// same operations and libm calls as the Swift loop it replaces (the same bits).
void calib_logistic_pass(const double *features, size_t featureCount, const int32_t *labels, const double *weights,
                         size_t start, size_t end, ptrdiff_t excludedFold, const double *theta, int withLoss,
                         double *out);

/// One chunk of a binary temperature fit's pass (`TemperatureRows.binaryPass`): over the
/// included rows (as above) of logits `ℓ = z[i]`, `L'(β) = Σ w·(σ(βℓ)·ℓ − y·ℓ)` into `out[0]`,
/// `L''(β) = Σ w·σ(βℓ)σ(−βℓ)·ℓ²` into `out[1]`, and with `slopeAtZero` `L'(0)` (`σ(0·ℓ)` 0.5
/// for a finite `ℓ`, NaN otherwise) into `out[2]`; row order, the Swift loop's operations.
void calib_temperature_pass(const double *z, const int32_t *labels, const double *weights, size_t start, size_t end,
                            ptrdiff_t excludedFold, double beta, int slopeAtZero, double *out);

#endif
