// The model pre-flight as the tools run it (docs/your-model.md): options from a config, the table into
// a result, the refusal as an InputError. The measurement, the ranking of readings and the refusal rule
// are lib/ (ayslab/evaluation/preflight.hpp, ayslab/evaluation/model_reading.hpp).
#include "model_preflight.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "ayslab/error.hpp"
#include "ayslab/streams.hpp"

namespace ayslab::app {

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

void run_preflight(const Config& cfg, const Data& data, const Denoiser& model, const std::shared_ptr<const ModelFunction>& network,
                   const ModelConvention& convention, const std::string& file, const RunContext& ctx, Result* result) {
    const PreflightOptions o = preflight_options(cfg);
    const auto report = preflight(data, model, o);
    report_preflight(report, convention, result);
    const auto ranking = rank_conventions(data, network, convention, o, ctx.threads);
    if (result) {
        auto& pre = result->values["preflight"];
        pre["ranking_evaluations"] = ranking.evaluations;
        pre["model_evaluations"] = report.evaluations + ranking.evaluations;
        pre["readings_tried"] = ranking.readings.size();
    }
    const auto verdict = judge_preflight(report, ranking, convention, file);
    if (verdict.refused) {
        // A class-conditional model: the null label (or the class count it follows) is checked before the
        // reading, since a wrong one makes every reading look wrong.
        if (const auto null_advice = check_null_label(data, network, convention, o, ctx.threads, file))
            throw InputError(*null_advice);
        throw InputError(verdict.message);
    }
    if (result)
        result->line(fmt::format("pre-flight: no band worse than {}x a trivial denoiser, and none of {} other readings "
                                 "fits better beyond noise: running ({} model evaluations)",
                                 preflight_band_limit, ranking.readings.size() - 1,
                                 report.evaluations + ranking.evaluations));
}

}  // namespace ayslab::app
