// Euler-Maruyama simulation of a process's forward SDE dx = f(t) x dt + g(t) dw (MATH.md §1).
#pragma once
#include <cstdint>
#include <span>

#include "ayslab/process.hpp"

namespace ayslab {

struct ForwardSdeGrid {
    double t_start;
    double t_end;
    std::size_t steps;        // fine steps of size (t_end - t_start) / steps
    std::size_t coarsening;   // 1, or m: steps of size m dt driven by the sums of m fine increments
};

// Simulates n independent particles of dimension d from x0 (n x d). After fine step k (k in
// record_steps, each a multiple of the coarsening) writes x into record[(i * R + r) * d + j]
// (R = record_steps.size()). The Brownian increments of particle first + i depend only on
// (seed, first + i), so a coarse run sees the same path as the fine one.
void forward_sde_paths(const Process& process, std::span<const double> x0, std::size_t n, std::size_t d,
                       const ForwardSdeGrid& grid, std::span<const std::size_t> record_steps, std::uint64_t seed,
                       std::uint64_t first, std::span<double> record);

}  // namespace ayslab
