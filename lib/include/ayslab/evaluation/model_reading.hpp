// Which reading of a model fits (docs/your-model.md "The pre-flight"): every convention of a model
// (parametrisation x time input x process, sigma_data for EDM) scored on the same draws, the refusal rule
// for a misread model, and the check of a conditional model's null label. The tools report and refuse
// with these (apps/framework/model_preflight.hpp); the measurement is preflight.hpp.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/evaluation/preflight.hpp"

namespace ayslab {

// The keys that set a convention, as a user writes them ("parametrisation=eps, model_time=t, ...").
std::string convention_keys(const ModelConvention& convention);

// The refusal rule (docs/your-model.md "The pre-flight"): a reading is refused when one of its bands is
// worse than the best trivial denoiser by more than preflight_band_limit, or when another reading of the
// model fits better, beyond noise, on the same draws (compare_readings).
// The limit is measured: the default-trained ring MLP (train, 3000 steps) is 14x trivial in its weakest
// band (sigma ~ 0.05), a model that returns its input 4000x, one exact below sigma = 2 and constant above
// 42x, an eps model read as a denoiser > 1000x.
inline constexpr double preflight_band_limit = 30.0;
// Another reading fits better when its error is lower on the bands both reach by more than
// preflight_excess_se standard errors (paired draws) and by more than preflight_min_excess of its own.
inline constexpr double preflight_excess_se = 3.0;
inline constexpr double preflight_min_excess = 0.01;

struct RankedConvention {
    ModelConvention convention;
    double score;
    PreflightReport report;
    bool final = true;   // scored on the finalists' draws
    bool yours = false;  // the reading the config gave
};
struct ConventionRanking {
    std::vector<RankedConvention> readings;  // best first
    std::size_t evaluations = 0;             // model rows the ranking evaluated
};
// Every parametrisation x time input x process (x sigma_data for edm) reading of the network, scored on
// the same bands of the options' range (a reading's bands beyond its process's range count as not
// reached), best first; the given reading wins ties.
ConventionRanking rank_conventions(const Data& data, const std::shared_ptr<const ModelFunction>& network,
                                   const ModelConvention& convention, const PreflightOptions& options,
                                   std::size_t threads);

struct PreflightVerdict {
    bool refused = false;
    std::string message;  // why, naming the band and the better reading (or "under-trained")
};
PreflightVerdict judge_preflight(const PreflightReport& report, const ConventionRanking& ranking,
                                 const ModelConvention& convention, const std::string& file);

// A class-conditional model whose unconditional reading fails: the null-label id that fits, when another
// id than the configured one fits better by more than the tolerance (the message naming it), else nothing.
std::optional<std::string> check_null_label(const Data& data, const std::shared_ptr<const ModelFunction>& network,
                                            const ModelConvention& convention, const PreflightOptions& options, std::size_t threads, const std::string& file);

}  // namespace ayslab
