// klub-bound (MATH.md §5): on Gaussian data the linearised-SDE sampler maps Gaussians to Gaussians, so
// its KL is exact: show KL <= sum of KLUBs (constant exactly 1) for every schedule tried, with the
// ratio. Also the KLUB estimators against each other: closed form vs quadrature, vs the same integral
// in each process's time, and importance-sampled Monte Carlo per interval.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/divergence/kl.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "keys.hpp"
#include "gaussian_spectrum.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

Result run(const Config& cfg, const RunContext& ctx) {
    const double c = cfg.number("c"), lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const auto process = make_process(cfg.string("process"));
    const auto solver = make_solver("linearised-sde");
    Result r;
    r.line("exact KL of the linearised-SDE sampler (from the exact p_sigma_max) vs the KLUB, closed form");
    r.line(fmt::format("{:>4} {:>5} {:<11} {:>12} {:>12} {:>12} {:>9}", "d", "steps", "schedule", "KL (end)",
                       "KL (path)", "KLUB", "KLUB/KL"));
    for (const auto d64 : cfg.integers("dims")) {
        const auto d = static_cast<std::size_t>(d64);
        const auto data = gaussian_spectrum(d, c, cfg.number("spectrum_exponent"));
        const std::string dkey = fmt::format("d={}", d);
        for (const auto n64 : cfg.integers("steps")) {
            ScheduleSpec spec{static_cast<std::size_t>(n64), lo, hi, 7.0, c, process.get(), {}};
            for (const auto& kind : cfg.strings("schedules")) {
                const Schedule s = make_schedule(kind, spec);
                const double kl = exact_solver_kl(*solver, s, data);
                const double path = exact_path_kl(*solver, s, data);
                double klub = 0.0;
                for (double v : klub_schedule_gaussian(s, data.variance())) klub += v;
                const std::string at = fmt::format("d={} n={} {}", d, n64, kind);
                r.check({at + ": exact KL <= KLUB", klub, kl, 0.0, Criterion::at_most});
                // The sharp one: the KL of the whole discrete chain (conditional Gaussians, divergence/kl.hpp)
                // lies between the end-point KL and the KLUB; for this sampler on Gaussian data it equals
                // the KLUB (two independent derivations of one number), so the check is equality to 1e-9.
                r.check({at + ": KL of the end point <= KL of the discrete path", path, kl, 0.0, Criterion::at_most});
                r.check({at + ": KL of the discrete path = KLUB (closed form)", klub, path, 1e-9, Criterion::relative});
                r.values[dkey]["bound"][std::to_string(n64)][kind] = {
                    {"kl", kl}, {"path_kl", path}, {"klub", klub}, {"ratio", klub / kl}};
                r.line(fmt::format("{:>4} {:>5} {:<11} {:>12.5e} {:>12.5e} {:>12.5e} {:>9.3f}", d, n64, kind, kl,
                                   path, klub, klub / kl));
            }
        }
        // Estimators on the 10 intervals of EDM rho=7.
        const Schedule edm = karras(10, lo, hi, 7.0);
        const auto exact = klub_schedule_gaussian(edm, data.variance());
        std::vector<KlubEstimate> mc;
        klub_schedule_mc(data, data, edm,
                         {static_cast<std::size_t>(cfg.integer("mc_samples")), cfg.seed(), 0.0, ctx.threads},
                         &mc);
        double worst_quad = 0.0, worst_z = 0.0;
        nlohmann::json rows = nlohmann::json::array();
        for (std::size_t k = 0; k < exact.size(); ++k) {
            const double q = klub_interval_gaussian_quadrature(data.variance(), edm[k + 1], edm[k]);
            worst_quad = std::max(worst_quad, std::abs(q / exact[k] - 1.0));
            const double z = (mc[k].value - exact[k]) / mc[k].standard_error;
            worst_z = std::max(worst_z, std::abs(z));
            r.check_se(fmt::format("d={} EDM interval {}: Monte Carlo KLUB vs closed form", d, k), exact[k],
                       mc[k].value, mc[k].standard_error, cfg.number("n_se"));
            rows.push_back({{"sigma_hi", edm[k]},
                            {"sigma_lo", edm[k + 1]},
                            {"closed_form", exact[k]},
                            {"quadrature", q},
                            {"monte_carlo", mc[k].value},
                            {"monte_carlo_se", mc[k].standard_error},
                            {"z", z}});
        }
        r.check({fmt::format("d={}: quadrature vs closed form, max relative difference", d), 0.0, worst_quad,
                 1e-10, Criterion::absolute});
        r.values[dkey]["edm_intervals"] = rows;
        // The same sigma schedule carried by different processes (inside every process's range).
        const Schedule common = karras(10, 0.02, 40.0, 7.0);
        double reference = 0.0;
        for (double v : klub_schedule_gaussian(common, data.variance())) reference += v;
        for (const std::string name : {"edm", "ve", "vp", "subvp"}) {
            const auto p = make_process(name);
            double total = 0.0;
            for (std::size_t k = 0; k + 1 < common.size(); ++k)
                total += klub_interval_gaussian_in_time(*p, data.variance(), common[k + 1], common[k]);
            r.check({fmt::format("d={}: KLUB of one sigma schedule in {}'s time vs closed form", d, name),
                     reference, total, 1e-10, Criterion::relative});
            r.values[dkey]["process_invariance"][name] = total;
        }
        r.line(
            fmt::format("d={}: EDM rho=7 intervals: quadrature/closed form max rel. diff {:.1e}; Monte Carlo "
                        "({} samples) worst |z| {:.2f}",
                        d, worst_quad, cfg.integer("mc_samples"), worst_z));
    }
    return r;
}

}  // namespace

Experiment klub_bound_experiment() {
    return {"klub-bound",
            "KL <= KLUB for the linearised-SDE sampler on Gaussian data; KLUB estimators agree (MATH §5)",
            Schema{seed_key(), shared_list_key("dims")} +
                shared_keys({"c", "spectrum_exponent", "sigma_min", "sigma_max"}) +
                Schema{shared_list_key("steps"),
                       {"schedules",
                        KeyType::string_list,
                        "schedule families",
                        {},
                        {},
                        {"karras", "loguniform", "uniform-t", "arctan"}}} +
                shared_keys({"process"}) +
                Schema{{"mc_samples", KeyType::integer, "Monte Carlo samples per interval", 2, 1e8}} +
                shared_keys({"n_se"}),
            run,
            // One interval's draws: mc_samples x (3 d + 1) doubles (klub_draws) at the largest d.
            [](const Config& cfg) {
                std::int64_t d = 1;
                for (const auto v : cfg.integers("dims")) d = std::max(d, v);
                return MemoryNeed{8.0 * static_cast<double>(cfg.integer("mc_samples")) * (3.0 * static_cast<double>(d) + 1.0),
                                  fmt::format("mc_samples = {} x dims up to {}", cfg.integer("mc_samples"), d)};
            }};
}

}  // namespace ayslab::app
