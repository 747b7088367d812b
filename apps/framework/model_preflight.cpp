// The model pre-flight as the tools run it (docs/your-model.md): the table, the ranking of conventions
// and the refusal. The measurement itself is lib/ (ayslab/preflight.hpp).
#include "model_preflight.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/streams.hpp"

namespace ayslab::app {

std::string convention_keys(const ModelConvention& c) {
    return fmt::format("parametrisation={}, model_time={}, model_process={}",
                       parametrisation_names()[static_cast<std::size_t>(c.parametrisation)],
                       c.time == TimeInput::sigma ? "sigma" : "t", c.process);
}

PreflightOptions preflight_options(const Config& cfg) {
    PreflightOptions o;
    if (cfg.json().contains("sigma_min")) o.sigma_min = cfg.number("sigma_min");
    if (cfg.json().contains("sigma_max")) o.sigma_max = cfg.number("sigma_max");
    if (cfg.json().contains("sigma_bands")) o.bands = static_cast<std::size_t>(cfg.integer("sigma_bands"));
    if (cfg.json().contains("band_draws")) o.draws = static_cast<std::size_t>(cfg.integer("band_draws"));
    o.seed = streams::preflight(cfg.seed());
    return o;
}

void report_preflight(const PreflightReport& report, const ModelConvention& convention, Result* result) {
    if (result) {
        nlohmann::json bands = nlohmann::json::array();
        for (const auto& b : report.bands)
            bands.push_back({{"sigma", {b.lo, b.hi}}, {"model", b.model}, {"identity", b.identity},
                             {"data_mean", b.mean}, {"data_denoiser", b.data}, {"worse_than_trivial", b.bad}});
        result->values["preflight"] = {{"bands", bands}, {"model_evaluations", report.evaluations},
                                       {"bad_bands", report.bad_bands}, {"convention", convention_keys(convention)}};
        result->line(fmt::format("pre-flight ({} model evaluations): E|D - x0|^2/d per sigma band", report.evaluations));
        result->line(fmt::format("  {:>22} {:>11} {:>11} {:>11} {:>11}", "sigma band", "model", "D = x~", "D = mean",
                                 "data's D"));
        for (const auto& b : report.bands)
            result->line(fmt::format("  {:>22} {:>11.4g} {:>11.4g} {:>11.4g} {:>11.4g}{}",
                                     fmt::format("[{:.4g}, {:.4g}]", b.lo, b.hi), b.model, b.identity, b.mean, b.data,
                                     b.bad ? "  worse than trivial" : ""));
    }
}

std::vector<RankedConvention> rank_conventions(const Data& data, const std::shared_ptr<const ModelFunction>& network, const ModelConvention& convention,
                                               const PreflightOptions& o, std::size_t threads) {
    // Rank every convention (parametrisation x time input x process); stated cost: candidates x bands x draws.
    std::vector<ModelConvention> candidates;
    std::vector<std::string> processes = {convention.process};  // the user's first: it wins ties
    for (const auto& p : process_names())
        if (p != convention.process) processes.push_back(p);
    for (std::size_t p = 0; p < parametrisation_names().size(); ++p)
        for (const auto time : {convention.time, convention.time == TimeInput::t ? TimeInput::sigma : TimeInput::t})
            for (const auto& process : processes) {
                ModelConvention c = convention;
                c.parametrisation = static_cast<Parametrisation>(p);
                c.time = time;
                c.process = process;
                candidates.push_back(c);
            }
    PreflightOptions quick = o;
    quick.draws = 16;
    const auto ranked = rank_candidates(data, candidates.size(), [&](std::size_t k) {
        const auto process = make_process(candidates[k].process);
        const double a = process->sigma(process->t_min()), b = process->sigma(process->t_max());
        return Candidate{std::make_unique<NetworkDenoiser>(network, candidates[k], threads), std::min(a, b),
                         std::max(a, b)};
    }, quick);
    std::vector<RankedConvention> out;
    for (const auto& r : ranked) out.push_back({candidates[r.index], r.score, r.report});
    return out;
}

void run_preflight(const Config& cfg, const Data& data, const Denoiser& model, const std::shared_ptr<const ModelFunction>& network,
                   const ModelConvention& convention, const std::string& file, const RunContext& ctx, Result* result) {
    const PreflightOptions o = preflight_options(cfg);
    const auto report = preflight(data, model, o);
    report_preflight(report, convention, result);
    if (report.bad_bands == 0) return;
    auto ranked = rank_conventions(data, network, convention, o, ctx.threads);
    // The user's own reading is among the candidates (on fewer draws): the claim is about the others.
    std::erase_if(ranked, [&](const RankedConvention& r) { return convention_keys(r.convention) == convention_keys(convention); });
    const PreflightBand* worst = &report.bands.front();
    for (const auto& b : report.bands)
        if (b.bad && b.model / std::min(b.identity, b.mean) > worst->model / std::min(worst->identity, worst->mean))
            worst = &b;
    // Refused: worse than trivial over most of the range, or over a quarter of it when another reading
    // of the model is at least 2x better (geometric mean over bands) and nowhere worse than trivial —
    // a time input read as sigma (only the large-sigma bands fail) is caught by the second rule.
    const bool clearly_better = !ranked.empty() && ranked.front().report.bad_bands == 0 &&
                                ranked.front().score < report.score() - std::log(2.0);
    if (!report.refused() && !(4 * report.bad_bands >= report.bands.size() && clearly_better)) {
        if (result)
            result->line(fmt::format("pre-flight: {} of {} bands worse than a trivial denoiser (no other convention "
                                     "fits clearly better): running",
                                     report.bad_bands, report.bands.size()));
        return;
    }
    std::string best = "none fits better";
    if (!ranked.empty() && ranked.front().score < report.score())
        best = fmt::format("{} (error {:.3g} x the trivial one's, geometric mean over bands; yours {:.3g})",
                           convention_keys(ranked.front().convention), std::exp(ranked.front().score),
                           std::exp(report.score()));
    throw InputError(fmt::format(
        "model '{}' with {} is worse than a trivial denoiser in {} of {} sigma bands (e.g. sigma in [{:.3g}, {:.3g}]: "
        "E|D - x0|^2/d = {:.3g}, D = x~ gives {:.3g}, D = mean {:.3g}); the convention that fits best: {}; "
        "set preflight=false to run anyway",
        file, convention_keys(convention), report.bad_bands, report.bands.size(), worst->lo, worst->hi, worst->model,
        worst->identity, worst->mean, best));
}

}  // namespace ayslab::app
