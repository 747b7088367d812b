// A schedule is a validated, strictly decreasing list of sigma values sigma_n > ... > sigma_0 >= 0
// (stored in sampling order: the first value is sigma_max). Only the last value may be 0: the
// k-diffusion convention for a final step to the clean data. Built by free functions named after
// their families; a process converts sigma <-> t only at the edges.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "ayslab/process/process.hpp"

namespace ayslab {

class Schedule {
  public:
    // Throws InputError unless: >= 2 values, all finite and > 0 (the last may be 0), strictly
    // decreasing.
    explicit Schedule(std::vector<double> sigmas);
    std::size_t size() const { return sigmas_.size(); }
    std::size_t steps() const { return sigmas_.size() - 1; }
    double operator[](std::size_t i) const { return sigmas_[i]; }
    double sigma_max() const { return sigmas_.front(); }
    double sigma_min() const { return sigmas_.back(); }
    bool ends_at_zero() const { return sigmas_.back() == 0.0; }
    std::span<const double> sigmas() const { return sigmas_; }
    // The schedule in a process's own time variable (same order).
    std::vector<double> times(const Process& process) const;

  private:
    std::vector<double> sigmas_;
};

// EDM / Karras: sigma_i = (sigma_max^(1/rho) + i/n (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho.
Schedule karras(std::size_t steps, double sigma_min, double sigma_max, double rho = 7.0);
// Uniform in log sigma (equivalently in log-SNR).
Schedule log_uniform(std::size_t steps, double sigma_min, double sigma_max);
// Uniform in the process's own time t between t(sigma_max) and t(sigma_min).
Schedule uniform_t(std::size_t steps, double sigma_min, double sigma_max, const Process& process);
// The exact KL optimum of Euler for 1-D Gaussian data N(., c^2) (MATH §4):
// arctan(sigma_i / c) equally spaced.
Schedule arctan_optimal(std::size_t steps, double sigma_min, double sigma_max, double c);

// Checks a (sigma_min, sigma_max, steps) triple; throws InputError naming the problem.
void check_schedule_range(std::size_t steps, double sigma_min, double sigma_max);

}  // namespace ayslab
