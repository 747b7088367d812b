#include "ayslab/forward_sde.hpp"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"

namespace ayslab {

void forward_sde_paths(const Process& process, std::span<const double> x0, std::size_t n, std::size_t d,
                       const ForwardSdeGrid& grid, std::span<const std::size_t> record_steps, std::uint64_t seed,
                       std::uint64_t first, std::span<double> record) {
    const std::size_t m = grid.coarsening, R = record_steps.size();
    if (m == 0 || grid.steps == 0 || grid.steps % m != 0)
        throw InputError(fmt::format("forward SDE: {} steps do not divide into coarsening {}", grid.steps, m));
    for (auto k : record_steps)
        if (k % m != 0 || k > grid.steps)
            throw InputError(fmt::format("forward SDE: cannot record at step {}", k));
    if (x0.size() != n * d || record.size() != n * R * d) throw InputError("forward SDE: wrong buffer sizes");
    const double dt = (grid.t_end - grid.t_start) / static_cast<double>(grid.steps);
    const std::size_t coarse_steps = grid.steps / m;
    // Drift and diffusion at the left end of each (coarse) step, computed once.
    std::vector<double> drift(coarse_steps), diffusion(coarse_steps);
    for (std::size_t k = 0; k < coarse_steps; ++k) {
        const double t = grid.t_start + static_cast<double>(k * m) * dt, h = static_cast<double>(m) * dt;
        drift[k] = process.f(t) * h;
        diffusion[k] = std::sqrt(process.g2(t) * dt);  // per fine increment: sum of m gives var m dt
    }
    std::vector<double> z(grid.steps * d), x(d);
    for (std::size_t i = 0; i < n; ++i) {
        fill_normal({seed, static_cast<std::uint64_t>(Stream::forward_noise), first + i, 0}, z);
        for (std::size_t j = 0; j < d; ++j) x[j] = x0[i * d + j];
        std::size_t r = 0;
        for (std::size_t k = 0; k < coarse_steps; ++k) {
            for (std::size_t j = 0; j < d; ++j) {
                double dw = 0.0;
                for (std::size_t q = 0; q < m; ++q) dw += z[(k * m + q) * d + j];
                x[j] += drift[k] * x[j] + diffusion[k] * dw;
            }
            while (r < R && record_steps[r] == (k + 1) * m) {
                for (std::size_t j = 0; j < d; ++j) record[(i * R + r) * d + j] = x[j];
                ++r;
            }
        }
    }
}

}  // namespace ayslab
