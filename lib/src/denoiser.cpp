#include "ayslab/denoiser.hpp"

#include <fmt/format.h>

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

void Denoiser::log_density_rows(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
    const std::size_t d = dim();
    if (x.size() != n * d || out.size() != n) throw InputError("log_density_rows: wrong buffer sizes");
    for (std::size_t i = 0; i < n; ++i) out[i] = log_density(x.subspan(i * d, d), sigma);
}

}  // namespace ayslab
