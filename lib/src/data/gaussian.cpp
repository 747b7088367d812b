#include "ayslab/data/gaussian.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"

namespace ayslab {

DiagonalGaussian::DiagonalGaussian(std::vector<double> mean, std::vector<double> std)
    : mean_(std::move(mean)) {
    if (mean_.empty() || mean_.size() != std.size())
        throw InputError(
            fmt::format("Gaussian data: mean has {} entries, std has {}", mean_.size(), std.size()));
    var_.resize(std.size());
    for (std::size_t j = 0; j < std.size(); ++j) {
        if (!(std[j] > 0.0) || !std::isfinite(std[j]) || !std::isfinite(mean_[j]))
            throw InputError(
                fmt::format("Gaussian data: coordinate {} has mean {} and std {}", j, mean_[j], std[j]));
        var_[j] = std[j] * std[j];
    }
}

DiagonalGaussian DiagonalGaussian::isotropic(std::size_t d, double mu, double c) {
    return DiagonalGaussian(std::vector<double>(d, mu), std::vector<double>(d, c));
}

void DiagonalGaussian::denoise_at(std::span<const double> x, std::size_t n, double sigma,
                                  std::span<double> out) const {
    check_batch(*this, x, n, out);
    const std::size_t d = dim();
    const double s2 = sigma * sigma;
    for (std::size_t i = 0; i < n; ++i) {
        const double* xi = x.data() + i * d;
        double* oi = out.data() + i * d;
        for (std::size_t j = 0; j < d; ++j) oi[j] = mean_[j] + var_[j] / (var_[j] + s2) * (xi[j] - mean_[j]);
    }
}

double DiagonalGaussian::log_density(std::span<const double> x, double sigma) const {
    if (x.size() != dim())
        throw InputError(fmt::format("point has {} coordinates, data has {}", x.size(), dim()));
    const double s2 = sigma * sigma;
    double acc = 0.0;
    for (std::size_t j = 0; j < dim(); ++j) {
        const double v = var_[j] + s2, r = x[j] - mean_[j];
        acc += -0.5 * (std::log(2.0 * std::numbers::pi * v) + r * r / v);
    }
    return acc;
}

void DiagonalGaussian::trace_at(std::span<const double> x, std::size_t n, double sigma,
                                std::span<double> out) const {
    if (x.size() != n * dim() || out.size() != n) throw InputError("jacobian_trace: wrong buffer sizes");
    double tr = 0.0;  // sum_j c_j^2 / (c_j^2 + sigma^2), the same for every x
    for (double v : var_) tr += v / (v + sigma * sigma);
    std::fill(out.begin(), out.end(), tr);
}

bool DiagonalGaussian::moments(std::vector<double>& mean, std::vector<double>& covariance) const {
    const std::size_t d = mean_.size();
    mean = mean_;
    covariance.assign(d * d, 0.0);
    for (std::size_t a = 0; a < d; ++a) covariance[a * d + a] = var_[a];
    return true;
}

double DiagonalGaussian::data_variance() const {
    double acc = 0.0;
    for (double v : var_) acc += v;
    return acc / static_cast<double>(var_.size());
}

void DiagonalGaussian::sample(std::size_t n, std::uint64_t seed, std::uint64_t first,
                              std::span<double> out) const {
    const std::size_t d = dim();
    if (out.size() != n * d) throw InputError("Gaussian sample: output has the wrong size");
    fill_normal_flat(seed, static_cast<std::uint64_t>(Stream::data), 0, first * d, out);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) out[i * d + j] = mean_[j] + std::sqrt(var_[j]) * out[i * d + j];
}

}  // namespace ayslab
