#include "evaluate.hpp"

#include "ayslab/cluster.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/metrics.hpp"
#include "ayslab/sampler.hpp"
#include "ayslab/streams.hpp"

namespace ayslab::app {

nlohmann::json SampleQuality::to_json() const {
    auto entry = [](const Moments& m) -> nlohmann::json {
        if (m.count() < 1) return nullptr;
        return {{"mean", m.mean()}, {"se", m.count() > 1 ? m.se_mean() : 0.0}, {"seeds", m.count()}};
    };
    nlohmann::json j = {{"nll", entry(nll)},
                        {"nll_median", entry(nll_median)},
                        {"sliced_w2", entry(sw2)},
                        {"nearest_distance", entry(nearest)}};
    if (near_share.count() > 0) {
        j["near_data_share"] = entry(near_share);
        j["near_data_radius"] = near_radius;
    }
    return j;
}

namespace {
// The median distance from a held-out point to its nearest training point: the scale at which a
// sample counts as "near the data". Computed once per data set (the held-out set is fixed).
double held_out_near_radius(const Dataset& dataset, std::size_t threads) {
    if (!dataset.near_radius)
        dataset.near_radius =
            median(nearest_distances(*dataset.data, dataset.held_out.values, dataset.held_out.n, threads));
    return *dataset.near_radius;
}
}  // namespace

SampleQuality evaluate_samples(const Dataset& dataset, const Denoiser& denoiser, const Solver& solver,
                               const Schedule& schedule, const EvaluationOptions& o) {
    if (schedule.ends_at_zero()) throw InputError("sample NLL needs a schedule ending at sigma_min > 0");
    const Data& data = *dataset.data;
    const std::size_t d = data.dim(), n = o.particles;
    if (denoiser.dim() != d)
        throw InputError(fmt::format("the denoiser has dimension {}, the data {}", denoiser.dim(), d));
    const bool points = data.nearest_points() != nullptr;
    SampleQuality q;
    std::vector<double> x(n * d);
    for (std::size_t s = 0; s < o.seeds; ++s) {
        const std::uint64_t seed = streams::evaluation_seed(o.seed, s);
        sample_marginal(data, schedule.sigma_max(), x, n, seed, o.threads);
        sample(denoiser, solver, schedule, x, n, {seed, o.threads, 64});
        if (s == 0 && o.keep > 0) q.first_samples.assign(x.begin(), x.begin() + std::min(o.keep, n) * d);
        const auto nlls = negative_log_likelihoods(data, x, n, schedule.sigma_min(), o.threads);
        const auto nll = moments_of(nlls);
        if (s == 0) q.nll = Moments(nll.mean());
        q.nll.add(nll.mean());
        q.nll_per_seed.push_back(nll.mean());
        const double nll_median = median(nlls);
        if (s == 0) q.nll_median = Moments(nll_median);
        q.nll_median.add(nll_median);
        if (dataset.held_out.n > 0) {
            const double w = sliced_wasserstein2(x, n, dataset.held_out.values, dataset.held_out.n, d,
                                                 o.projections, streams::sliced_w2_projections(o.seed));
            if (s == 0) q.sw2 = Moments(w);
            q.sw2.add(w);
            q.sw2_per_seed.push_back(w);
        }
        if (points) {
            const auto distances = nearest_distances(data, x, n, o.threads);
            const auto near = moments_of(distances);
            if (s == 0) q.nearest = Moments(near.mean());
            q.nearest.add(near.mean());
            if (dataset.held_out.n > 0) {
                q.near_radius = held_out_near_radius(dataset, o.threads);
                const double share =
                    static_cast<double>(std::count_if(distances.begin(), distances.end(),
                                                      [&](double v) { return v <= q.near_radius; })) /
                    static_cast<double>(n);
                if (s == 0) q.near_share = Moments(share);
                q.near_share.add(share);
            }
        }
    }
    return q;
}

void describe_dataset(const Dataset& dataset, Result& r) {
    const std::size_t d = dataset.data->dim();
    r.values["data"] = {{"name", dataset.name}, {"dim", d}, {"points", dataset.points}, {"held_out", dataset.held_out.n}};
    r.line(fmt::format("data: {}, {}d = {}, {} held out", dataset.name,
                       dataset.points > 0 ? fmt::format("{} points, ", dataset.points) : std::string(), d,
                       dataset.held_out.n));
}

std::string plus_minus(const Moments& m, int precision) {
    if (m.count() < 1) return "-";
    return fmt::format("{:.{}g} ± {:.2g}", m.mean(), precision, m.count() > 1 ? m.se_mean() : 0.0);
}

Moments paired_difference(const SampleQuality& a, const SampleQuality& b, const std::string& metric) {
    const auto& x = metric == "nll" ? a.nll_per_seed : a.sw2_per_seed;
    const auto& y = metric == "nll" ? b.nll_per_seed : b.sw2_per_seed;
    Moments m;
    for (std::size_t s = 0; s < x.size() && s < y.size(); ++s) m.add(x[s] - y[s]);
    return m;
}

void report_max_sweeps(const AysResult& ays, const AysOptions& o, Result& result, const std::string& key,
                       const std::string& label) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& stage : ays.stages) {
        const std::size_t n = stage.schedule.steps();
        // The sweep the stage kept, and how many it ran (the trace holds every sweep of every stage).
        std::size_t kept = 0, ran = 0;
        for (const auto& e : ays.trace)
            if (e.steps == n) {
                ran = std::max(ran, e.sweep);
                const bool same = o.quality ? e.quality == stage.quality.value : e.klub == stage.klub.value;
                if (same) kept = e.sweep;
            }
        if (stage.stopped_at_max_sweeps) {
            steps.push_back(n);
            result.line(fmt::format("note: the {}-step {} stage stopped at max_sweeps = {} (the budget) while its "
                                    "{} was still improving; kept sweep {}; more sweeps (--set max_sweeps=...) may help",
                                    n, label, o.max_sweeps,
                                    o.quality ? "stop proxy (" + o.quality_name + ")" : std::string("KLUB"), kept));
        } else {
            result.line(fmt::format("{}-step {} stage: stopped after sweep {}: its {} did not improve for {} sweeps; "
                                    "kept sweep {} (the best {})",
                                    n, label, ran, o.quality ? "stop proxy (" + o.quality_name + ")" : "validation KLUB",
                                    o.patience, kept, o.quality ? "proxy" : "KLUB"));
        }
    }
    result.values[key] = steps;
}

EvaluationOptions read_evaluation(const Config& cfg, const RunContext& ctx) {
    EvaluationOptions o;
    o.particles = static_cast<std::size_t>(cfg.integer("eval_particles"));
    o.seeds = static_cast<std::size_t>(cfg.integer("eval_seeds"));
    o.projections = static_cast<std::size_t>(cfg.integer("projections"));
    o.seed = cfg.seed();
    o.threads = ctx.threads;
    return o;
}

ProgressPrinter::ProgressPrinter(const RunContext& context, std::size_t total_sweeps)
    : enabled_(context.progress && cluster::rank() == 0),
      tty_(::isatty(2) != 0),
      total_(total_sweeps),
      start_(std::chrono::steady_clock::now()) {}

namespace {
// Progress never ends a run: a closed or full stderr is ignored (fmt::print would throw).
void write_stderr(const std::string& text) {
    [[maybe_unused]] const auto n = std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}
}  // namespace

void ProgressPrinter::operator()(const AysTraceEntry& e) {
    if (!enabled_) return;
    if (e.sweep > 0) ++done_;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double left = done_ > 0 && total_ > done_
                            ? elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_)
                            : 0.0;
    // A terminal gets one line rewritten in place; a log file or pipe one line per sweep.
    write_stderr(fmt::format("{}[ays] {} steps, sweep {}: KLUB {:.5g} ± {:.2g}{}, at most ~{:.0f} s left{}",
                             tty_ ? "\r" : "", e.steps, e.sweep, e.klub, e.klub_standard_error,
                             e.improved ? " (improved)" : "", left, tty_ ? "   " : "\n"));
    printed_ = true;
}

ProgressPrinter::~ProgressPrinter() {
    if (printed_ && tty_) write_stderr("\n");
}

}  // namespace ayslab::app
