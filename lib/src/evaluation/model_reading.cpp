// Which reading of a model fits (docs/your-model.md "The pre-flight"): every convention ranked on the
// same draws, the refusal rule, and the null-label check. The measurement is preflight.cpp.
#include "ayslab/evaluation/model_reading.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "ayslab/error.hpp"
#include "ayslab/process/process.hpp"

namespace ayslab {

std::string convention_keys(const ModelConvention& c) {
    std::string keys = fmt::format("parametrisation={}, model_time={}, model_process={}",
                                   parametrisation_names()[static_cast<std::size_t>(c.parametrisation)],
                                   c.time == TimeInput::sigma ? "sigma" : "t", c.process);
    if (c.parametrisation == Parametrisation::edm) keys += fmt::format(", model_sigma_data={}", c.sigma_data);
    return keys;
}

ConventionRanking rank_conventions(const Data& data, const std::shared_ptr<const ModelFunction>& network,
                                   const ModelConvention& convention, const PreflightOptions& o, std::size_t threads) {
    // Every reading: parametrisation x time input x process (every DDPM table among them), and for the
    // EDM parametrisation the usual sigma_data values. The user's own reading is candidate 0 (it wins
    // ties, and it is always a finalist: the comparison with the best is paired on the same draws).
    std::vector<ModelConvention> candidates = {convention};
    std::vector<std::string> processes = {convention.process};
    for (const auto& p : process_names())
        if (p != convention.process) processes.push_back(p);
    std::vector<double> sigma_data = {convention.sigma_data};
    for (const double v : {0.5, 1.0})
        if (v != convention.sigma_data) sigma_data.push_back(v);
    for (std::size_t p = 0; p < parametrisation_names().size(); ++p)
        for (const auto time : {convention.time, convention.time == TimeInput::t ? TimeInput::sigma : TimeInput::t})
            for (const auto& process : processes)
                for (const double sd : sigma_data) {
                    ModelConvention c = convention;
                    c.parametrisation = static_cast<Parametrisation>(p);
                    c.time = time;
                    c.process = process;
                    c.sigma_data = sd;
                    if (c.parametrisation != Parametrisation::edm && sd != convention.sigma_data) continue;
                    if (convention_keys(c) != convention_keys(convention)) candidates.push_back(c);
                }
    const auto ranking = rank_candidates(
        data, candidates.size(),
        [&](std::size_t k) {
            const auto process = make_process(candidates[k].process);
            const double a = process->sigma(process->t_min()), b = process->sigma(process->t_max());
            return Candidate{std::make_unique<NetworkDenoiser>(network, candidates[k], threads), std::min(a, b),
                             std::max(a, b)};
        },
        o,
        RankingOptions{.neighbour = [&](std::size_t k) {
            return candidates[k].parametrisation == convention.parametrisation;
        }},
        0);
    ConventionRanking out;
    out.evaluations = ranking.evaluations;
    for (const auto& r : ranking.candidates)
        out.readings.push_back({candidates[r.index], r.score, r.report, r.final, r.index == 0});
    return out;
}

namespace {
// Whether reading `other` fits better than `mine` beyond noise (preflight_excess_se standard errors and
// preflight_min_excess relative, on at least half the bands).
bool fits_better(const PreflightReport& mine, const PreflightReport& other, PairedComparison* out = nullptr) {
    const auto c = compare_readings(mine, other);
    if (out) *out = c;
    return 2 * c.bands >= mine.bands.size() && c.excess > preflight_excess_se * c.se && c.relative > preflight_min_excess;
}
}  // namespace

PreflightVerdict judge_preflight(const PreflightReport& report, const ConventionRanking& ranking,
                                 const ModelConvention& convention, const std::string& file) {
    PreflightVerdict v;
    const RankedConvention* mine = nullptr;
    for (const auto& r : ranking.readings)
        if (r.yours && r.final) mine = &r;
    // A neighbouring reading (the user's parametrisation, another process table, time input or
    // sigma_data) that beats the user's beyond noise, the best-ranked first (ranked on every band, the
    // bands a reading cannot reach penalised; compared on the bands both reach). Readings of another
    // parametrisation are not compared so: an imperfect network read as another parametrisation can
    // have a lower error where it is weakest (the default 3000-step ring MLP read as v on the cosine
    // table: lower in 6 of 7 bands) without being the model it is; a wrong parametrisation is caught by
    // the band limit (an eps model read as a denoiser: > 1000x in the top band).
    const RankedConvention* better = nullptr;
    PairedComparison margin;
    for (const auto& r : ranking.readings) {
        // Advice must itself be within the band limit (a neighbour better on average can be far worse
        // than trivial in a band).
        if (r.yours || !r.final || !std::isfinite(r.score) || r.convention.parametrisation != convention.parametrisation ||
            r.report.worst().ratio() > preflight_band_limit)
            continue;
        if (!mine || fits_better(mine->report, r.report, &margin)) {
            better = &r;
            break;
        }
    }
    const PreflightBand& worst = report.worst();
    const bool band_too_bad = worst.ratio() > preflight_band_limit;
    if (!band_too_bad && !better) return v;
    if (band_too_bad && !better) {
        // Far worse than trivial in a band: the best-ranked reading of any parametrisation that is not,
        // over at least 3/4 of the bands (a process whose range misses the bad bands does not count).
        auto reached = [](const PreflightReport& p) {
            return static_cast<std::size_t>(std::count_if(p.bands.begin(), p.bands.end(), [](const auto& b) { return b.reached; }));
        };
        for (const auto& r : ranking.readings)
            if (!r.yours && r.final && std::isfinite(r.score) && r.report.worst().ratio() <= preflight_band_limit &&
                4 * reached(r.report) >= 3 * r.report.bands.size()) {
                better = &r;
                margin = mine ? compare_readings(mine->report, r.report) : PairedComparison{};
                break;
            }
    }
    v.refused = true;
    const std::string band = fmt::format("sigma in [{:.3g}, {:.3g}]: error {:.3g}x the best trivial denoiser's",
                                         worst.lo, worst.hi, worst.ratio());
    if (!better) {
        // No reading does better within the band limit: the model itself, not its reading. The same
        // words whichever reading was given: stable advice.
        v.message = fmt::format(
            "model '{}' with {}: {} (limit {}x), and no reading of it ({} tried) does better: your model is "
            "under-trained (or not a denoiser of this data); preflight=false runs it anyway",
            file, convention_keys(convention), band, preflight_band_limit, ranking.readings.size());
        return v;
    }
    v.message = fmt::format(
        "model '{}': another reading fits better: set {} (yours, {}: error {:+.1f}%, {:.1f} SE on the same draws; "
        "worst band {}); or preflight=false",
        file, convention_keys(better->convention), convention_keys(convention), 100.0 * margin.relative,
        margin.se > 0.0 ? margin.excess / margin.se : 0.0, band);
    return v;
}

std::optional<std::string> check_null_label(const Data& data, const std::shared_ptr<const ModelFunction>& network,
                                            const ModelConvention& convention, const PreflightOptions& o, std::size_t threads, const std::string& file) {
    if (convention.classes == 0) return std::nullopt;
    const auto yours = convention.null_id < 0 ? static_cast<std::int64_t>(convention.classes) : convention.null_id;
    // Every id the model may have been trained with as "no label": the classes, the extra one, and a few
    // beyond (model_labels itself may be short of the model's class count; ids the model cannot take
    // are skipped).
    const std::size_t ids = convention.classes + 9;
    const auto ranking = rank_candidates(
        data, ids,
        [&](std::size_t k) {
            ModelConvention c = convention;
            c.null_id = static_cast<std::int64_t>(k);
            return Candidate{std::make_unique<NetworkDenoiser>(network, c, threads), 0.0, 1e308};
        },
        o, {4, 64, 4}, static_cast<std::size_t>(yours));
    if (ranking.candidates.empty()) return std::nullopt;
    const RankedCandidate* mine = nullptr;
    for (const auto& c : ranking.candidates)
        if (c.index == static_cast<std::size_t>(yours) && c.final) mine = &c;
    const RankedCandidate* better = nullptr;
    PairedComparison margin;
    for (const auto& c : ranking.candidates) {
        PairedComparison m;
        if (!mine || c.index == mine->index || !c.final || c.report.worst().ratio() > preflight_band_limit ||
            !fits_better(mine->report, c.report, &m))
            continue;
        if (!better || m.relative > margin.relative) {
            better = &c;
            margin = m;
        }
    }
    if (!better) return std::nullopt;
    const std::size_t id = better->index;
    return fmt::format(
        "model '{}' (model_labels={}): check the null label first: set model_null_label={}{} (yours, id {}: "
        "unconditional error +{:.1f}%, {:.1f} SE on the same draws); or preflight=false",
        file, convention.classes, id,
        id == convention.classes ? "" : fmt::format(" (or model_labels={}, if the model has {} classes)", id, id), yours,
        100.0 * margin.relative, margin.se > 0.0 ? margin.excess / margin.se : 0.0);
}

}  // namespace ayslab
