// AYS's early-stopping proxies (stop_proxy.hpp): a stage's candidate schedules scored by the
// samplers' end points from fixed draws, per draw (or projection), so the optimiser pairs them.
#include "ayslab/optimise/stop_proxy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <memory>
#include <utility>

#include "ayslab/error.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/solver/sampler.hpp"

namespace ayslab {

namespace {
constexpr std::size_t teacher_steps = 256;
constexpr std::size_t chunk = 64;  // as the evaluation samples (dpm-adaptive depends on it)
}  // namespace

void set_stop_proxy(AysOptions& o, const Problem& problem, const StopProxyOptions& options) {
    if (options.on == StopOn::klub) return;
    std::vector<std::shared_ptr<const Solver>> solvers;
    for (const auto& name : options.samplers) solvers.push_back(make_solver(name));
    if (options.on == StopOn::teacher)
        for (std::size_t q = 0; q < solvers.size(); ++q)
            if (solvers[q]->stochastic())
                throw InputError(fmt::format("stop_on = teacher needs a deterministic stop_sampler ('{}' draws noise: "
                                             "its end points are not a function of x_T); use stop_on = nll",
                                             options.samplers[q]));
    if (options.on == StopOn::sliced_w2 && (!problem.held_out || problem.held_out->n == 0))
        throw InputError("stop_on = sliced_w2 needs held-out rows (held_out_file or held_out_fraction for "
                         "data=file); use stop_on = nll or teacher");
    const Data& data = *problem.data;
    const Denoiser& denoiser = *problem.denoiser;
    const std::size_t n = options.particles, d = data.dim();
    const std::uint64_t seed = options.seed;
    const std::size_t threads = options.threads;
    const std::vector<std::string>& names = options.samplers;
    const std::string sampler_list = fmt::format("{}", fmt::join(names, ", "));
    // A labelled problem: every draw comes with its class, the denoiser and the NLL take it per row.
    auto labels = std::make_shared<std::vector<Label>>(problem.labelled ? n : 0);
    auto starts = [&data, labels, n, d, seed, threads](double sigma) {
        std::vector<double> x(n * d);
        sample_marginal_labelled(data, sigma, x, *labels, n, seed, threads);  // (no labels: plain draws)
        return x;
    };
    auto run = [&denoiser, starts, labels, n, seed, threads](const Solver& solver, const Schedule& s) {
        auto x = starts(s.sigma_max());
        sample(denoiser, solver, s, x, n, {seed, threads, chunk, nullptr, *labels});
        return x;
    };
    // Each sampler's values per draw (or per projection), averaged over the samplers: one paired value
    // per fixed draw, whatever the number of samplers.
    auto over_samplers = [solvers](auto&& values_of) {
        std::vector<double> mean;
        for (const auto& solver : solvers) {
            const std::vector<double> v = values_of(*solver);
            if (mean.empty()) mean.assign(v.size(), 0.0);
            for (std::size_t i = 0; i < v.size(); ++i) mean[i] += v[i];
        }
        for (double& m : mean) m /= static_cast<double>(solvers.size());
        return mean;
    };
    const std::string of = fmt::format("{}{}", names.size() > 1 ? "the mean over " : "", sampler_list);
    if (options.on == StopOn::nll) {
        o.quality = [&data, run, labels, n, threads, over_samplers](const Schedule& s) {
            return over_samplers([&](const Solver& solver) {
                const auto x = run(solver, s);
                return negative_log_likelihoods_labelled(data, x, *labels, n, s.sigma_min(), threads);
            });
        };
        o.quality_name = fmt::format("nll of {} on {} fixed draws", of, n);
        return;
    }
    if (options.on == StopOn::sliced_w2) {
        const PointSet* held_out = problem.held_out;
        o.quality = [held_out, run, n, d, seed, over_samplers](const Schedule& s) {
            constexpr std::size_t projections = 128;
            return over_samplers([&](const Solver& solver) {
                const auto x = run(solver, s);
                return sliced_wasserstein2_projections(x, n, held_out->values, held_out->n, d, projections, seed);
            });
        };
        o.quality_name = fmt::format("sliced W2^2 of {} to the held-out rows, {} fixed draws, 128 fixed projections", of, n);
        return;
    }
    // One fine-step solution per sigma range (every stage of a run shares its end points).
    auto teachers = std::make_shared<std::map<std::pair<double, double>, std::vector<double>>>();
    const std::shared_ptr<const Solver> heun = make_solver("heun");
    o.quality = [&denoiser, starts, labels, run, teachers, heun, n, d, seed, threads, over_samplers](const Schedule& s) {
        const auto key = std::make_pair(s.sigma_max(), s.sigma_min());
        auto it = teachers->find(key);
        if (it == teachers->end()) {
            auto ref = starts(s.sigma_max());
            sample(denoiser, *heun, karras(teacher_steps, s.sigma_min(), s.sigma_max()), ref, n,
                   {seed, threads, chunk, nullptr, *labels});
            it = teachers->emplace(key, std::move(ref)).first;
        }
        const std::vector<double>& ref = it->second;
        return over_samplers([&](const Solver& solver) {
            const auto x = run(solver, s);
            std::vector<double> distance(n, 0.0);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < d; ++j) {
                    const double e = x[i * d + j] - ref[i * d + j];
                    distance[i] += e * e;
                }
            return distance;
        });
    };
    o.quality_name = fmt::format("squared distance of {} to {}-step Heun on {} fixed draws", of, teacher_steps, n);
}

}  // namespace ayslab
