#include "ayslab/evaluation/likelihood.hpp"

#include <fmt/format.h>

#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"

namespace ayslab {

double bits_per_dim(double log_p, std::size_t dim) {
    return -log_p / (static_cast<double>(dim) * std::numbers::ln2);
}

LikelihoodResult probability_flow_log_likelihood(const Denoiser& denoiser, std::span<const double> x,
                                                 const LikelihoodOptions& o, const Data* data) {
    namespace odeint = boost::numeric::odeint;
    const std::size_t d = denoiser.dim();
    if (o.exact_prior && !data) throw InputError("likelihood: the exact prior needs the data's log-density");
    if (data && data->dim() != d)
        throw InputError(fmt::format("likelihood: the data has dimension {}, the denoiser {}", data->dim(), d));
    if (x.size() != d)
        throw InputError(fmt::format("likelihood: point has {} coordinates, data has {}", x.size(), d));
    if (!(o.sigma_min > 0.0) || !(o.sigma_max > o.sigma_min))
        throw InputError("likelihood needs 0 < sigma_min < sigma_max");
    const bool exact = o.divergence == Divergence::exact;
    const std::size_t probes = exact ? 0 : o.probes;
    if (!exact && probes == 0) throw InputError("likelihood: Hutchinson's estimator needs at least one probe");
    std::vector<double> probe(probes * d);  // probe j: values [j d, (j + 1) d)
    for (std::size_t j = 0; j < probes; ++j) {
        const std::span<double> pj(probe.data() + j * d, d);
        if (o.divergence == Divergence::hutchinson_gaussian) {
            fill_normal({o.seed, static_cast<std::uint64_t>(Stream::metrics), o.probe + j, 1}, pj);
        } else {
            fill_uniform({o.seed, static_cast<std::uint64_t>(Stream::metrics), o.probe + j, 2}, pj);
            for (double& v : pj) v = v < 0.5 ? -1.0 : 1.0;
        }
    }
    // x (d values), then one divergence integral (exact) or one per probe.
    using State = std::vector<double>;
    const std::size_t integrals = exact ? 1 : probes;
    State y(d + integrals, 0.0);
    std::copy(x.begin(), x.end(), y.begin());
    std::vector<double> den(d), shifted(2 * probes * d), moved(2 * probes * d);
    LikelihoodResult result;
    auto rhs = [&](const State& s, State& ds, double u) {
        const double sigma = std::exp(u);
        const std::span<const double> xs(s.data(), d);
        denoiser.denoise(xs, 1, sigma, den);
        ++result.nfe;
        for (std::size_t k = 0; k < d; ++k) ds[k] = s[k] - den[k];
        if (exact) {
            double trace = 0.0;
            denoiser.jacobian_trace(xs, 1, sigma, {&trace, 1});
            ds[d] = static_cast<double>(d) - trace;
            return;
        }
        // eps^T J eps with J eps = (D(x + h eps) - D(x - h eps)) / 2h, h relative to sigma: 1e-4, or
        // for a coarser D (float32) the cube root of its rounding, which balances rounding and the
        // O(h^2) truncation error of the central difference. Rows 2j and 2j + 1: probe j, + and -.
        const double h = std::max(1e-4, std::cbrt(denoiser.rounding())) * sigma;
        for (std::size_t j = 0; j < probes; ++j)
            for (std::size_t k = 0; k < d; ++k) {
                shifted[(2 * j) * d + k] = s[k] + h * probe[j * d + k];
                shifted[(2 * j + 1) * d + k] = s[k] - h * probe[j * d + k];
            }
        denoiser.denoise(shifted, 2 * probes, sigma, moved);
        result.nfe += 2;  // per particle: the two perturbed evaluations of each probe run as one batch
        for (std::size_t j = 0; j < probes; ++j) {
            double trace = 0.0;
            for (std::size_t k = 0; k < d; ++k)
                trace += probe[j * d + k] * (moved[(2 * j) * d + k] - moved[(2 * j + 1) * d + k]) / (2.0 * h);
            ds[d + j] = static_cast<double>(d) - trace;
        }
    };
    const double u0 = std::log(o.sigma_min), u1 = std::log(o.sigma_max);
    odeint::integrate_adaptive(odeint::make_controlled(o.atol, o.rtol, odeint::runge_kutta_dopri5<State>()),
                               rhs, y, u0, u1, (u1 - u0) / 100.0);
    const std::span<const double> end(y.data(), d);
    if (o.exact_prior) {
        result.prior_term = data->log_density(end, o.sigma_max);
    } else {
        double q = 0.0;
        for (double v : end) q += v * v;
        result.prior_term =
            -0.5 * static_cast<double>(d) * std::log(2.0 * std::numbers::pi * o.sigma_max * o.sigma_max) -
            0.5 * q / (o.sigma_max * o.sigma_max);
    }
    double sum = 0.0;
    for (std::size_t j = 0; j < integrals; ++j) sum += y[d + j];
    result.divergence_integral = sum / static_cast<double>(integrals);
    result.log_p = result.prior_term + result.divergence_integral;
    if (!exact)
        for (std::size_t j = 0; j < probes; ++j) result.log_p_probes.push_back(result.prior_term + y[d + j]);
    if (!std::isfinite(result.log_p))
        throw NumericalError("likelihood: the probability-flow integral is not finite");
    return result;
}

}  // namespace ayslab
