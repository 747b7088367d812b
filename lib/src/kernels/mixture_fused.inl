// The fused isotropic-mixture denoiser (MATH §2), included once per instruction set by
// mixture_kernel_{baseline,avx2,avx512}.cpp. AYSLAB_KERNEL_NS names the copy, AYSLAB_VECTOR_BYTES its
// native vector (16, 32 or 64 bytes), AYSLAB_FUSED_ROWS x AYSLAB_FUSED_COLS its register tile (rows x
// native vectors), sized to the copy's registers.
//
// One pass per block of rows, no GEMM packing: dots_ik = x_i . mu_k, the softmax of
// logit_ik = log_norm_k - |x_i - mu_k|^2 / (2 t_k), then D_i = sum_k r_ik (1 - s_k) mu_k + (sum_k r_ik s_k) x_i.
//
// Same bits on every instruction set. Every dot product and every output coordinate is one chain over
// j (or k) in index order, whatever the tile and the vector width; the softmax's sums run in
// w = 64 / sizeof(T) fixed lanes (lane c % w, a 64-byte vector's worth: one AVX-512 register, two AVX2
// or four SSE2 ones) added in lane order; selects are bit masks that keep NaN as ?: does. No copy
// contracts to FMA (-ffp-contract=off, and AVX2's -mno-fma).
namespace ayslab::detail::AYSLAB_KERNEL_NS {

namespace {

template <class T>
struct Vec;
template <>
struct Vec<double> {
    typedef double v __attribute__((vector_size(AYSLAB_VECTOR_BYTES)));
    typedef double u __attribute__((vector_size(AYSLAB_VECTOR_BYTES), aligned(8), may_alias));  // unaligned
    typedef std::int64_t i __attribute__((vector_size(AYSLAB_VECTOR_BYTES)));                   // masks
};
template <>
struct Vec<float> {
    typedef float v __attribute__((vector_size(AYSLAB_VECTOR_BYTES)));
    typedef float u __attribute__((vector_size(AYSLAB_VECTOR_BYTES), aligned(4), may_alias));
    typedef std::int32_t i __attribute__((vector_size(AYSLAB_VECTOR_BYTES)));
};
// Elements of T per native vector; native vectors per 64-byte group of lanes.
template <class T>
constexpr std::size_t native = AYSLAB_VECTOR_BYTES / sizeof(T);
template <class T>
constexpr std::size_t per_group = fused_lanes<T> / native<T>;

// Loads and stores as macros (a function taking or returning a vector wider than the baseline ABI's
// draws -Wpsabi).
#define AYSLAB_LOAD(U, p) (*reinterpret_cast<const U*>(p))
#define AYSLAB_STORE(U, p, value) (*reinterpret_cast<U*>(p) = (value))

// dots (R x C native vectors, leading dimension kp) = x (R rows, leading dimension ldx) . mu_t (d x kp).
template <class T, int R, int C>
inline void dot_tile(const T* x, std::size_t ldx, const T* mu_t, std::size_t kp, std::size_t d, T* dots) {
    using V = typename Vec<T>::v;
    using U = typename Vec<T>::u;
    constexpr std::size_t w = native<T>;
    V acc[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) acc[r][c] = V{};
    for (std::size_t j = 0; j < d; ++j) {
        V m[C];
        for (int c = 0; c < C; ++c) m[c] = AYSLAB_LOAD(U, mu_t + j * kp + c * w);
        for (int r = 0; r < R; ++r) {
            const T xr = x[r * ldx + j];
            for (int c = 0; c < C; ++c) acc[r][c] += xr * m[c];
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) AYSLAB_STORE(U, dots + r * kp + c * w, acc[r][c]);
}

// res (R x C native vectors, leading dimension dp) = coef (R rows of kp) . mu (K x dp) + self_r x_r.
template <class T, int R, int C>
inline void mix_tile(const T* coef, std::size_t kp, const T* mu, std::size_t dp, std::size_t k, const T* self,
                     const T* x, T* res) {
    using V = typename Vec<T>::v;
    using U = typename Vec<T>::u;
    constexpr std::size_t w = native<T>;
    V acc[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) acc[r][c] = V{};
    for (std::size_t c_k = 0; c_k < k; ++c_k) {
        V m[C];
        for (int c = 0; c < C; ++c) m[c] = AYSLAB_LOAD(U, mu + c_k * dp + c * w);
        for (int r = 0; r < R; ++r) {
            const T a = coef[r * kp + c_k];
            for (int c = 0; c < C; ++c) acc[r][c] += a * m[c];
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
            const V xv = AYSLAB_LOAD(U, x + r * dp + c * w);
            AYSLAB_STORE(U, res + r * dp + c * w, acc[r][c] + self[r] * xv);
        }
}

// Row tiles of R (then single rows) times column tiles of C vectors (then single vectors).
template <class T, int R, int C, class Tile>
inline void tiles(std::size_t rows, std::size_t vectors, Tile&& tile) {
    std::size_t i = 0;
    for (; i + R <= rows; i += R) {
        std::size_t c = 0;
        for (; c + C <= vectors; c += C) tile(std::integral_constant<int, R>{}, std::integral_constant<int, C>{}, i, c);
        for (; c < vectors; ++c) tile(std::integral_constant<int, R>{}, std::integral_constant<int, 1>{}, i, c);
    }
    for (; i < rows; ++i) {
        std::size_t c = 0;
        for (; c + C <= vectors; c += C) tile(std::integral_constant<int, 1>{}, std::integral_constant<int, C>{}, i, c);
        for (; c < vectors; ++c) tile(std::integral_constant<int, 1>{}, std::integral_constant<int, 1>{}, i, c);
    }
}

// The softmax in three sweeps, so the exponentials of the whole block run as one loop. Sums and maxima
// over components and coordinates go into w fixed lanes (a group of per_group native vectors) and are
// combined in lane order.
template <class T>
inline T lane_sum(const typename Vec<T>::v (&g)[per_group<T>]) {
    T s = 0;
    for (std::size_t q = 0; q < per_group<T>; ++q)
        for (std::size_t l = 0; l < native<T>; ++l) s += g[q][l];
    return s;
}

// logits_row: row = x . mu_k on entry, logit_k - max_k logit_k on exit.
template <class T>
inline void logits_row(const FusedTables<T>& t, const T* x, T* row) {
    using V = typename Vec<T>::v;
    using U = typename Vec<T>::u;
    using I = typename Vec<T>::i;
    constexpr std::size_t w = fused_lanes<T>, nw = native<T>, groups = per_group<T>;
    const std::size_t kp = t.kp, dp = t.dp;
    V part[groups] = {};
    for (std::size_t j0 = 0; j0 < dp; j0 += w)
        for (std::size_t q = 0; q < groups; ++q) {
            const V xv = AYSLAB_LOAD(U, x + j0 + q * nw);
            part[q] += xv * xv;
        }
    const T xx = lane_sum<T>(part);
    V tops[groups];
    for (std::size_t q = 0; q < groups; ++q) tops[q] = V{} - std::numeric_limits<T>::infinity();
    for (std::size_t c0 = 0; c0 < kp; c0 += w)
        for (std::size_t q = 0; q < groups; ++q) {
            const std::size_t c = c0 + q * nw;
            V dist2 = xx - T(2) * AYSLAB_LOAD(U, row + c) + AYSLAB_LOAD(U, t.norms + c);
            dist2 = (V)((I)dist2 & ~(I)(dist2 < V{}));  // max(dist2, 0)
            const V logit = AYSLAB_LOAD(U, t.log_norm + c) - dist2 * AYSLAB_LOAD(U, t.inv2t + c);
            AYSLAB_STORE(U, row + c, logit);
            const I up = (I)(tops[q] < logit);
            tops[q] = (V)(((I)tops[q] & ~up) | ((I)logit & up));
        }
    T top = tops[0][0];
    for (std::size_t q = 0; q < groups; ++q)
        for (std::size_t l = 0; l < nw; ++l) top = top < tops[q][l] ? tops[q][l] : top;
    for (std::size_t c = 0; c < kp; c += nw) AYSLAB_STORE(U, row + c, AYSLAB_LOAD(U, row + c) - top);
}

// weights_row: row = exp(logit_k - max) on entry, r_k (1 - s_k) on exit; self = sum_k r_k s_k.
template <class T>
inline void weights_row(const FusedTables<T>& t, T* row, T& self) {
    using V = typename Vec<T>::v;
    using U = typename Vec<T>::u;
    constexpr std::size_t w = fused_lanes<T>, nw = native<T>, groups = per_group<T>;
    const std::size_t kp = t.kp;
    V zs[groups] = {};
    for (std::size_t c0 = 0; c0 < kp; c0 += w)
        for (std::size_t q = 0; q < groups; ++q) zs[q] += AYSLAB_LOAD(U, row + c0 + q * nw);
    const T inv_z = T(1) / lane_sum<T>(zs);
    V selfs[groups] = {};
    for (std::size_t c0 = 0; c0 < kp; c0 += w)
        for (std::size_t q = 0; q < groups; ++q) {
            const std::size_t c = c0 + q * nw;
            const V r = AYSLAB_LOAD(U, row + c) * inv_z, shrink = AYSLAB_LOAD(U, t.shrink + c);
            selfs[q] += r * shrink;
            AYSLAB_STORE(U, row + c, r * (T(1) - shrink));
        }
    self = lane_sum<T>(selfs);
}

template <class T>
struct FusedBlock {
    std::vector<T> x, dots, self, res;
};

template <class T>
void fused(const FusedTables<T>& t, const double* x, std::size_t n, double* out) {
    constexpr std::size_t w = native<T>, block = fused_rows_per_block;
    constexpr int rows = AYSLAB_FUSED_ROWS, cols = AYSLAB_FUSED_COLS;
    const std::size_t k = t.k, d = t.d, kp = t.kp, dp = t.dp;
    thread_local FusedBlock<T> b;
    b.x.assign(block * dp, T(0));  // the padding columns stay zero
    b.dots.resize(block * kp);
    b.self.resize(block);
    b.res.resize(block * dp);
    T *xs = b.x.data(), *dots = b.dots.data(), *self = b.self.data(), *res = b.res.data();
    for (std::size_t i0 = 0; i0 < n; i0 += block) {
        const std::size_t m = std::min(block, n - i0);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < d; ++j) xs[i * dp + j] = static_cast<T>(x[(i0 + i) * d + j]);
        tiles<T, rows, cols>(m, kp / w, [&](auto r, auto c, std::size_t i, std::size_t v) {
            dot_tile<T, decltype(r)::value, decltype(c)::value>(xs + i * dp, dp, t.mu_t + v * w, kp, d,
                                                                  dots + i * kp + v * w);
        });
        for (std::size_t i = 0; i < m; ++i) logits_row(t, xs + i * dp, dots + i * kp);
        for (std::size_t c = 0; c < m * kp; ++c) dots[c] = exp_vec(dots[c]);  // padding: exp(-inf) = 0
        for (std::size_t i = 0; i < m; ++i) weights_row(t, dots + i * kp, self[i]);
        tiles<T, rows, cols>(m, dp / w, [&](auto r, auto c, std::size_t i, std::size_t v) {
            mix_tile<T, decltype(r)::value, decltype(c)::value>(dots + i * kp, kp, t.mu + v * w, dp, k, self + i,
                                                                  xs + i * dp + v * w, res + i * dp + v * w);
        });
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < d; ++j) out[(i0 + i) * d + j] = static_cast<double>(res[i * dp + j]);
    }
}

#undef AYSLAB_LOAD
#undef AYSLAB_STORE
}  // namespace

void mixture_fused(const FusedTables<double>& t, const double* x, std::size_t n, double* out) {
    fused(t, x, n, out);
}
void mixture_fused(const FusedTables<float>& t, const double* x, std::size_t n, double* out) {
    fused(t, x, n, out);
}

}  // namespace ayslab::detail::AYSLAB_KERNEL_NS
