#include "ayslab/divergence/klub.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <vector>

#include "ayslab/cluster.hpp"
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
        total +=
            gauss_kronrod<double, 31>::integrate(f, std::min(t_lo, t_hi), std::max(t_lo, t_hi), 15, 1e-12) *
            (t_hi > t_lo ? 1.0 : -1.0);
    }
    return total;
}

namespace {
// Rows [first, first + count) of slot `slot`'s draws (u: count values; x0, eps, z: count x d; labels:
// count classes when o.labelled, else empty). Every draw is addressed by its sample index, so any split
// into row blocks gives the same numbers: x0 rows (and their classes) from a per-slot data seed, the
// rest addressed by (seed, slot, sample).
void fill_klub_rows(const Data& data, std::uint64_t slot, const KlubMonteCarlo& o, std::size_t first,
                    std::size_t count, std::span<double> u, std::span<double> x0, std::span<double> eps,
                    std::span<double> z, std::span<Label> labels) {
    const std::size_t d = data.dim();
    const std::uint64_t stream = static_cast<std::uint64_t>(Stream::klub);
    const std::uint64_t data_seed = o.seed * 0x9E3779B97F4A7C15ULL + slot * 0xBF58476D1CE4E5B9ULL + 1;
    for (std::size_t i = 0; i < count; ++i) fill_uniform({o.seed, stream, first + i, 2 * slot}, u.subspan(i, 1));
    if (o.labelled)
        data.sample_labelled(count, data_seed, first, x0, labels);
    else
        data.sample(count, data_seed, first, x0);
    fill_normal_flat(o.seed, stream, 2 * slot, first * d, eps);
    fill_normal_flat(o.seed, stream, 2 * slot + 1, first * d, z);
}

// Labelled draws need labelled data, and a denoiser of the data's classes.
void check_labelled_data(const Data& data, const KlubMonteCarlo& o) {
    if (o.labelled && data.classes() == 0)
        throw InputError("a KLUB over (x_0, y) pairs needs labelled data (ring8, mixture, moons, fashion-mnist, "
                         "a file with labels=FILE)");
}
void check_labelled_denoiser(std::size_t data_classes, const Denoiser& denoiser) {
    if (denoiser.classes() != data_classes)
        throw InputError(fmt::format("a KLUB over (x_0, y) pairs needs a denoiser of the data's {} classes; it has {}",
                                     data_classes, denoiser.classes()));
}
}  // namespace

KlubDraws klub_draws(const Data& data, std::uint64_t slot, const KlubMonteCarlo& o) {
    if (o.samples < 2) throw InputError("KLUB Monte Carlo needs at least 2 samples");
    const std::size_t d = data.dim(), m = o.samples;
    KlubDraws w{m,
                d,
                data.data_variance(),
                std::vector<double>(m),
                std::vector<double>(m * d),
                std::vector<double>(m * d),
                std::vector<double>(m * d),
                std::vector<Label>(o.labelled ? m : 0)};
    check_labelled_data(data, o);
    constexpr std::size_t chunk = 256;
    cluster::parallel_for_calling(data.denoiser(), chunk_count(m, chunk), o.threads, [&](std::size_t c) {
        const std::size_t first = c * chunk, count = std::min(chunk, m - first);
        fill_klub_rows(data, slot, o, first, count, std::span(w.u).subspan(first, count),
                       std::span(w.x0).subspan(first * d, count * d), std::span(w.eps).subspan(first * d, count * d),
                       std::span(w.z).subspan(first * d, count * d),
                       std::span(w.labels).subspan(o.labelled ? first : 0, o.labelled ? count : 0));
    });
    return w;
}

namespace {
// Solves partial(a, b, h) = target for b in [h, a] (b = c^2/sigma^2): Newton with the exact
// derivative (h - b)/((1 + h)(1 + b)), safeguarded by bisection.
double invert_partial(double a, double h, double target) {
    double l = h, r = a;  // partial decreases in b: partial(a, a) = 0, partial(a, h) = total
    double b = 0.5 * (l + r);
    for (int it = 0; it < 100; ++it) {
        const double f = partial(a, b, h) - target;
        if (f > 0.0)
            l = b;
        else
            r = b;
        const double df = (h - b) / ((1.0 + h) * (1.0 + b));
        double next = df < 0.0 ? b - f / df : 0.5 * (l + r);
        if (!(next > l && next < r)) next = 0.5 * (l + r);
        if (std::abs(next - b) <= 1e-15 * b || r - l <= 1e-15 * r) return next;
        b = next;
    }
    return b;
}
}  // namespace

namespace {
// What one interval's estimator needs besides the draws (MATH §5: the proposal pi over sigma).
struct IntervalPlan {
    double lo, hi, c2, a, h, total, normaliser, shift;
};

IntervalPlan interval_plan(double lo, double hi, double c2, std::size_t d) {
    const double a = c2 / (lo * lo), h = c2 / (hi * hi);
    const double total = partial(a, h, h);  // 2 c^4 x normaliser of pi
    const double normaliser = total / (2.0 * c2 * c2);
    return {lo, hi, c2, a, h, total, normaliser, c2 * c2 * static_cast<double>(d) * normaliser};
}

// 32 samples per chunk: the unit of the moments (merged in chunk order, so the estimate's bits do not
// depend on how chunks are grouped) and of the work split over threads and MPI ranks.
constexpr std::size_t interval_chunk = 32;

// One block's draws: u (count), x0, eps, z (count x d, row-major), labels (count, or null: unlabelled).
struct BlockDraws {
    const double *u = nullptr, *x0 = nullptr, *eps = nullptr, *z = nullptr;
    const Label* labels = nullptr;
};

// `count` samples in one denoiser call per term; the moments go to out[0], out[1], ... per
// interval_chunk samples. Labelled draws evaluate both terms at the row's own class, D(.; ., y).
void interval_block_moments(const Denoiser& denoiser, const IntervalPlan& p, std::size_t count, const BlockDraws& b,
                            Moments* out) {
    const double *u = b.u, *x0 = b.x0, *eps = b.eps, *z = b.z;
    const std::size_t d = denoiser.dim();
    thread_local std::vector<double> sig, x, xh, d1, d2;
    sig.resize(count);
    x.resize(count * d);
    xh.resize(count * d);
    d1.resize(count * d);
    d2.resize(count * d);
    for (std::size_t i = 0; i < count; ++i) {
        sig[i] = std::sqrt(p.c2 / invert_partial(p.a, p.h, u[i] * p.total));
        sig[i] = std::clamp(sig[i], p.lo, p.hi);
        const double up = std::sqrt((p.hi - sig[i]) * (p.hi + sig[i]));
        for (std::size_t k = 0; k < d; ++k) {
            x[i * d + k] = x0[i * d + k] + sig[i] * eps[i * d + k];
            xh[i * d + k] = x[i * d + k] + up * z[i * d + k];
        }
    }
    if (b.labels) {
        const std::span<const Label> y(b.labels, count);
        denoiser.denoise_rows_labelled(x, count, sig, y, d1);
        denoiser.denoise_labelled(xh, count, p.hi, y, d2);
    } else {
        denoiser.denoise_rows(x, count, sig, d1);
        denoiser.denoise(xh, count, p.hi, d2);
    }
    for (std::size_t i = 0; i < count; ++i) {
        double sq = 0.0;
        for (std::size_t k = 0; k < d; ++k) sq += (d1[i * d + k] - d2[i * d + k]) * (d1[i * d + k] - d2[i * d + k]);
        const double g = gap(p.c2, sig[i], p.hi);
        out[i / interval_chunk].add(g > 0.0 ? sq / g * p.normaliser : 0.0);
    }
}

// Runs the chunks over threads and MPI ranks, grouped into blocks of the denoiser's batch_rows() (one
// chunk per block for the exact denoisers; a model gets its whole batch per call): rows(first, count)
// gives the block's draws.
template <class Rows>
KlubEstimate interval_estimate(const Denoiser& denoiser, const IntervalPlan& p, std::size_t m, std::size_t threads,
                               Rows rows) {
    const std::size_t chunks = chunk_count(m, interval_chunk);
    const std::size_t per_block = std::clamp<std::size_t>(denoiser.batch_rows() / interval_chunk, 1, chunks);
    const std::size_t blocks = chunk_count(chunks, per_block);
    std::vector<Moments> parts(blocks * per_block, Moments(p.shift));  // the last block's tail stays empty
    cluster::distributed_for_calling(denoiser, blocks, threads, std::span(parts), per_block, [&](std::size_t b) {
        const std::size_t first = b * per_block * interval_chunk, count = std::min(per_block * interval_chunk, m - first);
        interval_block_moments(denoiser, p, count, rows(first, count), &parts[b * per_block]);
    });
    Moments all(p.shift);
    for (const auto& part : parts) all.merge(part);
    return {all.mean(), all.se_mean()};
}

double proposal_c2(const KlubMonteCarlo& o, double data_variance) {
    return o.proposal_variance > 0.0 ? o.proposal_variance : data_variance;
}
}  // namespace

KlubEstimate klub_interval_mc(const Denoiser& denoiser, double lo, double hi, const KlubDraws& w,
                              const KlubMonteCarlo& o) {
    check_interval(lo, hi);
    const std::size_t d = denoiser.dim();
    if (w.dim != d) throw InputError("KLUB draws were made for another dimension");
    if (!w.labels.empty() && denoiser.classes() == 0)
        throw InputError("KLUB draws of (x_0, y) pairs need a conditional denoiser (one with class labels)");
    return interval_estimate(denoiser, interval_plan(lo, hi, proposal_c2(o, w.data_variance), d), w.samples, o.threads,
                             [&](std::size_t first, std::size_t) {
                                 return BlockDraws{&w.u[first], &w.x0[first * d], &w.eps[first * d], &w.z[first * d],
                                                   w.labels.empty() ? nullptr : &w.labels[first]};
                             });
}

KlubEstimate klub_interval_mc(const Data& data, const Denoiser& denoiser, double lo, double hi,
                              std::uint64_t slot, const KlubMonteCarlo& o) {
    check_interval(lo, hi);
    // Data spread over MPI ranks draws collectively (every rank, in order): through klub_draws.
    if (data.denoiser().collective()) {
        if (o.labelled) check_labelled_denoiser(data.classes(), denoiser);
        return klub_interval_mc(denoiser, lo, hi, klub_draws(data, slot, o), o);
    }
    if (o.samples < 2) throw InputError("KLUB Monte Carlo needs at least 2 samples");
    const std::size_t d = data.dim();
    if (denoiser.dim() != d) throw InputError("KLUB draws were made for another dimension");
    check_labelled_data(data, o);
    if (o.labelled) check_labelled_denoiser(data.classes(), denoiser);
    // klub_draws(data, slot, o)'s numbers, made chunk by chunk by the thread or rank that uses them: no
    // samples x d buffers.
    return interval_estimate(denoiser, interval_plan(lo, hi, proposal_c2(o, data.data_variance()), d), o.samples,
                             o.threads, [&](std::size_t first, std::size_t count) {
                                 thread_local std::vector<double> bu, bx0, beps, bz;
                                 thread_local std::vector<Label> by;
                                 bu.resize(count);
                                 bx0.resize(count * d);
                                 beps.resize(count * d);
                                 bz.resize(count * d);
                                 by.resize(o.labelled ? count : 0);
                                 fill_klub_rows(data, slot, o, first, count, bu, bx0, beps, bz, by);
                                 return BlockDraws{bu.data(), bx0.data(), beps.data(), bz.data(),
                                                   o.labelled ? by.data() : nullptr};
                             });
}

KlubEstimate klub_schedule_mc(const Data& data, const Denoiser& denoiser, const Schedule& schedule,
                              const KlubMonteCarlo& options, std::vector<KlubEstimate>* per_interval) {
    KlubEstimate total;
    double var = 0.0;
    if (per_interval) per_interval->clear();
    for (std::size_t k = 0; k + 1 < schedule.size(); ++k) {
        const auto e = klub_interval_mc(data, denoiser, schedule[k + 1], schedule[k], k, options);
        total.value += e.value;
        var += e.standard_error * e.standard_error;
        if (per_interval) per_interval->push_back(e);
    }
    total.standard_error = std::sqrt(var);
    return total;
}

}  // namespace ayslab
