#include "ayslab/guidance.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ayslab/error.hpp"

namespace ayslab {

GuidedDenoiser::GuidedDenoiser(const Denoiser& base, const GuidanceOptions& options) : base_(base), o_(options) {
    if (base.classes() == 0) throw InputError("guidance needs a conditional denoiser (one with class labels)");
    if (!std::isfinite(o_.scale)) throw InputError(fmt::format("guidance scale {} is not finite", o_.scale));
    if (!(o_.sigma_lo >= 0.0) || !(o_.sigma_hi >= o_.sigma_lo))
        throw InputError(fmt::format("guidance interval [{}, {}] is empty or negative", o_.sigma_lo, o_.sigma_hi));
}

bool GuidedDenoiser::guides_at(double sigma) const {
    return o_.scale != 0.0 && o_.scale != 1.0 && sigma >= o_.sigma_lo && sigma <= o_.sigma_hi;
}

void GuidedDenoiser::denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
    count(n);
    base_.denoise_labelled(x, n, sigma, {&null_label, 1}, out);
}

void GuidedDenoiser::denoise_labelled(std::span<const double> x, std::size_t n, double sigma,
                                      std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, classes());
    check_batch(*this, x, n, out);
    const std::size_t d = dim(), size = n * d;
    if (!guides_at(sigma)) {
        // One branch: w = 0 the unconditional model, otherwise (w = 1, or outside the interval) the
        // conditional one.
        count(n);
        if (o_.scale == 0.0 && sigma >= o_.sigma_lo && sigma <= o_.sigma_hi)
            base_.denoise_labelled(x, n, sigma, {&null_label, 1}, out);
        else
            base_.denoise_labelled(x, n, sigma, labels, out);
        return;
    }
    thread_local std::vector<double> xs, both;
    thread_local std::vector<Label> ys;
    both.resize(2 * size);
    const std::span<double> u(both.data(), size), c(both.data() + size, size);
    if (o_.batched) {
        xs.resize(2 * size);
        std::copy_n(x.data(), size, xs.data());
        std::copy_n(x.data(), size, xs.data() + size);
        ys.assign(2 * n, null_label);
        for (std::size_t i = 0; i < n; ++i) ys[n + i] = labels.size() == 1 ? labels[0] : labels[i];
        count(2 * n);
        base_.denoise_labelled(xs, 2 * n, sigma, ys, both);
    } else {
        count(n);
        base_.denoise_labelled(x, n, sigma, {&null_label, 1}, u);
        count(n);
        base_.denoise_labelled(x, n, sigma, labels, c);
    }
    const double w = o_.scale;
    for (std::size_t k = 0; k < size; ++k) out[k] = u[k] + w * (c[k] - u[k]);
}

void GuidedDenoiser::jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                                    std::span<double> out) const {
    base_.jacobian_trace_labelled(x, n, sigma, {&null_label, 1}, out);
}

void GuidedDenoiser::jacobian_trace_labelled(std::span<const double> x, std::size_t n, double sigma,
                                             std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, classes());
    if (!guides_at(sigma)) {
        if (o_.scale == 0.0 && sigma >= o_.sigma_lo && sigma <= o_.sigma_hi)
            return base_.jacobian_trace_labelled(x, n, sigma, {&null_label, 1}, out);
        return base_.jacobian_trace_labelled(x, n, sigma, labels, out);
    }
    std::vector<double> u(n);
    base_.jacobian_trace_labelled(x, n, sigma, {&null_label, 1}, u);
    base_.jacobian_trace_labelled(x, n, sigma, labels, out);
    for (std::size_t i = 0; i < n; ++i) out[i] = u[i] + o_.scale * (out[i] - u[i]);
}

}  // namespace ayslab
