// Shared by ays-toy and ays-fashion-mnist: optimise AYS on a data set (first stage, then subdivisions)
// and compare it with EDM rho=7, log-SNR-uniform and time-uniform schedules at each step count, by
// sample metrics over seeds for each sampler.
#pragma once
#include "ayslab/data/datasets.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "result.hpp"

namespace ayslab::app {

// Reads the common keys (see ays_compare_keys) and appends values, checks and lines to `result`
// under result.values[dataset.name].
void ays_compare(const Dataset& dataset, const Config& config, const RunContext& context, Result& result);

// The schema keys ays_compare reads.
Schema ays_compare_keys();

}  // namespace ayslab::app
