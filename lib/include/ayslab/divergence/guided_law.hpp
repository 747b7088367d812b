// Exact laws under classifier-free guidance on Gaussian classes (data/gaussian_classes.hpp, MATH.md
// §2-§4 per coordinate): the guided denoiser D_w = a(sigma) x + b(sigma) is affine, so the guided
// probability-flow ODE dx/dsigma = (x - D_w)/sigma is linear and its output law from a Gaussian start
// is Gaussian; so is every affine solver's discrete output law (read off by probes).
#pragma once
#include <optional>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/divergence/kl.hpp"
#include "ayslab/denoisers/guidance.hpp"

namespace ayslab {

// The guided ODE's own law at sigma_to, started from `start` at sigma_from > sigma_to, with w applied
// inside the guidance interval and w = 1 outside. Per coordinate, with alpha = (1 - a)/sigma and
// beta = b/sigma, L(s) = int_{sigma_to}^{s} alpha (in closed form, piecewise in w):
//   x(sigma_to) = e^{-L(sigma_from)} x(sigma_from) + int_{sigma_to}^{sigma_from} beta(s) e^{-L(s)} ds,
// the integral by Gauss-Kronrod (61 points, relative tolerance 1e-13) in log s on each piece.
GaussianLaw guided_ode_law(const DiagonalGaussian& unconditional, const DiagonalGaussian& conditional,
                           const GuidanceOptions& guidance, double sigma_from, double sigma_to,
                           const GaussianLaw& start);

// The tilted law proportional to p_{c,sigma}(x)^w p_{u,sigma}(x)^{1-w} (the target guidance is often
// said to sample; it does not): Gaussian with precision w/v_c + (1-w)/v_u per coordinate, or none when
// a precision is not positive (then it is not a distribution).
std::optional<GaussianLaw> tilted_law(const DiagonalGaussian& unconditional, const DiagonalGaussian& conditional,
                                      double w, double sigma);

// The output law of a deterministic solver + schedule run with a denoiser that is affine in x per
// coordinate (any such denoiser: a Gaussian's, a guided one through a Conditioned view), from the
// Gaussian `start` at the schedule's sigma_max: each coordinate's map is read off by running three
// probes (mean, mean +- std). InputError for a stochastic solver, NumericalError if the map is not affine.
GaussianLaw affine_output_law(const Solver& solver, const Schedule& schedule, const Denoiser& denoiser,
                              const GaussianLaw& start);

}  // namespace ayslab
