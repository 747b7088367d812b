// Probability-flow likelihood (MATH.md §7): log p_{sigma_min}(x) = log p_{sigma_max}(x(sigma_max)) +
// int div f du along dx/du = x - D(x; e^u), u = log sigma, div f = d - tr dD/dx. The divergence is
// exact (Denoiser::jacobian_trace) or Hutchinson's estimator eps^T J eps with J eps by central
// differences of D and one fixed probe per trajectory (Rademacher or Gaussian).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"

namespace ayslab {

enum class Divergence { exact, hutchinson_rademacher, hutchinson_gaussian };

struct LikelihoodOptions {
    double sigma_min = 0.002;
    double sigma_max = 80.0;
    double rtol = 1e-9;  // adaptive Dormand-Prince tolerances
    double atol = 1e-9;
    Divergence divergence = Divergence::exact;
    std::uint64_t seed = 0;   // Hutchinson probe
    std::uint64_t probe = 0;  // which probe (independent for different values)
    // Hutchinson: probes probe, probe + 1, ... accumulated along the one trajectory (the path x(u)
    // does not depend on the probe, so each probe's log p is an independent unbiased estimate; their
    // perturbed points go to the denoiser as one batch of 2 x probes rows).
    std::size_t probes = 1;
    // Prior term: the exact log p_{sigma_max} of the data (true; the data must be given) or
    // N(0, sigma_max^2 I) (false).
    bool exact_prior = true;
};

struct LikelihoodResult {
    double log_p = 0.0;       // log p_{sigma_min}(x) (Hutchinson: the mean over the probes)
    std::vector<double> log_p_probes;  // Hutchinson: each probe's estimate
    double prior_term = 0.0;  // log p_{sigma_max}(x(sigma_max))
    double divergence_integral = 0.0;
    std::size_t nfe = 0;  // denoiser evaluations (D and, for Hutchinson, its two probes)
};

// The ODE runs on `denoiser`; `data` (optional) gives the exact prior term.
LikelihoodResult probability_flow_log_likelihood(const Denoiser& denoiser, std::span<const double> x,
                                                 const LikelihoodOptions& options, const Data* data = nullptr);

// -log p / (d ln 2).
double bits_per_dim(double log_p, std::size_t dim);

}  // namespace ayslab
