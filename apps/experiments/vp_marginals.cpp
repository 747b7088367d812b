// vp-marginals (MATH.md §1, §6): mean coefficient and variance of x_t for VP and sub-VP, three ways:
// closed form (s(t) mu, s^2 (v + sigma^2)); numerical solution of dm/dt = f m, dSigma/dt = 2 f Sigma + g^2
// (Boost.Odeint, Dormand-Prince); and Euler-Maruyama paths of the forward SDE. EM's O(dt) weak bias
// is removed by Richardson extrapolation (2 X_dt - X_2dt on the same Brownian paths); standard errors
// come from independent batches of paths.
#include <fmt/format.h>

#include <array>
#include <boost/numeric/odeint.hpp>
#include <cmath>

#include "ayslab/cluster.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "ayslab/process/forward_sde.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/streams.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

// Mean and variance of x_t by integrating the moment ODEs from t = 0.
std::array<double, 2> moments_by_ode(const Process& p, double mean0, double var0, double t) {
    namespace odeint = boost::numeric::odeint;
    std::array<double, 2> y = {mean0, var0};
    auto rhs = [&](const std::array<double, 2>& u, std::array<double, 2>& du, double tt) {
        const double f = p.f(tt);
        du[0] = f * u[0];
        du[1] = 2.0 * f * u[1] + p.g2(tt);
    };
    odeint::integrate_adaptive(
        odeint::make_controlled(1e-13, 1e-13, odeint::runge_kutta_dopri5<std::array<double, 2>>()), rhs, y,
        0.0, t, 1e-4);
    return y;
}

struct Estimate {
    double value, se;
};

// Mean and sd/sqrt(B) of per-batch estimates.
Estimate batch_estimate(const std::vector<double>& v) {
    Moments m(v.empty() ? 0.0 : v.front());
    for (double x : v) m.add(x);
    return {m.mean(), m.se_mean()};
}

Result run(const Config& cfg, const RunContext& ctx) {
    const auto paths = static_cast<std::size_t>(cfg.integer("paths"));
    const auto steps = static_cast<std::size_t>(cfg.integer("steps"));
    const auto batches = static_cast<std::size_t>(cfg.integer("batches"));
    const double mu0 = cfg.number("data_mean"), c0 = cfg.number("data_std"), n_se = cfg.number("n_se");
    const auto times = cfg.numbers("times");
    if (steps % 2 != 0)
        throw InputError(fmt::format("key 'steps' = {} must be even (Richardson halves it)", steps));
    if (paths % batches != 0 || paths / batches < 2)
        throw InputError(
            fmt::format("key 'paths' = {} must be a multiple of 'batches' = {}", paths, batches));
    std::vector<std::size_t> record;
    for (double t : times) {
        const double k = t * static_cast<double>(steps);
        if (std::abs(k - std::round(k)) > 1e-9 || std::lround(k) % 2 != 0 || t > 1.0)
            throw InputError(
                fmt::format("key 'times': t = {} is not an even multiple of the step 1/{}", t, steps));
        record.push_back(static_cast<std::size_t>(std::lround(k)));
    }
    for (std::size_t i = 1; i < record.size(); ++i)
        if (record[i] <= record[i - 1]) throw InputError("key 'times' must be strictly increasing");
    const auto data = DiagonalGaussian::isotropic(1, mu0, c0);
    const std::size_t per_batch = paths / batches, R = record.size();
    Result r;
    r.line(fmt::format(
        "x0 ~ N({}, {}^2); {} EM paths x {} steps on [0, 1], {} batches; Richardson 2X(dt) - X(2dt)", mu0, c0,
        paths, steps, batches));
    for (const auto& name : cfg.strings("processes")) {
        const auto process = make_process(name);
        // stats[b * R + q]: fine and coarse moments of batch b at record time q (batches split over
        // threads and MPI ranks).
        std::vector<std::array<Moments, 2>> stats(batches * R);
        cluster::distributed_for(batches, ctx.threads, std::span(stats), R, [&](std::size_t b) {
            const std::size_t first = b * per_batch;
            std::vector<double> x0(per_batch), fine(per_batch * R), coarse(per_batch * R);
            data.sample(per_batch, cfg.seed(), first, x0);
            // VE starts at sigma(0) = sigma_min > 0: x(0) = data + sigma_min z, the marginal p_sigma_min
            // (score_sde's VE marginal std sigma(t) holds only from there; from the raw data the SDE
            // gives variance c^2 + sigma(t)^2 - sigma_min^2). VP / sub-VP have sigma(0) = 0: unchanged.
            if (const double s0 = process->sigma(0.0); s0 > 0.0) {
                std::vector<double> z(per_batch);
                fill_normal_flat(cfg.seed(), streams::vp_marginal_noise, 0, first, z);
                for (std::size_t i = 0; i < per_batch; ++i) x0[i] += s0 * z[i];
            }
            const ForwardSdeRun runs[] = {{1, fine}, {2, coarse}};
            forward_sde_paths(*process, x0, per_batch, 1, {0.0, 1.0, steps}, record, cfg.seed(), first, runs);
            for (std::size_t q = 0; q < R; ++q) {
                const double t = times[q];
                const double shift = process->marginal_mean(t, mu0);
                auto& slot = stats[b * R + q];
                slot = {Moments(shift), Moments(shift)};
                for (std::size_t i = 0; i < per_batch; ++i) {
                    slot[0].add(fine[i * R + q]);
                    slot[1].add(coarse[i * R + q]);
                }
            }
        });
        r.line(fmt::format("{:<6} {:>4} {:>10} {:>10} {:>10} {:>9} | {:>10} {:>10} {:>10} {:>9}", name, "t",
                           "mean", "ode", "em-rich", "z", "variance", "ode", "em-rich", "z"));
        for (std::size_t q = 0; q < R; ++q) {
            const double t = times[q];
            const double mean = process->marginal_mean(t, mu0), var = process->marginal_variance(t, c0 * c0);
            const double s0 = process->sigma(0.0);
            const auto ode = moments_by_ode(*process, mu0, c0 * c0 + s0 * s0, t);
            std::vector<double> m_fine, m_rich, v_fine, v_rich;
            for (std::size_t b = 0; b < batches; ++b) {
                const auto& [f, c] = stats[b * R + q];
                m_fine.push_back(f.mean());
                m_rich.push_back(2.0 * f.mean() - c.mean());
                v_fine.push_back(f.variance());
                v_rich.push_back(2.0 * f.variance() - c.variance());
            }
            const auto em_m = batch_estimate(m_fine), rich_m = batch_estimate(m_rich);
            const auto em_v = batch_estimate(v_fine), rich_v = batch_estimate(v_rich);
            const std::string at = fmt::format("{} t={}", name, t);
            r.check({at + ": mean by ODE vs closed form", mean, ode[0], 1e-9, Criterion::relative});
            r.check({at + ": variance by ODE vs closed form", var, ode[1], 1e-9, Criterion::relative});
            r.check_se(at + ": mean by Euler-Maruyama (Richardson)", mean, rich_m.value, rich_m.se, n_se);
            r.check_se(at + ": variance by Euler-Maruyama (Richardson)", var, rich_v.value, rich_v.se, n_se);
            r.values[name][fmt::format("t={}", t)] = {
                {"mean_coefficient", process->s(t)},
                {"mean",
                 {{"closed_form", mean},
                  {"ode", ode[0]},
                  {"em", {{"value", em_m.value}, {"se", em_m.se}}},
                  {"em_richardson", {{"value", rich_m.value}, {"se", rich_m.se}}}}},
                {"variance",
                 {{"closed_form", var},
                  {"ode", ode[1]},
                  {"em", {{"value", em_v.value}, {"se", em_v.se}}},
                  {"em_richardson", {{"value", rich_v.value}, {"se", rich_v.se}}}}},
            };
            r.line(fmt::format(
                "{:<6} {:>4} {:>10.6f} {:>10.6f} {:>10.6f} {:>9.2f} | {:>10.6f} {:>10.6f} {:>10.6f} {:>9.2f}"
                "   (raw EM variance z = {:.1f})",
                name, t, mean, ode[0], rich_m.value, (rich_m.value - mean) / rich_m.se, var, ode[1],
                rich_v.value, (rich_v.value - var) / rich_v.se, (em_v.value - var) / em_v.se));
        }
    }
    return r;
}

}  // namespace

Experiment vp_marginals_experiment() {
    return {
        "vp-marginals",
        "VP / sub-VP marginal mean and variance: closed form vs moment ODE vs Euler-Maruyama (MATH §1, §6)",
        {
            seed_key(),
            {"paths", KeyType::integer, "forward SDE paths", 1000, 1e9},
            shared_key("steps"),  // Euler-Maruyama steps on [0, 1], even
            {"times", KeyType::number_list, "times t in (0, 1] to report", 1e-6, 1},
            {"processes", KeyType::string_list, "processes", {}, {}, {"vp", "subvp", "ve"}},
            {"data_mean", KeyType::number, "x0 mean", -1e3, 1e3},
            {"data_std", KeyType::number, "x0 std", 1e-6, 1e3},
            shared_key("batches"),
            shared_key("n_se"),
        },
        run};
}

}  // namespace ayslab::app
