#include "ayslab/denoisers/denoiser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ayslab/error.hpp"

namespace ayslab {

void check_batch(const Denoiser& denoiser, std::span<const double> x, std::size_t n,
                 std::span<const double> out) {
    const std::size_t need = n * denoiser.dim();
    if (x.size() != need || out.size() != need)
        throw InputError(
            fmt::format("batch shape mismatch: {} particles x d = {} needs {} values, got {} in and {} out",
                        n, denoiser.dim(), need, x.size(), out.size()));
}

void Denoiser::denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                            std::span<double> out) const {
    check_batch(*this, x, n, out);
    if (sigmas.size() != n) throw InputError(fmt::format("{} sigmas for {} rows", sigmas.size(), n));
    const std::size_t d = dim();
    for (std::size_t i = 0; i < n; ++i) denoise(x.subspan(i * d, d), 1, sigmas[i], out.subspan(i * d, d));
}

namespace {
// tr dD/dx by central differences of D, one row at a time; denoise_row(z, i, out) evaluates D at z for
// row i (its sigma, its label).
template <class DenoiseRow>
void central_difference_trace(std::size_t d, std::span<const double> x, std::size_t n, std::span<double> out,
                              DenoiseRow&& denoise_row) {
    if (x.size() != n * d || out.size() != n) throw InputError("jacobian_trace: wrong buffer sizes");
    std::vector<double> y(d), up(d), down(d);
    for (std::size_t i = 0; i < n; ++i) {
        double tr = 0.0;
        for (std::size_t k = 0; k < d; ++k) {
            const double h = 1e-5 * std::max(1.0, std::abs(x[i * d + k]));
            std::copy_n(x.data() + i * d, d, y.data());
            y[k] += h;
            denoise_row(y, i, up);
            y[k] -= 2 * h;
            denoise_row(y, i, down);
            tr += (up[k] - down[k]) / (2 * h);
        }
        out[i] = tr;
    }
}
}  // namespace

void Denoiser::jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                              std::span<double> out) const {
    central_difference_trace(dim(), x, n, out,
                             [&](std::span<const double> z, std::size_t, std::span<double> o) { denoise(z, 1, sigma, o); });
}

void check_labels(std::span<const Label> labels, std::size_t n, std::size_t classes) {
    if (labels.size() != n && labels.size() != 1)
        throw InputError(fmt::format("{} labels for {} rows (need one per row, or one for all)", labels.size(), n));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const Label y = labels[i];
        if (y != null_label && (y < 0 || static_cast<std::size_t>(y) >= classes))
            throw InputError(classes == 0
                                 ? fmt::format("label {} given to a denoiser that takes no labels", y)
                                 : fmt::format("label {} outside the {} classes 0..{}", y, classes, classes - 1));
    }
}

void Denoiser::denoise_labelled(std::span<const double> x, std::size_t n, double sigma,
                                std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, 0);  // a denoiser with classes overrides this
    denoise(x, n, sigma, out);
}

void Denoiser::denoise_rows_labelled(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                                     std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, classes());
    check_batch(*this, x, n, out);
    if (sigmas.size() != n) throw InputError(fmt::format("{} sigmas for {} rows", sigmas.size(), n));
    if (classes() == 0) return denoise_rows(x, n, sigmas, out);
    if (labels.size() == 1) {
        if (labels[0] == null_label) return denoise_rows(x, n, sigmas, out);
        if (const Denoiser* own = class_denoiser(labels[0])) return own->denoise_rows(x, n, sigmas, out);
    }
    const std::size_t d = dim();
    for (std::size_t i = 0; i < n; ++i)
        denoise_labelled(x.subspan(i * d, d), 1, sigmas[i], labels.subspan(labels.size() == 1 ? 0 : i, 1),
                         out.subspan(i * d, d));
}

void Denoiser::jacobian_trace_labelled(std::span<const double> x, std::size_t n, double sigma,
                                       std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, classes());
    if (classes() == 0) return jacobian_trace(x, n, sigma, out);
    central_difference_trace(dim(), x, n, out, [&](std::span<const double> z, std::size_t i, std::span<double> o) {
        denoise_labelled(z, 1, sigma, labels.subspan(labels.size() == 1 ? 0 : i, 1), o);
    });
}

}  // namespace ayslab
