// KLUB (MATH.md §5): the Girsanov bound on the KL added by the linearised-SDE step over one interval
// [sigma_lo, sigma_hi],  KLUB = int sigma^-3 E|D(x_sigma; sigma) - D(x_hi; sigma_hi)|^2 dsigma,
// x_sigma ~ p_sigma, x_hi = x_sigma + sqrt(sigma_hi^2 - sigma^2) z. Closed form for Gaussian data,
// quadrature of the same integral as a cross-check, and importance-sampled Monte Carlo for any data.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/process/process.hpp"
#include "ayslab/schedule/schedule.hpp"

namespace ayslab {

// Gaussian data with per-coordinate variances c_j^2 (any means): sum_j (w_j - log(1 + w_j)) / 2 with
// w_j = (c_j^2/sigma_lo^2 - c_j^2/sigma_hi^2) / (1 + c_j^2/sigma_hi^2). Needs 0 < sigma_lo < sigma_hi.
double klub_interval_gaussian(std::span<const double> variances, double sigma_lo, double sigma_hi);
// Per interval of a schedule (sampling order: interval k runs from sigma[k] down to sigma[k+1]).
std::vector<double> klub_schedule_gaussian(const Schedule& schedule, std::span<const double> variances);
// The same integral by adaptive Gauss-Kronrod quadrature of sigma^-3 c^4 (1/(c^2+s^2) - 1/(c^2+hi^2)).
double klub_interval_gaussian_quadrature(std::span<const double> variances, double sigma_lo, double sigma_hi);
// The same integral in a process's own time: int sigma'(t) / sigma(t)^3 E|dD|^2 dt over
// [t(sigma_lo), t(sigma_hi)] (s cancels, MATH §5), by quadrature.
double klub_interval_gaussian_in_time(const Process& process, std::span<const double> variances,
                                      double sigma_lo, double sigma_hi);

struct KlubEstimate {
    double value = 0.0;
    double standard_error = 0.0;
};

struct KlubMonteCarlo {
    std::size_t samples = 1024;
    std::uint64_t seed = 0;
    double proposal_variance = 0.0;  // c^2 of the sigma proposal; 0 = the data's variance
    std::size_t threads = 1;
    // (x_0, y) pairs: each x_0 is drawn with its class y (Data::sample_labelled) and the denoiser is
    // evaluated at D(x; sigma, y) (denoise_labelled): the KLUB of a conditional model over the data's
    // classes, one schedule for all of them (needs labelled data and a denoiser with its classes).
    // The x_0 rows are the unlabelled draws' own, so only the denoiser's argument changes.
    bool labelled = false;
};

// The random draws of one interval slot (uniforms for sigma, x0 rows, eps and z), reusable for any
// interval end points: common random numbers across candidate schedules.
struct KlubDraws {
    std::size_t samples = 0, dim = 0;
    double data_variance = 0.0;  // of the data the x0 rows came from (the default proposal's c^2)
    std::vector<double> u, x0, eps, z;
    std::vector<Label> labels;  // x0's classes (samples entries) when drawn labelled, else empty
};
// x0 rows are drawn from the data; the denoiser (the data's exact one, or any other) is what the
// KLUB measures.
KlubDraws klub_draws(const Data& data, std::uint64_t slot, const KlubMonteCarlo& options);
KlubEstimate klub_interval_mc(const Denoiser& denoiser, double sigma_lo, double sigma_hi, const KlubDraws& draws,
                              const KlubMonteCarlo& options);

// Importance-sampled Monte Carlo of one interval: sigma from pi(sigma) ∝ sigma^-3 [1/(c^2+sigma^2) -
// 1/(c^2+sigma_hi^2)] (by inverting its closed-form CDF), weights |dD|^2 / [...] times pi's normaliser.
// Draws are addressed by (seed, slot, sample): the same slot gives the same draws (common random
// numbers) for any interval end points.
KlubEstimate klub_interval_mc(const Data& data, const Denoiser& denoiser, double sigma_lo, double sigma_hi,
                              std::uint64_t slot, const KlubMonteCarlo& options);
// Sum over a schedule's intervals (slot k for interval k); standard errors add in quadrature.
KlubEstimate klub_schedule_mc(const Data& data, const Denoiser& denoiser, const Schedule& schedule,
                              const KlubMonteCarlo& options, std::vector<KlubEstimate>* per_interval = nullptr);

}  // namespace ayslab
