#include "ayslab/divergence/guided_law.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/solver/sampler.hpp"

namespace ayslab {

namespace {
// One coordinate of the guided ODE (header): piece boundaries and the w on each piece.
struct Coordinate {
    double vu, mu, vc, mc;
    // int_{p0}^{p1} alpha(t) dt on a piece with constant w.
    double alpha_integral(double w, double p0, double p1) const {
        return 0.5 * (1.0 - w) * std::log((vu + p1 * p1) / (vu + p0 * p0)) +
               0.5 * w * std::log((vc + p1 * p1) / (vc + p0 * p0));
    }
    double beta(double w, double s) const {
        return (1.0 - w) * mu * s / (vu + s * s) + w * mc * s / (vc + s * s);
    }
};
}  // namespace

GaussianLaw guided_ode_law(const DiagonalGaussian& unconditional, const DiagonalGaussian& conditional,
                           const GuidanceOptions& g, double sigma_from, double sigma_to, const GaussianLaw& start) {
    const std::size_t d = unconditional.dim();
    if (conditional.dim() != d || start.mean.size() != d || start.variance.size() != d)
        throw InputError("guided ODE law: the dimensions differ");
    if (!(sigma_from > sigma_to) || !(sigma_to > 0.0))
        throw InputError(fmt::format("guided ODE law: needs sigma_from > sigma_to > 0, got {} and {}", sigma_from, sigma_to));
    // Pieces of constant w between sigma_to and sigma_from.
    std::vector<double> cuts{sigma_to, sigma_from};
    for (double c : {g.sigma_lo, g.sigma_hi})
        if (c > sigma_to && c < sigma_from) cuts.push_back(c);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    std::vector<double> w(cuts.size() - 1);
    for (std::size_t p = 0; p + 1 < cuts.size(); ++p) {
        const double mid = std::sqrt(cuts[p] * cuts[p + 1]);
        w[p] = mid >= g.sigma_lo && mid <= g.sigma_hi ? g.scale : 1.0;
    }
    GaussianLaw out{std::vector<double>(d), std::vector<double>(d)};
    for (std::size_t j = 0; j < d; ++j) {
        const Coordinate c{unconditional.variance()[j], unconditional.mean()[j], conditional.variance()[j],
                           conditional.mean()[j]};
        double L0 = 0.0, B = 0.0;  // L at the piece's lower end; the inhomogeneous part so far
        for (std::size_t p = 0; p + 1 < cuts.size(); ++p) {
            const double p0 = cuts[p], p1 = cuts[p + 1], wp = w[p];
            auto f = [&](double u) {
                const double s = std::exp(u);
                return c.beta(wp, s) * s * std::exp(-(L0 + c.alpha_integral(wp, p0, s)));
            };
            B += boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, std::log(p0), std::log(p1), 20, 1e-13);
            L0 += c.alpha_integral(wp, p0, p1);
        }
        const double A = std::exp(-L0);
        out.mean[j] = A * start.mean[j] + B;
        out.variance[j] = A * A * start.variance[j];
    }
    return out;
}

std::optional<GaussianLaw> tilted_law(const DiagonalGaussian& unconditional, const DiagonalGaussian& conditional,
                                      double w, double sigma) {
    const std::size_t d = unconditional.dim();
    if (conditional.dim() != d) throw InputError("tilted law: the dimensions differ");
    GaussianLaw law{std::vector<double>(d), std::vector<double>(d)};
    const double s2 = sigma * sigma;
    for (std::size_t j = 0; j < d; ++j) {
        const double vu = unconditional.variance()[j] + s2, vc = conditional.variance()[j] + s2;
        const double precision = w / vc + (1.0 - w) / vu;
        if (!(precision > 0.0)) return std::nullopt;
        law.variance[j] = 1.0 / precision;
        law.mean[j] = (w * conditional.mean()[j] / vc + (1.0 - w) * unconditional.mean()[j] / vu) / precision;
    }
    return law;
}

GaussianLaw affine_output_law(const Solver& solver, const Schedule& schedule, const Denoiser& denoiser,
                              const GaussianLaw& start) {
    if (solver.stochastic())
        throw InputError(fmt::format("exact KL needs a deterministic solver; '{}' is stochastic", solver.name()));
    const std::size_t d = denoiser.dim();
    if (start.mean.size() != d || start.variance.size() != d)
        throw InputError("affine output law: the start law has another dimension");
    // Probes: mean, mean + std, mean - std (the third checks the map is affine).
    std::vector<double> x(3 * d);
    for (std::size_t j = 0; j < d; ++j) {
        const double start_std = std::sqrt(start.variance[j]);
        x[j] = start.mean[j];
        x[d + j] = start.mean[j] + start_std;
        x[2 * d + j] = start.mean[j] - start_std;
    }
    sample(denoiser, solver, schedule, x, 3, SamplerOptions{0, 1, 3});
    GaussianLaw out{std::vector<double>(d), std::vector<double>(d)};
    for (std::size_t j = 0; j < d; ++j) {
        const double m = x[j], up = x[d + j] - m, down = m - x[2 * d + j];
        if (std::abs(up - down) > 1e-8 * (std::abs(up) + std::abs(m)) + 1e-300)
            throw NumericalError(fmt::format("solver '{}' is not affine on this denoiser (coordinate {}: {} vs {})",
                                             solver.name(), j, up, down));
        out.mean[j] = m;
        out.variance[j] = 0.25 * (up + down) * (up + down);
    }
    return out;
}

}  // namespace ayslab
