#include "ayslab/denoisers/guidance.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ayslab/error.hpp"

namespace ayslab {

GuidedDenoiser::GuidedDenoiser(const Denoiser& base, const GuidanceOptions& options) : DenoiserView(base), o_(options) {
    if (base.classes() == 0) throw InputError("guidance needs a conditional denoiser (one with class labels)");
    if (!std::isfinite(o_.scale)) throw InputError(fmt::format("guidance scale {} is not finite", o_.scale));
    if (!(o_.sigma_lo >= 0.0) || !(o_.sigma_hi >= o_.sigma_lo))
        throw InputError(fmt::format("guidance interval [{}, {}] is empty or negative", o_.sigma_lo, o_.sigma_hi));
}

bool GuidedDenoiser::guides_at(double sigma) const {
    return o_.scale != 0.0 && o_.scale != 1.0 && sigma >= o_.sigma_lo && sigma <= o_.sigma_hi;
}

void GuidedDenoiser::evaluate(const Batch& b, std::span<double> out) const {
    if (b.labels.empty()) {  // the unconditional model
        requested_.count(b.n);
        return base_.evaluate(b.with_labels({&null_label, 1}), out);
    }
    if (b.one_sigma()) return evaluate_one_sigma(b, out);
    evaluate_rows(b, out);
}

void GuidedDenoiser::evaluate_one_sigma(const Batch& b, std::span<double> out) const {
    const std::span<const double> x = b.x;
    const std::size_t n = b.n;
    const double sigma = b.sigma;
    const std::span<const Label> labels = b.labels;
    check_labels(labels, n, classes());
    check_batch(*this, x, n, out);
    const std::size_t d = dim(), size = n * d;
    if (!guides_at(sigma)) {
        // One branch: w = 0 the unconditional model, otherwise (w = 1, or outside the interval) the
        // conditional one.
        requested_.count(n);
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
        requested_.count(2 * n);
        base_.denoise_labelled(xs, 2 * n, sigma, ys, both);
    } else {
        requested_.count(n);
        base_.denoise_labelled(x, n, sigma, {&null_label, 1}, u);
        requested_.count(n);
        base_.denoise_labelled(x, n, sigma, labels, c);
    }
    const double w = o_.scale;
    for (std::size_t k = 0; k < size; ++k) out[k] = u[k] + w * (c[k] - u[k]);
}

void GuidedDenoiser::evaluate_rows(const Batch& b, std::span<double> out) const {
    const std::span<const double> x = b.x, sigmas = b.sigmas;
    const std::size_t n = b.n;
    const std::span<const Label> labels = b.labels;
    check_labels(labels, n, classes());
    check_batch(*this, x, n, out);
    if (sigmas.size() != n) throw InputError(fmt::format("{} sigmas for {} rows", sigmas.size(), n));
    if (n == 0) return;
    const std::size_t d = dim();
    // Each row's branches, as denoise_labelled() chooses them at the row's sigma: the unconditional
    // rows first, then the conditional ones (the order of denoise_labelled's batched call).
    // (Plain vectors, not thread_local ones: a base may itself be guided.)
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::vector<std::size_t> u_of(n, none), c_of(n, none);  // row -> its row in the call
    std::vector<double> xs, sig, values;
    std::vector<Label> ys;
    std::size_t rows = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double s = sigmas[i];
        const bool in = s >= o_.sigma_lo && s <= o_.sigma_hi;
        if (guides_at(s) || (o_.scale == 0.0 && in)) u_of[i] = rows++;
    }
    const std::size_t unconditional = rows;
    for (std::size_t i = 0; i < n; ++i)
        if (guides_at(sigmas[i]) || u_of[i] == none) c_of[i] = rows++;
    xs.resize(rows * d);
    sig.resize(rows);
    ys.resize(rows);
    values.resize(rows * d);
    for (std::size_t i = 0; i < n; ++i)
        for (const std::size_t r : {u_of[i], c_of[i]}) {
            if (r == none) continue;
            std::copy_n(x.data() + i * d, d, xs.data() + r * d);
            sig[r] = sigmas[i];
            ys[r] = r < unconditional ? null_label : labels[labels.size() == 1 ? 0 : i];
        }
    if (o_.batched || unconditional == 0 || unconditional == rows) {
        requested_.count(rows);
        base_.denoise_rows_labelled(xs, rows, sig, ys, values);
    } else {
        const std::size_t cu = unconditional * d;
        requested_.count(unconditional);
        base_.denoise_rows_labelled({xs.data(), cu}, unconditional, {sig.data(), unconditional},
                                    {ys.data(), unconditional}, {values.data(), cu});
        requested_.count(rows - unconditional);
        base_.denoise_rows_labelled({xs.data() + cu, xs.size() - cu}, rows - unconditional,
                                    {sig.data() + unconditional, rows - unconditional},
                                    {ys.data() + unconditional, rows - unconditional},
                                    {values.data() + cu, values.size() - cu});
    }
    const double w = o_.scale;
    for (std::size_t i = 0; i < n; ++i) {
        const double* u = u_of[i] == none ? nullptr : values.data() + u_of[i] * d;
        const double* c = c_of[i] == none ? nullptr : values.data() + c_of[i] * d;
        double* o = out.data() + i * d;
        if (u && c)
            for (std::size_t j = 0; j < d; ++j) o[j] = u[j] + w * (c[j] - u[j]);
        else
            std::copy_n(u ? u : c, d, o);
    }
}

void GuidedDenoiser::trace(const Batch& b, std::span<double> out) const {
    if (b.labels.empty()) return base_.trace(b.with_labels({&null_label, 1}), out);
    if (!b.one_sigma()) return Denoiser::trace(b, out);  // central differences, row by row
    const std::span<const double> x = b.x;
    const std::size_t n = b.n;
    const double sigma = b.sigma;
    const std::span<const Label> labels = b.labels;
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
