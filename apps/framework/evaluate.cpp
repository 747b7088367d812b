#include "evaluate.hpp"

#include "ayslab/cluster.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/streams.hpp"

namespace ayslab::app {

nlohmann::json quality_json(const SampleQuality& q) {
    auto entry = [](const Moments& m) -> nlohmann::json {
        if (m.count() < 1) return nullptr;
        return {{"mean", m.mean()}, {"se", m.count() > 1 ? m.se_mean() : 0.0}, {"seeds", m.count()}};
    };
    nlohmann::json j = {{"nll", entry(q.nll)},
                        {"nll_median", entry(q.nll_median)},
                        {"sliced_w2", entry(q.sw2)},
                        {"nearest_distance", entry(q.nearest)}};
    if (q.near_share.count() > 0) {
        j["near_data_share"] = entry(q.near_share);
        j["near_data_radius"] = q.near_radius;
    }
    if (q.fid.count() > 0) j["fid"] = entry(q.fid);
    if (q.kid.count() > 0) j["kid"] = entry(q.kid);
    if (!q.kid_by_class.empty()) {
        j["kid_by_class"] = nlohmann::json::array();
        for (const auto& m : q.kid_by_class) j["kid_by_class"].push_back(entry(m));
    }
    return j;
}

Problem problem_of(const Dataset& dataset, const Denoiser* denoiser) {
    return Problem{dataset.name, dataset.data.get(), denoiser ? denoiser : &dataset.data->denoiser(), &dataset.held_out};
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
    : context_(context),
      enabled_(context.progress && cluster::rank() == 0),
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
    if (e.sweep > 0) ++done_;
    if (context_.on_sweep) context_.on_sweep(e, done_, total_);
    if (!enabled_) return;
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
