#include "ayslab/process/forward_sde.hpp"

#include <fmt/format.h>

#include <algorithm>
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
    // Paths advance in blocks of B side by side: each path's update is a serial chain (x depends on the
    // previous x), so one path at a time waits on the latency of every step; B independent chains fill
    // the pipeline (and SIMD lanes). Each path sees the same operations in the same order as alone.
    constexpr std::size_t B = 16;
    const std::size_t S = grid.steps, w = B * d;  // block row width: B paths x d coordinates
    std::vector<double> z(S * w), zt(S * w), x(w), dw(w);
    for (std::size_t i0 = 0; i0 < n; i0 += B) {
        const std::size_t b = std::min(B, n - i0), bw = b * d;
        // z[k * w + p * d + j]: fine increment k of path i0 + p, coordinate j.
        for (std::size_t p = 0; p < b; ++p) {
            const std::span<double> zp(z.data() + S * d * p, S * d);  // path p's draws, step-major
            fill_normal({seed, static_cast<std::uint64_t>(Stream::forward_noise), first + i0 + p, 0}, zp);
        }
        // Transpose to step-major rows of the block (the draws above are path-major).
        for (std::size_t p = 0; p < b; ++p)
            for (std::size_t k = 0; k < S; ++k)
                for (std::size_t j = 0; j < d; ++j) zt[k * w + p * d + j] = z[S * d * p + k * d + j];
        for (std::size_t u = 0; u < runs.size(); ++u) {
            const std::size_t m = runs[u].coarsening;
            for (std::size_t e = 0; e < bw; ++e) x[e] = x0[i0 * d + e];
            std::size_t r = 0;
            for (std::size_t k = 0; k < S / m; ++k) {
                const double drift = coef[u].drift[k], diffusion = coef[u].diffusion[k];
                for (std::size_t e = 0; e < bw; ++e) dw[e] = 0.0;
                for (std::size_t q = 0; q < m; ++q) {
                    const double* zk = zt.data() + (k * m + q) * w;
                    for (std::size_t e = 0; e < bw; ++e) dw[e] += zk[e];
                }
                for (std::size_t e = 0; e < bw; ++e) x[e] += drift * x[e] + diffusion * dw[e];
                if (r < R && record_steps[r] == (k + 1) * m) {
                    for (std::size_t p = 0; p < b; ++p)
                        for (std::size_t j = 0; j < d; ++j)
                            runs[u].record[((i0 + p) * R + r) * d + j] = x[p * d + j];
                    ++r;
                }
            }
        }
    }
}

}  // namespace ayslab
