// ddpm-posterior (MATH.md §6): q(x_{t-1} | x_t, x_0) = N(coef_x0 x_0 + coef_xt x_t, beta_tilde) against
// Monte Carlo: draw x_{t-1} ~ q(. | x_0), then x_t ~ q(. | x_{t-1}); regress x_{t-1} on x_t. The
// posterior is linear-Gaussian, so the least-squares intercept, slope and residual variance estimate
// coef_x0 x_0, coef_xt and beta_tilde. Standard errors from independent batches.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/cluster.hpp"
#include "ayslab/process/ddpm.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

struct Fit {
    double intercept, slope, residual_variance;
};

// Least squares of y on x with sums taken about (mx, my).
Fit regress(const std::vector<double>& x, const std::vector<double>& y) {
    const double n = static_cast<double>(x.size());
    double sx = 0, sy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sx += x[i];
        sy += y[i];
    }
    const double mx = sx / n, my = sy / n;
    double sxx = 0, sxy = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    const double slope = sxx > 0 ? sxy / sxx : 0.0;
    const double rss = std::max(syy - slope * sxy, 0.0);
    return {my - slope * mx, slope, rss / (n - 2.0)};
}

BetaSchedule parse_beta(const std::string& s) {
    if (s == "linear") return BetaSchedule::linear;
    if (s == "scaled-linear") return BetaSchedule::scaled_linear;
    return BetaSchedule::cosine;
}

Result run(const Config& cfg, const RunContext& ctx) {
    const DdpmTable table(parse_beta(cfg.string("beta_schedule")));
    const auto samples = static_cast<std::size_t>(cfg.integer("pairs"));
    const auto batches = static_cast<std::size_t>(cfg.integer("batches"));
    const double x0 = cfg.number("x0"), n_se = cfg.number("n_se");
    if (samples % batches != 0 || samples / batches < 3)
        throw InputError(
            fmt::format("key 'samples' = {} must be a multiple of 'batches' = {}", samples, batches));
    const std::size_t per_batch = samples / batches;
    Result r;
    r.line(fmt::format("{} beta schedule, x0 = {}, {} samples per t in {} batches",
                       cfg.string("beta_schedule"), x0, samples, batches));
    r.line(fmt::format("{:>4} {:>12} {:>12} {:>7} {:>12} {:>12} {:>7} {:>12} {:>12} {:>7}", "t",
                       "mean coef x0", "mc", "z", "coef x_t", "mc", "z", "beta_tilde", "mc", "z"));
    for (const auto t64 : cfg.integers("timesteps")) {
        const int t = static_cast<int>(t64);
        if (t < 1 || t > table.steps())
            throw InputError(fmt::format("key 'timesteps': {} outside [1, {}]", t, table.steps()));
        const auto post = table.posterior(t);
        const double ab_prev = table.alpha_bar(t - 1), b = table.beta(t);
        std::vector<Fit> fits(batches);
        cluster::distributed_for(batches, ctx.threads, std::span(fits), 1, [&](std::size_t k) {
            std::vector<double> xs(per_batch), ys(per_batch);
            for (std::size_t i = 0; i < per_batch; ++i) {
                double z[2];
                fill_normal({cfg.seed(), static_cast<std::uint64_t>(Stream::forward_noise), k * per_batch + i,
                             static_cast<std::uint64_t>(t)},
                            z);
                ys[i] = std::sqrt(ab_prev) * x0 + std::sqrt(1.0 - ab_prev) * z[0];  // x_{t-1} | x_0
                xs[i] = std::sqrt(1.0 - b) * ys[i] + std::sqrt(b) * z[1];           // x_t | x_{t-1}
            }
            fits[k] = regress(xs, ys);
        });
        Moments a(post.coef_x0 * x0), s(post.coef_xt), v(post.variance);
        for (const auto& f : fits) {
            a.add(f.intercept);
            s.add(f.slope);
            v.add(f.residual_variance);
        }
        const std::string at = fmt::format("t={}", t);
        if (t == 1) {
            // alpha_bar_0 = 1: x_0 is known exactly, the posterior is a point mass (beta_tilde = 0).
            r.check({at + ": posterior mean intercept (point mass at x0)", post.coef_x0 * x0, a.mean(), 1e-12,
                     Criterion::absolute});
            r.check({at + ": posterior slope", post.coef_xt, s.mean(), 1e-12, Criterion::absolute});
            r.check({at + ": posterior variance", post.variance, v.mean(), 1e-12, Criterion::absolute});
        } else {
            r.check_se(at + ": posterior mean intercept coef_x0 * x0", post.coef_x0 * x0, a.mean(),
                       a.se_mean(), n_se);
            r.check_se(at + ": posterior slope coef_xt", post.coef_xt, s.mean(), s.se_mean(), n_se);
            r.check_se(at + ": posterior variance beta_tilde", post.variance, v.mean(), v.se_mean(), n_se);
        }
        auto z = [](const Moments& m, double e) {
            return m.se_mean() > 0 ? (m.mean() - e) / m.se_mean() : 0.0;
        };
        r.values[at] = {
            {"closed_form",
             {{"coef_x0", post.coef_x0}, {"coef_xt", post.coef_xt}, {"variance", post.variance}}},
            {"monte_carlo",
             {{"intercept", a.mean()},
              {"intercept_se", a.se_mean()},
              {"slope", s.mean()},
              {"slope_se", s.se_mean()},
              {"variance", v.mean()},
              {"variance_se", v.se_mean()}}},
        };
        if (t == 1) {  // no standard errors for a point mass
            r.line(fmt::format(
                "{:>4} {:>12.6g} {:>12.6g} {:>7} {:>12.6g} {:>12.6g} {:>7} {:>12.6g} {:>12.6g} {:>7}", t,
                post.coef_x0, a.mean() / x0, "-", post.coef_xt, s.mean(), "-", post.variance, v.mean(), "-"));
            continue;
        }
        r.line(fmt::format(
            "{:>4} {:>12.6g} {:>12.6g} {:>7.2f} {:>12.6g} {:>12.6g} {:>7.2f} {:>12.6g} {:>12.6g} {:>7.2f}", t,
            post.coef_x0, a.mean() / x0, z(a, post.coef_x0 * x0), post.coef_xt, s.mean(), z(s, post.coef_xt),
            post.variance, v.mean(), z(v, post.variance)));
    }
    return r;
}

}  // namespace

Experiment ddpm_posterior_experiment() {
    return {"ddpm-posterior",
            "DDPM posterior q(x_{t-1}|x_t,x_0): closed form vs Monte Carlo regression (MATH §6)",
            {
                seed_key(),
                shared_key("pairs"),  // per timestep
                {"timesteps", KeyType::integer_list, "timesteps t (1-indexed)", 1, 1e5},
                {"beta_schedule",
                 KeyType::string,
                 "beta schedule",
                 {},
                 {},
                 {"linear", "scaled-linear", "cosine"}},
                {"x0", KeyType::number, "the clean value x_0", -1e3, 1e3},
                shared_key("batches"),
                shared_key("n_se"),
            },
            run};
}

}  // namespace ayslab::app
