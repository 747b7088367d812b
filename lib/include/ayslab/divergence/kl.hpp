// Exact KL divergences (MATH.md §4): between diagonal Gaussians, and of a deterministic solver +
// schedule on Gaussian data, where every step is affine in x so the output is Gaussian.
#pragma once
#include <vector>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/solver.hpp"

namespace ayslab {

// KL(N(m_p, v_p) || N(m_q, v_q)) in 1-D, written as (expm1(u) - u)/2 + (m_p-m_q)^2/(2 v_q) with
// u = log(v_p/v_q) so that it keeps full relative precision when the two are close.
double kl_gaussian(double mean_p, double var_p, double mean_q, double var_q);
// Sum over coordinates of independent 1-D terms (diagonal covariances).
double kl_gaussian_diag(const std::vector<double>& mean_p, const std::vector<double>& var_p,
                        const std::vector<double>& mean_q, const std::vector<double>& var_q);

struct GaussianLaw {
    std::vector<double> mean, variance;
};

// The exact output law of a deterministic solver run over the schedule on Gaussian data, started
// from the exact p_{sigma_max} = N(mu, c^2 + sigma_max^2). Each coordinate's map is affine, so it
// is read off the solver by running it on two probe particles (x = mean and x = mean + std).
// Throws InputError for a stochastic solver and NumericalError if the map is not affine.
GaussianLaw solver_output_law(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data);

// The exact output law of a stochastic "mean + std * z" solver (euler-maruyama, linearised-sde,
// ddpm-ancestral) on Gaussian data: its mean map is affine in x and its noise independent, so mean
// and variance propagate exactly step by step (m' = mean(m), v' = a^2 v + std^2).
GaussianLaw stochastic_output_law(const Solver& solver, const Schedule& schedule,
                                  const DiagonalGaussian& data);

// Either of the two above, by the solver's kind.
GaussianLaw output_law(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data);

// KL(p_{sigma_min} || sampler output): the exact error of solver + schedule on Gaussian data.
double exact_solver_kl(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data);

// The KL between the true process and a gaussian_step sampler (linearised-sde, euler-maruyama,
// ddpm-ancestral) as discrete-time chains on the schedule's sigmas, both started from the exact
// p_{sigma_max}: sum over steps of E_{x ~ p_{sigma_i}} KL(q(x_{i+1} | x_i) || p(x_{i+1} | x_i)), with q
// the true reverse conditional of the Gaussian data (MATH §5). By data processing it lies between
// exact_solver_kl (the end point alone) and the summed KLUB (the continuous path). InputError for other
// solvers; +inf when a step has no noise.
double exact_path_kl(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data);

// MATH §4 closed form for Euler on 1-D N(0, c^2): the output variance
// (t_max^2 + c^2) prod_i ((t_i t_{i-1} + c^2)/(t_i^2 + c^2))^2.
double euler_output_variance_1d(const Schedule& schedule, double c);

}  // namespace ayslab
