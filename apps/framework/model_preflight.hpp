// The model pre-flight as the tools run it: options from a config, the table into a result, every
// reading of the model ranked, and the refusal of a misread model (InputError naming the best reading).
#pragma once
#include <string>
#include <vector>

#include "ayslab/network.hpp"
#include "ayslab/preflight.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "result.hpp"

namespace ayslab::app {

std::string convention_keys(const ModelConvention& convention);
PreflightOptions preflight_options(const Config& config);
// The per-band table into result (values["preflight"] and the summary lines); nothing when null.
void report_preflight(const PreflightReport& report, const ModelConvention& convention, Result* result);

struct RankedConvention {
    ModelConvention convention;
    double score;
    PreflightReport report;
};
// Every parametrisation x time input x process reading of the network (the given convention's time and
// process first: they win ties), best first; 16 draws per band each.
std::vector<RankedConvention> rank_conventions(const Data& data, const std::shared_ptr<const ModelFunction>& network, const ModelConvention& convention,
                                               const PreflightOptions& options, std::size_t threads);

// The pre-flight of read_model_denoiser: table, then InputError for a misread model.
void run_preflight(const Config& config, const Data& data, const Denoiser& model, const std::shared_ptr<const ModelFunction>& network,
                   const ModelConvention& convention, const std::string& file, const RunContext& context,
                   Result* result);

}  // namespace ayslab::app
