// The small-d mixture denoiser kernel (MATH §2), included by mixture_kernel.cpp once per instruction
// set (baseline x86-64 and AVX2); AYSLAB_KERNEL_NS names the copy. No FMA contraction is enabled in
// either copy, so both give the same bits and the choice at run time never changes a result.
//
// logit_k = log_norm_k - sum_j (x_j - mu_kj)^2 half_inv_kj; e_k = exp(logit_k - max);
// D_j = sum_k e_k (keep_kj + shrink_kj x_j) / sum_k e_k. Rows go in blocks, transposed, so every
// inner loop runs over particles and vectorises (exp_vec included).
namespace ayslab::detail::AYSLAB_KERNEL_NS {

namespace {
template <class T>
struct Block {
    std::vector<T> xt, logit, top, z, acc;
};

template <class T>
void rows(const MixtureTables<T>& t, const double* x, std::size_t n, double* out) {
    constexpr std::size_t block = mixture_rows_per_block;
    const std::size_t k = t.k, d = t.d;
    thread_local Block<T> w;
    w.xt.resize(d * block);
    w.logit.resize(k * block);
    w.top.resize(block);
    w.z.resize(block);
    w.acc.resize(block);
    T *xt = w.xt.data(), *top = w.top.data(), *z = w.z.data(), *acc = w.acc.data();
    for (std::size_t i0 = 0; i0 < n; i0 += block) {
        const std::size_t m = std::min(block, n - i0);
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < d; ++j) xt[j * block + i] = static_cast<T>(x[(i0 + i) * d + j]);
        std::fill_n(top, m, -std::numeric_limits<T>::infinity());
        for (std::size_t c = 0; c < k; ++c) {
            T* l = w.logit.data() + c * block;
            std::fill_n(l, m, t.log_norm[c]);
            for (std::size_t j = 0; j < d; ++j) {
                const T mu = t.mu[c * d + j], h = t.half_inv[c * d + j];
                const T* xj = xt + j * block;
                for (std::size_t i = 0; i < m; ++i) {
                    const T r = xj[i] - mu;
                    l[i] -= r * r * h;
                }
            }
            for (std::size_t i = 0; i < m; ++i) top[i] = std::max(top[i], l[i]);
        }
        std::fill_n(z, m, T(0));
        for (std::size_t c = 0; c < k; ++c) {
            T* l = w.logit.data() + c * block;
            for (std::size_t i = 0; i < m; ++i) {
                l[i] = exp_vec(l[i] - top[i]);
                z[i] += l[i];
            }
        }
        for (std::size_t i = 0; i < m; ++i) z[i] = T(1) / z[i];
        for (std::size_t j = 0; j < d; ++j) {
            const T* xj = xt + j * block;
            std::fill_n(acc, m, T(0));
            for (std::size_t c = 0; c < k; ++c) {
                const T keep = t.keep[c * d + j], shrink = t.shrink[c * d + j];
                const T* l = w.logit.data() + c * block;
                for (std::size_t i = 0; i < m; ++i) acc[i] += l[i] * (keep + shrink * xj[i]);
            }
            for (std::size_t i = 0; i < m; ++i) out[(i0 + i) * d + j] = static_cast<double>(acc[i] * z[i]);
        }
    }
}
// Sums and maxima over components in 8 fixed lanes (lane c % 8), combined in lane order at the end:
// the loops vectorise without reassociation, and the result is the same on every instruction set.
constexpr std::size_t lanes = 8;

template <class T>
T lane_sum(const T (&v)[lanes]) {
    T s = 0;
    for (std::size_t l = 0; l < lanes; ++l) s += v[l];
    return s;
}

template <class T>
void softmax(const GemmRows<T>& g, std::size_t n, T* dots, T* coef, T* self) {
    const std::size_t k = g.k, d = g.d, k_main = k - k % lanes, d_main = d - d % lanes;
    for (std::size_t i = 0; i < n; ++i) {
        const T* xi = g.x + i * d;
        T part[lanes] = {};
        for (std::size_t j0 = 0; j0 < d_main; j0 += lanes)
            for (std::size_t l = 0; l < lanes; ++l) part[l] += xi[j0 + l] * xi[j0 + l];
        for (std::size_t j = d_main; j < d; ++j) part[j % lanes] += xi[j] * xi[j];
        const T xx = lane_sum(part);
        T* row = dots + i * k;
        T tops[lanes];
        std::fill_n(tops, lanes, -std::numeric_limits<T>::infinity());
        auto logit = [&](std::size_t c, std::size_t l) {
            T dist2 = xx - T(2) * row[c] + g.norms[c];
            dist2 = dist2 < T(0) ? T(0) : dist2;
            row[c] = g.log_norm[c] - dist2 * g.inv2t[c];
            tops[l] = tops[l] < row[c] ? row[c] : tops[l];
        };
        for (std::size_t c0 = 0; c0 < k_main; c0 += lanes)
            for (std::size_t l = 0; l < lanes; ++l) logit(c0 + l, l);
        for (std::size_t c = k_main; c < k; ++c) logit(c, c % lanes);
        T top = tops[0];
        for (std::size_t l = 1; l < lanes; ++l) top = top < tops[l] ? tops[l] : top;
        T zs[lanes] = {};
        for (std::size_t c0 = 0; c0 < k_main; c0 += lanes)
            for (std::size_t l = 0; l < lanes; ++l) {
                row[c0 + l] = exp_vec(row[c0 + l] - top);
                zs[l] += row[c0 + l];
            }
        for (std::size_t c = k_main; c < k; ++c) {
            row[c] = exp_vec(row[c] - top);
            zs[c % lanes] += row[c];
        }
        const T inv_z = T(1) / lane_sum(zs);
        T selfs[lanes] = {};
        auto mix = [&](std::size_t c, std::size_t l) {
            const T r = row[c] * inv_z;
            selfs[l] += r * g.shrink[c];
            coef[i * k + c] = r * (T(1) - g.shrink[c]);
        };
        for (std::size_t c0 = 0; c0 < k_main; c0 += lanes)
            for (std::size_t l = 0; l < lanes; ++l) mix(c0 + l, l);
        for (std::size_t c = k_main; c < k; ++c) mix(c, c % lanes);
        self[i] = lane_sum(selfs);
    }
}
}  // namespace

void mixture_softmax(const GemmRows<double>& g, std::size_t n, double* dots, double* coef, double* self) {
    softmax(g, n, dots, coef, self);
}
void mixture_softmax(const GemmRows<float>& g, std::size_t n, float* dots, float* coef, float* self) {
    softmax(g, n, dots, coef, self);
}

void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out) {
    rows(t, x, n, out);
}
void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out) {
    rows(t, x, n, out);
}

}  // namespace ayslab::detail::AYSLAB_KERNEL_NS
