// Shared by the AYS experiments: sample quality of a solver + schedule over several seeds, and
// progress lines for long optimisations.
#pragma once
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/schedule.hpp"
#include "ayslab/solver/solver.hpp"
#include "ayslab/stats.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "result.hpp"

namespace ayslab::app {

struct EvaluationOptions {
    std::size_t particles = 2000;
    std::size_t seeds = 5;
    std::size_t projections = 128;
    std::uint64_t seed = 0;
    std::size_t threads = 1;
    std::size_t keep = 0;  // rows of the first seed's samples to keep (for figures)
};

// Per-seed means, so standard errors are over seeds.
struct SampleQuality {
    Moments nll, sw2, nearest;
    // Robust companions of the mean NLL, which one far outlier can dominate (in d = 64 one sample off
    // the data costs ~3e4 nats): the per-seed median NLL, and for point-set data with a held-out set
    // the share of samples at most as far from the training points as the median held-out point is
    // (near_radius; about one half for samples distributed like the data).
    Moments nll_median, near_share;
    double near_radius = 0.0;
    std::vector<double> nll_per_seed, sw2_per_seed;  // for paired comparisons (same start points per seed)
    std::vector<double> first_samples;  // the first seed's end points, up to EvaluationOptions::keep rows
    nlohmann::json to_json() const;
};

// Samples from the data's exact p_{sigma_max} with the solver over the schedule, the solver calling
// `denoiser` (the data's exact one, or another); NLL under the data's exact p_{sigma_min} (the
// schedule's last sigma, which must be > 0), sliced W2 to the held-out set, and for point-set data
// the distance to the nearest training point.
SampleQuality evaluate_samples(const Dataset& dataset, const Denoiser& denoiser, const Solver& solver,
                               const Schedule& schedule, const EvaluationOptions& options);

std::string plus_minus(const Moments& m, int precision = 4);

// Echoes what was loaded, in stdout and values["data"]: the data set, d, the rows of a point set and
// of the held-out set ("data: file digits.csv, 1797 points, d = 64, 180 held out").
void describe_dataset(const Dataset& dataset, Result& result);

// Per-seed differences a - b of a metric ("nll" or "sliced_w2") between two evaluations that used the
// same start points per seed: the moments of a paired comparison.
Moments paired_difference(const SampleQuality& a, const SampleQuality& b, const std::string& metric);

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
    bool enabled_, tty_, printed_ = false;
    std::size_t total_, done_ = 0;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace ayslab::app
