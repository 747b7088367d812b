// The model pre-flight (docs/your-model.md): before any work with a user's model, its denoising error
// E|D(x0 + sigma eps; sigma) - x0|^2 / d per sigma band, on draws of the data, beside the trivial
// denoisers D = x~ (error sigma^2) and D = the data's mean (error: the data's variance) and the data's
// own denoiser (the minimum-error one: exact for built-in data, the ideal one for a point set). A model
// whose conventions are misread (an eps model read as a denoiser, t read as sigma, another process) is
// orders of magnitude worse than a trivial denoiser in some band; a neighbouring misreading (another
// DDPM table, sigma_data) is measurably worse than the right reading on the same draws
// (compare_readings). The ranking of readings and the refusal rule: model_reading.hpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/denoisers/denoiser.hpp"

namespace ayslab {

struct PreflightOptions {
    double sigma_min = 0.002, sigma_max = 80.0;
    std::size_t bands = 8;     // log-uniform bands of [sigma_min, sigma_max]
    std::size_t draws = 64;    // (x0, eps) pairs per band, sigma log-uniform inside the band
    double worse_factor = 1.5; // a band is bad when the model's error exceeds the best trivial one by this
    std::uint64_t seed = 0;
};

// Errors per coordinate (E|.|^2 / d), each on the same draws.
struct PreflightBand {
    double lo = 0.0, hi = 0.0;
    double model = 0.0, identity = 0.0, mean = 0.0, data = 0.0;
    bool bad = false;      // model > worse_factor x min(identity, mean)
    bool reached = true;   // false: the reading's process cannot express this band's sigmas (not evaluated)
    std::vector<double> per_draw;  // the model's |D - x0|^2 / d of each draw (their mean is `model`)
    double ratio() const;  // model / min(identity, mean); worse_factor for a band not reached
};

struct PreflightReport {
    std::vector<PreflightBand> bands;
    std::size_t evaluations = 0;  // model rows evaluated (bands x draws)
    std::size_t bad_bands = 0;    // reached bands worse than trivial, and bands not reached
    // mean over bands of log(band.ratio()): < 0 beats the trivial denoisers. A band the reading cannot
    // reach counts as log(worse_factor), so a narrower process does not win by skipping the hard bands.
    double score() const;
    // The band with the largest ratio (the first when equal).
    const PreflightBand& worst() const;
};

// The draws of a pre-flight (x0, sigma, x~ per band, seeded by the options) with the trivial denoisers'
// and the data's own denoiser's errors: made once, they serve every reading of a model.
struct PreflightDraws {
    PreflightOptions options;
    std::size_t dim = 0;
    std::vector<PreflightBand> bands;    // edges and the identity / mean / data errors (no model yet)
    std::vector<double> x0, xt, sigma;   // bands x draws rows, band-major
};
PreflightDraws make_preflight_draws(const Data& data, const PreflightOptions& options);

// The model's error on the draws' bands, in one model call. Bands outside [reach_lo, reach_hi] (the
// sigmas a reading of the model can express) are not evaluated and are marked not reached.
PreflightReport preflight(const PreflightDraws& draws, const Denoiser& model, double reach_lo = 0.0,
                          double reach_hi = 1e308);
PreflightReport preflight(const Data& data, const Denoiser& model, const PreflightOptions& options,
                          double reach_lo = 0.0, double reach_hi = 1e308);

// Reading a against reading b of one model on the same draws (two reports of the same options): over
// the bands both reach, the per-draw excess of a's error over b's, each band's draws divided by the
// band's best trivial error (so every band weighs alike), its mean and standard error over all those
// draws (paired: the draws are the same), and the excess relative to b's mean normalised error.
struct PairedComparison {
    std::size_t bands = 0;    // bands both reach
    double excess = 0.0;      // mean over draws of (e_a - e_b) / trivial; > 0: a fits worse
    double se = 0.0;          // its standard error
    double relative = 0.0;    // excess / the mean of e_b / trivial
};
PairedComparison compare_readings(const PreflightReport& a, const PreflightReport& b);

// A candidate reading of the model: its denoiser, and the sigma range its process can express.
struct Candidate {
    std::unique_ptr<Denoiser> denoiser;
    double sigma_min = 0.0, sigma_max = 0.0;
};
struct RankedCandidate {
    std::size_t index;
    double score;
    PreflightReport report;
    bool final = true;  // scored on the full draws (a finalist); false: screened out on the few
};
struct RankingOptions {
    std::size_t screen_draws = 4;  // per band, every candidate
    std::size_t final_draws = 64;  // per band, the finalists (the same draws for each: paired)
    std::size_t finalists = 8;     // the best screened candidates that get the final draws
    // Besides: the best `neighbour_finalists` screened candidates for which `neighbour(k)` holds (e.g.
    // the readings of the user's own parametrisation), and `always`.
    std::size_t neighbour_finalists = 6;
    std::function<bool(std::size_t)> neighbour{};
};
struct Ranking {
    std::vector<RankedCandidate> candidates;  // finalists best first, then the screened-out best first
    std::size_t evaluations = 0;              // model rows, every candidate and stage
};
// Every candidate scored on the same bands of the options' range (never on a range of its own), best
// first: candidate k is make(k) (no denoiser: skipped). A reading whose outputs break down (NaN: a
// NumericalError from the model) ranks last. `always` (e.g. the user's own reading) is a finalist
// whatever its screening score. Scores within 1e-4 tie, and the earlier candidate wins a tie.
Ranking rank_candidates(const Data& data, std::size_t count, const std::function<Candidate(std::size_t)>& make,
                        const PreflightOptions& options, const RankingOptions& ranking = {},
                        std::size_t always = static_cast<std::size_t>(-1));

}  // namespace ayslab
