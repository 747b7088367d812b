// The image feature network FID and KID are computed in (docs/images.md): a small CNN classifier
// trained here on labelled images (Fashion-MNIST by default), its penultimate activations the features.
// No Inception weights can be downloaded here, so the features are a domain network's, as the
// MNIST-family literature does; FIDs are comparable only under the same network, so every result
// names its fingerprint. LibTorch (the plugin); built without it, every call says so in one line.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/data/io.hpp"
#include "ayslab/denoisers/network.hpp"

namespace ayslab {

struct FeatureNetworkOptions {
    std::size_t side = 28;       // square single-channel images, side divisible by 4
    std::size_t width = 32;      // channels of the first convolution (the second has 2 width)
    std::size_t features = 128;  // the feature dimension (the penultimate layer)
    std::size_t classes = 10;
    std::size_t steps = 2000;    // Adam steps (cosine learning rate after a linear warm-up)
    std::size_t batch = 128;
    double lr = 2e-3;
    std::size_t warmup = 100;
    std::uint64_t seed = 0;      // initial weights and which rows each minibatch takes
    // (Training runs on one LibTorch thread, so a seed gives the same network on any machine's cores.)
};

struct FeatureTrainingPoint {
    std::size_t step = 0;
    double loss = 0.0;  // mean cross-entropy over the steps since the last point
};
using FeatureTrainingProgress = std::function<void(const FeatureTrainingPoint&)>;

class FeatureNetwork {
  public:
    // conv3x3(1 -> w) ReLU maxpool2, conv3x3(w -> 2w) ReLU maxpool2, linear -> features ReLU (the
    // features), linear -> classes (the logits); weights from the seed.
    static FeatureNetwork build(const FeatureNetworkOptions& options);
    // A file this class saved (TorchScript; torch.jit.load reads it too, with methods features and
    // forward). InputError for a file that is not an ayslab feature network.
    static FeatureNetwork load(const std::filesystem::path& path);
    // Cross-entropy on (image, label) rows with Adam; row k of step s's batch is
    // floor(u n), u addressed by (seed, feature_batches, s, k): the same seed gives the same network.
    FeatureNetwork trained(const PointSet& images, std::span<const Label> labels, const FeatureNetworkOptions& options,
                           std::vector<FeatureTrainingPoint>* curve = nullptr,
                           const FeatureTrainingProgress& progress = {}) const;
    void save(const std::filesystem::path& path) const;

    std::size_t image_dim() const { return image_dim_; }
    std::size_t feature_dim() const { return feature_dim_; }
    std::size_t classes() const { return classes_; }
    // "fnv1a64:" and 16 hex digits over the architecture and every float32 parameter's bits.
    const std::string& fingerprint() const { return fingerprint_; }

    // The features (n x feature_dim, float64) and the predicted class of each image row (values as the
    // data set holds them, e.g. Fashion-MNIST in [-1, 1]), in batches of `batch` rows. InputError for
    // rows of another dimension than the network's images.
    void evaluate(std::span<const double> images, std::size_t n, std::vector<double>& features,
                  std::vector<Label>* predicted = nullptr, std::size_t threads = 1, std::size_t batch = 1000) const;

  private:
    explicit FeatureNetwork(Network net);
    Network net_;
    std::size_t image_dim_ = 0, feature_dim_ = 0, classes_ = 0;
    std::string fingerprint_;
};

}  // namespace ayslab
