#include "ayslab/forward_sde.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"

namespace ayslab {

void forward_sde_paths(const Process& process, std::span<const double> x0, std::size_t n, std::size_t d,
                       const ForwardSdeGrid& grid, std::span<const std::size_t> record_steps,
                       std::uint64_t seed, std::uint64_t first, std::span<const ForwardSdeRun> runs) {
    const std::size_t R = record_steps.size();
    if (grid.steps == 0) throw InputError("forward SDE: needs at least one step");
    if (x0.size() != n * d) throw InputError("forward SDE: x0 has the wrong size");
    for (std::size_t r = 0; r < R; ++r)
        if (record_steps[r] > grid.steps || (r > 0 && record_steps[r] <= record_steps[r - 1]))
            throw InputError(fmt::format("forward SDE: cannot record at step {}", record_steps[r]));
    const double dt = (grid.t_end - grid.t_start) / static_cast<double>(grid.steps);
    struct Coefficients {
        std::vector<double> drift, diffusion;
    };
    std::vector<Coefficients> coef(runs.size());
    for (std::size_t u = 0; u < runs.size(); ++u) {
        const std::size_t m = runs[u].coarsening;
        if (m == 0 || grid.steps % m != 0)
            throw InputError(
                fmt::format("forward SDE: {} steps do not divide into coarsening {}", grid.steps, m));
        for (auto k : record_steps)
            if (k % m != 0)
                throw InputError(fmt::format("forward SDE: step {} is not a multiple of {}", k, m));
        if (runs[u].record.size() != n * R * d)
            throw InputError("forward SDE: record buffer has the wrong size");
        // Drift f h and diffusion g sqrt(dt) (per fine increment) at the left end of each step.
        for (std::size_t k = 0; k < grid.steps / m; ++k) {
            const double t = grid.t_start + static_cast<double>(k * m) * dt;
            coef[u].drift.push_back(process.f(t) * static_cast<double>(m) * dt);
            coef[u].diffusion.push_back(std::sqrt(process.g2(t) * dt));
        }
    }
    std::vector<double> z(grid.steps * d), x(d);
    for (std::size_t i = 0; i < n; ++i) {
        fill_normal({seed, static_cast<std::uint64_t>(Stream::forward_noise), first + i, 0}, z);
        for (std::size_t u = 0; u < runs.size(); ++u) {
            const std::size_t m = runs[u].coarsening;
            for (std::size_t j = 0; j < d; ++j) x[j] = x0[i * d + j];
            std::size_t r = 0;
            for (std::size_t k = 0; k < grid.steps / m; ++k) {
                const double drift = coef[u].drift[k], diffusion = coef[u].diffusion[k];
                for (std::size_t j = 0; j < d; ++j) {
                    double dw = 0.0;
                    for (std::size_t q = 0; q < m; ++q) dw += z[(k * m + q) * d + j];
                    x[j] += drift * x[j] + diffusion * dw;
                }
                if (r < R && record_steps[r] == (k + 1) * m) {
                    for (std::size_t j = 0; j < d; ++j) runs[u].record[(i * R + r) * d + j] = x[j];
                    ++r;
                }
            }
        }
    }
}

}  // namespace ayslab
