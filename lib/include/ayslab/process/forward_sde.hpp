// Euler-Maruyama simulation of a process's forward SDE dx = f(t) x dt + g(t) dw (MATH.md §1).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "ayslab/process/process.hpp"

namespace ayslab {

struct ForwardSdeGrid {
    double t_start;
    double t_end;
    std::size_t steps;  // fine steps of size (t_end - t_start) / steps
};

// One discretisation of the grid: steps of m fine steps, driven by the sums of m fine increments,
// recording x after each fine step count in record_steps (ascending multiples of m) into
// record[(i * R + r) * d + j], R = record_steps.size().
struct ForwardSdeRun {
    std::size_t coarsening;
    std::span<double> record;
};

// Simulates n independent particles of dimension d from x0 (n x d), every run on the same Brownian
// path: particle first + i's increments depend only on (seed, first + i), so coarse and fine runs
// can be compared (and Richardson-extrapolated) path by path.
void forward_sde_paths(const Process& process, std::span<const double> x0, std::size_t n, std::size_t d,
                       const ForwardSdeGrid& grid, std::span<const std::size_t> record_steps,
                       std::uint64_t seed, std::uint64_t first, std::span<const ForwardSdeRun> runs);

}  // namespace ayslab
