#include "ayslab/data/empirical.hpp"

#include "ayslab/denoisers/conditional.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>
#include <type_traits>

#include "../kernels/blas.hpp"
#include "ayslab/error.hpp"
#include "ayslab/fast_exp.hpp"
#include "ayslab/rng.hpp"

namespace ayslab {

namespace {
constexpr std::size_t row_block = 64;     // particles per GEMM
constexpr std::size_t data_block = 1024;  // data points per GEMM (bounds memory for any N)
constexpr std::size_t small_dim = 8;      // below this, distances are computed directly (exact, no GEMM)

template <class T>
struct Workspace {
    std::vector<T> xs, dots, acc, max, sum, xnorm, inv2s2;
};
}  // namespace

EmpiricalData::EmpiricalData(std::vector<double> points, std::size_t dim)
    : dim_(dim), points_(std::move(points)) {
    if (dim_ == 0 || points_.empty() || points_.size() % dim_ != 0)
        throw InputError(
            fmt::format("empirical data: {} values do not make rows of dimension {}", points_.size(), dim_));
    const std::size_t n = points_.size() / dim_;
    norms_.resize(n);
    std::vector<double> mean(dim_, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
        double s = 0.0;
        for (std::size_t k = 0; k < dim_; ++k) {
            const double v = points_[j * dim_ + k];
            if (!std::isfinite(v))
                throw InputError(fmt::format("empirical data: point {} coordinate {} is not finite", j, k));
            s += v * v;
            mean[k] += v / static_cast<double>(n);
        }
        norms_[j] = s;
    }
    double var = 0.0;
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < dim_; ++k) var += std::pow(points_[j * dim_ + k] - mean[k], 2);
    variance_ = var / static_cast<double>(n * dim_);
    detail::single_threaded_blas();
}

template <class T>
void EmpiricalData::pass(const double* x64, std::size_t n, const double* sigmas, double* out,
                         double* log_sum) const {
    thread_local Workspace<T> w;
    const std::size_t d = dim_, total = size();
    const T* x;
    const T* points;
    const T* norms;
    if constexpr (std::is_same_v<T, double>) {
        x = x64, points = points_.data(), norms = norms_.data();
    } else {
        w.xs.resize(n * d);
        for (std::size_t i = 0; i < n * d; ++i) w.xs[i] = static_cast<T>(x64[i]);
        x = w.xs.data(), points = points_f_.data(), norms = norms_f_.data();
    }
    w.dots.resize(row_block * data_block);
    w.acc.assign(n * d, T(0));
    w.max.assign(n, -std::numeric_limits<T>::infinity());
    w.sum.assign(n, T(0));
    w.xnorm.resize(n);
    w.inv2s2.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        T s = 0;
        for (std::size_t k = 0; k < d; ++k) s += x[i * d + k] * x[i * d + k];
        w.xnorm[i] = s;
        w.inv2s2[i] = static_cast<T>(1.0 / (2.0 * sigmas[i] * sigmas[i]));
    }
    const int di = static_cast<int>(d);
    for (std::size_t j0 = 0; j0 < total; j0 += data_block) {
        const std::size_t b = std::min(data_block, total - j0);
        const int bi = static_cast<int>(b), ni = static_cast<int>(n);
        // Squared distances: direct for small d, else |x|^2 + |y|^2 - 2 X Y_b^T with one GEMM.
        const bool direct = d <= small_dim;
        if (!direct) detail::gemm(true, ni, bi, di, x, di, points + j0 * d, di, T(0), w.dots.data(), bi);
        for (std::size_t i = 0; i < n; ++i) {
            T* row = w.dots.data() + i * b;
            T block_max = -std::numeric_limits<T>::infinity();
            for (std::size_t j = 0; j < b; ++j) {
                T dist2;
                if (direct) {
                    dist2 = 0;
                    const T* y = points + (j0 + j) * d;
                    for (std::size_t k = 0; k < d; ++k)
                        dist2 += (x[i * d + k] - y[k]) * (x[i * d + k] - y[k]);
                } else {
                    dist2 = std::max(w.xnorm[i] + norms[j0 + j] - T(2) * row[j], T(0));
                }
                row[j] = -dist2 * w.inv2s2[i];  // logit
                block_max = std::max(block_max, row[j]);
            }
            const T new_max = std::max(w.max[i], block_max);
            const T rescale = std::exp(w.max[i] - new_max);  // 0 on the first block
            w.sum[i] *= rescale;
            if (out)
                for (std::size_t k = 0; k < d; ++k) w.acc[i * d + k] *= rescale;
            T sum = 0;
            for (std::size_t j = 0; j < b; ++j) {
                row[j] = exp_vec(row[j] - new_max);  // weight
                sum += row[j];
            }
            w.sum[i] += sum;
            w.max[i] = new_max;
        }
        // acc += W Y_b  (n x d)
        if (out && direct) {
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < b; ++j) {
                    const T wt = w.dots[i * b + j];
                    const T* y = points + (j0 + j) * d;
                    for (std::size_t k = 0; k < d; ++k) w.acc[i * d + k] += wt * y[k];
                }
        } else if (out)
            detail::gemm(false, ni, di, bi, w.dots.data(), bi, points + j0 * d, di, T(1), w.acc.data(), di);
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (log_sum) log_sum[i] = static_cast<double>(w.max[i]) + std::log(static_cast<double>(w.sum[i]));
        if (out)
            for (std::size_t k = 0; k < d; ++k)
                out[i * d + k] = static_cast<double>(w.acc[i * d + k] / w.sum[i]);
    }
}

void EmpiricalData::set_precision(Precision p) {
    precision_ = p;
    points_f_.assign(points_.begin(), points_.end());
    norms_f_.assign(norms_.begin(), norms_.end());
    for (const auto& c : class_laws()) c->set_precision(p);
}

void EmpiricalData::evaluate_rows(const double* x, std::size_t n, const double* sigmas, std::size_t sigma_stride,
                             double* out, double* log_sum, bool full_precision) const {
    thread_local std::vector<double> same;
    if (sigma_stride == 0) same.assign(row_block, sigmas[0]);
    for (std::size_t i0 = 0; i0 < n; i0 += row_block) {
        const std::size_t m = std::min(row_block, n - i0);
        const double* s = sigma_stride == 0 ? same.data() : sigmas + i0 * sigma_stride;
        double* o = out ? out + i0 * dim_ : nullptr;
        double* l = log_sum ? log_sum + i0 : nullptr;
        if (precision_ == Precision::float32 && !full_precision)
            pass<float>(x + i0 * dim_, m, s, o, l);
        else
            pass<double>(x + i0 * dim_, m, s, o, l);
    }
}

void EmpiricalData::denoise_at(std::span<const double> x, std::size_t n, double sigma,
                               std::span<double> out) const {
    check_batch(*this, x, n, out);
    evaluate_rows(x.data(), n, &sigma, 0, out.data(), nullptr, false);
}

void EmpiricalData::denoise_rows_at(const Batch& b, std::span<double> out) const {
    check_rows(*this, b, out, dim_);
    evaluate_rows(b.x.data(), b.n, b.sigmas.data(), 1, out.data(), nullptr, false);
}

void EmpiricalData::log_density_rows(std::span<const double> x, std::size_t n, double sigma,
                                     std::span<double> out) const {
    empirical_log_density_rows(x, n, dim_, sigma, size(), out, [&](double* log_sum) {
        evaluate_rows(x.data(), n, &sigma, 0, nullptr, log_sum, true);
    });
}

double empirical_log_normaliser(std::size_t total, std::size_t dim, double sigma) {
    return -std::log(static_cast<double>(total)) -
           0.5 * static_cast<double>(dim) * std::log(2.0 * std::numbers::pi * sigma * sigma);
}

void EmpiricalData::trace_at(std::span<const double> x, std::size_t n, double sigma,
                             std::span<double> out) const {
    if (x.size() != n * dim_ || out.size() != n) throw InputError("jacobian_trace: wrong buffer sizes");
    // tr Cov[x0|x] / sigma^2 = sum_j r_j |y_j - D|^2 / sigma^2, summed directly (no cancellation).
    std::vector<double> den(dim_), logits(size());
    for (std::size_t i = 0; i < n; ++i) {
        const double* xi = x.data() + i * dim_;
        denoise_at({xi, dim_}, 1, sigma, den);
        double top = -std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < size(); ++j) {
            double d2 = 0.0;
            for (std::size_t k = 0; k < dim_; ++k)
                d2 += (xi[k] - points_[j * dim_ + k]) * (xi[k] - points_[j * dim_ + k]);
            logits[j] = -d2 / (2.0 * sigma * sigma);
            top = std::max(top, logits[j]);
        }
        double z = 0.0, acc = 0.0;
        for (std::size_t j = 0; j < size(); ++j) {
            const double w = std::exp(logits[j] - top);
            double e2 = 0.0;
            for (std::size_t k = 0; k < dim_; ++k)
                e2 += (points_[j * dim_ + k] - den[k]) * (points_[j * dim_ + k] - den[k]);
            z += w;
            acc += w * e2;
        }
        out[i] = acc / z / (sigma * sigma);
    }
}

void EmpiricalData::sample(std::size_t n, std::uint64_t seed, std::uint64_t first,
                           std::span<double> out) const {
    if (out.size() != n * dim_) throw InputError("empirical sample: output has the wrong size");
    for (std::size_t i = 0; i < n; ++i) draw_part(seed, first + i, out.subspan(i * dim_, dim_));
}

std::size_t EmpiricalData::draw_part(std::uint64_t seed, std::uint64_t index, std::span<double> row) const {
    const std::size_t j = empirical_draw_row(seed, index, size());
    std::copy_n(points_.data() + j * dim_, dim_, row.data());
    return j;
}

void EmpiricalData::set_classes(const std::vector<Label>& row_class) {
    set_part_classes(row_class, size(), "data labels", "row", [&](const std::vector<std::size_t>& rows) {
        std::vector<double> points;
        points.reserve(rows.size() * dim_);
        for (const std::size_t j : rows) points.insert(points.end(), points_.begin() + j * dim_, points_.begin() + (j + 1) * dim_);
        auto law = std::make_unique<EmpiricalData>(std::move(points), dim_);
        law->set_precision(precision_);
        return std::pair{std::move(law), static_cast<double>(rows.size()) / static_cast<double>(size())};
    });
}

std::size_t empirical_draw_row(std::uint64_t seed, std::uint64_t index, std::size_t total) {
    double v = 0.0;
    fill_uniform({seed, static_cast<std::uint64_t>(Stream::data), index, 0}, {&v, 1});
    return std::min(static_cast<std::size_t>(v * static_cast<double>(total)), total - 1);
}

bool EmpiricalData::nearest_rows(std::span<const double> x, std::size_t n, std::span<double> out) const {
    if (x.size() != n * dim_ || out.size() != n * dim_) throw InputError("nearest rows: wrong buffer sizes");
    // Exact squared distances by a plain scan (no GEMM cancellation: the row returned is the nearest).
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t best = 0;
        double best_d2 = std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < size(); ++j) {
            double d2 = 0.0;
            for (std::size_t k = 0; k < dim_; ++k) {
                const double e = x[i * dim_ + k] - points_[j * dim_ + k];
                d2 += e * e;
            }
            if (d2 < best_d2) best_d2 = d2, best = j;
        }
        std::copy_n(points_.begin() + static_cast<std::ptrdiff_t>(best * dim_), dim_,
                    out.begin() + static_cast<std::ptrdiff_t>(i * dim_));
    }
    return true;
}

void EmpiricalData::nearest_squared_distance(std::span<const double> x, std::size_t n,
                                             std::span<double> out) const {
    if (x.size() != n * dim_ || out.size() != n) throw InputError("nearest distance: wrong buffer sizes");
    // |x - y|^2 = |x|^2 + |y|^2 - 2 x.y with the dot products from one GEMM per block.
    thread_local std::vector<double> dots;
    dots.resize(row_block * data_block);
    const int di = static_cast<int>(dim_);
    for (std::size_t i0 = 0; i0 < n; i0 += row_block) {
        const std::size_t m = std::min(row_block, n - i0);
        const double* xb = x.data() + i0 * dim_;
        for (std::size_t i = 0; i < m; ++i) out[i0 + i] = std::numeric_limits<double>::infinity();
        for (std::size_t j0 = 0; j0 < size(); j0 += data_block) {
            const std::size_t b = std::min(data_block, size() - j0);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(b), di,
                        1.0, xb, di, points_.data() + j0 * dim_, di, 0.0, dots.data(), static_cast<int>(b));
            for (std::size_t i = 0; i < m; ++i) {
                double xn = 0.0;
                for (std::size_t k = 0; k < dim_; ++k) xn += xb[i * dim_ + k] * xb[i * dim_ + k];
                for (std::size_t j = 0; j < b; ++j)
                    out[i0 + i] =
                        std::min(out[i0 + i], std::max(xn + norms_[j0 + j] - 2.0 * dots[i * b + j], 0.0));
            }
        }
    }
}

}  // namespace ayslab
