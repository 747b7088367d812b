// tweedie (MATH.md §2): Monte Carlo E[x_0 | x_sigma] (binned) against the exact denoiser D(x; sigma),
// and the DDPM eps-prediction / score relations checked with the score taken from finite differences
// of the exact log-density (an independent route), for a Gaussian and a two-component mixture.
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "ayslab/cluster.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/streams.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

constexpr std::size_t chunk = 1 << 15;

// d/dx log p_sigma(x) by central differences of the exact log-density (1-D).
double score_fd(const Data& data, double x, double sigma) {
    const double h = 1e-5 * std::max(1.0, std::abs(x));
    const double xp = x + h, xm = x - h;
    return (data.log_density({&xp, 1}, sigma) - data.log_density({&xm, 1}, sigma)) / (2.0 * h);
}

// Per bin: three statistics whose expectation is 0 when the identities hold.
struct BinStats {
    Moments denoiser, eps, ddpm;  // x0 - D(x); eps - eps_hat; sqrt(ab) x0 - (x_t + (1-ab) score_t)
    Moments x0;
};

void run_one(const std::string& label, const Data& data, double sigma, const Config& cfg,
             const RunContext& ctx, Result& r) {
    const auto pairs = static_cast<std::size_t>(cfg.integer("pairs"));
    const auto bins = static_cast<std::size_t>(cfg.integer("bins"));
    const double n_se = cfg.number("n_se");
    // Bins cover mean +- 3 sd of p_sigma; VP scaling s = 1/sqrt(1 + sigma^2) for the DDPM form.
    double mean = 0.0;
    {
        std::vector<double> tmp(4096);
        data.sample(tmp.size(), streams::tweedie_draws(cfg.seed()), 0, tmp);
        for (double v : tmp) mean += v / static_cast<double>(tmp.size());
    }
    const double sd = std::sqrt(data.data_variance() + sigma * sigma);
    const double lo = mean - 3.0 * sd, width = 6.0 * sd / static_cast<double>(bins);
    const double ab = 1.0 / (1.0 + sigma * sigma), s = std::sqrt(ab);
    const std::size_t chunks = chunk_count(pairs, chunk);
    // per_chunk[c * bins + k]: bin k of chunk c (chunks split over threads and MPI ranks).
    std::vector<BinStats> per_chunk(chunks * bins);
    cluster::distributed_for(chunks, ctx.threads, std::span(per_chunk), bins, [&](std::size_t c) {
        const std::size_t first = c * chunk, count = std::min(chunk, pairs - first);
        std::vector<double> x0(count), x(count), d(count), eps(count);
        data.sample(count, cfg.seed(), first, x0);
        fill_normal_flat(cfg.seed(), static_cast<std::uint64_t>(Stream::prior), 0, first, eps);
        for (std::size_t i = 0; i < count; ++i) x[i] = x0[i] + sigma * eps[i];
        data.denoiser().denoise(x, count, sigma, d);
        BinStats* local = per_chunk.data() + c * bins;
        for (std::size_t i = 0; i < count; ++i) {
            const double u = (x[i] - lo) / width;
            if (!(u >= 0.0) || u >= static_cast<double>(bins)) continue;
            auto& b = local[static_cast<std::size_t>(u)];
            const double xt = s * x[i];
            // score of p_t at x_t = s x: (1/s) d/dx log p_sigma(x)  (p_t(x_t) = p_sigma(x_t/s)/s).
            const double score_t = score_fd(data, x[i], sigma) / s;
            b.denoiser.add(x0[i] - d[i]);
            b.eps.add(eps[i] + std::sqrt(1.0 - ab) * score_t);    // E[eps | x_t] = -sqrt(1-ab) score
            b.ddpm.add(s * x0[i] - (xt + (1.0 - ab) * score_t));  // sqrt(ab) E[x0|x_t] = x_t + (1-ab) score
            b.x0.add(x0[i]);
        }
    });
    std::vector<BinStats> total(bins);
    for (std::size_t c = 0; c < chunks; ++c)
        for (std::size_t k = 0; k < bins; ++k) {
            const BinStats* local = per_chunk.data() + c * bins;
            total[k].denoiser.merge(local[k].denoiser);
            total[k].eps.merge(local[k].eps);
            total[k].ddpm.merge(local[k].ddpm);
            total[k].x0.merge(local[k].x0);
        }
    nlohmann::json table = nlohmann::json::array();
    struct Worst {
        double z = 0, mean = 0, se = 1;
        std::size_t bin = 0;
    };
    Worst worst[3];
    for (std::size_t k = 0; k < bins; ++k) {
        const auto& b = total[k];
        if (b.x0.count() < 100) continue;  // too few samples for a standard error
        const Moments* stats[3] = {&b.denoiser, &b.eps, &b.ddpm};
        nlohmann::json row = {{"bin_center", lo + (static_cast<double>(k) + 0.5) * width},
                              {"count", b.x0.count()},
                              {"mc_mean_x0", b.x0.mean()},
                              {"mc_mean_x0_se", b.x0.se_mean()}};
        const char* names[3] = {"x0_minus_D", "eps_minus_eps_hat", "ddpm_form_residual"};
        for (int q = 0; q < 3; ++q) {
            const double z = stats[q]->mean() / stats[q]->se_mean();
            row[names[q]] = {{"mean", stats[q]->mean()}, {"se", stats[q]->se_mean()}, {"z", z}};
            if (std::abs(z) > std::abs(worst[q].z)) worst[q] = {z, stats[q]->mean(), stats[q]->se_mean(), k};
        }
        table.push_back(row);
    }
    const char* what[3] = {"E[x0|x] - D(x)", "E[eps|x_t] + sqrt(1-ab) score",
                           "sqrt(ab) E[x0|x_t] - x_t - (1-ab) score"};
    for (int q = 0; q < 3; ++q)
        r.check_se(fmt::format("{} sigma={}: {} (worst of {} bins, bin {})", label, sigma, what[q], bins,
                               worst[q].bin),
                   0.0, worst[q].mean, worst[q].se, n_se);
    // Deterministic: Tweedie's score (D - x)/sigma^2 against the finite-difference score.
    double max_err = 0.0;
    for (int k = 0; k <= 40; ++k) {
        const double xv = mean - 3.0 * sd + 6.0 * sd * k / 40.0;
        double dv = 0.0;
        data.denoiser().denoise({&xv, 1}, 1, sigma, {&dv, 1});
        const double tweedie = (dv - xv) / (sigma * sigma), fd = score_fd(data, xv, sigma);
        max_err = std::max(max_err, std::abs(tweedie - fd) / (1.0 + std::abs(fd)));
    }
    r.check({fmt::format("{} sigma={}: Tweedie score vs finite-difference score of log p (max rel. error)",
                         label, sigma),
             0.0, max_err, 1e-6, Criterion::absolute});
    r.values[label][fmt::format("sigma={}", sigma)] = {{"bins", table}, {"tweedie_score_max_error", max_err}};
    r.line(
        fmt::format("{:<9} sigma={:<4}: worst |z| over bins: denoiser {:.2f}, eps {:.2f}, ddpm form {:.2f}; "
                    "score error {:.1e}",
                    label, sigma, std::abs(worst[0].z), std::abs(worst[1].z), std::abs(worst[2].z), max_err));
}

Result run(const Config& cfg, const RunContext& ctx) {
    const auto ws = cfg.numbers("mixture_weights"), ms = cfg.numbers("mixture_means"),
               ss = cfg.numbers("mixture_stds");
    if (ws.size() != ms.size() || ws.size() != ss.size())
        throw InputError(
            fmt::format("mixture_weights, mixture_means and mixture_stds have {}, {} and {} entries",
                        ws.size(), ms.size(), ss.size()));
    std::vector<double> vars;
    for (double sd : ss) vars.push_back(sd * sd);
    const DiagonalGaussian gaussian({cfg.number("gaussian_mean")}, {cfg.number("gaussian_std")});
    const GaussianMixture mixture(ws, ms, vars, 1);
    Result r;
    r.line(fmt::format("{} pairs per sigma; checks at {} standard errors", cfg.integer("pairs"),
                       cfg.number("n_se")));
    for (double sigma : cfg.numbers("sigmas")) run_one("gaussian", gaussian, sigma, cfg, ctx, r);
    for (double sigma : cfg.numbers("sigmas")) run_one("mixture", mixture, sigma, cfg, ctx, r);
    return r;
}

}  // namespace

Experiment tweedie_experiment() {
    return {"tweedie",
            "Tweedie: Monte Carlo E[x0|x] vs the exact denoiser; eps-prediction and score (MATH §2)",
            {
                seed_key(),
                shared_key("pairs"),  // per sigma
                {"sigmas", KeyType::number_list, "noise levels", 1e-3, 1e3},
                {"bins", KeyType::integer, "bins over mean +- 3 sd of p_sigma", 1, 1000},
                {"gaussian_mean", KeyType::number, "Gaussian data mean", -1e6, 1e6},
                {"gaussian_std", KeyType::number, "Gaussian data std", 1e-6, 1e6},
                {"mixture_weights", KeyType::number_list, "mixture weights", 1e-12, 1e12},
                {"mixture_means", KeyType::number_list, "mixture component means", -1e6, 1e6},
                {"mixture_stds", KeyType::number_list, "mixture component stds", 1e-6, 1e6},
                shared_key("n_se"),
            },
            run};
}

}  // namespace ayslab::app
