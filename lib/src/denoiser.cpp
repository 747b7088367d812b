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

}  // namespace ayslab
