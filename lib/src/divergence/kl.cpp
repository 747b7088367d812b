#include "ayslab/divergence/kl.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "ayslab/divergence/guided_law.hpp"
#include "ayslab/error.hpp"
#include "ayslab/solver/sampler.hpp"

namespace ayslab {

double kl_gaussian(double mean_p, double var_p, double mean_q, double var_q) {
    if (!(var_p > 0.0) || !(var_q > 0.0))
        throw NumericalError(
            fmt::format("KL of Gaussians needs positive variances, got {} and {}", var_p, var_q));
    const double u = std::log(var_p / var_q), dm = mean_p - mean_q;
    return 0.5 * (std::expm1(u) - u) + 0.5 * dm * dm / var_q;
}

double kl_gaussian_diag(const std::vector<double>& mean_p, const std::vector<double>& var_p,
                        const std::vector<double>& mean_q, const std::vector<double>& var_q) {
    const std::size_t d = mean_p.size();
    if (var_p.size() != d || mean_q.size() != d || var_q.size() != d)
        throw InputError("KL of diagonal Gaussians: dimensions differ");
    double acc = 0.0;
    for (std::size_t j = 0; j < d; ++j) acc += kl_gaussian(mean_p[j], var_p[j], mean_q[j], var_q[j]);
    return acc;
}

GaussianLaw solver_output_law(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data) {
    // Started from the exact p_{sigma_max} = N(mu, c^2 + sigma_max^2).
    const double s2 = schedule.sigma_max() * schedule.sigma_max();
    GaussianLaw start{data.mean(), std::vector<double>(data.dim())};
    for (std::size_t j = 0; j < data.dim(); ++j) start.variance[j] = data.variance()[j] + s2;
    return affine_output_law(solver, schedule, data, start);
}

GaussianLaw stochastic_output_law(const Solver& solver, const Schedule& schedule,
                                  const DiagonalGaussian& data) {
    if (solver.traits().law != ExactLaw::gaussian_step)
        throw InputError(fmt::format("solver '{}' has no exact Gaussian output law", solver.name()));
    const auto& step = solver.traits().gaussian_step;  // the maps the solver itself runs
    const std::size_t d = data.dim();
    const double s2 = schedule.sigma_max() * schedule.sigma_max();
    GaussianLaw law{data.mean(), std::vector<double>(d)};
    for (std::size_t j = 0; j < d; ++j) law.variance[j] = data.variance()[j] + s2;
    for (std::size_t i = 0; i + 1 < schedule.size(); ++i) {
        const double sg = schedule[i], sn = schedule[i + 1], noise = step.noise_std(sg, sn);
        for (std::size_t j = 0; j < d; ++j) {
            // D(x) = mu + k (x - mu) (MATH §2); the step's mean map is affine with slope a.
            const double mu = data.mean()[j], k = data.variance()[j] / (data.variance()[j] + sg * sg);
            const double m = law.mean[j];
            const double m_next = step.mean(m, mu + k * (m - mu), sg, sn);
            const double a = step.mean(1.0, k, sg, sn);  // the means are linear in (x, D)
            law.mean[j] = m_next;
            law.variance[j] = a * a * law.variance[j] + noise * noise;
        }
    }
    return law;
}

double exact_path_kl(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data) {
    if (solver.traits().law != ExactLaw::gaussian_step)
        throw InputError(fmt::format("solver '{}' has no Gaussian steps: no exact path KL", solver.name()));
    const auto& step = solver.traits().gaussian_step;
    double total = 0.0;
    for (std::size_t i = 0; i + 1 < schedule.size(); ++i) {
        const double sg = schedule[i], sn = schedule[i + 1], noise = step.noise_std(sg, sn), v_p = noise * noise;
        if (!(v_p > 0.0)) return std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < data.dim(); ++j) {
            const double mu = data.mean()[j], c2 = data.variance()[j];
            const double vi = c2 + sg * sg, vn = c2 + sn * sn;
            // True reverse conditional of x_{sigma_n} given x_{sigma_i}: N(mu + r (x - mu), w).
            const double r = vn / vi, w = vn * (sg * sg - sn * sn) / vi;
            // The sampler's: N(m_p(mu) + a (x - mu), v_p), its mean linear in (x, D), D = mu + k (x - mu).
            const double k = c2 / vi, a = step.mean(1.0, k, sg, sn);  // the maps are linear in (x, D)
            const double offset = mu - step.mean(mu, mu, sg, sn);
            const double mean_gap2 = offset * offset + (r - a) * (r - a) * vi;  // E (m_q(x) - m_p(x))^2
            total += 0.5 * (w / v_p + mean_gap2 / v_p - 1.0 + std::log(v_p / w));
        }
    }
    return total;
}

GaussianLaw output_law(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data) {
    // The judge is the solver's registered exact law.
    switch (solver.traits().law) {
        case ExactLaw::affine:
            return solver_output_law(solver, schedule, data);
        case ExactLaw::gaussian_step:
            return stochastic_output_law(solver, schedule, data);
        case ExactLaw::none:
            break;
    }
    throw InputError(fmt::format("solver '{}' has no exact output law on Gaussian data", solver.name()));
}

double exact_solver_kl(const Solver& solver, const Schedule& schedule, const DiagonalGaussian& data) {
    const auto law = output_law(solver, schedule, data);
    const std::size_t d = data.dim();
    const double s2 = schedule.sigma_min() * schedule.sigma_min();
    std::vector<double> target_var(d);
    for (std::size_t j = 0; j < d; ++j) target_var[j] = data.variance()[j] + s2;
    return kl_gaussian_diag(data.mean(), target_var, law.mean, law.variance);
}

double euler_output_variance_1d(const Schedule& schedule, double c) {
    const double c2 = c * c;
    double log_var = std::log(schedule.sigma_max() * schedule.sigma_max() + c2);
    for (std::size_t i = 0; i + 1 < schedule.size(); ++i) {
        const double t = schedule[i], t_next = schedule[i + 1];
        log_var += 2.0 * std::log((t * t_next + c2) / (t * t + c2));
    }
    return std::exp(log_var);
}

}  // namespace ayslab
