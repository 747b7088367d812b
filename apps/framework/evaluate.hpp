// Shared by the AYS experiments: the data set as an evaluation problem (the layer itself is
// lib's evaluation.hpp), result JSON of sample metrics, and progress lines for long optimisations.
#pragma once
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/evaluation/evaluation.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/solver.hpp"
#include "ayslab/stats.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "result.hpp"

namespace ayslab::app {

// The data set as an evaluation problem (evaluation.hpp): its data, its held-out rows, and the denoiser
// the samplers call (the data's exact one when none is given). The Dataset must outlive the Problem.
Problem problem_of(const Dataset& dataset, const Denoiser* denoiser = nullptr);

// A sample evaluation as result JSON: mean, SE and seeds of each metric.
nlohmann::json quality_json(const SampleQuality& quality);

std::string plus_minus(const Moments& m, int precision = 4);

// Echoes what was loaded, in stdout and values["data"]: the data set, d, the rows of a point set and
// of the held-out set ("data: file digits.csv, 1797 points, d = 64, 180 held out").
void describe_dataset(const Dataset& dataset, Result& result);


// Says in stdout why each AYS stage stopped (proxy or KLUB stalled, or the max_sweeps budget) and
// which sweep it kept, and in values[key] the step counts of the stages stopped by the budget.
void report_max_sweeps(const AysResult& ays, const AysOptions& options, Result& result,
                       const std::string& key = "stopped_at_max_sweeps", const std::string& label = "AYS");

// The evaluation group's reader (eval_particles, eval_seeds, projections; keys.hpp), with the seed
// and threads of the run.
EvaluationOptions read_evaluation(const Config& config, const RunContext& context);

// Prints "[ays] 20 steps, sweep 3: KLUB 0.123 ± 0.002 (improved), at most ~12 s left" on stderr when
// progress is on (not --quiet): rewritten in place on a terminal, one line per sweep otherwise.
class ProgressPrinter {
  public:
    ProgressPrinter(const RunContext& context, std::size_t total_sweeps);
    ~ProgressPrinter();
    void operator()(const AysTraceEntry& entry);

  private:
    const RunContext& context_;
    bool enabled_, tty_, printed_ = false;
    std::size_t total_, done_ = 0;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace ayslab::app
