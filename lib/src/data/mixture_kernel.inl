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
template <class T>
void softmax(const GemmRows<T>& g, std::size_t n, T* dots, T* coef, T* self) {
    const std::size_t k = g.k, d = g.d;
    for (std::size_t i = 0; i < n; ++i) {
        T xx = 0;
        const T* xi = g.x + i * d;
        for (std::size_t j = 0; j < d; ++j) xx += xi[j] * xi[j];
        T top = -std::numeric_limits<T>::infinity();
        T* row = dots + i * k;
        for (std::size_t c = 0; c < k; ++c) {
            T dist2 = xx - T(2) * row[c] + g.norms[c];
            dist2 = dist2 < T(0) ? T(0) : dist2;
            row[c] = g.log_norm[c] - dist2 * g.inv2t[c];
            top = top < row[c] ? row[c] : top;
        }
        T z = 0;
        for (std::size_t c = 0; c < k; ++c) {
            row[c] = exp_vec(row[c] - top);
            z += row[c];
        }
        const T inv_z = T(1) / z;
        T self_weight = 0;
        for (std::size_t c = 0; c < k; ++c) {
            const T r = row[c] * inv_z;
            self_weight += r * g.shrink[c];
            coef[i * k + c] = r * (T(1) - g.shrink[c]);
        }
        self[i] = self_weight;
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
