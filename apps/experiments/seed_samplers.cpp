// seed-samplers: the seeds' samplers as experiments (seed 003, MATH §6): DDPM ancestral sampling
// (variance beta) against the posterior-variance step (beta-tilde = linearised-sde) and DDIM on the
// linear and cosine DDPM schedules, judged by the exact KL of their output laws on Gaussian data; and
// score_sde's predictor-corrector sampler on the VE SDE (reverse-diffusion predictor + Langevin
// corrector, snr sweep) against predictor-only, judged by Monte Carlo with standard errors.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/divergence/kl.hpp"
#include "ayslab/process/process.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

// KL(N(0, target) || N(0, v)) for the fitted output variance v, with its standard error by the delta
// method: dKL/dv = (1 - target / v) / (2 v).
std::pair<double, double> kl_of_variance(double target, double v, double se_v) {
    const double kl = kl_gaussian(0.0, target, 0.0, v);
    return {kl, std::abs((1.0 - target / v) / (2.0 * v)) * se_v};
}

Result run(const Config& cfg, const RunContext& ctx) {
    const double c = cfg.number("c"), n_se = cfg.number("n_se");
    const auto data = DiagonalGaussian::isotropic(1, 0.0, c);
    Result r;
    // Part 1: DDPM-discrete processes, uniform timesteps, exact output laws.
    r.line(fmt::format("== DDPM ancestral sampling on N(0, {}^2): exact KL(p_sigma_min || output), uniform timesteps", c));
    const std::vector<std::string> ddpm_samplers = {"ddpm-ancestral", "linearised-sde", "ddim"};
    for (const auto& process_name : cfg.strings("ddpm_processes")) {
        const auto process = make_process(process_name);
        const double lo = process->sigma(process->t_min()), hi = process->sigma(process->t_max());
        r.line(fmt::format("  {} (sigma from {:.5g} to {:.5g})", process_name, hi, lo));
        std::string header = fmt::format("  {:>6}", "steps");
        for (const auto& s : ddpm_samplers) header += fmt::format(" {:>16}", s);
        r.line(header);
        std::map<std::string, std::vector<double>> kls;
        const auto steps_list = cfg.integers("ddpm_steps");
        for (const auto steps64 : steps_list) {
            const auto steps = static_cast<std::size_t>(steps64);
            const Schedule schedule = uniform_t(steps, lo, hi, *process);
            std::string line = fmt::format("  {:>6}", steps);
            for (const auto& name : ddpm_samplers) {
                const double kl = exact_solver_kl(*make_solver(name), schedule, data);
                kls[name].push_back(kl);
                r.values["ddpm"][process_name][fmt::format("steps={}", steps)][name] = kl;
                line += fmt::format(" {:>16.6g}", kl);
            }
            r.line(line);
        }
        // The largest step count is better than the smallest, for every sampler (a wrong coefficient in a
        // step does not converge).
        for (const auto& name : ddpm_samplers)
            r.check({fmt::format("{} {}: KL at {} steps below KL at {} steps", process_name, name, steps_list.back(),
                                 steps_list.front()),
                     kls[name].front(), kls[name].back(), 0.0, Criterion::at_most});
        // The exact law against Monte Carlo of the sampler itself (the smallest step count).
        const Schedule coarse = uniform_t(static_cast<std::size_t>(steps_list.front()), lo, hi, *process);
        const auto particles = static_cast<std::size_t>(cfg.integer("particles"));
        std::vector<double> x(particles);
        sample_marginal(data, coarse.sigma_max(), x, particles, cfg.seed(), ctx.threads);
        const auto ancestral = make_solver("ddpm-ancestral");
        sample(data, *ancestral, coarse, x, particles, {cfg.seed(), ctx.threads, 1024});
        Moments m;
        for (double v : x) m.add(v);
        const double exact_var = output_law(*ancestral, coarse, data).variance[0];
        r.check_se(fmt::format("{} ddpm-ancestral {} steps: Monte Carlo output variance vs its exact law", process_name,
                               steps_list.front()),
                   exact_var, m.variance(), m.se_variance(), n_se);
    }

    // Part 2: score_sde's PC sampler on the VE SDE, by Monte Carlo.
    const auto ve = make_process("ve");
    const double lo = ve->sigma(ve->t_min()), hi = ve->sigma(ve->t_max());
    const auto particles = static_cast<std::size_t>(cfg.integer("particles"));
    const double target = c * c + lo * lo;
    r.line(fmt::format("== score_sde PC sampler, VE SDE sigma in [{}, {}], {} particles: output variance (target {:.6g}) "
                       "and KL of the fitted Gaussian (delta-method SE)",
                       lo, hi, particles, target));
    for (const auto steps64 : cfg.integers("pc_steps")) {
        const auto steps = static_cast<std::size_t>(steps64);
        const Schedule schedule = uniform_t(steps, lo, hi, *ve);
        std::vector<std::pair<std::string, SolverOptions>> runs = {{"predictor-only", {}}};
        for (const double snr : cfg.numbers("snrs")) {
            SolverOptions o;
            o.snr = snr;
            o.corrector_steps = 1;
            runs.emplace_back(fmt::format("pc snr={}", snr), o);
        }
        for (const auto& [label, options] : runs) {
            const bool predictor_only = label == "predictor-only";
            const auto solver = make_solver(predictor_only ? "euler-maruyama" : "pc-langevin", options);
            std::vector<double> x(particles);
            sample_marginal(data, hi, x, particles, cfg.seed(), ctx.threads);
            const auto stats = sample(data, *solver, schedule, x, particles, {cfg.seed(), ctx.threads, 1024});
            Moments m;
            for (double v : x) m.add(v);
            const auto [kl, kl_se] = kl_of_variance(target, m.variance(), m.se_variance());
            auto& out = r.values["pc"][fmt::format("steps={}", steps)][label];
            out = {{"variance", m.variance()}, {"variance_se", m.se_variance()}, {"kl", kl}, {"kl_se", kl_se},
                   {"nfe", stats.nfe}};
            r.line(fmt::format("  {:>5} steps {:<16} NFE {:>5}  variance {:.6g} ± {:.2g}  KL {:.3g} ± {:.2g}", steps, label,
                               stats.nfe, m.variance(), m.se_variance(), kl, kl_se));
            // Predictor-only is Euler-Maruyama, whose exact law is known: the Monte Carlo harness checked.
            if (predictor_only) {
                const double exact_var = output_law(*solver, schedule, data).variance[0];
                out["exact_variance"] = exact_var;
                r.check_se(fmt::format("VE {} steps predictor-only: Monte Carlo output variance vs its exact law", steps),
                           exact_var, m.variance(), m.se_variance(), n_se);
            }
        }
    }
    return r;
}

}  // namespace

Experiment seed_samplers_experiment() {
    return {"seed-samplers",
            "the seeds' samplers: DDPM ancestral (linear, cosine) by exact KL; score_sde's PC sampler on the VE SDE",
            Schema{seed_key()} + shared_keys({"c", "n_se", "particles"}) +
                Schema{{"ddpm_processes", KeyType::string_list, "DDPM-discrete processes", {}, {},
                        {"ddpm-linear", "ddpm-cosine", "ddpm-scaled-linear"}},
                       {"ddpm_steps", KeyType::integer_list, "step counts (uniform timesteps), increasing", 1, 1000},
                       {"pc_steps", KeyType::integer_list, "PC sampler step counts", 1, 100000},
                       {"snrs", KeyType::number_list, "Langevin corrector signal-to-noise ratios", 1e-6, 10}},
            run};
}

}  // namespace ayslab::app
