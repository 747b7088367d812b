// The model pre-flight as the tools run it: options from a config, the table into a result, every
// reading of the model ranked, and the refusal of a misread model (InputError naming the best reading).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ayslab/denoisers/network.hpp"
#include "ayslab/evaluation/preflight.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "result.hpp"

namespace ayslab::app {

std::string convention_keys(const ModelConvention& convention);
PreflightOptions preflight_options(const Config& config);
// The per-band table into result (values["preflight"] and the summary lines); nothing when null.
void report_preflight(const PreflightReport& report, const ModelConvention& convention, Result* result);

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

// The pre-flight of read_model_denoiser: table, then InputError for a misread model.
void run_preflight(const Config& config, const Data& data, const Denoiser& model, const std::shared_ptr<const ModelFunction>& network,
                   const ModelConvention& convention, const std::string& file, const RunContext& context,
                   Result* result);

}  // namespace ayslab::app
