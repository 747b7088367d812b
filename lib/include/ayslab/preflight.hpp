// The model pre-flight (docs/your-model.md): before any work with a user's model, its denoising error
// E|D(x0 + sigma eps; sigma) - x0|^2 / d per sigma band, on draws of the data, beside the trivial
// denoisers D = x~ (error sigma^2) and D = the data's mean (error: the data's variance) and the data's
// own denoiser (the minimum-error one: exact for built-in data, the ideal one for a point set). A model
// whose conventions are misread (an eps model read as a denoiser, t read as sigma, another process) is
// orders of magnitude worse than a trivial denoiser over most of the range; a right one is not.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/denoiser.hpp"

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
    bool bad = false;  // model > worse_factor x min(identity, mean)
};

struct PreflightReport {
    std::vector<PreflightBand> bands;
    std::size_t evaluations = 0;  // model rows evaluated (bands x draws)
    std::size_t bad_bands = 0;
    bool refused() const { return 2 * bad_bands > bands.size(); }
    // mean over bands of log(model / min(identity, mean)): < 0 beats the trivial denoisers.
    double score() const;
};

PreflightReport preflight(const Data& data, const Denoiser& model, const PreflightOptions& options);

// A candidate reading of the model: its denoiser, and the sigma range its process can express (the
// bands are clipped to it, so a DDPM process's [0.01, 157] is judged where it is defined).
struct Candidate {
    std::unique_ptr<Denoiser> denoiser;
    double sigma_min = 0.0, sigma_max = 0.0;
};
struct RankedCandidate {
    std::size_t index;
    double score;
    PreflightReport report;
};
// The candidates' scores, best first: candidate k is make(k) (no denoiser, or a range that misses the
// options' range: skipped).
std::vector<RankedCandidate> rank_candidates(const Data& data, std::size_t count,
                                             const std::function<Candidate(std::size_t)>& make,
                                             const PreflightOptions& options);

}  // namespace ayslab
