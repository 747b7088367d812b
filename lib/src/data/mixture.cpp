#include "ayslab/data/mixture.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <type_traits>

#include "../kernels/blas.hpp"
#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/error.hpp"
#include "ayslab/fast_exp.hpp"
#include "ayslab/rng.hpp"
#include "../kernels/mixture_kernel.hpp"

namespace ayslab {

namespace {
constexpr std::size_t fused_max_bytes = 256 * 1024;

// The fused kernel's layout of the means: d x kp (transposed) and K x dp, zeros past K and d.
template <class T>
void pad_means(const std::vector<double>& means, std::size_t k, std::size_t d, std::vector<T>& mu_t,
               std::vector<T>& mu) {
    constexpr std::size_t w = detail::fused_lanes<T>;
    const std::size_t kp = (k + w - 1) / w * w, dp = (d + w - 1) / w * w;
    mu_t.assign(d * kp, T(0));
    mu.assign(k * dp, T(0));
    for (std::size_t c = 0; c < k; ++c)
        for (std::size_t j = 0; j < d; ++j) {
            mu_t[j * kp + c] = static_cast<T>(means[c * d + j]);
            mu[c * dp + j] = static_cast<T>(means[c * d + j]);
        }
}
}  // namespace

GaussianMixture::GaussianMixture(std::vector<double> weights, std::vector<double> means,
                                 std::vector<double> variances, std::size_t dim)
    : dim_(dim), weights_(std::move(weights)), means_(std::move(means)) {
    const std::size_t k = weights_.size();
    if (k == 0 || dim_ == 0) throw InputError("Gaussian mixture needs at least one component and d >= 1");
    if (means_.size() != k * dim_)
        throw InputError(
            fmt::format("Gaussian mixture: {} means values for K = {}, d = {}", means_.size(), k, dim_));
    if (variances.size() == k) {
        var_.resize(k * dim_);
        for (std::size_t c = 0; c < k; ++c) std::fill_n(var_.begin() + c * dim_, dim_, variances[c]);
    } else if (variances.size() == k * dim_) {
        var_ = std::move(variances);
    } else {
        throw InputError(fmt::format("Gaussian mixture: {} variances for K = {}, d = {} (need K or K*d)",
                                     variances.size(), k, dim_));
    }
    double total = 0.0;
    for (double w : weights_) {
        if (!(w > 0.0) || !std::isfinite(w))
            throw InputError(fmt::format("mixture weight {} must be positive", w));
        total += w;
    }
    for (double v : var_)
        if (!(v > 0.0) || !std::isfinite(v))
            throw InputError(fmt::format("mixture variance {} must be positive", v));
    for (double m : means_)
        if (!std::isfinite(m)) throw InputError("mixture mean is not finite");
    log_weights_.resize(k);
    for (std::size_t c = 0; c < k; ++c) {
        weights_[c] /= total;
        log_weights_[c] = std::log(weights_[c]);
    }
    detail::single_threaded_blas();
    pad_means(means_, k, dim_, fused_mu_t_, fused_mu_);
    isotropic_ = true;
    for (std::size_t c = 0; c < k; ++c) {
        double norm = 0.0;
        for (std::size_t j = 0; j < dim_; ++j) {
            isotropic_ = isotropic_ && var_[c * dim_ + j] == var_[c * dim_];
            norm += means_[c * dim_ + j] * means_[c * dim_ + j];
        }
        iso_var_.push_back(var_[c * dim_]);
        mean_norms_.push_back(norm);
    }
}

namespace {
// Per-sigma tables: log normaliser of each component and 1/(v + sigma^2) per coordinate.
struct SigmaTables {
    std::vector<double> log_norm, inv_total, shrink;  // K, K x d, K x d
};
}  // namespace

static void fill_tables(std::size_t k, std::size_t d, const std::vector<double>& log_w,
                        const std::vector<double>& var, double sigma, SigmaTables& t) {
    const double s2 = sigma * sigma;
    t.log_norm.resize(k);
    t.inv_total.resize(k * d);
    t.shrink.resize(k * d);
    for (std::size_t c = 0; c < k; ++c) {
        double acc = log_w[c];
        for (std::size_t j = 0; j < d; ++j) {
            const double tot = var[c * d + j] + s2;
            acc -= 0.5 * std::log(2.0 * std::numbers::pi * tot);
            t.inv_total[c * d + j] = 1.0 / tot;
            t.shrink[c * d + j] = var[c * d + j] / tot;
        }
        t.log_norm[c] = acc;
    }
}

// log r_k + log p for one point given the tables; returns log p_sigma(x) and leaves log r_k in log_r.
static double log_resp(std::span<const double> x, std::size_t k, std::size_t d,
                       const std::vector<double>& means, const SigmaTables& t, std::span<double> log_r) {
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) {
        const double* mu = means.data() + c * d;
        const double* inv = t.inv_total.data() + c * d;
        double q = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
            const double r = x[j] - mu[j];
            q += r * r * inv[j];
        }
        log_r[c] = t.log_norm[c] - 0.5 * q;
        top = std::max(top, log_r[c]);
    }
    double sum = 0.0;
    for (std::size_t c = 0; c < k; ++c) sum += std::exp(log_r[c] - top);
    const double log_p = top + std::log(sum);
    for (std::size_t c = 0; c < k; ++c) log_r[c] -= log_p;
    return log_p;
}

double GaussianMixture::log_responsibilities(std::span<const double> x, double sigma,
                                             std::span<double> log_r) const {
    if (x.size() != dim_ || log_r.size() != components())
        throw InputError(fmt::format("point has {} coordinates, data has {}", x.size(), dim_));
    thread_local SigmaTables tables;
    fill_tables(components(), dim_, log_weights_, var_, sigma, tables);
    return log_resp(x, components(), dim_, means_, tables, log_r);
}

namespace {
// Cast a row block to T (a copy only when T is float).
template <class T>
const T* as(std::span<const double> x, std::vector<T>& buffer) {
    if constexpr (std::is_same_v<T, double>) {
        return x.data();
    } else {
        buffer.resize(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) buffer[i] = static_cast<T>(x[i]);
        return buffer.data();
    }
}

}  // namespace

template <class T>
const std::vector<T>& GaussianMixture::means_as() const {
    if constexpr (std::is_same_v<T, double>)
        return means_;
    else
        return means_f_;
}

template <class T>
void GaussianMixture::denoise_small(std::span<const double> x, std::size_t n, double sigma,
                                    std::span<double> out) const {
    // Any K, d, diagonal variances (MATH §2), t = v + s^2: logit_k = log w_k - 1/2 sum_j [log 2 pi
    // t_kj + (x_j - mu_kj)^2 / t_kj]; D_j = sum_k r_k (mu_kj s^2/t_kj + x_j v_kj/t_kj).
    const std::size_t k = components(), d = dim_;
    // The per-sigma tables of the per-point code (fill_tables), cast to T for the kernel.
    thread_local SigmaTables tables;
    thread_local detail::MixtureTables<T> t;
    fill_tables(k, d, log_weights_, var_, sigma, tables);
    const double s2 = sigma * sigma;
    t.k = k;
    t.d = d;
    t.log_norm.assign(tables.log_norm.begin(), tables.log_norm.end());
    t.shrink.assign(tables.shrink.begin(), tables.shrink.end());
    t.mu.assign(means_.begin(), means_.end());
    t.half_inv.resize(k * d);
    t.keep.resize(k * d);
    for (std::size_t cj = 0; cj < k * d; ++cj) {
        t.half_inv[cj] = static_cast<T>(0.5 * tables.inv_total[cj]);
        t.keep[cj] = static_cast<T>(means_[cj] * s2 * tables.inv_total[cj]);  // mu s^2 / t, no cancellation
    }
    detail::mixture_rows(t, x.data(), n, out.data());
}

template <class T>
void GaussianMixture::iso_tables(double sigma, std::size_t padded, std::vector<T>& log_norm, std::vector<T>& inv2t,
                                 std::vector<T>& shrink, std::vector<T>& norms) const {
    // Isotropic components, t_k = v_k + s^2: log w_k - d/2 log(2 pi t_k), 1/(2 t_k), s_k = v_k / t_k and
    // |mu_k|^2 (MATH §2). Entries past K (padding) carry weight 0: log_norm -inf, the rest 0.
    const std::size_t k = components();
    log_norm.assign(padded, -std::numeric_limits<T>::infinity());
    inv2t.assign(padded, T(0));
    shrink.assign(padded, T(0));
    norms.assign(padded, T(0));
    const double s2 = sigma * sigma;
    for (std::size_t c = 0; c < k; ++c) {
        const double t = iso_var_[c] + s2;
        log_norm[c] = static_cast<T>(log_weights_[c] -
                                     0.5 * static_cast<double>(dim_) * std::log(2.0 * std::numbers::pi * t));
        inv2t[c] = static_cast<T>(1.0 / (2.0 * t));
        shrink[c] = static_cast<T>(iso_var_[c] / t);
        norms[c] = static_cast<T>(mean_norms_[c]);
    }
}

template <class T>
void GaussianMixture::denoise_gemm(std::span<const double> x, std::size_t n, double sigma,
                                   std::span<double> out) const {
    // logit_ik = log w_k - d/2 log(2 pi t_k) - (|x_i|^2 - 2 x_i.mu_k + |mu_k|^2) / (2 t_k), t_k = v_k + s^2;
    // D_i = x_i sum_k r_ik s_k + sum_k r_ik (1 - s_k) mu_k with s_k = v_k / t_k (MATH §2).
    const std::size_t k = components(), d = dim_;
    thread_local std::vector<T> xs, dots, coef, log_norm, inv2t, shrink, norms, self, result;
    const T* xv = as<T>(x, xs);
    const std::vector<T>& means = means_as<T>();
    dots.resize(n * k);
    self.resize(n);
    coef.resize(n * k);
    iso_tables(sigma, k, log_norm, inv2t, shrink, norms);
    const int ni = static_cast<int>(n), ki = static_cast<int>(k), di = static_cast<int>(d);
    detail::gemm(true, ni, ki, di, xv, di, means.data(), di, T(0), dots.data(), ki);
    const detail::GemmRows<T> g{k, d, xv, log_norm.data(), inv2t.data(), shrink.data(), norms.data()};
    detail::mixture_softmax(g, n, dots.data(), coef.data(), self.data());
    T* res;
    if constexpr (std::is_same_v<T, double>) {
        res = out.data();
    } else {
        result.resize(n * d);
        res = result.data();
    }
    detail::gemm(false, ni, di, ki, coef.data(), ki, means.data(), di, T(0), res, di);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j)
            out[i * d + j] = static_cast<double>(res[i * d + j] + self[i] * xv[i * d + j]);
}

template <class T>
void GaussianMixture::denoise_fused(std::span<const double> x, std::size_t n, double sigma,
                                    std::span<double> out) const {
    // The two-GEMM path's formulas (above) in one pass per block of rows: mixture_fused.inl.
    constexpr std::size_t w = detail::fused_lanes<T>;
    const std::size_t k = components(), d = dim_;
    const std::size_t kp = (k + w - 1) / w * w, dp = (d + w - 1) / w * w;
    thread_local std::vector<T> log_norm, inv2t, shrink, norms;
    iso_tables(sigma, kp, log_norm, inv2t, shrink, norms);
    detail::FusedTables<T> tables;
    tables.k = k;
    tables.d = d;
    tables.kp = kp;
    tables.dp = dp;
    if constexpr (std::is_same_v<T, double>) {
        tables.mu_t = fused_mu_t_.data();
        tables.mu = fused_mu_.data();
    } else {
        tables.mu_t = fused_mu_t_f_.data();
        tables.mu = fused_mu_f_.data();
    }
    tables.log_norm = log_norm.data();
    tables.inv2t = inv2t.data();
    tables.shrink = shrink.data();
    tables.norms = norms.data();
    detail::mixture_fused(tables, x.data(), n, out.data());
}

void GaussianMixture::set_precision(Precision p) {
    precision_ = p;
    means_f_.assign(means_.begin(), means_.end());
    pad_means(means_, components(), dim_, fused_mu_t_f_, fused_mu_f_);
    for (const auto& g : class_laws()) g->set_precision(p);
}

void GaussianMixture::denoise_at(std::span<const double> x, std::size_t n, double sigma,
                              std::span<double> out) const {
    check_batch(*this, x, n, out);
    // Isotropic, d >= 8 and K >= 8: the fused pass while its means fit in a core's L2 cache (both
    // layouts of the float64 means at most 512 KiB), else two GEMMs; any other mixture: the small-d kernel.
    const bool iso = isotropic_ && dim_ >= 8 && components() >= 8;
    const bool fused = iso && fused_mu_.size() * sizeof(double) <= fused_max_bytes;
    if (precision_ == Precision::float32)
        fused ? denoise_fused<float>(x, n, sigma, out)
              : (iso ? denoise_gemm<float>(x, n, sigma, out) : denoise_small<float>(x, n, sigma, out));
    else
        fused ? denoise_fused<double>(x, n, sigma, out)
              : (iso ? denoise_gemm<double>(x, n, sigma, out) : denoise_small<double>(x, n, sigma, out));
}

void GaussianMixture::trace_at(std::span<const double> x, std::size_t n, double sigma,
                                     std::span<double> out) const {
    if (x.size() != n * dim_ || out.size() != n) throw InputError("jacobian_trace: wrong buffer sizes");
    // tr Cov[x0|x] / sigma^2 with Cov = sum_k r_k (S_k + m_k m_k^T) - D D^T, the component
    // posteriors N(m_k, S_k): m_k = mu_k + v_k/(v_k+s^2)(x - mu_k), S_k = v_k s^2/(v_k+s^2).
    thread_local SigmaTables tables;
    thread_local std::vector<double> log_r, mean;
    fill_tables(components(), dim_, log_weights_, var_, sigma, tables);
    log_r.resize(components());
    mean.resize(dim_);
    const double s2 = sigma * sigma;
    for (std::size_t i = 0; i < n; ++i) {
        const auto xi = x.subspan(i * dim_, dim_);
        log_resp(xi, components(), dim_, means_, tables, log_r);
        std::fill(mean.begin(), mean.end(), 0.0);
        double second = 0.0;
        for (std::size_t c = 0; c < components(); ++c) {
            const double r = std::exp(log_r[c]);
            if (r == 0.0) continue;
            for (std::size_t j = 0; j < dim_; ++j) {
                const double shrink = tables.shrink[c * dim_ + j];
                const double m = means_[c * dim_ + j] + shrink * (xi[j] - means_[c * dim_ + j]);
                mean[j] += r * m;
                second += r * (shrink * s2 + m * m);
            }
        }
        double dd = 0.0;
        for (double v : mean) dd += v * v;
        out[i] = (second - dd) / s2;
    }
}

double GaussianMixture::log_density(std::span<const double> x, double sigma) const {
    if (x.size() != dim_)
        throw InputError(fmt::format("point has {} coordinates, data has {}", x.size(), dim_));
    thread_local std::vector<double> log_r;
    log_r.resize(components());
    return log_responsibilities(x, sigma, log_r);
}

bool GaussianMixture::moments(std::vector<double>& mean, std::vector<double>& cov) const {
    // mean = sum_k w_k mu_k; cov = sum_k w_k (diag(var_k) + mu_k mu_k^T) - mean mean^T.
    mean.assign(dim_, 0.0);
    cov.assign(dim_ * dim_, 0.0);
    for (std::size_t c = 0; c < components(); ++c)
        for (std::size_t a = 0; a < dim_; ++a) {
            const double ma = means_[c * dim_ + a];
            mean[a] += weights_[c] * ma;
            cov[a * dim_ + a] += weights_[c] * var_[c * dim_ + a];
            for (std::size_t b = 0; b < dim_; ++b) cov[a * dim_ + b] += weights_[c] * ma * means_[c * dim_ + b];
        }
    for (std::size_t a = 0; a < dim_; ++a)
        for (std::size_t b = 0; b < dim_; ++b) cov[a * dim_ + b] -= mean[a] * mean[b];
    return true;
}

double GaussianMixture::data_variance() const {
    double acc = 0.0;
    for (std::size_t j = 0; j < dim_; ++j) {
        double m1 = 0.0, m2 = 0.0;
        for (std::size_t c = 0; c < components(); ++c) {
            const double mu = means_[c * dim_ + j];
            m1 += weights_[c] * mu;
            m2 += weights_[c] * (var_[c * dim_ + j] + mu * mu);
        }
        acc += m2 - m1 * m1;
    }
    return acc / static_cast<double>(dim_);
}

std::size_t GaussianMixture::draw_part(std::uint64_t seed, std::uint64_t index, std::span<double> row) const {
    double u = 0.0;
    fill_uniform({seed, static_cast<std::uint64_t>(Stream::data), index, 0}, {&u, 1});
    std::size_t c = 0;
    for (double cum = weights_[0]; c + 1 < components() && u > cum; cum += weights_[++c]) {
    }
    fill_normal({seed, static_cast<std::uint64_t>(Stream::data), index, 1}, row);
    for (std::size_t j = 0; j < dim_; ++j) row[j] = means_[c * dim_ + j] + std::sqrt(var_[c * dim_ + j]) * row[j];
    return c;
}

void GaussianMixture::sample(std::size_t n, std::uint64_t seed, std::uint64_t first,
                             std::span<double> out) const {
    if (out.size() != n * dim_) throw InputError("mixture sample: output has the wrong size");
    for (std::size_t i = 0; i < n; ++i) draw_part(seed, first + i, out.subspan(i * dim_, dim_));
}

void GaussianMixture::set_classes(std::vector<Label> component_class) {
    set_part_classes(std::move(component_class), components(), "mixture classes", "component",
                     [&](const std::vector<std::size_t>& parts) {
                         std::vector<double> w, m, v;
                         for (const std::size_t c : parts) {
                             w.push_back(weights_[c]);
                             m.insert(m.end(), means_.begin() + c * dim_, means_.begin() + (c + 1) * dim_);
                             v.insert(v.end(), var_.begin() + c * dim_, var_.begin() + (c + 1) * dim_);
                         }
                         double total = 0.0;
                         for (double x : w) total += x;
                         auto law = std::make_unique<GaussianMixture>(std::move(w), std::move(m), std::move(v), dim_);
                         law->set_precision(precision_);
                         return std::pair{std::move(law), total};
                     });
}

}  // namespace ayslab
