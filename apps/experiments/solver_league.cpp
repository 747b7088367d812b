// solver-league (MATH.md §4): on Gaussian data every deterministic sampler is linear in x, so its
// output law and KL are exact. The table of exact KL for every sampler x schedule x NFE, compared by
// NFE (a Heun step costs 2), for 1-D N(0, c^2) and a 3072-D diagonal Gaussian with a decaying spectrum.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "ayslab/divergence/kl.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/registry.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "keys.hpp"
#include "gaussian_spectrum.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

bool kind_present(const Config& cfg, const std::string& kind) {
    for (const auto& k : cfg.strings("schedules"))
        if (k == kind) return true;
    return false;
}

struct Entry {
    std::string solver, schedule;
    std::size_t nfe;
    double kl;
};

Result run(const Config& cfg, const RunContext& ctx) {
    const double lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const auto process = make_process(cfg.string("process"));
    Result r;
    for (const auto d64 : cfg.integers("dims")) {
        const auto d = static_cast<std::size_t>(d64);
        const double c = d == 1 ? cfg.number("c") : std::sqrt(cfg.number("spectrum_mean"));
        const auto data = gaussian_spectrum(d, c, cfg.number("spectrum_exponent"));
        const std::string dkey = fmt::format("d={}", d);
        std::map<std::size_t, Schedule> ays_cache;  // by step count
        auto ays_for = [&](std::size_t steps) -> const Schedule& {
            auto it = ays_cache.find(steps);
            if (it != ays_cache.end()) return it->second;
            AysOptions o = read_ays_options(cfg, ctx);
            o.checkpoint.clear();  // many short optimisations per run: no checkpoints
            o.resume = false;
            return ays_cache.emplace(steps, optimise_schedule("ays", data, data, karras(steps, lo, hi), o).schedule)
                .first->second;
        };
        std::map<std::int64_t, std::vector<Entry>> by_budget;
        for (const auto nfe64 : cfg.integers("nfe")) {
            const auto nfe = static_cast<std::size_t>(nfe64);
            for (const auto& solver_name : cfg.strings("solvers")) {
                const auto solver = make_solver(solver_name);
                const std::size_t steps = std::max<std::size_t>(1, nfe / solver->nfe_per_step());
                for (const auto& kind : cfg.strings("schedules")) {
                    const Schedule s = kind == "ays"
                                           ? ays_for(steps)
                                           : make_schedule(kind, {steps, lo, hi, 7.0, c, process.get(), {}});
                    const double kl = exact_solver_kl(*solver, s, data);
                    by_budget[nfe64].push_back({solver_name, kind, steps * solver->nfe_per_step(), kl});
                    r.values[dkey][fmt::format("nfe={}", nfe)][solver_name][kind] = {
                        {"kl", kl}, {"steps", steps}, {"nfe", steps * solver->nfe_per_step()}};
                }
            }
        }
        // Checks by independent routes: Euler's probe-measured KL against MATH §4's product formula
        // (1-D), DDIM = Euler, every KL finite and >= 0. Pairs whose KL grows with NFE are reported.
        const auto nfes = cfg.integers("nfe");
        std::vector<std::string> growing;
        for (const auto nfe64 : nfes) {
            const auto& at = r.values[dkey][fmt::format("nfe={}", nfe64)];
            // Recorded pass or fail: the count of (solver, schedule) pairs whose KL is not finite or < 0,
            // the first of them named.
            std::size_t bad = 0;
            std::string first_bad;
            for (const auto& e : by_budget[nfe64])
                if (!(std::isfinite(e.kl) && e.kl >= 0.0) && bad++ == 0) first_bad = e.solver + " + " + e.schedule;
            r.check({fmt::format("{} NFE {}: every KL finite and >= 0 ({} pairs){}", dkey, nfe64,
                                 by_budget[nfe64].size(), bad > 0 ? ", first failure: " + first_bad : ""),
                     0.0, static_cast<double>(bad), 0.0, Criterion::absolute});
            if (at.contains("euler") && at.contains("ddim"))
                for (const auto& kind : cfg.strings("schedules"))
                    r.check({fmt::format("{} NFE {} {}: DDIM = Euler", dkey, nfe64, kind),
                             at["euler"][kind]["kl"], at["ddim"][kind]["kl"], 1e-9, Criterion::relative});
            if (d == 1 && at.contains("euler") && kind_present(cfg, "karras")) {
                const Schedule s = karras(static_cast<std::size_t>(nfe64), lo, hi);
                const double v = euler_output_variance_1d(s, c);
                r.check({fmt::format("d=1 NFE {}: Euler + karras KL vs MATH §4 product formula", nfe64),
                         kl_gaussian(0.0, lo * lo + c * c, 0.0, v), at["euler"]["karras"]["kl"], 1e-9,
                         Criterion::relative});
            }
        }
        const auto first = std::to_string(*std::min_element(nfes.begin(), nfes.end()));
        const auto last = std::to_string(*std::max_element(nfes.begin(), nfes.end()));
        for (const auto& solver_name : cfg.strings("solvers"))
            for (const auto& kind : cfg.strings("schedules")) {
                const double a = r.values[dkey]["nfe=" + first][solver_name][kind]["kl"];
                const double b = r.values[dkey]["nfe=" + last][solver_name][kind]["kl"];
                if (b > a)
                    growing.push_back(fmt::format("{}+{} ({:.3g} -> {:.3g})", solver_name, kind, a, b));
            }
        r.values[dkey]["kl_grows_with_nfe"] = growing;
        r.line(fmt::format("== {} ({}): the best {} solver x schedule pairs by exact KL, per NFE budget",
                           dkey, d == 1 ? fmt::format("N(0, {}^2)", c) : "spectrum k^-1.5, mean variance 1",
                           cfg.integer("top")));
        for (const auto nfe64 : nfes) {
            auto row = by_budget[nfe64];
            std::sort(row.begin(), row.end(), [](const Entry& a, const Entry& b) { return a.kl < b.kl; });
            std::string line = fmt::format("  NFE {:>3}:", nfe64);
            for (std::size_t k = 0; k < row.size() && k < static_cast<std::size_t>(cfg.integer("top")); ++k)
                line += fmt::format("  {}+{} {:.3g}", row[k].solver, row[k].schedule, row[k].kl);
            r.line(line);
        }
        if (!growing.empty())
            r.line(fmt::format("  KL larger at NFE {} than at NFE {}: {}", last, first,
                               fmt::join(growing, ", ")));
        if (ays_cache.size() > 0) {
            for (const auto& [steps, s] : ays_cache)
                r.values[dkey]["ays_schedules"][std::to_string(steps)] = s.sigmas();
        }
    }
    return r;
}

}  // namespace

Experiment solver_league_experiment() {
    return {"solver-league",
            "exact KL of every deterministic sampler x schedule x NFE on Gaussian data (MATH §4)",
            Schema{seed_key(), shared_list_key("dims"), shared_key("c"),
                   {"spectrum_mean", KeyType::number, "mean variance of the spectrum for d > 1", 1e-8, 1e8}} +
                shared_keys({"spectrum_exponent", "sigma_min", "sigma_max"}) +
                Schema{{"nfe", KeyType::integer_list, "denoiser-evaluation budgets", 1, 100000},
                       {"schedules",
                        KeyType::string_list,
                        "schedule families ('ays' optimised per step count)",
                        {},
                        {},
                        {"karras", "loguniform", "uniform-t", "arctan", "ays"}},
                       shared_list_key("solvers"), shared_key("process"),
                       {"top", KeyType::integer, "pairs shown per NFE in the summary", 1, 1000}} +
                shared_keys({"samples", "validation_samples", "max_sweeps"}),  // of the 'ays' schedules
            run};
}

}  // namespace ayslab::app
