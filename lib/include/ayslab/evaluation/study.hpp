// A study (issue "Which schedule for my sampler?"): candidate schedules judged with one sampler against
// the user's current schedule on held-out starts (draws no optimiser saw: StudyOptions::judge's seed is
// the caller's, kept apart from every optimiser's streams), with paired differences and a verdict: the
// winner and its margin, or "keep your schedule" when nothing beats the current one by more than n_se
// paired standard errors.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ayslab/evaluation/evaluation.hpp"

namespace ayslab {

// What decides: the FID (or the KID, ImageJudge::decides) under a feature network for image data with an
// image judge (Problem::images),
// else the sliced W2 to held-out rows for a point set (its density rewards memorisation: its NLL is no
// judge), else the NLL under the data's exact density. judge_metric() picks it for a problem.
Metric judge_metric(const Problem& problem);
std::string metric_name(Metric metric);

struct StudyOptions {
    // particles and seeds per candidate; judge.seed: the held-out starts; judge.keep: rows of the first
    // seed's samples each row keeps (StudyRow::quality.first_samples: the same starts in every row)
    EvaluationOptions judge{};
    double n_se = 2.0;          // a candidate must beat the current schedule by more than this many SE
    // Screening, for a model whose rows are costly (successive halving): with screen_particles > 0 and
    // more than `finalists` candidates, every candidate is first judged on one seed of screen_particles
    // starts drawn at screen_seed (apart from the judge's), and only the `finalists` best by the metric
    // go on to the full judge beside the current schedule. The verdict is taken on the full judge's
    // starts alone, which the screen never saw, so choosing the finalists biases nothing.
    std::size_t screen_particles = 0;
    std::size_t finalists = 2;
    std::uint64_t screen_seed = 0;
};

// One candidate against the current schedule, with the same starts per seed (paired over seeds).
struct StudyRow {
    std::string name;
    Schedule schedule;
    SampleQuality quality;
    Moments nll_vs_current, sw2_vs_current, fid_vs_current, kid_vs_current;  // candidate minus current, per seed
};

struct StudyVerdict {
    bool keep = true;            // nothing beats the current schedule by more than n_se SE
    std::string winner;          // the recommended schedule's name (the current one's when keep)
    Metric metric = Metric::nll; // what decided
    double margin = 0.0;         // current minus winner in the metric (> 0: the winner is better)
    double margin_se = 0.0;      // its paired standard error
    // The other metric (NLL <-> sliced W2; FID's: sliced W2) ranks the winner against the current
    // schedule the other way beyond n_se SE.
    bool judges_disagree = false;
};

// The decision on judged rows (row 0 is the current schedule, the others candidates): the candidate
// with the lowest mean metric among those better than row 0 by more than n_se paired SE; keep
// otherwise. A candidate with no SE (one seed) never beats the current schedule.
StudyVerdict decide(const std::vector<StudyRow>& rows, Metric metric, double n_se);

// A candidate's screening result: its metric on the screen's seed, and whether it went on.
struct ScreenedCandidate {
    std::string name;
    double value = 0.0;  // the metric on the screen's starts (NaN where the samples had none)
    bool finalist = false;
};

struct StudyCell {
    std::string sampler;
    std::vector<StudyRow> rows;  // rows[0]: the current schedule, then the candidates judged in full
    StudyVerdict verdict;
    std::vector<ScreenedCandidate> screened;  // every candidate, in the given order (empty: no screen)
};

// Judges current and every candidate (or the screen's finalists) with `sampler` on the problem
// (compare(): the same starts, drawn from options.judge.seed, for every schedule) and decides. The schedules must share the current
// schedule's sigma_min (the NLL is taken there).
StudyCell study(const Problem& problem, const std::string& sampler, const NamedSchedule& current,
                const std::vector<NamedSchedule>& candidates, const StudyOptions& options,
                const SolverOptions& solver_options = {});

}  // namespace ayslab
