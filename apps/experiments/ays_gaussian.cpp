// ays-gaussian (MATH.md §4-5): on Gaussian data everything is exact, so AYS's Monte Carlo optimum can
// be compared with (a) the schedule minimising the closed-form KLUB — what AYS estimates — and (b) the
// schedule minimising the exact KL of the linearised-SDE sampler — what one actually wants — plus
// arctan and EDM rho=7. The exact KL and the KLUB of each.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/divergence/kl.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/registry.hpp"
#include "ayslab/optimise/exact.hpp"
#include "ayslab/solver/registry.hpp"
#include "keys.hpp"
#include "evaluate.hpp"
#include "gaussian_spectrum.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

double klub_total(const Schedule& s, const DiagonalGaussian& data) {
    double t = 0.0;
    for (double v : klub_schedule_gaussian(s, data.variance())) t += v;
    return t;
}

Result run(const Config& cfg, const RunContext& ctx) {
    const double c = cfg.number("c"), lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const auto steps = static_cast<std::size_t>(cfg.integer("steps"));
    AysOptions o = read_ays_options(cfg, ctx);
    o.checkpoint.clear();  // several short optimisations per run: no checkpoints
    NewtonOptions newton;
    newton.threads = ctx.threads;
    const auto sde = make_solver("linearised-sde");
    Result r;
    r.line("exact KL of the linearised-SDE sampler and closed-form KLUB of each schedule");
    r.line(fmt::format("{:>4} {:>5} {:<14} {:>12} {:>12}", "d", "steps", "schedule", "exact KL", "KLUB"));
    for (const auto d64 : cfg.integers("dims")) {
        const auto d = static_cast<std::size_t>(d64);
        const auto data = gaussian_spectrum(d, c, cfg.number("spectrum_exponent"));
        ProgressPrinter progress(ctx, o.max_sweeps * (o.subdivisions + 1));
        const auto ays = *optimise_schedule("ays", data, data, karras(steps, lo, hi), o, std::ref(progress)).ays;
        // The same procedure without early stopping, at the first step count: it should find the
        // closed-form KLUB optimum (a check of the Monte Carlo optimiser itself).
        AysOptions full = o;
        full.subdivisions = 0;
        full.max_sweeps = full.patience = static_cast<std::size_t>(cfg.integer("converged_sweeps"));
        const auto converged = *optimise_schedule("ays", data, data, karras(steps, lo, hi), full).ays;
        for (const auto& stage : ays.stages) {
            const std::size_t n = stage.schedule.steps();
            const auto klub_opt = optimise_klub_gaussian(karras(n, lo, hi), data, newton);
            const auto kl_opt = optimise_exact_kl(*sde, karras(n, lo, hi), data, newton);
            std::vector<std::pair<std::string, Schedule>> schedules = {
                {"ays", stage.schedule},
                {"klub-optimal", klub_opt.schedule},
                {"exact-optimal", kl_opt.schedule},
                {"arctan", arctan_optimal(n, lo, hi, c)},
                {"karras", karras(n, lo, hi)}};
            if (n == steps)
                schedules.insert(schedules.begin() + 1, {"ays-converged", converged.stages[0].schedule});
            nlohmann::json table;
            double best_kl = kl_opt.kl;
            for (const auto& [name, s] : schedules) {
                const double kl = exact_solver_kl(*sde, s, data), klub = klub_total(s, data);
                table[name] = {{"exact_kl", kl}, {"klub", klub}, {"sigmas", s.sigmas()}};
                r.line(fmt::format("{:>4} {:>5} {:<14} {:>12.5e} {:>12.5e}", d, n, name, kl, klub));
                if (name != "exact-optimal")
                    r.check({fmt::format("d={} n={}: exact-KL optimum <= {} (exact KL)", d, n, name), kl,
                             best_kl, 1e-12 * kl, Criterion::at_most});
            }
            if (n == steps) {
                const double ays_klub = table["ays-converged"]["klub"],
                             opt_klub = table["klub-optimal"]["klub"];
                r.check(
                    {fmt::format("d={} n={}: AYS without early stopping reaches the closed-form KLUB optimum",
                                 d, n),
                     opt_klub, ays_klub, cfg.number("klub_tolerance") * opt_klub, Criterion::at_most});
                r.values[fmt::format("d={}", d)]["converged_sweeps_used"] = converged.trace.back().sweep;
            }
            r.check({fmt::format("d={} n={}: early-stopped AYS beats EDM rho=7 in exact KL", d, n),
                     table["karras"]["exact_kl"], table["ays"]["exact_kl"], 0.0, Criterion::at_most});
            r.values[fmt::format("d={}", d)][std::to_string(n)] = table;
        }
    }
    return r;
}

}  // namespace

Experiment ays_gaussian_experiment() {
    return {"ays-gaussian",
            "AYS vs the closed-form KLUB optimum vs the exact-KL optimum on Gaussian data (MATH §4-5)",
            Schema{seed_key(), shared_list_key("dims")} +
                shared_keys({"c", "spectrum_exponent", "steps", "subdivisions", "refine", "sigma_min", "sigma_max", "samples",
                             "validation_samples", "golden_iterations", "max_sweeps", "patience"}) +
                Schema{{"converged_sweeps", KeyType::integer, "sweeps of the run without early stopping", 1, 10000},
                       {"klub_tolerance", KeyType::number,
                        "check: converged AYS KLUB within this fraction of the optimum", 0, 10}},
            run};
}

}  // namespace ayslab::app
