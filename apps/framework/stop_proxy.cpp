#include "stop_proxy.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <utility>

#include "ayslab/error.hpp"
#include "ayslab/metrics.hpp"
#include "ayslab/sampler.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/streams.hpp"

namespace ayslab::app {

namespace {
constexpr std::size_t teacher_steps = 256;
constexpr std::size_t chunk = 64;  // as the evaluation samples (dpm-adaptive depends on it)

KlubEstimate estimate(std::span<const double> values) {
    const auto m = moments_of(values);
    return {m.mean(), m.se_mean()};
}
}  // namespace

void set_stop_proxy(AysOptions& o, const Config& cfg, const Problem& problem, const RunContext& ctx) {
    const Data& data = *problem.data;
    const Denoiser& denoiser = *problem.denoiser;
    if (!cfg.json().contains("stop_on")) return;
    const std::string kind = cfg.string("stop_on");
    if (kind == "klub") return;
    const std::string sampler = cfg.string("stop_sampler");
    std::shared_ptr<const Solver> solver = make_solver(sampler);
    const std::size_t n = static_cast<std::size_t>(cfg.integer("stop_particles")), d = data.dim();
    const std::uint64_t seed = streams::stop_proxy(cfg.seed());
    const std::size_t threads = ctx.threads;
    // A labelled problem: every draw comes with its class, the denoiser and the NLL take it per row.
    auto labels = std::make_shared<std::vector<Label>>(problem.labelled ? n : 0);
    auto starts = [&data, labels, n, d, seed, threads](double sigma) {
        std::vector<double> x(n * d);
        sample_marginal_labelled(data, sigma, x, *labels, n, seed, threads);  // (no labels: plain draws)
        return x;
    };
    auto run = [&denoiser, starts, labels, solver, n, seed, threads](const Schedule& s) {
        auto x = starts(s.sigma_max());
        sample(denoiser, *solver, s, x, n, {seed, threads, chunk, nullptr, *labels});
        return x;
    };
    if (kind == "nll") {
        o.quality = [&data, run, labels, n, threads](const Schedule& s) {
            const auto x = run(s);
            return estimate(negative_log_likelihoods_labelled(data, x, *labels, n, s.sigma_min(), threads));
        };
        o.quality_name = fmt::format("nll of {} on {} fixed draws", sampler, n);
        return;
    }
    if (kind == "sliced_w2") {
        if (!problem.held_out || problem.held_out->n == 0)
            throw InputError("stop_on = sliced_w2 needs held-out rows (held_out_file or held_out_fraction for "
                             "data=file); use stop_on = nll or teacher");
        const PointSet* held_out = problem.held_out;
        o.quality = [held_out, run, n, d, seed](const Schedule& s) {
            constexpr std::size_t projections = 128;
            const auto x = run(s);
            return KlubEstimate{sliced_wasserstein2(x, n, held_out->values, held_out->n, d, projections, seed), 0.0};
        };
        o.quality_name = fmt::format("sliced W2 of {} to the held-out rows, {} fixed draws", sampler, n);
        return;
    }
    if (kind != "teacher")
        throw InputError(fmt::format("stop_on = '{}': use klub, nll, sliced_w2 or teacher", kind));
    if (solver->stochastic())
        throw InputError(fmt::format("stop_on = teacher needs a deterministic stop_sampler ('{}' draws noise: "
                                     "its end points are not a function of x_T); use stop_on = nll",
                                     sampler));
    // One fine-step solution per sigma range (every stage of a run shares its end points).
    auto teachers = std::make_shared<std::map<std::pair<double, double>, std::vector<double>>>();
    const std::shared_ptr<const Solver> heun = make_solver("heun");
    o.quality = [&denoiser, starts, labels, run, teachers, heun, n, d, seed, threads](const Schedule& s) {
        const auto key = std::make_pair(s.sigma_max(), s.sigma_min());
        auto it = teachers->find(key);
        if (it == teachers->end()) {
            auto ref = starts(s.sigma_max());
            sample(denoiser, *heun, karras(teacher_steps, s.sigma_min(), s.sigma_max()), ref, n,
                   {seed, threads, chunk, nullptr, *labels});
            it = teachers->emplace(key, std::move(ref)).first;
        }
        const auto x = run(s);
        std::vector<double> distance(n, 0.0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < d; ++j) {
                const double e = x[i * d + j] - it->second[i * d + j];
                distance[i] += e * e;
            }
        return estimate(distance);
    };
    o.quality_name = fmt::format("squared distance of {} to {}-step Heun on {} fixed draws", sampler, teacher_steps, n);
}

}  // namespace ayslab::app
