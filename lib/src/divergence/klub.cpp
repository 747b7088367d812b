#include "ayslab/divergence/klub.hpp"

#include <cmath>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <fmt/format.h>

#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"

namespace ayslab {

namespace {

void check_interval(double lo, double hi) {
    if (!(lo > 0.0) || !(hi > lo) || !std::isfinite(hi))
        throw InputError(fmt::format("KLUB interval needs 0 < sigma_lo < sigma_hi, got [{}, {}]", lo, hi));
}

// w - log(1 + w), accurate for small w too.
double w_minus_log1p(double w) {
    if (std::abs(w) < 1e-3) {  // series w^2/2 - w^3/3 + w^4/4 - w^5/5
        const double w2 = w * w;
        return w2 * (0.5 - w / 3.0 + w2 / 4.0 - w2 * w / 5.0 + w2 * w2 / 6.0);
    }
    return w - std::log1p(w);
}

// 2 c^4 times the integral of sigma^-3 [1/(c^2+s^2) - 1/(c^2+hi^2)] from lo to sigma (MATH §5), in
// a = c^2/lo^2, b = c^2/sigma^2, h = c^2/hi^2:  (a - b)/(1 + h) - log(1 + (a - b)/(1 + b)).
double partial(double a, double b, double h) {
    const double u = (a - b) / (1.0 + h), v = (a - b) / (1.0 + b);
    return (u - v) + w_minus_log1p(v);
}

// E|dD|^2 per unit c^4 at sigma for interval end hi: 1/(c^2+s^2) - 1/(c^2+hi^2), without cancellation.
double gap(double c2, double s, double hi) { return (hi - s) * (hi + s) / ((c2 + s * s) * (c2 + hi * hi)); }

}  // namespace

double klub_interval_gaussian(std::span<const double> variances, double lo, double hi) {
    check_interval(lo, hi);
    double total = 0.0;
    for (double c2 : variances) {
        const double a = c2 / (lo * lo), h = c2 / (hi * hi);
        total += 0.5 * w_minus_log1p((a - h) / (1.0 + h));
    }
    return total;
}

std::vector<double> klub_schedule_gaussian(const Schedule& schedule, std::span<const double> variances) {
    std::vector<double> out;
    for (std::size_t k = 0; k + 1 < schedule.size(); ++k)
        out.push_back(klub_interval_gaussian(variances, schedule[k + 1], schedule[k]));
    return out;
}

double klub_interval_gaussian_quadrature(std::span<const double> variances, double lo, double hi) {
    check_interval(lo, hi);
    using boost::math::quadrature::gauss_kronrod;
    double total = 0.0;
    for (double c2 : variances) {
        // Integrate over log sigma (the integrand spans decades): sigma^-2 c^4 gap d(log sigma).
        auto f = [&](double ls) {
            const double s = std::exp(ls);
            return c2 * c2 * gap(c2, s, hi) / (s * s);
        };
        total += gauss_kronrod<double, 31>::integrate(f, std::log(lo), std::log(hi), 15, 1e-12);
    }
    return total;
}

double klub_interval_gaussian_in_time(const Process& process, std::span<const double> variances, double lo,
                                      double hi) {
    check_interval(lo, hi);
    using boost::math::quadrature::gauss_kronrod;
    const double t_lo = process.t_of_sigma(lo), t_hi = process.t_of_sigma(hi);
    double total = 0.0;
    for (double c2 : variances) {
        auto f = [&](double t) {
            const double s = process.sigma(t);
            return process.dsigma_dt(t) / (s * s * s) * c2 * c2 * gap(c2, s, hi);
        };
        total += gauss_kronrod<double, 31>::integrate(f, std::min(t_lo, t_hi), std::max(t_lo, t_hi), 15, 1e-12) *
                 (t_hi > t_lo ? 1.0 : -1.0);
    }
    return total;
}

KlubEstimate klub_interval_mc(const Denoiser& data, double lo, double hi, std::uint64_t slot,
                              const KlubMonteCarlo& o) {
    check_interval(lo, hi);
    if (o.samples < 2) throw InputError("KLUB Monte Carlo needs at least 2 samples");
    const std::size_t d = data.dim(), m = o.samples;
    const double c2 = o.proposal_variance > 0.0 ? o.proposal_variance : data.data_variance();
    const double a = c2 / (lo * lo), h = c2 / (hi * hi);
    const double total = partial(a, h, h);   // 2 c^4 x normaliser of pi
    const double normaliser = total / (2.0 * c2 * c2);
    // Draw addresses: the slot separates intervals; x0 rows come from a per-slot data seed.
    const std::uint64_t stream = static_cast<std::uint64_t>(Stream::klub);
    const std::uint64_t data_seed = o.seed * 0x9E3779B97F4A7C15ULL + slot * 0xBF58476D1CE4E5B9ULL + 1;
    constexpr std::size_t chunk = 256;
    const std::size_t chunks = chunk_count(m, chunk);
    std::vector<Moments> parts(chunks);
    parallel_for(chunks, o.threads, [&](std::size_t c) {
        const std::size_t first = c * chunk, count = std::min(chunk, m - first);
        std::vector<double> u(count), sig(count), x(count * d), xh(count * d), eps(count * d), z(count * d),
            d1(count * d), d2(count * d);
        for (std::size_t i = 0; i < count; ++i)
            fill_uniform({o.seed, stream, first + i, 2 * slot}, {&u[i], 1});
        data.sample(count, data_seed, first, x);
        fill_normal_flat(o.seed, stream, 2 * slot, first * d, eps);
        fill_normal_flat(o.seed, stream, 2 * slot + 1, first * d, z);
        for (std::size_t i = 0; i < count; ++i) {
            // Invert the CDF: find sigma with partial(a, c^2/sigma^2, h) = u total (bisection in log sigma).
            double l = std::log(lo), r = std::log(hi);
            const double target = u[i] * total;
            for (int it = 0; it < 100 && r - l > 1e-15 * std::max(1.0, std::abs(l)); ++it) {
                const double mid = 0.5 * (l + r), s = std::exp(mid);
                (partial(a, c2 / (s * s), h) < target ? l : r) = mid;
            }
            sig[i] = std::exp(0.5 * (l + r));
            const double up = std::sqrt((hi - sig[i]) * (hi + sig[i]));
            for (std::size_t k = 0; k < d; ++k) {
                x[i * d + k] += sig[i] * eps[i * d + k];
                xh[i * d + k] = x[i * d + k] + up * z[i * d + k];
            }
        }
        data.denoise_rows(x, count, sig, d1);
        data.denoise(xh, count, hi, d2);
        Moments mo(c2 * c2 * static_cast<double>(d) * normaliser);
        for (std::size_t i = 0; i < count; ++i) {
            double sq = 0.0;
            for (std::size_t k = 0; k < d; ++k) sq += (d1[i * d + k] - d2[i * d + k]) * (d1[i * d + k] - d2[i * d + k]);
            const double g = gap(c2, sig[i], hi);
            mo.add(g > 0.0 ? sq / g * normaliser : 0.0);
        }
        parts[c] = mo;
    });
    Moments all(c2 * c2 * static_cast<double>(d) * normaliser);
    for (const auto& p : parts) all.merge(p);
    return {all.mean(), all.se_mean()};
}

KlubEstimate klub_schedule_mc(const Denoiser& data, const Schedule& schedule, const KlubMonteCarlo& options,
                              std::vector<KlubEstimate>* per_interval) {
    KlubEstimate total;
    double var = 0.0;
    if (per_interval) per_interval->clear();
    for (std::size_t k = 0; k + 1 < schedule.size(); ++k) {
        const auto e = klub_interval_mc(data, schedule[k + 1], schedule[k], k, options);
        total.value += e.value;
        var += e.standard_error * e.standard_error;
        if (per_interval) per_interval->push_back(e);
    }
    total.standard_error = std::sqrt(var);
    return total;
}

}  // namespace ayslab
