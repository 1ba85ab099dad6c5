#include "CalibKernels.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Every path below does the same IEEE operations lane by lane: a fused
// multiply-add is explicit (`fma`, exact on every path, in hardware on AVX2
// and AVX-512) and never formed by the compiler from a multiply and an add.
#pragma clang fp contract(off)

typedef double v8d __attribute__((ext_vector_type(8)));
typedef uint64_t v8u64 __attribute__((ext_vector_type(8)));
typedef uint8_t v8u8 __attribute__((ext_vector_type(8)));

static const uint64_t GAMMA = 0x9E3779B97F4A7C15ull;

#define AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define AVX2 __attribute__((target("avx2,fma")))
#define ALWAYS static inline __attribute__((always_inline))

// Vector helpers are macros: a function taking or returning a vector would
// change its calling convention with each target it is compiled for.
#define MIX8(z0) ({                                                                     \
    v8u64 z_ = (z0);                                                                    \
    z_ = (z_ ^ (z_ >> 30)) * 0xBF58476D1CE4E5B9ull;                                     \
    z_ = (z_ ^ (z_ >> 27)) * 0x94D049BB133111EBull;                                     \
    z_ ^ (z_ >> 31); })

ALWAYS uint64_t mix1(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef uint16_t v32u16 __attribute__((ext_vector_type(32)));
typedef int16_t v32i16 __attribute__((ext_vector_type(32)));
typedef uint8_t v32u8 __attribute__((ext_vector_type(32)));

/// Counts of 32 uniforms of 16 bits: the first five thresholds lane-wise (all
/// counts but those ≥ 6, P ≈ 0.06%); a vector with a lane at or above the
/// sixth threshold (about 2 in 100) takes the other two lane-wise too (the
/// thresholds increase, so a count is the number at or below its uniform).
#define COUNT32(u0, t, out) do {                                                        \
    const v32u16 u_ = (u0);                                                             \
    v32i16 m_ = 0;                                                                      \
    m_ -= (v32i16)(u_ >= (t)[0]);                                                       \
    m_ -= (v32i16)(u_ >= (t)[1]);                                                       \
    m_ -= (v32i16)(u_ >= (t)[2]);                                                       \
    m_ -= (v32i16)(u_ >= (t)[3]);                                                       \
    m_ -= (v32i16)(u_ >= (t)[4]);                                                       \
    const v32i16 tail_ = (v32i16)(u_ >= (t)[5]);                                        \
    if (__builtin_reduce_or(tail_)) {                                                   \
        m_ -= tail_;                                                                    \
        for (int k_ = 6; k_ < CALIB_POISSON_THRESHOLDS; k_++) m_ -= (v32i16)(u_ >= (t)[k_]); \
    }                                                                                   \
    (out) = __builtin_convertvector(m_, v32u8);                                         \
} while (0)

/* Each row's counts of lanes `first ..< first + lanes`, 32 at a time (mixes from
   `first / 4`); lanes at or past `replicates` are zeroed, and the last vector
   stores the 8, 16, 24 or 32 lanes left. */
#define POISSON_BODY                                                                    \
    uint16_t t[CALIB_POISSON_THRESHOLDS];                                               \
    for (int k = 0; k < CALIB_POISSON_THRESHOLDS; k++) t[k] = thresholds[k];            \
    const v32u8 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,           \
                        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}; \
    /* `key + j·γ` for the first 8 mixes `j`, stepped by `8γ` (mod 2⁶⁴: no multiply per step). */ \
    const v8u64 mix0 = ((v8u64){1, 2, 3, 4, 5, 6, 7, 8} + (uint64_t)(first / 4)) * GAMMA; \
    const uint64_t step = 8 * GAMMA;                                                    \
    for (size_t i = 0; i < rows; i++) {                                                 \
        uint8_t *out = counts + i * countStride;                                        \
        v8u64 z = keys[i] + mix0;                                                       \
        for (size_t r = 0; r < lanes; r += 32, z += step) {                             \
            /* Lane 4l + q of the 16-bit view is bits 16q ..< 16q + 16 of x_l. */        \
            const v8u64 x = MIX8(z);                                                    \
            v32u8 m;                                                                    \
            COUNT32((v32u16)x, t, m);                                                   \
            if (first + r + 32 > replicates) {                                          \
                const size_t kept_ = replicates > first + r ? replicates - first - r : 0; \
                m &= __builtin_convertvector(lane < (uint8_t)kept_, v32u8);             \
            }                                                                           \
            /* Fixed-size copies: a memcpy of a variable length is a call. */         \
            const size_t left_ = lanes - r;                                             \
            if (left_ >= 32) memcpy(out + r, &m, 32);                                   \
            else if (left_ == 24) memcpy(out + r, &m, 24);                              \
            else if (left_ == 16) memcpy(out + r, &m, 16);                              \
            else memcpy(out + r, &m, 8);                                                \
        }                                                                               \
    }

#define POISSON_PARAMS const uint64_t *keys, size_t rows, size_t replicates, size_t first, size_t lanes, \
    const uint16_t *thresholds, uint8_t *counts, size_t countStride

AVX512 static void poisson_avx512(POISSON_PARAMS) { POISSON_BODY }
static void poisson_base(POISSON_PARAMS) { POISSON_BODY }

#if defined(__x86_64__)
/* AVX2 has no 64-bit multiply and no unsigned compare; this path spells out
   the same arithmetic in AVX2's own operations. */

/// `a · c` mod 2⁶⁴ lane-wise, `c` given twice: `lo` its 64-bit lanes, `swapped`
/// its 32-bit halves exchanged: `lo(a)·lo(c) + (lo(a)·hi(c) + hi(a)·lo(c)) · 2³²`.
AVX2 ALWAYS __m256i multiply64_avx2(__m256i a, __m256i lo, __m256i swapped) {
    const __m256i cross = _mm256_mullo_epi32(a, swapped);
    const __m256i high = _mm256_slli_epi64(_mm256_add_epi32(cross, _mm256_srli_epi64(cross, 32)), 32);
    return _mm256_add_epi64(_mm256_mul_epu32(a, lo), high);
}

/// SplitMix64's output function (`mix1`) on four lanes.
AVX2 ALWAYS __m256i mix4_avx2(__m256i z, const __m256i c[4]) {
    z = multiply64_avx2(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), c[0], c[1]);
    z = multiply64_avx2(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), c[2], c[3]);
    return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

/// One vector's 16 counts (four mixes, replicates in lane order) in 16-bit
/// lanes: `u ≥ T_k` is the signed `u ⊕ 2¹⁵ > (T_k − 1) ⊕ 2¹⁵` (every
/// `T_k ≥ 1`), each true comparison's −1 subtracted; `tail` is the lanes at or
/// above the sixth threshold, which the caller adds with the last two.
#define COUNT16_AVX2(u, t, m, tail) do {                                                \
        m = _mm256_setzero_si256();                                                     \
        for (int k_ = 0; k_ < 5; k_++) m = _mm256_sub_epi16(m, _mm256_cmpgt_epi16(u, t[k_])); \
        tail = _mm256_cmpgt_epi16(u, t[5]);                                             \
    } while (0)
#define COUNT16_TAIL_AVX2(u, t, m, tail) do {                                           \
        m = _mm256_sub_epi16(m, tail);                                                  \
        for (int k_ = 6; k_ < CALIB_POISSON_THRESHOLDS; k_++) m = _mm256_sub_epi16(m, _mm256_cmpgt_epi16(u, t[k_])); \
    } while (0)

/* `POISSON_BODY` in AVX2: two rows a step, each two vectors of four mixes (32
   counts), their 16-bit counts packed to bytes; a row's last 8, 16 or 24 lanes
   in a step of their own after the loop (a branch inside it cost the loop its
   registers: 11% of the kernel's time). */
AVX2 static void poisson_avx2(POISSON_PARAMS) {
    __m256i t[CALIB_POISSON_THRESHOLDS];
    for (int k = 0; k < CALIB_POISSON_THRESHOLDS; k++) t[k] = _mm256_set1_epi16((int16_t)((thresholds[k] - 1u) ^ 0x8000u));
    const __m256i sign = _mm256_set1_epi16(INT16_MIN);
    const uint64_t m1 = 0xBF58476D1CE4E5B9ull, m2 = 0x94D049BB133111EBull;
    const __m256i c[4] = {
        _mm256_set1_epi64x((int64_t)m1), _mm256_set1_epi64x((int64_t)(m1 >> 32 | m1 << 32)),
        _mm256_set1_epi64x((int64_t)m2), _mm256_set1_epi64x((int64_t)(m2 >> 32 | m2 << 32)),
    };
    const uint64_t q = first / 4;
    const __m256i mixA = _mm256_setr_epi64x((int64_t)((q + 1) * GAMMA), (int64_t)((q + 2) * GAMMA),
                                            (int64_t)((q + 3) * GAMMA), (int64_t)((q + 4) * GAMMA));
    const __m256i mixB = _mm256_setr_epi64x((int64_t)((q + 5) * GAMMA), (int64_t)((q + 6) * GAMMA),
                                            (int64_t)((q + 7) * GAMMA), (int64_t)((q + 8) * GAMMA));
    const __m256i step = _mm256_set1_epi64x((int64_t)(8 * GAMMA));
    const __m256i laneIndex = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                               16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    /* The vector's lanes at or past `replicates` zeroed (`r` its first lane), then stored at `out + r`: `left` lanes, 8 to 32. */
#define STORE_COUNTS(bytes, out, r, left) do {                                           \
        __m256i b_ = (bytes);                                                           \
        if (first + (r) + 32 > replicates) {                                            \
            const size_t kept_ = replicates > first + (r) ? replicates - first - (r) : 0; \
            b_ = _mm256_and_si256(b_, _mm256_cmpgt_epi8(_mm256_set1_epi8((char)kept_), laneIndex)); \
        }                                                                               \
        if ((left) >= 32) _mm256_storeu_si256((__m256i *)(out + (r)), b_);              \
        else {                                                                          \
            const __m128i low_ = _mm256_castsi256_si128(b_);                            \
            if ((left) >= 16) {                                                         \
                _mm_storeu_si128((__m128i *)(out + (r)), low_);                         \
                if ((left) == 24) _mm_storel_epi64((__m128i *)(out + (r) + 16), _mm256_extracti128_si256(b_, 1)); \
            } else _mm_storel_epi64((__m128i *)(out + (r)), low_);                      \
        }                                                                               \
    } while (0)
    /* 32 counts of a row from its two vectors' uniforms `uA`, `uB` (each already ⊕ `sign`): `mA`, `mB`
       from the first five thresholds, and whether a lane reaches the sixth, OR-ed into `tail`. */
#define STEP_COUNTS(uA, uB, mA, mB, tail) do {                                           \
        __m256i tA_, tB_;                                                               \
        COUNT16_AVX2(uA, t, mA, tA_);                                                   \
        COUNT16_AVX2(uB, t, mB, tB_);                                                   \
        tail = _mm256_or_si256(tail, _mm256_or_si256(tA_, tB_));                        \
    } while (0)
    /* The rare lanes at or above the sixth threshold: the other thresholds, lane-wise. */
#define TAIL_COUNTS(uA, uB, mA, mB) do {                                                 \
        __m256i tA_ = _mm256_cmpgt_epi16(uA, t[5]), tB_ = _mm256_cmpgt_epi16(uB, t[5]); \
        COUNT16_TAIL_AVX2(uA, t, mA, tA_);                                              \
        COUNT16_TAIL_AVX2(uB, t, mB, tB_);                                              \
    } while (0)
    /* Packing interleaves the 128-bit halves: A0–7 B0–7 | A8–15 B8–15, put back in order. */
#define PACKED(mA, mB) _mm256_permute4x64_epi64(_mm256_packus_epi16(mA, mB), 0xD8)
    /* A row's last 8, 16 or 24 lanes: the second vector only past 16. */
#define LAST_COUNTS(zA, zB, out, r) do {                                                 \
        const size_t left_ = lanes - (r);                                               \
        const __m256i uA_ = _mm256_xor_si256(mix4_avx2(zA, c), sign);                   \
        __m256i mA_, tailA_, mB_ = _mm256_setzero_si256(), tailB_;                      \
        COUNT16_AVX2(uA_, t, mA_, tailA_);                                              \
        if (!_mm256_testz_si256(tailA_, tailA_)) COUNT16_TAIL_AVX2(uA_, t, mA_, tailA_); \
        if (left_ > 16) {                                                               \
            const __m256i uB_ = _mm256_xor_si256(mix4_avx2(zB, c), sign);               \
            COUNT16_AVX2(uB_, t, mB_, tailB_);                                          \
            if (!_mm256_testz_si256(tailB_, tailB_)) COUNT16_TAIL_AVX2(uB_, t, mB_, tailB_); \
        }                                                                               \
        uint8_t *const out_ = (out);                                                    \
        STORE_COUNTS(PACKED(mA_, mB_), out_, r, left_);                                 \
    } while (0)
    const size_t whole = lanes & ~(size_t)31;
    size_t i = 0;
    /* Two rows a step: four independent mixes in flight (one row's two left the core waiting on their latency: 10%). */
    for (; i + 1 < rows; i += 2) {
        uint8_t *const out = counts + i * countStride, *const next = out + countStride;
        const __m256i key = _mm256_set1_epi64x((int64_t)keys[i]), nextKey = _mm256_set1_epi64x((int64_t)keys[i + 1]);
        __m256i zA = _mm256_add_epi64(key, mixA), zB = _mm256_add_epi64(key, mixB);
        __m256i yA = _mm256_add_epi64(nextKey, mixA), yB = _mm256_add_epi64(nextKey, mixB);
        size_t r = 0;
        for (; r < whole; r += 32) {
            const __m256i uA = _mm256_xor_si256(mix4_avx2(zA, c), sign), uB = _mm256_xor_si256(mix4_avx2(zB, c), sign);
            const __m256i vA = _mm256_xor_si256(mix4_avx2(yA, c), sign), vB = _mm256_xor_si256(mix4_avx2(yB, c), sign);
            zA = _mm256_add_epi64(zA, step); zB = _mm256_add_epi64(zB, step);
            yA = _mm256_add_epi64(yA, step); yB = _mm256_add_epi64(yB, step);
            __m256i mA, mB, nA, nB, tail = _mm256_setzero_si256();
            STEP_COUNTS(uA, uB, mA, mB, tail);
            STEP_COUNTS(vA, vB, nA, nB, tail);
            if (!_mm256_testz_si256(tail, tail)) {
                TAIL_COUNTS(uA, uB, mA, mB);
                TAIL_COUNTS(vA, vB, nA, nB);
            }
            STORE_COUNTS(PACKED(mA, mB), out, r, 32);
            STORE_COUNTS(PACKED(nA, nB), next, r, 32);
        }
        if (r < lanes) {
            LAST_COUNTS(zA, zB, out, r);
            LAST_COUNTS(yA, yB, next, r);
        }
    }
    if (i < rows) {
        uint8_t *const out = counts + i * countStride;
        const __m256i key = _mm256_set1_epi64x((int64_t)keys[i]);
        __m256i zA = _mm256_add_epi64(key, mixA), zB = _mm256_add_epi64(key, mixB);
        size_t r = 0;
        for (; r < whole; r += 32, zA = _mm256_add_epi64(zA, step), zB = _mm256_add_epi64(zB, step)) {
            const __m256i uA = _mm256_xor_si256(mix4_avx2(zA, c), sign), uB = _mm256_xor_si256(mix4_avx2(zB, c), sign);
            __m256i mA, mB, tail = _mm256_setzero_si256();
            STEP_COUNTS(uA, uB, mA, mB, tail);
            if (!_mm256_testz_si256(tail, tail)) TAIL_COUNTS(uA, uB, mA, mB);
            STORE_COUNTS(PACKED(mA, mB), out, r, 32);
        }
        if (r < lanes) LAST_COUNTS(zA, zB, out, r);
    }
#undef STEP_COUNTS
#undef TAIL_COUNTS
#undef PACKED
#undef LAST_COUNTS
#undef STORE_COUNTS
}
#else
static void poisson_avx2(POISSON_PARAMS) { POISSON_BODY }
#endif

#define LOAD8(p) ({ v8d v_; memcpy(&v_, (p), sizeof v_); v_; })
#define STORE8(p, v) do { const v8d v_ = (v); memcpy((p), &v_, sizeof v_); } while (0)
#define COUNTS8(p) ({ v8u8 c_; memcpy(&c_, (p), sizeof c_); __builtin_convertvector(c_, v8d); })

/// One kind's values `q0 ..< q0 + W` of a pattern's rows, for the `8·NB`
/// replicates from `r`: `W·NB` sums held in registers across the rows, so that
/// per row and 8 replicates there is one conversion of the counts and `W`
/// fused multiply-adds, with `NB` independent chains to hide their latency.
ALWAYS void sums_block(const int W, const int NB, const int kind, double *sums, size_t stride,
                       const uint8_t *counts, size_t countStride, const uint32_t *rows,
                       const uint32_t *valueAt, size_t n, const double *values, size_t r, size_t q0) {
    const v8d one = 1.0;
    v8d a[4][8];
    for (int b = 0; b < NB; b++)
        for (int w = 0; w < W; w++) a[b][w] = LOAD8(sums + (q0 + w) * stride + r + 8 * b);
    for (size_t t = 0; t < n; t++) {
        const uint8_t *m0 = counts + (size_t)rows[t] * countStride + r;
        const double *v = values + valueAt[t] + q0;
        for (int b = 0; b < NB; b++) {
            const v8d m = COUNTS8(m0 + 8 * b);
            const v8d s = kind == 0 ? m : kind == 1 ? m * m : __builtin_elementwise_min(m, one);
            for (int w = 0; w < W; w++) a[b][w] = __builtin_elementwise_fma(s, (v8d)v[w], a[b][w]);
        }
    }
    for (int b = 0; b < NB; b++)
        for (int w = 0; w < W; w++) STORE8(sums + (q0 + w) * stride + r + 8 * b, a[b][w]);
}

/// All lanes of `W` values: `8 · SUMS_BLOCKS(W)` replicates at a time, then the rest 8 at a time.
#define SUMS_LANES(W, KIND, q0) do {                                                    \
    size_t r_ = 0;                                                                      \
    const size_t wide_ = 8 * SUMS_BLOCKS(W);                                            \
    for (; r_ + wide_ <= lanes; r_ += wide_)                                            \
        sums_block(W, SUMS_BLOCKS(W), KIND, SUMS_ARGS, r_, q0);                         \
    for (; r_ < lanes; r_ += 8) sums_block(W, 1, KIND, SUMS_ARGS, r_, q0);              \
} while (0)

/// A kind's values `SUMS_VALUES` at a time (at most 8).
#define SUMS_KIND(KIND, FIRST, COUNT)                                                   \
    for (size_t q0 = (FIRST); q0 < (FIRST) + (COUNT); q0 += SUMS_VALUES) {              \
        const size_t w_ = (FIRST) + (COUNT) - q0 < SUMS_VALUES ? (FIRST) + (COUNT) - q0 : SUMS_VALUES; \
        switch (w_) {                                                                   \
        case 1: SUMS_LANES(1, KIND, q0); break;                                         \
        case 2: SUMS_LANES(2, KIND, q0); break;                                         \
        case 3: SUMS_LANES(3, KIND, q0); break;                                         \
        case 4: SUMS_LANES(4, KIND, q0); break;                                         \
        case 5: SUMS_LANES(5, KIND, q0); break;                                         \
        case 6: SUMS_LANES(6, KIND, q0); break;                                         \
        case 7: SUMS_LANES(7, KIND, q0); break;                                         \
        default: SUMS_LANES(8, KIND, q0); break;                                        \
        }                                                                               \
    }

#define SUMS_ARGS sums, stride, counts, countStride, rows, valueAt, n, values
#define SUMS_BODY                                                                       \
    SUMS_KIND(0, 0, linear)                                                             \
    SUMS_KIND(1, linear, squared)                                                       \
    SUMS_KIND(2, linear + squared, counted)

#define SUMS_PARAMS double *sums, size_t stride, size_t lanes, const uint8_t *counts, size_t countStride, \
    const uint32_t *rows, const uint32_t *valueAt, size_t n, const double *values,        \
    size_t linear, size_t squared, size_t counted

/* Register budgets: a sum of 8 lanes is one AVX-512 register (32 of them)
   but two AVX2 ones (16 of them): the sums a block keeps must fit, or the
   compiler spills them to the stack on every row. Any split gives the same
   bits: each lane's sum takes its rows in order whatever the blocks. */
#define SUMS_VALUES 8
#define SUMS_BLOCKS(W) ((W) <= 4 ? 4 : 2)
AVX512 static void sums_avx512(SUMS_PARAMS) { SUMS_BODY }
static void sums_base(SUMS_PARAMS) { SUMS_BODY }
#undef SUMS_VALUES
#undef SUMS_BLOCKS
#define SUMS_VALUES 4
#define SUMS_BLOCKS(W) ((W) <= 1 ? 4 : (W) <= 2 ? 2 : 1)
AVX2 static void sums_avx2(SUMS_PARAMS) { SUMS_BODY }

/// The counts' own sums over the rows, per lane: `Σ m`, and with `outputs`
/// 3 also `Σ m²` and `Σ min(m, 1)`, in 32-bit integers (exact for n < 2²⁴),
/// written as doubles to `out[j * stride + r]`.
#define COUNT_SUMS_BODY                                                                 \
    typedef uint32_t v16u32_ __attribute__((ext_vector_type(16)));                       \
    typedef uint8_t v16u8_ __attribute__((ext_vector_type(16)));                         \
    typedef double v16d_ __attribute__((ext_vector_type(16)));                           \
    for (size_t r = 0; r < lanes; r += 16) {                                            \
        const size_t width = lanes - r >= 16 ? 16 : 8;                                  \
        v16u32_ s1 = 0, s2 = 0, s0 = 0;                                                 \
        for (size_t t = 0; t < n; t++) {                                                \
            v16u8_ c = 0;                                                               \
            const uint8_t *p_ = counts + (size_t)rows[t] * countStride + r;             \
            if (width == 16) memcpy(&c, p_, 16); else memcpy(&c, p_, 8);                \
            const v16u32_ m = __builtin_convertvector(c, v16u32_);                      \
            s1 += m;                                                                    \
            if (outputs == 3) { s2 += m * m; s0 += __builtin_elementwise_min(m, (v16u32_)1); } \
        }                                                                               \
        /* Fixed-size stores: a memcpy of a variable length is a call. */           \
        const v16d_ d1 = __builtin_convertvector(s1, v16d_);                            \
        const v16d_ d2 = __builtin_convertvector(s2, v16d_);                            \
        const v16d_ d0 = __builtin_convertvector(s0, v16d_);                            \
        if (width == 16) {                                                              \
            memcpy(out + r, &d1, sizeof d1);                                            \
            if (outputs == 3) {                                                         \
                memcpy(out + stride + r, &d2, sizeof d2);                               \
                memcpy(out + 2 * stride + r, &d0, sizeof d0);                           \
            }                                                                           \
        } else {                                                                        \
            const v8d h1 = d1.lo, h2 = d2.lo, h0 = d0.lo;                               \
            memcpy(out + r, &h1, sizeof h1);                                            \
            if (outputs == 3) {                                                         \
                memcpy(out + stride + r, &h2, sizeof h2);                               \
                memcpy(out + 2 * stride + r, &h0, sizeof h0);                           \
            }                                                                           \
        }                                                                               \
    }

#define COUNT_SUMS_PARAMS double *out, size_t outputs, size_t stride, size_t lanes, const uint8_t *counts, \
    size_t countStride, const uint32_t *rows, size_t n

AVX512 static void count_sums_avx512(COUNT_SUMS_PARAMS) { COUNT_SUMS_BODY }
AVX2 static void count_sums_avx2(COUNT_SUMS_PARAMS) { COUNT_SUMS_BODY }
static void count_sums_base(COUNT_SUMS_PARAMS) { COUNT_SUMS_BODY }

/// `Σ m` over the rows, per lane, added to `target[r]` for the lanes `r < used`
/// (`calib_count_sums` with one output, then the add: the same doubles).
#define COUNT_ADD_BODY                                                                  \
    typedef uint32_t v16u32_ __attribute__((ext_vector_type(16)));                       \
    typedef uint8_t v16u8_ __attribute__((ext_vector_type(16)));                         \
    typedef double v16d_ __attribute__((ext_vector_type(16)));                           \
    for (size_t r = 0; r < used; r += 16) {                                             \
        const size_t width = lanes - r >= 16 ? 16 : 8;                                  \
        v16u32_ s1 = 0;                                                                 \
        for (size_t t = 0; t < n; t++) {                                                \
            v16u8_ c = 0;                                                               \
            const uint8_t *p_ = counts + (size_t)rows[t] * countStride + r;             \
            if (width == 16) memcpy(&c, p_, 16); else memcpy(&c, p_, 8);                \
            s1 += __builtin_convertvector(c, v16u32_);                                  \
        }                                                                               \
        const v16d_ d1 = __builtin_convertvector(s1, v16d_);                            \
        if (used - r >= 16) {                                                           \
            v16d_ t_;                                                                   \
            memcpy(&t_, target + r, sizeof t_);                                         \
            t_ = t_ + d1;                                                               \
            memcpy(target + r, &t_, sizeof t_);                                         \
        } else {                                                                        \
            for (size_t i = 0; r + i < used; i++) target[r + i] += d1[i];               \
        }                                                                               \
    }

#define COUNT_ADD_PARAMS double *target, size_t used, size_t lanes, const uint8_t *counts, size_t countStride, \
    const uint32_t *rows, size_t n

AVX512 static void count_add_avx512(COUNT_ADD_PARAMS) { COUNT_ADD_BODY }
AVX2 static void count_add_avx2(COUNT_ADD_PARAMS) { COUNT_ADD_BODY }
static void count_add_base(COUNT_ADD_PARAMS) { COUNT_ADD_BODY }

/// `calib_count_sums` with 3 outputs over rows that come in groups, each
/// group's `Σ m` also stored (or added) to its cell's integer lanes: one pass
/// over the rows for both.
#define COUNT_GROUPS_BODY                                                               \
    typedef uint32_t v16u32_ __attribute__((ext_vector_type(16)));                       \
    typedef uint8_t v16u8_ __attribute__((ext_vector_type(16)));                         \
    typedef double v16d_ __attribute__((ext_vector_type(16)));                           \
    for (size_t r = 0; r < lanes; r += 16) {                                            \
        const size_t width = lanes - r >= 16 ? 16 : 8;                                  \
        v16u32_ s1 = 0, s2 = 0, s0 = 0;                                                 \
        size_t t = 0;                                                                   \
        for (size_t g = 0; g < groups; g++) {                                           \
            v16u32_ g1 = 0;                                                             \
            for (const size_t end = groupEnds[g]; t < end; t++) {                       \
                v16u8_ c = 0;                                                           \
                const uint8_t *p_ = counts + (size_t)rows[t] * countStride + r;         \
                if (width == 16) memcpy(&c, p_, 16); else memcpy(&c, p_, 8);            \
                const v16u32_ m = __builtin_convertvector(c, v16u32_);                  \
                g1 += m;                                                                \
                s2 += m * m;                                                            \
                s0 += __builtin_elementwise_min(m, (v16u32_)1);                         \
            }                                                                           \
            s1 += g1;                                                                   \
            uint32_t *cell_ = cellCounts + (size_t)(groupCells[g] >> 1) * cellStride + r; \
            if (width == 16) {                                                          \
                v16u32_ c_ = 0;                                                         \
                if (!(groupCells[g] & 1)) memcpy(&c_, cell_, sizeof c_);                \
                c_ += g1;                                                               \
                memcpy(cell_, &c_, sizeof c_);                                          \
            } else {                                                                    \
                for (size_t i = 0; i < 8; i++) cell_[i] = (groupCells[g] & 1 ? 0 : cell_[i]) + g1[i]; \
            }                                                                           \
        }                                                                               \
        const v16d_ d1 = __builtin_convertvector(s1, v16d_);                            \
        const v16d_ d2 = __builtin_convertvector(s2, v16d_);                            \
        const v16d_ d0 = __builtin_convertvector(s0, v16d_);                            \
        if (width == 16) {                                                              \
            memcpy(out + r, &d1, sizeof d1);                                            \
            memcpy(out + stride + r, &d2, sizeof d2);                                   \
            memcpy(out + 2 * stride + r, &d0, sizeof d0);                               \
        } else {                                                                        \
            const v8d h1 = d1.lo, h2 = d2.lo, h0 = d0.lo;                               \
            memcpy(out + r, &h1, sizeof h1);                                            \
            memcpy(out + stride + r, &h2, sizeof h2);                                   \
            memcpy(out + 2 * stride + r, &h0, sizeof h0);                               \
        }                                                                               \
    }

#define COUNT_GROUPS_PARAMS double *out, size_t stride, size_t lanes, const uint8_t *counts, size_t countStride, \
    const uint32_t *rows, const uint32_t *groupEnds, const uint32_t *groupCells, size_t groups, uint32_t *cellCounts, \
    size_t cellStride

AVX512 static void count_groups_avx512(COUNT_GROUPS_PARAMS) { COUNT_GROUPS_BODY }
static void count_groups_base(COUNT_GROUPS_PARAMS) { COUNT_GROUPS_BODY }

#if defined(__x86_64__)
/// Rows summed in 16 and 8 bits before they are widened: a 16-bit sum of
/// `m²` holds 455 rows (`m ≤ 12`: 455 · 144 < 2¹⁶), a byte's count of zeros 255.
#define COUNT_SPAN 255

/* `COUNT_GROUPS_BODY` with 16 lanes of 16 bits a register (half the
   instructions of 32-bit lanes, which need two registers and a widening a
   row): each row adds `m` and `m²` in 16 bits and counts `m = 0` in bytes
   (`Σ min(m, 1)` is the rows less the zeros), widened into the 32-bit sums
   every `COUNT_SPAN` rows and (`Σ m`) at each group's end. The rows of a
   stretch without a widening run in a loop of their own, one for 16 lanes
   and one for the last 8. The same whole numbers. */
AVX2 static void count_groups_avx2(COUNT_GROUPS_PARAMS) {
    const __m128i zero8 = _mm_setzero_si128();
#define WIDEN_ADD(lo, hi, v16) do {                                                      \
        lo = _mm256_add_epi32(lo, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(v16)));   \
        hi = _mm256_add_epi32(hi, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(v16, 1))); \
    } while (0)
/* One row's 16 (or 8) counts `c`: `m` and `m²` to the 16-bit sums, a zero to the byte counts. */
#define COUNT_ROW(LOAD) do {                                                             \
        const __m128i c = LOAD((const __m128i *)(at + (size_t)rows[t] * countStride));   \
        const __m256i m = _mm256_cvtepu8_epi16(c);                                       \
        g16 = _mm256_add_epi16(g16, m);                                                  \
        a2 = _mm256_add_epi16(a2, _mm256_mullo_epi16(m, m));                             \
        z8 = _mm_sub_epi8(z8, _mm_cmpeq_epi8(c, zero8));                                 \
    } while (0)
/* The span's `Σ m²` and `Σ min(m, 1)` (`spanRows` less the zeros) into the 32-bit sums. */
#define WIDEN_SPAN() do {                                                                \
        WIDEN_ADD(s2lo, s2hi, a2);                                                       \
        const __m256i nonzero_ = _mm256_sub_epi16(_mm256_set1_epi16((short)spanRows), _mm256_cvtepu8_epi16(z8)); \
        WIDEN_ADD(s0lo, s0hi, nonzero_);                                                 \
        a2 = _mm256_setzero_si256(); z8 = zero8; spanRows = 0;                           \
    } while (0)
    for (size_t r = 0; r < lanes; r += 16) {
        const int wide = lanes - r >= 16;
        const uint8_t *const at = counts + r;
        __m256i s1lo = _mm256_setzero_si256(), s1hi = s1lo, s2lo = s1lo, s2hi = s1lo, s0lo = s1lo, s0hi = s1lo;
        __m256i a2 = s1lo;
        __m128i z8 = zero8;
        size_t t = 0, spanRows = 0;
        for (size_t g = 0; g < groups; g++) {
            __m256i g16 = _mm256_setzero_si256(), glo = g16, ghi = g16;
            for (const size_t end = groupEnds[g]; t < end;) {
                /* The rows up to the group's end or the span's, whichever comes first. */
                const size_t stop = end - t <= COUNT_SPAN - spanRows ? end : t + (COUNT_SPAN - spanRows);
                spanRows += stop - t;
                if (wide) { for (; t < stop; t++) COUNT_ROW(_mm_loadu_si128); }
                else { for (; t < stop; t++) COUNT_ROW(_mm_loadl_epi64); }
                if (spanRows == COUNT_SPAN) {
                    WIDEN_ADD(glo, ghi, g16);
                    g16 = _mm256_setzero_si256();
                    WIDEN_SPAN();
                }
            }
            WIDEN_ADD(glo, ghi, g16);
            s1lo = _mm256_add_epi32(s1lo, glo);
            s1hi = _mm256_add_epi32(s1hi, ghi);
            uint32_t *cell_ = cellCounts + (size_t)(groupCells[g] >> 1) * cellStride + r;
            const int firstGroup = groupCells[g] & 1;
            if (!firstGroup) glo = _mm256_add_epi32(glo, _mm256_loadu_si256((const __m256i *)cell_));
            _mm256_storeu_si256((__m256i *)cell_, glo);
            if (wide) {
                if (!firstGroup) ghi = _mm256_add_epi32(ghi, _mm256_loadu_si256((const __m256i *)(cell_ + 8)));
                _mm256_storeu_si256((__m256i *)(cell_ + 8), ghi);
            }
        }
        WIDEN_SPAN();
        /* The sums as doubles, read as unsigned (AVX2 converts signed 32-bit
           integers: `x − 2³¹` converted, then `2³¹` added back, both exact). */
        const __m256i sum[3][2] = {{s1lo, s1hi}, {s2lo, s2hi}, {s0lo, s0hi}};
        const __m128i bias = _mm_set1_epi32(INT32_MIN);
        const __m256d unbias = _mm256_set1_pd(2147483648.0);
#define UNSIGNED_PD(x) _mm256_add_pd(_mm256_cvtepi32_pd(_mm_xor_si128((x), bias)), unbias)
        for (int k = 0; k < 3; k++) {
            double *o_ = out + (size_t)k * stride + r;
            for (int h = 0; h < (wide ? 2 : 1); h++) {
                _mm256_storeu_pd(o_ + 8 * h, UNSIGNED_PD(_mm256_castsi256_si128(sum[k][h])));
                _mm256_storeu_pd(o_ + 8 * h + 4, UNSIGNED_PD(_mm256_extracti128_si256(sum[k][h], 1)));
            }
        }
#undef UNSIGNED_PD
    }
#undef WIDEN_ADD
#undef COUNT_ROW
#undef WIDEN_SPAN
}
#else
static void count_groups_avx2(COUNT_GROUPS_PARAMS) { COUNT_GROUPS_BODY }
#endif

/// Each cell's integer lanes added to its run: `targets[offsets[v] + r] += counts[v · cellStride + r]`.
/// The runs lie apart in a block's grid (megabytes, past the core's L2), so
/// the run `CELL_AHEAD` cells on is fetched while this one is added: waiting
/// for each run's first lines was most of this loop's time.
#define CELL_AHEAD 4
#define CELL_ADD_BODY                                                                   \
    for (size_t v = 0; v < cells; v++) {                                                \
        if (v + CELL_AHEAD < cells) {                                                   \
            const char *next_ = (const char *)(targets + offsets[v + CELL_AHEAD]);      \
            for (size_t b_ = 0; b_ < used * sizeof(double) + 64; b_ += 64) __builtin_prefetch(next_ + b_, 1); \
        }                                                                               \
        double *t_ = targets + offsets[v];                                              \
        const uint32_t *c_ = cellCounts + v * cellStride;                               \
        for (size_t r = 0; r < used; r++) t_[r] += (double)c_[r];                       \
    }

#define CELL_ADD_PARAMS double *targets, const size_t *offsets, size_t cells, const uint32_t *cellCounts, \
    size_t cellStride, size_t used

AVX512 static void cell_add_avx512(CELL_ADD_PARAMS) { CELL_ADD_BODY }
AVX2 static void cell_add_avx2(CELL_ADD_PARAMS) { CELL_ADD_BODY }
static void cell_add_base(CELL_ADD_PARAMS) { CELL_ADD_BODY }

/// A pattern's sums added to its target slots (`calib_scatter_add`), 8 lanes a vector.
#define SCATTER_BODY                                                                    \
    for (size_t e = 0; e < pairs; e++) {                                                \
        double *t_ = base + (size_t)targets[2 * e] * stride + first;                    \
        const double *s_ = sums + (size_t)targets[2 * e + 1] * sumStride;               \
        size_t l = 0;                                                                   \
        for (; l + 8 <= used; l += 8) STORE8(t_ + l, LOAD8(t_ + l) + LOAD8(s_ + l));    \
        for (; l < used; l++) t_[l] += s_[l];                                           \
    }

#define SCATTER_PARAMS double *base, size_t stride, size_t first, const ptrdiff_t *targets, size_t pairs, \
    const double *sums, size_t sumStride, size_t used

AVX512 static void scatter_avx512(SCATTER_PARAMS) { SCATTER_BODY }
AVX2 static void scatter_avx2(SCATTER_PARAMS) { SCATTER_BODY }
static void scatter_base(SCATTER_PARAMS) { SCATTER_BODY }

/* `CompensatedSum.add` lane by lane, branch-free (both branches' compensations, then a select). */
#define FOLD_BODY                                                                       \
    for (size_t i = 0; i < n; i++) {                                                    \
        const double s = sums[i], x_ = x[i], t = s + x_;                                \
        const double c = __builtin_fabs(s) >= __builtin_fabs(x_) ? (s - t) + x_ : (x_ - t) + s; \
        const int keep = guard == NULL || guard[i] != 0;                                \
        const double comp = compensations[i];                                           \
        compensations[i] = keep ? comp + c : comp;                                      \
        sums[i] = keep ? t : s;                                                         \
    }

#define FOLD_PARAMS double *sums, double *compensations, const double *x, const double *guard, size_t n

AVX512 static void fold_avx512(FOLD_PARAMS) { FOLD_BODY }
static void fold_base(FOLD_PARAMS) { FOLD_BODY }

#if defined(__x86_64__)
/* `FOLD_BODY` with blends and whole stores: from the generic body the
   compiler makes masked stores, which AMD's cores run many times slower.
   The same bits for every result but a NaN's sign and payload (as with the
   generic body's paths: the audit's inputs hold no NaN). */
AVX2 static void fold_avx2(FOLD_PARAMS) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFll));
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d s = _mm256_loadu_pd(sums + i), x_ = _mm256_loadu_pd(x + i), t = _mm256_add_pd(s, x_);
        const __m256d larger = _mm256_cmp_pd(_mm256_and_pd(s, magnitude), _mm256_and_pd(x_, magnitude), _CMP_GE_OQ);
        const __m256d c = _mm256_blendv_pd(_mm256_add_pd(_mm256_sub_pd(x_, t), s), _mm256_add_pd(_mm256_sub_pd(s, t), x_), larger);
        const __m256d comp = _mm256_loadu_pd(compensations + i);
        __m256d nextComp = _mm256_add_pd(comp, c), nextSum = t;
        if (guard != NULL) {
            /* `guard[i] != 0`, true for a NaN as in C. */
            const __m256d keep = _mm256_cmp_pd(_mm256_loadu_pd(guard + i), _mm256_setzero_pd(), _CMP_NEQ_UQ);
            nextComp = _mm256_blendv_pd(comp, nextComp, keep);
            nextSum = _mm256_blendv_pd(s, t, keep);
        }
        _mm256_storeu_pd(compensations + i, nextComp);
        _mm256_storeu_pd(sums + i, nextSum);
    }
    if (i < n) fold_base(sums + i, compensations + i, x + i, guard == NULL ? NULL : guard + i, n - i);
}
#else
static void fold_avx2(FOLD_PARAMS) { FOLD_BODY }
#endif

/// The widest path this CPU runs: 2 AVX-512 (F, DQ, BW, VL), 1 AVX2 with FMA,
/// 0 the x86-64 baseline (or another architecture).
static int supported_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

/// The level in use, below 0 until first asked (then the CPU's). Every level
/// gives the same bits, so a test may change it while others run.
static _Atomic int chosen_level = -1;

int calib_kernel_level(void) {
    int level = chosen_level;
    if (level < 0) { level = supported_level(); chosen_level = level; }
    return level;
}

int calib_set_kernel_level(int level) {
    const int top = supported_level();
    chosen_level = level < 0 ? 0 : level > top ? top : level;
    return chosen_level;
}

void calib_poisson_counts(POISSON_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: poisson_avx512(keys, rows, replicates, first, lanes, thresholds, counts, countStride); break;
    case 1: poisson_avx2(keys, rows, replicates, first, lanes, thresholds, counts, countStride); break;
    default: poisson_base(keys, rows, replicates, first, lanes, thresholds, counts, countStride);
    }
}

void calib_replicate_sums(SUMS_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: sums_avx512(sums, stride, lanes, counts, countStride, rows, valueAt, n, values, linear, squared, counted); break;
    case 1: sums_avx2(sums, stride, lanes, counts, countStride, rows, valueAt, n, values, linear, squared, counted); break;
    default: sums_base(sums, stride, lanes, counts, countStride, rows, valueAt, n, values, linear, squared, counted);
    }
}

void calib_count_sums(COUNT_SUMS_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: count_sums_avx512(out, outputs, stride, lanes, counts, countStride, rows, n); break;
    case 1: count_sums_avx2(out, outputs, stride, lanes, counts, countStride, rows, n); break;
    default: count_sums_base(out, outputs, stride, lanes, counts, countStride, rows, n);
    }
}

/* The smooth ECE's convolution (`calib_smooth_convolve`): 8 neighbouring outputs a vector, `NB` blocks at once
   (independent sums in flight); each output's taps summed from `lo` up, a product then a sum. */
#define CONVOLVE_BLOCKS(NB, b0) do {                                                    \
    v8d aw_[4], ar_[4];                                                                 \
    for (int k_ = 0; k_ < (NB); k_++) { aw_[k_] = 0; ar_[k_] = 0; }                     \
    for (size_t m = lo; m <= hi; m++) {                                                 \
        const v8d kv = (v8d)(kernel[m]);                                                     \
        for (int k_ = 0; k_ < (NB); k_++) {                                             \
            const ptrdiff_t at_ = (ptrdiff_t)blocks[(b0) + k_] + shift - (ptrdiff_t)m;  \
            aw_[k_] = aw_[k_] + LOAD8(weights + at_) * kv;                              \
            ar_[k_] = ar_[k_] + LOAD8(residuals + at_) * kv;                            \
        }                                                                               \
    }                                                                                   \
    for (int k_ = 0; k_ < (NB); k_++) {                                                 \
        STORE8(outWeights + blocks[(b0) + k_], aw_[k_]);                                \
        STORE8(outResiduals + blocks[(b0) + k_], ar_[k_]);                              \
    }                                                                                   \
} while (0)

#define CONVOLVE_BODY                                                                   \
    size_t b = 0;                                                                       \
    for (; b + 4 <= blockCount; b += 4) CONVOLVE_BLOCKS(4, b);                          \
    for (; b < blockCount; b++) CONVOLVE_BLOCKS(1, b);

#define CONVOLVE_PARAMS const double *weights, const double *residuals, const double *kernel, size_t lo, size_t hi, \
    ptrdiff_t shift, const size_t *blocks, size_t blockCount, double *outWeights, double *outResiduals

AVX512 static void convolve_avx512(CONVOLVE_PARAMS) { CONVOLVE_BODY }
AVX2 static void convolve_avx2(CONVOLVE_PARAMS) { CONVOLVE_BODY }
static void convolve_base(CONVOLVE_PARAMS) { CONVOLVE_BODY }

void calib_smooth_convolve(CONVOLVE_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: convolve_avx512(weights, residuals, kernel, lo, hi, shift, blocks, blockCount, outWeights, outResiduals); break;
    case 1: convolve_avx2(weights, residuals, kernel, lo, hi, shift, blocks, blockCount, outWeights, outResiduals); break;
    default: convolve_base(weights, residuals, kernel, lo, hi, shift, blocks, blockCount, outWeights, outResiduals);
    }
}

void calib_count_sums_add(COUNT_ADD_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: count_add_avx512(target, used, lanes, counts, countStride, rows, n); break;
    case 1: count_add_avx2(target, used, lanes, counts, countStride, rows, n); break;
    default: count_add_base(target, used, lanes, counts, countStride, rows, n);
    }
}

void calib_scatter_add(SCATTER_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: scatter_avx512(base, stride, first, targets, pairs, sums, sumStride, used); break;
    case 1: scatter_avx2(base, stride, first, targets, pairs, sums, sumStride, used); break;
    default: scatter_base(base, stride, first, targets, pairs, sums, sumStride, used);
    }
}

void calib_fold_sums(FOLD_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: fold_avx512(sums, compensations, x, guard, n); break;
    case 1: fold_avx2(sums, compensations, x, guard, n); break;
    default: fold_base(sums, compensations, x, guard, n);
    }
}

void calib_count_sums_grouped(COUNT_GROUPS_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: count_groups_avx512(out, stride, lanes, counts, countStride, rows, groupEnds, groupCells, groups, cellCounts, cellStride); break;
    case 1: count_groups_avx2(out, stride, lanes, counts, countStride, rows, groupEnds, groupCells, groups, cellCounts, cellStride); break;
    default: count_groups_base(out, stride, lanes, counts, countStride, rows, groupEnds, groupCells, groups, cellCounts, cellStride);
    }
}

void calib_add_cell_counts(CELL_ADD_PARAMS) {
    switch (calib_kernel_level()) {
    case 2: cell_add_avx512(targets, offsets, cells, cellCounts, cellStride, used); break;
    case 1: cell_add_avx2(targets, offsets, cells, cellCounts, cellStride, used); break;
    default: cell_add_base(targets, offsets, cells, cellCounts, cellStride, used);
    }
}
