// The evaluation layer (issue #23): a Problem says what is sampled and how samples are judged, and
// compare() runs every sampler x schedule on it with the same start draws per seed, so differences
// between schedules are paired. The AYS-family experiments (ays, ays-toy / ays-fashion-mnist,
// ays-trained, optimiser-league) evaluate through it; a class-conditional or guided run is a Problem
// whose data is the class's and whose denoiser is the bound view (conditional.hpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/data/io.hpp"
#include "ayslab/divergence/feature_distance.hpp"
#include "ayslab/evaluation/feature_network.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/solver.hpp"
#include "ayslab/stats.hpp"

namespace ayslab {

enum class Metric { nll, sliced_w2, fid, kid };

// The image judge (docs/images.md): FID and KID of the samples' features under a feature network
// against the real images' features (the held-out rows), per seed, so schedules compare paired.
// KID per seed: the mean over kid_subsets subsets of the sample rows against as many reference rows
// (clean-fid's subset rule), the subsets' rows drawn at the seed's address, so every schedule of one
// seed meets the same reference rows.
struct ImageJudge {
    const FeatureNetwork* network = nullptr;
    FeatureGaussian reference;  // of the real images' features
    std::vector<double> reference_features;  // reference_n x the feature dimension
    std::size_t reference_n = 0;
    Metric decides = Metric::fid;  // which of the two a study decides by (fid or kid)
    std::size_t kid_subsets = 10;
    // With the real rows' labels: class y's reference features (its rows, in order), for the per-class
    // KID of a labelled problem (SampleQuality::kid_by_class). Empty without labels.
    std::vector<std::vector<double>> class_features;
    // The reference from real image rows (n x the network's image dimension; n > its feature dimension),
    // and their classes (one per row, or none).
    static ImageJudge of(const FeatureNetwork& network, const PointSet& real, std::size_t threads = 1,
                         std::span<const Label> labels = {});
};

// What is sampled and what judges it. data: the target law (start draws from p_{sigma_max}, the NLL
// under p_{sigma_min}, the KLUB's x_0 draws; for point sets also the nearest training point).
// denoiser: what the samplers call (the data's exact one, a model, a class-bound or guided view).
// held_out: independent rows of the target law for the sliced W2 (none: not computed).
struct Problem {
    std::string name;
    const Data* data = nullptr;
    const Denoiser* denoiser = nullptr;
    const PointSet* held_out = nullptr;
    // A conditional model over the data's classes: each particle draws its class y with its start
    // (p_{sigma_max}(x | y), y by the class weights), the denoiser is called at the particle's y (a
    // guided one applies its w per row), the NLL is -log p_{sigma_min}(x | y), and the KLUB's x_0 come
    // with their y (AysOptions::labelled). The held-out rows (all classes) stay the sliced-W2 reference.
    bool labelled = false;
    // The median distance from a held-out row to its nearest training point (point sets), computed
    // once by the first evaluation that needs it.
    mutable std::optional<double> near_radius{};
    // The held-out rows' sorted projections for the sliced W2, made by the first evaluation of each
    // projection seed (a study's screen and judge have one each) and kept: evaluations of one problem
    // run one at a time.
    mutable std::vector<SlicedReference> held_out_projections{};
    // Image data: each seed's samples are also judged by their FID (none: not computed).
    const ImageJudge* images = nullptr;
    std::size_t dim() const { return data->dim(); }
};

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
    Moments fid, kid;  // per seed, with Problem::images
    // A labelled problem under an image judge with class references: per class y, the KID of the seed's
    // samples of class y against class y's reference rows (subsets of min(samples of y, its references)
    // rows, drawn at streams::class_kid_subsets), over the seeds where y has >= 2 samples. (A per-class
    // FID needs more samples of y than feature dimensions: at a few hundred samples per seed it is
    // undefined, so it is not computed.)
    std::vector<Moments> kid_by_class;
    // For paired comparisons (same starts per seed).
    std::vector<double> nll_per_seed, sw2_per_seed, fid_per_seed, kid_per_seed;
    std::vector<double> first_samples;  // the first seed's end points, up to EvaluationOptions::keep rows
    std::vector<Label> first_labels;    // and their classes (a labelled problem)
};

// Samples from the problem's exact p_{sigma_max} with the solver over the schedule, the solver calling
// the problem's denoiser; NLL under the data's exact p_{sigma_min} (the schedule's last sigma, which
// must be > 0), sliced W2 to the held-out rows, and for point-set data the distance to the nearest
// training point. Seed s of the options draws its starts at streams::evaluation_seed(seed, s).
SampleQuality evaluate_samples(const Problem& problem, const Solver& solver, const Schedule& schedule,
                               const EvaluationOptions& options);

// Per-seed differences a - b of a metric between two evaluations with the same start points per seed.
Moments paired_difference(const SampleQuality& a, const SampleQuality& b, Metric metric);

struct NamedSchedule {
    std::string name;
    Schedule schedule;
};

// Every sampler on every schedule of one problem (same options, so the same starts per seed).
class Comparison {
  public:
    std::vector<std::string> samplers;
    std::vector<NamedSchedule> schedules;
    std::vector<SampleQuality> cells;  // sampler-major: cells[i * schedules.size() + j]
    const SampleQuality& at(std::size_t sampler, std::size_t schedule) const {
        return cells[sampler * schedules.size() + schedule];
    }
    // Schedule a minus schedule b for one sampler, paired over seeds.
    Moments paired(std::size_t sampler, std::size_t a, std::size_t b, Metric metric) const {
        return paired_difference(at(sampler, a), at(sampler, b), metric);
    }
};

// keep_rows: rows of the first seed's samples kept for the first sampler (figures), 0 = none.
Comparison compare(const Problem& problem, const std::vector<std::string>& samplers,
                   const std::vector<NamedSchedule>& schedules, const EvaluationOptions& options,
                   const SolverOptions& solver_options = {}, std::size_t keep_rows = 0);

}  // namespace ayslab
