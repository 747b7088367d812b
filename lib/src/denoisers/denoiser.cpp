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

void check_rows(const Denoiser& denoiser, const Batch& b, std::span<const double> out, std::size_t width) {
    if (width == 1) {
        if (b.x.size() != b.n * denoiser.dim() || out.size() != b.n) throw InputError("jacobian_trace: wrong buffer sizes");
    } else {
        check_batch(denoiser, b.x, b.n, out);
    }
    if (!b.one_sigma() && b.sigmas.size() != b.n)
        throw InputError(fmt::format("{} sigmas for {} rows", b.sigmas.size(), b.n));
}

void check_labels(std::span<const Label> labels, std::size_t n, std::size_t classes) {
    if (labels.size() != n && labels.size() > 1)
        throw InputError(fmt::format("{} labels for {} rows (need one per row, or one for all)", labels.size(), n));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const Label y = labels[i];
        if (y != null_label && (y < 0 || static_cast<std::size_t>(y) >= classes))
            throw InputError(classes == 0
                                 ? fmt::format("label {} given to a denoiser that takes no labels", y)
                                 : fmt::format("label {} outside the {} classes 0..{}", y, classes, classes - 1));
    }
}

// tr dD/dx by central differences of D, one row at a time (its sigma, its label).
void Denoiser::trace(const Batch& b, std::span<double> out) const {
    check_labels(b.labels, b.n, classes());
    const std::size_t d = dim();
    if (b.x.size() != b.n * d || out.size() != b.n) throw InputError("jacobian_trace: wrong buffer sizes");
    std::vector<double> y(d), up(d), down(d);
    for (std::size_t i = 0; i < b.n; ++i) {
        double tr = 0.0;
        for (std::size_t k = 0; k < d; ++k) {
            const double h = 1e-5 * std::max(1.0, std::abs(b.x[i * d + k]));
            std::copy_n(b.x.data() + i * d, d, y.data());
            y[k] += h;
            evaluate(b.row(i, y), up);
            y[k] -= 2 * h;
            evaluate(b.row(i, y), down);
            tr += (up[k] - down[k]) / (2 * h);
        }
        out[i] = tr;
    }
}

void Denoiser::denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                            std::span<double> out) const {
    denoise_rows_labelled(x, n, sigmas, {}, out);
}

void Denoiser::denoise_labelled(std::span<const double> x, std::size_t n, double sigma,
                                std::span<const Label> labels, std::span<double> out) const {
    if (labels.empty() && n > 0) throw InputError(fmt::format("0 labels for {} rows (need one per row, or one for all)", n));
    evaluate({x, n, sigma, {}, labels}, out);
}

void Denoiser::denoise_rows_labelled(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                                     std::span<const Label> labels, std::span<double> out) const {
    if (sigmas.size() != n) throw InputError(fmt::format("{} sigmas for {} rows", sigmas.size(), n));
    if (n == 0) {  // no sigma to tell the batch from a one-sigma one: nothing to evaluate
        check_batch(*this, x, n, out);
        return;
    }
    evaluate({x, n, 0.0, sigmas, labels}, out);
}

void Denoiser::jacobian_trace_labelled(std::span<const double> x, std::size_t n, double sigma,
                                       std::span<const Label> labels, std::span<double> out) const {
    if (labels.empty() && n > 0) throw InputError(fmt::format("0 labels for {} rows (need one per row, or one for all)", n));
    trace({x, n, sigma, {}, labels}, out);
}

}  // namespace ayslab
