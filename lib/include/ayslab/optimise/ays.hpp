// Align Your Steps (MATH.md §5): minimise the sum of per-interval KLUBs over the interior sigmas by
// coordinate updates — each interior sigma moved, between its neighbours, to the value minimising the
// KLUB of its two intervals (golden-section search on log sigma, the same Monte Carlo draws for every
// candidate) — with early stopping on a separately drawn estimate of the total, then subdivision
// (insert the geometric midpoint of every interval, optimise the new points, then all of them).
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/schedule/schedule.hpp"

namespace ayslab {

struct AysOptions {
    std::size_t subdivisions = 0;           // stages after the first: steps double each time
    // After a subdivision: false (the paper's hierarchy as the issue quotes it; section not re-checked) optimises only the new
    // points, the previous stage's ones fixed; true moves the new points in the first sweep, then all.
    bool refine_all = false;
    std::size_t samples = 1024;             // Monte Carlo samples per interval evaluation
    std::size_t validation_samples = 4096;  // for the early-stopping estimate of the total
    std::size_t golden_iterations = 24;     // golden-section steps per coordinate update
    std::size_t max_sweeps = 8;             // coordinate sweeps per stage at most
    std::size_t patience = 4;               // stop a stage after this many sweeps without improvement
    double min_improvement = 1e-3;          // relative improvement of the validation KLUB that counts
    std::uint64_t seed = 0;
    std::size_t threads = 1;
    double proposal_variance = 0.0;  // c^2 of the KLUB's sigma proposal; 0 = the data's variance
    // The KLUB over (x_0, y) pairs of labelled data, the denoiser at each row's class (KlubMonteCarlo::
    // labelled): one schedule for a conditional model over all its classes.
    bool labelled = false;
    // The paper's early stopping (driving the KLUB to convergence can hurt the samples): a quality
    // proxy of a schedule, lower is better, given per draw (or per projection) on the same draws for
    // every schedule (common random numbers), so two schedules' values are paired. When set, each stage
    // keeps the schedule with the best proxy — the stage's start included — and a sweep replaces the kept
    // one only when its mean paired difference is below -quality_n_se paired standard errors (and
    // below 0): a sweep that is better only by the draws' noise does not move the answer. A stage stops
    // after `patience` sweeps without a replacement that also improves the proxy by min_improvement
    // (relative to |proxy|); max_sweeps stays a budget. Empty: stages stop and choose on the validation
    // KLUB. `quality_name` says what the proxy is (it goes into the checkpoint's settings).
    std::function<std::vector<double>(const Schedule&)> quality{};
    double quality_n_se = 2.0;
    std::string quality_name{};
    // Checkpointing: after every sweep the optimiser's whole state is written atomically to this file
    // (empty = none); with resume, a run starts from the file (made with the same settings) and gives
    // the same result as an uninterrupted run with the same seed.
    std::filesystem::path checkpoint{};
    bool resume = false;
    // Everything else the result depends on (the run's whole config, hashes of the files it reads, the
    // denoiser): stored in the checkpoint, and a resume with another fingerprint is refused.
    std::string fingerprint{};
};

struct AysTraceEntry {
    std::size_t steps = 0;
    std::size_t sweep = 0;  // 0 = the stage's start schedule
    double klub = 0.0;      // validation estimate of the total KLUB
    double klub_standard_error = 0.0;
    bool improved = false;
    double quality = 0.0;  // the proxy, when AysOptions::quality is set (0 otherwise)
    double quality_standard_error = 0.0;
};

struct AysStage {
    Schedule schedule;  // best schedule of the stage (by validation KLUB)
    KlubEstimate klub;
    // The stage stopped at max_sweeps while still improving (fewer than `patience` sweeps without
    // improvement at the end): more sweeps would likely lower the KLUB further.
    bool stopped_at_max_sweeps = false;
    KlubEstimate quality;  // the proxy of `schedule` (when set)
    // Why the stage stopped: "max_sweeps" (the budget), "klub" (the validation KLUB stopped improving)
    // or "quality" (the proxy stopped improving).
    std::string stop;
};

struct AysResult {
    std::vector<AysStage> stages;  // one per step count: n, 2n, 4n, ...
    std::vector<AysTraceEntry> trace;
};

using AysProgress = std::function<void(const AysTraceEntry&)>;

// x0 draws come from `data`; the KLUB is that of `denoiser` (the data's exact one, or a trained
// network): AYS picks the steps for that denoiser.
AysResult optimise_ays(const Data& data, const Denoiser& denoiser, const Schedule& start, const AysOptions& options,
                       const AysProgress& progress = {});

// Inserts the geometric midpoint of every interval (n steps -> 2n).
Schedule subdivide(const Schedule& schedule);

}  // namespace ayslab
