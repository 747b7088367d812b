// arctan-optimum (MATH.md §4): for 1-D Gaussian data N(0, c^2), the schedule minimising Euler's exact
// KL has arctan(sigma_i / c) equally spaced. Minimise the exact KL numerically from EDM rho=7 and
// compare; tabulate the exact KL of the usual schedules, and each solver's own optimum.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/divergence/kl.hpp"
#include "ayslab/optimise/exact.hpp"
#include "ayslab/process/process.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/registry.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

double max_relative_difference(const Schedule& a, const Schedule& b) {
    double m = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]) / b[i]);
    return m;
}

std::vector<double> to_vector(const Schedule& s) { return {s.sigmas().begin(), s.sigmas().end()}; }

Result run(const Config& cfg, const RunContext& ctx) {
    const double c = cfg.number("c"), lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const double rho = cfg.number("rho"), tol = cfg.number("tolerance");
    const auto process = make_process(cfg.string("process"));
    const auto data = DiagonalGaussian::isotropic(1, 0.0, c);
    NewtonOptions newton;
    newton.threads = ctx.threads;
    Result r;
    r.line(fmt::format("data N(0, {}^2), sigma in [{}, {}]; exact KL(p_sigma_min || sampler output), nats", c,
                       lo, hi));
    r.line(fmt::format("{:>5} {:<8} {:>12} {:>12} {:>12} {:>12} {:>12}", "steps", "solver", "arctan",
                       "karras", "log-uniform", "uniform-t", "optimised"));
    for (const auto n64 : cfg.integers("steps")) {
        const auto n = static_cast<std::size_t>(n64);
        const std::vector<std::pair<std::string, Schedule>> schedules = {
            {"arctan", arctan_optimal(n, lo, hi, c)},
            {"karras", karras(n, lo, hi, rho)},
            {"log-uniform", log_uniform(n, lo, hi)},
            {"uniform-t", uniform_t(n, lo, hi, *process)},
        };
        const Schedule& arctan = schedules[0].second;
        nlohmann::json per_n;
        per_n["arctan_schedule"] = to_vector(arctan);
        for (const auto& [name, schedule] : schedules) per_n["schedules"][name] = to_vector(schedule);
        std::vector<double> euler_kls;
        for (const auto& solver_name : cfg.strings("solvers")) {
            const auto solver = make_solver(solver_name);
            nlohmann::json row;
            std::vector<double> kls;
            for (const auto& [name, schedule] : schedules) {
                kls.push_back(exact_solver_kl(*solver, schedule, data));
                row["kl"][name] = kls.back();
            }
            const auto best = optimise_exact_kl(*solver, schedules[1].second, data, newton);
            row["kl"]["optimised"] = best.kl;
            row["optimised_schedule"] = to_vector(best.schedule);
            row["optimiser"] = {{"iterations", best.details.iterations},
                                {"evaluations", best.details.evaluations},
                                {"gradient_max_norm", best.details.gradient_norm},
                                {"converged", best.details.converged}};
            const double diff = max_relative_difference(best.schedule, arctan);
            row["max_relative_difference_to_arctan"] = diff;
            r.line(fmt::format("{:>5} {:<8} {:>12.5e} {:>12.5e} {:>12.5e} {:>12.5e} {:>12.5e}", n,
                               solver_name, kls[0], kls[1], kls[2], kls[3], best.kl));
            if (solver_name == "euler") {
                euler_kls = kls;
                r.check(
                    {fmt::format(
                         "n={}: optimised Euler schedule vs arctan closed form (max relative difference)", n),
                     0.0, diff, tol, Criterion::absolute});
                r.check({fmt::format("n={}: optimised Euler KL is no better than arctan's", n), kls[0],
                         best.kl, 1e-12 * kls[0], Criterion::absolute});
                // Independent route: MATH §4's product formula for Euler's output variance.
                const double c2 = c * c, v_hat = euler_output_variance_1d(arctan, c);
                r.check({fmt::format("n={}: Euler KL by solver probe vs MATH §4 product formula", n),
                         kl_gaussian(0.0, lo * lo + c2, 0.0, v_hat), kls[0], 1e-9, Criterion::relative});
                // Closed form of the optimum (MATH §4): KL* = (r - 1 - ln r)/2, ln r = -2n ln cos(step),
                // step = (arctan(hi/c) - arctan(lo/c))/n; expm1 keeps the digits when r is near 1.
                const double step = (std::atan(hi / c) - std::atan(lo / c)) / static_cast<double>(n);
                const double log_r = -2.0 * static_cast<double>(n) * std::log(std::cos(step));
                r.check({fmt::format("n={}: arctan Euler KL vs closed form (r - 1 - ln r)/2, r = cos^(-2n)(step)", n),
                         0.5 * (std::expm1(log_r) - log_r), kls[0], 1e-9, Criterion::relative});
                for (std::size_t k = 1; k < kls.size(); ++k)
                    r.check({fmt::format("n={}: arctan KL <= {} KL", n, schedules[k].first), kls[k], kls[0],
                             0.0, Criterion::at_most});
            }
            if (solver_name == "ddim" && !euler_kls.empty())
                r.check({fmt::format("n={}: DDIM equals Euler in the sigma parametrisation (karras KL)", n),
                         euler_kls[1], kls[1], 1e-10, Criterion::relative});
            per_n["solvers"][solver_name] = row;
        }
        r.values["steps"][std::to_string(n)] = per_n;
    }
    return r;
}

}  // namespace

Experiment arctan_optimum_experiment() {
    return {
        "arctan-optimum",
        "Euler's exact-KL optimal schedule for 1-D Gaussian data is arctan-spaced (MATH §4)",
        Schema{seed_key()} + shared_keys({"c", "sigma_min", "sigma_max", "process", "rho"}) +
            Schema{shared_list_key("steps"), shared_list_key("solvers"),
                   {"tolerance", KeyType::number, "check: max relative difference to arctan", 0, 1}},
        run};
}

}  // namespace ayslab::app
