// marginals-agree (MATH.md §3): started from the exact p_{sigma_max}, the reverse SDE (Euler-Maruyama)
// and the probability-flow ODE (Heun), both with fine log-uniform steps, reach the exact marginal
// variance c^2 + sigma^2 of Gaussian data at each target sigma. For Gaussian data each discretised
// sampler's own law is also exact (kl.hpp), which measures the discretisation bias with no noise.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/divergence/kl.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

constexpr std::size_t chunk = 1024;

// Log-uniform steps through every target (each target is hit exactly); steps shared by log length.
Schedule through_targets(double sigma_max, const std::vector<double>& targets, std::size_t steps) {
    std::vector<double> knots = {sigma_max};
    knots.insert(knots.end(), targets.begin(), targets.end());
    const double total = std::log(knots.front() / knots.back());
    std::vector<double> s = {sigma_max};
    for (std::size_t k = 0; k + 1 < knots.size(); ++k) {
        const double len = std::log(knots[k] / knots[k + 1]);
        const auto n = std::max<std::size_t>(
            1, static_cast<std::size_t>(std::lround(static_cast<double>(steps) * len / total)));
        for (std::size_t i = 1; i <= n; ++i)
            s.push_back(knots[k] * std::exp(-len * static_cast<double>(i) / static_cast<double>(n)));
        s.back() = knots[k + 1];
    }
    return Schedule(std::move(s));
}

struct Run {
    std::vector<Moments> var;  // per target: moments of every coordinate (pooled)
};

Run run_sampler(const DiagonalGaussian& data, const Solver& solver, const Schedule& schedule,
                const std::vector<double>& targets, std::size_t particles, const Config& cfg,
                const RunContext& ctx) {
    const std::size_t d = data.dim();
    std::vector<double> x(particles * d);
    sample_marginal(data, schedule.sigma_max(), x, particles, cfg.seed(), ctx.threads);
    const std::size_t chunks = chunk_count(particles, chunk);
    std::vector<std::vector<Moments>> per_chunk(chunks, std::vector<Moments>(targets.size()));
    const StepObserver observe = [&](std::size_t c, std::size_t, std::size_t, double sigma,
                                     std::span<const double> xc) {
        for (std::size_t q = 0; q < targets.size(); ++q)
            if (sigma == targets[q])
                for (double v : xc) per_chunk[c][q].add(v);
    };
    sample(data, solver, schedule, x, particles, {cfg.seed(), ctx.threads, chunk}, observe);
    Run out{std::vector<Moments>(targets.size())};
    for (const auto& local : per_chunk)
        for (std::size_t q = 0; q < targets.size(); ++q) out.var[q].merge(local[q]);
    return out;
}

// The exact mean and covariance of the data (sigma = 0): closed form for Gaussians and mixtures.
void exact_moments(const Data& data, std::vector<double>& mean, std::vector<double>& cov) {
    if (data.moments(mean, cov)) return;
    throw InputError("key 'moment_data': a data set with closed-form moments is needed (gaussian, mixture, ring8)");
}

// Per target: moments of every coordinate and of every centred product (x_a - m_a)(x_b - m_b), a < b,
// with m the exact mean (so the product's expectation is the exact covariance).
struct MomentRun {
    std::vector<std::vector<Moments>> coord, cross;  // [target][a], [target][pair]
};

MomentRun run_moments(const Data& data, const Solver& solver, const Schedule& schedule,
                      const std::vector<double>& targets, const std::vector<double>& mean, std::size_t particles,
                      const Config& cfg, const RunContext& ctx) {
    const std::size_t d = data.dim(), pairs = d * (d - 1) / 2;
    std::vector<double> x(particles * d);
    sample_marginal(data, schedule.sigma_max(), x, particles, cfg.seed(), ctx.threads);
    const std::size_t chunks = chunk_count(particles, chunk);
    std::vector<MomentRun> per_chunk(chunks);
    for (auto& c : per_chunk) {
        c.coord.assign(targets.size(), std::vector<Moments>(d));
        c.cross.assign(targets.size(), std::vector<Moments>(pairs));
    }
    const StepObserver observe = [&](std::size_t c, std::size_t, std::size_t, double sigma,
                                     std::span<const double> xc) {
        for (std::size_t q = 0; q < targets.size(); ++q) {
            if (sigma != targets[q]) continue;
            for (std::size_t i = 0; i * d < xc.size(); ++i) {
                const double* row = xc.data() + i * d;
                std::size_t pair = 0;
                for (std::size_t a = 0; a < d; ++a) {
                    per_chunk[c].coord[q][a].add(row[a]);
                    for (std::size_t b = a + 1; b < d; ++b)
                        per_chunk[c].cross[q][pair++].add((row[a] - mean[a]) * (row[b] - mean[b]));
                }
            }
        }
    };
    sample(data.denoiser(), solver, schedule, x, particles, {cfg.seed(), ctx.threads, chunk}, observe);
    MomentRun out{std::vector<std::vector<Moments>>(targets.size(), std::vector<Moments>(d)),
                  std::vector<std::vector<Moments>>(targets.size(), std::vector<Moments>(pairs))};
    for (const auto& local : per_chunk)
        for (std::size_t q = 0; q < targets.size(); ++q) {
            for (std::size_t a = 0; a < d; ++a) out.coord[q][a].merge(local.coord[q][a]);
            for (std::size_t k = 0; k < pairs; ++k) out.cross[q][k].merge(local.cross[q][k]);
        }
    return out;
}

Result run(const Config& cfg, const RunContext& ctx) {
    const auto particles = static_cast<std::size_t>(cfg.integer("particles"));
    const auto d = static_cast<std::size_t>(cfg.integer("dim"));
    const double c = cfg.number("c"), sigma_max = cfg.number("sigma_max"), n_se = cfg.number("n_se");
    const auto targets = cfg.numbers("targets");
    for (std::size_t q = 0; q < targets.size(); ++q)
        if (!(targets[q] < (q == 0 ? sigma_max : targets[q - 1])))
            throw InputError("key 'targets' must decrease strictly from below sigma_max");
    const auto data = DiagonalGaussian::isotropic(d, 0.0, c);
    Result r;
    r.line(fmt::format("data N(0, {}^2 I_{}), {} particles from the exact p_sigma_max, sigma_max = {}", c, d,
                       particles, sigma_max));
    r.line(fmt::format("{:<15} {:>6} {:>6} {:>12} {:>12} {:>10} {:>7} {:>14}", "sampler", "steps", "sigma",
                       "exact var", "mc var", "se", "z", "bias of steps"));
    const std::pair<std::string, std::string> kinds[] = {{"sde", "sde_solver"}, {"ode", "ode_solver"}};
    for (const auto& [kind, key] : kinds) {
        const auto solver = make_solver(cfg.string(key));
        const auto steps = static_cast<std::size_t>(cfg.integer(kind + "_steps"));
        const Schedule schedule = through_targets(sigma_max, targets, steps);
        const Run got = run_sampler(data, *solver, schedule, targets, particles, cfg, ctx);
        for (std::size_t q = 0; q < targets.size(); ++q) {
            const double sigma = targets[q], exact = c * c + sigma * sigma;
            // The discretised sampler's own exact variance at this sigma: run its law to the target.
            std::vector<double> head;
            for (double s : schedule.sigmas()) {
                head.push_back(s);
                if (s == sigma) break;
            }
            const double discrete = output_law(*solver, Schedule(head), data).variance[0];
            const auto& m = got.var[q];
            const std::string at = fmt::format("{} ({}) sigma={}", kind, solver->name(), sigma);
            r.check_se(at + ": Monte Carlo variance vs exact marginal c^2 + sigma^2", exact, m.variance(),
                       m.se_variance(), n_se);
            r.check_se(at + ": Monte Carlo mean vs 0", 0.0, m.mean(), m.se_mean(), n_se);
            r.values[kind][fmt::format("sigma={}", sigma)] = {
                {"solver", solver->name()},
                {"steps", schedule.steps()},
                {"exact_variance", exact},
                {"mc_variance", m.variance()},
                {"mc_variance_se", m.se_variance()},
                {"mc_mean", m.mean()},
                {"mc_mean_se", m.se_mean()},
                {"discretised_sampler_variance", discrete},
                {"discretisation_bias_relative", discrete / exact - 1.0},
            };
            r.line(fmt::format("{:<15} {:>6} {:>6} {:>12.6g} {:>12.6g} {:>10.2e} {:>7.2f} {:>14.2e}",
                               solver->name(), schedule.steps(), sigma, exact, m.variance(), m.se_variance(),
                               (m.variance() - exact) / m.se_variance(), discrete / exact - 1.0));
        }
    }
    // Beyond the 1-D variance: data sets with a non-zero mean, unequal variances or several modes
    // (MATH §3: both samplers keep the marginals p_sigma, whose mean is the data's and whose covariance
    // is the data's plus sigma^2 I): every coordinate's mean and variance and every covariance.
    const auto moment_particles = static_cast<std::size_t>(cfg.integer("moment_particles"));
    for (const auto& name : cfg.strings("moment_data")) {
        const Dataset ds = make_dataset(name, read_dataset_options(cfg, ctx));
        std::vector<double> mean, cov;
        exact_moments(*ds.data, mean, cov);
        const std::size_t dd = ds.data->dim();
        r.line(fmt::format("{} (d = {}): mean, variance and covariance of {} particles against the exact p_sigma",
                           name, dd, moment_particles));
        for (const auto& [kind, key] : kinds) {
            const auto solver = make_solver(cfg.string(key));
            const auto steps = static_cast<std::size_t>(cfg.integer(kind + "_steps"));
            const Schedule schedule = through_targets(sigma_max, targets, steps);
            const MomentRun got = run_moments(*ds.data, *solver, schedule, targets, mean, moment_particles, cfg, ctx);
            double worst_z = 0.0;
            for (std::size_t q = 0; q < targets.size(); ++q) {
                const double s2 = targets[q] * targets[q];
                const std::string at = fmt::format("{} {} ({}) sigma={}", name, kind, solver->name(), targets[q]);
                std::size_t pair = 0;
                auto& out = r.values["moments"][name][kind][fmt::format("sigma={}", targets[q])];
                for (std::size_t a = 0; a < dd; ++a) {
                    const auto& m = got.coord[q][a];
                    const double var = cov[a * dd + a] + s2;
                    r.check_se(fmt::format("{}: mean[{}]", at, a), mean[a], m.mean(), m.se_mean(), n_se);
                    r.check_se(fmt::format("{}: variance[{}] vs data's + sigma^2", at, a), var, m.variance(),
                               m.se_variance(), n_se);
                    out["mean"].push_back(m.mean());
                    out["variance"].push_back(m.variance());
                    worst_z = std::max({worst_z, std::abs(m.mean() - mean[a]) / m.se_mean(),
                                        std::abs(m.variance() - var) / m.se_variance()});
                    for (std::size_t b = a + 1; b < dd; ++b, ++pair) {
                        const auto& cv = got.cross[q][pair];
                        r.check_se(fmt::format("{}: covariance[{},{}]", at, a, b), cov[a * dd + b], cv.mean(),
                                   cv.se_mean(), n_se);
                        out["covariance"].push_back(cv.mean());
                        worst_z = std::max(worst_z, std::abs(cv.mean() - cov[a * dd + b]) / cv.se_mean());
                    }
                }
            }
            r.line(fmt::format("  {} ({}): every moment within {:.2f} SE of the exact one", kind, solver->name(), worst_z));
        }
    }
    return r;
}

}  // namespace

Experiment marginals_agree_experiment() {
    return {
        "marginals-agree",
        "Reverse SDE and probability-flow ODE reach the same exact marginals (MATH §3)",
        Schema{seed_key(), described(shared_key("particles"), "particles per sampler"),
               {"dim", KeyType::integer, "data dimension (variance pooled over coordinates)", 1, 1e5},
               shared_key("c"), shared_key("sigma_max"),
               {"targets", KeyType::number_list, "sigmas to check, decreasing", 1e-8, 1e8},
               {"sde_steps", KeyType::integer, "log-uniform reverse-SDE steps", 1, 1e7},
               {"ode_steps", KeyType::integer, "log-uniform probability-flow steps", 1, 1e7},
               {"sde_solver",
                KeyType::string,
                "reverse-SDE solver (those with an exact Gaussian-step law)",
                {},
                {},
                solver_names_with_law(ExactLaw::gaussian_step)},
               {"ode_solver", KeyType::string, "probability-flow solver (those with an exact affine law)", {}, {},
                solver_names_with_law(ExactLaw::affine)},
               shared_key("n_se"),
               {"moment_data", KeyType::string_list,
                "data sets whose every mean, variance and covariance is checked (closed-form moments)", {}, {},
                {"gaussian", "mixture", "ring8"}},
               {"moment_particles", KeyType::integer, "particles per sampler for moment_data", 2, 1e9}},
        run,
        // The particles (n x d doubles) and the sampler's per-chunk workspace beside them.
        [](const Config& cfg) {
            return MemoryNeed{8.0 * static_cast<double>(cfg.integer("particles")) * static_cast<double>(cfg.integer("dim")),
                              fmt::format("particles = {} x dim = {}", cfg.integer("particles"), cfg.integer("dim"))};
        }};
}

}  // namespace ayslab::app
