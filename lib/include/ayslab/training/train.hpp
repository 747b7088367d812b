// Training a network denoiser (LibTorch): minibatches of x0 from any Data, noise levels and weights
// from a DenoisingLoss (loss.hpp, MATH §8), Adam with linear warm-up and gradient clipping, and the
// seeds' EMA (seed 003, GaussianDiffusion.update_ema): every ema_update_rate steps, before ema_start
// the EMA copy is set to the weights, afterwards ema = decay ema + (1 - decay) weights.
// Every random draw is addressed by (seed, step, row), so a run resumed from a checkpoint continues
// with exactly the draws an uninterrupted run would use.
#pragma once
#include <filesystem>
#include <functional>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/training/loss.hpp"
#include "ayslab/denoisers/network.hpp"

namespace ayslab {

struct TrainOptions {
    LossOptions loss{};
    std::size_t steps = 2000;
    std::size_t batch = 256;
    double lr = 2e-3;
    std::size_t warmup = 100;  // linear warm-up of the learning rate over this many steps
    double grad_clip = 1.0;    // global gradient norm clip (0 = none)
    double ema_decay = 0.999;
    std::size_t ema_start = 200;
    std::size_t ema_update_rate = 1;
    std::uint64_t seed = 0;
    std::size_t threads = 1;  // LibTorch intra-op threads
    // Checkpoints: the whole state (weights, EMA, Adam moments, step) every `checkpoint_every` steps to
    // this path (empty = none); with resume, a run continues from it bit for bit.
    // The checkpoint is kept when training ends: the caller removes it once its own result is safe
    // (an interruption between the two must not lose it).
    std::filesystem::path checkpoint{};
    std::size_t checkpoint_every = 500;
    bool resume = false;
    // What the run depends on (the app's whole config and file hashes): stored in the checkpoint, and
    // a resume with another fingerprint is refused, naming the first key that differs.
    std::string fingerprint{};
    std::size_t record_every = 50;  // loss-curve resolution
    // A class-conditional network (Network::classes() > 0) trains on (x_0, y) pairs of labelled data,
    // each label replaced by the null label with this probability (classifier-free guidance training,
    // Ho & Salimans 2022), so the same network is the unconditional denoiser under the null label.
    double label_dropout = 0.1;
};

struct TrainPoint {
    std::size_t step = 0;
    double loss = 0.0;  // mean minibatch loss over the steps since the last point
};

struct TrainResult {
    Network model;  // the final weights
    Network ema;    // the EMA weights (what one samples with)
    std::vector<TrainPoint> curve;
};

using TrainProgress = std::function<void(const TrainPoint&, double steps_per_second)>;

// Throws NumericalError naming the step if a loss is not finite; InputError for bad options.
TrainResult train_network(const Network& initial, const Data& data, const TrainOptions& options,
                          const TrainProgress& progress = {});

}  // namespace ayslab
