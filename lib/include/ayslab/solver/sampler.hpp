// The one sampler loop: drives any solver over any schedule for a batch of particles. Particles are
// cut into fixed chunks (independent of the thread count); each chunk runs every step with its own
// solver clone, so results are bit-identical for any number of threads.
#pragma once
#include <cstdint>
#include <functional>
#include <span>

#include "ayslab/data/data.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/solver.hpp"

namespace ayslab {

struct SamplerOptions {
    std::uint64_t seed = 0;
    std::size_t threads = 1;  // 0 = all hardware threads
    std::size_t chunk = 512;  // particles per chunk; 0 = sampler_chunk(denoiser, 0)
    const NoiseTable* noise = nullptr;  // set: every noise draw is read from it (solver/solver.hpp)
    // A conditional denoiser's labels (denoiser.hpp): one per particle, or one for all; empty = none
    // (the denoiser is called as it is). Each chunk sees its particles' labels (conditional.hpp).
    std::span<const Label> labels = {};
};

// Called after each step with the chunk's particles (from worker threads; it must only touch
// per-chunk state). step counts from 1; sigma is the sigma just reached.
using StepObserver = std::function<void(std::size_t chunk_index, std::size_t first_particle, std::size_t step,
                                        double sigma, std::span<const double> chunk)>;

struct SampleStats {
    std::size_t nfe = 0;  // denoiser evaluations per particle (the most any chunk used)
};

// The particles per chunk a run uses: `requested` when positive; else a model's batch
// (Denoiser::batch_rows(): one call per step on all its particles, as a Python loop or k-diffusion
// calls a model, instead of many small calls that each pay the model's fixed cost), or `exact` for a
// denoiser without a preference (small chunks that spread over threads). With n (the particles), a
// model's batch is evened out: n = 30 000 at a batch of 16 384 runs as 2 x 15 000, not 16 384 + 13 616
// (whose second worker would wait 17% of every step).
std::size_t sampler_chunk(const Denoiser& denoiser, std::size_t requested, std::size_t exact = 512,
                          std::size_t n = 0);
// The chunk of the judges' and teachers' solves (evaluation.hpp, optimise/league.hpp): 64 particles for
// the exact denoisers; 16 for a model called from several threads at once (a CPU network), which keeps
// both cores busy on a few hundred particles (a 200-particle judge seed in chunks of 64 leaves one core
// idle for a quarter of it): 1.39 against 1.78 ms per row for 32 particles of the Fashion-MNIST U-Net on
// 2 cores, 1.5 either way at 512; 0 (the model's own batch, one call per step) for a model that takes
// one call at a time (a GPU, a Python callable). Depends on the denoiser alone, never on the thread count.
std::size_t solve_chunk(const Denoiser& denoiser);

// Runs x (n x denoiser.dim()) from schedule.sigma_max() to schedule.sigma_min(). Throws
// NumericalError naming the step and particle if a non-finite value appears.
SampleStats sample(const Denoiser& denoiser, const Solver& solver, const Schedule& schedule,
                   std::span<double> x, std::size_t n, const SamplerOptions& options,
                   const StepObserver& observer = {});

// Fills x with n exact draws from p_sigma = data * N(0, sigma^2 I): x_0 from the data plus sigma eps.
void sample_marginal(const Data& data, double sigma, std::span<double> x, std::size_t n,
                     std::uint64_t seed, std::size_t threads = 1);
// The same draws with their classes (labelled data): x_0 ~ p(x_0 | y) with y ~ the class weights
// (Data::sample_labelled, whose x_0 rows are sample()'s), so x ~ p_sigma(x | y); labels gets y (n
// entries; empty: sample_marginal's unlabelled draws, so a caller with optional labels calls this one).
void sample_marginal_labelled(const Data& data, double sigma, std::span<double> x, std::span<Label> labels,
                              std::size_t n, std::uint64_t seed, std::size_t threads = 1);

}  // namespace ayslab
