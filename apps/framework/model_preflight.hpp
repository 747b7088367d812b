// The model pre-flight as the tools run it: options from a config, the table into a result, and the
// refusal of a misread model (InputError naming the best reading; the rule is lib's model_reading.hpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ayslab/denoisers/network.hpp"
#include "ayslab/evaluation/model_reading.hpp"
#include "ayslab/evaluation/preflight.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "result.hpp"

namespace ayslab::app {

PreflightOptions preflight_options(const Config& config);
// The per-band table into result (values["preflight"] and the summary lines); nothing when null.
void report_preflight(const PreflightReport& report, const ModelConvention& convention, Result* result);

// The pre-flight of read_model_denoiser: table, then InputError for a misread model.
void run_preflight(const Config& config, const Data& data, const Denoiser& model, const std::shared_ptr<const ModelFunction>& network,
                   const ModelConvention& convention, const std::string& file, const RunContext& context,
                   Result* result);

}  // namespace ayslab::app
